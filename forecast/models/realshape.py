"""Daily shapes learnt from the last *real* season: the naive to beat, and two models that try to.

A season is *real* for a series when at least 95% of its Chunyun window is published (or the
user's own) data rather than the sample: the history's optional ``real`` column says which rows
are (see :func:`forecast.models.base.check_history`). Where no season is real, these models fall
back to the last complete normal season of whatever the history holds, as the lunar profile does.

- ``lunar_real`` — the naive: the last real season laid on the lunar calendar, day for day
  (腊月十五 on 腊月十五, 初一 on 初一), times growth. It is what an analyst would try first, and what
  :mod:`forecast.scorecard` scores every model against.
- ``real_anchored`` — the same season, but warped between anchors so that each kind of day meets
  its kind: the window's first day, 除夕 and 初一 and 正月十五 (lunar), the holiday's last day and
  the first working day after it (the official calendar, which moves the return peak and the
  post-holiday drop: the 2025 holiday ended on 初七, 2024's on 初八), and the window's last day.
  Between anchors the template is read at fractional positions (log-linear between two days).
- ``real_blend`` — the anchored real season blended (geometric mean, weight ``weight``) with the
  hybrid's shape (:class:`~forecast.models.hybrid.HybridDaily`: a regression on the calendar over
  every season and a three-season lunar profile). The real season brings the real shape; the
  hybrid brings what one season cannot: several seasons with the festival early and late in the
  solar year, weekday effects, and the sample as a prior where real data is thin. Outside the
  travel window it is the hybrid.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.models.base import Forecaster, check_history
from forecast.models.features import OFFICIAL, Calendar, season_dates
from forecast.models.hybrid import HybridDaily
from forecast.models.profile import WINDOW, LunarProfile, complete_seasons, normal_seasons

REAL_SHARE = 0.95  # a season counts as real when this share of its window is real data


def real_seasons(hist: pd.DataFrame, cutoff: pd.Timestamp, share: float = REAL_SHARE) -> list[int]:
    """Complete normal seasons up to ``cutoff`` whose window is at least ``share`` real rows."""
    if "real" not in hist.columns:
        return []
    real = hist[hist["real"].to_numpy() & (hist["ds"] <= cutoff)]
    out = []
    for year in normal_seasons(complete_seasons(hist, cutoff)):
        days = season_dates(year)
        if np.isin(days.to_numpy(), real["ds"].to_numpy()).sum() >= share * len(days):
            out.append(year)
    return out


def anchor_offsets(season: int, cal: Calendar = OFFICIAL) -> np.ndarray:
    """The anchors of :class:`RealAnchored` on calendar ``cal`` as offsets from 正月初一, increasing."""
    s = cal.season(int(season))
    sf = pd.Timestamp(s.spring_festival)

    def off(d) -> int:
        return (pd.Timestamp(d) - sf).days

    end = off(s.holiday_end)
    return np.array([WINDOW[0], off(s.chunyun_start), -1, 0, end, end + 1, off(s.lantern_festival),
                     off(s.chunyun_end), WINDOW[1]], dtype=float)


class _RealTemplates(LunarProfile):
    """A lunar profile whose template is the last real season (or, with none, the last complete one)."""

    params = ()

    def __init__(self):
        self.templates = 1

    def _template_seasons(self, hist: pd.DataFrame, cutoff: pd.Timestamp) -> list[int]:
        return real_seasons(hist, cutoff) or super()._template_seasons(hist, cutoff)


class LunarReal(_RealTemplates):
    """The last real season day for day on the lunar calendar, times growth (the naive)."""

    name = "lunar_real"

    def _aligned(self, targets, template, cal):
        f = cal.features(targets)
        sf = pd.Timestamp(calendar.spring_festival(int(template)))
        src = pd.DatetimeIndex(sf + pd.to_timedelta(f["offset"].to_numpy(), unit="D"))
        return src, src, np.zeros(len(targets))


class RealAnchored(_RealTemplates):
    """The last real season warped between the lunar and holiday anchors of :func:`anchor_offsets`."""

    name = "real_anchored"

    def _aligned(self, targets, template, cal):
        f = cal.features(targets)
        out_first, out_second, weight = [], [], []
        tmpl_sf = pd.Timestamp(calendar.spring_festival(int(template)))
        tmpl_anchors = anchor_offsets(template, cal)
        by_season: dict[int, np.ndarray] = {}
        for season, offset in zip(f["season"].to_numpy(), f["offset"].to_numpy(), strict=True):
            anchors = by_season.setdefault(int(season), anchor_offsets(int(season), cal))
            pos = float(np.interp(offset, anchors, tmpl_anchors))
            lo = int(np.floor(pos))
            out_first.append(tmpl_sf + pd.Timedelta(days=lo))
            out_second.append(tmpl_sf + pd.Timedelta(days=lo + 1))
            weight.append(pos - lo)
        return pd.DatetimeIndex(out_first), pd.DatetimeIndex(out_second), np.asarray(weight)


class RealBlend(Forecaster):
    """``exp(weight * log anchored + (1 - weight) * log hybrid)`` in the window, the hybrid outside."""

    name = "real_blend"
    params = ("weight",)

    def __init__(self, weight: float = 0.5):
        self.weight = weight

    def _fit(self, hist: pd.DataFrame) -> None:
        self.hybrid_ = HybridDaily().fit(hist)
        self.anchored_ = RealAnchored().fit(hist)
        self.level_sigma_ = self.hybrid_.level_sigma_

    @classmethod
    def from_parts(cls, hybrid: HybridDaily, anchored: RealAnchored, history: pd.DataFrame, weight: float = 0.5) -> RealBlend:
        """The blend of a hybrid and an anchored model already fitted on ``history`` (no refit):
        what :meth:`fit` on the same history gives."""
        model = cls(weight)
        model.cutoff_ = hybrid.cutoff_
        model.hybrid_, model.anchored_, model.level_sigma_ = hybrid, anchored, hybrid.level_sigma_
        model._fit_residuals(check_history(history))
        return model

    def _predict(self, idx: pd.DatetimeIndex, cal: Calendar) -> np.ndarray:
        base = np.maximum(self.hybrid_._predict(idx, cal), 1e-9)
        off = cal.features(idx)["offset"].to_numpy()
        inside = (off >= WINDOW[0]) & (off <= WINDOW[1])
        if not inside.any() or not self.anchored_.seasons_:
            return base
        out = base.copy()
        real = np.maximum(self.anchored_._predict(idx[inside], cal), 1e-9)
        out[inside] = np.exp(self.weight * np.log(real) + (1 - self.weight) * np.log(base[inside]))
        return out

    def _fitted_json(self) -> dict:
        return {"hybrid": json.loads(self.hybrid_.to_json()), "anchored": json.loads(self.anchored_.to_json())}

    def _load_fitted(self, fitted: dict) -> None:
        self.hybrid_ = HybridDaily._from_body(fitted["hybrid"])
        self.anchored_ = RealAnchored._from_body(fitted["anchored"])
