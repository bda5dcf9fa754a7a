"""A statsmodels model: regression of log counts on the calendar with AR(1) errors.

Two stages (feasible GLS in the Cochrane–Orcutt spirit, far faster than putting some 60 regressors
into a state-space likelihood):

1. ``log y = trend(t) + calendar(t) + e_t`` by ridge least squares, where ``trend`` is piecewise
   linear with a knot every half year up to a year before the cutoff (slopes shrunk towards no
   change) and ``calendar`` is every regressor of :func:`forecast.models.features.regression_columns`
   (Spring Festival profile, holiday position, other holidays, day of week, yearly Fourier terms).
   COVID days (2020-01-10..2023-01-06) get no weight; other days weigh ``decay ** age`` (age in
   whole years before the cutoff), so the calendar effects follow recent seasons.
2. ``e_t`` follows an AR(1), fitted with statsmodels' ``SARIMAX(1, 0, 0)`` on the daily grid (gaps
   are missing values to the Kalman filter); a forecast adds ``phi^h * e_cutoff`` to stage 1.

The trend is extrapolated with the slope of its last segment, capped at +-15% a year.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.models.base import Forecaster
from forecast.models.features import Calendar, covid_mask, design, regression_columns

KNOT_DAYS = 182
MAX_SLOPE = np.log(1.15)  # per year


class CalendarRegression(Forecaster):
    """Ridge regression on calendar regressors plus an AR(1) error (statsmodels SARIMAX)."""

    name = "sm_regression"
    params = ("trend_penalty", "calendar_penalty", "decay")

    def __init__(self, trend_penalty: float = 2.0, calendar_penalty: float = 0.05, decay: float = 0.8):
        self.trend_penalty = trend_penalty
        self.calendar_penalty = calendar_penalty
        self.decay = decay

    def _trend_basis(self, idx: pd.DatetimeIndex) -> np.ndarray:
        t = ((idx - self.t0_).days.to_numpy() / 365.25)[:, None]
        knots = np.asarray(self.knots_, dtype=float)[None, :]
        t_cap = np.minimum(t, self.t_end_)  # extrapolate with the last slope, handled in _predict
        return np.hstack([np.ones_like(t), t_cap, np.maximum(t_cap - knots, 0.0)])

    def _fit(self, hist: pd.DataFrame) -> None:
        h = hist[(hist["y"] > 0) & ~covid_mask(hist["ds"])]
        idx = pd.DatetimeIndex(h["ds"])
        self.t0_ = idx.min()
        self.t_end_ = float((hist["ds"].max() - self.t0_).days / 365.25)
        last_knot = self.t_end_ - 1.0
        self.knots_ = [float(k) for k in np.arange(KNOT_DAYS / 365.25, last_knot, KNOT_DAYS / 365.25)]
        x_cal = design(idx).to_numpy()
        x_tr = self._trend_basis(idx)
        x = np.hstack([x_tr, x_cal])
        y = np.log(h["y"].to_numpy())
        pen = np.zeros(x.shape[1])
        pen[2:x_tr.shape[1]] = self.trend_penalty
        pen[x_tr.shape[1]:] = self.calendar_penalty
        # normal equations with a ridge; scaled by n so penalties do not depend on history length
        # recent years weigh more (decay per year of age): the calendar's effects drift
        age = (hist["ds"].max() - idx).days.to_numpy() / 365.25
        w = self.decay ** np.floor(age)
        n = w.sum()
        xw = x * w[:, None]
        a = xw.T @ x / n + np.diag(pen) / 365.0
        beta = np.linalg.solve(a, xw.T @ y / n)
        self.beta_ = beta
        slope = beta[1] + beta[2:x_tr.shape[1]].sum()
        self.last_slope_ = float(np.clip(slope, -MAX_SLOPE, MAX_SLOPE))
        # stage 2: AR(1) on the residuals over the daily grid
        full = pd.date_range(hist["ds"].min(), hist["ds"].max())
        resid = pd.Series(y - x @ beta, index=idx).reindex(full)
        self.phi_ar_, self.last_resid_ = self._ar1(resid)

    @staticmethod
    def _ar1(resid: pd.Series) -> tuple[float, float]:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        tail = resid.iloc[-3 * 365:]
        if tail.notna().sum() < 60:
            return 0.0, 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = SARIMAX(tail.to_numpy(), order=(1, 0, 0), trend="n").fit(disp=False)
        phi = float(np.clip(res.params[0], -0.99, 0.99))
        last = tail.iloc[-1]
        return phi, float(last) if np.isfinite(last) else 0.0

    def _predict(self, idx: pd.DatetimeIndex, cal: Calendar) -> np.ndarray:
        x = np.hstack([self._trend_basis(idx), design(idx, cal).to_numpy()])
        log_y = x @ self.beta_
        t = (idx - self.t0_).days.to_numpy() / 365.25
        beyond = np.maximum(t - self.t_end_, 0.0)
        log_y = log_y + beyond * self.last_slope_
        h = (idx - self.cutoff_).days.to_numpy()
        ahead = h > 0
        log_y[ahead] += self.last_resid_ * self.phi_ar_ ** h[ahead]
        return np.exp(log_y)

    def _fitted_json(self) -> dict:
        return {"columns": regression_columns(), "t0": self.t0_.date().isoformat(), "t_end": self.t_end_,
                "knots": self.knots_, "beta": self.beta_.tolist(), "last_slope": self.last_slope_,
                "phi": self.phi_ar_, "last_resid": self.last_resid_}

    def _load_fitted(self, fitted: dict) -> None:
        if fitted["columns"] != regression_columns():
            raise ValueError("saved regression columns differ from this version's")
        self.t0_ = pd.Timestamp(fitted["t0"])
        self.t_end_ = float(fitted["t_end"])
        self.knots_ = list(fitted["knots"])
        self.beta_ = np.asarray(fitted["beta"], dtype=float)
        self.last_slope_ = float(fitted["last_slope"])
        self.phi_ar_ = float(fitted["phi"])
        self.last_resid_ = float(fitted["last_resid"])
