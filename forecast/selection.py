"""Daily models chosen per series by their error on real days, and intervals calibrated on them.

Where a series has seasons with real actuals (published figures, or the user's own data, in at
least :data:`MIN_REAL_DAYS` days of the window), every candidate of :data:`CANDIDATES` is fitted
season-aligned for each such season, from the day before its window opened, and scored on the
real days only (:func:`score_frame`). For a season ``S`` the choice uses only the real seasons
before ``S`` (no look-ahead):

- the naive (:data:`NAIVE`, the last real season laid on the lunar calendar) is the choice until
  a candidate beats it on the mean daily MAPE over those seasons;
- the chosen model's intervals use the root-mean-square *shape* error of its real days (each
  season's log errors less their mean, which the season-total uncertainty already covers) instead
  of its in-sample residuals (:func:`calibrated_sigma`).

A series with no real season before ``S`` keeps the engine's default model
(:func:`forecast.engine.daily_model_for`): the sample alone cannot tell the candidates apart.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast import calendar, mode_totals, provenance, reference
from forecast.engine import SeasonForecast, daily_model_for, reconcile_modes, season_forecast
from forecast.models import make
from forecast.models.features import season_dates
from forecast.models.realshape import RealBlend
from forecast.registry import MODES, TOTAL_METRIC, make_uid
from forecast.season_totals import forecast_total

NAIVE = "lunar_real"
CANDIDATES = (NAIVE, "real_anchored", "real_blend", "hybrid")
MIN_REAL_DAYS = 10
MIN_SIGMA = 0.02


@dataclass(frozen=True)
class Choice:
    """The daily model of one series for one season, why, and the interval sigma (None: the model's own)."""

    model: str
    reason: str
    sigma: float | None = None
    scores: dict | None = None  # model -> mean real-day MAPE over the seasons the choice rests on

    def to_dict(self) -> dict:
        return {"model": self.model, "reason": self.reason, "sigma": self.sigma, "scores": self.scores}


def real_actuals(series: pd.DataFrame, season: int) -> pd.Series:
    """The season's window days whose value is not the sample's (``ds -> y``)."""
    window = season_dates(season)
    ds = pd.to_datetime(series["ds"])
    inside = (ds >= window[0]) & (ds <= window[-1])
    if "source" in series.columns:
        inside &= provenance.is_real(series["source"])
    elif "real" in series.columns:
        inside &= series["real"].astype(bool).to_numpy()
    else:
        return pd.Series(dtype=float)
    return pd.Series(series.loc[inside, "y"].to_numpy(dtype=float), index=pd.DatetimeIndex(ds[inside]))


def real_seasons(series: pd.DataFrame, seasons) -> list[int]:
    """Those of ``seasons`` with at least :data:`MIN_REAL_DAYS` real days in their window."""
    return [int(s) for s in seasons if len(real_actuals(series, s)) >= MIN_REAL_DAYS]


def fit_candidates(series: pd.DataFrame, unique_id: str, season: int, candidates=CANDIDATES) -> dict[str, SeasonForecast]:
    """Every candidate's season-aligned forecast of ``season`` (fitted from the eve of its window).

    The blend is put together from the hybrid and the anchored fits rather than fitted again, and
    the season total is forecast once: both are the same whichever daily model uses them.
    """
    cut = calendar.season(season).cutoff
    past = fit_frame(series, cut)
    fitted = {m: make(m).fit(past) for m in candidates if m != "real_blend"}
    if "real_blend" in candidates:
        fitted["real_blend"] = RealBlend.from_parts(fitted.get("hybrid") or make("hybrid").fit(past),
                                                    fitted.get("real_anchored") or make("real_anchored").fit(past), past)
    total = forecast_total(past, season, cut, published=reference.published_totals(unique_id))
    return {m: season_forecast(series, unique_id, season, cut, model=m, fitted=fitted[m], total=total) for m in candidates}


def fit_frame(series: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """``ds, y, real`` up to ``cut``: what a model's ``fit`` takes."""
    past = series[pd.to_datetime(series["ds"]) <= cut]
    frame = pd.DataFrame({"ds": pd.to_datetime(past["ds"]), "y": past["y"].astype(float)})
    if "source" in past.columns:
        frame["real"] = provenance.is_real(past["source"])
    return frame


def score_frame(fc: SeasonForecast, actual: pd.Series) -> pd.DataFrame:
    """One forecast on the real days: ``ds, y, yhat, lo80, hi80, lo95, hi95``."""
    f = fc.frame.set_index("ds").reindex(actual.index)
    return pd.DataFrame({"ds": actual.index, "y": actual.to_numpy(), "yhat": f["yhat"].to_numpy(),
                         "lo80": f["yhat_lower_80"].to_numpy(), "hi80": f["yhat_upper_80"].to_numpy(),
                         "lo95": f["yhat_lower_95"].to_numpy(), "hi95": f["yhat_upper_95"].to_numpy()})


def daily_mape(frame: pd.DataFrame) -> float:
    return float(np.mean(np.abs(frame["yhat"] / frame["y"] - 1.0)) * 100.0)


def choose(unique_id: str, season: int, scored: dict[int, dict[str, pd.DataFrame]]) -> Choice:
    """The model for ``unique_id``'s ``season`` from the real seasons scored before it.

    ``scored``: real season -> model -> :func:`score_frame` of that model on that season.
    """
    before = {s: scored[s] for s in sorted(scored) if s < season}  # season order: the same sums on every run
    if not before:
        return Choice(daily_model_for(unique_id), "no real season before this one: the default model")
    models = set.intersection(*(set(frames) for frames in before.values()))
    scores = {m: float(np.mean([daily_mape(before[s][m]) for s in before])) for m in sorted(models)}
    seasons = ", ".join(map(str, sorted(before)))
    best = min(scores, key=lambda m: (scores[m], m != NAIVE))
    if NAIVE in scores and scores[best] >= scores[NAIVE]:
        best = NAIVE
        reason = f"nothing beat the naive on the real days of {seasons}"
    else:
        reason = f"lowest daily MAPE on the real days of {seasons}"
    sigma = calibrated_sigma([before[s][best] for s in before])
    return Choice(best, reason, sigma, {m: round(v, 3) for m, v in scores.items()})


def calibrated_sigma(frames: list[pd.DataFrame]) -> float:
    """Root-mean-square daily log error once each season's mean error is taken out."""
    shape = [np.log(f["y"] / f["yhat"]) - np.mean(np.log(f["y"] / f["yhat"])) for f in frames if len(f)]
    if not shape:
        return MIN_SIGMA
    errors = np.concatenate([np.asarray(e, dtype=float) for e in shape])
    return float(max(np.sqrt(np.mean(errors**2)), MIN_SIGMA))


# ------------------------------------------------------------------------------------------------
# the modes' season totals (:mod:`forecast.mode_totals`), chosen per region the same way

@dataclass(frozen=True)
class ModeRule:
    """How a region's modes get their season totals for one season, and why."""

    rule: str
    reason: str
    scores: dict | None = None  # rule -> mean error (%) of the modes' totals over the seasons it rests on

    def to_dict(self) -> dict:
        return {"rule": self.rule, "reason": self.reason, "scores": self.scores}


def mode_total_errors(forecasts: dict[str, SeasonForecast], actual: dict[str, pd.Series],
                      shares: dict[str, float] | None) -> dict[str, float]:
    """Per rule, the mean absolute error (%) of the modes' totals over their real days once reconciled
    (``forecasts``: metric -> the season's forecast, left unchanged; ``actual``: metric -> real days)."""
    out = {}
    for rule in mode_totals.RULES:
        group = {m: copy.deepcopy(fc) for m, fc in forecasts.items()}
        reconcile_modes(group, shares if rule == "share" else None)
        errors = []
        for m in MODES:
            f = group[m].frame.set_index("ds")["yhat"].reindex(actual[m].index)
            errors.append(abs(float(f.sum()) / float(actual[m].sum()) - 1.0) * 100.0)
        out[rule] = float(np.mean(errors))
    return out


def choose_mode_rule(season: int, errors: dict[int, dict[str, float]]) -> ModeRule:
    """The rule for ``season`` from the real seasons scored before it (``errors``: season -> rule ->
    :func:`mode_total_errors`); ``own`` stays unless ``share`` has the lower mean."""
    before = {s: errors[s] for s in sorted(errors) if s < season}
    if not before:
        return ModeRule(mode_totals.DEFAULT, "no real season before this one: each mode's own season total")
    scores = {r: round(float(np.mean([before[s][r] for s in before])), 3) for r in mode_totals.RULES}
    seasons = ", ".join(map(str, sorted(before)))
    if scores["share"] < scores["own"]:
        return ModeRule("share", f"last season's shares beat the modes' own totals on the real days of {seasons}", scores)
    return ModeRule(mode_totals.DEFAULT, f"last season's shares did not beat the modes' own totals on the real days of {seasons}",
                    scores)


def mode_rules(history: pd.DataFrame, scored: dict, choices: dict, regions, seasons) -> dict[tuple[str, int], ModeRule]:
    """The mode-total rule of every region and season, from the regions' real seasons.

    ``scored``: unique_id -> real season -> model -> forecast (:func:`fit_candidates`); a region's
    real season counts when its total and every mode were scored on it, each with the daily model
    chosen for that season (``choices``: (unique_id, season) -> :class:`Choice`)."""
    out = {}
    for region in regions:
        uids = {m: make_uid(region, m) for m in (TOTAL_METRIC, *MODES)}
        real = set.intersection(*(set(scored.get(u, {})) for u in uids.values()))
        errors = {}
        for s in sorted(real):
            group = {m: scored[u][s][choices[(u, s)].model] for m, u in uids.items()}
            actual = {m: real_actuals(history[history["unique_id"] == u], s) for m, u in uids.items()}
            shares = mode_totals.shares_at(history, region, s, calendar.season(s).cutoff)
            errors[s] = mode_total_errors(group, actual, shares)
        out.update({(region, int(s)): choose_mode_rule(int(s), errors) for s in seasons})
    return out
