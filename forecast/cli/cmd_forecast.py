"""``chunyun forecast``: daily rows ``unique_id, ds, yhat, yhat_lower, yhat_upper`` for one series.

From the current run, unless ``--cutoff`` or ``--as-of`` is given: then the models are fitted live
on the store's data up to that day (``--as-of`` inside a season nowcasts it with the actuals so far).
"""

from __future__ import annotations

from forecast.cli.output import emit, parse_date_arg, text_table

HELP = "daily forecast of one series (from the current run, or live with --cutoff/--as-of)"
DESCRIPTION = ("Daily forecast rows unique_id, ds, yhat, yhat_lower, yhat_upper for one series. Without a range "
               "the next season's Chunyun window is shown.")
FORMATS = ("json", "csv")


def arguments(parser) -> None:
    parser.add_argument("--unique-id", required=True, help="region/metric, e.g. jiangxi/highway_exit_vehicles")
    parser.add_argument("--start", help="first day (YYYY-MM-DD)")
    parser.add_argument("--end", help="last day (YYYY-MM-DD)")
    parser.add_argument("--season", type=int, help="a season's Chunyun window (e.g. 2026)")
    parser.add_argument("--cutoff", help="fit live on data up to this day")
    parser.add_argument("--as-of", dest="as_of", help="nowcast live with actuals up to this day")
    parser.add_argument("--level", type=int, default=80, choices=(80, 95), help="interval level (default 80)")


def run(args) -> int:
    from forecast import calendar
    from forecast.errors import InvalidInput
    from forecast.registry import parse_uid

    if str(args.unique_id).count("/") == 2:  # a toll station: from the current run's station forecasts
        return _station(args)
    region, metric = parse_uid(args.unique_id)
    uid = f"{region}/{metric}"
    start, end = parse_date_arg(args.start, "--start"), parse_date_arg(args.end, "--end")
    cutoff, as_of = parse_date_arg(args.cutoff, "--cutoff"), parse_date_arg(args.as_of, "--as-of")
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"--start {start.date()} is after --end {end.date()}", hint="give --start on or before --end")
    if args.season is not None:
        calendar.season(args.season)
    if cutoff is None and as_of is None:
        from forecast.runs import current_run

        run_ = current_run()
        season = args.season
        if season is None and start is None and end is None:
            season = run_.default_season
        if season is not None:
            s = calendar.season(season)
            start = max(start, _ts(s.chunyun_start)) if start is not None else _ts(s.chunyun_start)
            end = min(end, _ts(s.chunyun_end)) if end is not None else _ts(s.chunyun_end)
        frame = run_.forecast(uid, start, end, args.level)
    else:
        from forecast.engine import forecast_series
        from forecast.store import Store

        store = Store()
        store.require_series(uid)
        model, sigma = live_choice(uid, args.season)
        frame = forecast_series(store.read([uid]), uid, start, end, args.season, cutoff, as_of, args.level,
                                model=model, sigma=sigma)
    emit(frame, args.fmt, text=_text)
    return 0


def live_choice(uid: str, season: int | None) -> tuple[str | None, float | None]:
    """The live run's model choice for a live fit, so that it forecasts what the run would; the
    engine's default when there is no run yet."""
    run = _live_run()
    return run.choice(uid, season) if run is not None else (None, None)


def live_mode_rule(region: str, season: int | None) -> str:
    """The live run's rule for the modes' season totals (:mod:`forecast.mode_totals`); the default
    when there is no run yet."""
    from forecast import mode_totals

    run = _live_run()
    return run.mode_rule(region, season) if run is not None else mode_totals.DEFAULT


def _live_run():
    """The current run, or None before the first one."""
    from forecast.errors import NotReady
    from forecast.runs import current_run

    try:
        return current_run()
    except NotReady:
        return None


def _station(args) -> int:
    from forecast import calendar
    from forecast.errors import Unprocessable
    from forecast.runs import current_run
    from forecast.stations.serve import StationView

    if args.cutoff or args.as_of:
        raise Unprocessable("station forecasts come from the current run; --cutoff/--as-of fit province series only",
                            hint="retrain with `chunyun train --cutoff D` for station forecasts from another cutoff")
    rows = StationView(current_run()).series(args.unique_id)
    start, end = parse_date_arg(args.start, "--start"), parse_date_arg(args.end, "--end")
    if args.season is not None:
        s = calendar.season(args.season)
        start, end = start or _ts(s.chunyun_start), end or _ts(s.chunyun_end)
    if start is not None:
        rows = rows[rows["ds"] >= start]
    if end is not None:
        rows = rows[rows["ds"] <= end]
    lv = args.level
    frame = rows[["unique_id", "ds", "yhat", f"yhat_lower_{lv}", f"yhat_upper_{lv}"]].rename(
        columns={f"yhat_lower_{lv}": "yhat_lower", f"yhat_upper_{lv}": "yhat_upper"}).reset_index(drop=True)
    emit(frame, args.fmt, text=_text)
    return 0


def _ts(d):
    import pandas as pd

    return pd.Timestamp(d)


def _text(frame) -> str:
    wan = {"yhat": "yhat(万)", "yhat_lower": "lower(万)", "yhat_upper": "upper(万)"}
    return text_table(frame.rename(columns=wan), "no forecast rows in that range",
                      **{col: (lambda v: (v / 1e4).round(1)) for col in wan.values()})
