"""Calendar regressors shared by the daily models (Prophet and the statsmodels regression).

Built from :func:`forecast.calendar.day_features` on the :class:`Calendar` a model predicts on
(:data:`OFFICIAL` unless a scenario passes a changed one), so every model sees the same calendar:

- ``sf_<k>``: a piecewise-linear profile of the offset from the Spring Festival (hat functions on
  the knots :data:`SF_KNOTS`, -30..+40 days): the slow build-up before and the long tail after;
  ``sfd_<k>``: one dummy per day from 2 days before to 3 days after 正月初一 (sharp troughs/visits);
- ``hol_*`` / ``pre_*`` / ``post_*``: the position in the official holiday block (first days, last
  days, where the return peak sits, and the days just before and after it), ``makeup`` (调休
  workday) and ``toll_free`` (free motorways for small cars);
- ``ph``, ``ph_first``, ``ph_last``, ``ph_eve``, ``shift``: the other public holidays (National Day,
  Labour Day, ...) and their make-up workdays;
- ``dow_<k>``, ``cdow_<k>`` and ``fy_*``: day of week (overall, and its change inside the Chunyun
  window outside the holiday block) and yearly Fourier terms (the regression model only; Prophet
  has its own weekly and yearly terms).

COVID seasons are flagged by :func:`covid_mask` so models can leave them out of their fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.calendar import COVID_SEASONS  # noqa: F401 - re-exported: the models' name for it
from forecast.errors import InvalidInput, Unprocessable

SF_KNOTS = (-30, -24, -19, -15, -12, -9, -7, -5, -3, -1, 1, 3, 5, 7, 9, 11, 13, 15, 18, 21, 25, 32, 40)
HOLIDAY_COLUMNS = ("pre_2", "pre_1", "hol_1", "hol_2", "hol_mid", "hol_end_2", "hol_end_1", "hol_end_0",
                   "post_1", "post_2", "post_3", "makeup", "toll_free")
SF_DAYS = (-2, -1, 0, 1, 2, 3)  # sharp days around the festival: 除夕 and 初一 are troughs, 初二/初三 visits
CHUNYUN_DOW = tuple(f"cdow_{k}" for k in range(1, 7))  # weekday rhythm inside the window (damped there)
OTHER_HOLIDAY_COLUMNS = ("ph", "ph_first", "ph_last", "ph_eve", "shift")
FOURIER_ORDER = 6

# From the 2020 Chunyun's first day (2020-01-10) to the day before the 2023 Chunyun: travel was
# shaped by epidemic controls, not by the calendar, so no model learns its calendar effects there.
COVID_START = pd.Timestamp("2020-01-10")
COVID_END = pd.Timestamp("2023-01-06")


TABLE_START, TABLE_END = pd.Timestamp("2004-01-01"), pd.Timestamp("2035-07-31")


@lru_cache(maxsize=1)
def _feature_table() -> pd.DataFrame:
    return calendar.day_features(pd.date_range(TABLE_START, TABLE_END, freq="D")).set_index("ds", drop=False)


def _official_features(dates) -> pd.DataFrame:
    """:func:`forecast.calendar.day_features`, served from a per-process table 2004-01-01..2035-07-31 (fast)."""
    ds = dates if isinstance(dates, pd.DatetimeIndex) else pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)))
    ds = ds.normalize()
    if len(ds) and ds.min() >= TABLE_START and ds.max() <= TABLE_END:
        return _feature_table().reindex(ds).reset_index(drop=True)
    return calendar.day_features(ds)


# What a changed season may not change: the days its features count from and its travel window.
FIXED_FIELDS = ("spring_festival", "lantern_festival", "chunyun_start", "chunyun_end")


@dataclass(frozen=True)
class Calendar:
    """The calendar the daily models predict on: the official one (:data:`OFFICIAL`), or the
    official one with whole seasons replaced (``changed``, e.g. built with ``dataclasses.replace``
    from :func:`forecast.calendar.season`).

    A changed season may move its holiday block, make-up workdays and toll-free days; its festival
    days and Chunyun window stay the official ones. A ``Calendar`` is immutable and is passed to the
    models (``predict(dates, cal=...)``), so a changed one never affects another caller or thread.
    """

    changed: tuple[calendar.Season, ...] = ()

    def __post_init__(self):
        years = [s.season for s in self.changed]
        if len(set(years)) != len(years):
            raise InvalidInput(f"seasons changed twice: {sorted(years)}", hint="give each season once")
        for s in self.changed:
            official = calendar.season(s.season)
            moved = [f for f in FIXED_FIELDS if getattr(s, f) != getattr(official, f)]
            if moved:
                raise Unprocessable(f"season {s.season}: {', '.join(moved)} cannot change",
                                    hint="change the holiday block, make-up workdays or toll-free days")

    def replace_season(self, changed: calendar.Season) -> Calendar:
        """This calendar with ``changed`` standing in for the season of its year."""
        return Calendar(tuple(s for s in self.changed if s.season != changed.season) + (changed,))

    def season(self, year: int) -> calendar.Season:
        """:func:`forecast.calendar.season` on this calendar."""
        return next((s for s in self.changed if s.season == int(year)), None) or calendar.season(year)

    def features(self, dates) -> pd.DataFrame:
        """:func:`forecast.calendar.day_features` columns for ``dates`` on this calendar (the days of a
        changed season recomputed by :func:`_with_season`); from a per-process table (fast)."""
        f = _official_features(dates)
        for s in self.changed:
            f = _with_season(f, s)
        return f


OFFICIAL = Calendar()


def covid_mask(ds) -> np.ndarray:
    ds = pd.DatetimeIndex(ds)
    return np.asarray((ds >= COVID_START) & (ds <= COVID_END))


def sf_columns() -> list[str]:
    return [f"sf_{k}" for k in range(len(SF_KNOTS))]


def sf_day_columns() -> list[str]:
    return [f"sfd_{d + 2}" for d in SF_DAYS]


def calendar_columns() -> list[str]:
    """Every calendar regressor except day of week and Fourier terms (what Prophet receives)."""
    return sf_columns() + sf_day_columns() + list(HOLIDAY_COLUMNS) + list(OTHER_HOLIDAY_COLUMNS)


def regression_columns() -> list[str]:
    return calendar_columns() + [f"dow_{k}" for k in range(1, 7)] + list(CHUNYUN_DOW) + [f"fy_{f}{k}" for k in range(1, FOURIER_ORDER + 1) for f in ("s", "c")]


def _hats(offset: np.ndarray) -> np.ndarray:
    knots = np.asarray(SF_KNOTS, dtype=float)
    out = np.zeros((len(offset), len(knots)))
    x = offset.astype(float)
    inside = (x >= knots[0]) & (x <= knots[-1])
    j = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(knots) - 2)
    w = (x - knots[j]) / (knots[j + 1] - knots[j])
    rows = np.nonzero(inside)[0]
    out[rows, j[rows]] = 1.0 - w[rows]
    out[rows, j[rows] + 1] += w[rows]
    return out


def _shifted(arr: np.ndarray, k: int) -> np.ndarray:
    """arr[t + k] (False beyond the edges)."""
    out = np.zeros(len(arr), dtype=bool)
    if k > 0:
        out[:-k] = arr[k:]
    elif k < 0:
        out[-k:] = arr[:k]
    else:
        out[:] = arr
    return out


def design(dates, cal: Calendar = OFFICIAL) -> pd.DataFrame:
    """Regressors for ``dates`` (any order) on calendar ``cal``, indexed like the input: see
    :func:`regression_columns`."""
    ds = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates))).normalize()
    lo, hi = ds.min() - pd.Timedelta(days=4), ds.max() + pd.Timedelta(days=4)
    full = pd.date_range(lo, hi, freq="D")
    f = cal.features(full).set_index("ds")
    hol = f["is_holiday"].to_numpy()
    hd = f["holiday_day"].to_numpy()
    dte = f["days_to_holiday_end"].to_numpy()

    block_end = hol & (dte == 0)
    block_start = hol & (hd == 1)
    cols: dict[str, np.ndarray] = {}
    hats = _hats(f["offset"].to_numpy())
    for k in range(hats.shape[1]):
        cols[f"sf_{k}"] = hats[:, k]
    offset = f["offset"].to_numpy()
    for d, name in zip(SF_DAYS, sf_day_columns(), strict=True):
        cols[name] = offset == d
    cols["pre_2"] = _shifted(block_start, 2) & ~hol
    cols["pre_1"] = _shifted(block_start, 1) & ~hol
    cols["hol_1"] = hol & (hd == 1)
    cols["hol_2"] = hol & (hd == 2)
    cols["hol_end_2"] = hol & (dte == 2) & (hd > 2)
    cols["hol_end_1"] = hol & (dte == 1) & (hd > 2)
    cols["hol_end_0"] = hol & (dte == 0)
    cols["hol_mid"] = hol & (hd > 2) & (dte > 2)
    cols["post_1"] = _shifted(block_end, -1) & ~hol
    cols["post_2"] = _shifted(block_end, -2) & ~hol
    cols["post_3"] = _shifted(block_end, -3) & ~hol
    cols["makeup"] = f["is_makeup_workday"].to_numpy()
    cols["toll_free"] = f["is_toll_free"].to_numpy()
    ph = f["is_public_holiday"].to_numpy() & ~hol
    cols["ph"] = ph
    cols["ph_first"] = ph & ~_shifted(ph, -1)
    cols["ph_last"] = ph & ~_shifted(ph, 1)
    cols["ph_eve"] = _shifted(ph, 1) & ~ph & ~hol
    cols["shift"] = f["is_workday_shift"].to_numpy() & ~f["is_makeup_workday"].to_numpy()
    wd = f["weekday"].to_numpy()
    window = f["in_chunyun"].to_numpy() & ~hol
    for k in range(1, 7):
        cols[f"dow_{k}"] = wd == k
        cols[f"cdow_{k}"] = (wd == k) & window
    doy = 2 * np.pi * (full.dayofyear.to_numpy() - 1) / 365.25
    for k in range(1, FOURIER_ORDER + 1):
        cols[f"fy_s{k}"] = np.sin(k * doy)
        cols[f"fy_c{k}"] = np.cos(k * doy)
    frame = pd.DataFrame({c: np.asarray(v, dtype=float) for c, v in cols.items()}, index=full)
    return frame.reindex(ds)[regression_columns()]


def season_dates(year: int) -> pd.DatetimeIndex:
    """The days of season ``year``'s Chunyun window."""
    return calendar.season(int(year)).days


def _with_season(features: pd.DataFrame, changed: calendar.Season) -> pd.DataFrame:
    """``features`` (:func:`forecast.calendar.day_features` columns) with the days of ``changed.season``
    recomputed from ``changed``: the holiday block and its position columns, toll-free days,
    make-up workdays and the public-holiday flags. Other seasons are left alone."""
    f = features.copy()
    mine = (f["season"] == changed.season).to_numpy()
    if not mine.any():
        return f
    ds = pd.to_datetime(f["ds"])
    start, end = pd.Timestamp(changed.holiday_start), pd.Timestamp(changed.holiday_end)
    old_hol = f["is_holiday"].to_numpy(dtype=bool) & mine
    old_makeup = f["is_makeup_workday"].to_numpy(dtype=bool) & mine
    hol = mine & (ds >= start).to_numpy() & (ds <= end).to_numpy()
    makeup = mine & ds.isin(pd.DatetimeIndex(list(changed.makeup_workdays))).to_numpy()
    if changed.toll_free_start is not None and changed.toll_free_end is not None:
        toll = (ds >= pd.Timestamp(changed.toll_free_start)).to_numpy() & (ds <= pd.Timestamp(changed.toll_free_end)).to_numpy()
    else:
        toll = np.zeros(len(f), dtype=bool)
    f["is_holiday"] = np.where(mine, hol, f["is_holiday"])
    f["holiday_day"] = np.where(mine, np.where(hol, (ds - start).dt.days + 1, 0), f["holiday_day"])
    f["days_to_holiday_end"] = np.where(mine, np.where(hol, (end - ds).dt.days, -1), f["days_to_holiday_end"])
    f["is_makeup_workday"] = np.where(mine, makeup, f["is_makeup_workday"])
    f["is_toll_free"] = np.where(mine, toll & mine, f["is_toll_free"])
    f["is_public_holiday"] = (f["is_public_holiday"].to_numpy(dtype=bool) & ~old_hol) | hol
    f["is_workday_shift"] = (f["is_workday_shift"].to_numpy(dtype=bool) & ~old_makeup) | makeup
    return f
