"""The forecaster contract shared by every daily model.

``__init__`` only stores parameters. ``fit(history) -> self`` checks the frame (``ds, y`` and at
most one ``unique_id``) and calls ``_fit``; ``predict(dates, level=80, cal=OFFICIAL)`` checks the
dates and calls ``_predict(idx, cal)`` for the point forecast on the calendar ``cal``
(:class:`forecast.models.features.Calendar`: the official one, or one with a season changed, as the
scenarios pass), then adds an interval from the residual model; fitted attributes end in ``_`` and
predicting never changes them. Models are saved as versioned JSON (``to_json`` / :func:`from_json`),
never pickled.

Uncertainty is modelled the same way for every model, on the log scale:

- ``sigma_``: the standard deviation of a day's log residual (the "shape" error of one day),
- ``phi_``: the lag-one autocorrelation of those residuals (an AR(1)),
- ``level_sigma_``: the standard deviation of a season's level error one year ahead; a forecast
  ``h`` days after the cutoff carries ``level_sigma_ * sqrt(max(h, 30) / 365)`` of level error,
  shared by every day of a path.

``predict`` returns ``yhat * exp(+-z * sd)`` with ``sd = sqrt(sigma_^2 + level_sd(h)^2)``;
``sample_paths`` draws the same distribution with the AR(1) correlation and the shared level shock,
which is what peak probabilities need.
"""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pandas as pd

from forecast.errors import InvalidInput, Unprocessable
from forecast.models.features import OFFICIAL, Calendar, covid_mask

JSON_VERSION = 1
LEVEL_Z = {80: 1.2815515655446004, 95: 1.959963984540054}


def z_of(level: int) -> float:
    try:
        return LEVEL_Z[int(level)]
    except (KeyError, TypeError, ValueError):
        raise Unprocessable(f"level {level} is not offered", hint="use 80 or 95") from None


def check_history(history: pd.DataFrame) -> pd.DataFrame:
    """A clean ``ds, y`` frame: one series, daily dates at midnight, sorted, no duplicates.

    An optional boolean ``real`` column (False for sample rows) is kept for the models that learn
    from real seasons only (:mod:`forecast.models.realshape`); the others ignore it.
    """
    if not isinstance(history, pd.DataFrame) or not {"ds", "y"} <= set(history.columns):
        raise InvalidInput("history must be a frame with columns ds and y", hint="pass a long frame unique_id, ds, y")
    if "unique_id" in history.columns and history["unique_id"].nunique() > 1:
        raise InvalidInput("history holds more than one series", hint="fit one unique_id at a time")
    out = pd.DataFrame({"ds": pd.to_datetime(history["ds"]).dt.normalize(), "y": pd.to_numeric(history["y"], errors="coerce")})
    if "real" in history.columns:  # optional: True where the value is published or the user's, not the sample
        out["real"] = history["real"].astype(bool).to_numpy()
    out = out.dropna(subset=["y"]).sort_values("ds")
    if out["ds"].duplicated().any():
        raise InvalidInput("history has duplicate dates", hint="one row per ds")
    if (out["y"] < 0).any():
        raise InvalidInput("history has negative values", hint="counts are never negative")
    if len(out) < 60:
        raise Unprocessable(f"history has only {len(out)} days", hint="a daily model needs at least 60 days")
    return out.reset_index(drop=True)


def check_dates(dates) -> pd.DatetimeIndex:
    if isinstance(dates, pd.DataFrame):
        dates = dates["ds"]
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates))).normalize()
    if len(idx) == 0:
        raise InvalidInput("no dates to forecast", hint="give at least one date")
    return idx


class Forecaster:
    """Base class; subclasses set ``name`` and implement ``_fit``, ``_predict`` and (de)serialisation."""

    name: ClassVar[str] = "base"
    params: ClassVar[tuple[str, ...]] = ()

    # -- public contract ---------------------------------------------------------------------------
    def fit(self, history: pd.DataFrame) -> Forecaster:
        hist = check_history(history)
        self.cutoff_ = hist["ds"].max()
        self._fit(hist)
        self._fit_residuals(hist)
        return self

    def predict(self, dates, level: int = 80, *, cal: Calendar = OFFICIAL) -> pd.DataFrame:
        self._check_fitted()
        z = z_of(level)
        idx = check_dates(dates)
        yhat = np.maximum(np.asarray(self._predict(idx, cal), dtype=float), 0.0)
        sd = self.log_sd(idx)
        return pd.DataFrame({"ds": idx, "yhat": yhat, "yhat_lower": yhat * np.exp(-z * sd), "yhat_upper": yhat * np.exp(z * sd)})

    def sample_paths(self, dates, n: int = 1000, rng: np.random.Generator | None = None, *,
                     cal: Calendar = OFFICIAL) -> np.ndarray:
        """``n`` x ``len(dates)`` simulated values (lognormal AR(1) residuals plus a shared level shock)."""
        self._check_fitted()
        idx = check_dates(dates)
        rng = rng if rng is not None else np.random.default_rng(0)
        mean = np.maximum(np.asarray(self._predict(idx, cal), dtype=float), 1e-9)
        level = self.level_sd(idx)
        return simulate_paths(mean, self.sigma_, self.phi_, level, n, rng)

    def level_sd(self, idx: pd.DatetimeIndex) -> np.ndarray:
        h = np.maximum((idx - self.cutoff_).days.to_numpy(), 30)
        return self.level_sigma_ * np.sqrt(h / 365.0)

    def log_sd(self, idx: pd.DatetimeIndex) -> np.ndarray:
        return np.sqrt(self.sigma_**2 + self.level_sd(idx) ** 2)

    # -- residual model ----------------------------------------------------------------------------
    def _fit_residuals(self, hist: pd.DataFrame) -> None:
        """``sigma_``/``phi_`` from in-sample log residuals of the last three years outside COVID (inflated)."""
        recent = hist[hist["ds"] > hist["ds"].max() - pd.Timedelta(days=3 * 365)]
        recent = recent[(recent["y"] > 0) & ~covid_mask(recent["ds"])]
        if len(recent) < 30:
            recent = hist[(hist["y"] > 0) & ~covid_mask(hist["ds"])].tail(3 * 365)
        fitted = np.maximum(np.asarray(self._predict(pd.DatetimeIndex(recent["ds"]), OFFICIAL), dtype=float), 1e-9)
        res = np.log(recent["y"].to_numpy()) - np.log(fitted)
        res = res - np.mean(res)
        # In-sample residuals understate out-of-sample error; 1.25 is the factor the backtest's
        # interval coverage supports (see BENCHMARKS.md, "Training and backtest").
        self.sigma_ = float(max(np.std(res) * 1.25, 0.01))
        self.phi_ = float(np.clip(np.corrcoef(res[:-1], res[1:])[0, 1], 0.0, 0.95)) if len(res) > 10 else 0.0
        if not hasattr(self, "level_sigma_"):
            self.level_sigma_ = 0.06

    def _check_fitted(self) -> None:
        if not hasattr(self, "cutoff_"):
            raise Unprocessable(f"{self.name} model is not fitted", hint="call fit(history) first")

    # -- persistence -------------------------------------------------------------------------------
    def get_params(self) -> dict:
        return {p: getattr(self, p) for p in self.params}

    def to_json(self) -> str:
        self._check_fitted()
        body = {
            "model": self.name,
            "version": JSON_VERSION,
            "params": self.get_params(),
            "cutoff": self.cutoff_.date().isoformat(),
            "residuals": {"sigma": self.sigma_, "phi": self.phi_, "level_sigma": self.level_sigma_},
            "fitted": self._fitted_json(),
        }
        return json.dumps(body, ensure_ascii=False, default=_json_default)

    @classmethod
    def _from_body(cls, body: dict) -> Forecaster:
        model = cls(**body["params"])
        model.cutoff_ = pd.Timestamp(body["cutoff"])
        model.sigma_ = float(body["residuals"]["sigma"])
        model.phi_ = float(body["residuals"]["phi"])
        model.level_sigma_ = float(body["residuals"]["level_sigma"])
        model._load_fitted(body["fitted"])
        return model

    def _fitted_json(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load_fitted(self, fitted: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit(self, hist: pd.DataFrame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, idx: pd.DatetimeIndex, cal: Calendar) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


def simulate_paths(mean: np.ndarray, sigma: float, phi: float, level_sd, n: int, rng: np.random.Generator) -> np.ndarray:
    """Lognormal paths around ``mean``: AR(1) log residuals (marginal sd ``sigma``) plus one level shock.

    ``level_sd`` is a scalar or one value per day; the shock is one standard normal per path scaled
    by each day's ``level_sd``, so a path is high or low as a whole. ``mean`` is each day's median,
    as for the intervals of ``predict``.
    """
    steps = len(mean)
    eps = rng.standard_normal((n, steps))
    ar = np.empty_like(eps)
    ar[:, 0] = eps[:, 0]
    scale = np.sqrt(max(1.0 - phi * phi, 1e-6))
    for t in range(1, steps):
        ar[:, t] = phi * ar[:, t - 1] + scale * eps[:, t]
    level = np.broadcast_to(np.asarray(level_sd, dtype=float), (steps,))
    shock = rng.standard_normal((n, 1)) * level[None, :]
    return mean[None, :] * np.exp(sigma * ar + shock)


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.Timestamp):
        return obj.date().isoformat()
    raise TypeError(f"cannot serialise {type(obj).__name__}")
