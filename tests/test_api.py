"""The HTTP API through Flask's test client, over the synthetic run (tests/conftest.py)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from conftest import API_TOKEN, write_synthetic_run

from api import create_app
from forecast import runs

JX_HW = "jiangxi/highway_exit_vehicles"
PROBLEM_FIELDS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    text = json.dumps(body, ensure_ascii=False)
    assert "Traceback" not in text and 'File "' not in text
    for word in words:
        assert word in text, (word, body)
    return body


# ------------------------------------------------------------------------------------ service

def test_health_and_ready(client, run_dir):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready" and body["run_id"] == run_dir.name and body["data_kind"] == "sample"


def test_ready_is_503_without_a_run(var_dir):
    client = create_app({"TESTING": True}).test_client()
    assert client.get("/healthz").status_code == 200
    body = assert_problem(client.get("/readyz"), 503, "no trained run")
    assert body["hint"]
    assert_problem(client.get(f"/v1/forecasts?unique_id={JX_HW}"), 503)


def test_openapi_is_31_and_covers_every_route(app, client):
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    auxiliary = {"service.docs_asset", "service.static_asset", "service.openapi_json_30"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in auxiliary:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    assert len(documented) == len([r for r in app.url_map.iter_rules() if r.endpoint not in auxiliary])
    params = {p["name"] for p in doc["paths"]["/v1/forecasts"]["get"]["parameters"]}
    assert params == {"unique_id", "start", "end", "season", "level", "format"}
    assert doc["paths"]["/v1/runs"]["post"]["security"] == [{"bearerAuth": []}]


def test_docs_are_served_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "https://" not in html and "http://" not in html
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/static/swagger-ui.css").mimetype == "text/css"
    assert_problem(client.get("/docs/static/..%2f..%2fapi%2f__init__.py"), 404)
    assert_problem(client.get("/docs/static/index.html"), 404)  # only the listed files
    doc30 = client.get("/docs/openapi-3.0.json").get_json()
    assert doc30["openapi"] == "3.0.3"
    assert '"type": [' not in json.dumps(doc30)


def test_problem_types_are_described(client):
    body = client.get("/problems/invalid-input").get_json()
    assert body["status"] == 400 and body["description"]
    assert_problem(client.get("/problems/nonsense"), 404)


# ---------------------------------------------------------------------------------- forecasts

def test_forecasts_default_to_the_latest_chunyun_window(client, run_dir):
    body = client.get(f"/v1/forecasts?unique_id={JX_HW}").get_json()
    assert body["run_id"] == run_dir.name and body["unit"] == "vehicles" and body["level"] == 80
    assert (body["start"], body["end"]) == ("2026-02-02", "2026-03-13")
    assert len(body["rows"]) == 40
    assert set(body["rows"][0]) == {"unique_id", "ds", "yhat", "yhat_lower", "yhat_upper"}


def test_forecast_rows_are_the_runs_numbers(client, run_dir):
    run = runs.Run.open(run_dir)
    for level in (80, 95):
        body = client.get(f"/v1/forecasts?unique_id={JX_HW}&start=2026-02-10&end=2026-02-20&level={level}").get_json()
        expected = run.forecast(JX_HW, "2026-02-10", "2026-02-20", level=level)
        got = pd.DataFrame(body["rows"])
        assert list(got["ds"]) == list(expected["ds"].dt.strftime("%Y-%m-%d"))
        for col in ("yhat", "yhat_lower", "yhat_upper"):
            assert got[col].tolist() == pytest.approx(expected[col].tolist(), rel=1e-12)
    narrow = client.get(f"/v1/forecasts?unique_id={JX_HW}&start=2026-02-10&end=2026-02-10").get_json()["rows"][0]
    wide = client.get(f"/v1/forecasts?unique_id={JX_HW}&start=2026-02-10&end=2026-02-10&level=95").get_json()["rows"][0]
    assert wide["yhat_lower"] < narrow["yhat_lower"] < narrow["yhat"] < narrow["yhat_upper"] < wide["yhat_upper"]


def test_forecasts_as_csv_and_by_season(client):
    r = client.get(f"/v1/forecasts?unique_id={JX_HW}&season=2025&format=csv")
    assert r.mimetype == "text/csv"
    lines = r.get_data(as_text=True).strip().splitlines()
    assert lines[0] == "unique_id,ds,yhat,yhat_lower,yhat_upper"
    assert len(lines) == 41 and lines[1].startswith(f"{JX_HW},2025-01-14,")


def test_forecasts_open_ended_ranges_stay_within_the_limit(client):
    body = client.get(f"/v1/forecasts?unique_id={JX_HW}&start=2026-03-20").get_json()
    assert body["start"] == "2026-03-20" and body["end"] == "2026-03-31" and len(body["rows"]) == 12
    body = client.get(f"/v1/forecasts?unique_id={JX_HW}&end=2026-03-31").get_json()
    assert len(body["rows"]) == 400
    body = client.get(f"/v1/forecasts?unique_id={JX_HW}&start=2030-01-01&end=2030-01-05").get_json()
    assert body["rows"] == [] and body["available"] == {"start": "2024-12-01", "end": "2026-03-31"}


@pytest.mark.parametrize(("query", "status", "words"), [
    ("", 400, ["unique_id", "is required"]),
    ("unique_id=nonsense", 404, ["unknown series"]),
    ("unique_id=mars/highway_exit_vehicles", 404, ["unknown region", "known regions"]),
    ("unique_id=jiangxi/camel_caravans", 404, ["unknown metric"]),
    (f"unique_id={JX_HW}&start=2026-13-01", 400, ["start", "real calendar date"]),
    (f"unique_id={JX_HW}&start=2025-02-30", 400, ["real calendar date"]),
    (f"unique_id={JX_HW}&start=26-02-01", 400, ["YYYY-MM-DD"]),
    (f"unique_id={JX_HW}&start=0001-01-01", 400, ["YYYY-MM-DD"]),
    (f"unique_id={JX_HW}&start=2026-03-01&end=2026-02-01", 400, ["after"]),
    (f"unique_id={JX_HW}&start=2024-12-01&end=2026-03-31", 422, ["limit is 400"]),
    (f"unique_id={JX_HW}&format=xml", 400, ["json, csv"]),
    (f"unique_id={JX_HW}&level=90", 400, ["80, 95"]),
    (f"unique_id={JX_HW}&level=high", 400, ["whole number"]),
    (f"unique_id={JX_HW}&season=abc", 400, ["whole number"]),
    (f"unique_id={JX_HW}&season=1999", 400, ["out of range"]),
    (f"unique_id={JX_HW}&levle=95", 400, ["unknown parameter", "level"]),
    (f"unique_id={JX_HW}&level=80&level=95", 400, ["give it once"]),
])
def test_forecast_errors(client, query, status, words):
    body = assert_problem(client.get(f"/v1/forecasts?{query}"), status, *words)
    assert body["hint"]


# ---------------------------------------------------------------------------------- summaries

def test_summary_is_the_runs_summary(client, run_dir):
    run = runs.Run.open(run_dir)
    assert client.get("/v1/seasons/2026/summary?region=jiangxi").get_json() == run.summary("jiangxi", 2026)
    assert client.get("/v1/seasons/2026/summary?region=江西").get_json() == run.summary("jiangxi", 2026)
    assert client.get("/v1/seasons/2025/summary").get_json()["region"] == "national"


def test_summary_briefing_text(client):
    r = client.get("/v1/seasons/2026/summary?region=jiangxi&format=text")
    assert r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    for phrase in ("跨区域人员流动量", "铁路旅客发送量", "民航旅客运输量", "高速公路出口车流量", "日均", "将出现峰值",
                   "同比增长6%", "2月23日", "样例数据"):
        assert phrase in text, phrase
    assert re.search(r"流量为\d+多?万辆", text)
    en = client.get("/v1/seasons/2026/summary?region=national&format=text&lang=en").get_data(as_text=True)
    assert "cross-regional trips" in en and "peak" in en and "sample data" in en


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/v1/seasons/abc/summary", 400, ["season", "whole number"]),
    ("/v1/seasons/2026.5/summary", 400, ["whole number"]),
    ("/v1/seasons/1850/summary", 400, ["out of range"]),
    ("/v1/seasons/2030/summary?region=jiangxi", 404, ["no jiangxi summary", "2025, 2026"]),
    ("/v1/seasons/2026/summary?region=atlantis", 404, ["unknown region"]),
    ("/v1/seasons/2026/summary?format=pdf", 400, ["json, text"]),
    ("/v1/seasons/2026/summary?format=text&lang=fr", 400, ["zh, en"]),
])
def test_summary_errors(client, url, status, words):
    assert_problem(client.get(url), status, *words)


# ------------------------------------------------------------------------------------- alerts

def test_alerts_endpoint(client):
    body = client.get("/v1/alerts?region=jiangxi").get_json()
    assert body["from"] == "2026-02-02" and body["days"] == 40 and body["data_kind"] == "sample"
    alerts = body["alerts"]
    red = [a for a in alerts if a["unique_id"] == JX_HW and a["level"] == "red" and a["rule"] == "level"]
    assert red and all(a["yhat"] >= 2_400_000 and a["threshold"] == 2_400_000 for a in red)
    assert all(0.5 <= a["probability"] <= 1 for a in red)  # the median forecast is over the line: at least even odds
    assert all(a["unique_id"].startswith("jiangxi/") for a in alerts)
    only_red = client.get("/v1/alerts?region=jiangxi&min_level=红").get_json()["alerts"]
    assert only_red and {a["level"] for a in only_red} == {"red"}
    none = client.get("/v1/alerts?from=2025-06-01&days=30").get_json()
    assert none["alerts"] == []
    csv = client.get("/v1/alerts?from=2026-02-20&days=3&format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("date,unique_id,region,metric,rule,level,yhat")


@pytest.mark.parametrize(("query", "status", "words"), [
    ("from=2026-02-31", 400, ["real calendar date"]),
    ("days=0", 400, ["out of range"]),
    ("days=401", 400, ["out of range"]),
    ("days=ten", 400, ["whole number"]),
    ("min_level=purple", 400, ["blue"]),
    ("region=atlantis", 404, ["unknown region"]),
])
def test_alert_errors(client, query, status, words):
    assert_problem(client.get(f"/v1/alerts?{query}"), status, *words)


# ------------------------------------------------------------------------ backtests, runs, series

def test_backtests(client, run_dir):
    body = client.get("/v1/backtests").get_json()
    assert body["run_id"] == run_dir.name and {"unique_id", "season", "model", "metric", "value"} <= set(body["rows"][0])
    one = client.get(f"/v1/backtests?unique_id={JX_HW}").get_json()["rows"]
    assert one and {r["unique_id"] for r in one} == {JX_HW}
    assert client.get("/v1/backtests?format=csv").mimetype == "text/csv"
    assert_problem(client.get("/v1/backtests?unique_id=x/y"), 404)


def test_runs(client, var_dir, run_dir):
    older = run_dir.name
    body = client.get("/v1/runs").get_json()
    assert [r["run_id"] for r in body["runs"]] == [older] and body["runs"][0]["current"] is True
    current = client.get("/v1/runs/current").get_json()
    assert current["run_id"] == older and current["data_fingerprint"] and current["versions"]
    newer = write_synthetic_run(var_dir, scale=1.1)
    body = client.get("/v1/runs").get_json()
    assert [(r["run_id"], r["current"]) for r in body["runs"]] == [(newer.name, True), (older, False)]
    # the cache reloads on the switch: answers now come from the new run
    assert client.get("/v1/runs/current").get_json()["run_id"] == newer.name
    assert client.get(f"/v1/forecasts?unique_id={JX_HW}").get_json()["run_id"] == newer.name


def test_series(client):
    body = client.get("/v1/series").get_json()
    uids = [s["unique_id"] for s in body["series"]]
    assert len(uids) == 14 and JX_HW in uids
    hw = next(s for s in body["series"] if s["unique_id"] == JX_HW)
    assert hw["unit"] == "vehicles" and hw["display_unit"] == "万辆" and hw["in_run"] and hw["model"] == "synthetic"
    assert hw["history_start"] is None  # nothing stored yet
    jx = client.get("/v1/series?region=江西&format=csv").get_data(as_text=True).splitlines()
    assert len(jx) == 8 and jx[0].startswith("unique_id,region,metric,unit")
    assert_problem(client.get("/v1/series?region=atlantis"), 404)


# ------------------------------------------------------------------------------- observations

OBS = [{"date": "2025-01-14", "region": "jiangxi", "metric": "highway_exit_vehicles", "value": 1_500_000},
       {"date": "2025-01-15", "region": "江西", "metric": "highway_exit_vehicles", "value": "1,600,000"}]


def test_observations_need_a_token(var_dir, run_dir):
    closed = create_app({"TESTING": True}).test_client()  # no CHUNYUN_API_TOKEN: writes disabled
    body = assert_problem(closed.post("/v1/observations", json=OBS), 403, "disabled")
    assert "CHUNYUN_API_TOKEN" in body["hint"]
    assert_problem(closed.post("/v1/runs"), 403)
    client = create_app({"TESTING": True, "API_TOKEN": API_TOKEN}).test_client()
    r = client.post("/v1/observations", json=OBS)
    assert_problem(r, 401, "bearer")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.post("/v1/observations", json=OBS, headers={"Authorization": "Bearer wrong"}), 401, "not valid")
    assert_problem(client.post("/v1/observations", json=OBS, headers={"Authorization": f"Basic {API_TOKEN}"}), 401)
    assert_problem(client.post("/v1/observations", json=OBS, headers={"Authorization": "Bearer 令牌"}), 401)


def test_observations_json_and_csv(client, auth):
    dry = client.post("/v1/observations?dry_run=true", json=OBS, headers=auth).get_json()
    assert dry["accepted"] == 2 and dry["dry_run"] is True
    assert client.get("/v1/series").get_json()["series"][0]["observations"] is None  # nothing stored
    report = client.post("/v1/observations?source=kiosk", json=OBS, headers=auth).get_json()
    assert (report["accepted"], report["rejected"], report["source"]) == (2, 0, "kiosk")
    again = client.post("/v1/observations?source=kiosk", json=OBS, headers=auth).get_json()
    assert (again["accepted"], again["unchanged"]) == (0, 2)
    long = [{"unique_id": JX_HW, "ds": "2025-01-16", "y": 1_700_000}]
    assert client.post("/v1/observations", json=long, headers=auth).get_json()["accepted"] == 1
    csv = "date,region,metric,value\n2025-01-17,jiangxi,highway_exit_vehicles,1800000\n"
    r = client.post("/v1/observations", data=csv, headers={**auth, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.get_json()["accepted"] == 1
    hw = next(s for s in client.get("/v1/series").get_json()["series"] if s["unique_id"] == JX_HW)
    assert (hw["history_start"], hw["history_end"], hw["observations"], hw["data_kind"]) == ("2025-01-14", "2025-01-17", 4, "real")


def test_observations_as_parquet(client, auth):
    import io

    buf = io.BytesIO()
    pd.DataFrame({"unique_id": [JX_HW], "ds": [pd.Timestamp("2025-01-18")], "y": [1_900_000.0]}).to_parquet(buf)
    r = client.post("/v1/observations", data=buf.getvalue(),
                    headers={**auth, "Content-Type": "application/vnd.apache.parquet"})
    assert r.status_code == 200 and r.get_json()["accepted"] == 1
    bad = client.post("/v1/observations", data=b"date,value\n", headers={**auth, "Content-Type": "application/vnd.apache.parquet"})
    assert_problem(bad, 400, "not a Parquet file")


def test_observations_report_bad_rows(client, auth):
    rows = [*OBS, {"date": "2025-02-30", "region": "jiangxi", "metric": "highway_exit_vehicles", "value": 1},
            {"date": "2025-01-20", "region": "mars", "metric": "highway_exit_vehicles", "value": 1},
            {"date": "2025-01-21", "region": "jiangxi", "metric": "highway_exit_vehicles", "value": "12.5万"}]
    report = client.post("/v1/observations", json=rows, headers=auth).get_json()
    assert (report["accepted"], report["rejected"]) == (2, 3)
    assert [p["line"] for p in report["problems"]] == [3, 4, 5]
    conflict = [{**OBS[0], "value": 1_234_567}]
    report = client.post("/v1/observations", json=conflict, headers=auth)
    body = assert_problem(report, 422, "no row could be stored")
    assert "conflicts" in body["errors"][0]["reason"] and body["report"]["rejected"] == 1
    replaced = client.post("/v1/observations?replace=true", json=conflict, headers=auth).get_json()
    assert replaced["replaced"] == 1
    csv = "date,region,metric,value\n2025-13-01,jiangxi,highway_exit_vehicles,1\n"
    body = assert_problem(client.post("/v1/observations", data=csv, headers={**auth, "Content-Type": "text/csv"}), 422)
    assert body["errors"][0]["line"] == 2


@pytest.mark.parametrize(("kwargs", "status", "words"), [
    ({"data": "{not json", "content_type": "application/json"}, 400, ["not valid JSON"]),
    ({"json": {"date": "2025-01-01"}}, 400, ["non-empty JSON array"]),
    ({"json": []}, 400, ["non-empty JSON array"]),
    ({"json": [{"date": "2025-01-01", "value": 3}]}, 400, ["row 1", "region"]),
    ({"json": [{"date": "2025-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": [1]}]}, 400, ["row 1"]),
    ({"data": "x", "content_type": "application/xml"}, 415, ["application/json"]),
    ({"data": "x"}, 415, []),
    ({"data": "", "content_type": "text/csv"}, 400, ["empty"]),
    ({"data": b"\x00\x01\x02binary", "content_type": "text/csv"}, 400, ["binary"]),
])
def test_observation_body_errors(client, auth, kwargs, status, words):
    assert_problem(client.post("/v1/observations", headers=auth, **kwargs), status, *words)


def test_observations_bad_query(client, auth):
    assert_problem(client.post("/v1/observations?source=../etc", json=OBS, headers=auth), 400, "source")
    assert_problem(client.post("/v1/observations?dry_run=maybe", json=OBS, headers=auth), 400, "true or false")


def test_oversized_body_is_413(var_dir, run_dir, auth):
    client = create_app({"TESTING": True, "API_TOKEN": API_TOKEN, "MAX_BODY_BYTES": 1000}).test_client()
    big = "date,region,metric,value\n" + "2025-01-17,jiangxi,highway_exit_vehicles,1800000\n" * 100
    body = assert_problem(client.post("/v1/observations", data=big, headers={**auth, "Content-Type": "text/csv"}),
                          413, "1000 bytes")
    assert body["hint"]


# ------------------------------------------------------------------------------ generic errors

def test_unknown_route_and_wrong_method(client):
    body = assert_problem(client.get("/v2/forecasts"), 404, "no route")
    assert body["hint"] and body["type"] == "/problems/not-found"
    r = client.delete("/v1/forecasts")
    assert_problem(r, 405, "DELETE")
    assert r.headers["Allow"] == "GET"
    assert client.put("/v1/runs").headers["Allow"] == "GET, POST"
    assert_problem(client.options("/v1/forecasts"), 405)


def test_a_bug_is_a_bare_500(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    body = assert_problem(app.test_client().get("/boom"), 500, "logged as")
    assert "secret" not in json.dumps(body)


def test_no_path_or_sql_from_request_text(client):
    for url in ("/static/..%2Fvalidation.py", "/static/%2e%2e/validation.py", "/v1/runs/jobs/..%2F..%2Fmanifest",
                "/v1/forecasts?unique_id=jiangxi/x'%20OR%201=1--", "/v1/seasons/2026%3B%20DROP/summary"):
        r = client.get(url)
        assert 400 <= r.status_code < 500 and r.mimetype == "application/problem+json", url


def test_a_worker_loads_the_station_forecasts_at_boot_not_on_the_first_request(app):
    """gunicorn's post_worker_init warms each worker up: the run and its station view are built
    then, so the first GET /v1/stations of a worker does not pay for reading them (p99, BENCHMARKS)."""
    view = app.extensions["chunyun.live"].get()
    assert view._stations is not None
