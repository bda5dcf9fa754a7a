"""Slow-client benchmark: stalled connections held open while ``/readyz`` is polled.

    .venv/bin/python bench/slow_clients.py                         # 50 stalled, the configured worker class
    .venv/bin/python bench/slow_clients.py --worker-class sync     # the same against another class
    .venv/bin/python bench/slow_clients.py --stalled 50 --polls 60 --interval 0.25 --json

It starts the server as ``chunyun serve`` does (``gunicorn -c gunicorn.conf.py``, loopback only,
a free port, over the current run of ``--var-dir``), then opens ``--stalled`` connections that
never finish: two thirds send the first line and one header of ``GET /healthz`` and stop before
the blank line; one third send the headers of a ``POST /v1/observations`` announcing a 1 MB body
and then only a few bytes of it. While they are held open, ``/readyz`` is polled ``--polls``
times on fresh connections (each with a ``--poll-timeout`` of 5 s); the script prints the
latencies (p50, p99, max, how many took over 1 s or failed), closes the stalled sockets and stops
the server. Everything is bounded: polls x interval seconds plus start-up.

Goal: every poll answered within 1 s with 50 stalled connections.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import HOST, Server, get, percentile  # noqa: E402

STALL_GET = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # no blank line: the headers never end
STALL_POST = (b"POST /v1/observations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
              b"Authorization: Bearer bench\r\nContent-Length: 1000000\r\n\r\ndate,region,")


def open_stalled(port: int, n: int) -> list[socket.socket]:
    socks = []
    for i in range(n):
        s = socket.create_connection((HOST, port), timeout=5)
        s.sendall(STALL_POST if i % 3 == 2 else STALL_GET)
        socks.append(s)
    return socks


def poll(port: int, polls: int, interval: float, timeout: float) -> tuple[list[float], int]:
    latencies, failed = [], 0
    for _ in range(polls):
        t0 = time.perf_counter()
        try:
            status, _ = get(port, "/readyz", timeout=timeout)
            if status != 200:
                failed += 1
        except OSError:
            failed += 1
        latencies.append(time.perf_counter() - t0)
        time.sleep(interval)
    return latencies, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var-dir", help="var dir whose current run is served (default CHUNYUN_VAR_DIR or var/)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--worker-class", help="override gunicorn.conf.py's worker class (sync, gthread, gevent)")
    parser.add_argument("--threads", type=int, help="threads per worker (gthread)")
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--polls", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between polls")
    parser.add_argument("--poll-timeout", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    extra = []
    if args.worker_class:
        extra += ["--worker-class", args.worker_class]
    if args.threads:
        extra += ["--threads", str(args.threads)]
    log = Path(tempfile.mkdtemp(prefix="chunyun-slow-")) / "gunicorn.log"
    server = Server(args.var_dir, args.workers, "bench", log, extra_args=extra)
    socks: list[socket.socket] = []
    try:
        server.wait_ready()
        baseline, _ = poll(server.port, 10, 0.05, args.poll_timeout)
        socks = open_stalled(server.port, args.stalled)
        time.sleep(0.5)
        latencies, failed = poll(server.port, args.polls, args.interval, args.poll_timeout)
    finally:
        for s in socks:
            s.close()
        server.stop()
    lat = sorted(latencies)
    out = {
        "worker_class": args.worker_class or "gunicorn.conf.py", "workers": args.workers or "default",
        "stalled": args.stalled, "polls": args.polls, "failed": failed,
        "over_1s": sum(x > 1.0 for x in latencies),
        "p50_ms": round(1000 * percentile(lat, 0.5), 1), "p99_ms": round(1000 * percentile(lat, 0.99), 1),
        "max_ms": round(1000 * lat[-1], 1), "baseline_max_ms": round(1000 * max(baseline), 1), "log": str(log),
    }
    if args.json:
        print(json.dumps(out))
    else:
        print("| worker class | stalled | polls | failed | > 1 s | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| {out['worker_class']} | {out['stalled']} | {out['polls']} | {out['failed']} | {out['over_1s']} | "
              f"{out['p50_ms']} | {out['p99_ms']} | {out['max_ms']} |")
    return 0 if failed == 0 and out["over_1s"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
