"""``chunyun summary``: a region's season at a glance (totals, peaks, peak odds, record odds).

From the current run unless ``--cutoff``/``--as-of`` is given; then the models are fitted live on
the store's data up to that day (``run_id`` is null).
"""

from __future__ import annotations

from forecast.cli.output import emit, parse_date_arg

HELP = "season summary of a region (totals with 80%% intervals, peak day and odds)"
DESCRIPTION = ("Per metric: season total with its 80% interval, year-on-year change, daily average, peak day "
               "and value, the three likeliest peak days and the probability of a record day.")
FORMATS = ("json",)


def arguments(parser) -> None:
    parser.add_argument("--region", required=True, help="region name or alias (jiangxi, 江西, national, 全国)")
    parser.add_argument("--season", required=True, type=int, help="season (Spring Festival year), e.g. 2026")
    parser.add_argument("--cutoff", help="fit live on data up to this day")
    parser.add_argument("--as-of", dest="as_of", help="nowcast live with actuals up to this day")


def run(args) -> int:
    from forecast import calendar
    from forecast.registry import resolve_region

    region = resolve_region(args.region)
    calendar.season(args.season)
    cutoff, as_of = parse_date_arg(args.cutoff, "--cutoff"), parse_date_arg(args.as_of, "--as-of")
    if cutoff is None and as_of is None:
        from forecast.runs import current_run

        summary = current_run().summary(region, args.season)
    else:
        from forecast.engine import summarize
        from forecast.errors import NotFound
        from forecast.registry import all_uids
        from forecast.store import Store

        store = Store()
        uids = [u for u in all_uids([region]) if store.has_series(u)]
        if not uids:
            raise NotFound(f"no stored series for region {region}", hint="`chunyun series` lists the stored series")
        history = store.read(uids)
        from forecast.cli.cmd_forecast import live_choice, live_mode_rule

        choices = {u: live_choice(u, args.season) for u in uids}
        summary = summarize(history, region, args.season, cutoff, as_of, workers=2, choices=choices,
                            mode_rule=live_mode_rule(region, args.season))
    emit(summary, args.fmt, text=_text)
    return 0


def _text(s: dict) -> str:
    lines = [f"{s['region']} season {s['season']} (cutoff {s['cutoff']}, {s['data_kind']} data, run {s['run_id'] or 'live'})"]
    for metric, m in s["metrics"].items():
        yoy = f"{m['yoy_pct']:+.1f}%" if m.get("yoy_pct") is not None else "n/a"
        peaks = ", ".join(f"{p['date']} {p['p']:.0%}" for p in m["peak_probabilities"])
        lines.append(f"  {metric}: {m['total'] / 1e4:,.0f}万 [{m['total_lower'] / 1e4:,.0f}–{m['total_upper'] / 1e4:,.0f}] "
                     f"yoy {yoy}; peak {m['peak_date']} {m['peak_value'] / 1e4:,.1f}万 ({peaks}); "
                     f"p_record {m['p_record']}; {m['model']}")
    return "\n".join(lines)
