"""How each mode's season total is set before the modes are reconciled to the total.

Two rules, chosen per region and season by :func:`forecast.selection.choose_mode_rule`:

- ``own``: each mode keeps its own season-total model (:mod:`forecast.season_totals`), and the
  day-by-day top-down reconciliation keeps the modes' proportions of those totals;
- ``share``: the total's forecast is split by the modes' shares of the last complete normal season
  before the cutoff (top-down with historical proportions, the window one season), then reconciled
  day by day as before.

Why both: a mode's own model extrapolates its own trend. That serves the sample's smooth seasons,
where the shares drift steadily, but it carries the operating modes' post-COVID break into the
seasons after it (rail, road and water 10-14% low in 2025 against the published days, while the
2024 shares were within 3%). Which rule a season uses is decided on the real seasons before it,
as the daily models are; a region with none keeps ``own``.
"""

from __future__ import annotations

import pandas as pd

from forecast import reference
from forecast.calendar import COVID_SEASONS
from forecast.registry import MODES, TOTAL_METRIC, make_uid
from forecast.season_totals import history_totals

RULES: tuple[str, ...] = ("own", "share")
DEFAULT = "own"


def last_shares(totals: dict[str, pd.Series], before: int) -> dict[str, float] | None:
    """Each mode's share of the modes' sum in the last normal season before ``before`` in which every
    mode has a total (``totals``: mode -> season totals); None when there is no such season."""
    common = set.intersection(*(set(int(s) for s in t.index) for t in totals.values())) if totals else set()
    seasons = sorted(s for s in common if s < before and s not in COVID_SEASONS)
    if not seasons:
        return None
    last = seasons[-1]
    values = {m: float(t[last]) for m, t in totals.items()}
    whole = sum(values.values())
    return {m: v / whole for m, v in values.items()} if whole > 0 else None


def shares_at(history: pd.DataFrame, region: str, season: int, cutoff) -> dict[str, float] | None:
    """The modes' last shares known at ``cutoff`` for ``season`` (``history``: long ``unique_id, ds, y``)."""
    cut = pd.Timestamp(cutoff)
    totals = {}
    for mode in MODES:
        uid = make_uid(region, mode)
        rows = history[(history["unique_id"] == uid) & (pd.to_datetime(history["ds"]) <= cut)]
        if rows.empty:
            return None
        totals[mode] = history_totals(rows, cut, reference.published_totals(uid))
    return last_shares(totals, int(season))


def share_ratios(forecasts: dict, shares: dict[str, float] | None) -> dict[str, float]:
    """Per mode, the factor that brings its season total to the total's forecast times its share.

    Empty (nothing to change) without shares, without the total and every mode, or once a day of
    the season is observed: a nowcast's own actuals know more than last season's shares.
    """
    if not shares or TOTAL_METRIC not in forecasts or not all(m in forecasts and m in shares for m in MODES):
        return {}
    group = [forecasts[m] for m in (TOTAL_METRIC, *MODES)]
    if any(fc.frame["observed"].any() for fc in group):
        return {}
    top = forecasts[TOTAL_METRIC].total
    return {m: top * shares[m] / forecasts[m].total for m in MODES if forecasts[m].total > 0}


__all__ = ["RULES", "DEFAULT", "last_shares", "shares_at", "share_ratios"]
