"""``chunyun vintages``: the season total and peak as forecast each morning of the season."""

from __future__ import annotations

import pandas as pd

from forecast.cli.output import emit

HELP = "the revision trail: the season total and peak as forecast on each day of the season"
DESCRIPTION = ("As of the eve of the window and each day of it (from the store's real days): the season total "
               "with its 80% interval and the peak day and size the chosen model forecast, beside the outturn.")
FORMATS = ("json", "csv")


def arguments(parser) -> None:
    parser.add_argument("--season", type=int, required=True, help="season (Spring Festival year), e.g. 2025")
    parser.add_argument("--unique-id", dest="unique_id", default="national/cross_regional_trips",
                        help="series (default national/cross_regional_trips)")


def run(args) -> int:
    from forecast import scorecard
    from forecast.errors import NotFound
    from forecast.runs import current_run

    rows = scorecard.select(current_run().scorecard, args.season, args.unique_id)["vintages"]
    if not rows:
        raise NotFound(f"no revision trail for {args.unique_id} season {args.season} in the live run",
                       hint="vintages exist for seasons with real daily figures; `chunyun scorecard` lists them")
    emit(pd.DataFrame(rows), args.fmt, text=_text)
    return 0


def _text(frame: pd.DataFrame) -> str:
    """One line a morning, in 万 (the unit of the published figures), with the error against the outturn."""
    first = frame.iloc[0]
    head = (f"{first['unique_id']} {first['season']} ({first['model']}): outturn {first['actual_total'] / 1e4:,.0f}万, "
            f"peak {first['actual_peak_date']} {first['actual_peak_value'] / 1e4:,.1f}万")
    lines = [head, f"{'as of':<10} {'total 万':>12} {'80% interval 万':>25} {'vs outturn':>10}  {'peak day':<10} {'peak 万':>10}"]
    for r in frame.itertuples(index=False):
        as_of = r.as_of or "eve"
        lines.append(f"{as_of:<10} {r.total / 1e4:>12,.0f} {f'{r.total_lower / 1e4:,.0f}–{r.total_upper / 1e4:,.0f}':>25} "
                     f"{(r.total / r.actual_total - 1) * 100:>+9.2f}%  {r.peak_date:<10} {r.peak_value / 1e4:>10,.1f}")
    return "\n".join(lines)
