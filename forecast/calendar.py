"""The Chinese travel calendar: pure functions of a date or a season, seasons 2000–2035.

A *season* is named by its Spring Festival year: season 2025 is the Chunyun (春运) around
2025-01-29. Sources, in order of authority:

- the Spring Festival day (正月初一) and the Lantern Festival (正月十五) come from ``lunardate``;
- the Chunyun window is 15 days before to 24 days after the Spring Festival day (40 days), except
  where the published dates in ``data/reference/calendar.csv`` differ (2015: 41 days);
- the official Spring Festival holiday block and its make-up workdays (调休) come from the State
  Council notices as encoded by ``chinese_calendar`` (2004–2026); other years are estimated by
  :func:`estimate_holiday` and flagged ``estimated=True``;
- toll-free days for small passenger cars follow the 2012 policy (first Spring Festival: 2013).

``data/reference/CALENDAR_NOTES.md`` records the evidence and the disagreements between libraries.
"""

from __future__ import annotations

import csv
import logging
import numbers
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
from lunardate import LunarDate

from forecast import settings
from forecast.errors import InvalidInput, Unprocessable

log = logging.getLogger(__name__)

FIRST_SEASON = 2000
LAST_SEASON = 2035
SUPPORTED_HINT = f"seasons {FIRST_SEASON}–{LAST_SEASON} are supported"
# The first day an observation may have: the calendar knows days from 1999-08-12 (midway between
# the 1999 and 2000 Spring Festivals), the models look a few days around each date (4 for the
# holiday features), so the store starts with the year 2000. Ingest and training both use it.
FIRST_DATA_DAY = date(FIRST_SEASON, 1, 1)

CHUNYUN_DAYS_BEFORE = 15  # the window opens 15 days before 正月初一 ...
CHUNYUN_DAYS_AFTER = 24  # ... and closes 24 days after it: 40 days in all
TOLL_FREE_FIRST_SEASON = 2013  # free passage for small cars began with National Day 2012
MAKEUP_SEARCH_DAYS = 14  # make-up workdays lie within this many days of the holiday block
# Seasons shaped by epidemic controls, not by the calendar: no model learns calendar effects there,
# no season total trend counts them, the sample draws them apart.
COVID_SEASONS = (2020, 2021, 2022)
# A season counts as complete (for its total, or as a template) when this share of its window's
# days is there.
COMPLETE_SHARE = 0.95

_SPRING_FESTIVAL = chinese_calendar.Holiday.spring_festival.value

FEATURE_COLUMNS = (
    "ds", "season", "offset", "in_chunyun", "is_holiday", "is_makeup_workday", "is_toll_free",
    "holiday_day", "days_to_holiday_end", "weekday", "is_public_holiday", "is_workday_shift",
)


@dataclass(frozen=True)
class Season:
    """One season's calendar. ``estimated`` is True when the holiday block is not official."""

    season: int
    spring_festival: date
    chunyun_start: date
    chunyun_end: date
    holiday_start: date
    holiday_end: date
    makeup_workdays: tuple[date, ...]
    toll_free_start: date | None
    toll_free_end: date | None
    lantern_festival: date
    estimated: bool

    @property
    def eve(self) -> date:
        """The day before the window opens: the last day a season-ahead forecast may see."""
        return self.chunyun_start - timedelta(days=1)

    @property
    def cutoff(self) -> pd.Timestamp:
        """The eve as a nanosecond Timestamp (the resolution of every frame here): the cutoff of a
        season-ahead forecast."""
        return pd.Timestamp(self.eve).as_unit("ns")

    @property
    def days(self) -> pd.DatetimeIndex:
        """The days of the Chunyun window, first to last."""
        return pd.date_range(self.chunyun_start, self.chunyun_end, freq="D")

    @property
    def length(self) -> int:
        """How many days the window has (40, or 41 in 2015)."""
        return (self.chunyun_end - self.chunyun_start).days + 1

    def to_dict(self) -> dict:
        """The fields with ISO date strings (``makeup_workdays`` as a list); what the CLI prints."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# lunar dates

def spring_festival(year: int) -> date:
    """正月初一 of ``year`` (the Spring Festival day) from the lunar calendar."""
    return _lunar_to_solar(_check_year(year, FIRST_SEASON - 1, LAST_SEASON + 1), 1, 1)


def lantern_festival(year: int) -> date:
    """正月十五 of ``year`` (元宵, the Lantern Festival)."""
    return _lunar_to_solar(_check_year(year, FIRST_SEASON - 1, LAST_SEASON + 1), 1, 15)


@lru_cache(maxsize=256)
def _lunar_to_solar(year: int, month: int, day: int) -> date:
    return LunarDate(year, month, day).to_solar_date()


def _check_year(year, low: int = FIRST_SEASON, high: int = LAST_SEASON) -> int:
    """``year`` as an int in ``low..high``, or Unprocessable naming the supported seasons."""
    if isinstance(year, bool) or not isinstance(year, numbers.Integral):
        raise Unprocessable(f"season {year!r} is not a year", hint=SUPPORTED_HINT)
    if not low <= int(year) <= high:
        raise Unprocessable(f"season {year} is out of range", hint=SUPPORTED_HINT)
    return int(year)


# ---------------------------------------------------------------------------------------------
# seasons

def season(year: int) -> Season:
    """The calendar of season ``year`` (2000–2035), cached."""
    return _build_season(_check_year(year), _calendar_csv())


def season_of(d) -> int:
    """The season whose Spring Festival day is nearest to ``d`` (a tie goes to the later one)."""
    return int(_season_numbers(_to_days(_as_index([d])))[0])


@lru_cache(maxsize=128)
def _build_season(year: int, calendar_csv: str) -> Season:
    sf = spring_festival(year)
    chunyun_start, chunyun_end = _published_windows(calendar_csv).get(year) or _rule_window(sf)
    official = _official_holiday(year)
    start, end, makeup = official or estimate_holiday(year)
    toll_start, toll_end = _toll_free(year, sf, start, end)
    return Season(
        season=year,
        spring_festival=sf,
        chunyun_start=chunyun_start,
        chunyun_end=chunyun_end,
        holiday_start=start,
        holiday_end=end,
        makeup_workdays=makeup,
        toll_free_start=toll_start,
        toll_free_end=toll_end,
        lantern_festival=lantern_festival(year),
        estimated=official is None,
    )


def _rule_window(sf: date) -> tuple[date, date]:
    return sf - timedelta(days=CHUNYUN_DAYS_BEFORE), sf + timedelta(days=CHUNYUN_DAYS_AFTER)


def _toll_free(year: int, sf: date, holiday_start: date, holiday_end: date) -> tuple[date | None, date | None]:
    """Free passage for small passenger cars: 除夕 (or the block's first day if earlier) to the block's end.

    2024 shows why 除夕 counts: the holiday began on 初一 but cars went free from 除夕.
    """
    if year < TOLL_FREE_FIRST_SEASON:
        return None, None
    return min(sf - timedelta(days=1), holiday_start), holiday_end


# ---------------------------------------------------------------------------------------------
# published Chunyun windows (data/reference/calendar.csv)

def _calendar_csv() -> str:
    return str(Path(settings.load()["data_dir"]) / "reference" / "calendar.csv")


@lru_cache(maxsize=4)
def _published_windows(path: str) -> dict[int, tuple[date, date]]:
    """Published Chunyun start and end by season; empty (with a warning) when the file is missing."""
    if not Path(path).is_file():
        log.warning("%s not found: Chunyun windows follow the 40-day rule for every season", path)
        return {}
    with open(path, encoding="utf-8") as fh:
        return {
            int(row["year"]): (date.fromisoformat(row["chunyun_start"]), date.fromisoformat(row["chunyun_end"]))
            for row in csv.DictReader(fh)
        }


# ---------------------------------------------------------------------------------------------
# official holidays (chinese_calendar, from the State Council notices)

@lru_cache(maxsize=1)
def official_years() -> range:
    """The years chinese_calendar has official holiday and 调休 data for (2004–2026 in 1.11)."""
    known = chinese_calendar.holidays
    return range(min(known).year, max(known).year + 1)


def _official_holiday(year: int) -> tuple[date, date, tuple[date, ...]] | None:
    """The official Spring Festival block and its make-up workdays, or None where not announced.

    The block is the maximal run of days chinese_calendar names "Spring Festival" around 正月初一
    (weekends inside the block carry the name too); make-up workdays are weekend days it marks as
    Spring Festival workdays within ``MAKEUP_SEARCH_DAYS`` of the block.
    """
    named = chinese_calendar.holidays
    sf = spring_festival(year)
    if year not in official_years() or named.get(sf) != _SPRING_FESTIVAL:
        return None
    one = timedelta(days=1)
    start, end = sf, sf
    while named.get(start - one) == _SPRING_FESTIVAL:
        start -= one
    while named.get(end + one) == _SPRING_FESTIVAL:
        end += one
    low, high = start - timedelta(days=MAKEUP_SEARCH_DAYS), end + timedelta(days=MAKEUP_SEARCH_DAYS)
    makeup = tuple(sorted(
        d for d, name in chinese_calendar.workdays.items()
        if name == _SPRING_FESTIVAL and low <= d <= high
    ))
    return start, end, makeup


@lru_cache(maxsize=1)
def _official_day_sets() -> tuple[np.ndarray, np.ndarray]:
    """Every official day off (any holiday) and every official make-up workday, as day numbers."""
    return _day_numbers(chinese_calendar.holidays), _day_numbers(chinese_calendar.workdays)


def _day_numbers(days) -> np.ndarray:
    return np.array(sorted(days), dtype="datetime64[D]").astype(np.int64)


# ---------------------------------------------------------------------------------------------
# the estimate for years with no official notice

def estimate_holiday(year: int) -> tuple[date, date, tuple[date, ...]]:
    """The Spring Festival holiday block and make-up workdays by rule (used outside 2004–2026).

    Block, from the layouts of the State Council notices:

    - before 2008: 7 days from 初一 (statutory days 初一–初三), as in 2004–2007;
    - 2008–2024: 7 days from 除夕, the usual layout of those years;
    - from 2025: 8 days from 除夕 (除夕 became the fourth statutory day in 2025).

    Make-up workdays repay the block's weekdays beyond the statutory days (a statutory day that
    falls on a weekend is compensated inside the block, so it is not repaid): a 7-day block always
    borrows 2 days, an 8-day one 1 or 2. They are chosen by :func:`_pick_makeup_days`. Against the
    official years this rule gives the official block in 19 of 23 years (not 2014, 2020, 2024, 2026)
    and, given the official block and number of make-up days, the official make-up days in every
    year 2006–2026 but 2008 (2004, 2005 and 2008 worked the whole weekend before the block).
    """
    year = _check_year(year, FIRST_SEASON - 1, LAST_SEASON + 1)
    sf = spring_festival(year)
    if year < 2008:
        start, length, statutory = sf, 7, 3
    elif year < 2025:
        start, length, statutory = sf - timedelta(days=1), 7, 3
    else:
        start, length, statutory = sf - timedelta(days=1), 8, 4
    end = start + timedelta(days=length - 1)
    borrowed = _weekdays_between(start, end) - statutory
    return start, end, _pick_makeup_days(start, end, borrowed)


def _weekdays_between(start: date, end: date) -> int:
    return sum((start + timedelta(days=i)).weekday() < 5 for i in range((end - start).days + 1))


def _pick_makeup_days(start: date, end: date, count: int) -> tuple[date, ...]:
    """``count`` (at most 2) weekend days near the block that become workdays.

    A whole weekend touching the block is worked (2023: block Sat 01-21..Fri 01-27, make-up
    01-28 and 01-29); otherwise the nearest weekend day before and the nearest after it
    (2025: 01-26 and 02-08); with one day to repay, the nearer of the two (a tie goes before).
    """
    one = timedelta(days=1)
    touching = [d for d in (start - 2 * one, start - one) if d.weekday() >= 5]
    if len(touching) < 2:
        touching = [d for d in (end + one, end + 2 * one) if d.weekday() >= 5]
    if count >= 2 and len(touching) == 2:
        return tuple(touching)
    before, after = start - one, end + one
    while before.weekday() < 5:
        before -= one
    while after.weekday() < 5:
        after += one
    nearest_first = sorted((before, after), key=lambda d: (abs((d - start).days if d < start else (d - end).days), d))
    return tuple(sorted(nearest_first[:max(count, 0)]))


# ---------------------------------------------------------------------------------------------
# day features

def day_info(d) -> dict:
    """The features of one day as plain Python values (``ds`` a ``datetime.date``)."""
    ds = _as_index([d])
    features = _feature_arrays(ds)
    return {"ds": ds[0].date(), **{col: features[col][0].item() for col in FEATURE_COLUMNS[1:]}}


def day_features(dates) -> pd.DataFrame:
    """One row per date (input order kept) with the calendar features the models use.

    ``offset`` counts days from the season's 正月初一; ``is_holiday``, ``holiday_day`` and
    ``days_to_holiday_end`` refer to the Spring Festival block; ``is_public_holiday`` and
    ``is_workday_shift`` cover every official holiday and make-up workday where chinese_calendar
    knows them (2004–2026) plus, in every year, the Spring Festival block and its make-up days.
    """
    ds = _as_index(dates)
    return pd.DataFrame({"ds": ds.values, **_feature_arrays(ds)}, columns=list(FEATURE_COLUMNS))


def _feature_arrays(ds: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Every feature but ``ds`` as one numpy array each: the single place they are computed."""
    days = _to_days(ds)
    idx = _season_numbers(days) - FIRST_SEASON
    table = _season_table(_calendar_csv())
    sf, holiday_start, holiday_end = (table[k][idx] for k in ("sf", "holiday_start", "holiday_end"))
    is_holiday = (days >= holiday_start) & (days <= holiday_end)
    is_makeup = np.isin(days, table["makeup"])
    official_off, official_work = _official_day_sets()
    return {
        "season": idx + FIRST_SEASON,
        "offset": days - sf,
        "in_chunyun": (days >= table["chunyun_start"][idx]) & (days <= table["chunyun_end"][idx]),
        "is_holiday": is_holiday,
        "is_makeup_workday": is_makeup,
        "is_toll_free": (days >= table["toll_start"][idx]) & (days <= table["toll_end"][idx]),
        "holiday_day": np.where(is_holiday, days - holiday_start + 1, 0),
        "days_to_holiday_end": np.where(is_holiday, holiday_end - days, -1),
        "weekday": (days + 3) % 7,  # 1970-01-01 was a Thursday
        "is_public_holiday": is_holiday | np.isin(days, official_off),
        "is_workday_shift": is_makeup | np.isin(days, official_work),
    }


def _as_index(dates) -> pd.DatetimeIndex:
    """Dates of any common form as a midnight, timezone-naive DatetimeIndex; InvalidInput if unreadable."""
    try:
        ds = pd.DatetimeIndex(pd.to_datetime(pd.Index(list(dates) if not isinstance(dates, pd.Index) else dates)))
    except (ValueError, TypeError, OverflowError) as err:
        raise InvalidInput(f"not a list of dates: {err}", hint="use YYYY-MM-DD dates") from None
    if ds.hasnans:
        raise InvalidInput("a date is missing (NaT)", hint="give every date as YYYY-MM-DD")
    if ds.tz is not None:
        ds = ds.tz_localize(None)
    return ds.normalize().astype("datetime64[ns]")


def _to_days(ds: pd.DatetimeIndex) -> np.ndarray:
    return ds.values.astype("datetime64[D]").astype(np.int64)


@lru_cache(maxsize=1)
def _season_starts() -> np.ndarray:
    """First day of each season 2000..2036 as day numbers: the day nearer the later 正月初一.

    Dates from ``starts[i]`` up to ``starts[i+1]`` belong to season 2000+i; a date exactly midway
    between two Spring Festivals goes to the later season.
    """
    sfs = [np.datetime64(spring_festival(y), "D").astype(np.int64) for y in range(FIRST_SEASON - 1, LAST_SEASON + 2)]
    return np.array([a + (b - a + 1) // 2 for a, b in zip(sfs[:-1], sfs[1:], strict=True)], dtype=np.int64)


def _season_numbers(days: np.ndarray) -> np.ndarray:
    starts = _season_starts()
    idx = np.searchsorted(starts, days, side="right") - 1
    bad = (idx < 0) | (idx >= len(starts) - 1)
    if bad.any():
        first = np.datetime64(int(days[bad][0]), "D")
        raise Unprocessable(
            f"{first} is outside the supported seasons",
            hint=f"{SUPPORTED_HINT}: dates {np.datetime64(int(starts[0]), 'D')} to {np.datetime64(int(starts[-1]) - 1, 'D')}",
        )
    return idx + FIRST_SEASON


@lru_cache(maxsize=4)
def _season_table(calendar_csv: str) -> dict[str, np.ndarray]:
    """Every season's dates as day-number arrays indexed by ``season - FIRST_SEASON``."""
    seasons = [_build_season(y, calendar_csv) for y in range(FIRST_SEASON, LAST_SEASON + 1)]
    never = (np.iinfo(np.int64).max, np.iinfo(np.int64).min)  # a toll-free range no day falls in

    def column(get) -> np.ndarray:
        return np.array([np.datetime64(get(s), "D").astype(np.int64) for s in seasons], dtype=np.int64)

    return {
        "sf": column(lambda s: s.spring_festival),
        "chunyun_start": column(lambda s: s.chunyun_start),
        "chunyun_end": column(lambda s: s.chunyun_end),
        "holiday_start": column(lambda s: s.holiday_start),
        "holiday_end": column(lambda s: s.holiday_end),
        "toll_start": np.array([_day(s.toll_free_start, never[0]) for s in seasons], dtype=np.int64),
        "toll_end": np.array([_day(s.toll_free_end, never[1]) for s in seasons], dtype=np.int64),
        "makeup": _day_numbers([d for s in seasons for d in s.makeup_workdays]),
    }


def _day(d: date | None, default: int) -> int:
    return default if d is None else int(np.datetime64(d, "D").astype(np.int64))
