"""The forecasting engine: season totals + daily curves, reconciled, with peak odds and nowcasts.

For one series and one season the engine

1. fits a daily model (:mod:`forecast.models`) and a season-total model
   (:mod:`forecast.season_totals`) on the history up to the *fit cutoff*: the information date, or
   the day before the season's Chunyun window opens if that is earlier (a season is forecast from
   before it starts; what happens after is the nowcast's job);
2. reconciles them: each day of the window gets ``total * yhat_day / sum(yhat over the window)``,
   so the daily forecast adds up to the season total forecast;
3. gives each day a lognormal interval with log-sd ``sqrt(level_sd^2 + sigma^2)`` where
   ``level_sd`` is the season total's and ``sigma`` the daily model's residual sd;
4. **nowcast** (:mod:`forecast.nowcast`): when the information date (``as_of``) falls inside the
   window, the days up to it are actuals; the remaining days are scaled by the ratio actual/forecast
   to date, shrunk towards 1 with weight ``n / (n + NOWCAST_SHRINK_DAYS)`` for ``n`` observed days
   (on logs); the level uncertainty shrinks by ``sqrt(1 - weight)``. With ``nowcast_phi`` (off by
   default) the last observed day's deviation from that level is also carried forward as an AR(1);
5. simulates sample paths (lognormal AR(1) daily residuals plus one shared level shock) for the
   probability of each day being the season's peak and ``p_record``, the probability that the
   season's peak beats the highest day in the history up to the information date
   (:mod:`forecast.summary`).

The 80/95 frames and the season total's bounds are :mod:`forecast.intervals`'.

For a region, the five modes are reconciled to ``cross_regional_trips`` day by day (top-down:
each mode is scaled by ``total / sum of modes``), so modes add up to the total.

Public API: :func:`forecast_series` (daily rows for a date range or season), :func:`summarize`
(the summary contract), :func:`season_forecast` / :func:`region_season` (the objects behind them,
with ``paths()`` and ``distribution()`` for alerts), :func:`fit_series` (fit once, reuse).
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast import calendar, intervals, mode_totals, nowcast, provenance, reference
from forecast.errors import InvalidInput, NotFound, NotReady, Unprocessable
from forecast.limits import MAX_FORECAST_DAYS
from forecast.models import BASELINE, Forecaster, make
from forecast.models.base import LEVEL_Z, simulate_paths
from forecast.models.features import OFFICIAL
from forecast.registry import METRICS, MODES, TOTAL_METRIC, parse_uid, resolve_region
from forecast.season_totals import TotalForecast, forecast_total, history_totals
from forecast.summary import metric_summary
from forecast.summary import peak_stats as _peak_stats  # noqa: F401 - re-exported (tests)

log = logging.getLogger(__name__)

# Chosen by the backtest (BENCHMARKS.md, "Training and backtest"): the daily model that gives the
# season's shape, per metric; anything not listed uses DEFAULT_DAILY_MODEL. On the sample the
# hybrid (regression blended with a 3-season lunar-aligned profile) had the lowest daily MAPE;
# Prophet trailed the statsmodels regression on every key series and fits 5-10x slower.
DEFAULT_DAILY_MODEL = "hybrid"
DAILY_MODEL_BY_METRIC: dict[str, str] = {}
NOWCAST_SHRINK_DAYS = nowcast.SHRINK_DAYS
N_PATHS = 2000
PATH_SEED = 20250129
MAX_RANGE_DAYS = MAX_FORECAST_DAYS


def daily_model_for(unique_id: str) -> str:
    metric = parse_uid(unique_id)[1] if "/" in str(unique_id) else str(unique_id)
    return DAILY_MODEL_BY_METRIC.get(metric, DEFAULT_DAILY_MODEL)


def data_kind_of(history: pd.DataFrame) -> str | None:
    """``real``, ``mixed`` or ``sample`` (:func:`forecast.provenance.frame_kind`)."""
    return provenance.frame_kind(history)


def series_kinds(history: pd.DataFrame, unique_id: str, season: int, cutoff) -> dict:
    """The data kinds behind one series' forecast of ``season``: ``history``, the rows up to the fit
    cutoff it was fitted on, and ``actuals``, the season's own rows in ``history`` (``None``: none)."""
    h = history[history["unique_id"] == unique_id] if "unique_id" in history.columns else history
    ds = pd.to_datetime(h["ds"])
    window = calendar.season(int(season)).days
    return {"history": provenance.frame_kind(h[ds <= fit_cutoff(season, pd.Timestamp(cutoff))]),
            "actuals": provenance.frame_kind(h[(ds >= window[0]) & (ds <= window[-1])])}


def _series_history(history: pd.DataFrame, unique_id: str) -> pd.DataFrame:
    h = history[history["unique_id"] == unique_id] if "unique_id" in history.columns else history
    if h.empty:
        raise NotFound(f"no history for series {unique_id!r}", hint="`chunyun series` lists the stored series")
    out = pd.DataFrame({"ds": pd.to_datetime(h["ds"]).dt.normalize(), "y": h["y"].astype(float)})
    if "source" in h.columns:
        out["real"] = provenance.is_real(h["source"])
    elif "real" in h.columns:
        out["real"] = h["real"].astype(bool).to_numpy()
    return out.sort_values("ds").reset_index(drop=True)


def fit_cutoff(season: int, info_date: pd.Timestamp) -> pd.Timestamp:
    """The last day a forecast of ``season`` may see: the info date, at latest the eve of the window."""
    return min(pd.Timestamp(info_date), calendar.season(int(season)).cutoff)


def fit_series(history: pd.DataFrame, unique_id: str, cutoff, model: str | None = None) -> Forecaster:
    """A daily model for ``unique_id`` fitted on the history up to ``cutoff``."""
    h = _series_history(history, unique_id)
    h = h[h["ds"] <= pd.Timestamp(cutoff)]
    m = make(model or daily_model_for(unique_id))
    m.fit(h)
    return m


# ------------------------------------------------------------------------------------------------
# one series, one season

@dataclass
class SeasonForecast:
    """One series' forecast of one season (reconciled to the season total, nowcast if ``as_of``)."""

    unique_id: str
    season: int
    cutoff: pd.Timestamp  # the fit cutoff
    as_of: pd.Timestamp | None  # last observed day used by the nowcast (None: none)
    daily_model: str
    total_model: str
    frame: pd.DataFrame  # ds, yhat, yhat_lower_80, yhat_upper_80, yhat_lower_95, yhat_upper_95, observed
    total: float
    total_bounds: dict  # {80: (lo, hi), 95: (lo, hi)}
    level_sd: float  # shared log level sd of the unobserved days
    sigma: float
    phi: float
    record: float  # highest day in the history up to the information date
    previous_total: float | None
    extra: dict = field(default_factory=dict)

    @property
    def model(self) -> str:
        return f"{self.daily_model}+{self.total_model}" + ("+nowcast" if self.as_of is not None else "")

    def paths(self, n: int = N_PATHS, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` x days simulated paths; observed days are their actuals."""
        rng = rng if rng is not None else np.random.default_rng(PATH_SEED)
        f = self.frame
        free = ~f["observed"].to_numpy()
        out = np.tile(f["yhat"].to_numpy(dtype=float), (n, 1))
        if free.any():
            out[:, free] = simulate_paths(f["yhat"].to_numpy(dtype=float)[free], self.sigma, self.phi, self.level_sd, n, rng)
        return out

    def distribution(self, n: int = N_PATHS) -> pd.DataFrame:
        """Per day: mean, median and the 80%/95% quantiles of the simulated paths."""
        p = self.paths(n)
        q = np.quantile(p, [0.025, 0.1, 0.5, 0.9, 0.975], axis=0)
        return pd.DataFrame({"unique_id": self.unique_id, "ds": self.frame["ds"].to_numpy(), "mean": p.mean(axis=0),
                             "median": q[2], "p10": q[1], "p90": q[3], "p2_5": q[0], "p97_5": q[4]})

    def rows(self, level: int = 80) -> pd.DataFrame:
        f = self.frame
        return pd.DataFrame({"unique_id": self.unique_id, "ds": f["ds"].to_numpy(), "yhat": f["yhat"].to_numpy(),
                             "yhat_lower": f[f"yhat_lower_{level}"].to_numpy(), "yhat_upper": f[f"yhat_upper_{level}"].to_numpy()})


def season_forecast(history: pd.DataFrame, unique_id: str, season: int, cutoff=None, as_of=None, *,
                    model: str | None = None, fitted: Forecaster | None = None,
                    total: TotalForecast | None = None, sigma: float | None = None,
                    nowcast_phi: float | None = 0.0) -> SeasonForecast:
    """The forecast of ``unique_id`` over ``season``'s Chunyun window.

    ``cutoff``: what the models may see (default: the last day of the history); capped at the eve
    of the window. ``as_of``: the information date for a nowcast (actuals up to it are used);
    defaults to ``cutoff`` when that falls inside or after the window. ``fitted``: a daily model
    already fitted at the right cutoff (reused, e.g. by ``train``; without ``model`` its model is the
    forecast's, never the engine's default fitted again); ``total``: the season total
    forecast made at that cutoff (reused by the backtest's nowcasts). ``sigma``: the daily log error
    to put in the intervals instead of the model's own in-sample one (calibrated on real days by
    :mod:`forecast.selection`). ``nowcast_phi``: the AR(1) coefficient the nowcast carries the last
    observed day's error forward with. Default 0: one level ratio for every remaining day. ``None``:
    the daily model's ``phi_``, which ``bench/nowcast_real_days.py`` measured worse on the real
    season totals after 10 and 20 days (2024 and 2025), so it is not the default.
    """
    h = _series_history(history, unique_id)
    data_end = h["ds"].max()
    window = calendar.season(int(season)).days
    info = pd.Timestamp(as_of) if as_of is not None else (pd.Timestamp(cutoff) if cutoff is not None else data_end)
    fcut = fit_cutoff(season, min(info, data_end))
    past = h[h["ds"] <= fcut]
    if len(past) < 60:
        raise Unprocessable(f"{unique_id} has {len(past)} days of history before {fcut.date()}",
                            hint="a season forecast needs at least 60 days of history before the season")
    name = model or (fitted.name if fitted is not None else daily_model_for(unique_id))
    if fitted is not None and fitted.name == name and pd.Timestamp(fitted.cutoff_) == fcut:
        daily = fitted
    else:
        daily = make(name).fit(past)
    shape = np.maximum(daily.predict(window)["yhat"].to_numpy(dtype=float), 1e-9)
    tf: TotalForecast = total if total is not None else forecast_total(past, season, fcut, published=reference.published_totals(unique_id))
    yhat = shape / shape.sum() * tf.total
    level_sd = tf.log_sd
    # nowcast with actuals in the window up to the information date
    seen = h[(h["ds"] >= window[0]) & (h["ds"] <= min(info, window[-1]))].set_index("ds")["y"]
    observed = window.isin(seen.index)
    actual = seen.reindex(window).to_numpy()
    used_as_of = seen.index.max() if observed.any() else None
    total_model_name = tf.model
    sigma, phi = float(daily.sigma_ if sigma is None else sigma), float(daily.phi_)
    now = nowcast.update(yhat, actual, observed, phi if nowcast_phi is None else nowcast_phi, level_sd,
                         NOWCAST_SHRINK_DAYS)
    yhat, level_sd = now.yhat, now.level_sd
    log_sd = np.where(observed, 0.0, math.sqrt(level_sd**2 + sigma**2))
    frame = intervals.lognormal_frame(window, yhat, log_sd, observed)
    total = float(yhat.sum())
    bounds = intervals.total_bounds(yhat, observed, level_sd, sigma, phi)
    hist_to_info = h[h["ds"] <= info]
    record = float(hist_to_info[hist_to_info["ds"] < window[0]]["y"].max()) if len(hist_to_info) else float("nan")
    totals = history_totals(h, min(info, data_end), reference.published_totals(unique_id))
    prev = float(totals[season - 1]) if (season - 1) in totals.index else None
    return SeasonForecast(unique_id, int(season), fcut, used_as_of, name, total_model_name, frame, total, bounds,
                          float(level_sd), sigma, phi, record, prev, {"total_scores": tf.scores})


# ------------------------------------------------------------------------------------------------
# a region: modes reconciled to the total

def reconcile_modes(forecasts: dict[str, SeasonForecast], shares: dict[str, float] | None = None
                    ) -> dict[str, SeasonForecast]:
    """Scale the five modes day by day so they add up to ``cross_regional_trips`` (top-down).

    With ``shares`` (the ``share`` rule of :mod:`forecast.mode_totals`), each mode's season total
    is first brought to the total's forecast times its share. Observed days keep their actuals.
    Totals and bounds of the modes are rescaled with them.
    """
    if TOTAL_METRIC not in forecasts or not all(m in forecasts for m in MODES):
        return forecasts
    for m, ratio in mode_totals.share_ratios(forecasts, shares).items():
        rescale(forecasts[m], ratio)
        forecasts[m].total_model = "share"
    top = forecasts[TOTAL_METRIC].frame
    modes_sum = sum(forecasts[m].frame["yhat"].to_numpy() for m in MODES)
    ratio = topdown_ratio(top["yhat"].to_numpy(), modes_sum)
    for m in MODES:
        forecasts[m].extra["reconcile_ratio"] = rescale(forecasts[m], ratio)
    return forecasts


def topdown_ratio(top: np.ndarray, modes_sum: np.ndarray) -> np.ndarray:
    """The top-down rule: each mode's day is multiplied by ``top / sum of the modes`` (1 where that
    sum is not positive or not known), so the modes add up to the total."""
    return np.where(modes_sum > 0, top / np.maximum(modes_sum, 1e-9), 1.0)


FRAME_VALUE_COLUMNS = ("yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95")


def rescale(fc: SeasonForecast, ratio) -> np.ndarray:
    """Multiply every unobserved day of ``fc`` (in place) by ``ratio`` (scalar or per day); the total
    and its bounds follow. Returns the per-day ratio applied (1 on observed days)."""
    f = fc.frame
    r = np.where(f["observed"].to_numpy(), 1.0, np.broadcast_to(np.asarray(ratio, dtype=float), (len(f),)))
    old_total = fc.total
    for col in FRAME_VALUE_COLUMNS:
        f[col] = f[col].to_numpy() * r
    fc.total = float(f["yhat"].sum())
    scale = fc.total / old_total if old_total > 0 else 1.0
    fc.total_bounds = {lvl: (lo * scale, hi * scale) for lvl, (lo, hi) in fc.total_bounds.items()}
    return r


def _fit_task(args):
    history, uid, season, cutoff, as_of, model, sigma = args
    return season_forecast(history, uid, season, cutoff, as_of, model=model, sigma=sigma)


def map_series(fn, tasks: list, workers: int = 1) -> list:
    """``fn`` of each task (one series each), in the tasks' order: on ``workers`` processes when
    there are several of both, else in this process. The one fan-out over a region's series."""
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(fn, tasks))
    return [fn(t) for t in tasks]


def region_season(history: pd.DataFrame, region: str, season: int, cutoff=None, as_of=None, *,
                  metrics=None, workers: int = 1, choices: dict | None = None,
                  mode_rule: str = mode_totals.DEFAULT) -> dict[str, SeasonForecast]:
    """Every metric of ``region`` for ``season``, modes reconciled to the total.

    ``choices``: unique_id -> ``(model, sigma)`` (the run's per-series choice for this season,
    :mod:`forecast.selection`); a series not in it gets the default model and its own sigma.
    ``mode_rule``: how the modes' season totals are set (:mod:`forecast.mode_totals`).
    """
    choices = choices or {}
    region = resolve_region(region)
    metrics = list(metrics or METRICS)
    uids = {m: f"{region}/{m}" for m in metrics}
    have = set(history["unique_id"].unique()) if "unique_id" in history.columns else set()
    uids = {m: u for m, u in uids.items() if u in have}
    if not uids:
        raise NotFound(f"no stored series for region {region}", hint="`chunyun series` lists the stored series")
    tasks = [(history[history["unique_id"] == u], u, season, cutoff, as_of, *choices.get(u, (None, None)))
             for u in uids.values()]
    forecasts = dict(zip(uids, map_series(_fit_task, tasks, workers), strict=True))
    return reconcile_modes(forecasts, mode_shares(history, region, season, forecasts, mode_rule))


def mode_shares(history: pd.DataFrame, region: str, season: int, forecasts: dict, rule: str) -> dict | None:
    """The modes' shares for the ``share`` rule, known at the total's fit cutoff; None for ``own``."""
    if rule != "share" or TOTAL_METRIC not in forecasts:
        return None
    return mode_totals.shares_at(history, region, season, forecasts[TOTAL_METRIC].cutoff)


def summarize(history: pd.DataFrame, region: str, season: int, cutoff=None, as_of=None, *,
              workers: int = 1, choices: dict | None = None, mode_rule: str = mode_totals.DEFAULT) -> dict:
    """The summary contract for ``region`` and ``season`` as known at ``cutoff`` / ``as_of``.

    ``history``: long frame ``unique_id, ds, y`` (``source`` optional, for ``data_kind``).
    ``cutoff``: the models see data up to it (default: the data end); a cutoff inside or after the
    window means "as known on that day": the days up to it are used as a nowcast. ``as_of``: an
    explicit nowcast date. Totals are in base units; intervals are 80%. ``choices`` and
    ``mode_rule``: as for :func:`region_season`.
    """
    season = _check_season(season)
    history = _check_history(history)
    data_end = history["ds"].max()
    cut = pd.Timestamp(cutoff) if cutoff is not None else data_end
    hist = history[history["ds"] <= max(cut, pd.Timestamp(as_of)) if as_of is not None else history["ds"] <= cut]
    forecasts = region_season(hist, region, season, cut, as_of, workers=workers, choices=choices, mode_rule=mode_rule)
    return summary_of(forecasts, region, season, min(cut, data_end), history=history)


def summary_of(forecasts: dict[str, SeasonForecast], region: str, season: int, cutoff, data_kind: str | None = None,
               run_id: str | None = None, *, history: pd.DataFrame | None = None) -> dict:
    """The summary contract for one region's season forecasts (metric -> ``SeasonForecast``).

    With ``history`` (``unique_id, ds, y, source``), each metric says what its forecast was fitted
    on and what the season's actuals are (``history_kind``, ``actuals_kind``), and ``data_kind`` /
    ``actuals_kind`` at the top combine them over the metrics (``mixed`` where they differ).
    """
    metrics = {m: metric_summary(fc) for m, fc in forecasts.items()}
    actuals_kind = None
    if history is not None:
        for m, fc in forecasts.items():
            kinds = series_kinds(history, fc.unique_id, fc.season, fc.cutoff)
            metrics[m]["history_kind"], metrics[m]["actuals_kind"] = kinds["history"], kinds["actuals"]
        data_kind = provenance.combined(v["history_kind"] for v in metrics.values())
        actuals_kind = provenance.combined(v["actuals_kind"] for v in metrics.values())
    return {
        "region": resolve_region(region),
        "season": int(season),
        "cutoff": pd.Timestamp(cutoff).date().isoformat(),
        "data_kind": data_kind,
        "actuals_kind": actuals_kind,
        "run_id": run_id,
        "metrics": metrics,
    }


# ------------------------------------------------------------------------------------------------
# daily rows for any range

def forecast_series(history: pd.DataFrame, unique_id: str, start=None, end=None, season: int | None = None,
                    cutoff=None, as_of=None, level: int = 80, *, model: str | None = None,
                    sigma: float | None = None, all_levels: bool = False) -> pd.DataFrame:
    """Daily rows ``unique_id, ds, yhat, yhat_lower, yhat_upper`` for a range or a season.

    Days in a Chunyun window take that season's reconciled forecast (fitted from before the window
    opens, nowcast with the actuals up to the information date ``as_of``/``cutoff``); other days
    take the daily model fitted at the cutoff. Days up to the cutoff outside any window are the
    model's in-sample fit. ``all_levels=True`` returns ``yhat_lower_80 ... yhat_upper_95`` plus
    ``season`` and ``model`` instead (what ``train`` stores).
    """
    if level not in LEVEL_Z:
        raise Unprocessable(f"level {level} is not offered", hint="use 80 or 95")
    h = _series_history(_check_history(history), unique_id)
    data_end = h["ds"].max()
    cut = min(pd.Timestamp(cutoff), data_end) if cutoff is not None else data_end
    info = pd.Timestamp(as_of) if as_of is not None else cut
    if as_of is not None:
        cut = min(cut, info)
    dates = _date_range(start, end, season, cut)
    feats = OFFICIAL.features(dates)
    in_window = feats["in_chunyun"].to_numpy()
    seasons = feats["season"].to_numpy()
    parts = []
    base: Forecaster | None = None
    for s in sorted(set(seasons[in_window].tolist())):
        if fit_cutoff(int(s), min(info, data_end)) == cut and base is None:
            base = fit_series(h, unique_id, cut, model)  # the same fit serves this window and the other days
        fc = season_forecast(h, unique_id, int(s), cut, as_of, model=model, fitted=base, sigma=sigma)
        rows = fc.frame[fc.frame["ds"].isin(dates)].drop(columns="observed")
        parts.append(rows.assign(season=int(s), model=fc.model, cutoff=fc.cutoff))
    rest = dates[~in_window]
    if len(rest):
        base = base or fit_series(h, unique_id, cut, model)
        parts.append(intervals.level_frame(base, rest).assign(season=seasons[~in_window], model=base.name, cutoff=cut))
    out = pd.concat(parts, ignore_index=True).sort_values("ds").reset_index(drop=True)
    out.insert(0, "unique_id", unique_id)
    if all_levels:
        return out
    return out[["unique_id", "ds", "yhat", f"yhat_lower_{level}", f"yhat_upper_{level}"]].rename(
        columns={f"yhat_lower_{level}": "yhat_lower", f"yhat_upper_{level}": "yhat_upper"})


def forecast_distribution(history: pd.DataFrame, unique_id: str, season: int, cutoff=None, as_of=None,
                          n: int = N_PATHS, model: str | None = None) -> pd.DataFrame:
    """Per day of ``season``: mean, median, 80% (p10/p90) and 95% (p2_5/p97_5) of simulated paths."""
    fc = season_forecast(history, unique_id, _check_season(season), cutoff, as_of, model=model)
    return fc.distribution(n)


def _date_range(start, end, season, cutoff) -> pd.DatetimeIndex:
    if season is not None:
        w = calendar.season(_check_season(season)).days
        lo = max(w[0], pd.Timestamp(start)) if start is not None else w[0]
        hi = min(w[-1], pd.Timestamp(end)) if end is not None else w[-1]
    else:
        lo = pd.Timestamp(start) if start is not None else cutoff + pd.Timedelta(days=1)
        hi = pd.Timestamp(end) if end is not None else lo + pd.Timedelta(days=39)
    if hi < lo:
        raise InvalidInput(f"start {lo.date()} is after end {hi.date()}", hint="give --start before --end")
    if (hi - lo).days + 1 > MAX_RANGE_DAYS:
        raise Unprocessable(f"{(hi - lo).days + 1} days requested", hint=f"ask for at most {MAX_RANGE_DAYS} days")
    return pd.date_range(lo, hi, freq="D")


def _check_season(season) -> int:
    try:
        year = int(season)
    except (TypeError, ValueError):
        raise InvalidInput(f"season {season!r} is not a year", hint="e.g. 2026") from None
    calendar.season(year)  # raises Unprocessable outside the supported range
    return year


def _check_history(history: pd.DataFrame) -> pd.DataFrame:
    if history is None or len(history) == 0:
        raise NotReady("no history to forecast from", hint="load data with `chunyun prepare` or `chunyun ingest`")
    out = history.copy()
    out["ds"] = pd.to_datetime(out["ds"]).dt.normalize()
    return out


__all__ = ["SeasonForecast", "season_forecast", "region_season", "reconcile_modes", "mode_shares", "summarize", "metric_summary",
           "forecast_series", "forecast_distribution", "fit_series", "summary_of", "rescale", "fit_cutoff", "daily_model_for", "data_kind_of", "series_kinds",
           "BASELINE"]
