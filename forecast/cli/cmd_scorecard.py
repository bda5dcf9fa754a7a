"""``chunyun scorecard``: every model against the published real days, from the live run."""

from __future__ import annotations

from forecast.cli.output import emit

HELP = "every model's season-aligned forecast against the real published days"
DESCRIPTION = ("For every season with real published daily figures: each model's daily MAPE and 80% band "
               "coverage on the real days, season total, peak day and size, beside the naive (the last real "
               "season on the lunar calendar) and the official forecasts; the chosen model's nowcast after "
               "10/20/30 days and one day ahead against the ministry's same-day estimates. Metrics on the "
               "sample are listed apart and labelled sample.")
FORMATS = ("json",)


def arguments(parser) -> None:
    parser.add_argument("--season", type=int, help="only this season (Spring Festival year)")
    parser.add_argument("--unique-id", dest="unique_id", help="only this series, e.g. national/cross_regional_trips")


def run(args) -> int:
    from forecast import scorecard
    from forecast.runs import current_run

    run_ = current_run()
    card = scorecard.select(run_.scorecard, args.season, args.unique_id)
    emit({"run_id": run_.id, **card}, args.fmt, text=_text)
    return 0


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:+.1f}%"


def _text(card: dict) -> str:
    lines = [f"scorecard of run {card['run_id']} (real days only; sample metrics apart)"]
    for r in card["real"]:
        mark = "*" if r["chosen"] else " "
        lines.append(f"{mark} {r['unique_id']} {r['season']} {r['model']:<14} MAPE {r['mape']:5.2f}% "
                     f"(naive at its total {r.get('naive_mape', float('nan')):5.2f}%)  80% band {r['inside_80']}/"
                     f"{r['days_real'] + r['days_derived']}  total {_pct(r['total_error_pct'])}  "
                     f"peak {r['peak_date']} ({r['peak_day_error']:+d} d, {_pct(r['peak_value_error_pct'])})")
    for r in card["nowcast"]:
        lines.append(f"  nowcast {r['unique_id']} {r['season']} after {r['after_days']} days: remaining MAPE "
                     f"{r['remaining_mape']}%, total {_pct(r['total_error_pct'])}")
    for r in card["one_day_ahead"]:
        lines.append(f"  one day ahead {r['unique_id']} {r['season']}: MAPE {r['mape']}% over {r['days']} days; "
                     f"on the {r.get('ministry_days', 0)} days with a ministry estimate {r.get('model_mape_on_ministry_days')}% "
                     f"vs the ministry's {r.get('ministry_mape')}%")
    for r in card["official"]:
        lines.append(f"  official {r['unique_id']} {r['season']} forecast {r['value'] / 1e8:.2f}亿 ({r['published']}, "
                     f"{r['source']}): {_pct(r['error_pct'])}")
    lines.append("* = the model chosen for that season (from the real seasons before it); '*' rows are what the run serves")
    return "\n".join(lines)
