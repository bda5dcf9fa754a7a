"""What the history says happened: a season's actuals per metric, and season totals per metric.

:mod:`forecast.plots` and the notebooks lay these out; nothing here formats or forecasts.
"""

from __future__ import annotations

import pandas as pd

from forecast import calendar, provenance, registry
from forecast.registry import METRICS
from forecast.season_totals import history_totals


def season_actuals(history: pd.DataFrame, region: str, season: int, cutoff=None) -> dict:
    """What the history says about ``season``'s Chunyun window, in the summary contract's shape.

    Per metric: ``unit, total, yoy_pct, daily_avg, peak_date, peak_value, days`` (days observed)
    and ``model="actual"``. Only days up to ``cutoff`` count; a metric with no day in the window
    is left out, a partial window gives partial totals (``days`` says how many).
    """
    region = registry.resolve_region(region)
    s = calendar.season(int(season))
    prev = calendar.season(int(season) - 1)
    h = history[history["unique_id"].astype(str).str.startswith(f"{region}/")]
    if cutoff is not None:
        h = h[pd.to_datetime(h["ds"]) <= pd.Timestamp(cutoff)]
    out: dict = {}
    for uid, g in h.groupby("unique_id"):
        metric = registry.parse_uid(uid)[1]
        y = g.set_index(pd.to_datetime(g["ds"]))["y"].sort_index()
        now = y[pd.Timestamp(s.chunyun_start):pd.Timestamp(s.chunyun_end)]
        if now.empty:
            continue
        before = y[pd.Timestamp(prev.chunyun_start):pd.Timestamp(prev.chunyun_end)]
        n_prev = prev.length
        full = s.length
        yoy = (now.sum() / before.sum() - 1) * 100 if len(before) == n_prev and len(now) == full and before.sum() > 0 else None
        out[metric] = {"unit": METRICS[metric].unit, "total": float(now.sum()), "total_lower": None, "total_upper": None,
                       "yoy_pct": yoy, "daily_avg": float(now.mean()), "peak_date": now.idxmax().date().isoformat(),
                       "peak_value": float(now.max()), "peak_probabilities": [], "p_record": None, "model": "actual",
                       "days": int(len(now))}
    return {"region": region, "season": int(season), "cutoff": None if cutoff is None else str(pd.Timestamp(cutoff).date()),
            "data_kind": provenance.frame_kind(h), "run_id": None, "metrics": out}


def season_totals_by_metric(history: pd.DataFrame, region: str, metrics) -> dict[str, pd.Series]:
    """Chunyun window totals (base units, indexed by season) of each of ``metrics`` the history has
    for ``region``; a season counts when at least 95% of its window is there
    (:func:`forecast.season_totals.history_totals`)."""
    region = registry.resolve_region(region)
    out = {}
    for name in metrics:
        g = history[history["unique_id"] == f"{region}/{name}"]
        if len(g):
            out[name] = history_totals(g[["ds", "y"]])
    return out
