"""Prophet on log counts with the Chunyun calendar as regressors.

``log y = trend + weekly + yearly + sum(beta_k * x_k)`` where ``x_k`` are the calendar regressors
of :mod:`forecast.models.features` (the Spring Festival offset profile, the place in the holiday
block, make-up workdays, toll-free days, other public holidays). We build these ourselves rather
than passing a ``holidays`` library frame, whose make-up days become one-off regressors that do not
generalise (see STACK_NOTES). COVID days (2020-01-10..2023-01-06) are left out of the fit.

Prophet runs with ``uncertainty_samples=0`` (a fit is MAP, about a second); intervals come from the
shared residual model of :class:`forecast.models.base.Forecaster`. Saved with
``prophet.serialize.model_to_json`` inside our versioned JSON.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from forecast.models.base import Forecaster
from forecast.models.features import OFFICIAL, Calendar, calendar_columns, covid_mask, design

for _name in ("prophet", "prophet.plot", "cmdstanpy"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def _prophet():
    logging.getLogger("prophet.plot").disabled = True
    from prophet import Prophet

    for name in ("prophet", "cmdstanpy"):  # cmdstanpy resets its level when imported
        logging.getLogger(name).setLevel(logging.ERROR)
    return Prophet


class ProphetDaily(Forecaster):
    """Prophet with our calendar regressors, fitted on log y."""

    name = "prophet"
    params = ("yearly_order", "changepoint_prior_scale", "regressor_prior_scale", "changepoint_range")

    def __init__(self, yearly_order: int = 8, changepoint_prior_scale: float = 0.05,
                 regressor_prior_scale: float = 1.0, changepoint_range: float = 0.95):
        self.yearly_order = yearly_order
        self.changepoint_prior_scale = changepoint_prior_scale
        self.regressor_prior_scale = regressor_prior_scale
        self.changepoint_range = changepoint_range

    def _frame(self, idx: pd.DatetimeIndex, cal: Calendar) -> pd.DataFrame:
        x = design(idx, cal)[calendar_columns()].reset_index(drop=True)
        x.insert(0, "ds", pd.DatetimeIndex(idx))
        return x

    def _fit(self, hist: pd.DataFrame) -> None:
        keep = ~covid_mask(hist["ds"]) & (hist["y"] > 0)
        h = hist[keep]
        frame = self._frame(pd.DatetimeIndex(h["ds"]), OFFICIAL)
        frame["y"] = np.log(h["y"].to_numpy())
        Prophet = _prophet()
        m = Prophet(growth="linear", yearly_seasonality=self.yearly_order, weekly_seasonality=3,
                    daily_seasonality=False, changepoint_prior_scale=self.changepoint_prior_scale,
                    changepoint_range=self.changepoint_range, uncertainty_samples=0)
        for col in calendar_columns():
            m.add_regressor(col, prior_scale=self.regressor_prior_scale, standardize=False)
        m.fit(frame)
        self.model_ = m

    def _predict(self, idx: pd.DatetimeIndex, cal: Calendar) -> np.ndarray:
        out = self.model_.predict(self._frame(idx, cal))
        return np.exp(out["yhat"].to_numpy())

    def _fitted_json(self) -> dict:
        from prophet.serialize import model_to_json

        return {"prophet": model_to_json(self.model_)}

    def _load_fitted(self, fitted: dict) -> None:
        _prophet()
        from prophet.serialize import model_from_json

        self.model_ = model_from_json(fitted["prophet"])
