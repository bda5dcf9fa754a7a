"""Training never breaks on stored data (issue 13, items 1 and 7): a province added as the README
says (a row in regions.csv, an ingest of one metric with Chinese headers from a recent date) is
trained with the seasons its history allows and gets its summary, alerts and page; a row from
before the calendar's range and a series the registry does not know are skipped with a reason."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import API_TOKEN
from test_models import synthetic

from forecast import runs, settings
from forecast.ingest import ingest
from forecast.store import Store
from forecast.train import train

JIANGXI = "jiangxi/highway_exit_vehicles"
GUANGDONG = "guangdong/highway_exit_vehicles"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("province")
    data, var = root / "data", root / "var"
    shutil.copytree(settings.load()["data_dir"], data)
    with open(data / "regions.csv", "a", encoding="utf-8") as fh:
        fh.write("guangdong,广东,Guangdong,广东;广东省\n")
    mp = pytest.MonkeyPatch()
    mp.setenv("CHUNYUN_DATA_DIR", str(data))
    mp.setenv("CHUNYUN_VAR_DIR", str(var))
    mp.delenv("CHUNYUN_DATABASE_URL", raising=False)
    store = Store()
    store.write(synthetic(start="2016-06-01", end="2019-06-30", seed=1, level=4e5).assign(source="sample"))
    # the new province: one metric, from 2018-03-01, Chinese headers and aliases
    gd = synthetic(start="2018-03-01", end="2019-06-30", seed=2, level=9e5)
    path = root / "广东.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("日期,地区,指标,数值\n")
        fh.writelines(f"{d:%Y-%m-%d},广东,高速公路出口车流量,{y:.0f}\n" for d, y in zip(gd["ds"], gd["y"], strict=True))
    report = ingest(path, store)
    assert report.rejected == 0 and report.accepted == len(gd)
    # what an older version let in: a row from 1999, and a series of a region since removed
    store.write(pd.DataFrame({"unique_id": [JIANGXI, "atlantis/highway_exit_vehicles"],
                              "ds": pd.to_datetime(["1999-01-01", "2019-01-05"]), "y": [400000.0, 5.0],
                              "source": "old.csv"}))
    run_path = train(store=store, workers=1, progress=False)
    yield var, runs.Run.open(run_path)
    mp.undo()


def test_every_usable_series_is_trained_and_the_rest_is_explained(trained):
    _, run = trained
    m = run.manifest
    assert m["series"] == [GUANGDONG, JIANGXI]
    skipped = {(s["unique_id"], s["season"]): s["reason"] for s in m["skipped"]}
    assert "unknown region" in skipped[("atlantis/highway_exit_vehicles", None)]
    assert "rows before 2000-01-01 not used" in skipped[(JIANGXI, None)]
    # guangdong's history (from 2018-03-01) supports season 2019 but not 2018
    assert (GUANGDONG, 2018) in skipped and (GUANGDONG, 2019) not in skipped
    assert m["past_seasons"] == [2018, 2019]


def test_the_new_province_has_its_summary(trained):
    _, run = trained
    past = run.summary("guangdong", 2019)
    assert list(past["metrics"]) == ["highway_exit_vehicles"]
    ahead = run.summary("guangdong", 2020)["metrics"]["highway_exit_vehicles"]
    assert ahead["total_lower"] < ahead["total"] < ahead["total_upper"]
    assert "2018" not in run.summaries["guangdong"]


def test_the_new_province_is_served(trained, monkeypatch):
    var, run = trained
    from api import create_app

    client = create_app({"TESTING": True, "VAR_DIR": str(var), "API_TOKEN": API_TOKEN}).test_client()
    current = client.get("/v1/runs/current").get_json()
    assert any(s["unique_id"] == GUANGDONG and s["season"] == 2018 for s in current["skipped"])
    assert client.get("/v1/seasons/2020/summary?region=guangdong").status_code == 200
    assert client.get("/v1/alerts?region=guangdong").status_code == 200
    page = client.get("/?region=guangdong&season=2020")
    assert page.status_code == 200 and "广东" in page.get_data(as_text=True)
