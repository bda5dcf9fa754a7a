"""`chunyun serve` and gunicorn.conf.py: several worker processes, one lock, one switch seen by all."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import API_TOKEN, write_synthetic_run

from forecast.cli import cmd_serve

ROOT = Path(__file__).resolve().parents[1]
TESTS = str(Path(__file__).resolve().parent)


def test_serve_execs_gunicorn_with_the_config(monkeypatch):
    argv, env = cmd_serve.command(argparse.Namespace(host="127.0.0.2", port=8123, workers=3))
    assert argv[1:] == ["-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
    assert (env["CHUNYUN_HOST"], env["CHUNYUN_PORT"], env["CHUNYUN_WORKERS"]) == ("127.0.0.2", "8123", "3")
    seen = {}
    monkeypatch.setattr(os, "execve", lambda path, args, environ: seen.update(path=path, args=args))
    cmd_serve.run(argparse.Namespace(host=None, port=None, workers=None))
    assert seen["args"][-2:] == ["--config", str(ROOT / "gunicorn.conf.py")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


@pytest.fixture
def gunicorn(var_dir, run_dir, tmp_path):
    """gunicorn with gunicorn.conf.py and 3 workers; the trainer is conftest.fake_train."""
    port = free_port()
    env = dict(os.environ, CHUNYUN_PORT=str(port), CHUNYUN_WORKERS="3", CHUNYUN_API_TOKEN=API_TOKEN,
               CHUNYUN_TEST_TRAIN_SECONDS="3", PYTHONPATH=os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")])))
    app = "api:create_app({'TRAIN_TARGET': 'conftest:fake_train', 'WARM_UP': False})"
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), app],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call(port, "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.3)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a graceful stop is not what this test is about
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_gunicorn_workers_share_the_lock_and_the_switch(gunicorn, var_dir, run_dir):
    port = gunicorn
    status, ready = call(port, "/readyz")
    assert status == 200 and ready["run_id"] == run_dir.name
    # a run published behind the server's back is served by every worker on its next request
    newer = write_synthetic_run(var_dir, scale=1.2)
    seen = {call(port, "/v1/runs/current")[1]["run_id"] for _ in range(30)}
    assert seen == {newer.name}
    # one training at a time, whichever worker gets the second request
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    status, job = call(port, "/v1/runs", "POST", auth)
    assert status == 202, job
    refused = [call(port, "/v1/runs", "POST", auth)[0] for _ in range(6)]
    assert refused == [409] * 6
    deadline = time.monotonic() + 180
    while (state := call(port, job["status_url"])[1])["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert state["status"] == "succeeded", state
    assert {call(port, "/readyz")[1]["run_id"] for _ in range(30)} == {state["run_id"]}


def raw_request(port: int, data: bytes) -> tuple[int, str, dict]:
    """Send raw bytes, read the whole answer: (status, content type, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), json.loads(body)


def test_gunicorns_own_errors_are_problem_json(gunicorn):
    port = gunicorn
    cases = [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),  # request line over 8190 bytes
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n", 431),
        (b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),  # not a method
    ]
    for data, status in cases:
        got, kind, body = raw_request(port, data)
        assert (got, kind, body["status"]) == (status, "application/problem+json", status), body
        assert body["detail"] and body["hint"]


def test_stalled_clients_do_not_hold_the_workers(gunicorn):
    """More stalled connections than workers (3): with sync workers /readyz would never answer."""
    port = gunicorn
    stalled = []
    try:
        for i in range(12):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" if i % 2 else
                      b"POST /v1/observations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                      b"Content-Length: 100000\r\n\r\ndate,")
            stalled.append(s)
        assert [call(port, "/readyz")[0] for _ in range(10)] == [200] * 10
    finally:
        for s in stalled:
            s.close()
