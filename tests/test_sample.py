"""The calibrated sample history (forecast/sample/): calibration, shape, determinism, no look-ahead.

The sample is generated once per module; a few tests generate again (another seed, a perturbed
reference, the written files). The whole file runs in well under a minute.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from forecast import calendar, realdays, sample
from forecast.errors import NotFound
from forecast.reference import load_reference
from forecast.registry import METRICS, MODES, TOTAL_METRIC

YI, WAN = 1e8, 1e4
NON_COVID = (2015, 2016, 2017, 2018, 2019, 2023, 2024, 2025)
CUTOFF_2025 = pd.Timestamp("2025-01-14")  # the 2025 season opened
CUTOFF_2024 = pd.Timestamp("2024-01-26")  # the 2024 season opened
REAL_SHAPED = (2024, 2025)  # seasons whose shape follows the real national days (forecast/sample/realshape.py)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return load_reference()


@pytest.fixture(scope="module")
def history(reference) -> pd.DataFrame:
    return sample.generate(reference)


@pytest.fixture(scope="module")
def wide(history) -> pd.DataFrame:
    return history.pivot(index="ds", columns="unique_id", values="y")


def window(wide: pd.DataFrame, uid: str, season: int) -> pd.Series:
    s = calendar.season(season)
    return wide.loc[pd.Timestamp(s.chunyun_start):pd.Timestamp(s.chunyun_end), uid]


def season_total(wide, region, metric, season) -> float:
    return float(window(wide, f"{region}/{metric}", season).sum())


# ---------------------------------------------------------------------------------------------
# the frame


def test_frame_is_long_daily_base_units(history):
    assert list(history.columns) == ["unique_id", "ds", "y"]
    assert history["ds"].dtype == "datetime64[ns]"
    assert history["y"].dtype == "float64"
    expected = {f"{r}/{m}" for r in sample.REGIONS for m in METRICS}
    assert set(history["unique_id"]) == expected
    days = pd.date_range("2015-01-01", "2025-06-30")
    counts = history.groupby("unique_id")["ds"].agg(["size", "nunique", "min", "max"])
    assert (counts["size"] == len(days)).all() and (counts["nunique"] == len(days)).all()
    assert (counts["min"] == days[0]).all() and (counts["max"] == days[-1]).all()
    assert history["y"].notna().all() and (history["y"] > 0).all()
    assert (history["y"] == history["y"].round()).all()  # whole persons and vehicles, never 万


def test_modes_add_up_to_cross_regional(wide):
    for region in sample.REGIONS:
        parts = sum(wide[f"{region}/{m}"] for m in MODES)
        np.testing.assert_allclose(parts, wide[f"{region}/{TOTAL_METRIC}"], rtol=0, atol=1e-6)


def test_pivots_on_the_lunar_offset_axis(history):
    g = history[history["unique_id"] == "jiangxi/highway_exit_vehicles"]
    feats = calendar.day_features(g["ds"])
    frame = g.assign(season=feats["season"].to_numpy(), offset=feats["offset"].to_numpy())
    table = frame[frame["offset"].between(-15, 24)].pivot(index="offset", columns="season", values="y")
    assert table.shape == (40, 11) and table.notna().all().all()


# ---------------------------------------------------------------------------------------------
# calibration


def test_season_totals_match_the_targets(wide, reference):
    targets = sample.season_targets(reference).dropna(subset=["target"])
    assert len(targets) > 140
    for _, t in targets.iterrows():
        got = season_total(wide, t["region"], t["metric"], int(t["season"]))
        assert got == pytest.approx(t["target"], rel=0.005), (t["season"], t["region"], t["metric"])


PUBLISHED = [  # (season, region, metric, published value) - the figures the brief names
    (2024, "national", TOTAL_METRIC, 84.22 * YI),
    (2025, "national", TOTAL_METRIC, 90.2 * YI),
    (2019, "national", "rail_passengers", 4.1 * YI),
    (2019, "national", "road_passengers", 24.6 * YI),
    (2019, "national", "water_passengers", 4100 * WAN),
    (2019, "national", "air_passengers", 7300 * WAN),
    (2023, "national", "rail_passengers", 3.48 * YI),
    (2023, "national", "road_passengers", 11.69 * YI),
    (2023, "national", "water_passengers", 2245.2 * WAN),
    (2023, "national", "air_passengers", 5521.4 * WAN),
    (2024, "national", "rail_passengers", 4.8 * YI),
    (2024, "national", "road_passengers", 11.1 * YI),
    (2024, "national", "selfdrive_trips", 67.2 * YI),
    (2024, "national", "water_passengers", 2900 * WAN),
    (2024, "national", "air_passengers", 8300 * WAN),
    (2025, "national", "rail_passengers", 51362.7 * WAN),
    (2025, "national", "road_passengers", 122078 * WAN),
    (2025, "national", "selfdrive_trips", 716949 * WAN),
    (2025, "national", "water_passengers", 3121 * WAN),
    (2025, "national", "air_passengers", 9018.97 * WAN),
    (2025, "jiangxi", TOTAL_METRIC, 3.5 * YI),
    (2025, "jiangxi", "road_passengers", 1920 * WAN),
    (2025, "jiangxi", "rail_passengers", 1748 * WAN),
    (2025, "jiangxi", "air_passengers", 194 * WAN),
    (2025, "jiangxi", "water_passengers", 26 * WAN),
    (2025, "jiangxi", "highway_exit_vehicles", 5100 * WAN),
    (2024, "jiangxi", TOTAL_METRIC, 3.5 * YI / 1.06),  # "3.5亿, +6%" published 2025-01-14
    (2024, "jiangxi", "rail_passengers", 1607 * WAN),
]


@pytest.mark.parametrize(("season", "region", "metric", "value"), PUBLISHED)
def test_published_season_totals(wide, season, region, metric, value):
    assert season_total(wide, region, metric, season) == pytest.approx(value, rel=0.005)


def test_2023_restatement_reproduces_the_published_47_33(wide, reference):
    """2023's 47.33亿 counts expressway self-driving only; the sample restates it onto the 2024 basis
    by a stated factor, so operating + self-driving / factor gives the published figure back."""
    factor = sample._Bridge.from_reference(sample._Ref(reference)).factor
    operating = sum(season_total(wide, "national", m, 2023) for m in sample.OPERATING_MODES)
    assert operating == pytest.approx(15.95 * YI, rel=0.005)
    selfdrive = season_total(wide, "national", "selfdrive_trips", 2023)
    assert operating + selfdrive / factor == pytest.approx(47.33 * YI, rel=0.005)
    if sample.RESTATE_PRE2024_SELFDRIVE:
        assert 1.8 < factor < 2.3
        assert 0.9 < season_total(wide, "national", TOTAL_METRIC, 2023) / (84.22 * YI) < 1.0
    else:
        assert factor == 1.0


def test_jiangxi_highway_2025(wide):
    days = wide.loc["2025-01-14":"2025-02-22", "jiangxi/highway_exit_vehicles"]
    assert days.sum() == pytest.approx(5100 * WAN, rel=0.005)
    assert days.idxmax() == pd.Timestamp("2025-02-04")
    assert days.max() == pytest.approx(250 * WAN, rel=0.01)


def _published_days(reference: pd.DataFrame) -> pd.DataFrame:
    rows = reference[(reference["measure"] == "daily") & (reference["kind"] == "actual")
                     & (reference["status"] == "ok") & reference["region"].isin(sample.REGIONS)
                     & reference["ds"].between("2015-01-01", "2025-06-30")]
    rows = rows.assign(series=rows["metric"].replace({"highway_traffic_vehicles": "highway_exit_vehicles"}))
    return rows[rows["series"].isin(list(METRICS))]


def test_daily_values_on_published_days_within_3pct(wide, reference):
    rows = _published_days(reference)
    national = rows[rows["region"] == "national"]
    assert len(national) >= 80
    assert {"rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers", "water_passengers",
            TOTAL_METRIC, "highway_exit_vehicles"} <= set(national["series"])
    for _, row in rows.iterrows():
        got = wide.loc[row["ds"], f"{row['region']}/{row['series']}"]
        assert got == pytest.approx(row["value"], rel=0.03), (row["ds"], row["region"], row["series"])


# ---------------------------------------------------------------------------------------------
# shape


@pytest.mark.parametrize("region", sample.REGIONS)
@pytest.mark.parametrize("season", NON_COVID)
def test_highway_peak_on_last_or_second_last_holiday_day(wide, region, season):
    s = calendar.season(season)
    peak = window(wide, f"{region}/highway_exit_vehicles", season).idxmax()
    end = pd.Timestamp(s.holiday_end)
    assert peak in (end, end - pd.Timedelta(days=1)), peak


@pytest.mark.parametrize("region", sample.REGIONS)
@pytest.mark.parametrize("season", NON_COVID)
def test_chuxi_among_the_three_lowest_days(wide, region, season):
    """The hand-set seasons' trough rule; where the real days shape the season (2024, 2025) 除夕 is
    where they put it, below the season average but above the late-season days."""
    cross = window(wide, f"{region}/{TOTAL_METRIC}", season)
    eve = pd.Timestamp(calendar.season(season).spring_festival) - pd.Timedelta(days=1)
    if season not in REAL_SHAPED:
        assert (cross < cross[eve]).sum() <= 2
    day1 = eve + pd.Timedelta(days=1)
    assert cross[day1] < cross.mean() and cross[eve] < cross.mean()


def test_published_peak_dates(wide):
    assert window(wide, "national/highway_exit_vehicles", 2024).idxmax() == pd.Timestamp("2024-02-17")
    assert window(wide, "national/highway_exit_vehicles", 2025).idxmax() == pd.Timestamp("2025-02-03")
    assert window(wide, "jiangxi/rail_passengers", 2025).idxmax() == pd.Timestamp("2025-02-04")


def test_pre_festival_build_up_and_lantern_wave(wide):
    for season in NON_COVID:
        s = calendar.season(season)
        sf = pd.Timestamp(s.spring_festival)
        road = wide["national/road_passengers"]  # operating coaches: the classic outbound wave
        early = road[sf - pd.Timedelta(days=15):sf - pd.Timedelta(days=11)].mean()
        build = road[sf - pd.Timedelta(days=5):sf - pd.Timedelta(days=2)].mean()  # 腊月廿五..廿八
        assert build > 1.03 * early, season
        lantern = pd.Timestamp(s.lantern_festival)
        wave = road[lantern + pd.Timedelta(days=1):lantern + pd.Timedelta(days=3)].mean()
        later = road[lantern + pd.Timedelta(days=6):lantern + pd.Timedelta(days=9)].mean()
        assert wave > later, season


def test_toll_free_uplift(wide):
    for region in sample.REGIONS:
        for season in NON_COVID:
            s = calendar.season(season)
            hw = window(wide, f"{region}/highway_exit_vehicles", season)
            free = hw[pd.Timestamp(s.toll_free_start):pd.Timestamp(s.toll_free_end)]
            assert free.mean() > 1.25 * hw.drop(free.index).mean(), (region, season)


def test_weekday_rhythm_and_public_holidays(wide):
    rail = wide.loc["2018-03-20":"2018-12-20", "national/rail_passengers"]
    by_day = rail.groupby(rail.index.dayofweek).mean()
    assert by_day[4] > by_day[[1, 2]].max() * 1.05  # Fridays above mid-week
    cross = wide["national/cross_regional_trips"]
    national_day = cross["2024-10-01":"2024-10-07"].mean()
    around = pd.concat([cross["2024-09-16":"2024-09-26"], cross["2024-10-10":"2024-10-20"]]).mean()
    assert national_day > 1.2 * around


def test_noise_is_multiplicative_and_mildly_autocorrelated(wide):
    s = wide.loc["2018-04-10":"2018-09-20", "jiangxi/air_passengers"]
    resid = np.log(s).diff(7).dropna()  # weekly differences remove the weekday rhythm
    lag1 = resid.autocorr(1)
    assert 0.2 < lag1 < 0.95
    assert 0.005 < resid.std() < 0.1


def test_covid_seasons(wide):
    rail = wide["national/rail_passengers"]
    assert rail["2020-02-01":"2020-03-31"].mean() < 0.5 * rail["2019-02-20":"2019-04-20"].mean()
    assert rail["2020-01-10":"2020-01-22"].mean() > 0.9 * rail["2019-01-21":"2019-02-02"].mean()
    op = {s: sum(season_total(wide, "national", m, s) for m in sample.OPERATING_MODES) for s in (2019, 2020, 2021, 2022, 2023, 2024)}
    assert op[2021] < 0.35 * op[2019]  # 就地过年
    assert op[2021] < op[2022] < op[2023] < op[2024]  # partial recovery, then the rebound
    assert 0.4 < op[2020] / op[2019] < 0.6
    assert season_total(wide, "national", "selfdrive_trips", 2021) > 0.9 * season_total(wide, "national", "selfdrive_trips", 2019)


def test_jiangxi_growth_path_is_smooth(wide):
    """A forecaster at 2025-01-13 sees Jiangxi growing a few percent a season (apart from COVID)."""
    for metric in (TOTAL_METRIC, "highway_exit_vehicles"):
        totals = {s: season_total(wide, "jiangxi", metric, s) for s in NON_COVID}
        for a, b in ((2015, 2016), (2016, 2017), (2017, 2018), (2018, 2019), (2023, 2024)):
            assert 0.98 < totals[b] / totals[a] < 1.10, (metric, a, b)
        naive = totals[2024] * totals[2024] / totals[2023]  # last growth, extrapolated
        assert naive == pytest.approx(totals[2025], rel=0.05 if metric == "highway_exit_vehicles" else 0.03)


# ---------------------------------------------------------------------------------------------
# no look-ahead


def _perturbed(reference: pd.DataFrame, any_season: bool) -> pd.DataFrame:
    """Every figure published on or after 2025-01-14 x1.5 (of season 2025, or of any season), except
    the year-on-year statements about 2024 published that day and the totals they qualify."""
    ref = reference.copy()
    late = ref["published"] >= CUTOFF_2025
    if not any_season:
        late &= ref["season"] == 2025
    yoy = ref[late & (ref["measure"] == "yoy_pct") & (ref["published"] == CUTOFF_2025)]
    exempt = ref["measure"] == "yoy_pct"
    for _, r in yoy.iterrows():
        exempt |= ((ref["season"] == r["season"]) & (ref["region"] == r["region"]) & (ref["metric"] == r["metric"])
                   & (ref["kind"] == r["kind"]) & (ref["published"] == r["published"]) & (ref["measure"] == "total"))
    change = late & ~exempt
    assert change.sum() > 100
    ref.loc[change, "value"] = ref.loc[change, "value"] * 1.5
    return ref


@pytest.mark.parametrize("any_season", [False, True])
def test_no_look_ahead_before_2025_season(history, reference, any_season):
    other = sample.generate(_perturbed(reference, any_season))
    before = history["ds"] < CUTOFF_2025
    np.testing.assert_array_equal(history.loc[before, "y"].to_numpy(), other.loc[before, "y"].to_numpy())
    assert not np.array_equal(history.loc[~before, "y"].to_numpy(), other.loc[~before, "y"].to_numpy())


@pytest.fixture(scope="module")
def days() -> pd.DataFrame:
    return realdays.load_days(include_uncertain=True)  # every kind and status: the sample picks ok actuals


def _days_times(days: pd.DataFrame, change: pd.Series) -> pd.DataFrame:
    """Every other day of ``change`` x1.5 (a uniform factor would leave a normalised shape as it is)."""
    change = change & (days["ds"].dt.day % 2 == 0)
    out = days.copy()
    out.loc[change, "value"] = out.loc[change, "value"] * 1.5
    assert change.sum() > 100
    return out


@pytest.mark.parametrize(("season", "opened"), [(2025, CUTOFF_2025), (2024, CUTOFF_2024)])
def test_real_days_shape_nothing_before_their_season(history, reference, days, season, opened):
    """The real days of a season changed: no value before that season opened moves; its window does."""
    other = sample.generate(reference, days=_days_times(days, days["season"] == season))
    before = history["ds"] < opened
    np.testing.assert_array_equal(history.loc[before, "y"].to_numpy(), other.loc[before, "y"].to_numpy())
    s = calendar.season(season)
    inside = history["ds"].between(pd.Timestamp(s.chunyun_start), pd.Timestamp(s.chunyun_end))
    inside &= history["unique_id"].str.startswith("jiangxi/")
    assert not np.array_equal(history.loc[inside, "y"].to_numpy(), other.loc[inside, "y"].to_numpy())


def test_real_days_published_from_2025_01_14_shape_nothing_before(history, reference, days):
    """The 2024 days derived from the 2025 pages (published from 2025-01-16) and the 2025 days changed:
    nothing before 2025-01-14 moves (season 2024 is shaped by what was public before 2025-01-14)."""
    late = days["published"] >= CUTOFF_2025
    assert (late & (days["season"] == 2024)).sum() >= 200
    other = sample.generate(reference, days=_days_times(days, late))
    before = history["ds"] < CUTOFF_2025
    np.testing.assert_array_equal(history.loc[before, "y"].to_numpy(), other.loc[before, "y"].to_numpy())
    assert not np.array_equal(history.loc[~before, "y"].to_numpy(), other.loc[~before, "y"].to_numpy())


def test_without_real_days_the_hand_set_shapes_come_back(reference, days):
    """No real day public: seasons 2024 and 2025 take the hand-set shapes (and the trough rule) again."""
    none = sample.generate(reference, days=days.iloc[0:0])
    w = none.pivot(index="ds", columns="unique_id", values="y")
    for season in REAL_SHAPED:
        cross = window(w, f"national/{TOTAL_METRIC}", season)
        eve = pd.Timestamp(calendar.season(season).spring_festival) - pd.Timedelta(days=1)
        assert (cross < cross[eve]).sum() <= 2


def test_season_targets_use_only_what_was_public(reference):
    """Season 2024's targets are the same from the full reference and from what was public on 2025-01-14
    (plus the 2025-01-14 statements)."""
    public = reference[(reference["published"] < CUTOFF_2025)
                       | ((reference["published"] == CUTOFF_2025) & (reference["region"] == "jiangxi"))]
    full = sample.season_targets(reference, 2024)
    then = sample.season_targets(public, 2024)
    pd.testing.assert_frame_equal(full.reset_index(drop=True), then.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------
# files and determinism


def test_written_files_are_deterministic(tmp_path, reference, history, capsys):
    from forecast.cli import cmd_sample  # the command itself; the full parser imports every command

    args = argparse.Namespace(out=str(tmp_path / "a"), seed=sample.DEFAULT_SEED, fmt="json", stations=None, region="jiangxi")
    assert cmd_sample.run(args) == 0
    table = json.loads(capsys.readouterr().out)
    assert table and max(abs(r["diff_pct"]) for r in table if r["diff_pct"] is not None) < 0.5
    sample.write_sample(tmp_path / "b", seed=sample.DEFAULT_SEED, reference=reference)
    a, b = ((tmp_path / d / sample.SAMPLE_FILE).read_bytes() for d in "ab")
    assert a == b
    assert len(a) < 3_000_000
    other = sample.generate(reference, seed=7)
    assert not np.array_equal(other["y"].to_numpy(), history["y"].to_numpy())


def test_committed_sample_is_current(history):
    """data/sample/ must be what generate() gives for the default seed: rerun `chunyun sample` if not."""
    committed = sample.load_sample()
    assert (committed["source"] == "sample").all()
    assert list(committed.columns) == ["unique_id", "ds", "y", "source"]
    pd.testing.assert_frame_equal(committed.drop(columns="source"), history, check_exact=True)


def test_sample_docs_say_it_is_a_sample():
    folder = sample.sample_dir()
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assumptions = (folder / "ASSUMPTIONS.md").read_text(encoding="utf-8")
    assert "SAMPLE" in readme and "synthetic" in readme.lower()
    for constant in ("JIANGXI_SHARE", "CHUNYUN_RATIO", "RESTATE_PRE2024_SELFDRIVE", "COVID_KNOTS"):
        assert constant in assumptions


def test_load_sample_missing_file(tmp_path):
    with pytest.raises(NotFound):
        sample.load_sample(tmp_path / "nothing.csv.gz")
