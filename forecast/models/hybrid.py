"""The calendar regression and the lunar-aligned profile of several seasons, blended.

Inside the Spring Festival travel window (offsets -30..+40 days) each day is the weighted geometric
mean of :class:`~forecast.models.sm_model.CalendarRegression` and a
:class:`~forecast.models.profile.LunarProfile` averaged over the last ``templates`` normal seasons
(averaging seasons removes most of a single template's noise; the regression brings the weekday and
holiday-position effects learnt over every season); elsewhere it is the regression alone.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from forecast.models.base import Forecaster
from forecast.models.features import Calendar
from forecast.models.profile import WINDOW, LunarProfile
from forecast.models.sm_model import CalendarRegression


class HybridDaily(Forecaster):
    """``exp(weight * log profile + (1 - weight) * log regression)`` in the window, regression outside."""

    name = "hybrid"
    params = ("templates", "weight")

    def __init__(self, templates: int = 3, weight: float = 0.75):
        self.templates = templates
        self.weight = weight

    def _fit(self, hist: pd.DataFrame) -> None:
        self.regression_ = CalendarRegression().fit(hist)
        self.profile_ = LunarProfile(self.templates).fit(hist)
        self.level_sigma_ = self.regression_.level_sigma_

    def _predict(self, idx: pd.DatetimeIndex, cal: Calendar) -> np.ndarray:
        reg = np.maximum(self.regression_._predict(idx, cal), 1e-9)
        f = cal.features(idx)
        seasons = f["season"].to_numpy()
        first = min(self.profile_.seasons_) if self.profile_.seasons_ else None
        blend = ((f["offset"] >= WINDOW[0]) & (f["offset"] <= WINDOW[1])).to_numpy()
        blend &= (first is not None) & (seasons > (first if first is not None else 0))
        out = reg.copy()
        if blend.any() and self.weight > 0:
            prof = np.maximum(self.profile_._predict(idx[blend], cal), 1e-9)
            out[blend] = np.exp(self.weight * np.log(prof) + (1 - self.weight) * np.log(reg[blend]))
        return out

    def _fitted_json(self) -> dict:
        return {"regression": json.loads(self.regression_.to_json()), "profile": json.loads(self.profile_.to_json())}

    def _load_fitted(self, fitted: dict) -> None:
        self.regression_ = CalendarRegression._from_body(fitted["regression"])
        self.profile_ = LunarProfile._from_body(fitted["profile"])
