"""Station scale benchmark: 1,000 and 10,000 stations end to end, local vs Spark vs AutoETS.

    .venv/bin/python bench/scale.py                         # 1,000 and 10,000 stations
    .venv/bin/python bench/scale.py --stations 1000 --json  # one size, JSON

Data: ``N`` SAMPLE stations splitting the sample's Jiangxi highway exits
(:func:`forecast.stations.sample.generate`, made once per size, not timed), written as one Parquet
file of the stations' whole history. Target: the 2025 season (40 days) from 2025-01-13, with the
province forecast of the current run (``chunyun prepare`` makes one), so that every engine's MAPE
is measured against the sample's actual days.

Each engine runs in its own child process (so its peak memory is its own), measured by polling the
memory of the child and all its descendants every 0.2 s (the sum of their proportional set sizes,
PSS, so that pages a forked worker shares with its parent count once; Spark's JVM and Python
workers included):

- ``local``: read the history Parquet (filtered to the days the model reads while it is read,
  :func:`forecast.stations.pipeline.read_trimmed`), write the engine input, fit and forecast every
  station on a pool of 2 processes (:func:`forecast.stations.engines.run_local`), reconcile with
  the province (hierarchicalforecast ``top_down``), add peak odds, write Parquet;
- ``spark``: the same on Spark ``local[2]`` (``groupBy(bucket of whole stations).applyInPandas``,
  :func:`forecast.stations.engines.run_spark`); the session start-up is timed apart and not in the
  end-to-end time: the JVM, a first job, and :func:`forecast.stations.engines.warm_up` (a grouped
  ``applyInPandas`` over 200,000 synthetic rows, no station data: Spark's Python workers started,
  the JVM's shuffle and Arrow code compiled);
- ``spark_by_station`` (only when asked for, ``--engines local,spark,spark_by_station``): the same
  with one group per station (``groupBy("unique_id")``, ``stations_per_group=1``), for comparison;
- ``autoets``: statsforecast ``AutoETS(season_length=7)`` on each station's last 730 days
  (``n_jobs=2``), reconciled and written the same way.

Reported: wall time end to end, stations per second, peak memory, CPU seconds of the process tree
(start-up included; less moved by other jobs on the same cores than the wall time), station MAPE
(%) and 80% coverage on the season, and the largest relative difference between the local and
Spark forecasts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEASON, CUTOFF = 2025, pd.Timestamp("2025-01-13")


# ------------------------------------------------------------------------------------ memory


def _pss(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes: its private memory plus its share of pages it
    shares with others (forked workers share their parent's pages), so that the sum over a
    process tree counts each page once."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) ``pid`` has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree(pid: int) -> list[int]:
    """``pid`` and every descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _tree_rss(pid: int) -> int:
    """Memory of ``pid`` and every descendant (the sum of their PSS)."""
    return sum(_pss(p) for p in _tree(pid))


def run_child(args: list[str]) -> tuple[dict, float, float]:
    """Run ``bench/scale.py --phase ...`` as a child; (its JSON result, peak tree memory in GiB, CPU
    seconds of the tree: each process's last reading, so a process that lived less than a poll is
    missed; what other engineers' jobs on the same cores do not change as much as the wall time)."""
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True,
                            env={"NIXTLA_NUMBA_CACHE": "1", **os.environ, "PYTHONPATH": str(ROOT)})
    peak = [0]
    cpu: dict[int, float] = {}
    done = threading.Event()

    def poll():
        while not done.is_set():
            pids = _tree(proc.pid)
            peak[0] = max(peak[0], sum(_pss(p) for p in pids))
            for p in pids:
                cpu[p] = max(cpu.get(p, 0.0), _cpu(p))
            time.sleep(0.2)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    out, _ = proc.communicate()
    done.set()
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"phase {args} failed with status {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1]), peak[0] / 2 ** 30, sum(cpu.values())


# ------------------------------------------------------------------------------------ phases


def make_data(n: int, folder: Path) -> None:
    from forecast import runs
    from forecast.stations import sample as ss

    prov = ss.province_history()
    _, series, _ = ss.generate(prov, n)
    series.to_parquet(folder / "history.parquet", index=False)  # unique_id dictionary-encoded, as pyarrow writes it
    prov.to_parquet(folder / "province.parquet", index=False)
    fc = runs.current_run().forecasts
    fc[fc["unique_id"] == "jiangxi/highway_exit_vehicles"].to_parquet(folder / "province_forecast.parquet", index=False)


def _target(folder: Path):
    from forecast.stations import pipeline

    fc = pd.read_parquet(folder / "province_forecast.parquet")
    return pipeline.targets_from_run(fc, "jiangxi", [(SEASON, CUTOFF)])[0]


def _finish(base: pd.DataFrame, target, out: Path) -> dict:
    """Reconcile with the province, peak odds, write; the seconds it took."""
    from forecast.stations import pipeline, reconcile

    t0 = time.perf_counter()
    rec, _ = reconcile.reconcile(base, pd.DataFrame({"ds": target.ds, "yhat": target.province_yhat}),
                                 "jiangxi/highway_exit_vehicles", "top_down")
    rec["p_peak"] = pipeline.peak_odds(rec.assign(season=SEASON, cutoff=CUTOFF))
    pipeline.write_parquet(rec, out)
    return {"reconcile_write": time.perf_counter() - t0,
            "coherence": reconcile.coherence_error(rec, pd.DataFrame({"ds": target.ds, "yhat": target.province_yhat}))}


def phase_engine(engine: str, folder: Path) -> dict:
    from forecast.stations import engines, pipeline

    target = _target(folder)
    prov = pd.read_parquet(folder / "province.parquet")
    ctx = engines.Context(prov["ds"].to_numpy(dtype="datetime64[ns]"), prov["y"].to_numpy(dtype=float), (target,),
                          ("lunar_share",))
    session, startup = None, 0.0
    if engine.startswith("spark"):
        t0 = time.perf_counter()
        session = engines.spark_session("local[2]")
        session.range(1).count()  # the JVM and the first job are start-up,
        engines.warm_up(session)  # and its Python workers and the JVM's compiled exchange (synthetic rows)
        startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    hist = pipeline.read_trimmed(folder / "history.parquet", [target])  # filtered while read
    pipeline.write_input(hist, [target], folder / f"{engine}_input.parquet")
    n = int(hist["unique_id"].nunique())
    del hist
    t_read = time.perf_counter() - t0
    if engine == "spark_by_station":  # one applyInPandas group per station, for comparison
        timings = engines.run_spark(folder / f"{engine}_input.parquet", ctx, folder / f"{engine}_base.parquet",
                                    session=session, stations_per_group=1)
    else:
        timings = engines.run(engine, folder / f"{engine}_input.parquet", ctx, folder / f"{engine}_base.parquet",
                              workers=2, session=session)
    base = pd.read_parquet(folder / f"{engine}_base.parquet")
    fin = _finish(base, target, folder / f"{engine}_forecast.parquet")
    total = time.perf_counter() - t0
    if session is not None:
        session.stop()
    return {"engine": engine, "stations": n, "startup": startup, "read_trim": t_read, "engine_seconds": timings,
            "total": total, **fin}


def phase_autoets(folder: Path, limit: int | None = None) -> dict:
    """AutoETS on every station, or on the first ``limit`` stations (then only the base forecasts
    are written, beside the local engine's base forecasts of the same stations, for the MAPE)."""
    from forecast.stations.model import autoets_forecast

    target = _target(folder)
    t0 = time.perf_counter()
    ids = sorted(pd.read_parquet(folder / "history.parquet", columns=["unique_id"])["unique_id"].astype(str).unique())
    n = len(ids)
    subset = [("unique_id", "in", ids[:limit])] if limit and limit < n else None
    hist = pd.read_parquet(folder / "history.parquet", filters=subset)
    hist["unique_id"] = hist["unique_id"].astype(str)
    t_read = time.perf_counter() - t0
    fc = autoets_forecast(hist, CUTOFF, pd.DatetimeIndex(target.ds), n_jobs=2)
    fitted = int(hist["unique_id"].nunique())
    del hist
    t_fit = time.perf_counter() - t0 - t_read
    if fitted < n:
        pipeline_write = __import__("forecast.stations.pipeline", fromlist=["write_parquet"]).write_parquet
        pipeline_write(fc, folder / "autoets_forecast.parquet")
        base = pd.read_parquet(folder / "local_base.parquet")
        pipeline_write(base[base["unique_id"].isin(ids[:limit])], folder / "local_subset_forecast.parquet")
        fin = {"reconcile_write": 0.0, "coherence": None}
    else:
        fin = _finish(fc, target, folder / "autoets_forecast.parquet")
    return {"engine": "autoets", "stations": n, "fitted": fitted, "startup": 0.0, "read_trim": t_read, "fit": t_fit,
            "total": time.perf_counter() - t0, **fin}


# ------------------------------------------------------------------------------------ report


def accuracy(folder: Path, name: str) -> dict:
    hist = pd.read_parquet(folder / "history.parquet")
    fc = pd.read_parquet(folder / f"{name}_forecast.parquet")
    actual = hist.set_index(["unique_id", "ds"])["y"]
    y = actual.reindex(pd.MultiIndex.from_arrays([fc["unique_id"].astype(str), fc["ds"]])).to_numpy(dtype=float)
    ok = np.isfinite(y) & (y > 0)
    f = fc[ok]
    return {"mape": float(np.mean(np.abs(f["yhat"].to_numpy() - y[ok]) / y[ok]) * 100),
            "coverage_80": float(np.mean((y[ok] >= f["yhat_lower_80"].to_numpy()) & (y[ok] <= f["yhat_upper_80"].to_numpy())))}


def max_rel_diff(folder: Path, a: str, b: str) -> float:
    x = pd.read_parquet(folder / f"{a}_base.parquet")
    y = pd.read_parquet(folder / f"{b}_base.parquet")
    if len(x) != len(y) or not (x["unique_id"].to_numpy() == y["unique_id"].to_numpy()).all():
        return float("inf")
    cols = ["yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95"]
    return max(float((np.abs(x[c] - y[c]) / np.abs(x[c]).clip(lower=1e-12)).max()) for c in cols)


def bench_size(n: int, engines_: list[str], autoets_max: int | None = None) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix=f"chunyun-scale-{n}-"))
    print(f"scale: generating {n} stations into {folder}", file=sys.stderr, flush=True)
    run_child(["--phase", "data", "--stations", str(n), "--dir", str(folder)])
    rows = []
    for engine in engines_:
        print(f"scale: {n} stations, {engine}", file=sys.stderr, flush=True)
        extra = ["--autoets-max", str(autoets_max)] if engine == "autoets" and autoets_max else []
        res, peak, cpu = run_child(["--phase", engine, "--dir", str(folder), *extra])
        res.update(peak_gib=peak, cpu_seconds=cpu, **accuracy(folder, engine))
        if res.get("fitted", n) < n:  # a subsample: the chosen model's MAPE on the same stations, base forecasts
            res["subset_mape_lunar_share"] = accuracy(folder, "local_subset")["mape"]
        rows.append(res)
        print(f"scale: {n} {engine}: {res['total']:.1f} s end to end (start-up {res['startup']:.1f} s), "
              f"peak {peak:.2f} GiB, CPU {cpu:.0f} s, MAPE {res['mape']:.2f}%, {json.dumps(res)}", file=sys.stderr, flush=True)
    if "local" in engines_:
        for r in rows:
            if r["engine"].startswith("spark"):
                r["local_vs_spark_max_rel_diff"] = max_rel_diff(folder, "local", r["engine"])
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| stations | engine | end to end (s) | start-up apart (s) | stations/s | peak memory (GiB) | "
             "CPU, start-up included (s) | station MAPE (%) | 80% coverage | × local time |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    local = {r["stations"]: r["total"] for r in rows if r["engine"] == "local"}
    notes = []
    for r in rows:
        fitted = r.get("fitted", r["stations"])
        total = r["total"] * r["stations"] / fitted  # a subsample's time scaled to every station
        ratio = total / local[r["stations"]] if r["stations"] in local else float("nan")
        name = r["engine"] if fitted == r["stations"] else f"{r['engine']} ({fitted:,} fitted, time ×{r['stations'] / fitted:g})"
        lines.append(f"| {r['stations']:,} | {name} | {total:.1f} | {r['startup']:.1f} | "
                     f"{fitted / r['total']:.1f} | {r['peak_gib']:.2f} | {r['cpu_seconds']:.0f} | {r['mape']:.2f} | {r['coverage_80']:.3f} | {ratio:.2f} |")
        if fitted < r["stations"]:
            notes.append(f"- {r['stations']:,} stations, AutoETS on the first {fitted:,} only: MAPE of its base forecasts "
                         f"{r['mape']:.2f}% against {r['subset_mape_lunar_share']:.2f}% for lunar_share's base forecasts of the "
                         f"same stations; end-to-end time scaled from {r['total']:.0f} s")
    lines.append("")
    lines += [f"- {r['stations']:,} stations: largest relative difference local vs {r['engine']} {r['local_vs_spark_max_rel_diff']:.3g}"
              for r in rows if r.get("local_vs_spark_max_rel_diff") is not None]
    lines += notes
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stations", type=int, action="append", help="sizes (default 1000 and 10000)")
    p.add_argument("--engines", default="local,spark,autoets")
    p.add_argument("--json", action="store_true")
    p.add_argument("--autoets-max", type=int, default=1000,
                   help="AutoETS fits at most this many stations of a size (default 1000; 0: all)")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase:
        folder = Path(args.dir)
        if args.phase == "data":
            make_data(args.stations[0], folder)
            print(json.dumps({"ok": True}))
        elif args.phase == "autoets":
            print(json.dumps(phase_autoets(folder, args.autoets_max or None)))
        else:
            print(json.dumps(phase_engine(args.phase, folder)))
        return 0
    rows = []
    for n in args.stations or [1000, 10000]:
        rows += bench_size(n, args.engines.split(","), args.autoets_max or None)
    print(json.dumps(rows, indent=1) if args.json else markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
