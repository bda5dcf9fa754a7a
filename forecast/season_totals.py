"""Season-level forecasts: the total of a series over a 40-day Chunyun window.

Season totals come from the daily history (a season counts when at least 95% of its window is
there; missing days are filled at the season's mean) and, for seasons before the history starts,
from the reference's actual totals published before the cutoff. Three models work on log totals:

- ``growth``: the last normal season's total times recent growth (the last 13 weeks against the
  same weeks a year earlier, compounded per year: :func:`forecast.models.profile.recent_growth`,
  which falls back to the pre-COVID rate while the comparison would touch COVID days);
- ``ets_damped``: exponential smoothing with a damped additive trend (statsmodels ``ETSModel``)
  over the normal seasons, COVID seasons left out (the season after 2019 is 2023);
- ``regression``: ordinary least squares on a linear trend with interventions: one dummy per COVID
  season present (2020, 2021, 2022), a post-COVID level shift from 2023 and, where the series has
  one, a level shift for a change of basis (the national cross-regional count was widened in 2024).
  A shift only enters once a season after it is observed.

:func:`forecast_total` chooses per series by a rolling-origin backtest over the previous normal
seasons (mean absolute log error over up to four seasons) and gives 80%/95% intervals from the
larger of the model's own standard error and the chosen model's backtest root-mean-square error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.calendar import COMPLETE_SHARE, COVID_SEASONS
from forecast.models.base import z_of
from forecast.models.features import OFFICIAL
from forecast.models.profile import recent_growth

# averaged (on logs) by ``combined``; ETS is left out: with 5-8 normal seasons its damped trend is
# poorly identified (on the sample it damped growth away, 4-6% low, in most seasons)
COMBINED = ("growth", "regression")
POST_COVID = 2023
MIN_SD = 0.03  # a season total is never known better than +-3% (1 sd) before it starts
INNER_SEASONS = 4
BASIS_JUMP = 0.25  # log jump beyond trend that marks a change of basis


@dataclass
class TotalForecast:
    """A season total forecast: median ``total`` and a lognormal spread ``log_sd``."""

    season: int
    model: str
    total: float
    log_sd: float
    scores: dict = field(default_factory=dict)  # model -> backtest mean absolute % error

    def bounds(self, level: int = 80) -> tuple[float, float]:
        z = z_of(level)
        return self.total * math.exp(-z * self.log_sd), self.total * math.exp(z * self.log_sd)

    def to_dict(self) -> dict:
        lo80, hi80 = self.bounds(80)
        lo95, hi95 = self.bounds(95)
        return {"season": self.season, "model": self.model, "total": self.total, "log_sd": self.log_sd,
                "lower_80": lo80, "upper_80": hi80, "lower_95": lo95, "upper_95": hi95, "scores": self.scores}


def history_totals(history: pd.DataFrame, cutoff=None, published: pd.DataFrame | None = None,
                   min_share: float = COMPLETE_SHARE) -> pd.Series:
    """Season totals (index season, float) from ``history`` up to ``cutoff``, plus published actuals.

    ``published`` (``season, value, published``, :func:`forecast.reference.published_totals`): the
    totals published before the cutoff fill the seasons before the first season in the history.
    """
    s = history.set_index(pd.to_datetime(history["ds"]))["y"].sort_index()
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else s.index.max()
    s = s[s.index <= cutoff]
    out: dict[int, float] = {}
    if len(s):
        f = OFFICIAL.features(s.index)
        inside = f["in_chunyun"].to_numpy()
        days = pd.DataFrame({"season": f["season"].to_numpy()[inside], "y": s.to_numpy()[inside]})
        for year, g in days.groupby("season"):
            window = calendar.season(int(year))
            n = window.length
            if pd.Timestamp(window.chunyun_end) <= cutoff and len(g) >= min_share * n:
                out[int(year)] = float(g["y"].sum() * n / len(g))
    if published is not None:
        out = {**_published_run(published, cutoff, before=min(out) if out else cutoff.year + 1), **out}
    return pd.Series(out, dtype=float).sort_index()


def _published_run(published: pd.DataFrame, cutoff: pd.Timestamp, before: int) -> dict[int, float]:
    """The contiguous run of seasons before ``before`` with a total published before ``cutoff``."""
    ref = published[published["published"] < cutoff]
    out: dict[int, float] = {}
    for year in range(before - 1, calendar.FIRST_SEASON - 1, -1):  # contiguous run backwards
        rows = ref[ref["season"] == year]
        if rows.empty:
            break
        out[year] = float(rows["value"].iloc[-1])
    return out


# ------------------------------------------------------------------------------------------------
# the models: TotalInputs -> (log mean, log sd), or None when they cannot fit

@dataclass(frozen=True)
class TotalInputs:
    """What a season-total model sees: the past season totals, the season to forecast, the daily
    history up to its cutoff (for recent growth) and the first season of a change of basis."""

    totals: pd.Series
    season: int
    history: pd.DataFrame
    cutoff: pd.Timestamp
    shift: int | None


def normal(totals: pd.Series) -> pd.Series:
    return totals[~totals.index.isin(COVID_SEASONS)]


def _growth(x: TotalInputs):
    totals, season = x.totals, x.season
    base = normal(totals)
    base = base[base.index < season]
    if base.empty:
        return None
    last = int(base.index[-1])
    years = season - last
    rate = recent_growth(x.history, x.cutoff)
    return math.log(base.iloc[-1]) + years * math.log(rate), 0.06 * math.sqrt(years)


def _ets(x: TotalInputs):
    totals, season = x.totals, x.season
    base = normal(totals)
    base = base[base.index < season]
    if len(base) < 5:
        return None
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = pd.Series(np.log(base.to_numpy()))
    h = 1 + sum(1 for s in range(int(base.index[-1]) + 1, season) if s not in COVID_SEASONS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ETSModel(y, error="add", trend="add", damped_trend=True).fit(disp=False)
        pred = res.get_prediction(start=len(y), end=len(y) + h - 1)
        mean = float(np.asarray(pred.predicted_mean)[-1])
        sd = float(np.sqrt(np.asarray(pred.var_pred_mean)[-1]))
    if not np.isfinite(mean) or not np.isfinite(sd):
        return None
    return mean, sd


def basis_shift(totals: pd.Series) -> int | None:
    """The first season of a change of basis: a jump of more than 25% beyond trend from 2024 on."""
    base = normal(totals)
    if len(base) < 4:
        return None
    logs = np.log(base)
    for year in (2024,):
        if year in logs.index and (year - 1) in logs.index:
            before = logs[logs.index < year]
            trend = np.polyfit(before.index.to_numpy(dtype=float)[-4:], before.to_numpy()[-4:], 1)[0] if len(before) >= 2 else 0.0
            jump = logs[year] - logs[year - 1] - max(trend, 0.0)
            if jump > BASIS_JUMP:
                return year
    return None


def _design(seasons: np.ndarray, covid: list[int], shifts: list[int]) -> np.ndarray:
    cols = [np.ones(len(seasons)), seasons - 2015.0]
    cols += [(seasons == c).astype(float) for c in covid]
    cols += [(seasons >= s).astype(float) for s in shifts]
    return np.column_stack(cols)


def _regression(x: TotalInputs):
    totals, season, shift = x.totals, x.season, x.shift
    base = totals[totals.index < season]
    normal_n = len(normal(base))
    if normal_n < 3:
        return None
    seasons = base.index.to_numpy(dtype=float)
    covid = [c for c in COVID_SEASONS if c in base.index]
    shifts = [s for s in (POST_COVID, shift) if s is not None and (base.index >= s).any()]
    x = _design(seasons, covid, sorted(set(shifts)))
    y = np.log(base.to_numpy())
    dof = len(y) - x.shape[1]
    if dof < 1:
        return None
    from statsmodels.regression.linear_model import OLS

    res = OLS(y, x).fit()
    xt = _design(np.array([float(season)]), covid, sorted(set(shifts)))
    xt[:, 2:2 + len(covid)] = 0.0
    pred = res.get_prediction(xt)
    mean = float(pred.predicted_mean[0])
    sd = float(np.sqrt(pred.var_pred_mean[0] + res.scale))
    return mean, sd


def _combined(x: TotalInputs):
    fits = [f for m in COMBINED if (f := fit_model(m, x)) is not None]
    if len(fits) < 2:
        return None
    means = np.array([f[0] for f in fits])
    sds = np.array([f[1] for f in fits])
    return float(means.mean()), float(np.sqrt(np.mean(sds**2)))


# the registry: name -> model, in the order ties are broken
TOTAL_MODELS: dict[str, Callable[[TotalInputs], tuple[float, float] | None]] = {
    "growth": _growth, "ets_damped": _ets, "regression": _regression, "combined": _combined,
}
MODELS = tuple(TOTAL_MODELS)


def fit_model(name: str, inputs: TotalInputs) -> tuple[float, float] | None:
    """``(log mean, log sd)`` of the season total by the model ``name`` of :data:`TOTAL_MODELS`."""
    if name not in TOTAL_MODELS:
        raise ValueError(name)
    return TOTAL_MODELS[name](inputs)


def inner_backtest(totals: pd.Series, history: pd.DataFrame, season: int, n: int = INNER_SEASONS) -> pd.DataFrame:
    """Log errors of each model on up to ``n`` previous normal seasons (not the first after COVID)."""
    evals = [int(s) for s in normal(totals).index if s < season and (s - 1) not in COVID_SEASONS and (s - 1) in totals.index]
    shift = basis_shift(totals)
    rows = []
    for e in evals[-n:]:
        cut = calendar.season(e).cutoff
        past = totals[totals.index < e]
        hist = history[pd.to_datetime(history["ds"]) <= cut]
        fits = {}
        for m in ("growth", "ets_damped", "regression"):
            try:
                fits[m] = fit_model(m, TotalInputs(past, e, hist, cut, shift if (shift is not None and shift < e) else None))
            except (ValueError, np.linalg.LinAlgError):
                fits[m] = None
        means = [f[0] for m, f in fits.items() if f is not None and m in COMBINED]
        if len(means) >= 2:
            fits["combined"] = (float(np.mean(means)), 0.0)
        for m, fit in fits.items():
            if fit is not None:
                rows.append((e, m, fit[0] - math.log(totals[e])))
    return pd.DataFrame(rows, columns=["season", "model", "log_error"])


def score_models(errors: pd.DataFrame, min_seasons: int = 2) -> tuple[dict, dict]:
    """Mean absolute % error and RMSE (log) per model over the seasons every eligible model scored.

    A model is eligible with at least ``min_seasons`` scored seasons; comparing on common seasons
    keeps a model that could only be scored on an easy season from looking best.
    """
    if errors.empty:
        return {}, {}
    counts = errors.groupby("model")["season"].nunique()
    eligible = [m for m in MODELS if counts.get(m, 0) >= min_seasons]
    if not eligible:
        return {}, {}
    common = set.intersection(*(set(errors.loc[errors["model"] == m, "season"]) for m in eligible))
    sub = errors[errors["model"].isin(eligible) & errors["season"].isin(common)]
    scores = {m: float(np.mean(np.abs(np.expm1(g["log_error"]))) * 100) for m, g in sub.groupby("model")}
    rmse = {m: float(np.sqrt(np.mean(g["log_error"] ** 2))) for m, g in sub.groupby("model")}
    return scores, rmse


def forecast_total(history: pd.DataFrame, season: int, cutoff=None, published: pd.DataFrame | None = None,
                   model: str | None = None) -> TotalForecast:
    """The season total of ``season`` as known at ``cutoff`` (default: the history's last day).

    ``published``: the series' published season totals (:func:`forecast.reference.published_totals`),
    for the seasons before the history; None: the history alone.

    ``model`` forces one of :data:`MODELS`; otherwise the best by :func:`inner_backtest`
    (``growth`` when no other can be scored).
    """
    hist = history.copy()
    hist["ds"] = pd.to_datetime(hist["ds"])
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else hist["ds"].max()
    hist = hist[hist["ds"] <= cutoff][["ds", "y"]]
    totals = history_totals(hist, cutoff, published)
    totals = totals[totals.index < season]
    shift = basis_shift(totals)
    errors = inner_backtest(totals, hist, season)
    scores, rmse = score_models(errors)
    candidates = [model] if model else sorted(scores, key=lambda m: (scores[m], MODELS.index(m))) + ["growth"]
    for m in candidates:
        try:
            fit = fit_model(m, TotalInputs(totals, season, hist, cutoff, shift))
        except (ValueError, np.linalg.LinAlgError):
            fit = None
        if fit is None:
            continue
        mean, sd = fit
        sd = max(sd, rmse.get(m, 0.0), MIN_SD)
        return TotalForecast(int(season), m, float(math.exp(mean)), float(sd), scores)
    # nothing fits: the last season with any data, very uncertain
    last = float(totals.iloc[-1]) if len(totals) else float(hist["y"].tail(40).sum())
    return TotalForecast(int(season), "last_value", last, 0.25, scores)
