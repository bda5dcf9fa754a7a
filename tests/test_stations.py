"""Toll stations: registry, SAMPLE stations, station model, reconciliation, ingest, serving, API, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import calendar
from forecast.stations import engines, pipeline, reconcile, serve
from forecast.stations import registry as st_registry
from forecast.stations import sample as ss

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def province() -> pd.DataFrame:
    return ss.province_history()


@pytest.fixture(scope="module")
def generated(province):
    """The default 300 SAMPLE stations (what `chunyun sample --stations 300` writes)."""
    return ss.generate(province, 300)


def _offsets(frame: pd.DataFrame) -> np.ndarray:
    return ss.lunar_offsets(pd.DatetimeIndex(frame["ds"]))


# ------------------------------------------------------------------------------------------ sample


def test_committed_registry_is_what_the_generator_makes(generated):
    registry, _, _ = generated
    committed = pd.read_csv(DATA / "stations" / "jiangxi.csv", dtype={"station": str})
    pd.testing.assert_frame_equal(committed, registry.reset_index(drop=True), check_dtype=False)


def test_stations_add_up_to_the_province_on_every_day(generated, province):
    _, series, gaps = generated
    total = pd.concat([series, gaps]).groupby("ds")["y"].sum()
    prov = province.set_index("ds")["y"]
    assert total.reindex(prov.index).fillna(0).to_numpy().tolist() == prov.to_numpy().tolist()  # exactly
    # held-back (missing) days are the only days where the stored stations fall short
    short_days = set(gaps["ds"])
    stored = series.groupby("ds")["y"].sum().reindex(prov.index).fillna(0)
    full = [d for d in prov.index if d not in short_days]
    assert (stored.loc[full] == prov.loc[full]).all()
    assert 0 < len(short_days) < 0.2 * len(prov)
    assert (series["y"] == series["y"].round()).all() and (series["y"] >= 0).all()


def _kind_shape(generated, kind: str, seasons=(2018, 2019, 2023, 2024, 2025)) -> pd.Series:
    """The mean over seasons of the kind's total exits on each lunar day, over its level 30-40 days before."""
    registry, series, _ = generated
    ids = {st_registry.station_uid("jiangxi", s) for s in registry.loc[registry["kind"] == kind, "station"]}
    sub = series[series["unique_id"].astype(str).isin(ids)]
    out = []
    for year in seasons:
        sf = pd.Timestamp(calendar.spring_festival(year))
        day = sub[(sub["ds"] >= sf - pd.Timedelta(days=45)) & (sub["ds"] <= sf + pd.Timedelta(days=30))]
        total = day.groupby("ds")["y"].sum()
        total.index = (total.index - sf).days
        out.append(total / total.loc[-40:-30].mean())
    return pd.concat(out, axis=1).mean(axis=1)


def test_each_station_kind_has_its_season_shape(generated):
    city = _kind_shape(generated, "city")
    home = _kind_shape(generated, "hometown")
    tourist = _kind_shape(generated, "tourist")
    border = _kind_shape(generated, "border")
    # city stations empty before the festival and fill after 初六 (lunar day +5)
    assert city.loc[-3:3].mean() < 0.8 * city.loc[-40:-30].mean()
    assert city.loc[5:12].mean() > 1.3 * city.loc[-3:3].mean()
    assert int(city.loc[-5:4].idxmin()) in range(-5, 5)
    # home-town stations peak around 除夕 (-1) and 初二 (+1)
    assert set(home.loc[-10:15].nlargest(2).index) <= {-2, -1, 0, 1, 2}
    assert home.loc[-1] > 1.5 and home.loc[1] > 1.5 and home.loc[8:14].mean() < home.loc[-1]
    # tourist stations peak mid-holiday (初三..初五)
    assert int(tourist.loc[-10:15].idxmax()) in (2, 3, 4)
    # border stations carry transit: both waves above the festival days
    assert border.loc[-12:-4].mean() > 1.2 * border.loc[-1:1].mean()
    assert border.loc[5:10].mean() > 1.2 * border.loc[-1:1].mean()


def test_network_sizes_openings_and_ids(generated):
    registry, series, _ = generated
    means = series.groupby("unique_id", observed=True)["y"].mean().sort_values(ascending=False)
    assert means.iloc[:15].sum() > 0.3 * means.sum()  # a few large stations ...
    assert (means < means.median() * 2).mean() > 0.5  # ... and many small ones
    assert set(registry["kind"]) == set(st_registry.KINDS)
    opened = pd.to_datetime(registry["opened"])
    late = registry[opened > pd.Timestamp("2016-01-01")]
    assert 10 < len(late) < 100
    first = series.groupby("unique_id", observed=True)["ds"].min()
    for sid, day in zip(late["station"], pd.to_datetime(late["opened"]), strict=True):
        assert first[st_registry.station_uid("jiangxi", sid)] >= day  # no exits before it opened
    assert registry["station"].str.startswith("sample_").all() and registry["name"].str.startswith("样例").all()
    assert (registry["capacity_per_day"] > 0).all() and (registry["lanes_etc"] >= 1).all()


def test_sample_cli_writes_registry_and_series(tmp_path):
    from forecast.cli import main

    assert main(["sample", "--stations", "12", "--out", str(tmp_path), "--seed", "7"]) == 0
    reg = st_registry.check_frame(pd.read_csv(tmp_path / "jiangxi.csv", dtype={"station": str}))
    assert len(reg) == 12
    series = pd.read_parquet(tmp_path / "jiangxi.parquet")
    assert series["unique_id"].astype(str).str.startswith("jiangxi/highway_exit_vehicles/sample_").all()
    assert main(["sample", "--stations", "0", "--out", str(tmp_path)]) == 2


# ------------------------------------------------------------------------------------------ model


@pytest.fixture(scope="module")
def backtest_setup(province):
    """40 SAMPLE stations; province forecasts of 2023-2025 from the project's lunar-aligned baseline."""
    from forecast.models import BASELINE, make

    _, series, _ = ss.generate(province, 40, seed=11)
    prov = province.assign(unique_id="jiangxi/highway_exit_vehicles")
    fcs = []
    for season in (2023, 2024, 2025):
        s = calendar.season(season)
        cut = pd.Timestamp(s.chunyun_start) - pd.Timedelta(days=1)
        window = pd.date_range(s.chunyun_start, s.chunyun_end)
        p80 = make(BASELINE).fit(prov[prov["ds"] <= cut][["ds", "y"]]).predict(window, 80)
        p95 = make(BASELINE).fit(prov[prov["ds"] <= cut][["ds", "y"]]).predict(window, 95)
        fcs.append(pd.DataFrame({"unique_id": "jiangxi/highway_exit_vehicles", "ds": window, "season": season, "cutoff": cut,
                                 "model": BASELINE, "yhat": p80["yhat"].to_numpy(),
                                 "yhat_lower_80": p80["yhat_lower"].to_numpy(), "yhat_upper_80": p80["yhat_upper"].to_numpy(),
                                 "yhat_lower_95": p95["yhat_lower"].to_numpy(), "yhat_upper_95": p95["yhat_upper"].to_numpy()}))
    return series, pd.concat(fcs, ignore_index=True)


@pytest.fixture(scope="module")
def backtest_result(backtest_setup, province, tmp_path_factory):
    series, fc = backtest_setup
    return pipeline.fit_region("jiangxi", series, province, fc, [2023, 2024, 2025], [], pd.Timestamp("2025-06-30"),
                               tmp_path_factory.mktemp("st-bt"), workers=1)


def test_station_backtest_coverage_and_choice(backtest_result):
    t = backtest_result.backtest
    st = t[(t["level"] == "stations") & (t["model"] == "lunar_share") & (t["method"] == "top_down")]
    assert len(st) == 3
    cov80 = st["coverage_80"].mean()
    assert 0.70 <= cov80 <= 0.90, cov80
    assert st["coverage_95"].mean() > cov80
    flat = t[(t["level"] == "stations") & (t["model"] == "flat_share") & (t["method"] == "top_down")]
    assert st["mape"].mean() < 0.7 * flat["mape"].mean()  # the lunar profile earns its keep
    assert backtest_result.summary["model"] == "lunar_share" and backtest_result.summary["method"] == "top_down"
    prov = t[t["level"] == "province"]
    assert len(prov) == 3 and prov["coverage_80"].between(0, 1).all()  # both levels reported
    # methods that move the province are measured beside top_down, which keeps it
    shifts = t[t["level"] == "stations"].groupby("method")["province_shift"].max()
    assert shifts["top_down"] < 1e-9 and shifts["bottom_up"] > 1e-4


def test_reconciled_stations_add_up_to_the_province_every_day(backtest_result, backtest_setup):
    fc = backtest_result.forecasts
    _, prov = backtest_setup
    for season, g in fc.groupby("season"):
        total = g.groupby("ds")["yhat"].sum()
        p = prov[prov["season"] == season].set_index("ds")["yhat"].reindex(total.index)
        assert (np.abs(total - p) / p).max() < 1e-6
    assert backtest_result.summary["coherence_max_rel"] < 1e-6
    assert (fc["yhat_lower_80"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["yhat_upper_80"]).all()
    assert (fc["yhat_lower_95"] <= fc["yhat_lower_80"]).all() and (fc["yhat_upper_80"] <= fc["yhat_upper_95"]).all()
    odds = fc.groupby(["unique_id", "season"])["p_peak"].sum()
    assert np.allclose(odds, 1.0)


def test_trimmed_input_gives_the_same_forecast(backtest_setup, province):
    series, fc = backtest_setup
    targets = pipeline.targets_from_run(fc, "jiangxi", [(2024, pd.Timestamp("2024-01-25")), (2025, pd.Timestamp("2025-01-13"))])
    targets.append(engines.make_target(2025, pd.Timestamp("2024-08-31"), fc[fc["season"] == 2025]))  # a forward lag
    ctx = engines.Context(province["ds"].to_numpy(dtype="datetime64[ns]"), province["y"].to_numpy(dtype=float),
                          tuple(targets), ("lunar_share", "flat_share"))
    series = series.assign(unique_id=series["unique_id"].astype(str))
    trimmed_all = pipeline.trim(series, targets)
    assert len(trimmed_all) < 0.5 * len(series)
    for uid in sorted(series["unique_id"].unique()):  # every station, the late-opened ones too
        one = series[series["unique_id"] == uid]
        full = engines.forecast_station(one, ctx)
        pd.testing.assert_frame_equal(full, engines.forecast_station(trimmed_all[trimmed_all["unique_id"] == uid], ctx))
    shuffled = one.sample(frac=1.0, random_state=3)  # rows in any order (as Spark delivers them)
    pd.testing.assert_frame_equal(full, engines.forecast_station(shuffled, ctx))
    # several whole stations in one frame, rows interleaved (a Spark bucket): one call per station
    mixed = trimmed_all.sample(frac=1.0, random_state=4)
    each = pd.concat([engines.forecast_station(trimmed_all[trimmed_all["unique_id"] == u], ctx)
                      for u in sorted(series["unique_id"].unique())], ignore_index=True)
    pd.testing.assert_frame_equal(each, engines.forecast_stations(mixed, ctx))


def test_model_contract_and_json(backtest_setup, province):
    from forecast.stations.model import LunarShare

    series, _ = backtest_setup
    uid = sorted(series["unique_id"].astype(str).unique())[0]
    one = series[series["unique_id"].astype(str) == uid]
    hist = pd.DataFrame({"ds": one["ds"], "y": one["y"],
                         "y_total": province.set_index("ds")["y"].reindex(one["ds"]).to_numpy()})
    model = LunarShare(max_seasons=4)
    assert model.max_seasons == 4 and not hasattr(model, "base_")  # __init__ stores parameters only
    model.fit(hist, cutoff="2025-01-13")
    days = pd.date_range("2025-01-14", "2025-02-22")
    out = model.predict(days, np.full(len(days), 1e6), 0.05)
    assert list(out.columns) == ["ds", "yhat", "yhat_lower", "yhat_upper"]
    assert (out["yhat_lower"] < out["yhat"]).all() and (out["yhat"] < out["yhat_upper"]).all()
    again = LunarShare.from_json(model.to_json())
    pd.testing.assert_frame_equal(out, again.predict(days, np.full(len(days), 1e6), 0.05))
    assert json.loads(model.to_json())["model"] == "lunar_share"


# --------------------------------------------------------------------------------------- registry


def test_station_ids_everywhere():
    from forecast import registry
    from forecast.errors import NotFound

    assert registry.parse_series("jiangxi/highway_exit_vehicles/sample_001") == ("jiangxi", "highway_exit_vehicles", "sample_001")
    assert registry.parse_series("jiangxi/highway_exit_vehicles") == ("jiangxi", "highway_exit_vehicles", None)
    assert registry.unit_of("jiangxi/highway_exit_vehicles/sample_001") == "vehicles"
    with pytest.raises(NotFound, match="unknown station 'sample_999'"):
        registry.parse_series("jiangxi/highway_exit_vehicles/sample_999")
    with pytest.raises(NotFound, match="stations carry"):
        registry.parse_series("jiangxi/rail_passengers/sample_001")


def test_registry_rejects_bad_rows(tmp_path):
    from forecast.errors import InvalidInput

    frame = pd.read_csv(DATA / "stations" / "jiangxi.csv", dtype={"station": str}).head(3)
    frame.loc[2, "kind"] = "airport"
    with pytest.raises(InvalidInput, match=r"x.csv:4: unknown kind 'airport'"):
        st_registry.check_frame(frame, "x.csv")


# ----------------------------------------------------------------------------------------- ingest


def test_ingest_station_rows_bad_row_rejected_good_rows_stored(var_dir, tmp_path):
    from forecast.ingest import ingest
    from forecast.store import Store

    path = tmp_path / "stations.csv"
    path.write_text("date,region,metric,station,value\n"
                    "2025-01-14,jiangxi,highway_exit_vehicles,sample_001,1200\n"
                    "2025-01-14,江西,高速公路出口车流量,sample_002,900\n"
                    "2025-01-14,jiangxi,highway_exit_vehicles,sample_999,5\n"
                    "2025-01-14,jiangxi,highway_exit_vehicles,,1300000\n"
                    "2025-01-15,jiangxi,highway_exit_vehicles,sample_001,-3\n", encoding="utf-8")
    store = Store()
    report = ingest(path, store=store)
    assert report.accepted == 3 and report.rejected == 2
    assert [(p.line, p.kind) for p in report.problems] == [(4, "unknown_station"), (6, "negative_value")] or \
        [p.line for p in report.problems] == [4, 6]
    assert "unknown station 'sample_999' in jiangxi" in report.problems[0].reason
    assert str(report.problems[0]).startswith("stations.csv:4: ")
    rows = store.read()
    assert sorted(rows["unique_id"].astype(str).unique()) == ["jiangxi/highway_exit_vehicles",
                                                             "jiangxi/highway_exit_vehicles/sample_001",
                                                             "jiangxi/highway_exit_vehicles/sample_002"]
    uid_file = tmp_path / "uids.csv"
    uid_file.write_text("date,unique_id,value\n2025-01-16,jiangxi/highway_exit_vehicles/sample_001,1100\n"
                        "2025-01-16,jiangxi/highway_exit_vehicles/nope,1\n", encoding="utf-8")
    report = ingest(uid_file, store=store)
    assert report.accepted == 1 and [p.line for p in report.problems] == [3]


# ---------------------------------------------------------------------------------- run + serving


@pytest.fixture(scope="session")
def station_template(synthetic_template, tmp_path_factory):
    """The synthetic run (conftest) plus station forecasts for 12 SAMPLE stations, made by the
    station pipeline against the run's own province forecast."""
    from forecast import runs

    province = ss.province_history()
    _, series, _ = ss.generate(province, 300)
    keep = sorted(series["unique_id"].astype(str).unique())[:12]
    series = series[series["unique_id"].astype(str).isin(keep)]
    history = pd.concat([series.assign(unique_id=series["unique_id"].astype(str)),
                         province.assign(unique_id="jiangxi/highway_exit_vehicles")], ignore_index=True)
    history["source"] = "sample"
    root = tmp_path_factory.mktemp("station-run")
    staged = root / "run"
    shutil.copytree(synthetic_template, staged)
    run = runs.Run.open(synthetic_template)
    summary = pipeline.train_into(staged, history, run.forecasts, [2025], [2026], pd.Timestamp("2025-06-30"), workers=1)
    manifest = json.loads((staged / "manifest.json").read_text())
    manifest["stations"] = summary
    manifest["data_kind"] = "mixed"  # the run's other regions hold real days; its stations do not
    (staged / "manifest.json").write_text(json.dumps(manifest))
    return staged


@pytest.fixture
def station_client(var_dir, station_template):
    from api import create_app
    from forecast import runs

    staged = runs.staging_dir(var_dir)
    shutil.copytree(station_template, staged, dirs_exist_ok=True)
    runs.publish(staged, station_template.name + "-st", var_dir)
    return create_app({"TESTING": True}).test_client()


def test_rank_lanes_and_levels(station_template):
    from forecast.runs import Run

    view = serve.StationView(Run.open(station_template))
    meta, rows = view.rank("jiangxi", None, None, "exits")
    assert meta["stations"] == 12 and len(rows) == 12
    assert list(rows["yhat"]) == sorted(rows["yhat"], reverse=True)
    reg = st_registry.load("jiangxi").set_index("station")
    r = rows.iloc[0]
    assert r["capacity"] == reg.loc[r["station"], "capacity_per_day"]
    assert r["load_ratio"] == pytest.approx(r["yhat"] / r["capacity"])
    lanes = ss.lane_params()
    busy = r["yhat"] * lanes["busy_hour_share"]
    assert r["lanes_etc_needed"] == int(np.ceil(busy * lanes["etc_share"] / lanes["etc_lane_vph"]))
    assert r["lanes_manual_needed"] == int(np.ceil(busy * (1 - lanes["etc_share"]) / lanes["manual_lane_vph"]))
    _, by_load = view.rank("jiangxi", pd.Timestamp(meta["date"]).date(), 5, "load")
    assert list(by_load["load_ratio"]) == sorted(by_load["load_ratio"], reverse=True) and len(by_load) == 5
    assert list(serve.level_of(np.array([0.5, 0.85, 0.95, 1.2]), {"yellow": 0.8, "orange": 0.9, "red": 1.0})) == \
        [None, "yellow", "orange", "red"]


def test_station_alerts_follow_capacity_rules(station_template):
    from forecast.runs import Run

    run = Run.open(station_template)
    view = serve.StationView(run)
    s = calendar.season(2026)
    al = view.alerts(s.chunyun_start, 40)
    rules = serve.capacity_rules()
    assert rules == {"yellow": 0.8, "orange": 0.9, "red": 1.0}
    if len(al):
        cap = view.registry.set_index("station")["capacity_per_day"]
        ratio = al["yhat"].to_numpy() / cap.reindex(al["unique_id"].str.rsplit("/", n=1).str[-1]).to_numpy()
        assert (ratio >= 0.8 - 1e-12).all() and set(al["rule"]) == {"capacity"}
        red = al[al["level"] == "red"]
        assert (red["yhat"].to_numpy() >= red["threshold"].to_numpy()).all()
    fc = view.forecasts[(view.forecasts["ds"] >= str(s.chunyun_start)) & (view.forecasts["ds"] <= str(s.chunyun_end))]
    cap = view.registry.set_index("station")["capacity_per_day"].reindex(fc["station"]).to_numpy()
    assert len(al) == int((fc["yhat"].to_numpy() / cap >= 0.8).sum())


def test_api_stations_forecasts_alerts_and_page(station_client):
    r = station_client.get("/v1/stations?region=jiangxi&top=5")
    assert r.status_code == 200
    body = r.get_json()
    assert len(body["rows"]) == 5 and body["data_kind"] == "sample"
    row = body["rows"][0]
    for key in ("unique_id", "station", "name", "kind", "yhat", "yhat_lower", "yhat_upper", "capacity", "load_ratio",
                "level", "lanes_etc_needed", "lanes_manual_needed"):
        assert key in row
    csv = station_client.get(f"/v1/stations?date={body['date']}&format=csv&by=load")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines()[0].startswith("unique_id,station,name,kind")
    assert station_client.get("/v1/stations?date=2019-01-01").status_code == 404
    assert station_client.get("/v1/stations?top=0").status_code == 400
    uid = row["unique_id"]
    fc = station_client.get(f"/v1/forecasts?unique_id={uid}&season=2026")
    assert fc.status_code == 200 and len(fc.get_json()["rows"]) == 40 and fc.get_json()["unit"] == "vehicles"
    assert fc.get_json()["data_kind"] == "sample"  # the stations' own kind, not the run's (mixed)
    assert station_client.get("/v1/forecasts?unique_id=jiangxi/highway_exit_vehicles/sample_999").status_code == 404
    s = calendar.season(2026)
    al = station_client.get(f"/v1/alerts?from={s.chunyun_start}&days=40&region=jiangxi").get_json()["alerts"]
    assert {"level"} <= {a["rule"] for a in al} | {"level"}
    page = station_client.get("/?season=2026").get_data(as_text=True)
    assert 'id="stations"' in page and "stations-busiest" in page


def test_cli_stations(var_dir, station_template, capsys):
    from forecast import runs
    from forecast.cli import main

    staged = runs.staging_dir(var_dir)
    shutil.copytree(station_template, staged, dirs_exist_ok=True)
    runs.publish(staged, station_template.name + "-cli", var_dir)
    assert main(["stations", "--top", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["rows"]) == 3 and out["region"] == "jiangxi"
    assert main(["stations", "--csv", "--by", "load"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 13
    assert main(["stations", "--date", "2019-01-01"]) == 2
    assert main(["stations", "--date", out["date"], "--top", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["date"] == out["date"] == str(pd.Timestamp(out["date"]).date())
    uid = out["rows"][0]["unique_id"]
    assert main(["forecast", "--unique-id", uid, "--season", "2026", "--csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "unique_id,ds,yhat,yhat_lower,yhat_upper" and len(lines) == 41


def test_reconcile_methods_are_coherent():
    rng = np.random.default_rng(1)
    days = pd.date_range("2025-01-14", periods=5)
    st = pd.DataFrame({"unique_id": np.repeat([f"j/h/s{i}" for i in range(6)], 5), "ds": np.tile(days, 6),
                       "yhat": rng.uniform(100, 1000, 30)})
    for c in reconcile.SCALED:
        st[c] = st["yhat"] * (0.9 if "lower" in c else 1.1)
    prov = pd.DataFrame({"ds": days, "yhat": st.groupby("ds")["yhat"].sum().to_numpy() * 1.07})
    for method in reconcile.METHODS:
        rec, prov_rec = reconcile.reconcile(st, prov, "j/h", method)
        assert reconcile.coherence_error(rec, prov_rec) < 1e-9  # stations add up to the reconciled province
    rec, prov_rec = reconcile.reconcile(st, prov, "j/h", "top_down")
    assert np.allclose(prov_rec["yhat"], prov["yhat"]) and reconcile.coherence_error(rec, prov) < 1e-12
    assert np.allclose(rec["yhat_upper_80"] / rec["yhat"], 1.1)


def test_post_station_observations(client, auth):
    rows = [{"date": "2025-01-14", "region": "jiangxi", "metric": "highway_exit_vehicles", "station": "sample_001", "value": 1200},
            {"date": "2025-01-14", "region": "jiangxi", "metric": "highway_exit_vehicles", "station": "sample_999", "value": 5}]
    r = client.post("/v1/observations?source=ops", json=rows, headers=auth)
    assert r.status_code == 200, r.get_data(as_text=True)
    report = r.get_json()
    assert report["accepted"] == 1 and report["rejected"] == 1
    assert report["problems"][0]["line"] == 2 and "unknown station 'sample_999'" in report["problems"][0]["reason"]


def test_read_trimmed_equals_trim(backtest_setup, tmp_path):
    series, fc = backtest_setup
    series = series.assign(unique_id=series["unique_id"].astype(str))
    targets = pipeline.targets_from_run(fc, "jiangxi", [(2024, pd.Timestamp("2024-01-25")), (2025, pd.Timestamp("2025-01-13"))])
    series.to_parquet(tmp_path / "h.parquet", index=False)
    got = pipeline.read_trimmed(tmp_path / "h.parquet", targets)
    want = pipeline.trim(series, targets)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


def test_as_str_matches_astype_str():
    """The engine input's ids as str without a fixed-width copy a row: the same values as astype(str)."""
    ids = pd.Series(["jiangxi/highway_exit_vehicles/sample_002", "jiangxi/highway_exit_vehicles/sample_001"] * 3, name="unique_id")
    for values in (ids, ids.astype("category"), pd.Series([3, 1, 3], name="unique_id")):
        out = pipeline.as_str(values)
        assert out.dtype == object and out.name == "unique_id"
        assert out.tolist() == values.astype(str).tolist()


def private_station_data(tmp_path, monkeypatch) -> Path:
    """A data folder of the test's own: the committed sample history and reference linked, the
    station registries copied (writing a station sample rewrites them)."""
    from forecast import settings

    real_data = Path(settings.load()["data_dir"])
    data = tmp_path / "data"
    (data / "sample").mkdir(parents=True)
    for name in ("history.csv.gz", "calibration.csv"):
        (data / "sample" / name).symlink_to(real_data / "sample" / name)
    (data / "reference").symlink_to(real_data / "reference")
    shutil.copytree(real_data / "stations", data / "stations")
    monkeypatch.setenv("CHUNYUN_DATA_DIR", str(data))
    return data


def test_prepare_regenerates_a_station_sample_split_from_an_older_province_sample(tmp_path, monkeypatch, var_dir):
    """The province's sample changed with the code: the stations made from the older one no longer
    add up to it, so prepare makes them again and rewrites the store's station rows."""
    from forecast.stations import prepare as st_prepare
    from forecast.store import Store

    private_station_data(tmp_path, monkeypatch)
    province = ss.province_history("jiangxi")
    older = province.assign(y=np.floor(province["y"] * 0.9))
    ss.write(30, region="jiangxi", province=older)  # the files an older sample left behind
    stale = ss.load("jiangxi")
    store = Store()
    store.write(stale)
    assert not st_prepare.splits_province("jiangxi", stale)

    assert st_prepare.ensure_sample(store) > 0
    fresh = ss.load("jiangxi")
    assert st_prepare.splits_province("jiangxi", fresh)
    stored = store.read(sorted(fresh["unique_id"].unique()))
    merged = fresh.merge(stored, on=["unique_id", "ds"], suffixes=("", "_stored"))
    assert len(merged) == len(fresh) and (merged["y"] == merged["y_stored"]).all()
    assert st_prepare.ensure_sample(store) == 0  # idempotent once it splits the province


def test_prepare_deletes_stored_station_sample_rows_the_regenerated_sample_does_not_have(tmp_path, monkeypatch, var_dir):
    """After the station sample is made again, a stored sample row at a held-back day or at a station
    no longer generated is deleted, so the stations add up to the province again; a user's row stays."""
    from forecast import provenance
    from forecast.stations import prepare as st_prepare
    from forecast.store import Store

    private_station_data(tmp_path, monkeypatch)
    province = ss.province_history("jiangxi")
    ss.write(30, region="jiangxi", province=province.assign(y=np.floor(province["y"] * 0.9)))
    gaps = pd.read_parquet(ss.gaps_path("jiangxi")).sort_values(["unique_id", "ds"]).reset_index(drop=True)
    gone = st_registry.station_uid("jiangxi", "sample_031")  # 30 stations are generated
    stale = pd.DataFrame({"unique_id": [str(gaps["unique_id"].iat[0]), gone], "ds": [gaps["ds"].iat[0]] * 2,
                          "y": [1234.0, 56.0], "source": provenance.SAMPLE})
    user = pd.DataFrame({"unique_id": [str(gaps["unique_id"].iat[-1])], "ds": [gaps["ds"].iat[-1]], "y": [789.0],
                         "source": "ops"})
    store = Store()
    store.write(pd.concat([ss.load("jiangxi"), stale, user], ignore_index=True))

    assert st_prepare.ensure_sample(store) > 0
    fresh = ss.load("jiangxi")
    fresh_gaps = pd.read_parquet(ss.gaps_path("jiangxi"), columns=["unique_id", "ds", "y"])
    assert st_prepare.splits_province("jiangxi", fresh)
    assert pd.concat([stale, user]).merge(fresh, on=["unique_id", "ds"]).empty  # the keys the sample does not have
    stored = store.read([*sorted(fresh["unique_id"].unique()), gone])
    sample_rows = stored[stored["source"] == provenance.SAMPLE]
    leftover = sample_rows.merge(stale[["unique_id", "ds"]], on=["unique_id", "ds"])
    assert leftover.empty, f"stale sample station rows kept: {leftover.to_dict('records')}"
    pd.testing.assert_frame_equal(sample_rows[["unique_id", "ds", "y"]].reset_index(drop=True),
                                  fresh.sort_values(["unique_id", "ds"])[["unique_id", "ds", "y"]].reset_index(drop=True),
                                  check_dtype=False)
    kept = stored[stored["source"] == "ops"]
    assert kept[["unique_id", "ds", "y"]].to_dict("records") == user[["unique_id", "ds", "y"]].to_dict("records")
    split = pd.concat([sample_rows, fresh_gaps]).groupby("ds")["y"].sum()
    assert (split.reindex(pd.to_datetime(province["ds"]), fill_value=0.0).to_numpy() == province["y"].to_numpy()).all()
    assert st_prepare.ensure_sample(store) == 0


def test_a_cutoff_past_the_provinces_data_takes_the_share_of_the_last_days_known(backtest_setup, province):
    """A run's cutoff can lie months after the province's last day (the real national days run on
    to 2025-10-04, Jiangxi's sample ends 2025-06-30): the station's share is that of the last days
    known, not zero, so the forward station forecasts differ from station to station."""
    from forecast.stations.model import LunarShare

    series, _ = backtest_setup
    days = pd.date_range("2026-02-02", "2026-03-13")
    shares = {}
    for uid in sorted(series["unique_id"].astype(str).unique())[:5]:
        one = series[series["unique_id"].astype(str) == uid]
        hist = pd.DataFrame({"ds": one["ds"], "y": one["y"],
                             "y_total": province.set_index("ds")["y"].reindex(one["ds"]).to_numpy()})
        late = LunarShare().fit(hist, cutoff="2025-10-04", target_start=days[0])
        at_end = LunarShare().fit(hist, cutoff=province["ds"].max(), target_start=days[0])
        assert late.base_ > 0 and late.base_ == pytest.approx(at_end.base_) and late.cutoff_ == at_end.cutoff_
        out = late.predict(days, np.full(len(days), 1e6), 0.05)
        assert (out["yhat"] > 0).all() and (out["yhat_lower"] < out["yhat"]).all()
        shares[uid] = out["yhat"].sum()
    assert len({round(v, 6) for v in shares.values()}) == len(shares)  # not one share for all
