"""``chunyun alerts``: peak alerts for a window, the same as ``GET /v1/alerts`` for the current run.

Without ``--cutoff`` the alerts come from the current run's forecasts (``forecast.alerts.run_alerts``,
as the API). With ``--cutoff D`` the forecast is made live from the stored data up to D through
``forecast.engine`` (its nowcast: ``as_of`` = D), as ``chunyun summary --cutoff`` does.
``--fail-on LEVEL`` exits with status 3 when an alert at LEVEL or above exists (for cron and CI).
"""

from __future__ import annotations

import logging
import sys

import pandas as pd

from forecast.cli.output import emit, parse_date_arg
from forecast.formats import to_json

log = logging.getLogger(__name__)

EXIT_ALERT = 3


HELP = "peak alerts (blue/yellow/orange/red) for a window of days"
DESCRIPTION = ("Peak alerts from the thresholds in data/alerts.yaml: the day, series, level, forecast and "
               "interval, the threshold crossed and the probability of crossing it. Default window: the "
               "latest season's Chunyun in the current run.")
FORMATS = ("json", "csv")


def arguments(parser) -> None:
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD (default: Chunyun start)")
    parser.add_argument("--days", type=int, help="number of days (1-400; default: the season's length)")
    parser.add_argument("--region", help="only this region (jiangxi, national, 江西 ...)")
    parser.add_argument("--min-level", help="lowest level shown: blue, yellow, orange or red")
    parser.add_argument("--cutoff", metavar="DATE", help="forecast live from data up to DATE instead of the current run")
    parser.add_argument("--fail-on", metavar="LEVEL", help="exit 3 when an alert at LEVEL or above exists")


def alerts_for(args):
    """``(envelope, frame)``: every alert in the window (``--min-level`` not yet applied) and the window."""
    from forecast import alerts, registry, runs

    start = parse_date_arg(args.start, "--from")
    cutoff = parse_date_arg(args.cutoff, "--cutoff")
    region = registry.resolve_region(args.region) if args.region else None
    min_level = alerts.parse_level(args.min_level)
    alerts.parse_level(args.fail_on)
    if cutoff is None:
        run = runs.current_run()
        start, days = alerts.resolve_window(start, args.days, run=run)
        frame = alerts.run_alerts(run, start, days, region=region)
        meta = {"run_id": run.id, "data_kind": run.manifest.get("data_kind")}
    else:
        from forecast import calendar, live
        from forecast.store import Store

        start, days = alerts.resolve_window(start, args.days, calendar.season_of(cutoff))
        alerts.check_days(days)  # before fitting every series, not after
        lo, hi = alerts.context_window(start, days)
        forecasts, data_kind = live.forecasts(Store(), cutoff, lo, hi, region)
        frame = alerts.compute_alerts(forecasts, start, days, region=region)
        meta = {"run_id": None, "cutoff": cutoff.date().isoformat(), "data_kind": data_kind}
    envelope = {**meta, "from": pd.Timestamp(start).date().isoformat(), "days": days, "region": region,
                "min_level": min_level}
    return envelope, frame


def _text(frame, envelope) -> str:
    from forecast import alerts, registry
    from forecast.briefing import zh_amount

    head = (f"{len(frame)} alert(s) from {envelope['from']} for {envelope['days']} days"
            f"{' in ' + envelope['region'] if envelope['region'] else ''}"
            f" ({'run ' + envelope['run_id'] if envelope.get('run_id') else 'cutoff ' + str(envelope.get('cutoff'))})")
    if frame.empty:
        return head
    lines = [head]
    for r in frame.itertuples(index=False):
        unit = registry.METRICS[r.metric].unit
        lines.append(f"{r.date:%Y-%m-%d}  {alerts.LEVEL_ZH[r.level]} {r.level:<6} {r.rule:<5} {r.unique_id:<32} "
                     f"{zh_amount(r.yhat, unit):>12} > {zh_amount(r.threshold, unit):<12} p={r.probability:.0%}")
    return "\n".join(lines)


def run(args) -> int:
    from forecast import alerts
    from forecast.formats import frame_records

    envelope, everything = alerts_for(args)
    frame = alerts.at_least(everything, envelope["min_level"])
    if args.fmt == "json":
        sys.stdout.write(to_json({**envelope, "alerts": frame_records(frame)}) + "\n")
    else:
        emit(frame, args.fmt, text=lambda f: _text(f, envelope))
    if args.fail_on and alerts.fail_level_reached(everything, args.fail_on):
        level = alerts.parse_level(args.fail_on)
        log.warning("chunyun alerts: an alert at %s or above exists (--fail-on %s)", level, args.fail_on)
        return EXIT_ALERT
    return 0
