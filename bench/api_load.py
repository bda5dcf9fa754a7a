"""API load benchmark: gunicorn on 127.0.0.1 (a free port), 16 connections, bounded time and requests.

    .venv/bin/python bench/api_load.py                      # /healthz, /v1/forecasts, /v1/seasons/{s}/summary, /v1/stations
    .venv/bin/python bench/api_load.py --during-retrain     # load while POST /v1/runs retrains; count failures
    .venv/bin/python bench/api_load.py --client python      # the Python client even when wrk is installed
    .venv/bin/python bench/api_load.py --worker-class sync  # the same with another gunicorn worker class
    .venv/bin/python bench/api_load.py --during-retrain --train-target bench.api_load:republish
                                                            # the switch under load without a real fit

It starts the server exactly as ``chunyun serve`` does (``gunicorn -c gunicorn.conf.py``) over the
current run of ``--var-dir`` (default: CHUNYUN_VAR_DIR / var; run ``chunyun prepare`` first), measures
requests per second and p50/p99 latency per endpoint side by side, prints a Markdown table (or
``--json``) and stops the server. Load comes from Debian's ``wrk`` when installed, else from a
thread pool of ``http.client`` keep-alive connections. Only loopback addresses are ever used.

Goal: forecasts and summaries at >= 70 % of /healthz's throughput with p99 < 50 ms, and zero
failed requests while a retrain publishes a new run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------- server

class Server:
    """What ``chunyun serve`` execs (gunicorn with gunicorn.conf.py), on a free loopback port."""

    def __init__(self, var_dir: str | None, workers: int | None, token: str, log_path: Path,
                 train_target: str | None = None, extra_args: list[str] | None = None):
        self.port = free_port()
        env = dict(os.environ, CHUNYUN_HOST=HOST, CHUNYUN_PORT=str(self.port), CHUNYUN_API_TOKEN=token)
        if var_dir:
            env["CHUNYUN_VAR_DIR"] = str(var_dir)
            env.pop("CHUNYUN_DATABASE_URL", None)
        if workers:
            env["CHUNYUN_WORKERS"] = str(workers)
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        argv = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]  # = `chunyun serve`
        argv += extra_args or []  # e.g. ["--worker-class", "sync"] to compare with the configured one
        if train_target:
            argv.append(f"api:create_app({{'WARM_UP': False, 'TRAIN_TARGET': {train_target!r}}})")
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                status, body = get(self.port, "/readyz")
                if status == 200:
                    return json.loads(body)
                last = body
            except OSError as err:
                last = str(err)
            time.sleep(0.25)
        raise SystemExit(f"server not ready after {timeout:.0f} s: {last} (train a run: `chunyun prepare`)")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn's master: graceful stop of its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: master and workers
                self.proc.wait()
        self.log.close()


def get(port: int, path: str, method: str = "GET", headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def republish() -> Path:
    """A stand-in trainer for ``--train-target bench.api_load:republish``: burns one core for
    CHUNYUN_BENCH_TRAIN_SECONDS (default 10), then publishes a copy of the current run under a new
    id through forecast.runs (staging dir + atomic switch), as a real training would."""
    from datetime import UTC, datetime

    from forecast import runs, settings

    var = settings.load()["var_dir"]
    end = time.monotonic() + float(os.environ.get("CHUNYUN_BENCH_TRAIN_SECONDS", "10"))
    while time.monotonic() < end:
        sum(range(10_000))
    current = runs.current_run(var)
    staged = runs.staging_dir(var)
    shutil.copytree(current.path, staged, dirs_exist_ok=True)
    run_id = runs.new_run_id(current.manifest.get("data_fingerprint") or "benchmark")
    manifest = {**current.manifest, "run_id": run_id, "created_at": datetime.now(UTC).isoformat()}
    (staged / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return runs.publish(staged, run_id, var)


# ---------------------------------------------------------------------------------------- clients

def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def python_load(port: int, paths: list[str], connections: int, duration: float, max_requests: int,
                stop: threading.Event | None = None) -> dict:
    """``connections`` threads, each with one keep-alive ``http.client`` connection, cycling ``paths``."""
    lock = threading.Lock()
    sent = [0]
    results: list[list] = []
    deadline = time.perf_counter() + duration

    def worker(offset: int) -> None:
        lat: list[float] = []
        failed = 0
        statuses: dict[int, int] = {}
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        i = offset
        while time.perf_counter() < deadline and not (stop and stop.is_set()):
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    failed += 1
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                failed += 1
                statuses[0] = statuses.get(0, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
            lat.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            results.append([lat, failed, statuses])

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = sorted(x for r in results for x in r[0])
    statuses: dict[int, int] = {}
    for r in results:
        for code, n in r[2].items():
            statuses[code] = statuses.get(code, 0) + n
    return {"requests": len(lat), "failed": sum(r[1] for r in results), "statuses": statuses,
            "seconds": round(elapsed, 2), "rps": round(len(lat) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(1000 * percentile(lat, 0.50), 2), "p99_ms": round(1000 * percentile(lat, 0.99), 2),
            "client": "python"}


def _wrk_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_load(port: int, path: str, connections: int, duration: float) -> dict:
    """Debian's wrk: 2 threads, ``connections`` keep-alive connections, ``--latency`` percentiles."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
                          "--timeout", "10s", f"http://{HOST}:{port}{path}"],
                         capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    total = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"requests": total, "failed": failed, "seconds": round(duration, 2), "rps": round(rps, 1),
            "p50_ms": round(_wrk_ms(_percentile_line(out, 50)), 2),
            "p99_ms": round(_wrk_ms(_percentile_line(out, 99)), 2), "client": "wrk"}


def _percentile_line(out: str, pct: int) -> str:
    """The value of wrk's "Latency Distribution" line for ``pct`` (a line of its own: a stdev
    column such as "74.50%" elsewhere in the output must not match)."""
    return re.search(rf"^\s*{pct}%\s+(\S+)\s*$", out, re.M).group(1)


# ---------------------------------------------------------------------------------------- modes

def targets(port: int, unique_id: str | None, region: str) -> dict[str, str]:
    """The three endpoints, for the run being served: one series over one season, one summary."""
    status, body = get(port, "/v1/series")
    series = [s["unique_id"] for s in json.loads(body)["series"] if s["in_run"]]
    uid = unique_id or next((u for u in (f"{region}/highway_exit_vehicles", f"{region}/cross_regional_trips")
                             if u in series), series[0])
    status, body = get(port, f"/v1/forecasts?unique_id={quote(uid, safe='/')}")
    if status != 200:
        raise SystemExit(f"/v1/forecasts answered {status}: {body[:300]!r}")
    season = int(json.loads(body)["end"][:4])  # the latest season's window ends in its own year
    paths = {
        "/healthz": "/healthz",
        "/v1/forecasts": f"/v1/forecasts?unique_id={quote(uid, safe='/')}&season={season}",
        "/v1/seasons/{s}/summary": f"/v1/seasons/{season}/summary?region={region}",
    }
    if get(port, f"/v1/stations?region={region}&top=20")[0] == 200:  # a run with toll stations
        paths["/v1/stations (top 20)"] = f"/v1/stations?region={region}&top=20"
    return paths


def side_by_side(port: int, paths: dict[str, str], args) -> list[dict]:
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    for path in paths.values():  # fill every worker's per-run caches first
        python_load(port, [path], args.connections, 2.0, 400)
    rows = []
    for name, path in paths.items():
        if use_wrk:
            result = wrk_load(port, path, args.connections, args.duration)
        else:
            result = python_load(port, [path], args.connections, args.duration, args.max_requests)
        rows.append({"endpoint": name, "path": path, **result})
    base = rows[0]["rps"] or 1.0
    for row in rows:
        row["vs_healthz"] = round(row["rps"] / base, 2)
    return rows


def during_retrain(port: int, paths: dict[str, str], token: str, args) -> dict:
    """Load forecasts + summary while POST /v1/runs retrains; every non-200 is a failed request."""
    before = json.loads(get(port, "/readyz")[1])["run_id"]
    mixed = [paths["/v1/forecasts"], paths["/v1/seasons/{s}/summary"]]
    stop = threading.Event()
    box: dict = {}
    loader = threading.Thread(target=lambda: box.update(python_load(port, mixed, args.connections, args.retrain_timeout,
                                                                    10**9, stop)))
    loader.start()
    time.sleep(2.0)
    status, body = get(port, "/v1/runs", method="POST", headers={"Authorization": f"Bearer {token}"})
    job = json.loads(body)
    if status != 202:
        stop.set()
        loader.join()
        raise SystemExit(f"POST /v1/runs answered {status}: {job}")
    t0 = time.monotonic()
    final = job
    while time.monotonic() - t0 < args.retrain_timeout:
        time.sleep(1.0)
        final = json.loads(get(port, job["status_url"])[1])
        if final["status"] != "running":
            break
    trained = time.monotonic() - t0
    time.sleep(3.0)  # keep loading across the switch: every worker reloads the new run
    stop.set()
    loader.join()
    after = json.loads(get(port, "/readyz")[1])["run_id"]
    return {"mode": "during-retrain", "job": final, "train_seconds": round(trained, 1), "run_before": before,
            "run_after": after, "switched": after != before, **box}


# ---------------------------------------------------------------------------------------- output

def table(rows: list[dict]) -> str:
    lines = ["| endpoint | requests | failed | req/s | vs /healthz | p50 ms | p99 ms | client |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| `{r['endpoint']}` | {r['requests']} | {r['failed']} | {r['rps']:.0f} | {r['vs_healthz']:.2f} "
                     f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['client']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var-dir", help="var dir whose current run is served (default CHUNYUN_VAR_DIR or var/)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint (default 10)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap per endpoint (Python client)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--unique-id", help="series for /v1/forecasts (default <region>/highway_exit_vehicles)")
    parser.add_argument("--region", default="jiangxi")
    parser.add_argument("--during-retrain", action="store_true", help="POST /v1/runs under load; count failures")
    parser.add_argument("--retrain-timeout", type=float, default=900.0, help="give up on the job after this long")
    parser.add_argument("--train-target", help="module:function POST /v1/runs runs (default: forecast.train, as "
                                               "`chunyun train`); bench.api_load:republish skips the fit")
    parser.add_argument("--worker-class", help="override gunicorn.conf.py's worker class (e.g. sync, to compare)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout instead of Markdown")
    args = parser.parse_args(argv)

    token = secrets.token_hex(16)
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"chunyun-bench-{os.getpid()}.log"
    server = Server(args.var_dir, args.workers, token, log_path, args.train_target,
                    ["--worker-class", args.worker_class] if args.worker_class else None)
    try:
        ready = server.wait_ready()
        paths = targets(server.port, args.unique_id, args.region)
        meta = {"run_id": ready["run_id"], "data_kind": ready.get("data_kind"), "connections": args.connections,
                "cores": len(os.sched_getaffinity(0)), "workers": args.workers or "gunicorn.conf.py default",
                "train_target": args.train_target or "forecast.train (chunyun train)"}
        if args.during_retrain:
            result = {**meta, **during_retrain(server.port, paths, token, args)}
            if args.json:
                print(json.dumps(result, indent=2))
            else:
                print(f"during retrain: {result['requests']} requests, {result['failed']} failed {result['statuses']}, "
                      f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
                      f"job {result['job']['status']} in {result['train_seconds']} s; run {result['run_before']} -> "
                      f"{result['run_after']}")
            return 0 if result["failed"] == 0 and result["job"]["status"] == "succeeded" else 1
        rows = side_by_side(server.port, paths, args)
        if args.json:
            print(json.dumps({**meta, "results": rows}, indent=2))
        else:
            print(f"run {meta['run_id']} ({meta['data_kind']}), {meta['connections']} connections, "
                  f"{meta['cores']} cores, workers: {meta['workers']}\n")
            print(table(rows))
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
