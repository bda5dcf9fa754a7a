"""Worst-case request bodies at the size limit: how long POST /v1/observations takes to answer.

    .venv/bin/python bench/hostile_bodies.py            # each body once, in process (Flask test client)
    .venv/bin/python bench/hostile_bodies.py --mib 20   # bodies of about 20 MiB (CHUNYUN_MAX_BODY_BYTES)

Each body is answered by the app in a fresh var dir (a synthetic run, an empty SQLite store, dry
run off): every row rejected (unknown region), every row good, JSON rows, one wide header,
NUL-bearing lines, deep JSON. Prints the status, the answer time and its size. Goal: every body
within the size limit answered well under gunicorn's 30 s worker timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def bodies(size: int) -> list[tuple[str, str, bytes]]:
    header = b"date,region,metric,value\n"
    bad_line = b"2024-01-01,atlantis,rail_passengers,400000\n"
    lines, out = [], []
    n = size // 44
    days = [f"{2000 + (i // 365) % 25}-{1 + (i // 28) % 12:02d}-{1 + i % 28:02d}" for i in range(min(n, 9000))]
    good = b"".join(f"{days[i % len(days)]},jiangxi,{('rail_passengers', 'air_passengers')[i // len(days) % 2]},"
                    f"{400000 + i % 1000}\n".encode() for i in range(min(n, 2 * len(days))))
    out.append(("CSV, every row rejected", "text/csv", header + bad_line * n))
    out.append(("CSV, good rows", "text/csv", header + good))
    out.append(("CSV, NUL lines after 64 KiB", "text/csv", header + good[:70_000] + b"x,\0\n" * 999))
    out.append(("CSV, wide header", "text/csv", b"date," + b",".join(b"c%d" % i for i in range(100_000)) + b"\n"))
    rows = [{"date": "2024-01-01", "region": "atlantis", "metric": "rail_passengers", "value": 1}]
    one = len(json.dumps(rows[0])) + 2
    out.append(("JSON, every row rejected", "application/json", json.dumps(rows * (size // one)).encode()))
    out.append(("JSON, the last row schema-invalid", "application/json",
                json.dumps(rows * (size // one - 1) + [{"date": "2024-01-01"}]).encode()))
    out.append(("JSON, 10,000 deep", "application/json", b"[" * 10_000 + b"]" * 10_000))
    lines.clear()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=19.5, help="body size in MiB (default 19.5, under the 20 MiB limit)")
    args = parser.parse_args(argv)
    from conftest import API_TOKEN, write_synthetic_run

    from api import create_app

    print("| body | bytes | status | seconds | answer bytes |")
    print("|---|---:|---:|---:|---:|")
    for name, kind, body in bodies(int(args.mib * 2**20)):
        var = tempfile.mkdtemp(prefix="chunyun-hostile-")
        os.environ["CHUNYUN_VAR_DIR"] = var
        write_synthetic_run(var)
        client = create_app({"TESTING": True, "VAR_DIR": var, "API_TOKEN": API_TOKEN}).test_client()
        t0 = time.perf_counter()
        r = client.post("/v1/observations", data=body, content_type=kind,
                        headers={"Authorization": f"Bearer {API_TOKEN}"})
        secs = time.perf_counter() - t0
        print(f"| {name} | {len(body):,} | {r.status_code} | {secs:.2f} | {len(r.get_data()):,} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
