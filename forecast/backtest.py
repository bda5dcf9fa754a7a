"""Season-aligned rolling-origin backtests.

For each season S and series, every model is trained only on data before S's Chunyun window opens
and forecasts S's 40 days (statsforecast ``cross_validation`` style, one origin per season). The
result is one tidy frame ``unique_id, season, ds, cutoff, y, <model columns>`` with
``<model>-lo-80`` ... ``<model>-hi-95`` interval columns; :func:`forecast.metrics.evaluate`
turns it into ``unique_id, season, model, metric, value``.

Model columns:

- ``prophet``, ``sm_regression``, ``hybrid``: the engine's forecast with that daily model (daily
  shape x the season-total model chosen by the inner backtest of :mod:`forecast.season_totals`);
- ``lunar_profile``: the baseline, the last normal season lunar-aligned times growth, as is;
- ``chosen``: the engine's default per metric (:func:`forecast.engine.daily_model_for`);
- ``nowcast_10/20/30``: ``chosen`` updated with the first 10/20/30 days of actuals (NaN on those
  days, so totals count the actuals and day errors cover only the remaining days).

The official forecast (reference ``kind=forecast, measure=total``) is scored on the season total as
model ``official``. Seasons 2016–2019 and 2023–2025 are the normal ones; COVID seasons 2020–2022
are run and reported apart. Tasks (series x season) run on ``workers`` processes with progress on
stderr. Mode reconciliation is not applied (series are scored one by one; it leaves the total
unchanged).
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import calendar, intervals, metrics, provenance, reference, settings
from forecast.engine import daily_model_for, season_forecast
from forecast.models import BASELINE, make
from forecast.models.base import LEVEL_Z
from forecast.season_totals import forecast_total

log = logging.getLogger(__name__)

ALL_SEASONS = tuple(range(2016, 2026))
NORMAL_SEASONS = tuple(s for s in ALL_SEASONS if s not in calendar.COVID_SEASONS)
DAILY_MODELS = ("prophet", "sm_regression", "hybrid")
NOWCAST_DAYS = (10, 20, 30)
CACHE_VERSION = 1


@dataclass
class BacktestResult:
    forecasts: pd.DataFrame  # unique_id, season, ds, cutoff, y, <model>, <model>-lo-80, ...
    metrics: pd.DataFrame  # unique_id, season, model, metric, value
    seconds: float = 0.0

    def summary(self) -> pd.DataFrame:
        return aggregate(self.metrics)

    def report(self) -> str:
        return markdown_report(self.metrics)


def frame_columns(prefix: str, f: pd.DataFrame) -> dict:
    """A forecast frame (``yhat``, ``yhat_lower_80`` ...) as backtest columns `<prefix>`, `<prefix>-lo-80` ..."""
    out = {prefix: f["yhat"].to_numpy()}
    for level in LEVEL_Z:
        out[f"{prefix}-lo-{level}"] = f[f"yhat_lower_{level}"].to_numpy()
        out[f"{prefix}-hi-{level}"] = f[f"yhat_upper_{level}"].to_numpy()
    return out


def baseline_columns(past: pd.DataFrame, window) -> dict:
    """The lunar-aligned baseline fitted on ``past`` over ``window``, as backtest columns
    (``<BASELINE>``, ``<BASELINE>-lo-80`` ... ``<BASELINE>-hi-95``)."""
    return frame_columns(BASELINE, intervals.level_frame(make(BASELINE).fit(past), window))


def model_columns(prefix: str, fc) -> dict:
    """A season forecast as backtest columns `<prefix>`, `<prefix>-lo-80` ... (observed days NaN)."""
    out = frame_columns(prefix, fc.frame)
    obs = fc.frame["observed"].to_numpy()
    for k in list(out):
        out[k] = np.where(obs, np.nan, out[k])
    return out


def run_task(history: pd.DataFrame, unique_id: str, season: int, models=DAILY_MODELS,
             nowcast_days=NOWCAST_DAYS, baseline: bool = True) -> pd.DataFrame:
    """One series and one season: the backtest rows of every model."""
    s = calendar.season(season)
    start, cutoff = pd.Timestamp(s.chunyun_start), s.cutoff
    h = history[["ds", "y"]].copy()
    h["ds"] = pd.to_datetime(h["ds"])
    window = s.days
    actual = h.set_index("ds")["y"].reindex(window)
    past = h[h["ds"] <= cutoff]
    cols: dict = {}
    total = forecast_total(past, season, cutoff, published=reference.published_totals(unique_id))
    chosen = daily_model_for(unique_id)
    fitted = {}
    for name in dict.fromkeys([*models, chosen]):
        fitted[name] = make(name).fit(past)
        fc = season_forecast(past, unique_id, season, cutoff, model=name, fitted=fitted[name], total=total)
        cols.update(model_columns(name, fc))
        if name == chosen:
            cols.update(model_columns("chosen", fc))
    if baseline:
        cols.update(baseline_columns(past, window))
    for k in nowcast_days:
        as_of = start + pd.Timedelta(days=k - 1)
        seen = h[h["ds"] <= as_of]
        fc = season_forecast(seen, unique_id, season, cutoff, as_of, model=chosen, fitted=fitted[chosen], total=total)
        cols.update(model_columns(f"nowcast_{k}", fc))
    frame = pd.DataFrame({"unique_id": unique_id, "season": season, "ds": window, "cutoff": cutoff,
                          "y": actual.to_numpy(), **cols})
    return frame[frame["y"].notna()].reset_index(drop=True)


def _task(args):
    history, uid, season, models, nowcast_days, baseline = args
    t0 = time.perf_counter()
    frame = run_task(history, uid, season, models, nowcast_days, baseline)
    return uid, season, frame, time.perf_counter() - t0


def official_metrics(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Season-total error of the official forecast where the reference has one."""
    return metrics.official_errors(forecasts, official_totals(forecasts[["unique_id", "season"]].drop_duplicates()))


def official_totals(keys: pd.DataFrame) -> dict:
    """``{(unique_id, season): total}``: the latest official season-ahead forecast (status ``ok``) of
    each series-season of ``keys`` that the reference has."""
    out = {}
    for uid, season in keys.itertuples(index=False):
        region, metric = uid.split("/")
        try:
            ref = reference.load_reference(region=region, season=int(season), kind="forecast", metric=metric)
        except Exception:  # noqa: BLE001 - no reference or unknown scope
            continue
        ref = ref[(ref["measure"] == "total") & (ref["status"] == "ok")]
        if not ref.empty:
            out[(uid, int(season))] = float(ref.sort_values("published")["value"].iloc[-1])
    return out


def backtest(history: pd.DataFrame, unique_ids=None, seasons=ALL_SEASONS, models=DAILY_MODELS,
             nowcast_days=NOWCAST_DAYS, baseline: bool = True, workers: int = 2, progress: bool = True) -> BacktestResult:
    """Run every series x season task (on ``workers`` processes) and score them."""
    t0 = time.perf_counter()
    h = history.copy()
    h["ds"] = pd.to_datetime(h["ds"])
    uids = sorted(unique_ids or h["unique_id"].unique())
    tasks = []
    for uid in uids:
        series = h[h["unique_id"] == uid][["ds", "y"]]
        for season in seasons:
            start = pd.Timestamp(calendar.season(season).chunyun_start)
            if (series["ds"] < start - pd.Timedelta(days=300)).any() and (series["ds"] >= start).any():
                tasks.append((series, uid, int(season), tuple(models), tuple(nowcast_days), baseline))
    frames = []
    done = 0
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_task, t) for t in tasks]
            for fut in as_completed(futures):
                uid, season, frame, secs = fut.result()
                frames.append(frame)
                done += 1
                _progress(progress, done, len(tasks), uid, season, secs, t0)
    else:
        for t in tasks:
            uid, season, frame, secs = _task(t)
            frames.append(frame)
            done += 1
            _progress(progress, done, len(tasks), uid, season, secs, t0)
    forecasts = pd.concat(frames, ignore_index=True).sort_values(["unique_id", "season", "ds"]).reset_index(drop=True) if frames else pd.DataFrame()
    scored = metrics.evaluate(forecasts) if len(forecasts) else pd.DataFrame(columns=metrics.TIDY)
    official = official_metrics(forecasts) if len(forecasts) else pd.DataFrame(columns=metrics.TIDY)
    if len(official):
        scored = pd.concat([scored, official], ignore_index=True)
    scored["season"] = scored["season"].astype("int64")
    return BacktestResult(forecasts, label_actuals(scored, h), time.perf_counter() - t0)


def label_actuals(scored: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """``scored`` with ``actuals_kind``: what each series' season was scored against (``real``,
    ``mixed`` or ``sample``, :mod:`forecast.provenance`), so that sample skill is never read as real."""
    kinds = {}
    for uid, season in scored[["unique_id", "season"]].drop_duplicates().itertuples(index=False):
        s = calendar.season(int(season))
        rows = history[(history["unique_id"] == uid) & (history["ds"] >= pd.Timestamp(s.chunyun_start))
                       & (history["ds"] <= pd.Timestamp(s.chunyun_end))]
        kinds[(uid, int(season))] = provenance.frame_kind(rows)
    out = scored.copy()
    out["actuals_kind"] = [kinds[(u, int(y))] for u, y in zip(out["unique_id"], out["season"], strict=True)]
    return out


def _progress(enabled: bool, done: int, total: int, uid: str, season: int, secs: float, t0: float) -> None:
    if enabled:
        print(f"backtest {done}/{total} {uid} {season} ({secs:.1f}s, {time.perf_counter() - t0:.0f}s elapsed)", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# aggregation and report

def aggregate(scored: pd.DataFrame, seasons=NORMAL_SEASONS) -> pd.DataFrame:
    """:func:`forecast.metrics.aggregate` over the normal seasons by default."""
    return metrics.aggregate(scored, seasons)


def wins(scored: pd.DataFrame, model: str = "chosen", baseline: str = BASELINE, metric: str = "mape",
         seasons=NORMAL_SEASONS) -> pd.DataFrame:
    """:func:`forecast.metrics.wins` of the chosen model against the baseline, normal seasons by default."""
    return metrics.wins(scored, model, baseline, metric, seasons)


def coverage(forecasts: pd.DataFrame, model: str = "chosen", level: int = 80, seasons=NORMAL_SEASONS) -> float:
    """:func:`forecast.metrics.coverage` of the chosen model, normal seasons by default."""
    return metrics.coverage(forecasts, model, level, seasons)


def _table(df: pd.DataFrame, index: list[str], columns: str = "metric") -> str:
    wide = df.pivot_table(index=index, columns=columns, values="value").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    head = "| " + " | ".join(wide.columns) + " |"
    sep = "|" + "|".join("---" for _ in wide.columns) + "|"
    lines = [head, sep]
    for row in wide.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def markdown_report(scored: pd.DataFrame) -> str:
    """The backtest as Markdown: normal seasons, wins against the baseline, nowcasts, COVID seasons."""
    out = ["## Backtest (season-aligned rolling origin)", "",
           "Mean over the normal seasons 2016–2019, 2023–2025; errors in percent (absolute), peak date in days, "
           "coverage = percent of days inside the interval.", ""]
    main = ["mape", "smape", "total_error_pct", "peak_date_error_days", "peak_value_error_pct", "coverage_80", "coverage_95"]
    agg = aggregate(scored)
    core = agg[agg["metric"].isin(main) & ~agg["model"].str.startswith("nowcast")]
    out += [_table(core, ["unique_id", "model"]), ""]
    w = wins(scored)
    if len(w):
        out += ["### Chosen model vs the lunar-aligned baseline (daily MAPE, seasons won)", "",
                "| unique_id | wins | seasons |", "|---|---|---|"]
        out += [f"| {r.unique_id} | {int(r.wins)} | {int(r.seasons)} |" for r in w.itertuples()]
        out.append("")
    now = agg[agg["model"].str.startswith("nowcast") & agg["metric"].isin(["total_error_pct", "mape"])]
    if len(now):
        out += ["### Nowcasts (after 10, 20, 30 days; MAPE over the remaining days)", "",
                _table(now, ["unique_id", "model"]), ""]
    official = scored[scored["model"] == "official"]
    if len(official):
        chosen = scored[(scored["model"] == "chosen") & (scored["metric"] == "total_error_pct")]
        both = pd.concat([official, chosen[chosen.set_index(["unique_id", "season"]).index.isin(
            official.set_index(["unique_id", "season"]).index)]])
        out += ["### Season total error vs the official forecast (percent, signed)", "",
                _table(both, ["unique_id", "season"], columns="model"), ""]
    covid = scored[scored["season"].isin(calendar.COVID_SEASONS) & (scored["metric"].isin(["mape", "total_error_pct"]))
                   & scored["model"].isin(["chosen", BASELINE])]
    if len(covid):
        c = covid.copy()
        c["value"] = c["value"].abs()
        c = c.groupby(["unique_id", "model", "metric"], as_index=False)["value"].mean()
        out += ["### COVID seasons 2020–2022 (reported apart; absolute errors)", "", _table(c, ["unique_id", "model"]), ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# cache: a full backtest per data fingerprint, reused by `chunyun train`

def cache_dir(var_dir=None) -> Path:
    return Path(var_dir or settings.load()["var_dir"]) / "backtests"


def save_cache(result: BacktestResult, fingerprint: str, var_dir=None) -> Path:
    path = cache_dir(var_dir) / f"v{CACHE_VERSION}-{fingerprint[:16]}"
    path.mkdir(parents=True, exist_ok=True)
    result.metrics.to_parquet(path / "metrics.parquet", index=False)
    result.forecasts.to_parquet(path / "forecasts.parquet", index=False)
    return path


def load_cache(fingerprint: str, var_dir=None) -> BacktestResult | None:
    path = cache_dir(var_dir) / f"v{CACHE_VERSION}-{fingerprint[:16]}"
    if not (path / "metrics.parquet").exists():
        return None
    return BacktestResult(pd.read_parquet(path / "forecasts.parquet"), pd.read_parquet(path / "metrics.parquet"))
