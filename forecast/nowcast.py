"""The in-season update of a season forecast from the actuals to date (the *nowcast*).

The season-ahead forecast of a day misses by ``e_t = log(actual_t / forecast_t)``. That error has
two parts: a *level* shared by the whole season (the season total's error) and a *shape* deviation
that is strongly autocorrelated from one day to the next. The update estimates each:

- the level: ``L = w * log(sum actual / sum forecast)`` over the ``n`` observed days, shrunk
  towards 0 with ``w = n / (n + shrink_days)`` (the rule the nowcast always had);
- the deviation of the most recent observed day, ``e_last - L``, carried forward as an AR(1):
  a day ``h`` days after it is multiplied by ``exp(L + phi**h * (e_last - L))``.

``phi`` would be the AR(1) coefficient of the daily model's own log residuals (``phi_``, the one
its intervals and sample paths already assume), so the update adds no parameter fitted on
outcomes. With ``phi = 0`` the update is the single level ratio, exactly, and that is the engine's
default: on the real days the model's ``phi_`` (0.87-0.92) helped the next day over a whole season
(2025: one-day-ahead MAPE 7.41% -> 5.72%) but moved the season total too far after 10 and 20 days
in both real seasons (in-season errors of 2024 have a lag-one autocorrelation of about 0.58).
Choosing ``phi`` from the real seasons before the one forecast needs a second real season to judge
it. Far from the last observed day ``phi**h`` vanishes and the level alone remains; the season's
shape beyond the next few days is still the eve's.

The spread of a day is not narrowed by the recent errors (see :func:`update`): on the 40 real
days of 2024 (11 published, 29 derived) the AR(1) conditional spread put 45% of the one-day-ahead
actuals inside the 80% band, the unchanged spread 80% (``bench/nowcast_real_days.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SHRINK_DAYS = 7.0


@dataclass(frozen=True)
class Update:
    """The nowcast of one season: ``yhat`` (observed days: their actuals), the per-day log ratio
    applied to the forecast (0 on observed days), the level's log ratio and weight, and the level's
    remaining log sd."""

    yhat: np.ndarray
    log_ratio: np.ndarray
    level: float
    weight: float
    level_sd: float


def level_ratio(actual: np.ndarray, forecast: np.ndarray, observed: np.ndarray, shrink_days: float = SHRINK_DAYS):
    """``(L, w)``: the shrunk log ratio of the observed days' sum of actuals to their forecast, and
    its weight ``n / (n + shrink_days)``; ``(0, w)`` when either sum is not positive."""
    n = int(observed.sum())
    w = n / (n + shrink_days) if n else 0.0
    a, f = float(np.nansum(actual[observed])), float(forecast[observed].sum())
    return (w * math.log(a / f) if a > 0 and f > 0 else 0.0), w


def ar_deviation(actual: np.ndarray, forecast: np.ndarray, observed: np.ndarray, level: float, phi: float) -> np.ndarray:
    """Per day: ``phi**h * (e - level)`` with ``e`` the log error of the last observed day on or
    before it and ``h`` the days since then; 0 on observed days and before the first one.

    Only days *before* a day inform it, so a one-day-ahead forecast uses actuals up to the day
    before. A gap in the observed days decays from the observed day before the gap.
    """
    phi = min(max(float(phi), 0.0), 0.999)
    out = np.zeros(len(forecast))
    seen = np.flatnonzero(observed)
    if not len(seen) or phi == 0.0:
        return out
    idx = np.arange(len(forecast))
    k = np.searchsorted(seen, idx, side="right") - 1
    last = seen[np.maximum(k, 0)]
    ok = (actual[last] > 0) & (forecast[last] > 0)  # nan-safe: a nan actual compares False
    e = np.log(np.where(ok, actual[last], 1.0) / np.where(ok, forecast[last], 1.0))
    dev = np.where(ok, e - level, 0.0)
    return np.where((k >= 0) & ~observed, phi ** (idx - last) * dev, 0.0)


def update(forecast: np.ndarray, actual: np.ndarray, observed: np.ndarray, phi: float, level_sd: float,
           shrink_days: float = SHRINK_DAYS) -> Update:
    """The season's curve updated with the observed days (see the module doc).

    ``forecast``: the season-ahead curve (reconciled to the season total); ``actual``: the actuals
    aligned on it (NaN where unknown); ``observed``: which days are known; ``phi``: the AR(1)
    coefficient of the daily log errors; ``level_sd``: the season level's log sd before any day
    was seen. The level's sd shrinks by ``sqrt(1 - w)``; the day's shape sd is left to the caller
    unchanged: the AR(1)'s conditional spread ``sigma * sqrt(1 - phi**2h)`` assumes the model's
    ``phi`` describes the in-season errors, and on the 2024 days it did not (the lag-one
    autocorrelation of their errors was about 0.58 against the model's 0.92; see the module doc).
    """
    observed = np.asarray(observed, dtype=bool)
    forecast = np.asarray(forecast, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if not observed.any():
        return Update(forecast.copy(), np.zeros(len(forecast)), 0.0, 0.0, float(level_sd))
    level, w = level_ratio(actual, forecast, observed, shrink_days)
    log_ratio = np.where(observed, 0.0, level + ar_deviation(actual, forecast, observed, level, phi))
    yhat = np.where(observed, np.nan_to_num(actual), forecast * np.exp(log_ratio))
    return Update(yhat, log_ratio, level, w, float(level_sd) * math.sqrt(max(1.0 - w, 0.0)))
