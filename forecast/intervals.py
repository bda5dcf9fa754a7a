"""The 80/95 prediction frames and the season total's bounds, shared by :mod:`forecast.engine` and
:mod:`forecast.train`.

A prediction frame is ``ds, yhat, yhat_lower_80, yhat_upper_80, yhat_lower_95, yhat_upper_95`` (one
lower/upper pair per level of ``LEVEL_Z``): :func:`level_frame` takes a fitted daily model's own
intervals (days outside the Chunyun windows, the baseline); :func:`lognormal_frame` puts a
lognormal interval around a reconciled curve (a season's window); :func:`total_bounds` gives the
season total's intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecast.models import Forecaster
from forecast.models.base import LEVEL_Z


def level_frame(model: Forecaster, days) -> pd.DataFrame:
    """``model``'s forecast of ``days`` at every level: ``yhat`` (the first level's) and each level's
    ``yhat_lower_<level>``, ``yhat_upper_<level>``."""
    frame = pd.DataFrame({"ds": pd.DatetimeIndex(days)})
    for level in LEVEL_Z:
        p = model.predict(days, level)
        if "yhat" not in frame.columns:
            frame["yhat"] = p["yhat"].to_numpy()
        frame[f"yhat_lower_{level}"] = p["yhat_lower"].to_numpy()
        frame[f"yhat_upper_{level}"] = p["yhat_upper"].to_numpy()
    return frame


def lognormal_frame(ds, yhat, log_sd, observed) -> pd.DataFrame:
    """``yhat`` with ``yhat * exp(-+z * log_sd)`` at every level, and the ``observed`` flags."""
    frame = pd.DataFrame({"ds": pd.DatetimeIndex(ds), "yhat": yhat})
    for level, z in LEVEL_Z.items():
        frame[f"yhat_lower_{level}"] = yhat * np.exp(-z * log_sd)
        frame[f"yhat_upper_{level}"] = yhat * np.exp(z * log_sd)
    frame["observed"] = observed
    return frame


def total_bounds(yhat: np.ndarray, observed: np.ndarray, level_sd: float, sigma: float, phi: float) -> dict:
    """Season total intervals: actuals fixed, the remaining sum lognormal.

    The remaining days' sum has log-sd ``sqrt(level_sd^2 + sigma^2 * (1+phi)/(1-phi) / n)`` (the
    level shock is shared; AR(1) day noise averages out over ``n`` days).
    """
    fixed = float(yhat[observed].sum())
    rest = float(yhat[~observed].sum())
    n = int((~observed).sum())
    sd = math.sqrt(level_sd**2 + (sigma**2 * (1 + phi) / max(1 - phi, 1e-3) / n if n else 0.0))
    return {level: (fixed + rest * math.exp(-z * sd), fixed + rest * math.exp(z * sd)) for level, z in LEVEL_Z.items()}
