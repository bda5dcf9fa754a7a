"""Ingest benchmark: a generated long CSV of ``--rows`` observations into a fresh SQLite store.

    .venv/bin/python bench/ingest.py --rows 1000000

The file has 10 years of daily rows for as many synthetic regions (``data/regions.csv`` in a
temporary data dir) as it takes to reach ``--rows`` with the 7 registry metrics. Prints the time
to ingest (read + validate + one transaction), rows per second and the peak RSS of the process;
then ingests the same file again (every row unchanged). Target: 1,000,000 rows in under 60 s.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DAYS = 3650


def generate(path: Path, data_dir: Path, rows: int, seed: int = 0) -> None:
    from forecast.registry import METRICS

    metrics = list(METRICS)
    days = min(DAYS, rows)
    n_series = math.ceil(rows / days)
    n_regions = math.ceil(n_series / len(metrics))
    regions = [f"region_{i:03d}" for i in range(n_regions)]
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "regions.csv", "w", encoding="utf-8") as fh:
        fh.write("region,zh,en,aliases\n")
        for i, r in enumerate(regions):
            fh.write(f"{r},地区{i:03d},Region {i:03d},\n")
    series = [(r, m) for r in regions for m in metrics][:n_series]
    dates = pd.date_range("2015-01-01", periods=days, freq="D").strftime("%Y-%m-%d").to_numpy()
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("date,region,metric,value\n")
        written = 0
        for day in dates:  # one day at a time: every series, as a daily export would be
            take = min(len(series), rows - written)
            if take <= 0:
                break
            block = pd.DataFrame({
                "date": day,
                "region": [s[0] for s in series[:take]],
                "metric": [s[1] for s in series[:take]],
                "value": rng.integers(1_000, 5_000_000, size=take),
            })
            block.to_csv(fh, header=False, index=False)
            written += take
        # a file shorter than days x series: fill from the next day block was not needed
    assert written == rows, (written, rows)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="observations in the file (default 1,000,000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the phases (read, check, write) on stderr")
    args = parser.parse_args(argv)
    if args.verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(relativeCreated)8.0f ms %(name)s: %(message)s",
                            stream=sys.stderr)

    tmp = Path(tempfile.mkdtemp(prefix="chunyun-bench-"))
    os.environ["CHUNYUN_DATA_DIR"] = str(tmp / "data")
    os.environ["CHUNYUN_VAR_DIR"] = str(tmp / "var")
    os.environ.pop("CHUNYUN_DATABASE_URL", None)
    from forecast.ingest import ingest
    from forecast.store import Store

    csv_path = tmp / "observations.csv"
    t0 = time.perf_counter()
    generate(csv_path, tmp / "data", args.rows)
    size = csv_path.stat().st_size
    print(f"generated {args.rows:,} rows ({size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s; "
          f"peak RSS so far {peak_rss_mib():.0f} MiB", file=sys.stderr)

    store = Store()
    t0, c0 = time.perf_counter(), time.process_time()
    report = ingest(csv_path, store)
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = peak_rss_mib()
    assert report.accepted == args.rows and report.rejected == 0, report.summary()
    t0, c0 = time.perf_counter(), time.process_time()
    again = ingest(csv_path, store)
    second, second_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert again.unchanged == args.rows and again.accepted == 0, again.summary()
    stored = store.count()
    assert stored == args.rows, stored

    print(f"ingest {args.rows:,} rows into a fresh SQLite store: {first:.1f} s ({first_cpu:.1f} s CPU), "
          f"{args.rows / first:,.0f} rows/s, peak RSS {rss:.0f} MiB")
    print(f"re-ingest (all unchanged): {second:.1f} s ({second_cpu:.1f} s CPU), {args.rows / second:,.0f} rows/s, "
          f"peak RSS {peak_rss_mib():.0f} MiB")
    load1 = os.getloadavg()[0]
    print(f"database {Path(store.engine.url.database).stat().st_size / 2**20:.0f} MiB; {os.cpu_count()} CPUs, "
          f"load average {load1:.1f}; python {sys.version.split()[0]}; pandas {pd.__version__}")
    store.close()
    if args.keep:
        print(f"kept {tmp}", file=sys.stderr)
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
