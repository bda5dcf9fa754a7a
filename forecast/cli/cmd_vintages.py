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
    emit(pd.DataFrame(rows), args.fmt)
    return 0
