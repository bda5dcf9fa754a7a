"""Byte-equality of outputs before and after a refactor: the sample, the plots, two trained runs.

    # the sample: regenerated with the code of REV and with the working tree, on the same data
    .venv/bin/python bench/compare_outputs.py sample --rev HEAD~1
    .venv/bin/python bench/compare_outputs.py sample --rev main --seed 7 --keep

    # the tables and figures of forecast.plots, drawn with REV and with the working tree
    .venv/bin/python bench/compare_outputs.py plots --rev HEAD~1

    # two run directories (e.g. `chunyun train` before and after, on the same store)
    .venv/bin/python bench/compare_outputs.py runs var/runs/RUN_A var/runs/RUN_B

``sample``: the code of ``--rev`` (default ``HEAD``) is taken with ``git archive`` into a temporary
folder (nothing is written to the repository or its worktree list); each checkout then writes the
sample with ``forecast.sample.write_sample`` in its own Python process, ``PYTHONPATH`` set to that
checkout (the child reports which ``forecast`` it imported, and the script stops if it is not the
intended one). Both use the same data: this working tree's ``data/`` (``--data-dir`` to choose
another, ``--own-data`` to give each checkout its own ``data/``). Compared byte for byte:
``history.csv.gz`` decompressed (and its compressed bytes, reported), and ``calibration.csv``. The
working tree's output is also checked against the committed ``data/sample/`` files (reported, not
part of the verdict, since the data may have moved on).

``plots``: both checkouts draw a fixed set of tables (CSV/JSON) and figures (PNG without the
version stamp) from the committed sample and the reference: every table and figure function of
``forecast.plots``, fed stand-in forecasts and backtest scores built deterministically from the
sample (nothing is fitted). Every file is compared byte for byte.

``runs``: ``forecasts.parquet``, ``backtest.parquet`` and the stations' two read back and compared with
``DataFrame.equals``; the raw bytes of ``summaries.json``, ``scorecard.json`` (each run's own id,
the directory name, read as one placeholder) and every
``models/*.json`` (the same file names on both sides); ``manifest.json`` as JSON without the keys
that name or time the run (``run_id``, ``created_at``, ``train_seconds``, the stations' ``seconds``). A file absent on both sides is skipped; absent on one
side is a difference.

Prints one line per comparison and a verdict; exit status 0 when everything is identical, 1 on a
difference, 2 when the comparison could not be made.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FILES = ("history.csv.gz", "calibration.csv")
RUN_TABLES = ("forecasts.parquet", "backtest.parquet", "stations/forecasts.parquet", "stations/backtest.parquet")
RUN_JSON = ("summaries.json", "scorecard.json")
MANIFEST_VOLATILE = ("run_id", "created_at", "train_seconds")  # and stations.<region>.seconds

WRITE_SAMPLE = """
import sys
from pathlib import Path
import forecast
from forecast import sample
sample.write_sample(Path(sys.argv[1]), seed=int(sys.argv[2]))
print(Path(forecast.__file__).resolve().parent)
"""


DRAW_PLOTS = r"""
import json, sys, types
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import forecast
from forecast import alerts, calendar, plots, sample
from forecast.reference import load_reference

out, region, season = Path(sys.argv[1]), "jiangxi", 2025
png = {"metadata": {"Software": None}}

def table(name, df):
    (out / f"{name}.csv").write_text(df.to_csv(), encoding="utf-8")

def data(name, value):
    (out / f"{name}.json").write_text(json.dumps(value, ensure_ascii=False, indent=1, default=str), encoding="utf-8")

def figure(name, fig):
    fig.savefig(out / f"{name}.png", **png)
    plt.close(fig)

def forecasts_of(history, scale=1.0):
    s = calendar.season(season)
    out = {}
    for uid, g in history[history["unique_id"].str.startswith(f"{region}/")].groupby("unique_id"):
        g = g[g["ds"].between(pd.Timestamp(s.chunyun_start), pd.Timestamp(s.chunyun_end))]
        y = g["y"].to_numpy() * scale
        frame = pd.DataFrame({"ds": g["ds"].to_numpy(), "yhat": y, "yhat_lower_80": 0.95 * y, "yhat_upper_80": 1.05 * y,
                              "yhat_lower_95": 0.9 * y, "yhat_upper_95": 1.1 * y,
                              "observed": g["ds"].to_numpy() <= np.datetime64("2025-01-20")})
        out[uid.split("/")[1]] = types.SimpleNamespace(unique_id=uid, season=season, frame=frame)
    return out

plots.setup()
data("cjk_font", [plots.cjk_font(), plots.text("zh", "en"), plots.unit_label("rail_passengers"),
                  plots.metric_label("selfdrive_trips", short=True), plots.region_label(region), plots.wan(12345.0)])
history, reference = sample.load_sample(), load_reference()
data("data_tag", [plots.data_tag(history), plots.data_tag("store")])
actual = plots.season_actuals(history, region, season)
partial = plots.season_actuals(history, region, season, cutoff="2025-02-01")
published = plots.published_figures(region, season)
data("season_actuals", [actual, partial])
data("published_figures", published)
table("mode_table", plots.mode_table(actual, published, actual=partial))
odds = {m: {**v, "peak_probabilities": [{"date": v["peak_date"], "p": 0.5}], "p_record": 0.25}
        for m, v in actual["metrics"].items()}
table("mode_table_odds", plots.mode_table({"metrics": odds}))
table("peak_table", plots.peak_table({"metrics": odds}))
table("reference_table", plots.reference_table(region, season))
table("reference_table_seasons", plots.reference_table(region, seasons=range(2020, 2026)))
table("season_totals_table", plots.season_totals_table(history, region, range(2016, 2026)))
table("inventory", plots.inventory(history))
table("lunar_offset_frame", plots.lunar_offset_frame(history, f"{region}/highway_exit_vehicles", range(2016, 2026)))
base = forecasts_of(history)
frame = plots.forecast_frame(base)
table("forecast_frame", frame)
s = calendar.season(season)
found = alerts.compute_alerts(frame, s.chunyun_start, (s.chunyun_end - s.chunyun_start).days + 1, region=region)
table("alert_days", plots.alert_days(found))
figure("lunar_offset_grid", plots.lunar_offset_grid(history, region, range(2016, 2026), reference=reference,
                                                    highlight=season))
figure("lunar_offset_overlay", plots.lunar_offset_overlay(history, "national/rail_passengers", range(2018, 2026),
                                                          reference=reference).figure)
figure("forecast_figure", plots.forecast_figure(base, "SAMPLE", history=history, published=published, alerts=found,
                                                cutoff="2025-01-13"))
figure("forecast_figure_one", plots.forecast_figure(base, "SAMPLE", metrics=["highway_exit_vehicles"]))
figure("scenario_figure", plots.scenario_figure(base, {"+2%": forecasts_of(history, 1.02),
                                                       "-2%": forecasts_of(history, 0.98)}, "SAMPLE"))
rows = []
for s_ in (2024, 2025):
    w = calendar.season(s_)
    g = history[history["unique_id"].str.startswith(f"{region}/")
                & history["ds"].between(pd.Timestamp(w.chunyun_start), pd.Timestamp(w.chunyun_end))]
    rows.append(g.assign(season=s_))
bt = pd.concat(rows, ignore_index=True)
bt = bt.assign(chosen=bt["y"] * 1.03, lunar_profile=bt["y"] * 0.96, nowcast_10=bt["y"] * 1.01)
bt = bt.assign(**{"chosen-lo-80": bt["chosen"] * 0.95, "chosen-hi-80": bt["chosen"] * 1.05})
rng = np.random.default_rng(12)
scored = pd.DataFrame([{"unique_id": u, "season": s_, "model": m, "metric": k, "value": float(rng.normal(3, 2))}
                       for u in sorted(bt["unique_id"].unique()) for s_ in (2024, 2025)
                       for m in ("chosen", "lunar_profile", "nowcast_10", "nowcast_20")
                       for k in ("mape", "total_error_pct", "peak_date_error_days", "coverage_80", "coverage_95")])
data("nowcast_days", [plots.nowcast_days(m) for m in ("chosen", "nowcast_10", "nowcast_x", "lunar_profile")])
table("error_table", plots.error_table(scored))
table("error_table_models", plots.error_table(scored, "total_error_pct", models=["chosen"]))
table("error_summary", plots.error_summary(scored))
table("nowcast_table", plots.nowcast_table(scored))
table("backtest_mode_table", plots.backtest_mode_table(bt, region, season, published=published))
figure("backtest_figure", plots.backtest_figure(bt, f"{region}/highway_exit_vehicles", season, "SAMPLE"))
figure("nowcast_figure", plots.nowcast_figure(scored, "SAMPLE"))
figure("error_figure", plots.error_figure(scored, "SAMPLE"))
fig, ax = plt.subplots()
plots.bar_table(ax, scored, "value", "season", "model", "bars", "%")
figure("bar_table", fig)
print(Path(forecast.__file__).resolve().parent)
"""


class Failure(Exception):
    """The comparison could not be made (exit status 2)."""


def _report(results: list[tuple[str, bool, str]]) -> int:
    for name, same, detail in results:
        print(f"{'same     ' if same else 'DIFFERENT'}  {name}{f'  ({detail})' if detail else ''}")
    differ = [name for name, same, _ in results if not same]
    if differ:
        print(f"VERDICT: DIFFERENT ({len(differ)} of {len(results)}: {', '.join(differ)})")
        return 1
    print(f"VERDICT: IDENTICAL ({len(results)} comparisons)")
    return 0


def _first_difference(a: bytes, b: bytes) -> str:
    if a == b:
        return f"{len(a):,} bytes"
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    line = a[:n].count(b"\n") + 1
    return f"{len(a):,} vs {len(b):,} bytes, first difference at byte {n:,} (line {line})"


# ---------------------------------------------------------------------------------------------
# the sample


def _export(rev: str, dest: Path, paths: tuple[str, ...]) -> str:
    """The files of ``paths`` at ``rev`` into ``dest`` (git archive: read-only on the repository)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                         capture_output=True, text=True)
    if sha.returncode != 0:
        raise Failure(f"no such revision: {rev} ({sha.stderr.strip()})")
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", sha.stdout.strip(), *paths],
                         capture_output=True)
    if tar.returncode != 0:
        raise Failure(f"git archive {rev} failed: {tar.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        archive.extractall(dest, filter="data")
    return sha.stdout.strip()


def _run_child(code: str, checkout: Path, data_dir: Path, out: Path, var_dir: Path, *args: str) -> None:
    """Run ``code`` in a fresh interpreter on ``checkout``'s code; it prints the forecast package it used."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "CHUNYUN_DATA_DIR": str(data_dir),
           "CHUNYUN_VAR_DIR": str(var_dir), "MPLCONFIGDIR": str(var_dir / "matplotlib")}
    env.pop("CHUNYUN_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", code, str(out), *args], env=env, cwd=str(out.parent),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise Failure(f"running on {checkout} failed:\n{done.stderr.strip()}")
    used = Path(done.stdout.strip().splitlines()[-1])
    if used != (checkout / "forecast").resolve():
        raise Failure(f"the child imported forecast from {used}, not from {checkout}")


def _sample_results(a: Path, b: Path, label: str) -> list[tuple[str, bool, str]]:
    results = []
    for name in SAMPLE_FILES:
        if not (a / name).is_file() or not (b / name).is_file():
            raise Failure(f"{name} missing in {a if not (a / name).is_file() else b}")
        raw_a, raw_b = (a / name).read_bytes(), (b / name).read_bytes()
        if name.endswith(".gz"):
            plain_a, plain_b = gzip.decompress(raw_a), gzip.decompress(raw_b)
            results.append((f"{label}: {name} (decompressed)", plain_a == plain_b, _first_difference(plain_a, plain_b)))
            results.append((f"{label}: {name} (compressed)", raw_a == raw_b, _first_difference(raw_a, raw_b)))
        else:
            results.append((f"{label}: {name}", raw_a == raw_b, _first_difference(raw_a, raw_b)))
    return results


def compare_sample(rev: str, seed: int, data_dir: Path | None, own_data: bool, keep: bool) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="chunyun-compare-"))
    try:
        old = tmp / "rev"
        sha = _export(rev, old, ("forecast", "data") if own_data else ("forecast",))
        new_data = data_dir or ROOT / "data"
        old_data = old / "data" if own_data else new_data
        outs = {}
        for label, checkout, data in (("rev", old, old_data), ("worktree", ROOT, new_data)):
            out = tmp / f"out-{label}"
            out.mkdir()
            print(f"writing the sample with {label} ({checkout}), data {data}, seed {seed} ...", file=sys.stderr)
            _run_child(WRITE_SAMPLE, checkout, data, out, tmp / f"var-{label}", str(seed))
            outs[label] = out
        print(f"revision {rev} = {sha[:12]}; working tree {ROOT}; seed {seed}")
        status = _report(_sample_results(outs["rev"], outs["worktree"], f"{sha[:8]} vs worktree"))
        committed = ROOT / "data" / "sample"
        if committed.is_dir() and seed == 2025:
            info = _sample_results(committed, outs["worktree"], "committed data/sample vs worktree")
            for name, same, detail in info:
                print(f"(info) {'same     ' if same else 'different'}  {name}  ({detail})")
        if keep:
            print(f"kept {tmp}")
        return status
    finally:
        if not keep:
            _rmtree(tmp)


def compare_plots(rev: str, keep: bool) -> int:
    return compare_child_files(rev, keep, DRAW_PLOTS, "drawing the tables and figures")


def compare_child_files(rev: str, keep: bool, code: str, doing: str, *args: str) -> int:
    """Run ``code`` (with ``args``) on the code of ``rev`` and on the working tree, each writing files
    into its own folder; compare every file byte for byte."""
    tmp = Path(tempfile.mkdtemp(prefix="chunyun-compare-"))
    try:
        old = tmp / "rev"
        sha = _export(rev, old, ("forecast",))
        outs = {}
        for label, checkout in (("rev", old), ("worktree", ROOT)):
            out = tmp / f"out-{label}"
            out.mkdir()
            print(f"{doing} with {label} ({checkout}) ...", file=sys.stderr)
            _run_child(code, checkout, ROOT / "data", out, tmp / f"var-{label}", *args)
            outs[label] = out
        print(f"revision {rev} = {sha[:12]}; working tree {ROOT}")
        names = sorted({p.name for p in outs["rev"].iterdir()} | {p.name for p in outs["worktree"].iterdir()})
        results = []
        for name in names:
            a, b = outs["rev"] / name, outs["worktree"] / name
            if not (a.exists() and b.exists()):
                results.append((name, False, f"only from {'rev' if a.exists() else 'worktree'}"))
                continue
            raw_a, raw_b = a.read_bytes(), b.read_bytes()
            results.append((name, raw_a == raw_b, _first_difference(raw_a, raw_b)))
        if keep:
            print(f"kept {tmp}")
        return _report(results)
    finally:
        if not keep:
            _rmtree(tmp)


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# two runs


def _table_result(a: Path, b: Path, name: str) -> tuple[str, bool, str] | None:
    import pandas as pd

    fa, fb = a / name, b / name
    if not fa.exists() and not fb.exists():
        return None
    if not (fa.exists() and fb.exists()):
        return name, False, f"only in {a if fa.exists() else b}"
    da, db = pd.read_parquet(fa), pd.read_parquet(fb)
    same = da.equals(db)
    detail = f"{da.shape[0]:,} rows x {da.shape[1]} columns"
    if not same:
        columns = "same columns" if list(da.columns) == list(db.columns) else "columns differ"
        detail = f"{da.shape} vs {db.shape}, {columns}"
    return f"{name} (DataFrame.equals)", same, detail


def _bytes_result(a: Path, b: Path, name: str) -> tuple[str, bool, str] | None:
    fa, fb = a / name, b / name
    if not fa.exists() and not fb.exists():
        return None
    if not (fa.exists() and fb.exists()):
        return name, False, f"only in {a if fa.exists() else b}"
    # a run names itself (``run_id``) inside its files: each side's own id stands as one placeholder
    raw_a, raw_b = (f.read_bytes().replace(d.name.encode(), b"<run_id>") for f, d in ((fa, a), (fb, b)))
    return name, raw_a == raw_b, _first_difference(raw_a, raw_b)


def _manifest_result(a: Path, b: Path) -> tuple[str, bool, str] | None:
    fa, fb = a / "manifest.json", b / "manifest.json"
    if not fa.exists() or not fb.exists():
        return None if not fa.exists() and not fb.exists() else ("manifest.json", False, "only on one side")
    ma, mb = (json.loads(f.read_text(encoding="utf-8")) for f in (fa, fb))
    for m in (ma, mb):
        for key in MANIFEST_VOLATILE:
            m.pop(key, None)
        for region in (m.get("stations") or {}).values():  # timings, not outputs
            if isinstance(region, dict):
                region.pop("seconds", None)
    keys = sorted(k for k in set(ma) | set(mb) if ma.get(k) != mb.get(k))
    return (f"manifest.json (without {', '.join(MANIFEST_VOLATILE)})", not keys,
            f"differs in {', '.join(keys)}" if keys else "")


def compare_runs(a: Path, b: Path) -> int:
    for d in (a, b):
        if not d.is_dir():
            raise Failure(f"no run directory at {d}")
    a, b = a.resolve(), b.resolve()
    print(f"run A {a}\nrun B {b}")
    results = [r for r in (*(_table_result(a, b, n) for n in RUN_TABLES), *(_bytes_result(a, b, n) for n in RUN_JSON),
                           _manifest_result(a, b)) if r is not None]
    models_a = {p.name for p in (a / "models").glob("*.json")}
    models_b = {p.name for p in (b / "models").glob("*.json")}
    if models_a != models_b:
        results.append(("models/*.json (file names)", False,
                        f"only in A: {sorted(models_a - models_b)}; only in B: {sorted(models_b - models_a)}"))
    differ = [n for n in sorted(models_a & models_b) if (a / "models" / n).read_bytes() != (b / "models" / n).read_bytes()]
    if models_a & models_b:
        results.append((f"models/*.json ({len(models_a & models_b)} files, bytes)", not differ,
                        f"differ: {', '.join(differ)}" if differ else ""))
    if not results:
        raise Failure("nothing to compare: neither directory holds a run's files")
    return _report(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("sample", help="regenerate the sample with REV and with the working tree, compare bytes")
    s.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with (default HEAD)")
    s.add_argument("--seed", type=int, default=2025, help="sample seed (default 2025)")
    s.add_argument("--data-dir", type=Path, help="data directory both use (default: this working tree's data/)")
    s.add_argument("--own-data", action="store_true", help="each checkout uses its own data/ instead")
    s.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    p = sub.add_parser("plots", help="draw forecast.plots' tables and figures with REV and the working tree, compare")
    p.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with (default HEAD)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    r = sub.add_parser("runs", help="compare two run directories")
    r.add_argument("run_a", type=Path)
    r.add_argument("run_b", type=Path)
    args = parser.parse_args(argv)
    if args.what == "sample":
        return guarded("compare_outputs", compare_sample, args.rev, args.seed, args.data_dir, args.own_data, args.keep)
    if args.what == "plots":
        return guarded("compare_outputs", compare_plots, args.rev, args.keep)
    return guarded("compare_outputs", compare_runs, args.run_a, args.run_b)


def guarded(tool: str, compare, *args) -> int:
    """``compare(*args)``'s exit status; a :class:`Failure` is reported as not compared (status 2)."""
    try:
        return compare(*args)
    except Failure as exc:
        print(f"{tool}: error: {exc}", file=sys.stderr)
        print("VERDICT: NOT COMPARED", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
