"""The season's shape from the real national days, where a season has them (ASSUMPTIONS.md §6a).

The ministry's daily figures (``data/reference/days.csv``, :mod:`forecast.realdays`) cover the
national modes of seasons 2024 and 2025. For such a season the hand-set shape (:data:`SHAPES`) is
replaced by the real national curve of the matching mode (:data:`REAL_SOURCE`; expressway exits
follow self-driving), read through the as-of view: only ``ok`` actual days of season S published
before ``chunyun_start(S + 1)`` (:func:`~forecast.sample.asof._cutoff`). So the real 2024 days shape
season 2024 and the real 2025 days season 2025; no real day shapes a value dated before the season
it belongs to (2024-01-26), and the 2024 days derived from the 2025 pages (published from
2025-01-16) shape nothing.

A window day without a real figure keeps the hand-set shape, corrected by the real/hand-set ratio
interpolated (in logs) between the nearest real days. Jiangxi takes the national curve with its
stated deviation on the lunar axis (:data:`REGION_TWEAK`, :data:`REGION_METRIC_TWEAK`): the
pre-festival deviations scaled by the first factor, the return wave (above-average days from 初二
on, fading out from 正月十五 to the window's end) by the second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.registry import MODES
from forecast.sample.asof import _cutoff
from forecast.sample.assumptions import (
    HIGHWAY,
    REGION_METRIC_TWEAK,
    REGION_TWEAK,
    SELFDRIVE,
    TOLL_FREE_UPLIFT,
)
from forecast.sample.shapes import _Calendar, _shape

# generated metric -> the national real series its season shape follows
REAL_SOURCE = {**{m: m for m in MODES}, HIGHWAY: SELFDRIVE}

RealCurves = dict  # (season, metric) -> real national values over the window, NaN where none was public


def _default_days(days: pd.DataFrame | None) -> pd.DataFrame:
    if days is not None:
        return days
    from forecast.realdays import load_days

    return load_days(kinds="actual")


def _real_curves(days: pd.DataFrame, cal: _Calendar) -> RealCurves:
    """The real national days of each window, as a forecaster saw them when the next season opened."""
    rows = days[(days["kind"] == "actual") & (days["status"] == "ok") & (days["measure"] == "daily")
                & days["unique_id"].isin([f"national/{m}" for m in MODES])]
    out: RealCurves = {}
    for season, w in cal.windows.items():
        sel = rows[(rows["season"] == season) & (rows["published"] < _cutoff(season))]
        for metric, g in sel.groupby("metric"):
            idx = cal.days.get_indexer(pd.DatetimeIndex(g["ds"]))
            inside = (idx >= w.start) & (idx <= w.end)
            if not inside.any():
                continue
            curve = np.full(w.end - w.start + 1, np.nan)
            curve[idx[inside] - w.start] = g["value"].to_numpy(dtype=float)[inside]
            out[(season, str(metric))] = curve
    return out


def _national_real(metric: str, season: int, cal: _Calendar, curves: RealCurves) -> np.ndarray | None:
    """The national shape (mean 1) that follows the real curve of ``metric``'s source mode."""
    src = REAL_SOURCE[metric]
    real = curves.get((season, src))
    if real is None:
        return None
    hand = _shape(src, "national", season, cal)
    known = np.flatnonzero(np.isfinite(real) & (real > 0))
    ratio = np.log(real[known] / hand[known])
    y = hand * np.exp(np.interp(np.arange(len(hand)), known, ratio))  # exactly the real curve where it is known
    if metric == HIGHWAY:  # expressway exits gain more on toll-free days than self-driving trips do
        w = cal.windows[season]
        toll_free = cal.feat["is_toll_free"][w.start:w.end + 1]
        y = y * (1 + (TOLL_FREE_UPLIFT[HIGHWAY] - TOLL_FREE_UPLIFT[SELFDRIVE]) * toll_free)
    return y / y.mean()


def _region_deviation(nat: np.ndarray, metric: str, region: str, season: int, cal: _Calendar) -> np.ndarray:
    """The region's deviation from the national shape, on the lunar axis (mean 1)."""
    pre_scale, ret_scale = REGION_METRIC_TWEAK.get((region, metric), REGION_TWEAK[region])
    if (pre_scale, ret_scale) == (1.0, 1.0):
        return nat
    w = cal.windows[season]
    o = cal.feat["offset"][w.start:w.end + 1]
    tail = np.interp(o, (14, 24), (1.0, 0.0))  # the return wave's deviation fades like the hand-set one
    ret = 1 + (ret_scale - 1) * tail
    dev = nat - 1
    y = np.where(o <= -2, 1 + dev * pre_scale, nat)
    y = np.where((o >= 1) & (dev > 0), 1 + dev * ret, y)
    return y / y.mean()


def _real_shape(metric: str, region: str, season: int, cal: _Calendar, curves: RealCurves) -> np.ndarray | None:
    """The season's daily multiplier (mean 1) from the real national days; None without them."""
    nat = _national_real(metric, season, cal, curves)
    return None if nat is None else _region_deviation(nat, metric, region, season, cal)
