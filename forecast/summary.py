"""One metric's entry of the summary contract, from a season forecast: the total and its 80%
bounds, year on year, the peak, and the peak statistics of simulated paths (the probability of
each day being the season's peak, ``p_record``). :func:`forecast.engine.summary_of` puts a region's
metrics together; :mod:`forecast.engine` re-exports :func:`metric_summary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from forecast.registry import METRICS, parse_uid

if TYPE_CHECKING:
    from forecast.engine import SeasonForecast


def peak_stats(fc: SeasonForecast, n: int | None = None) -> tuple[list[dict], float]:
    """The three likeliest peak days (``date``, ``p``) and ``p_record`` from ``n`` simulated paths
    (default: ``SeasonForecast.paths``' own number)."""
    paths = fc.paths() if n is None else fc.paths(n)  # simulated around frame["yhat"], already reconciled
    arg = paths.argmax(axis=1)
    counts = np.bincount(arg, minlength=paths.shape[1]) / paths.shape[0]
    top = np.argsort(-counts, kind="stable")[:3]
    ds = fc.frame["ds"]
    probs = [{"date": ds.iloc[i].date().isoformat(), "p": round(float(counts[i]), 4)} for i in top if counts[i] > 0]
    p_record = float((paths.max(axis=1) > fc.record).mean()) if np.isfinite(fc.record) else None
    return probs, p_record


def metric_summary(fc: SeasonForecast) -> dict:
    """One metric's entry of the summary contract."""
    metric = parse_uid(fc.unique_id)[1]
    f = fc.frame
    peak = int(f["yhat"].to_numpy().argmax())
    probs, p_record = peak_stats(fc)
    lo, hi = fc.total_bounds[80]
    return {
        "unit": METRICS[metric].unit,
        "total": fc.total,
        "total_lower": float(lo),
        "total_upper": float(hi),
        "yoy_pct": (fc.total / fc.previous_total - 1.0) * 100.0 if fc.previous_total else None,
        "daily_avg": fc.total / len(f),
        "peak_date": f["ds"].iloc[peak].date().isoformat(),
        "peak_value": float(f["yhat"].iloc[peak]),
        "peak_probabilities": probs,
        "p_record": None if p_record is None else round(p_record, 4),
        "model": fc.model,
    }
