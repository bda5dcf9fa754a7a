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
2024 shares were within 3% of 2025's). Which rule a season uses is decided on the real seasons before it,
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
    """Per mode, the factor on its days still to come that splits the total's days still to come by
    the shares: before the season, each mode's total becomes the total's forecast times its share;
    in a nowcast the observed days keep their actuals and only the rest is split, so a mode's total
    moves on smoothly from the eve instead of falling back to its own model on day one. Empty
    (nothing to change) without shares or without the total and every mode."""
    if not shares or TOTAL_METRIC not in forecasts or not all(m in forecasts and m in shares for m in MODES):
        return {}
    top = forecasts[TOTAL_METRIC].frame
    rest = ~top["observed"].to_numpy()
    top_rest = float(top["yhat"].to_numpy()[rest].sum())
    ratios = {}
    for m in MODES:
        mode_rest = float(forecasts[m].frame["yhat"].to_numpy()[rest].sum())
        if mode_rest > 0 and top_rest > 0:
            ratios[m] = top_rest * shares[m] / mode_rest
    return ratios


__all__ = ["RULES", "DEFAULT", "last_shares", "shares_at", "share_ratios"]
