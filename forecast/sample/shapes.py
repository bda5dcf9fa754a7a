"""The day axis of the sample and the factors of each day: season shapes and ordinary-day factors.

:func:`_calendar` lays out the days and the Chunyun windows; :func:`_shape` is a season's daily
multiplier, :func:`_ordinary_factor` the annual cycle, weekday and other holidays of ordinary
days, :func:`_covid_factor` the pandemic path and :func:`_trend_years` the years of trend growth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.sample.assumptions import (
    ANCHOR_SEASON,
    ANNUAL,
    COVID_BREAK,
    COVID_KNOTS,
    COVID_SENSITIVITY,
    DRIVING,
    DRIVING_KNOTS,
    FIRST_SEASON,
    FROZEN_IN_COVID,
    HOLIDAY_UPLIFT,
    IN_SEASON_WEEKDAY,
    LAST_SEASON,
    POST_DAYS,
    PRE_OFFSETS,
    RECOVERY_2023,
    RECOVERY_END,
    RECOVERY_START,
    REGION_COVID_SCALE,
    REGION_METRIC_TWEAK,
    REGION_TWEAK,
    SAMPLE_END,
    SAMPLE_START,
    SHAPES,
    STRUCTURAL_2023,
    TOLL_FREE_HOLIDAY_EXTRA,
    TOLL_FREE_UPLIFT,
    WEEKDAY,
)


@dataclass(frozen=True)
class _Window:
    season: int
    start: int  # index into the day axis (inclusive)
    end: int  # inclusive
    eve: int | None  # 除夕's index
    holiday_end: int


@dataclass
class _Calendar:
    days: pd.DatetimeIndex
    feat: dict[str, np.ndarray]  # calendar.day_features columns as arrays
    windows: dict[int, _Window]
    day_num: np.ndarray  # days since the anchor season's Spring Festival
    doy: np.ndarray
    after: np.ndarray  # days after the season's holiday block (negative before its end)
    lantern: np.ndarray  # days from the season's Lantern Festival


@lru_cache(maxsize=2)
def _calendar(start: pd.Timestamp = SAMPLE_START, end: pd.Timestamp = SAMPLE_END) -> _Calendar:
    days = pd.date_range(start, end, freq="D")
    frame = calendar.day_features(days)
    feat = {c: frame[c].to_numpy() for c in frame.columns if c != "ds"}
    windows = {}
    n = np.arange(len(days))
    after = np.zeros(len(days), dtype=int)
    lantern = np.zeros(len(days), dtype=int)
    origin = days[0]
    for s in range(FIRST_SEASON, LAST_SEASON + 1):
        cal = calendar.season(s)
        first, last = (pd.Timestamp(cal.chunyun_start) - origin).days, (pd.Timestamp(cal.chunyun_end) - origin).days
        eve = (pd.Timestamp(cal.spring_festival) - origin).days - 1
        hol_end = (pd.Timestamp(cal.holiday_end) - origin).days
        windows[s] = _Window(s, first, last, eve, hol_end)
        sl = slice(first, last + 1)
        after[sl] = n[sl] - hol_end
        lantern[sl] = n[sl] - (pd.Timestamp(cal.lantern_festival) - origin).days
    anchor = pd.Timestamp(calendar.season(ANCHOR_SEASON).spring_festival)
    day_num = ((days - anchor) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return _Calendar(days, feat, windows, day_num, days.dayofyear.to_numpy(), after, lantern)


def _shape(metric: str, region: str, season: int, cal: _Calendar) -> np.ndarray:
    """The season's daily multiplier (mean 1 over the window) for one series."""
    w = cal.windows[season]
    sl = slice(w.start, w.end + 1)
    f = {k: v[sl] for k, v in cal.feat.items()}
    sh = SHAPES[metric]
    pre_scale, ret_scale = REGION_METRIC_TWEAK.get((region, metric), REGION_TWEAK[region])
    o = f["offset"]
    dte = f["days_to_holiday_end"]
    holiday = f["is_holiday"]
    after = cal.after[sl]
    lantern = cal.lantern[sl]

    def scaled(value: float, k: float) -> float:
        return 1 + (value - 1) * k

    pre = np.interp(o, PRE_OFFSETS, [scaled(v, pre_scale) for v in sh.pre])
    ret = np.array([scaled(v, ret_scale) for v in sh.ret])
    post = np.interp(after, POST_DAYS, [scaled(v, ret_scale) for v in sh.post])
    y = np.where(o <= -2, pre, 1.0)
    y = np.where(o == -1, sh.eve, y)
    y = np.where(o == 0, sh.day1, y)
    visit = np.interp(o, (1, 2, 3), sh.visit)
    ret_day = ret[np.clip(dte, 0, len(ret) - 1)]
    in_hol = holiday & (o >= 1)
    y = np.where(in_hol, np.maximum(np.where(o <= 3, visit, 0), ret_day), y)
    # a holiday day before 初二 that is not 除夕/初一 (none today) keeps the pre-festival level
    out = (after >= 1) & (o >= 1)
    tail = np.interp(o, (14, 24), (1.0, 0.0))  # the post-holiday plateau gives way to the end level
    y = np.where(out, post * tail + sh.end * (1 - tail), y)
    y = y + sh.lantern * ret_scale * np.exp(-0.5 * ((lantern - 1.5) / 2.0) ** 2) * (after >= 1)
    if metric in TOLL_FREE_UPLIFT:
        y = y * (1 + TOLL_FREE_UPLIFT[metric] * f["is_toll_free"])
    # damped weekday rhythm outside the holiday block; make-up workdays count as Tuesdays
    wd = np.where(f["is_makeup_workday"], 1, f["weekday"])
    week = np.asarray(WEEKDAY[metric]) / np.mean(WEEKDAY[metric])
    y = y * np.where(holiday, 1.0, 1 + IN_SEASON_WEEKDAY[metric] * (week[wd] - 1))
    return y / y.mean()


def _ordinary_factor(metric: str, cal: _Calendar) -> np.ndarray:
    """Annual cycle x weekday x other public holidays, for every day (used outside the windows)."""
    f = cal.feat
    amp, peak = ANNUAL[metric]
    annual = 1 + amp * np.cos(2 * np.pi * (cal.doy - peak) / 365.25)
    wd = np.where(f["is_workday_shift"], 1, f["weekday"])
    week = np.asarray(WEEKDAY[metric]) / np.mean(WEEKDAY[metric])
    hol = f["is_public_holiday"] & ~f["in_chunyun"]
    uplift = np.ones(len(cal.days))
    idx = np.flatnonzero(hol)
    if idx.size:
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        for run in runs:
            n = len(run)
            first_day = cal.days[run[0]]
            toll = first_day.month in (4, 5, 10) and not (first_day.month == 5 and first_day.day > 5)
            extra = TOLL_FREE_HOLIDAY_EXTRA.get(metric, 0.0) if toll else 0.0
            strength = HOLIDAY_UPLIFT[metric] * (0.4 if first_day.month == 1 else 1.0) + extra
            prof = np.full(n, 0.6)
            prof[0], prof[-1] = 1.0, 0.9
            if n == 1:
                prof[0] = 0.5
            uplift[run] = 1 + strength * prof
            if run[0] > 0 and not hol[run[0] - 1]:
                uplift[run[0] - 1] *= 1 + 0.3 * strength  # the eve: people leave after work
    return annual * np.where(hol, 1.0, week[wd]) * uplift


def _covid_factor(metric: str, region: str, cal: _Calendar) -> np.ndarray:
    if cal is _calendar():
        return _covid_factor_cached(metric, region)
    return _covid_factor_for(metric, region, cal)


@lru_cache(maxsize=32)
def _covid_factor_cached(metric: str, region: str) -> np.ndarray:
    out = _covid_factor_for(metric, region, _calendar())
    out.flags.writeable = False
    return out


def _covid_factor_for(metric: str, region: str, cal: _Calendar) -> np.ndarray:
    knots = DRIVING_KNOTS if metric in DRIVING else COVID_KNOTS
    dates = pd.to_datetime([d for d, _ in knots])
    logv = np.log([v for _, v in knots]) * COVID_SENSITIVITY[metric] * REGION_COVID_SCALE[region]
    x = ((dates - SAMPLE_START) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    xs = np.arange(len(cal.days), dtype=float)
    c = np.interp(xs, x, logv, left=0.0, right=0.0)
    c[xs < x[0]] = 0.0
    r0 = (RECOVERY_START - SAMPLE_START).days
    r1 = (RECOVERY_END - SAMPLE_START).days
    rec = np.log(RECOVERY_2023[metric])
    c[xs > x[-1]] = np.interp(xs[xs > x[-1]], (x[-1], r0, r1), (logv[-1], rec, 0.0), right=0.0)
    if metric in STRUCTURAL_2023:
        c += np.interp(xs, (x[0], r0 - 1), (0.0, np.log(STRUCTURAL_2023[metric])))
    return np.exp(c)


def _trend_years(metric: str, cal: _Calendar) -> np.ndarray:
    """Years of trend growth since the anchor: the pandemic years do not count for operating modes."""
    years = cal.day_num / 365.25
    if metric in FROZEN_IN_COVID:
        start = (COVID_BREAK - SAMPLE_START).days
        end = (RECOVERY_START - SAMPLE_START).days
        xs = np.arange(len(cal.days))
        years = years - np.clip(xs - start, 0, end - start) / 365.25
    return years
