"""The travel calendar against published dates, the official notices and the libraries it rests on."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import holidays
import pandas as pd
import pytest

from forecast import calendar
from forecast.cli import main
from forecast.errors import InvalidInput, Unprocessable

ROOT = Path(__file__).resolve().parents[1]
SHARED_CSV = Path(__file__).resolve().parents[2] / "shared/reference/calendar.csv"
PROJECT_CSV = ROOT / "data/reference/calendar.csv"
REFERENCE_CSV = SHARED_CSV if SHARED_CSV.is_file() else PROJECT_CSV

SEASON_KEYS = [
    "season", "spring_festival", "chunyun_start", "chunyun_end", "holiday_start", "holiday_end",
    "makeup_workdays", "toll_free_start", "toll_free_end", "lantern_festival", "estimated",
]

D = date.fromisoformat


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


REFERENCE_ROWS = _rows(REFERENCE_CSV)


# --- published dates ---------------------------------------------------------------------------

@pytest.mark.parametrize("row", REFERENCE_ROWS, ids=lambda r: r["year"])
def test_spring_festival_and_chunyun_window_match_the_reference(row):
    s = calendar.season(int(row["year"]))
    assert calendar.spring_festival(int(row["year"])) == D(row["spring_festival_day1"])
    assert s.spring_festival == D(row["spring_festival_day1"])
    assert (s.chunyun_start, s.chunyun_end) == (D(row["chunyun_start"]), D(row["chunyun_end"]))


def test_chunyun_window_is_40_days_except_published_2015():
    for year in range(calendar.FIRST_SEASON, calendar.LAST_SEASON + 1):
        s = calendar.season(year)
        assert s.chunyun_start == s.spring_festival - timedelta(days=15)
        expected_days = 41 if year == 2015 else 40
        assert (s.chunyun_end - s.chunyun_start).days + 1 == expected_days, year
    assert calendar.season(2015).chunyun_end == date(2015, 3, 16)


def test_project_csv_keeps_the_shared_columns_and_adds_checks():
    project = _rows(PROJECT_CSV)
    assert list(project[0])[-2:] == ["sf_check", "verdict"]
    if SHARED_CSV.is_file():
        shared = _rows(SHARED_CSV)
        assert [{k: r[k] for k in shared[0]} for r in project] == shared
    for row in project:
        assert row["sf_check"] == calendar.spring_festival(int(row["year"])).isoformat()
        assert row["sf_check"] == row["spring_festival_day1"]
        if "GENERAL KNOWLEDGE" in row["sf_basis"]:
            assert row["verdict"].startswith("verified: lunardate agrees")


@pytest.fixture(scope="module")
def cn():
    """The ``holidays`` library's China calendar for every supported season (slow to build)."""
    return holidays.China(years=range(calendar.FIRST_SEASON - 1, calendar.LAST_SEASON + 2))


def test_lunardate_spring_festival_agrees_with_holidays_library_2000_2035(cn):
    for year in range(calendar.FIRST_SEASON, calendar.LAST_SEASON + 1):
        assert cn.get(calendar.spring_festival(year), "").startswith("Chinese New Year (Spring Festival)"), year


def test_lantern_festival_is_the_fifteenth_day():
    assert calendar.season(2025).lantern_festival == date(2025, 2, 12)
    for year in (2000, 2020, 2035):
        assert calendar.season(year).lantern_festival == calendar.spring_festival(year) + timedelta(days=14)


# --- official holiday blocks and make-up workdays ------------------------------------------------

@pytest.mark.parametrize(("year", "start", "end", "makeup"), [
    (2023, "2023-01-21", "2023-01-27", ["2023-01-28", "2023-01-29"]),
    (2024, "2024-02-10", "2024-02-17", ["2024-02-04", "2024-02-18"]),
    (2025, "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
    (2026, "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
    (2014, "2014-01-31", "2014-02-06", ["2014-01-26", "2014-02-08"]),  # began on 初一
    (2008, "2008-02-06", "2008-02-12", ["2008-02-02", "2008-02-03"]),
])
def test_official_holiday_blocks(year, start, end, makeup):
    s = calendar.season(year)
    assert (s.holiday_start, s.holiday_end) == (D(start), D(end))
    assert s.makeup_workdays == tuple(D(m) for m in makeup)
    assert s.estimated is False


def test_2020_holiday_is_the_covid_extension_to_february_2():
    s = calendar.season(2020)
    assert (s.holiday_start, s.holiday_end) == (date(2020, 1, 24), date(2020, 2, 2))
    assert s.makeup_workdays == (date(2020, 1, 19),)  # the 02-01 make-up Saturday was cancelled


def test_official_blocks_agree_with_holidays_library_2004_2026(cn):
    """``holidays`` (China) encodes the same notices; the block and make-up days must agree."""
    weekend_workdays = set(cn.weekend_workdays)
    for year in calendar.official_years():
        s = calendar.season(year)
        one = timedelta(days=1)

        def off(d):
            return d in cn or (d.weekday() >= 5 and d not in weekend_workdays)

        start, end = s.spring_festival, s.spring_festival
        while off(start - one):
            start -= one
        while off(end + one):
            end += one
        near = {d for d in weekend_workdays if start - 14 * one <= d <= end + 14 * one}
        assert (start, end) == (s.holiday_start, s.holiday_end), year
        assert tuple(sorted(near)) == s.makeup_workdays, year


def test_every_official_season_has_a_block_around_the_spring_festival():
    for year in calendar.official_years():
        s = calendar.season(year)
        assert s.holiday_start <= s.spring_festival <= s.holiday_end
        assert 7 <= (s.holiday_end - s.holiday_start).days + 1 <= 10
        assert all(d.weekday() >= 5 for d in s.makeup_workdays)


# --- the estimate -------------------------------------------------------------------------------

def test_estimated_flag():
    assert calendar.season(2030).estimated is True
    assert calendar.season(2025).estimated is False
    assert calendar.season(2003).estimated is True
    assert calendar.season(2004).estimated is False
    assert calendar.season(2027).estimated is True


def test_estimate_reproduces_official_layouts_it_was_drawn_from():
    same_block = [y for y in calendar.official_years() if calendar.estimate_holiday(y)[:2] == calendar._official_holiday(y)[:2]]
    assert sorted(set(calendar.official_years()) - set(same_block)) == [2014, 2020, 2024, 2026]
    assert calendar.estimate_holiday(2025) == calendar._official_holiday(2025)


def test_make_up_rule_matches_official_days_given_the_official_block():
    misses = []
    for year in calendar.official_years():
        start, end, makeup = calendar._official_holiday(year)
        if calendar._pick_makeup_days(start, end, len(makeup)) != makeup:
            misses.append(year)
    assert misses == [2004, 2005, 2008]


@pytest.mark.parametrize("year", [2000, 2001, 2002, 2003, *range(2027, 2036)])
def test_estimated_seasons_are_consistent(year):
    s = calendar.season(year)
    length = (s.holiday_end - s.holiday_start).days + 1
    assert length == (7 if year < 2008 else 8)
    assert s.holiday_start == (s.spring_festival if year < 2008 else s.spring_festival - timedelta(days=1))
    assert 1 <= len(s.makeup_workdays) <= 2
    for d in s.makeup_workdays:
        assert d.weekday() >= 5 and not s.holiday_start <= d <= s.holiday_end
        assert min(abs((d - s.holiday_start).days), abs((d - s.holiday_end).days)) <= 14


def test_estimate_for_2027_covers_the_new_year_eve():
    s = calendar.season(2027)  # chinese_calendar raises NotImplementedError for 2027
    assert (s.holiday_start, s.holiday_end) == (date(2027, 2, 5), date(2027, 2, 12))
    assert s.makeup_workdays == (date(2027, 2, 13), date(2027, 2, 14))


# --- toll-free days -----------------------------------------------------------------------------

@pytest.mark.parametrize(("year", "start", "end"), [
    (2024, "2024-02-09", "2024-02-17"),
    (2025, "2025-01-28", "2025-02-04"),
    (2026, "2026-02-15", "2026-02-23"),
])
def test_toll_free_periods(year, start, end):
    s = calendar.season(year)
    assert (s.toll_free_start, s.toll_free_end) == (D(start), D(end))


def test_no_toll_free_period_before_2013():
    assert (calendar.season(2012).toll_free_start, calendar.season(2012).toll_free_end) == (None, None)
    assert calendar.season(2013).toll_free_start == date(2013, 2, 9)


# --- range and input checks ---------------------------------------------------------------------

@pytest.mark.parametrize("bad", [1999, 2036])
def test_out_of_range_seasons_raise(bad):
    with pytest.raises(Unprocessable) as err:
        calendar.season(bad)
    assert "2000–2035" in err.value.hint


@pytest.mark.parametrize("bad", ["2025", 2025.0, None, True])
def test_non_int_seasons_raise(bad):
    with pytest.raises(Unprocessable):
        calendar.season(bad)


def test_season_is_cached_and_serialises():
    assert calendar.season(2025) is calendar.season(2025)
    d = calendar.season(2025).to_dict()
    assert list(d) == SEASON_KEYS
    assert d["makeup_workdays"] == ["2025-01-26", "2025-02-08"]
    assert json.loads(json.dumps(d)) == d
    assert calendar.season(2010).to_dict()["toll_free_start"] is None


# --- season_of ----------------------------------------------------------------------------------

def test_season_of_nearest_spring_festival():
    assert calendar.season_of(date(2025, 1, 29)) == 2025
    assert calendar.season_of("2024-12-31") == 2025
    assert calendar.season_of(pd.Timestamp("2025-07-01")) == 2025
    assert calendar.season_of(date(2025, 9, 1)) == 2026


def test_season_of_tie_goes_to_the_later_season():
    for year in range(2000, 2035):
        a, b = calendar.spring_festival(year), calendar.spring_festival(year + 1)
        gap = (b - a).days
        mid = a + timedelta(days=(gap + 1) // 2)
        assert calendar.season_of(mid) == year + 1
        assert calendar.season_of(mid - timedelta(days=1)) == year
        if gap % 2 == 0:  # an exact tie
            assert (mid - a).days == (b - mid).days


def test_season_of_outside_the_range_raises():
    with pytest.raises(Unprocessable):
        calendar.season_of(date(1999, 3, 1))
    with pytest.raises(Unprocessable):
        calendar.day_features(["2037-01-01"])


# --- day features -------------------------------------------------------------------------------

def test_day_features_last_day_of_the_2025_holiday():
    row = calendar.day_features(["2025-02-04"]).iloc[0]
    assert row["season"] == 2025
    assert row["offset"] == 6
    assert row["holiday_day"] == 8
    assert row["days_to_holiday_end"] == 0
    assert bool(row["is_toll_free"]) and bool(row["is_holiday"]) and bool(row["in_chunyun"])
    assert row["weekday"] == 1


def test_day_features_columns_and_types():
    df = calendar.day_features(pd.date_range("2025-01-20", "2025-02-10"))
    assert list(df.columns) == list(calendar.FEATURE_COLUMNS)
    assert df["ds"].dtype == "datetime64[ns]"
    for col in ("in_chunyun", "is_holiday", "is_makeup_workday", "is_toll_free", "is_public_holiday", "is_workday_shift"):
        assert df[col].dtype == bool, col
    for col in ("season", "offset", "holiday_day", "days_to_holiday_end", "weekday"):
        assert pd.api.types.is_integer_dtype(df[col]), col
    assert (df["weekday"] == df["ds"].dt.weekday).all()
    block = df[df["is_holiday"]]
    assert block["holiday_day"].tolist() == list(range(1, 9))
    assert block["days_to_holiday_end"].tolist() == list(range(7, -1, -1))
    assert (df.loc[~df["is_holiday"], ["holiday_day", "days_to_holiday_end"]].values == [0, -1]).all()
    assert df.loc[df["is_makeup_workday"], "ds"].dt.date.tolist() == [date(2025, 1, 26), date(2025, 2, 8)]


def test_day_features_agree_with_season_over_every_season():
    first, last = calendar.spring_festival(2000) - timedelta(days=150), calendar.spring_festival(2035) + timedelta(days=150)
    df = calendar.day_features(pd.date_range(first, last))
    assert df["season"].min() == 2000 and df["season"].max() == 2035
    for year, days in df.groupby("season"):
        s = calendar.season(year)
        ds = days["ds"]

        def within(start, end, ds=ds):
            return ds.between(pd.Timestamp(start), pd.Timestamp(end)) if start else pd.Series(False, index=ds.index)

        assert (days["in_chunyun"] == within(s.chunyun_start, s.chunyun_end)).all(), year
        assert (days["is_holiday"] == within(s.holiday_start, s.holiday_end)).all(), year
        assert (days["is_toll_free"] == within(s.toll_free_start, s.toll_free_end)).all(), year
        assert set(ds[days["is_makeup_workday"]].dt.date) == set(s.makeup_workdays), year
        assert (days["offset"] == (ds - pd.Timestamp(s.spring_festival)).dt.days).all(), year


def test_public_holidays_and_shifts_beyond_the_spring_festival():
    df = calendar.day_features(["2025-10-01", "2025-09-28", "2025-10-11", "2025-03-01", "2027-10-01", "2030-02-04"])
    assert df["is_public_holiday"].tolist() == [True, False, False, False, False, True]
    assert df["is_workday_shift"].tolist() == [False, True, True, False, False, False]
    assert not df["is_holiday"].iloc[0]  # National Day is not the Spring Festival block


def test_day_info_plain_values():
    info = calendar.day_info("2025-01-26")
    assert info["ds"] == date(2025, 1, 26)
    assert info["is_makeup_workday"] is True and info["is_workday_shift"] is True
    assert info["season"] == 2025 and isinstance(info["season"], int)
    assert info["offset"] == -3 and info["weekday"] == 6
    assert list(info) == list(calendar.FEATURE_COLUMNS)


def test_day_features_keeps_order_duplicates_and_handles_empty():
    df = calendar.day_features([date(2025, 2, 1), "2024-02-10", date(2025, 2, 1)])
    assert df["ds"].dt.date.tolist() == [date(2025, 2, 1), date(2024, 2, 10), date(2025, 2, 1)]
    assert df["season"].tolist() == [2025, 2024, 2025]
    empty = calendar.day_features([])
    assert list(empty.columns) == list(calendar.FEATURE_COLUMNS) and empty.empty


def test_day_features_rejects_unreadable_dates():
    with pytest.raises(InvalidInput):
        calendar.day_features(["2025-13-01"])
    with pytest.raises(InvalidInput):
        calendar.day_features([None])


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_json(capsys):
    assert main(["calendar", "2025", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == SEASON_KEYS
    assert out == {
        "season": 2025, "spring_festival": "2025-01-29",
        "chunyun_start": "2025-01-14", "chunyun_end": "2025-02-22",
        "holiday_start": "2025-01-28", "holiday_end": "2025-02-04",
        "makeup_workdays": ["2025-01-26", "2025-02-08"],
        "toll_free_start": "2025-01-28", "toll_free_end": "2025-02-04",
        "lantern_festival": "2025-02-12", "estimated": False,
    }


def test_cli_text(capsys):
    assert main(["calendar", "2024"]) == 0
    out = capsys.readouterr().out
    assert "2024-02-10 Sat – 2024-02-17 Sat" in out
    assert "2024-02-04 Sun, 2024-02-18 Sun" in out
    assert "2024-02-09 Fri – 2024-02-17 Sat" in out


@pytest.mark.parametrize("arg", ["abc", "1999"])
def test_cli_bad_season_is_one_line(capsys, arg):
    assert main(["calendar", arg]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chunyun calendar: error:")
    assert "Traceback" not in captured.err
