"""The planners' page: rendered in a real headless Chromium against a live server on loopback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from api import create_app

STATIC = Path(__file__).resolve().parents[1] / "api" / "static"


def chromium() -> str | None:
    return os.environ.get("CHUNYUN_TEST_CHROMIUM") or shutil.which("chromium")


@pytest.fixture
def live_server(var_dir, run_dir):
    """The app on a free loopback port (werkzeug in a thread); records every path requested."""
    app = create_app({"TESTING": True})
    seen: list[str] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        seen.append(environ.get("PATH_INFO", ""))
        return inner(environ, start_response)

    app.wsgi_app = recording
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        thread.join(timeout=10)


def dump_dom(url: str, tmp_path: Path, budget_ms: int | None = None) -> str:
    binary = chromium()
    if not binary:
        reason = "no chromium (set CHUNYUN_TEST_CHROMIUM or install the chromium package)"
        if os.environ.get("CHUNYUN_TEST_REQUIRE_SERVICES"):  # CI: the browser test must run
            pytest.fail(reason)
        pytest.skip(reason)
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", url]
    if budget_ms:  # let scripts that fetch after the load event finish first
        cmd.insert(-2, f"--virtual-time-budget={budget_ms}")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_page_renders_table_and_chart_in_chromium(live_server, tmp_path):
    base, seen = live_server
    dom = dump_dom(f"{base}/?region=jiangxi&season=2026&metric=highway_exit_vehicles", tmp_path)
    # the summary table: the total, five modes and the highway exits
    rows = re.findall(r'<tr class="metric-row[^"]*" data-metric="(\w+)"', dom)
    assert rows == ["cross_regional_trips", "rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers",
                    "water_passengers", "highway_exit_vehicles"]
    # the chart, drawn by api/static/chart.js into inline SVG
    assert re.search(r'<svg[^>]*class="forecast-chart"', dom), "chart.js did not draw the chart"
    for cls in ("band band-95", "band band-80", "line yhat", "threshold threshold-red"):
        assert f'class="{cls}"' in dom, cls
    markers = re.findall(r'<circle[^>]*class="alert-marker alert-(\w+)"[^>]*data-date="([\d-]+)"', dom)
    assert ("red", "2026-02-22") in markers and len(markers) == dom.count('class="alert-row ')
    assert 'id="sample-banner"' in dom and "SAMPLE DATA" in dom
    # everything it loaded came from this server
    assert {"/", "/static/page.css", "/static/chart.js"} <= set(seen)
    assert set(seen) <= {"/", "/static/page.css", "/static/chart.js", "/favicon.ico"}


def test_swagger_ui_renders_every_operation_offline(live_server, tmp_path, client):
    base, seen = live_server
    dom = dump_dom(f"{base}/docs", tmp_path, budget_ms=15000)
    paths = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    documented = set(client.get("/openapi.json").get_json()["paths"])
    assert paths == documented
    assert "/docs/openapi-3.0.json" in seen and "/docs/static/swagger-ui-bundle.js" in seen
    assert "/static/docs.js" in seen  # the start-up script: a file, as the Content-Security-Policy wants
    assert all(p in ("/", "/static/docs.js") or p.startswith(("/docs", "/favicon")) for p in seen), seen


def test_page_has_no_external_urls(client):
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r"https?://", html)
    assert not re.search(r"https?://", (STATIC / "page.css").read_text(encoding="utf-8"))
    js = (STATIC / "chart.js").read_text(encoding="utf-8")
    assert re.findall(r"https?://[^\"' ]+", js) == ["http://www.w3.org/2000/svg"]  # a namespace name, never fetched
    assert "fetch(" not in js and "XMLHttpRequest" not in js


def test_page_selects_region_season_metric_and_language(client):
    r = client.get("/?region=national&season=2025&metric=cross_regional_trips&lang=en")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert '<option value="national" selected>' in html and '<option value="2025" selected>' in html
    assert "cross-regional trips" in html and "sample data" in html
    assert '"uid": "national/cross_regional_trips"' in html or '"uid":"national/cross_regional_trips"' in html


def test_page_defaults_and_errors(client):
    html = client.get("/").get_data(as_text=True)
    assert '<option value="jiangxi" selected>' in html and '<option value="2026" selected>' in html
    for url, status in (("/?region=atlantis", 404), ("/?season=abc", 400), ("/?season=2030", 404),
                        ("/?metric=camels", 400), ("/?lang=fr", 400)):
        r = client.get(url)
        assert r.status_code == status and r.mimetype == "application/problem+json", url


def test_real_data_is_not_labelled_sample(var_dir, synthetic_template):
    from conftest import write_synthetic_run

    write_synthetic_run(var_dir, data_kind="real")
    html = create_app({"TESTING": True}).test_client().get("/").get_data(as_text=True)
    assert "SAMPLE DATA" not in html and "样例数据" not in html
