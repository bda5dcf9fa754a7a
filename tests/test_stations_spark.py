"""The Spark engine gives the local engine's station forecasts: on ``local[2]`` and on a standalone
master and worker started from the pyspark distribution on 127.0.0.1.

Under ``.ci/run`` (``CHUNYUN_TEST_REQUIRE_SERVICES=1``) a missing pyspark or Java fails these tests
instead of skipping them. One SparkSession serves the whole test session (the ``spark`` fixture);
the standalone job runs in a child process (one SparkContext per process).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.stations import engines, pipeline
from forecast.stations import sample as ss

ROOT = Path(__file__).resolve().parents[1]
NUMERIC = ["yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95", "sd"]


def _missing(reason: str):
    if os.environ.get("CHUNYUN_TEST_REQUIRE_SERVICES"):  # CI: the Spark tests must run
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _missing("pyspark is not installed (pip install '.[spark]')")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        _missing("no Java on PATH (apt-get install openjdk-17-jre-headless)")
    session = engines.spark_session("local[2]", app_name="chunyun-tests")
    engines.warm_up(session, rows=2000)  # what bench/scale.py counts as start-up runs and leaves nothing behind
    yield session
    session.stop()


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """Six SAMPLE stations, the Parquet input and the context file of a backtest and a forward target."""
    province = ss.province_history()
    _, series, _ = ss.generate(province, 300)
    keep = sorted(series["unique_id"].astype(str).unique())[:6]
    series = series[series["unique_id"].astype(str).isin(keep)]
    fc = []
    for season, cutoff in ((2025, "2025-01-13"), (2026, "2025-06-30")):
        from forecast import calendar

        s = calendar.season(season)
        window = pd.date_range(s.chunyun_start, s.chunyun_end)
        level = province["y"].tail(365).mean() * (1.0 + 0.3 * np.sin(np.arange(len(window)) / 6.0))
        fc.append(pd.DataFrame({"unique_id": "jiangxi/highway_exit_vehicles", "ds": window, "season": season,
                                "cutoff": pd.Timestamp(cutoff), "model": "test", "yhat": level, "yhat_lower_80": level * 0.9,
                                "yhat_upper_80": level * 1.1, "yhat_lower_95": level * 0.85, "yhat_upper_95": level * 1.16}))
    fc = pd.concat(fc, ignore_index=True)
    targets = pipeline.targets_from_run(fc, "jiangxi", [(2025, pd.Timestamp("2025-01-13")), (2026, pd.Timestamp("2025-06-30"))])
    ctx = engines.Context(province["ds"].to_numpy(dtype="datetime64[ns]"), province["y"].to_numpy(dtype=float),
                          tuple(targets), ("lunar_share", "flat_share"))
    folder = tmp_path_factory.mktemp("spark-job")
    pipeline.write_input(series, targets, folder / "input.parquet")
    engines.save_context(ctx, folder / "context.json")
    engines.run_local(folder / "input.parquet", ctx, folder / "local.parquet", workers=2)
    return {"dir": folder, "ctx": ctx, "series": series, "province": province, "forecasts": fc}


def assert_identical(a: pd.DataFrame, b: pd.DataFrame) -> float:
    assert len(a) == len(b) > 0
    for col in ("unique_id", "season", "cutoff", "ds", "model"):
        assert (a[col].to_numpy() == b[col].to_numpy()).all(), col
    worst = max(float((np.abs(a[c] - b[c]) / np.abs(a[c]).clip(lower=1e-12)).max()) for c in NUMERIC if c in a)
    assert worst <= 1e-9, worst
    return worst


@pytest.mark.parametrize("per_group", [engines.SPARK_GROUP_STATIONS, 2, 1])
def test_spark_local2_gives_the_local_engine_forecasts(spark, job, per_group):
    """Grouped by buckets of whole stations (the default; 2 a bucket: some buckets hold several
    stations, some one) and by ``unique_id`` (1): the local engine's forecasts either way."""
    folder = job["dir"]
    out = folder / f"spark-{per_group}.parquet"
    timings = engines.run_spark(folder / "input.parquet", job["ctx"], out, session=spark, stations_per_group=per_group)
    assert timings["total"] > 0
    local, remote = pd.read_parquet(folder / "local.parquet"), pd.read_parquet(out)
    assert local["unique_id"].nunique() == 6 and set(local["model"]) == {"lunar_share", "flat_share"}
    assert_identical(local, remote)


def test_train_engine_spark_equals_engine_local(spark, job, var_dir):
    """`chunyun train --engine spark` and `chunyun train` (local) on the same store: the same
    station forecasts, reconciled, in both runs."""
    from forecast import runs
    from forecast.cli import main
    from forecast.store import Store

    history = pd.concat([job["series"].assign(unique_id=job["series"]["unique_id"].astype(str)),
                         job["province"].assign(unique_id="jiangxi/highway_exit_vehicles")], ignore_index=True)
    Store().write(history.assign(source="sample"))
    out = {}
    for engine in ("local", "spark"):
        assert main(["train", "--engine", engine]) == 0
        run = runs.current_run()
        assert run.manifest["stations"]["jiangxi"]["engine"] == engine
        assert run.manifest["stations"]["jiangxi"]["stations"] == 6
        out[engine] = pd.read_parquet(run.path / "stations" / "forecasts.parquet")
    a, b = out["local"], out["spark"]
    assert_identical(a, b)
    assert (a["p_peak"].to_numpy() == b["p_peak"].to_numpy()).all()
    assert set(a["season"]) >= {2026, 2027}  # the forward seasons, beside the backtest seasons


def test_train_cli_checks_engine_flags():
    from forecast.cli import main

    assert main(["train", "--spark-master", "spark://127.0.0.1:7077"]) == 2  # needs --engine spark


# ----------------------------------------------------------------------------- standalone cluster


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, timeout: float, what: str, procs) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"{what}: a Spark daemon exited with {p.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what}: not ready after {timeout:.0f} s")


def test_standalone_cluster_gives_the_local_engine_forecasts(spark, job, tmp_path):
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
           "SPARK_LOG_DIR": str(tmp_path / "logs"), "SPARK_WORKER_DIR": str(tmp_path / "work"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    port, ui, worker_ui = _free_port(), _free_port(), _free_port()
    spark_class = [shutil.which("bash") or "bash", str(home / "bin" / "spark-class")]
    logs = []
    procs = []
    try:
        for name, args in (("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                                       "--webui-port", str(ui)]),
                           ("worker", ["org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}", "--host",
                                       "127.0.0.1", "--cores", "2", "--memory", "2g", "--webui-port", str(worker_ui),
                                       "--work-dir", str(tmp_path / "work")])):
            log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed in finally
            logs.append(log)
            procs.append(subprocess.Popen([*spark_class, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))
            if name == "master":
                _wait(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() is None, 90,
                      "master", procs)

        def worker_alive() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2) as r:
                return int(json.load(r).get("aliveworkers", 0)) >= 1

        _wait(worker_alive, 90, "worker registration", procs)
        folder = job["dir"]
        out = tmp_path / "cluster.parquet"
        cli = "import sys; from forecast.cli import main; sys.exit(main(sys.argv[1:]))"
        done = subprocess.run([sys.executable, "-c", cli, "stations", "fit", "--engine", "spark",
                               "--spark-master", f"spark://127.0.0.1:{port}", "--input", str(folder / "input.parquet"),
                               "--context", str(folder / "context.json"), "--output", str(out), "--json"],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout)["master"] == f"spark://127.0.0.1:{port}"
        assert_identical(pd.read_parquet(folder / "local.parquet"), pd.read_parquet(out))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for log in logs:
            log.close()
