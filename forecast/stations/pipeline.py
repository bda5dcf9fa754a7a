"""What ``chunyun train`` runs for the stations, and the station backtest.

For each region with station series: write the Parquet input (the station rows the models need),
run :func:`forecast.stations.engines.forecast_station` on the chosen engine for the forward
seasons and the last :data:`BACKTEST_SEASONS` past seasons (each from the day before its window),
reconcile every (model, method, season) with the province forecast of the run, measure the
backtest seasons (station MAPE, 80% and 95% coverage, for stations and for the province), choose
the model and the method (:func:`choose`), add peak-day odds, and return the frames the run keeps
under ``stations/``.
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import calendar, provenance
from forecast.models.base import LEVEL_Z
from forecast.stations import engines, reconcile
from forecast.stations import registry as st_registry
from forecast.stations.model import CHOSEN as CHOSEN_MODEL
from forecast.stations.model import MODELS, PROFILE_OFFSETS

log = logging.getLogger(__name__)

BACKTEST_SEASONS = 3
PEAK_PATHS = 400
BASE_DAYS = 56
MAX_SEASONS = 6  # LunarShare's max_seasons
FORECAST_COLUMNS = ["unique_id", "station", "season", "cutoff", "ds", "model", "method", "yhat", "yhat_lower_80",
                    "yhat_upper_80", "yhat_lower_95", "yhat_upper_95", "base_yhat", "p_peak"]


def is_station(uids: pd.Series) -> np.ndarray:
    """Which rows are toll-station series (``region/metric/station``); decided once per distinct id."""
    codes, uniques = pd.factorize(pd.Series(uids), use_na_sentinel=False)
    return np.asarray(pd.Index(uniques).astype(str).str.count("/") == 2)[codes]


def province_uid(region: str) -> str:
    return f"{region}/highway_exit_vehicles"


# ----------------------------------------------------------------------------------------- inputs


def trim(stations: pd.DataFrame, targets: list[engines.Target], base_days: int = BASE_DAYS) -> pd.DataFrame:
    """The rows the station models read: around each Spring Festival, the base windows and, for a
    forward target, the lagged windows of the past seasons. The result of
    :func:`~forecast.stations.engines.forecast_station` is the same on the trimmed rows."""
    days = stations["ds"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    if len(days) == 0:
        return stations
    first, keep = _days_kept(int(days.min()), int(days.max()), targets, base_days)
    return stations[keep[days - first]].reset_index(drop=True)


def read_trimmed(path: str | Path, targets: list[engines.Target], base_days: int = BASE_DAYS) -> pd.DataFrame:
    """:func:`trim` of a Parquet file of station rows, filtered while it is read (the whole
    history of 10,000 stations is never in memory at once)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds_

    dataset = ds_.dataset(str(path), format="parquet")
    mm = pc.min_max(dataset.to_table(columns=["ds"]).column("ds")).as_py()
    epoch = pd.Timestamp("1970-01-01")
    first, keep = _days_kept((pd.Timestamp(mm["min"]) - epoch).days, (pd.Timestamp(mm["max"]) - epoch).days, targets,
                             base_days)
    edges = np.flatnonzero(np.diff(np.r_[0, keep.astype(np.int8), 0]))
    expr = None
    for a, b in zip(edges[::2], edges[1::2], strict=True):  # runs of kept days [a, b)
        lo, hi = epoch + pd.Timedelta(days=first + int(a)), epoch + pd.Timedelta(days=first + int(b) - 1)
        part = (ds_.field("ds") >= lo) & (ds_.field("ds") <= hi)
        expr = part if expr is None else expr | part
    table = dataset.to_table(filter=expr) if expr is not None else dataset.to_table()
    return table.to_pandas().reset_index(drop=True)


def _days_kept(first: int, last: int, targets: list[engines.Target], base_days: int) -> tuple[int, np.ndarray]:
    """``(first, keep)``: which day numbers ``first .. last`` the station models read."""
    keep = np.zeros(last - first + 1, dtype=bool)

    def mark(a: int, b: int) -> None:
        a, b = max(a, first), min(b, last)
        if b >= a:
            keep[a - first:b - first + 1] = True

    epoch = np.datetime64("1970-01-01", "D")
    seasons = range(max(calendar.FIRST_SEASON, 1970 + first // 365 - 1), min(calendar.LAST_SEASON, 1970 + last // 365 + 2) + 1)
    if targets:  # the seasons a model reads: up to max_seasons before the oldest target (one spare)
        oldest = min(t.season for t in targets)
        seasons = [y for y in seasons if y >= oldest - MAX_SEASONS - 1]
    starts = {}
    for y in seasons:
        s = calendar.season(y)
        sf = int((np.datetime64(s.spring_festival, "D") - epoch).astype(np.int64))
        starts[y] = int((np.datetime64(s.chunyun_start, "D") - epoch).astype(np.int64))
        mark(sf + PROFILE_OFFSETS[0], sf + PROFILE_OFFSETS[1])
        mark(starts[y] - base_days - 1, starts[y])
    for t in targets:
        cut = int((np.datetime64(t.cutoff, "D") - epoch).astype(np.int64))
        mark(cut - base_days, cut)
        target_start = int(t.ds.astype("datetime64[D]").astype(np.int64).min())
        season = calendar.season_of(pd.Timestamp(target_start * 86400, unit="s"))
        lag = max(0, starts.get(season, target_start) - cut - 1)
        if lag > 0:
            for st in starts.values():
                mark(st - lag - base_days - 1, st - lag)
    if targets:  # no model reads a day after the latest cutoff
        latest = max(int((np.datetime64(t.cutoff, "D") - epoch).astype(np.int64)) for t in targets)
        keep[max(0, latest - first + 1):] = False
    return first, keep


def write_input(stations: pd.DataFrame, targets: list[engines.Target], path: str | Path) -> Path:
    frame = trim(stations[["unique_id", "ds", "y"]], targets)
    frame = frame.assign(unique_id=as_str(frame["unique_id"]), ds=frame["ds"].astype("datetime64[ns]"),
                         y=frame["y"].astype("float64"))
    write_parquet(frame, path)
    return Path(path)


def as_str(values: pd.Series) -> pd.Series:
    """``values`` as Python ``str`` objects, each distinct value converted once and shared by its
    rows. ``astype(str)`` goes through a fixed-width numpy array (4 bytes a character a row): 1.4 GB
    for the 8.6 million input rows of 10,000 stations, the peak of the whole station run."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    strings = np.asarray(pd.Index(uniques).astype(str), dtype=object)
    return pd.Series(strings[codes], index=values.index, name=values.name)


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Parquet that Spark reads too: timestamps in microseconds (Spark has no nanosecond type)."""
    frame.to_parquet(path, index=False, coerce_timestamps="us", allow_truncated_timestamps=False)


def targets_from_run(forecasts: pd.DataFrame, region: str, seasons: list[tuple[int, pd.Timestamp]]) -> list[engines.Target]:
    """Targets (season, cutoff) with the province forecast rows of the run's forecasts frame."""
    prov = forecasts[forecasts["unique_id"] == province_uid(region)]
    out = []
    for season, cutoff in seasons:
        s = calendar.season(season)
        rows = prov[(prov["ds"] >= pd.Timestamp(s.chunyun_start)) & (prov["ds"] <= pd.Timestamp(s.chunyun_end))]
        if len(rows):
            out.append(engines.make_target(season, cutoff, rows))
    return out


# ---------------------------------------------------------------------------------------- outputs


def peak_odds(frame: pd.DataFrame, n_paths: int = PEAK_PATHS) -> np.ndarray:
    """P(each day is the station's busiest of the season), from lognormal paths around the
    reconciled forecast with the row's log sd; seeded by the station and the season, so that the
    same forecast gives the same odds on any engine."""
    out = np.zeros(len(frame))
    if frame.empty:
        return out
    sd = np.log(np.maximum(frame["yhat_upper_80"].to_numpy(dtype=float), 1e-12)
                / np.maximum(frame["yhat"].to_numpy(dtype=float), 1e-12)) / LEVEL_Z[80]
    yhat = np.log(np.maximum(frame["yhat"].to_numpy(dtype=float), 1e-12))
    keys = frame["unique_id"].astype(str) + "|" + frame["season"].astype(str) + "|" + frame["cutoff"].astype(str)
    codes, uniq = pd.factorize(keys, sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniq) + 1))
    for g, key in enumerate(uniq):
        rows = order[bounds[g]:bounds[g + 1]]
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        draws = yhat[rows][None, :] + sd[rows][None, :] * rng.standard_normal((n_paths, len(rows)))
        counts = np.bincount(draws.argmax(axis=1), minlength=len(rows))
        out[rows] = counts / n_paths
    return out


def evaluate(rec: pd.DataFrame, actual: pd.Series) -> dict:
    """MAPE (%) and 80%/95% coverage of reconciled rows against the actual values (where known)."""
    y = actual.reindex(pd.MultiIndex.from_frame(rec[["unique_id", "ds"]])).to_numpy(dtype=float)
    ok = np.isfinite(y) & (y > 0)
    if not ok.any():
        return {"mape": np.nan, "coverage_80": np.nan, "coverage_95": np.nan, "days": 0}
    f = rec[ok]
    yy = y[ok]
    return {"mape": float(np.mean(np.abs(f["yhat"].to_numpy() - yy) / yy) * 100),
            "coverage_80": float(np.mean((yy >= f["yhat_lower_80"].to_numpy()) & (yy <= f["yhat_upper_80"].to_numpy()))),
            "coverage_95": float(np.mean((yy >= f["yhat_lower_95"].to_numpy()) & (yy <= f["yhat_upper_95"].to_numpy()))),
            "days": int(ok.sum())}


def choose(table: pd.DataFrame) -> tuple[str, str]:
    """(model, method): among methods that keep the published province, the lowest mean station
    MAPE over the backtest seasons; ties go to :data:`CHOSEN_MODEL` / :data:`reconcile.CHOSEN`."""
    t = table[(table["level"] == "stations") & table["method"].isin(reconcile.KEEPS_PROVINCE)]
    if t.empty or t["mape"].isna().all():
        return CHOSEN_MODEL, reconcile.CHOSEN
    means = t.groupby(["model", "method"])["mape"].mean().sort_values()
    best = means.index[0]
    default = (CHOSEN_MODEL, reconcile.CHOSEN)
    if default in means.index and means[default] <= means.iloc[0] + 1e-9:
        return default
    return best


@dataclass
class StationResult:
    forecasts: pd.DataFrame
    backtest: pd.DataFrame
    summary: dict = field(default_factory=dict)


def fit_region(region: str, station_history: pd.DataFrame, province_history: pd.DataFrame,
               run_forecasts: pd.DataFrame, past_seasons: list[int], forward: list[int], cutoff: pd.Timestamp,
               work_dir: str | Path, engine: str = "local", workers: int = 2, spark_master: str | None = None,
               session=None, methods=reconcile.METHODS, models=tuple(MODELS)) -> StationResult:
    """Station forecasts of one region (see the module docstring)."""
    t0 = time.perf_counter()
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    back = [(s, calendar.season(s).cutoff) for s in past_seasons[-BACKTEST_SEASONS:]]
    targets = targets_from_run(run_forecasts, region, [*back, *[(s, cutoff) for s in forward]])
    prov = province_history.sort_values("ds")
    ctx = engines.Context(prov["ds"].to_numpy(dtype="datetime64[ns]"), prov["y"].to_numpy(dtype=float),
                          tuple(targets), tuple(models))
    input_path = write_input(station_history, targets, work / f"{region}_input.parquet")
    engines.save_context(ctx, work / f"{region}_context.json")
    output_path = work / f"{region}_base.parquet"
    timings = engines.run(engine, input_path, ctx, output_path, workers=workers, spark_master=spark_master,
                          session=session)
    t_fit = time.perf_counter()
    rec = _Reconciler(pd.read_parquet(output_path), region)
    keys = set(back)
    backtest = [t for t in targets if (t.season, t.cutoff) in keys]
    rows = _station_rows(rec, backtest, station_history, prov, models, methods)
    model, method = choose(pd.DataFrame(rows)) if rows else (CHOSEN_MODEL, reconcile.CHOSEN)
    for t in targets:
        if (t.season, t.cutoff) not in keys:
            rec(t, model, method)
    table = pd.DataFrame(rows + _province_rows(backtest, prov, run_forecasts, region))
    fc = _chosen(rec, targets, model, method)
    summary = {
        "stations": int(station_history["unique_id"].nunique()), "engine": engine, "model": model, "method": method,
        "seasons": [int(t.season) for t in targets], "backtest_seasons": [int(s) for s, _ in back],
        "backtest": _backtest_summary(table, model, method),
        "coherence_max_rel": _coherence(fc, targets),
        "seconds": {**{k: round(v, 2) for k, v in timings.items() if isinstance(v, float)},
                    "reconcile_and_backtest": round(time.perf_counter() - t_fit, 2), "total": round(time.perf_counter() - t0, 2)},
    }
    log.info("stations %s: %d stations, %s + %s, %s engine, %.1f s", region, summary["stations"], model, method, engine,
             time.perf_counter() - t0)
    return StationResult(fc, table, summary)


class _Reconciler:
    """The engine's base station forecasts reconciled with the province, by model, method and target
    (each reconciliation kept in ``recs``)."""

    def __init__(self, base: pd.DataFrame, region: str):
        self.base, self.region, self.recs = base, region, {}

    def __call__(self, t: engines.Target, model: str, method: str):
        base = self.base
        part = base[(base["model"] == MODELS[model]().label) & (base["season"] == t.season) & (base["cutoff"] == t.cutoff)]
        p_fc = pd.DataFrame({"ds": t.ds, "yhat": t.province_yhat})
        rec, prov_rec = reconcile.reconcile(part, p_fc, province_uid(self.region), method)
        self.recs[(model, method, t.season, t.cutoff)] = rec
        return rec, prov_rec, p_fc


def _station_rows(rec: _Reconciler, backtest: list, station_history: pd.DataFrame, prov: pd.DataFrame,
                  models, methods) -> list[dict]:
    """The station backtest: every model x method on every backtest season, at both levels' errors."""
    actual = station_history.assign(unique_id=as_str(station_history["unique_id"])).set_index(["unique_id", "ds"])["y"]
    prov_actual = prov.set_index("ds")["y"]
    rows = []
    for t in backtest:
        for model in models:
            for method in methods:
                rec_fc, prov_rec, p_fc = rec(t, model, method)
                m = evaluate(rec_fc, actual)
                pm = prov_rec.assign(y=prov_actual.reindex(prov_rec["ds"]).to_numpy())
                p_mape = float(np.nanmean(np.abs(pm["yhat"] - pm["y"]) / pm["y"]) * 100)
                rows.append({"level": "stations", "model": model, "method": method, "season": t.season, **m,
                             "province_mape": p_mape, "province_shift": reconcile.coherence_error(prov_rec, p_fc),
                             "coherence": reconcile.coherence_error(rec_fc, p_fc)})
    return rows


def _province_rows(backtest: list, prov: pd.DataFrame, run_forecasts: pd.DataFrame, region: str) -> list[dict]:
    """The province's own interval coverage on the same seasons (the run's province forecast)."""
    prov_actual = prov.set_index("ds")["y"]
    rows = []
    for t in backtest:
        y = prov_actual.reindex(pd.DatetimeIndex(t.ds)).to_numpy(dtype=float)
        pr = run_forecasts[(run_forecasts["unique_id"] == province_uid(region)) & run_forecasts["ds"].isin(t.ds)].sort_values("ds")
        ok = np.isfinite(y)
        rows.append({"level": "province", "model": str(pr["model"].iloc[0]) if len(pr) else "", "method": "", "season": t.season,
                     "mape": float(np.mean(np.abs(pr["yhat"].to_numpy()[ok] - y[ok]) / y[ok]) * 100),
                     "coverage_80": float(np.mean((y[ok] >= pr["yhat_lower_80"].to_numpy()[ok]) & (y[ok] <= pr["yhat_upper_80"].to_numpy()[ok]))),
                     "coverage_95": float(np.mean((y[ok] >= pr["yhat_lower_95"].to_numpy()[ok]) & (y[ok] <= pr["yhat_upper_95"].to_numpy()[ok]))),
                     "days": int(ok.sum())})
    return rows


def _chosen(rec: _Reconciler, targets: list, model: str, method: str) -> pd.DataFrame:
    """The chosen model and method's reconciled forecasts of every target, with station and peak odds."""
    chosen = [rec.recs[(model, method, t.season, t.cutoff)].assign(method=method) for t in targets
              if (model, method, t.season, t.cutoff) in rec.recs]
    fc = pd.concat(chosen, ignore_index=True) if chosen else pd.DataFrame(columns=FORECAST_COLUMNS)
    fc["station"] = st_registry.station_of_uid(fc["unique_id"]).to_numpy()
    fc["p_peak"] = peak_odds(fc)
    return fc[FORECAST_COLUMNS].sort_values(["season", "cutoff", "unique_id", "ds"], kind="stable").reset_index(drop=True)


def _coherence(fc: pd.DataFrame, targets: list) -> float:
    """The largest relative gap between the stations' sum and the province forecast, over every target."""
    return max((reconcile.coherence_error(fc[(fc["season"] == t.season) & (fc["cutoff"] == t.cutoff)],
                                          pd.DataFrame({"ds": t.ds, "yhat": t.province_yhat})) for t in targets), default=0.0)


def _backtest_summary(table: pd.DataFrame, model: str, method: str) -> dict:
    sel = table[(table["level"] == "stations") & (table["model"] == model) & (table["method"] == method)]
    prov_rows = table[table["level"] == "province"]
    return {"station_mape": _r(sel["mape"].mean()), "station_coverage_80": _r(sel["coverage_80"].mean()),
            "station_coverage_95": _r(sel["coverage_95"].mean()),
            "province_coverage_80": _r(prov_rows["coverage_80"].mean()),
            "province_coverage_95": _r(prov_rows["coverage_95"].mean())}


def _r(v) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


def fit_all(history: pd.DataFrame, run_forecasts: pd.DataFrame, past_seasons: list[int], forward: list[int],
            cutoff: pd.Timestamp, work_dir: str | Path, engine: str = "local", workers: int = 2,
            spark_master: str | None = None, session=None) -> dict[str, StationResult]:
    """Every region with station series in ``history`` (the store's rows up to the cutoff)."""
    mask = is_station(history["unique_id"])
    stations = history[mask]
    if stations.empty:
        return {}
    regions = as_str(stations["unique_id"]).str.split("/").str[0]
    out = {}
    if engine == "spark" and session is None:
        session = engines.spark_session(spark_master or engines.DEFAULT_MASTER)
    for region in sorted(regions.unique()):
        st = stations[(regions == region).to_numpy()]
        province = history[history["unique_id"] == province_uid(region)]
        prov = province[["ds", "y"]]
        if prov.empty:
            log.warning("stations of %s have no province series %s: skipped", region, province_uid(region))
            continue
        out[region] = fit_region(region, st, prov, run_forecasts, past_seasons, forward, cutoff, work_dir, engine,
                                 workers, spark_master, session=session)
        out[region].summary["data_kind"] = provenance.combined([provenance.frame_kind(st), provenance.frame_kind(province)])
    return out


STATIONS_DIR = "stations"


def train_into(staged: str | Path, history: pd.DataFrame, run_forecasts: pd.DataFrame, past_seasons: list[int],
               forward: list[int], cutoff: pd.Timestamp, engine: str = "local", workers: int = 2,
               spark_master: str | None = None, session=None) -> dict:
    """Fit the stations into a staged run's ``stations/`` folder; the manifest's ``stations`` entry.

    Writes ``forecasts.parquet`` (the chosen model, reconciled, with peak odds), ``backtest.parquet``
    (every model x method x backtest season, both levels), ``<region>_input.parquet`` (what the
    engines read), ``<region>_base.parquet`` (what they wrote) and ``<region>.csv`` (the station
    registry the forecasts were made with)."""
    mask = is_station(history["unique_id"])
    if not mask.any():
        return {}
    folder = Path(staged) / STATIONS_DIR
    results = fit_all(history, run_forecasts, past_seasons, forward, cutoff, folder, engine=engine, workers=workers,
                      spark_master=spark_master, session=session)
    if not results:
        return {}
    frames = [r.forecasts for r in results.values()]
    pd.concat(frames, ignore_index=True).to_parquet(folder / "forecasts.parquet", index=False)
    bt = pd.concat([r.backtest.assign(region=region) for region, r in results.items()], ignore_index=True)
    bt.to_parquet(folder / "backtest.parquet", index=False)
    for region in results:
        st_registry.load(region).assign(opened=lambda f: f["opened"].dt.strftime("%Y-%m-%d")).to_csv(
            folder / f"{region}.csv", index=False, lineterminator="\n")
    return {region: r.summary for region, r in results.items()}
