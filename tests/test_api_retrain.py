"""POST /v1/runs: background retraining in a subprocess, one at a time, published atomically."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import API_TOKEN

from api import create_app

TESTS = str(Path(__file__).resolve().parent)


@pytest.fixture
def retrain_client(var_dir, run_dir, monkeypatch):
    """The app with conftest.fake_train as the trainer (importable by the child via PYTHONPATH)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("CHUNYUN_TEST_TRAIN_SECONDS", "3")
    app = create_app({"TESTING": True, "API_TOKEN": API_TOKEN, "TRAIN_TARGET": "conftest:fake_train"})
    return app.test_client()


def wait_for(client, url: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url).get_json()
        if job["status"] != "running":
            return job
        time.sleep(0.3)
    raise AssertionError(f"job at {url} still running after {timeout} s")


def test_retrain_runs_in_the_background_and_goes_live(retrain_client, run_dir, auth):
    client = retrain_client
    r = client.post("/v1/runs", headers=auth)
    assert r.status_code == 202, r.get_data(as_text=True)
    job = r.get_json()
    assert job["status"] == "running" and r.headers["Location"] == job["status_url"] == f"/v1/runs/jobs/{job['job_id']}"
    # while it trains: the old run keeps serving, and a second request is refused
    assert client.get("/readyz").get_json()["run_id"] == run_dir.name
    busy = client.post("/v1/runs", headers=auth)
    assert busy.status_code == 409 and busy.mimetype == "application/problem+json"
    assert job["status_url"] in busy.get_json()["hint"]
    done = wait_for(client, job["status_url"])
    assert done["status"] == "succeeded", done
    assert done["run_id"] and done["run_id"] != run_dir.name and done["finished_at"]
    assert client.get("/readyz").get_json()["run_id"] == done["run_id"]
    runs = client.get("/v1/runs").get_json()["runs"]
    assert [r["run_id"] for r in runs if r["current"]] == [done["run_id"]]
    # the lock is free again
    again = client.post("/v1/runs", headers=auth)
    assert again.status_code == 202
    assert wait_for(client, again.get_json()["status_url"])["status"] == "succeeded"


def test_a_failed_training_is_reported_and_keeps_the_old_run(retrain_client, run_dir, auth, monkeypatch):
    monkeypatch.setenv("CHUNYUN_TEST_TRAIN_FAIL", "1")
    monkeypatch.setenv("CHUNYUN_TEST_TRAIN_SECONDS", "0")
    job = retrain_client.post("/v1/runs", headers=auth).get_json()
    done = wait_for(retrain_client, job["status_url"])
    assert done["status"] == "failed" and "synthetic training failure" in done["error"]
    assert retrain_client.get("/readyz").get_json()["run_id"] == run_dir.name


def test_job_status_errors(retrain_client, auth):
    assert retrain_client.get("/v1/runs/jobs/" + "0" * 32).status_code == 404
    r = retrain_client.get("/v1/runs/jobs/not-a-job")
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert retrain_client.post("/v1/runs").status_code == 401
