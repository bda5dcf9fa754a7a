"""The curated reference figures (data/reference/figures.csv) and their loader and command."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from forecast import reference, settings
from forecast.cli import main
from forecast.errors import InvalidInput, NotFound, Unprocessable
from forecast.reference import COLUMNS, load_reference, published_before, season_total
from tools.reference import curate

DATA = Path(settings.PROJECT_ROOT) / "data"
RAW = Path(curate.DEFAULT_SRC)
# CI has a read-only copy of the shared folder beside the clone; the committed raw files are its copies.
SHARED = Path(settings.PROJECT_ROOT).parent / "shared" / "reference"
KEY = ["season", "region", "metric", "measure", "ds", "kind"]
JX_PUBLISHED = pd.Timestamp("2025-01-14")


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return load_reference()


def one(df: pd.DataFrame, **sel) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for k, v in sel.items():
        mask &= df[k] == v
    hit = df[mask]
    assert len(hit) == 1, f"{sel} matched {len(hit)} rows"
    return hit.iloc[0]


# --- the frame ----------------------------------------------------------------------------------

def test_columns_and_dtypes(ref):
    assert tuple(ref.columns) == COLUMNS
    assert ref["season"].dtype == "int64"
    assert ref["ds"].dtype == "datetime64[ns]"
    assert ref["published"].dtype == "datetime64[ns]"
    assert ref["value"].dtype == "float64"
    assert ref["published"].notna().all()
    assert set(ref["status"]) <= {"ok", "flagged", "superseded"}
    assert set(ref["kind"]) <= {"forecast", "actual"}
    assert ref["season"].between(2000, 2035).all()


def test_every_row_has_a_source_title_and_non_ok_rows_a_reason(ref):
    assert (ref["source_title"].str.strip() != "").all()
    assert (ref["source_outlet"].str.strip() != "").all()
    assert (ref.loc[ref["status"] != "ok", "reason"].str.strip() != "").all()


def test_no_duplicate_ok_figures(ref):
    ok = ref[ref["status"] == "ok"]
    dup = ok[ok.duplicated(KEY, keep=False)]
    assert dup.empty, dup[KEY + ["source_url"]].to_string()


def test_units_are_base_units(ref):
    assert set(ref["unit"]) <= {"persons", "vehicles", "percent", "date", "flights", "tickets", "trains",
                                "days", "vehicles_per_section"}
    # every 万/亿 figure was multiplied out exactly
    for _, r in ref.iterrows():
        unit, raw = r["original_unit"], r["original_value"]
        if unit.startswith("万") and "+" not in unit and re.fullmatch(r"[\d.]+", raw):
            assert r["value"] == pytest.approx(float(Decimal(raw) * 10_000)), r.to_dict()
    dates = ref[ref["unit"] == "date"]
    assert dates["value"].isna().all() and dates["ds"].notna().all()
    national_totals = ref[(ref["region"] == "national") & (ref["measure"] == "total") & (ref["unit"] == "persons")]
    big = national_totals["metric"].isin(["cross_regional_trips", "operating_passengers", "road_passengers",
                                          "road_trips", "selfdrive_trips", "rail_passengers"])
    assert (national_totals.loc[big, "value"] >= 1e8).all()
    assert (national_totals.loc[~big, "value"] >= 1e7).all()  # air and water
    national_daily = ref[(ref["region"] == "national") & (ref["measure"] == "daily") & (ref["unit"] == "persons")]
    assert (national_daily["value"] >= 1e5).all()
    pct = ref[ref["unit"] == "percent"]
    assert pct["value"].abs().le(100).all()


def test_published_never_precedes_the_stated_date(ref):
    for _, r in ref.iterrows():
        m = re.search(r"(\d{4})-(\d{2})-(\d{2})", r["source_title"])
        if m:
            assert r["published"] >= pd.Timestamp(m.group(0)), r.to_dict()
            continue
        m = re.search(r"(\d{4})-(\d{2})(?!-\d)", r["source_title"])
        if m:
            assert r["published"] >= pd.Timestamp(f"{m.group(1)}-{m.group(2)}-01"), r.to_dict()
    daily_actual = ref[(ref["measure"] == "daily") & (ref["kind"] == "actual")]
    assert (daily_actual["published"] > daily_actual["ds"]).all()
    # a forecast is public no later than the day it is about when the title gives no date
    undated = ref[(ref["kind"] == "forecast") & ref["ds"].notna() & ~ref["source_title"].str.contains(r"\d{4}-\d{2}")]
    assert (undated["published"] <= undated["ds"]).all()


# --- pinned national figures -------------------------------------------------------------------------

@pytest.mark.parametrize("season, value", [(2025, 9.02e9), (2024, 8.422e9), (2023, 4.733e9)])
def test_national_cross_regional_totals(season, value):
    assert season_total("national", "cross_regional_trips", season) == value
    assert season_total("national", "cross_regional_trips", season, basis="cross_regional") == value


def test_2023_has_both_bases(ref):
    assert season_total("national", "operating_passengers", 2023, basis="operating") == 1.595e9
    row = one(ref, season=2023, region="national", metric="cross_regional_trips", measure="total", status="ok")
    assert row["basis"] == "cross_regional"
    # the restated 2023 figure is operating + expressway small-car passengers (not the 2024 definition)
    small = season_total("national", "highway_small_car_passengers", 2023)
    assert small == 3.138e9 and 1.595e9 + small == pytest.approx(4.733e9)


def test_national_rail_2025_is_the_exact_figure():
    assert season_total("national", "rail_passengers", 2025) == 513_627_000  # 51362.7万, "5.1亿" rounded


def test_road_is_operating_plus_selfdrive_from_2024():
    for season in (2024, 2025):
        road = season_total("national", "road_trips", season)
        assert road == pytest.approx(season_total("national", "selfdrive_trips", season)
                                     + season_total("national", "road_passengers", season))
    assert season_total("national", "road_trips", 2023) is None
    assert season_total("national", "road_passengers", 2023) == 1.169e9


def test_older_road_basis_is_kept_apart(ref):
    r2014 = one(ref, season=2014, region="national", metric="operating_passengers", measure="total",
                kind="actual", status="ok")
    r2015 = one(ref, season=2015, region="national", metric="operating_passengers", measure="total",
                kind="forecast", status="ok")
    assert r2014["basis"] == "operating_pre2015" and r2015["basis"] == "operating"
    assert season_total("national", "operating_passengers", 2014, basis="operating") is None
    flagged = one(ref, season=2015, region="national", metric="operating_passengers", kind="actual")
    assert flagged["status"] == "flagged"


def test_superseded_figures_answer_for_their_time():
    # '>84亿' on 2024-03-05, 84.22亿 in a later report
    assert season_total("national", "cross_regional_trips", 2024, as_of="2024-03-05") is None
    assert season_total("national", "cross_regional_trips", 2024, as_of="2024-03-06") == 8.4e9
    assert season_total("national", "cross_regional_trips", 2024, as_of="2025-12-31") == 8.422e9
    # the 2025 close-of-season estimate 90.25亿, then the final 90.2亿
    assert season_total("national", "cross_regional_trips", 2025, as_of="2025-02-23") == 9.025e9
    assert season_total("national", "cross_regional_trips", 2025, as_of="2025-02-24") == 9.02e9
    assert season_total("national", "cross_regional_trips", 2025, kind="forecast", as_of="2025-01-15") == 9e9


def test_same_day_estimates_are_superseded_by_next_day_actuals(ref):
    est = one(ref, season=2025, region="national", metric="cross_regional_trips", measure="daily",
              ds=pd.Timestamp("2025-01-31"), kind="forecast")
    act = one(ref, season=2025, region="national", metric="cross_regional_trips", measure="daily",
              ds=pd.Timestamp("2025-01-31"), kind="actual")
    assert est["status"] == "superseded" and act["status"] == "ok"
    assert est["value"] == 316_830_000 and act["value"] == 304_040_000


def test_each_daily_national_figure_appears_once(ref):
    """daily_national.csv is a subset of figures.csv in long form: every row is in the frame once."""
    daily = ref[(ref["measure"] == "daily") & (ref["region"] == "national")]
    assert not daily.duplicated(["metric", "ds", "kind", "value"]).any()
    with open(RAW / "daily_national.csv", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    have = {(r.ds, r.kind, round(r.value)) for r in daily.itertuples()}
    for r in raw:
        factor = 10_000 if r["unit"].startswith("万") else 1
        key = (pd.Timestamp(r["date"]), r["kind"], round(float(Decimal(r["value"]) * factor)))
        assert key in have, r


# --- Jiangxi -------------------------------------------------------------------------------------------

JX_2025 = [
    ("cross_regional_trips", "total", 3.5e8), ("cross_regional_trips", "yoy_pct", 6.0),
    ("road_passengers", "total", 1.92e7), ("rail_passengers", "total", 1.69e7),
    ("air_passengers", "total", 1.94e6), ("water_passengers", "total", 2.6e5),
    ("highway_exit_vehicles", "total", 5.1e7), ("highway_exit_vehicles", "daily_avg", 1.2e6),
    ("highway_exit_vehicles", "peak", 2.5e6),
]


@pytest.mark.parametrize("metric, measure, value", JX_2025)
def test_jiangxi_2025_forecast(metric, measure, value):
    df = load_reference(region="江西", season=2025, kind="forecast")
    row = one(df, metric=metric, measure=measure, status="ok")
    assert row["value"] == value
    assert row["published"] == JX_PUBLISHED
    assert row["source_url"].startswith("http")
    assert row["basis"] == {"cross_regional_trips": "cross_regional", "highway_exit_vehicles": ""}.get(metric, "operating")
    if measure == "peak":
        assert row["ds"] == pd.Timestamp("2025-02-04")
    if measure == "total":
        assert season_total("jiangxi", metric, 2025, kind="forecast") == value


def test_jiangxi_rail_actuals():
    assert season_total("jiangxi", "rail_passengers", 2025) == 1.748e7
    assert season_total("jiangxi", "rail_passengers", 2024) == 1.607e7
    assert season_total("nanchang_railway_group", "rail_passengers", 2025) == 3.444e7


# --- loader behaviour --------------------------------------------------------------------------------

def test_filters_and_aliases():
    a = load_reference(region="Jiangxi", season="2025")
    b = load_reference(region="jiangxi", season=2025)
    assert a.equals(b) and set(a["region"]) == {"jiangxi"}
    assert set(load_reference(region="nanchang_railway_group")["region"]) == {"nanchang_railway_group"}
    assert set(load_reference(region="全国", kind="forecast")["kind"]) == {"forecast"}
    assert "flagged" not in set(load_reference(include_flagged=False)["status"])
    clean = load_reference(include_flagged=False, include_superseded=False)
    assert set(clean["status"]) == {"ok"}
    assert load_reference(metric="铁路旅客发送量")["metric"].eq("rail_passengers").all()


def test_errors():
    with pytest.raises(NotFound):
        load_reference(region="atlantis")
    with pytest.raises(Unprocessable):
        load_reference(season=1999)
    with pytest.raises(Unprocessable):
        season_total("national", "rail_passengers", 2036)
    with pytest.raises(InvalidInput):
        load_reference(season="next year")
    with pytest.raises(InvalidInput):
        load_reference(kind="guess")
    with pytest.raises(NotFound):
        season_total("national", "teleport_passengers", 2025)
    assert season_total("national", "highway_exit_vehicles", 2025) is None


def test_published_before_is_strict(ref):
    cut = published_before(ref, "2025-01-14")
    assert (cut["published"] < pd.Timestamp("2025-01-14")).all()
    assert JX_PUBLISHED not in set(cut["published"])
    assert len(published_before(ref, "2025-01-15")) > len(cut)
    with pytest.raises(InvalidInput):
        published_before(ref, "soon")


def test_cache_follows_the_file(tmp_path, monkeypatch):
    (tmp_path / "reference").mkdir()
    shutil.copy(DATA / "regions.csv", tmp_path / "regions.csv")
    target = tmp_path / "reference" / "figures.csv"
    shutil.copy(DATA / "reference" / "figures.csv", target)
    monkeypatch.setenv("CHUNYUN_DATA_DIR", str(tmp_path))
    before = len(load_reference())
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(lines[:11]), encoding="utf-8")
    assert len(load_reference()) == 10 != before
    target.unlink()
    with pytest.raises(NotFound):
        load_reference()


# --- the command -------------------------------------------------------------------------------------

def test_cli_json(capsys):
    assert main(["reference", "--region", "jiangxi", "--season", "2025", "--json"]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out)
    assert rows and all(r["region"] == "jiangxi" and r["season"] == 2025 for r in rows)
    got = {(r["metric"], r["measure"]): r for r in rows if r["kind"] == "forecast" and r["status"] == "ok"
           and r["published"] == "2025-01-14"}
    for metric, measure, value in JX_2025:
        r = got[(metric, measure)]
        assert r["value"] == value
        assert r["source_url"] and r["source_title"] and r["source_outlet"]
    assert got[("highway_exit_vehicles", "peak")]["ds"] == "2025-02-04"
    assert got[("cross_regional_trips", "total")]["ds"] is None


def test_cli_csv_text_and_errors(capsys):
    assert main(["reference", "--region", "national", "--season", "2025", "--kind", "actual", "--csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns) == list(COLUMNS) and set(frame["kind"]) == {"actual"}
    assert main(["reference", "--season", "2023", "--metric", "cross_regional_trips", "--ok-only"]) == 0
    assert "4,733,000,000" in capsys.readouterr().out
    assert main(["reference", "--region", "atlantis"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chunyun reference: error: unknown region") and err.count("\n") == 1
    assert main(["reference", "--season", "1990", "--json"]) == 2
    assert capsys.readouterr().out == ""


# --- the curation script reproduces the file ------------------------------------------------------------

def test_curation_reproduces_the_file(tmp_path):
    out = tmp_path / "figures.csv"
    assert curate.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (DATA / "reference" / "figures.csv").read_text(encoding="utf-8")


def test_curation_refuses_another_calendar(tmp_path, monkeypatch):
    """forecast.calendar reads the published windows from the data dir: without the repository's
    calendar.csv the 2015 window would change, so the tool stops instead of writing other dates."""
    monkeypatch.setenv("CHUNYUN_DATA_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="CHUNYUN_DATA_DIR"):
        curate.build()


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared reference folder is not beside the clone")
@pytest.mark.parametrize("name", ["figures.csv", "daily_national.csv"])
def test_raw_copies_are_verbatim(name):
    assert (RAW / name).read_bytes() == (SHARED / name).read_bytes()


def test_reference_module_reads_settings_data_dir():
    assert reference.reference_file() == Path(settings.load()["data_dir"]) / "reference" / "figures.csv"
