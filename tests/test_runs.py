"""``train`` writes a complete run that the Run reader, list_runs and current_run understand."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_models import synthetic

from forecast import calendar, runs
from forecast.models import from_json
from forecast.train import plan_seasons, train

UIDS = ("jiangxi/highway_exit_vehicles", "national/highway_exit_vehicles")


@pytest.fixture(scope="module")
def history():
    frames = [synthetic(start="2016-06-01", end="2019-06-30", seed=i, level=lvl).assign(unique_id=uid)
              for i, (uid, lvl) in enumerate(zip(UIDS, (4e5, 1e7), strict=True))]
    return pd.concat(frames, ignore_index=True).assign(source="sample")


@pytest.fixture(scope="module")
def trained(history, tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    first = train(history=history, var_dir=var, workers=1, progress=False)
    return var, first


def test_plan_seasons(history):
    past, forward = plan_seasons(history, pd.Timestamp("2019-06-30"))
    assert past == [2018, 2019] and forward == [2020, 2021]


def test_manifest_and_files(trained):
    var, path = trained
    run = runs.current_run(var)
    assert run.path == path.resolve()
    m = run.manifest
    for key in ("schema_version", "run_id", "created_at", "cutoff", "data_end", "data_fingerprint", "data_kind",
                "series", "models", "seasons", "versions"):
        assert key in m, key
    assert m["data_kind"] == "sample" and m["cutoff"] == "2019-06-30" and m["series"] == sorted(UIDS)
    assert set(m["versions"]) >= {"python", "pandas", "numpy", "statsmodels", "prophet", "chunyun"}
    assert m["forward_seasons"] == [2020, 2021] and all(isinstance(v, str) for v in m["models"].values())
    for uid in UIDS:
        text = (path / "models" / f"{uid.replace('/', '__')}.json").read_text(encoding="utf-8")
        assert from_json(text).name == json.loads(text)["model"]


def test_forecasts_cover_past_seasons_and_the_forward_horizon(trained):
    var, _ = trained
    run = runs.current_run(var)
    fc = run.forecasts
    assert list(fc.columns) == ["unique_id", "ds", "season", "cutoff", "model", "yhat", "yhat_lower_80",
                                "yhat_upper_80", "yhat_lower_95", "yhat_upper_95"]
    assert not fc.duplicated(["unique_id", "ds"]).any()
    rows = run.forecast(UIDS[0], "2019-01-21", "2019-03-01", level=95)
    assert list(rows.columns) == ["unique_id", "ds", "yhat", "yhat_lower", "yhat_upper"] and len(rows) == 40
    assert (fc.loc[(fc["season"] == 2019) & (fc["ds"] <= "2019-03-01"), "cutoff"] == pd.Timestamp("2019-01-20")).all()
    fwd = fc[(fc["unique_id"] == UIDS[0]) & (fc["ds"] > pd.Timestamp("2019-06-30"))]
    end = pd.Timestamp(calendar.season(2021).chunyun_end)  # the second season after the data ends
    assert fwd["ds"].min() == pd.Timestamp("2019-07-01") and fwd["ds"].max() == end
    assert len(fwd) == (end - pd.Timestamp("2019-07-01")).days + 1


def test_summaries_and_backtest(trained):
    var, _ = trained
    run = runs.current_run(var)
    s = run.summary("jiangxi", 2019)
    assert s["cutoff"] == "2019-01-20" and s["run_id"] == run.id
    hw = s["metrics"]["highway_exit_vehicles"]
    assert hw["total_lower"] < hw["total"] < hw["total_upper"]
    assert run.summary("national", 2021)["cutoff"] == "2019-06-30"
    bt = run.backtest
    assert list(bt.columns) == ["unique_id", "season", "model", "metric", "value", "actuals_kind"]
    assert {"chosen", "lunar_profile"} <= set(bt["model"])
    assert set(bt["actuals_kind"]) == {"sample"}  # the history is all sample: no metric may read as real


def test_a_second_run_keeps_the_first(trained, history):
    var, first = trained
    second = train(history=history, var_dir=var, cutoff="2019-03-31", workers=1, progress=False)
    listed = runs.list_runs(var)
    assert [r["run_id"] for r in listed][:2] == [second.name, first.name]
    assert listed[0]["current"] and not listed[1]["current"]
    assert runs.current_run(var).manifest["cutoff"] == "2019-03-31"
