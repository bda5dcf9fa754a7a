"""The domain's seasonal naive: the lunar-aligned profile baseline.

Each day within 30 days before to 40 days after a Spring Festival takes the value of the matching
day of the last normal season in the history (COVID seasons 2020–2022 are never templates), scaled
by growth. Days are matched by their place in the season, not by solar date:

- inside the official holiday block, by position: the first half counted from its first day, the
  second half counted back from its last day (the return peak sits on the last holiday days, and
  blocks run 7 to 9 days);
- before the block, by days before its first day; after it, by days after its last day.

Other days take the same weekday 52 weeks (or a multiple) earlier, skipping the COVID period.
Growth is :func:`recent_growth` (the last 13 weeks before the cutoff against the same 13 weeks a
year earlier; see its doc for the COVID case), compounded per year between template and target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.calendar import COMPLETE_SHARE, COVID_SEASONS
from forecast.models.base import Forecaster
from forecast.models.features import COVID_START, OFFICIAL, Calendar, covid_mask

WINDOW = (-30, 40)  # offsets (days from 正月初一) matched by season position
GROWTH_DAYS = 91


def complete_seasons(hist: pd.DataFrame, cutoff: pd.Timestamp, min_share: float = COMPLETE_SHARE) -> list[int]:
    """Seasons whose Chunyun window ends by ``cutoff`` and has at least ``min_share`` of its days."""
    ds = pd.DatetimeIndex(hist["ds"])
    ds = ds[ds <= cutoff]
    if len(ds) == 0:
        return []
    f = OFFICIAL.features(ds)
    counts = f.loc[f["in_chunyun"].to_numpy(), "season"].value_counts()
    out = []
    for year, n in sorted(counts.items()):
        s = calendar.season(int(year))
        if pd.Timestamp(s.chunyun_end) <= cutoff and n >= min_share * s.length:
            out.append(int(year))
    return out


def normal_seasons(seasons) -> list[int]:
    return [s for s in seasons if s not in COVID_SEASONS]


def _ordinary(days: pd.DatetimeIndex) -> np.ndarray:
    """Days outside every Spring Festival's travel window (offsets -30..+40)."""
    off = OFFICIAL.features(days)["offset"].to_numpy()
    return (off < WINDOW[0]) | (off > WINDOW[1])


def recent_growth(hist: pd.DataFrame, cutoff: pd.Timestamp) -> float:
    """Growth per year: the last 13 weeks before ``cutoff`` against the same weekdays 52 weeks earlier.

    Only ordinary days count: a pair is dropped when either day lies within -30..+40 days of a
    Spring Festival (the lunar calendar moves the festival by up to 20 days between years).

    When either window touches the COVID period (2020-01-10..2023-01-06), the latest clean pair of
    windows is used instead, which until April 2024 is the one ending 2020-01-09: the pre-COVID
    growth rate. Clipped to 0.7..1.4 a year; 1.0 when there is not enough data.
    """
    s = hist.set_index("ds")["y"]
    end = pd.Timestamp(cutoff)
    for window_end in (end, min(end, COVID_START - pd.Timedelta(days=1))):
        recent = pd.date_range(window_end - pd.Timedelta(days=GROWTH_DAYS - 1), window_end)
        past = recent - pd.Timedelta(days=364)
        if covid_mask(recent).any() or covid_mask(past).any():
            continue
        a, b = s.reindex(recent).to_numpy(), s.reindex(past).to_numpy()
        ok = np.isfinite(a) & np.isfinite(b) & _ordinary(recent) & _ordinary(past)
        if ok.sum() < GROWTH_DAYS // 2 or b[ok].sum() <= 0:
            continue
        return float(np.clip(a[ok].sum() / b[ok].sum(), 0.7, 1.4))
    return 1.0


def aligned_dates(targets: pd.DatetimeIndex, template: int, cal: Calendar = OFFICIAL) -> pd.DatetimeIndex:
    """For each target day on calendar ``cal``, the matching day of season ``template`` (NaT outside the window)."""
    f = cal.features(targets)
    t = cal.season(int(template))
    hs_t, he_t = pd.Timestamp(t.holiday_start), pd.Timestamp(t.holiday_end)
    inside = (f["offset"] >= WINDOW[0]) & (f["offset"] <= WINDOW[1])
    by_season = {int(y): cal.season(int(y)) for y in np.unique(f.loc[inside, "season"])}
    out = []
    for ds, season, offset, hol, hd, dte in zip(f["ds"], f["season"], f["offset"], f["is_holiday"],
                                                f["holiday_day"], f["days_to_holiday_end"], strict=True):
        if not WINDOW[0] <= offset <= WINDOW[1]:
            out.append(pd.NaT)
            continue
        s = by_season[int(season)]
        hs, he = pd.Timestamp(s.holiday_start), pd.Timestamp(s.holiday_end)
        length = (he - hs).days + 1
        if hol:
            out.append(he_t - pd.Timedelta(days=int(dte)) if dte <= (length - 1) // 2 else hs_t + pd.Timedelta(days=int(hd) - 1))
        elif ds < hs:
            out.append(hs_t - (hs - ds))
        else:
            out.append(he_t + (ds - he))
    return pd.DatetimeIndex(out)


class LunarProfile(Forecaster):
    """Last normal season, day by day at the same place in the season, times growth."""

    name = "lunar_profile"
    params = ("templates",)

    def __init__(self, templates: int = 1):
        self.templates = templates

    def _fit(self, hist: pd.DataFrame) -> None:
        cutoff = hist["ds"].max()
        self.start_ = hist["ds"].min()
        full = pd.date_range(self.start_, cutoff)
        self.y_ = hist.set_index("ds")["y"].reindex(full).to_numpy(dtype=float)
        self.seasons_ = self._template_seasons(hist, cutoff)
        self.growth_ = recent_growth(hist, cutoff)

    def _template_seasons(self, hist: pd.DataFrame, cutoff: pd.Timestamp) -> list[int]:
        return normal_seasons(complete_seasons(hist, cutoff))

    def _aligned(self, targets: pd.DatetimeIndex, template: int,
                 cal: Calendar) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex, np.ndarray]:
        """For each target day on calendar ``cal``, two template days and the weight of the second
        (0: the first alone), so that a subclass can place a target day between two template days."""
        src = aligned_dates(targets, template, cal)
        return src, src, np.zeros(len(targets))

    def _series(self) -> pd.Series:
        return pd.Series(self.y_, index=pd.date_range(self.start_, periods=len(self.y_)))

    def _growth(self, years: int) -> float:
        return self.growth_ ** years

    def _predict(self, idx: pd.DatetimeIndex, cal: Calendar) -> np.ndarray:
        s = self._series()
        f = cal.features(idx)
        out = np.full(len(idx), np.nan)
        in_window = ((f["offset"] >= WINDOW[0]) & (f["offset"] <= WINDOW[1])).to_numpy()
        seasons = f["season"].to_numpy()
        for season in np.unique(seasons[in_window]):
            rows = np.nonzero(in_window & (seasons == season))[0]
            usable = [t for t in self.seasons_ if t < season][-self.templates:]
            if not usable:
                continue
            values = []
            for tmpl in usable:
                first, second, w = self._aligned(idx[rows], tmpl, cal)
                a = s.reindex(first).to_numpy()
                if w.any():
                    b = s.reindex(second).to_numpy()
                    a = np.where(w > 0, np.exp((1 - w) * np.log(np.maximum(a, 1e-9)) + w * np.log(np.maximum(b, 1e-9))), a)
                values.append(a * self._growth(int(season - tmpl)))
            out[rows] = np.nanmean(np.vstack(values), axis=0) if len(values) > 1 else values[0]
        # everything else (and window days without a template): same weekday k x 52 weeks earlier
        for k in range(1, 12):
            todo = np.isnan(out)
            if not todo.any():
                break
            src = idx[todo] - pd.Timedelta(days=364 * k)
            vals = s.reindex(src).to_numpy()
            ok = np.isfinite(vals) & np.asarray(src <= self.cutoff_) & ~covid_mask(src)
            rows = np.nonzero(todo)[0][ok]
            out[rows] = vals[ok] * self._growth(k)
        if np.isnan(out).any():  # far before the data: the first value
            out[np.isnan(out)] = float(np.nanmean(self.y_[:28]))
        return out

    def _fitted_json(self) -> dict:
        return {"start": self.start_.date().isoformat(), "seasons": list(map(int, self.seasons_)),
                "growth": self.growth_, "y": [None if not np.isfinite(v) else float(v) for v in self.y_]}

    def _load_fitted(self, fitted: dict) -> None:
        self.start_ = pd.Timestamp(fitted["start"])
        self.seasons_ = list(fitted["seasons"])
        self.growth_ = float(fitted["growth"])
        self.y_ = np.array([np.nan if v is None else v for v in fitted["y"]], dtype=float)
