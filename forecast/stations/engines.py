"""Two engines, one function: :func:`forecast_station` (one station's frame in, its forecast frame
out) run by a local process pool (``local``, the default) or by Spark (``spark``:
``groupBy(...).applyInPandas``), both reading the same Parquet input and writing Parquet.

The function is pure: its output depends only on the station's rows and the :class:`Context` (the
province's actuals and forecasts for each target season, and the station models to fit), whatever
the order the rows arrive in. That is why the two engines give identical results
(``tests/test_stations_spark.py`` checks it, on ``local[2]`` and on a standalone cluster).

Both engines work on slices of whole stations (:func:`forecast_stations`: one call of
:func:`forecast_station` per station): the local engine on slices of the input sorted by
station, Spark ``groupBy(bucket).applyInPandas`` with ``bucket = pmod(xxhash64(unique_id), B)``,
about :data:`SPARK_GROUP_STATIONS` stations a bucket. Why not one group per station
(``groupBy("unique_id")``, still there as ``stations_per_group=1``): Spark sends each group to
Python as its own Arrow stream, converts it to pandas and the result back, about 2 ms a group
on this 2-core machine whatever its size; at 10,000 stations that alone was about 18 s (a no-op
``applyInPandas`` over the input took 29 s against 10.5 s for the same shuffle without Python),
and the engine took 2.5 times the local engine's time against 1.2 times with buckets of 50 (end
to end in ``bench/scale.py``: 1.82 against 1.29 times; BENCHMARKS.md, "Scale"). A station's rows never span two buckets, so each station still gets
exactly its own rows.

Spark settings: ``--spark-master`` (default ``local[2]``); the executors run the driver's Python
(``PYSPARK_PYTHON`` = ``sys.executable``) with this checkout on ``PYTHONPATH``, so a standalone
worker on the same machine needs nothing else; a remote cluster needs this package and pandas,
pyarrow on its workers and the Parquet paths on storage it can read (the driver reads them too: the
input's ``unique_id`` column to size the buckets, and the output).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import InvalidInput
from forecast.models.base import LEVEL_Z
from forecast.stations.model import MODELS

log = logging.getLogger(__name__)

ENGINES = ("local", "spark")
DEFAULT_MASTER = "local[2]"
OUT_COLUMNS = ["unique_id", "season", "cutoff", "ds", "model", "yhat", "yhat_lower_80", "yhat_upper_80",
               "yhat_lower_95", "yhat_upper_95", "sd"]
SPARK_SCHEMA = ("unique_id string, season long, cutoff timestamp_ntz, ds timestamp_ntz, model string, "
                "yhat double, yhat_lower_80 double, yhat_upper_80 double, yhat_lower_95 double, "
                "yhat_upper_95 double, sd double")
SPARK_MEMORY = "1g"  # driver and executor JVM heaps: the rows go through Arrow to Python, not the heap
SPARK_GROUP_STATIONS = 50  # stations per Spark group on average (the local engine's chunk); 1: groupBy("unique_id")
MIN_DAYS = 14  # a station needs this many observed days before a cutoff to be forecast


@dataclass(frozen=True)
class Target:
    """One season to forecast from one cutoff, with the province forecast on its days."""

    season: int
    cutoff: pd.Timestamp
    ds: np.ndarray  # datetime64[ns], the days forecast
    province_yhat: np.ndarray
    province_sd: np.ndarray  # log sd of the province forecast: log(upper_80 / yhat) / z_80


@dataclass(frozen=True)
class Context:
    province_ds: np.ndarray  # datetime64[ns]
    province_y: np.ndarray
    targets: tuple[Target, ...]
    models: tuple[str, ...] = ("lunar_share",)
    extra: dict = field(default_factory=dict)


def make_target(season: int, cutoff, province_fc: pd.DataFrame) -> Target:
    """A :class:`Target` from the province forecast rows ``ds, yhat, yhat_upper_80`` of the season."""
    f = province_fc.sort_values("ds")
    yhat = f["yhat"].to_numpy(dtype=float)
    upper = f["yhat_upper_80"].to_numpy(dtype=float)
    sd = np.where((yhat > 0) & (upper > yhat), np.log(np.where(yhat > 0, upper / np.where(yhat > 0, yhat, 1), 1)), 0.0)
    return Target(int(season), pd.Timestamp(cutoff), f["ds"].to_numpy(dtype="datetime64[ns]"), yhat,
                  sd / LEVEL_Z[80])


def forecast_station(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """One station's rows ``unique_id, ds, y`` in; its forecast rows (:data:`OUT_COLUMNS`) out."""
    if frame.empty:
        return pd.DataFrame({c: [] for c in OUT_COLUMNS})
    frame = frame.sort_values("ds", kind="stable")
    uid = str(frame["unique_id"].iloc[0])
    ds = frame["ds"].to_numpy(dtype="datetime64[ns]")
    total = pd.Series(ctx.province_y, index=pd.DatetimeIndex(ctx.province_ds))
    hist = pd.DataFrame({"ds": ds, "y": frame["y"].to_numpy(dtype=float),
                         "y_total": total.reindex(pd.DatetimeIndex(ds)).to_numpy(dtype=float)})
    parts = []
    for target in ctx.targets:
        seen = hist[hist["ds"] <= target.cutoff]
        if seen["y"].notna().sum() < MIN_DAYS:
            continue
        for name in ctx.models:
            model = MODELS[name]().fit(seen, cutoff=target.cutoff, target_start=target.ds.min())
            yhat = model.share(_days(target.ds)) * target.province_yhat
            sd = model.log_sd(target.province_sd)
            z80, z95 = LEVEL_Z[80], LEVEL_Z[95]
            parts.append(pd.DataFrame({
                "unique_id": uid, "season": np.int64(target.season), "cutoff": target.cutoff, "ds": target.ds,
                "model": model.label, "yhat": yhat,
                "yhat_lower_80": yhat * np.exp(-z80 * sd), "yhat_upper_80": yhat * np.exp(z80 * sd),
                "yhat_lower_95": yhat * np.exp(-z95 * sd), "yhat_upper_95": yhat * np.exp(z95 * sd), "sd": sd}))
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out["cutoff"] = out["cutoff"].astype("datetime64[ns]")
    return out[OUT_COLUMNS]


_OUT_DTYPES = {"unique_id": object, "season": "int64", "cutoff": "datetime64[ns]", "ds": "datetime64[ns]",
               "model": object, **{c: "float64" for c in OUT_COLUMNS[5:]}}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _OUT_DTYPES.items()})


def _days(ds: np.ndarray) -> np.ndarray:
    return (ds.astype("datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64)


def forecast_stations(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Several whole stations' rows in (any order): :func:`forecast_station` called once per
    station, their forecast rows out. What a local worker runs on its slice and a Spark group on
    its bucket of stations."""
    parts = [forecast_station(g, ctx) for _, g in frame.groupby("unique_id", sort=True, observed=True)]
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def normalise(out: pd.DataFrame) -> pd.DataFrame:
    """The engines' output in one order and one set of dtypes (what "identical" is checked on)."""
    out = out.copy()
    out["unique_id"] = out["unique_id"].astype(str)
    out["model"] = out["model"].astype(str)
    out["season"] = out["season"].astype("int64")
    for c in ("cutoff", "ds"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    return out.sort_values(["model", "unique_id", "season", "cutoff", "ds"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------- local engine

_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _CTX
    _CTX = ctx


def _chunk_task(chunk: pd.DataFrame) -> pd.DataFrame:
    return forecast_stations(chunk, _CTX)


def _chunks(data: pd.DataFrame, stations_per_chunk: int):
    """Slices of ``data`` (sorted by station) holding ``stations_per_chunk`` whole stations each."""
    codes = pd.factorize(data["unique_id"], sort=True)[0]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    bounds = np.r_[starts[::stations_per_chunk], len(data)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        yield data.iloc[int(a):int(b)]


def run_local(input_path: str | Path, ctx: Context, output_path: str | Path, workers: int = 2,
              chunk: int = 50) -> dict:
    """Read the Parquet input, call :func:`forecast_station` per station on ``workers`` processes,
    write the Parquet output. Returns timings (seconds). Each worker gets the context once, then
    slices of whole stations."""
    t0 = time.perf_counter()
    data = pd.read_parquet(input_path)
    data = data.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)
    n = int(data["unique_id"].nunique())
    t_read = time.perf_counter() - t0
    if workers > 1 and n > chunk:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(ctx,)) as pool:
            results = list(pool.map(_chunk_task, _chunks(data, chunk)))
    else:
        _init_worker(ctx)
        results = [_chunk_task(c) for c in _chunks(data, chunk)]
    del data
    t_fit = time.perf_counter()
    out = normalise(pd.concat(results, ignore_index=True)) if results else pd.DataFrame(columns=OUT_COLUMNS)
    out.to_parquet(output_path, index=False)
    return {"read": t_read, "fit": t_fit - t0 - t_read, "write": time.perf_counter() - t_fit,
            "total": time.perf_counter() - t0, "stations": n}


# ------------------------------------------------------------------------------------- Spark engine


def spark_session(master: str = DEFAULT_MASTER, app_name: str = "chunyun-stations"):
    """A SparkSession for the station engine (or the active one). Java 17 must be on PATH or JAVA_HOME."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidInput("--engine spark needs pyspark", hint="pip install 'chunyun[spark]'") from None
    import forecast

    root = str(Path(forecast.__file__).resolve().parents[1])
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    pythonpath = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
               .config("spark.driver.memory", SPARK_MEMORY)
               .config("spark.executor.memory", SPARK_MEMORY)
               .config("spark.executorEnv.PYTHONPATH", pythonpath)
               .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
               .config("spark.pyspark.python", sys.executable))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def run_spark(input_path: str | Path, ctx: Context, output_path: str | Path, master: str = DEFAULT_MASTER,
              session=None, stations_per_group: int = SPARK_GROUP_STATIONS) -> dict:
    """The same job on Spark: read Parquet, ``groupBy(...).applyInPandas``, write Parquet.

    ``stations_per_group`` 1 groups by ``unique_id`` (one group per station); above 1 (the
    default), by a bucket of whole stations, ``pmod(xxhash64(unique_id), buckets)`` with ``buckets``
    = stations / ``stations_per_group``, and each group calls :func:`forecast_station` once per
    station (:func:`forecast_stations`), as a local worker does on its slice. Same function, same
    rows per station, so the same results; see :data:`SPARK_GROUP_STATIONS` for why.

    The output is written by Spark (a folder of part files) next to ``output_path`` and then
    normalised into the single file ``output_path``, like the local engine's.
    """
    t0 = time.perf_counter()
    spark = session or spark_session(master)
    t_start = time.perf_counter()
    path = str(Path(input_path).resolve())
    df = spark.read.parquet(path)
    if stations_per_group > 1:
        from pyspark.sql import functions as F

        buckets = max(1, -(-_count_stations(path) // stations_per_group))
        grouped = df.groupBy(F.pmod(F.xxhash64("unique_id"), F.lit(buckets)).alias("bucket"))

        def fn(pdf: pd.DataFrame) -> pd.DataFrame:
            return forecast_stations(pdf, ctx)
    else:
        grouped = df.groupBy("unique_id")

        def fn(pdf: pd.DataFrame) -> pd.DataFrame:
            return forecast_station(pdf, ctx)

    parts = Path(str(output_path) + ".parts")
    result = grouped.applyInPandas(fn, schema=SPARK_SCHEMA)
    result.write.mode("overwrite").parquet(str(parts.resolve()))
    t_fit = time.perf_counter()
    out = pd.read_parquet(parts)
    out = normalise(out) if len(out) else pd.DataFrame(columns=OUT_COLUMNS)
    out.to_parquet(output_path, index=False)
    import shutil

    shutil.rmtree(parts, ignore_errors=True)
    return {"startup": t_start - t0, "fit": t_fit - t_start, "write": time.perf_counter() - t_fit,
            "total": time.perf_counter() - t0}


def warm_up(spark, rows: int = 200_000) -> None:
    """Start Spark's Python workers and let the JVM compile its shuffle and Arrow exchange code on
    synthetic rows (no station data, nothing kept), so that the first real job does not pay for
    them: start-up, like the JVM's own. ``bench/scale.py`` counts it in Spark's start-up."""
    from pyspark.sql import functions as F

    df = spark.range(rows).select(F.concat(F.lit("warm-up/"), (F.col("id") % 1000).cast("string")).alias("unique_id"),
                                  F.timestamp_seconds((F.col("id") % 4000) * 86400).cast("timestamp_ntz").alias("ds"),
                                  F.col("id").cast("double").alias("y"))
    grouped = df.groupBy(F.pmod(F.xxhash64("unique_id"), F.lit(20)).alias("bucket"))
    grouped.applyInPandas(lambda pdf: _empty(), schema=SPARK_SCHEMA).write.format("noop").mode("overwrite").save()


def _count_stations(path: str) -> int:
    """Distinct ``unique_id`` in the Parquet input, read by the driver (it reads the output too)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds_

    return int(pc.count_distinct(ds_.dataset(path, format="parquet").to_table(columns=["unique_id"])
                                 .column("unique_id")).as_py())


def run(engine: str, input_path, ctx: Context, output_path, workers: int = 2, spark_master: str | None = None,
        session=None) -> dict:
    if engine == "local":
        return run_local(input_path, ctx, output_path, workers=workers)
    if engine == "spark":
        return run_spark(input_path, ctx, output_path, master=spark_master or DEFAULT_MASTER, session=session)
    raise InvalidInput(f"unknown engine {engine!r}", hint=f"engines: {', '.join(ENGINES)}")


# ------------------------------------------------------------------------- the context as a file


def save_context(ctx: Context, path: str | Path) -> Path:
    """The context as JSON beside the Parquet input, so that another process or a cluster job runs
    the same function on the same data (floats round-trip exactly through JSON)."""
    import json

    def days(a):
        return [str(d)[:10] for d in np.asarray(a).astype("datetime64[D]")]

    doc = {"version": 1, "models": list(ctx.models), "province": {"ds": days(ctx.province_ds), "y": ctx.province_y.tolist()},
           "targets": [{"season": t.season, "cutoff": t.cutoff.date().isoformat(), "ds": days(t.ds),
                        "province_yhat": t.province_yhat.tolist(), "province_sd": t.province_sd.tolist()} for t in ctx.targets]}
    Path(path).write_text(json.dumps(doc), encoding="utf-8")
    return Path(path)


def load_context(path: str | Path) -> Context:
    import json

    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    if doc.get("version") != 1:
        raise InvalidInput(f"{path}: context version {doc.get('version')}, expected 1")

    def ts(a):
        return np.array(a, dtype="datetime64[D]").astype("datetime64[ns]")

    targets = tuple(Target(int(t["season"]), pd.Timestamp(t["cutoff"]), ts(t["ds"]), np.array(t["province_yhat"], dtype=float),
                           np.array(t["province_sd"], dtype=float)) for t in doc["targets"])
    return Context(ts(doc["province"]["ds"]), np.array(doc["province"]["y"], dtype=float), targets, tuple(doc["models"]))
