"""The curated daily figures (data/reference/days.csv, holidays.csv, provinces.csv), their loader
forecast/realdays.py and ``chunyun reference --days/--holidays``."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from lunardate import LunarDate

from forecast import realdays, settings
from forecast.cli import main
from forecast.errors import InvalidInput, NotFound
from forecast.realdays import (
    DAY_COLUMNS,
    HOLIDAY_COLUMNS,
    load_days,
    load_holidays,
    publication_dates,
    published_of,
    real_observations,
    same_day_estimates,
    source_kind,
)
from forecast.reference import season_total
from forecast.registry import METRICS
from tools.reference import curate_days

REF = Path(settings.PROJECT_ROOT) / "data" / "reference"
RAW = Path(curate_days.RAW)
# CI has a read-only copy of the shared folder beside the clone; the committed raw files are its copies.
SHARED = Path(settings.PROJECT_ROOT).parent / "shared" / "reference"
RAW_FILES = ("daily_national_seasons.csv", "holidays_national.csv", "provinces.csv")
CROSS = "national/cross_regional_trips"
SEASON_2025 = pd.date_range("2025-01-14", "2025-02-22")
SEASON_2024 = pd.date_range("2024-01-26", "2024-03-05")
GROUP = ["ds", "metric", "measure", "kind", "period_start"]


@pytest.fixture(scope="module")
def curate():
    return curate_days


@pytest.fixture(scope="module")
def days() -> pd.DataFrame:
    return load_days(include_uncertain=True)


@pytest.fixture(scope="module")
def holidays() -> pd.DataFrame:
    return load_holidays(include_uncertain=True)


def ok_daily(df: pd.DataFrame, season: int, kind: str = "actual") -> pd.DataFrame:
    return df[(df["season"] == season) & (df["kind"] == kind) & (df["status"] == "ok") & (df["measure"] == "daily")]


def by_metric(df: pd.DataFrame) -> pd.DataFrame:
    """days x metric table of values."""
    return df.pivot(index="ds", columns="metric", values="value")


# --- the curation script reproduces the committed files ------------------------------------------

def test_curation_reproduces_the_files(curate):
    files, msgs = curate.render()
    assert set(files) == {"days.csv", "holidays.csv", "provinces.csv"}
    for name, text in files.items():
        assert text == (REF / name).read_text(encoding="utf-8"), f"{name} differs: rerun python -m tools.reference.curate_days"
    assert not [m for m in msgs if m.startswith(("ADDITIVITY", "LUNAR", "SEASON DAY", "published"))], msgs


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared reference folder is not beside the clone")
@pytest.mark.parametrize("name", RAW_FILES)
def test_raw_copies_are_verbatim(name):
    assert (RAW / name).read_bytes() == (SHARED / name).read_bytes()


def test_script_knows_the_registry_metrics(curate):
    assert set(curate.REGISTRY) == set(METRICS)


def test_columns_and_dtypes(days, holidays):
    assert tuple(days.columns) == DAY_COLUMNS and tuple(holidays.columns) == HOLIDAY_COLUMNS
    for df in (days, holidays):
        for col in ("ds", "published"):
            assert df[col].dtype == "datetime64[ns]" and df[col].notna().all()
        assert df["value"].dtype == "float64" and (df["value"] > 0).all()
        assert set(df["status"]) <= set(realdays.STATUSES) and set(df["kind"]) <= set(realdays.KINDS)
        uid = df["unique_id"] != ""
        assert (df.loc[uid, "measure"] == "daily").all()
        assert (df.loc[uid, "unique_id"] == "national/" + df.loc[uid, "metric"]).all()
        assert df.loc[uid, "metric"].isin(list(METRICS)).all()
    assert days["season"].dtype == "int64" and days["season_day"].dtype == "Int64"


# --- 2025: complete, adds up --------------------------------------------------------------------

def test_2025_cross_regional_days_add_up_to_the_season_total(days):
    cross = ok_daily(days, 2025).query("metric == 'cross_regional_trips'")
    assert list(cross["ds"]) == list(SEASON_2025)
    assert list(cross["season_day"]) == list(range(1, 41))
    total = cross["value"].sum()
    assert total == pytest.approx(9.021e9, rel=5e-4)
    assert total == pytest.approx(season_total("national", "cross_regional_trips", 2025), rel=5e-4)  # 90.2亿
    final = days[(days["metric"] == "cumulative_cross_regional_trips") & (days["status"] == "ok")
                 & (days["kind"] == "actual") & (days["season"] == 2025)]
    assert final["value"].tolist() == [9.02e9] and final["period_start"].tolist() == [SEASON_2025[0]]


@pytest.mark.parametrize("season, n_days", [(2025, 40), (2024, 9)])
def test_modes_add_up_on_every_day(days, season, n_days):
    table = by_metric(ok_daily(days, season))
    full = table.dropna(subset=["rail_passengers", "road_trips", "water_passengers", "air_passengers",
                                "cross_regional_trips", "road_passengers", "selfdrive_trips"])
    assert len(full) >= n_days
    parts = full[["rail_passengers", "road_trips", "water_passengers", "air_passengers"]].sum(axis=1)
    assert ((parts / full["cross_regional_trips"] - 1).abs() <= 0.002).all()
    road = full["road_passengers"] + full["selfdrive_trips"]
    assert ((road / full["road_trips"] - 1).abs() <= 0.002).all()


def test_2025_is_complete_for_every_mode(days):
    table = by_metric(ok_daily(days, 2025))
    for metric in ("cross_regional_trips", "rail_passengers", "road_passengers", "selfdrive_trips",
                   "air_passengers", "water_passengers", "road_trips"):
        assert table[metric].notna().sum() == 40, metric


# --- statuses -----------------------------------------------------------------------------------

def test_one_kept_row_per_figure_and_reasons(days, holidays):
    for df in (days, holidays):
        kept = df[df["status"].isin(["ok", "uncertain"])]
        keys = GROUP + (["holiday"] if "holiday" in df else [])
        assert not kept.duplicated(keys).any()
        assert (df.loc[df["status"] != "ok", "reason"].str.strip() != "").all()
        dup = df[df["status"] == "duplicate"]
        ok = df[df["status"] == "ok"].set_index("id")
        for r in dup.itertuples():
            winner = re.search(r"same figure as ([\w-]+)", r.reason).group(1)
            assert ok.loc[winner, "value"] == r.value


def test_conflicts_keep_the_better_source(days):
    day = days[(days["ds"] == "2025-01-29") & (days["metric"] == "cross_regional_trips") & (days["kind"] == "actual")]
    assert day.loc[day["status"] == "ok", "value"].tolist() == [205_006_000]
    lost = day[day["status"] == "superseded"]
    assert lost["value"].tolist() == [205_666_000] and lost["reason"].str.contains("20500.6万").all()
    superseded = days[days["status"] == "superseded"]
    assert len(superseded) == 7 and (superseded["source_outlet"].str.startswith("GitHub")).all()


def test_uncertain_copy_confirmed_by_a_clean_copy_counts(days):
    # 2025-01-14 rail: an UNCERTAIN spam copy and a clean 人民日报海外版 copy with the same value
    day = days[(days["ds"] == "2025-01-14") & (days["metric"] == "rail_passengers") & (days["kind"] == "actual")]
    assert sorted(day["status"]) == ["duplicate", "ok"]
    assert "UNCERTAIN" in day.loc[day["status"] == "duplicate", "note"].iloc[0]
    # 2024: 18 days known only from the compilation are uncertain
    uncertain = days[(days["season"] == 2024) & (days["kind"] == "actual") & (days["status"] == "uncertain")
                     & (days["metric"] == "cross_regional_trips")]
    assert len(uncertain) == 18 and uncertain["note"].str.contains("UNCERTAIN").all()


def test_every_row_has_a_source_and_a_unique_id(days, holidays):
    for df in (days, holidays):
        assert ((df["source_url"] != "") | (df["source_title"] != "")).all()
        assert (df["source_outlet"] != "").all()
    ids = pd.concat([days["id"], holidays["id"]])
    assert ids.is_unique
    assert ids.str.fullmatch(r"[dh]\d{4}-\d{2}-\d{2}-[a-z_]+-[aed]\d").all()
    assert (days["id"].str[1:11] == days["ds"].dt.strftime("%Y-%m-%d")).all()


def test_published_dates(days):
    actual = days[days["kind"] == "actual"]
    assert (actual["published"] > actual["ds"]).all()
    mot = ok_daily(days, 2025)
    lag = (mot["published"] - mot["ds"]).dt.days
    assert lag.between(1, 2).all() and (lag == 1).mean() > 0.95
    page = days[days["note"].str.contains("MOT publish_date")]
    stated = pd.to_datetime(page["note"].str.extract(r"MOT publish_date (\d{4}-\d{2}-\d{2})")[0])
    assert (page["published"] == stated).all()


def _lunar_name(d) -> str:
    num = "零一二三四五六七八九十"
    ld = LunarDate.fromSolarDate(d.year, d.month, d.day)
    day = ld.day
    text = f"初{num[day]}" if day <= 10 else f"十{num[day - 10]}" if day < 20 else "二十" if day == 20 \
        else f"二十{num[day - 20]}" if day < 30 else "三十"
    return {12: "腊月", 1: "正月"}[ld.month] + text


def test_lunar_days_agree_with_the_lunar_calendar(days):
    given = days[days["lunar_day"] != ""].drop_duplicates(["ds", "lunar_day"])
    assert len(given) >= 40
    for r in given.itertuples():
        if r.lunar_day == "除夕":
            nxt = r.ds + timedelta(days=1)
            assert _lunar_name(nxt) == "正月初一", r.ds
        else:
            assert _lunar_name(r.ds) == r.lunar_day, r.ds


# --- the derived 2024 curve ---------------------------------------------------------------------

def test_every_2025_change_gives_a_derived_2024_row(days):
    derived = days[days["kind"] == "derived"].set_index("derived_from")
    actual = days[(days["season"] == 2025) & (days["kind"] == "actual")]
    kept = actual[actual["status"] == "ok"]
    copies = actual[actual["status"].isin(["ok", "duplicate"])]
    yoy = copies.groupby(["ds", "metric"])["yoy_pct"].first()  # ds + metric identify a figure here
    with_yoy = 0
    for r in kept.itertuples():
        change = yoy.loc[(r.ds, r.metric)]
        if pd.isna(change):
            assert r.id not in derived.index
            continue
        with_yoy += 1
        d = derived.loc[r.id]
        assert d["ds"] == r.ds - pd.Timedelta(days=(SEASON_2025[0] - SEASON_2024[0]).days)
        assert d["value"] == pytest.approx(r.value / (1 + change / 100), abs=0.5)
        assert d["published"] == r.published and d["season"] == 2024
    assert with_yoy == len(derived) == 281
    cross = days[(days["kind"] == "derived") & (days["unique_id"] == CROSS)]
    assert list(cross["ds"]) == list(SEASON_2024)  # all 40 days of 2025 print a change
    assert cross["value"].sum() == pytest.approx(season_total("national", "cross_regional_trips", 2024), rel=1e-3)


# the printed figures' rounding: 0.1% for the big series; water (60.4万) needs its own printed digit
TOLERANCE = {"cross_regional_trips": 0.001, "rail_passengers": 0.001, "road_trips": 0.001, "road_passengers": 0.001,
             "selfdrive_trips": 0.001, "water_passengers": 0.002, "cumulative_cross_regional_trips": 0.001}


def _overlaps(days: pd.DataFrame) -> pd.DataFrame:
    derived = days[days["kind"] == "derived"]
    actual = days[(days["season"] == 2024) & (days["kind"] == "actual") & days["status"].isin(["ok", "uncertain"])]
    actual = actual.sort_values("status", key=lambda s: s != "ok").drop_duplicates(["ds", "metric", "measure"])
    return derived.merge(actual, on=["ds", "metric", "measure"], suffixes=("", "_actual"))


def test_derived_values_agree_with_2024_actuals_on_every_overlapping_day(days):
    both = _overlaps(days)
    rel = both["value"] / both["value_actual"] - 1
    good = both["metric"] != "air_passengers"
    assert good.sum() == 29 * 4 + 9 * 2 + 1  # cross, rail, road, water (29 days each), the road split (9), total
    assert (rel[good].abs() <= both.loc[good, "metric"].map(TOLERANCE)).all()
    assert both.loc[good, "check"].str.startswith("agrees").all()
    # the 18 days known only from the compilation agree as well
    uncertain = both[good & (both["status_actual"] == "uncertain")]
    assert len(uncertain) == 18 * 4 and (rel[uncertain.index].abs() <= 0.002).all()


def test_derived_air_uses_another_base_and_is_uncertain(days):
    both = _overlaps(days)
    air = both[both["metric"] == "air_passengers"]
    rel = air["value"] / air["value_actual"] - 1
    disagree = air["check"].str.startswith("DISAGREES")
    assert disagree.sum() >= 20 and (rel[disagree].abs() > 0.001).all()
    assert (rel[~disagree].abs() <= 0.003).all()  # a 2024 figure printed as "203" carries ±0.25%
    derived_air = days[(days["kind"] == "derived") & (days["metric"] == "air_passengers")]
    assert len(derived_air) == 40 and (derived_air["status"] == "uncertain").all()
    assert derived_air["reason"].str.contains("revised 2024 base").all()
    assert (days.loc[(days["kind"] == "derived") & (days["metric"] != "air_passengers"), "status"] == "ok").all()


# --- store rows ---------------------------------------------------------------------------------

def test_real_observations_one_row_per_series_and_day():
    obs = real_observations()
    assert list(obs.columns) == ["unique_id", "ds", "y", "source"]
    assert obs["ds"].dtype == "datetime64[ns]" and obs["y"].dtype == "float64"
    assert not obs.duplicated(["unique_id", "ds"]).any()
    cross = obs[obs["unique_id"] == CROSS].set_index("ds")
    assert set(SEASON_2025) <= set(cross.index) and set(SEASON_2024) <= set(cross.index)
    assert cross.loc["2025-02-03", "y"] == 338_762_000
    assert cross.loc["2024-01-27", "source"] == "real:d2024-01-27-cross_regional_trips-a1"  # ok actual wins
    assert cross.loc["2024-01-28", "source"] == "derived:d2024-01-28-cross_regional_trips-d1"


def test_uncertain_rows_only_with_the_flag(days):
    status = {f"{'derived' if k == 'derived' else 'real'}:{i}": s for i, k, s in zip(days["id"], days["kind"], days["status"], strict=True)}
    hol = load_holidays(include_uncertain=True)
    status.update({f"real:{i}": s for i, s in zip(hol["id"], hol["status"], strict=True)})
    default = real_observations()
    assert {status[s] for s in default["source"]} == {"ok"}
    flagged = real_observations(include_uncertain=True)
    assert "uncertain" in {status[s] for s in flagged["source"]}
    assert len(flagged) > len(default)
    cross = flagged[flagged["unique_id"] == CROSS].set_index("ds")
    assert cross.loc["2024-01-28", "source"] == "real:d2024-01-28-cross_regional_trips-a1"  # uncertain actual
    assert "uncertain" not in set(load_days()["status"])
    assert "uncertain" in set(load_days(include_uncertain=True)["status"])
    air24 = default[(default["unique_id"] == "national/air_passengers") & default["ds"].between("2024-01-26", "2024-03-05")]
    assert air24["source"].str.startswith("real:").all()  # derived air (other base) left out


def test_estimates_never_become_observations(days):
    obs = pd.concat([real_observations(), real_observations(include_uncertain=True)])
    kinds = dict(zip(days["id"], days["kind"], strict=True)) | dict(zip(load_holidays(include_uncertain=True)["id"],
                                                                           load_holidays(include_uncertain=True)["kind"], strict=True))
    ids = obs["source"].str.split(":", n=1).str[1]
    assert set(ids.map(kinds)) <= {"actual", "derived"}
    estimates = days[days["kind"] == "estimate"]
    assert not set("real:" + estimates["id"]) & set(obs["source"])


def test_holiday_actuals_are_included_on_request():
    with_holidays, without = real_observations(), real_observations(holidays=False)
    extra = with_holidays[with_holidays["source"].str.startswith("real:h")]
    assert len(extra) == len(with_holidays) - len(without) > 50
    assert not without["source"].str.startswith("real:h").any()
    may_day = extra.set_index(["unique_id", "ds"]).loc[(CROSS, pd.Timestamp("2024-05-01"))]
    assert may_day["y"] == 315_742_000


def test_same_day_estimates_and_their_error(days):
    pairs = same_day_estimates(season=2025, unique_id=CROSS)
    assert len(pairs) == 10 and list(pairs.columns[:5]) == ["unique_id", "ds", "y_estimate", "y_actual", "id"]
    # recomputed from the rows: ok estimates against ok actuals of the same day
    est = ok_daily(days, 2025, "estimate").query("metric == 'cross_regional_trips'").set_index("ds")["value"]
    act = ok_daily(days, 2025).query("metric == 'cross_regional_trips'").set_index("ds")["value"]
    common = est.index.intersection(act.index)
    mape = ((est[common] / act[common] - 1).abs().mean())
    assert list(pairs["ds"]) == list(common)
    assert ((pairs["y_estimate"] / pairs["y_actual"] - 1).abs().mean()) == pytest.approx(mape)
    assert mape == pytest.approx(0.033, abs=0.002)
    assert not same_day_estimates(season=2024, unique_id=CROSS).shape[0]  # 2024 estimates are bounds
    assert len(same_day_estimates(holidays=True)) > len(same_day_estimates())


# --- sources ------------------------------------------------------------------------------------

def test_source_kind():
    assert source_kind("real:d2025-01-14-cross_regional_trips-a1") == "real"
    assert source_kind("derived:d2024-01-26-cross_regional_trips-d1") == "derived"
    assert source_kind("sample") == "sample"
    assert source_kind("upload.csv") == source_kind("reference") == source_kind("") == "user"


def test_publication_dates_cover_every_store_row(days):
    dates = publication_dates()
    obs = real_observations(include_uncertain=True)
    assert set(obs["source"]) <= set(dates)
    derived = days[days["kind"] == "derived"]
    parents = days.set_index("id")["published"]
    for r in derived.itertuples():
        assert dates[f"derived:{r.id}"] == parents[r.derived_from] > r.ds + pd.Timedelta(days=300)
    assert published_of("derived:d2024-01-26-cross_regional_trips-d1") == pd.Timestamp("2025-01-16")
    assert published_of("real:d2025-02-03-cross_regional_trips-a1") == pd.Timestamp("2025-02-04")
    assert published_of("sample") is None and published_of("real:nope") is None
    cutoff = pd.Timestamp("2025-02-01")
    kept = obs[obs["source"].map(dates) < cutoff]
    assert kept["source"].str.startswith("derived:").any() and (kept["source"].map(dates) < cutoff).all()


# --- holidays and provinces ---------------------------------------------------------------------

def test_holiday_totals_are_their_own_rows(holidays):
    totals = holidays[holidays["measure"].isin(["holiday_total", "holiday_daily_avg"])]
    assert len(totals) == 37 and (totals["unique_id"] == "").all() and totals["period_start"].notna().all()
    assert totals["metric"].str.startswith(("holiday_total_", "holiday_daily_avg_")).all()
    may = totals[(totals["holiday"] == "may_day") & (totals["year"] == 2025) & (totals["kind"] == "actual")]
    assert may.set_index("status")["value"].to_dict() == {"ok": 1.47e9, "superseded": 1.465e9}
    assert set(load_holidays(holiday="national_day+mid_autumn")["year"]) == {2025}


def test_provinces_map_registry_metrics_only_where_they_fit():
    prov = pd.read_csv(REF / "provinces.csv", dtype=str, keep_default_na=False)
    assert len(prov) == 193
    jx = prov[(prov["region"] == "jiangxi") & (prov["metric"] == "highway_exit_vehicles")]
    actual = jx[(jx["measure"] == "holiday_total") & (jx["kind"] == "actual")]
    assert actual["value"].tolist() == ["15290000"] and actual["unit"].tolist() == ["vehicles"]
    assert not prov[prov["original_metric"].str.startswith("highway_vehicles")]["metric"].eq("highway_exit_vehicles").any()
    sichuan_air = prov[(prov["region"] == "sichuan") & (prov["original_metric"] == "air_total")]
    assert (sichuan_air["metric"] == "air_total").all() and (sichuan_air["measure"] == "").all()
    assert set(prov.loc[prov["original_metric"].str.startswith("rail_nanchang_bureau"), "region"]) == {"nanchang_railway_group"}


# --- loader behaviour ---------------------------------------------------------------------------

def test_filters_and_errors():
    assert set(load_days(season="2025", kinds="forecast")["kind"]) == {"estimate"}
    assert set(load_days(kinds=["actual", "derived"])["kind"]) == {"actual", "derived"}
    assert set(load_days(metric="铁路旅客发送量")["metric"]) == {"rail_passengers"}
    assert set(load_days(metric="road_trips")["unique_id"]) == {""}
    assert set(load_days(ok_only=True)["status"]) == {"ok"}
    assert load_days(unique_id="jiangxi/rail_passengers").empty
    with pytest.raises(InvalidInput):
        load_days(kinds="guess")
    with pytest.raises(NotFound):
        load_days(metric="teleport")
    with pytest.raises(NotFound):
        load_days(unique_id="atlantis/rail_passengers")
    with pytest.raises(NotFound):
        load_holidays(holiday="christmas")


def test_cache_follows_the_file(tmp_path, monkeypatch):
    (tmp_path / "reference").mkdir()
    shutil.copy(REF.parent / "regions.csv", tmp_path / "regions.csv")
    for name in ("days.csv", "holidays.csv"):
        shutil.copy(REF / name, tmp_path / "reference" / name)
    monkeypatch.setenv("CHUNYUN_DATA_DIR", str(tmp_path))
    before = len(load_days(include_uncertain=True))
    target = tmp_path / "reference" / "days.csv"
    target.write_text("".join(target.read_text(encoding="utf-8").splitlines(keepends=True)[:6]), encoding="utf-8")
    assert len(load_days(include_uncertain=True)) == 5 != before
    target.unlink()
    with pytest.raises(NotFound):
        load_days()


# --- the command --------------------------------------------------------------------------------

def test_cli_days_json(capsys):
    assert main(["reference", "--days", "--season", "2025", "--metric", "cross_regional_trips", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    ok_actual = [r for r in rows if r["status"] == "ok" and r["kind"] == "actual"]
    assert len(ok_actual) == 40 and {r["ds"] for r in ok_actual} == {d.strftime("%Y-%m-%d") for d in SEASON_2025}
    assert all(r["season"] == 2025 and r["metric"] == "cross_regional_trips" for r in rows)
    assert all(r["status"] != "uncertain" for r in rows)
    assert {r["kind"] for r in rows} == {"actual", "estimate"}


def test_cli_holidays_text_and_errors(capsys):
    assert main(["reference", "--holidays", "--season", "2024", "--kind", "actual", "--csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ",".join(HOLIDAY_COLUMNS)
    assert main(["reference", "--days", "--season", "2024", "--kind", "derived", "--ok-only",
                 "--include-uncertain", "--metric", "air_passengers"]) == 0
    out = capsys.readouterr().out
    assert out.count("derived") == 40 and "d2024-01-26-air_passengers-d1" in out
    assert main(["reference", "--days", "--region", "jiangxi"]) == 2
    assert "national only" in capsys.readouterr().err
    assert main(["reference", "--kind", "derived"]) == 2  # figures.csv has no derived rows
    assert main(["reference", "--include-uncertain"]) == 2
    capsys.readouterr()
