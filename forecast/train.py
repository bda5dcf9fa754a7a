"""``train``: fit every stored series and publish a run (see :mod:`forecast.runs` for the layout).

What a run holds, for every series in the store with data up to ``cutoff`` (default: the data end):

- ``forecasts.parquet``: for each past season (2016 on, COVID seasons too) the season-aligned
  forecast made from the day before its Chunyun window opened; after the cutoff the forward
  forecast through the end of the second season after it (windows reconciled to their season
  totals, other days from the daily model). Modes are reconciled to ``cross_regional_trips``.
- ``summaries.json``: the summary contract for every region and every season above (past seasons
  season-aligned, e.g. 2025 from 2025-01-13; the next two seasons from the cutoff).
- ``backtest.parquet``: the cached full backtest for this data fingerprint if ``chunyun backtest``
  made one, else a light one: the chosen model and the lunar-aligned baseline on the past seasons
  above (the same fits that give the season-aligned forecasts).
- ``models/<region>__<metric>.json``: the forward daily model of each series (versioned JSON) and
  its season-total forecasts.

Work is split into (series, origin) tasks run on ``workers`` processes, progress on stderr.

Stored data never stops a training: each series gets the past seasons its own history supports
(300 days before the window), a season its history cannot support (``Unprocessable`` and other
data errors) is left out for that series, a series the models cannot use at all (unknown to the
registry, no usable day, a failing forward fit) is skipped, and rows before
``calendar.FIRST_DATA_DAY`` are not used. Each of these is listed with its reason in the run's
manifest under ``skipped`` (``{"unique_id", "season" (null: the whole series), "reason"}``), which
``/v1/runs/current`` serves; the other series are trained as usual.
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import assemble, calendar, runs, scorecard, selection
from forecast.backtest import baseline_columns, label_actuals, load_cache
from forecast.engine import SeasonForecast, season_forecast
from forecast.errors import ChunyunError, NotReady, Unprocessable
from forecast.intervals import level_frame
from forecast.models import make
from forecast.models.features import OFFICIAL
from forecast.registry import TOTAL_METRIC, parse_series, parse_uid
from forecast.store import fingerprint_of

log = logging.getLogger(__name__)

FIRST_PAST_SEASON = 2016
FORWARD_SEASONS = 2

# What a series' data can make a fit raise: the calendar's and models' own errors, and the
# numerical failures of a degenerate series. Anything else is a bug and stops the training.
DATA_ERRORS = (ChunyunError, ValueError, ArithmeticError, np.linalg.LinAlgError)


@dataclass
class Inputs:
    """The stored data a training works on, up to the cutoff."""

    history: pd.DataFrame  # the province series (no station rows)
    with_stations: pd.DataFrame  # every usable row, station series too
    cut: pd.Timestamp
    data_end: pd.Timestamp
    fingerprint: str
    skipped: list[dict]  # what usable_history left out


@dataclass
class Plan:
    """Which series and seasons are trained: ``own_past`` are the past seasons each series' history
    supports, ``real`` those with real days (scored by :mod:`forecast.selection`)."""

    uids: list[str]
    parsed: dict[str, tuple[str, str]]  # uid -> (region, metric)
    cut: pd.Timestamp
    past_seasons: list[int]
    forward: list[int]
    end: pd.Timestamp  # the last day forecast: the end of the last forward season's window
    series: dict[str, pd.DataFrame]  # uid -> ds, y, source
    own_past: dict[str, list[int]]
    real: dict[str, list[int]]

    @property
    def seasons(self) -> list[int]:
        return [*self.past_seasons, *self.forward]


@dataclass
class Scores:
    """Every candidate on every real season: uid -> season -> model -> its forecast (``forecasts``)
    and its real-day frame (``frames``), and the seasons no candidate could be fitted on."""

    forecasts: dict[str, dict[int, dict]]
    frames: dict[str, dict[int, dict]]
    left_out: list[dict]


@dataclass
class Fits:
    """What the pool gave back for the series that were trained (``uids``)."""

    uids: list[str]
    season_fcs: dict[tuple[str, int], SeasonForecast] = field(default_factory=dict)
    baselines: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)
    others: dict[str, pd.DataFrame] = field(default_factory=dict)  # uid -> forward days outside the windows
    models_json: dict[str, str] = field(default_factory=dict)
    totals_json: dict[str, dict] = field(default_factory=dict)
    nowcasts: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Task:
    """One unit of work for the process pool: ``kind`` (``score``, ``forward``, ``past``, ``nowcast``)
    for series ``uid`` and ``season`` (None for the forward fit: it serves every forward season)."""

    kind: str
    uid: str
    season: int | None
    series: pd.DataFrame
    choice: selection.Choice | None = None  # forward, past, nowcast: the daily model and its sigma
    cutoff: pd.Timestamp | None = None  # forward: the fit cutoff
    seasons: tuple[int, ...] = ()  # forward: the seasons it forecasts
    end: pd.Timestamp | None = None  # forward: the last day forecast
    estimates: pd.DataFrame | None = None  # nowcast: the same-day estimates of the series and season


@dataclass
class Result:
    """What a task gave back: ``kind`` is the task's, or ``skipped`` (a data error; ``value`` is its
    reason and ``season`` None means the whole series)."""

    kind: str
    uid: str
    season: int | None
    value: Any  # score: model -> forecast; past: PastFit; forward: ForwardFit; nowcast: the report
    seconds: float


@dataclass
class PastFit:
    """A past season forecast season-aligned, and the baseline over its window (backtest columns)."""

    forecast: SeasonForecast
    baseline: pd.DataFrame


@dataclass
class ForwardFit:
    """One series' forward fit: its season forecasts, the other days to the end, the model JSON and
    its season totals, and the forward seasons it could not forecast (``skipped`` entries)."""

    forecasts: dict[int, SeasonForecast]
    other: pd.DataFrame
    model_json: str
    totals: dict[int, dict]
    left_out: list[dict]


def train(store=None, cutoff=None, var_dir=None, workers: int = 2, progress: bool = True,
          history: pd.DataFrame | None = None, engine: str = "local", spark_master: str | None = None) -> Path:
    """Fit every series, write a run and switch ``current`` to it; returns the run directory.

    Station series (``region/metric/station``) are fitted after the province series, on ``engine``
    (``local`` or ``spark``), into the run's ``stations/`` (:mod:`forecast.stations.pipeline`)."""
    t0 = time.perf_counter()
    data = _inputs(store, history, cutoff)
    skipped = list(data.skipped)
    plan = _plan(data.history, data.cut, skipped)
    scores = _score(plan.series, plan.real, workers, progress, t0)
    skipped += scores.left_out
    choices = {(u, s): selection.choose(u, s, scores.frames.get(u, {})) for u in plan.uids for s in plan.seasons}
    fits = _fit(plan, choices, workers, progress, t0, skipped)
    rules = selection.mode_rules(data.history, scores.forecasts, choices, {r for r, _ in plan.parsed.values()}, plan.seasons)
    summaries, forecasts = assemble.assemble(plan, fits, data.history, rules)
    cached = load_cache(data.fingerprint, var_dir)
    if cached is not None:
        bt, bt_kind = cached.metrics, "full (cached)"
    else:
        bt, bt_kind = assemble.light_backtest(data.history, fits.season_fcs, fits.baselines), "light"
    bt = label_actuals(bt, data.history)
    run_id = runs.new_run_id(data.fingerprint)
    for region in summaries.values():
        for summary in region.values():
            summary["run_id"] = run_id
    manifest = assemble.manifest_of(run_id, data, plan, fits, choices, rules, bt_kind, skipped)
    card = assemble.scorecard_of(plan.series, scores.forecasts, choices, fits.nowcasts, bt, fits.season_fcs)
    from forecast.stations import pipeline as station_pipeline

    def stations(staged: Path) -> dict:
        return station_pipeline.train_into(staged, data.with_stations, forecasts, plan.past_seasons, plan.forward,
                                           data.cut, engine=engine, workers=workers, spark_master=spark_master)

    path = assemble.publish(var_dir, t0, manifest, fits, forecasts, bt, summaries, card, stations)
    log.info("published run %s (%d series, %.0f s)", run_id, len(fits.uids), time.perf_counter() - t0)
    return path


def _inputs(store, history: pd.DataFrame | None, cutoff) -> Inputs:
    """The usable stored rows up to the cutoff (default: the data end) and their fingerprint."""
    if history is None:
        from forecast.store import Store

        store = store or Store()
        history = store.read()
    if history.empty:
        raise NotReady("the store is empty", hint="load data with `chunyun prepare` or `chunyun ingest FILE`")
    history = history.copy()
    history["ds"] = pd.to_datetime(history["ds"])
    history, skipped = usable_history(history)
    if history.empty:
        raise _nothing_to_train(skipped)
    data_end = history["ds"].max()
    cut = min(pd.Timestamp(cutoff), data_end) if cutoff is not None else data_end
    if cut < history["ds"].min() + pd.Timedelta(days=365):
        raise Unprocessable(f"cutoff {cut.date()} leaves less than a year of history", hint="pick a later --cutoff")
    history = history[history["ds"] <= cut]
    fingerprint = store.fingerprint(end=cut) if store is not None and not skipped else fingerprint_of(history)
    from forecast.stations import pipeline as station_pipeline

    provinces = history[~station_pipeline.is_station(history["unique_id"])]
    return Inputs(provinces, history, cut, data_end, fingerprint, skipped)


def usable_history(history: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The rows training can use, and a ``skipped`` entry for what it cannot: series unknown to
    the registry, and rows before ``calendar.FIRST_DATA_DAY`` (stored before ingest checked it)."""
    skipped: list[dict] = []
    keep = np.ones(len(history), dtype=bool)
    first = pd.Timestamp(calendar.FIRST_DATA_DAY)
    for uid, idx in history.groupby("unique_id", sort=True).indices.items():
        try:
            parse_series(uid)  # a province series or a toll station's
        except ChunyunError as err:
            keep[idx] = False
            skipped.append({"unique_id": uid, "season": None, "reason": _reason(err)})
            continue
        early = history["ds"].to_numpy()[idx] < first.to_datetime64()
        if early.any():
            keep[idx[early]] = False
            skipped.append({"unique_id": uid, "season": None,
                            "reason": f"{int(early.sum())} rows before {first.date()} not used (the calendar and the "
                                      "models start there)"})
    return history[keep].reset_index(drop=True), skipped


def plan_seasons(history: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[list[int], list[int]]:
    """(past seasons forecast season-aligned, the next seasons forecast from the cutoff)."""
    first = pd.Timestamp(history["ds"].min())
    past = []
    for year in range(max(FIRST_PAST_SEASON, first.year), cutoff.year + 1):
        start = pd.Timestamp(calendar.season(year).chunyun_start)
        if start <= cutoff and (start - first).days >= 300:
            past.append(year)
    forward = []
    year = calendar.season_of(cutoff)
    while len(forward) < FORWARD_SEASONS:
        if pd.Timestamp(calendar.season(year).chunyun_start) > cutoff:
            forward.append(year)
        year += 1
    return past, forward


def _plan(history: pd.DataFrame, cut: pd.Timestamp, skipped: list[dict]) -> Plan:
    """The series and seasons to train; the past seasons a short history cannot support are left
    out for that series (added to ``skipped``)."""
    uids = sorted(history["unique_id"].unique())
    past_seasons, forward = plan_seasons(history, cut)
    series = {u: history[history["unique_id"] == u][["ds", "y", "source"]].reset_index(drop=True) for u in uids}
    own_past = {u: [s for s in past_seasons if s in plan_seasons(series[u], cut)[0]] for u in uids}
    for u in uids:
        skipped += [{"unique_id": u, "season": s, "reason": "less than 300 days of history before the season's window"}
                    for s in past_seasons if s not in own_past[u]]
    real = {u: selection.real_seasons(series[u], own_past[u]) for u in uids}
    return Plan(uids, {u: parse_uid(u) for u in uids}, cut, past_seasons, forward,
                pd.Timestamp(calendar.season(forward[-1]).chunyun_end), series, own_past, real)


def _score(series: dict, real: dict, workers: int, progress: bool, t0: float) -> Scores:
    """Every candidate on every real season (:mod:`forecast.selection`)."""
    tasks = [Task("score", u, s, series[u]) for u in sorted(real) for s in real[u]]
    scores = Scores({}, {}, [])
    results = _run(tasks, workers, progress, t0)
    scores.left_out = [{"unique_id": r.uid, "season": r.season, "reason": f"not scored on its real days: {r.value}"}
                       for r in results if r.kind == "skipped"]
    for r in (r for r in results if r.kind != "skipped"):
        actual = selection.real_actuals(series[r.uid], r.season)
        scores.forecasts.setdefault(r.uid, {})[r.season] = r.value
        scores.frames.setdefault(r.uid, {})[r.season] = {m: selection.score_frame(fc, actual) for m, fc in r.value.items()}
    return scores


def _fit(plan: Plan, choices: dict, workers: int, progress: bool, t0: float, skipped: list[dict]) -> Fits:
    """The forward fit of every series, its past seasons and its nowcasts on the pool; a series whose
    forward fit fails is left out whole. What is left out is added to ``skipped``."""
    first = plan.forward[0]
    tasks = [Task("forward", u, None, plan.series[u], choices[(u, first)], cutoff=plan.cut,
                  seasons=tuple(plan.forward), end=plan.end) for u in plan.uids]
    tasks += [Task("past", u, s, plan.series[u], choices[(u, s)]) for s in reversed(plan.past_seasons)
              for u in plan.uids if s in plan.own_past[u]]
    tasks += [Task("nowcast", u, s, plan.series[u], choices[(u, s)], estimates=_estimates(u, s))
              for u in plan.uids for s in plan.real[u] if (u, s) in choices]
    results = _run(tasks, workers, progress, t0)
    failed = {r.uid for r in results if r.kind == "skipped" and r.season is None}  # the forward fit: the whole series
    skipped += [{"unique_id": r.uid, "season": r.season, "reason": r.value} for r in results if r.kind == "skipped"]
    fits = Fits([u for u in plan.uids if u not in failed])
    if not fits.uids:
        raise _nothing_to_train(skipped)
    for r in results:
        if r.kind == "skipped" or r.uid in failed:
            continue
        if r.kind == "nowcast":
            fits.nowcasts.append(r.value)
        elif r.kind == "past":
            fits.season_fcs[(r.uid, r.season)] = r.value.forecast
            fits.baselines[(r.uid, r.season)] = r.value.baseline
        else:
            skipped += r.value.left_out
            fits.season_fcs |= {(r.uid, s): fc for s, fc in r.value.forecasts.items()}
            fits.others[r.uid] = r.value.other
            fits.models_json[r.uid] = r.value.model_json
            fits.totals_json[r.uid] = r.value.totals
    return fits


def _guarded(task: Task) -> Result:
    """Run one task; a data error becomes a ``skipped`` result with its reason instead of
    stopping every other series (a failed forward fit loses the whole series)."""
    t0 = time.perf_counter()
    try:
        kind, value = task.kind, _TASKS[task.kind](task)
    except DATA_ERRORS as err:
        kind, value = "skipped", _reason(err)
    return Result(kind, task.uid, task.season, value, time.perf_counter() - t0)


def _nothing_to_train(skipped: list[dict]) -> Unprocessable:
    return Unprocessable("no stored series can be trained",
                         hint="; ".join(f"{s['unique_id']}: {s['reason']}" for s in skipped[:5]))


def _reason(err: Exception) -> str:
    return str(err) if isinstance(err, ChunyunError) else f"{type(err).__name__}: {err}"


def _score_task(task: Task) -> dict:
    return selection.fit_candidates(task.series, task.uid, task.season)


def _forward_task(task: Task) -> ForwardFit:
    uid, series, cutoff, choice = task.uid, task.series, task.cutoff, task.choice
    model = make(choice.model).fit(selection.fit_frame(series, cutoff))
    fcs, left_out = {}, []
    for s in task.seasons:
        try:
            fcs[s] = season_forecast(series, uid, s, cutoff, model=choice.model, fitted=model, sigma=choice.sigma)
        except DATA_ERRORS as err:  # this season only
            left_out.append({"unique_id": uid, "season": int(s), "reason": _reason(err)})
    days = pd.date_range(cutoff + pd.Timedelta(days=1), task.end)
    in_window = np.zeros(len(days), dtype=bool)
    for fc in fcs.values():
        in_window |= days.isin(fc.frame["ds"])
    rest = days[~in_window]
    other = level_frame(model, rest).assign(season=OFFICIAL.features(rest)["season"].to_numpy(), model=model.name,
                                            cutoff=cutoff)
    totals = {int(s): {"model": fc.total_model, "total": fc.total, "bounds": {str(k): v for k, v in fc.total_bounds.items()}}
              for s, fc in fcs.items()}
    return ForwardFit(fcs, other, model.to_json(), totals, left_out)


def _past_task(task: Task) -> PastFit:
    cut = calendar.season(task.season).cutoff
    past = task.series[task.series["ds"] <= cut]
    fc = season_forecast(task.series, task.uid, task.season, cut, model=task.choice.model, sigma=task.choice.sigma)
    window = fc.frame["ds"]
    return PastFit(fc, pd.DataFrame({"ds": pd.DatetimeIndex(window), **baseline_columns(past, window)}))


def _nowcast_task(task: Task) -> dict:
    every_day = parse_uid(task.uid)[1] == TOTAL_METRIC  # the revision trail and one day ahead: the headline series
    return scorecard.nowcast_report(task.series, task.uid, task.season, task.choice, task.estimates, every_day=every_day)


_TASKS = {"past": _past_task, "forward": _forward_task, "score": _score_task, "nowcast": _nowcast_task}


def _estimates(uid: str | None, season: int | None) -> pd.DataFrame:
    from forecast import realdays

    return realdays.same_day_estimates(season=season, unique_id=uid)


def _run(tasks: list[Task], workers: int, progress: bool, t0: float) -> list[Result]:
    """Every task's result, in the order of ``tasks`` (progress is reported as they finish), so that
    what a run writes does not depend on which worker finished first."""
    out = []
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_guarded, task): k for k, task in enumerate(tasks)}
            done: dict[int, Result] = {}
            for i, fut in enumerate(as_completed(futures), 1):
                done[futures[fut]] = fut.result()
                _say(progress, i, len(tasks), done[futures[fut]], t0)
            out = [done[k] for k in range(len(tasks))]
    else:
        for i, task in enumerate(tasks, 1):
            res = _guarded(task)
            out.append(res)
            _say(progress, i, len(tasks), res, t0)
    return out


def _say(progress: bool, i: int, n: int, res: Result, t0: float) -> None:
    if progress:
        what = "forward" if res.kind == "forward" else f"{res.kind} {res.season}"
        print(f"train {i}/{n} {res.uid} {what} ({res.seconds:.1f}s, {time.perf_counter() - t0:.0f}s elapsed)",
              file=sys.stderr, flush=True)
