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

import json
import logging
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import calendar, metrics, runs, scorecard, selection
from forecast.backtest import label_actuals, load_cache, model_columns
from forecast.engine import (
    SeasonForecast,
    data_kind_of,
    reconcile_modes,
    season_forecast,
    summary_of,
)
from forecast.errors import ChunyunError, NotReady, Unprocessable
from forecast.models import BASELINE, make
from forecast.models.features import OFFICIAL
from forecast.registry import MODES, TOTAL_METRIC, parse_series, parse_uid
from forecast.store import fingerprint_of

log = logging.getLogger(__name__)

FIRST_PAST_SEASON = 2016
FORWARD_SEASONS = 2
LEVEL_COLS = ["yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95"]

# What a series' data can make a fit raise: the calendar's and models' own errors, and the
# numerical failures of a degenerate series. Anything else is a bug and stops the training.
DATA_ERRORS = (ChunyunError, ValueError, ArithmeticError, np.linalg.LinAlgError)


def _versions() -> dict:
    import numpy
    import prophet
    import statsmodels

    try:
        from importlib.metadata import version

        chunyun = version("chunyun")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        chunyun = "unknown"
    return {"python": platform.python_version(), "pandas": pd.__version__, "numpy": numpy.__version__,
            "statsmodels": statsmodels.__version__, "prophet": prophet.__version__, "chunyun": chunyun}


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


def _guarded(args):
    """Run one task; a data error becomes a ``skipped`` result with its reason instead of
    stopping every other series."""
    fn, task_args = args
    t0 = time.perf_counter()
    try:
        return fn(task_args)
    except DATA_ERRORS as err:
        uid = task_args[1]
        season = None if fn is _forward_task else task_args[2]  # a failed forward fit loses the whole series
        return "skipped", uid, season, _reason(err), None, time.perf_counter() - t0


def _reason(err: Exception) -> str:
    return str(err) if isinstance(err, ChunyunError) else f"{type(err).__name__}: {err}"


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


def _past_task(args):
    series, uid, season, choice = args
    t0 = time.perf_counter()
    start = pd.Timestamp(calendar.season(season).chunyun_start)
    cut = start - pd.Timedelta(days=1)
    past = series[series["ds"] <= cut]
    fc = season_forecast(series, uid, season, cut, model=choice.model, sigma=choice.sigma)
    base = make(BASELINE).fit(past)
    window = fc.frame["ds"]
    b80, b95 = base.predict(window, 80), base.predict(window, 95)
    baseline = pd.DataFrame({"ds": window.to_numpy(), BASELINE: b80["yhat"].to_numpy(),
                             f"{BASELINE}-lo-80": b80["yhat_lower"].to_numpy(), f"{BASELINE}-hi-80": b80["yhat_upper"].to_numpy(),
                             f"{BASELINE}-lo-95": b95["yhat_lower"].to_numpy(), f"{BASELINE}-hi-95": b95["yhat_upper"].to_numpy()})
    return "past", uid, season, fc, baseline, time.perf_counter() - t0


def _forward_task(args):
    series, uid, cutoff, seasons, end, choice = args
    t0 = time.perf_counter()
    model = make(choice.model).fit(selection.fit_frame(series, cutoff))
    fcs, left_out = {}, []
    for s in seasons:
        try:
            fcs[s] = season_forecast(series, uid, s, cutoff, fitted=model, sigma=choice.sigma)
        except DATA_ERRORS as err:  # this season only
            left_out.append({"unique_id": uid, "season": int(s), "reason": _reason(err)})
    days = pd.date_range(cutoff + pd.Timedelta(days=1), end)
    in_window = np.zeros(len(days), dtype=bool)
    for fc in fcs.values():
        in_window |= days.isin(fc.frame["ds"])
    rest = days[~in_window]
    p80, p95 = model.predict(rest, 80), model.predict(rest, 95)
    other = pd.DataFrame({"ds": rest, "yhat": p80["yhat"].to_numpy(),
                          "yhat_lower_80": p80["yhat_lower"].to_numpy(), "yhat_upper_80": p80["yhat_upper"].to_numpy(),
                          "yhat_lower_95": p95["yhat_lower"].to_numpy(), "yhat_upper_95": p95["yhat_upper"].to_numpy(),
                          "season": OFFICIAL.features(rest)["season"].to_numpy(), "model": model.name,
                          "cutoff": cutoff})
    totals = {int(s): {"model": fc.total_model, "total": fc.total, "bounds": {str(k): v for k, v in fc.total_bounds.items()}}
              for s, fc in fcs.items()}
    return "forward", uid, (fcs, other, model.to_json(), totals, left_out), None, None, time.perf_counter() - t0


def _score_task(args):
    series, uid, season = args
    t0 = time.perf_counter()
    return "score", uid, season, selection.fit_candidates(series, uid, season), None, time.perf_counter() - t0


def _nowcast_task(args):
    series, uid, season, choice, estimates = args
    t0 = time.perf_counter()
    every_day = parse_uid(uid)[1] == TOTAL_METRIC  # the revision trail and one day ahead: the headline series
    report = scorecard.nowcast_report(series, uid, season, choice, estimates, every_day=every_day)
    return "nowcast", uid, season, report, None, time.perf_counter() - t0


def _season_rows(fc: SeasonForecast) -> pd.DataFrame:
    f = fc.frame
    return pd.DataFrame({"unique_id": fc.unique_id, "ds": f["ds"].to_numpy(), "season": fc.season, "cutoff": fc.cutoff,
                         "model": fc.model, "yhat": f["yhat"].to_numpy(), **{c: f[c].to_numpy() for c in LEVEL_COLS}})


def _reconcile_other(frames: dict[str, pd.DataFrame], region: str) -> None:
    """Scale the modes' non-window forward days so they add up to the total, day by day."""
    uids = {m: f"{region}/{m}" for m in (*MODES, TOTAL_METRIC)}
    if not all(u in frames for u in uids.values()):
        return
    top = frames[uids[TOTAL_METRIC]].set_index("ds")["yhat"]
    modes_sum = sum(frames[uids[m]].set_index("ds")["yhat"] for m in MODES)
    ratio = (top / modes_sum.where(modes_sum > 0)).fillna(1.0)
    for m in MODES:
        f = frames[uids[m]]
        r = ratio.reindex(f["ds"]).fillna(1.0).to_numpy()
        for col in ("yhat", *LEVEL_COLS):
            f[col] = f[col].to_numpy() * r


def train(store=None, cutoff=None, var_dir=None, workers: int = 2, progress: bool = True,
          history: pd.DataFrame | None = None, engine: str = "local", spark_master: str | None = None) -> Path:
    """Fit every series, write a run and switch ``current`` to it; returns the run directory.

    Station series (``region/metric/station``) are fitted after the province series, on ``engine``
    (``local`` or ``spark``), into the run's ``stations/`` (:mod:`forecast.stations.pipeline`)."""
    t0 = time.perf_counter()
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
        raise Unprocessable("no stored series can be trained", hint="; ".join(f"{s['unique_id']}: {s['reason']}"
                                                                           for s in skipped[:5]))
    data_end = history["ds"].max()
    cut = min(pd.Timestamp(cutoff), data_end) if cutoff is not None else data_end
    if cut < history["ds"].min() + pd.Timedelta(days=365):
        raise Unprocessable(f"cutoff {cut.date()} leaves less than a year of history", hint="pick a later --cutoff")
    history = history[history["ds"] <= cut]
    fingerprint = store.fingerprint(end=cut) if store is not None and not skipped else fingerprint_of(history)
    from forecast.stations import pipeline as station_pipeline

    with_stations, history = history, history[~station_pipeline.is_station(history["unique_id"])]
    uids = sorted(history["unique_id"].unique())
    parsed = {u: parse_uid(u) for u in uids}  # (region, metric)
    data_kind = data_kind_of(history)
    past_seasons, forward = plan_seasons(history, cut)
    end = pd.Timestamp(calendar.season(forward[-1]).chunyun_end)
    series = {u: history[history["unique_id"] == u][["ds", "y", "source"]].reset_index(drop=True) for u in uids}
    own_past = {u: [s for s in past_seasons if s in plan_seasons(series[u], cut)[0]] for u in uids}
    for u in uids:  # the seasons a short history cannot support are left out for that series
        skipped += [{"unique_id": u, "season": s, "reason": "less than 300 days of history before the season's window"}
                    for s in past_seasons if s not in own_past[u]]
    real = {u: selection.real_seasons(series[u], own_past[u]) for u in uids}
    scored_fcs, scored, left_out = _score(series, real, workers, progress, t0)
    skipped += left_out
    choices = {(u, s): selection.choose(u, s, scored.get(u, {})) for u in uids for s in [*past_seasons, *forward]}
    tasks = [(_guarded, (_forward_task, (series[u], u, cut, forward, end, choices[(u, forward[0])]))) for u in uids]
    tasks += [(_guarded, (_past_task, (series[u], u, s, choices[(u, s)]))) for s in reversed(past_seasons) for u in uids
              if s in own_past[u]]
    tasks += [(_guarded, (_nowcast_task, (series[u], u, s, choices[(u, s)], _estimates(u, s))))
              for u in uids for s in real[u] if (u, s) in choices]
    results = _run(tasks, workers, progress, t0)
    failed = {r[1] for r in results if r[0] == "skipped" and r[2] is None}  # the forward fit: the whole series
    skipped += [{"unique_id": r[1], "season": r[2], "reason": r[3]} for r in results if r[0] == "skipped"]
    results = [r for r in results if r[0] != "skipped" and r[1] not in failed]
    uids = [u for u in uids if u not in failed]
    if not uids:
        raise Unprocessable("no stored series can be trained", hint="; ".join(f"{s['unique_id']}: {s['reason']}"
                                                                           for s in skipped[:5]))

    season_fcs: dict[tuple[str, int], SeasonForecast] = {}
    baselines: dict[tuple[str, int], pd.DataFrame] = {}
    others: dict[str, pd.DataFrame] = {}
    models_json: dict[str, str] = {}
    totals_json: dict[str, dict] = {}
    nowcasts = []
    for kind, uid, a, b, _, _secs in results:
        if kind == "nowcast":
            nowcasts.append(b)
        elif kind == "past":
            season_fcs[(uid, a)] = b
            baselines[(uid, a)] = _
        else:
            fcs, other, model_json, totals, left_out = a
            skipped += left_out
            for s, fc in fcs.items():
                season_fcs[(uid, s)] = fc
            others[uid] = other
            models_json[uid] = model_json
            totals_json[uid] = totals
    regions = sorted({region for region, _ in parsed.values()})
    summaries: dict = {}
    rows = []
    for region in regions:
        summaries[region] = {}
        for s in [*past_seasons, *forward]:
            group = {parsed[u][1]: season_fcs[(u, s)] for u in uids if parsed[u][0] == region and (u, s) in season_fcs}
            if not group:
                continue
            reconcile_modes(group)
            summaries[region][str(s)] = summary_of(group, region, s, next(iter(group.values())).cutoff, history=history)
            rows += [_season_rows(fc) for fc in group.values()]
        region_others = {u: others[u] for u in uids if parsed[u][0] == region and u in others}
        _reconcile_other(region_others, region)
    rows += [f.assign(unique_id=u) for u, f in others.items()]
    forecasts = pd.concat(rows, ignore_index=True)
    forecasts = forecasts[["unique_id", "ds", "season", "cutoff", "model", "yhat", *LEVEL_COLS]]
    forecasts = forecasts.sort_values(["unique_id", "ds"]).drop_duplicates(["unique_id", "ds"], keep="first").reset_index(drop=True)

    cached = load_cache(fingerprint, var_dir)
    if cached is not None:
        bt, bt_kind = cached.metrics, "full (cached)"
    else:
        bt, bt_kind = light_backtest(history, season_fcs, baselines), "light"
    bt = label_actuals(bt, history)

    run_id = runs.new_run_id(fingerprint)
    for region in summaries.values():
        for summary in region.values():
            summary["run_id"] = run_id
    manifest = {
        "schema_version": runs.RUN_SCHEMA_VERSION, "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cutoff": cut.date().isoformat(), "data_end": data_end.date().isoformat(),
        "data_fingerprint": fingerprint, "data_kind": data_kind, "series": uids,
        "models": {u: f"{choices[(u, forward[0])].model}+{season_fcs[(u, forward[0])].total_model}"
                   if (u, forward[0]) in season_fcs else choices[(u, forward[0])].model for u in uids},
        "model_details": {u: {"daily": choices[(u, forward[0])].model,
                              "daily_choice": {str(s): choices[(u, s)].to_dict() for s in [*past_seasons, *forward]},
                              "total": {str(s): season_fcs[(u, s)].total_model for s in forward if (u, s) in season_fcs}}
                          for u in uids},
        "seasons": [*past_seasons, *forward], "past_seasons": past_seasons, "forward_seasons": forward,
        "backtest": bt_kind, "versions": _versions(), "train_seconds": None,
        "skipped": sorted(skipped, key=lambda e: (e["unique_id"], e["season"] or 0)),
    }
    staged = runs.staging_dir(var_dir)
    try:
        (staged / "models").mkdir()
        for uid, text in models_json.items():
            name = uid.replace("/", "__")
            (staged / "models" / f"{name}.json").write_text(text, encoding="utf-8")
            (staged / "models" / f"{name}.totals.json").write_text(json.dumps(totals_json[uid], indent=1), encoding="utf-8")
        forecasts.to_parquet(staged / "forecasts.parquet", index=False)
        manifest["stations"] = station_pipeline.train_into(staged, with_stations, forecasts, past_seasons, forward, cut,
                                                           engine=engine, workers=workers, spark_master=spark_master)
        bt.to_parquet(staged / "backtest.parquet", index=False)
        (staged / "summaries.json").write_text(json.dumps(summaries, ensure_ascii=False, indent=1), encoding="utf-8")
        card = _scorecard(series, scored_fcs, choices, nowcasts, bt, season_fcs)
        (staged / "scorecard.json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
        manifest["train_seconds"] = round(time.perf_counter() - t0, 1)
        (staged / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        path = runs.publish(staged, run_id, var_dir)
    except BaseException:
        runs.discard(staged)
        raise
    log.info("published run %s (%d series, %.0f s)", run_id, len(uids), time.perf_counter() - t0)
    return path


def _score(series: dict, real: dict, workers: int, progress: bool, t0: float):
    """Every candidate on every real season (:mod:`forecast.selection`): the forecasts, their
    real-day frames, and the seasons left out because a candidate could not be fitted there."""
    tasks = [(_guarded, (_score_task, (series[u], u, s))) for u in sorted(real) for s in real[u]]
    fcs: dict[str, dict[int, dict]] = {}
    scored: dict[str, dict[int, dict]] = {}
    results = _run(tasks, workers, progress, t0)
    left_out = [{"unique_id": r[1], "season": r[2], "reason": f"not scored on its real days: {r[3]}"}
                for r in results if r[0] == "skipped"]
    for _kind, uid, season, forecasts, _, _secs in (r for r in results if r[0] != "skipped"):
        actual = selection.real_actuals(series[uid], season)
        fcs.setdefault(uid, {})[season] = forecasts
        scored.setdefault(uid, {})[season] = {m: selection.score_frame(fc, actual) for m, fc in forecasts.items()}
    return fcs, scored, left_out


def _estimates(uid: str | None, season: int | None) -> pd.DataFrame:
    from forecast import realdays

    return realdays.same_day_estimates(season=season, unique_id=uid)


def _scorecard(series: dict, scored_fcs: dict, choices: dict, nowcasts: list, backtest: pd.DataFrame,
               served: dict) -> dict:
    """What ``scorecard.json`` holds (see :mod:`forecast.scorecard`)."""
    from forecast import reference

    ref = reference.load_reference()
    real, official = [], []
    for uid, seasons in sorted(scored_fcs.items()):
        for season, forecasts in sorted(seasons.items()):
            rows = scorecard.real_rows(series[uid], uid, season, forecasts, choices[(uid, season)].model,
                                       served.get((uid, season)))
            real += rows
            official += scorecard.official_rows(ref, uid, season, rows[0]["actual_total"] if rows else None)
    return {"real": real, "official": official,
            "estimates": scorecard.estimate_rows(_estimates(None, None)),
            "nowcast": [row for n in nowcasts for row in n["after"]],
            "one_day_ahead": [n["one_day_ahead"] for n in nowcasts if n["one_day_ahead"]],
            "vintages": [row for n in nowcasts for row in n["vintages"]],
            "selection": {u: {str(s): c.to_dict() for (uu, s), c in sorted(choices.items()) if uu == u}
                          for u in sorted(scored_fcs)},
            "sample": scorecard.sample_rows(backtest)}


def light_backtest(history: pd.DataFrame, season_fcs: dict, baselines: dict) -> pd.DataFrame:
    """Metrics of the chosen model (reconciled) and the baseline on the past seasons already fitted."""
    frames = []
    actual = history.set_index(["unique_id", "ds"])["y"]
    for (uid, season), base in baselines.items():
        fc = season_fcs[(uid, season)]
        f = fc.frame
        y = actual.reindex(pd.MultiIndex.from_arrays([[uid] * len(f), f["ds"]])).to_numpy()
        frame = pd.DataFrame({"unique_id": uid, "season": season, "ds": f["ds"].to_numpy(), "cutoff": fc.cutoff, "y": y,
                              **model_columns("chosen", fc)})
        frame = frame.merge(base, on="ds", how="left")
        frames.append(frame[frame["y"].notna()])
    if not frames:
        return pd.DataFrame(columns=metrics.TIDY)
    return metrics.evaluate(pd.concat(frames, ignore_index=True))


def _run(tasks, workers: int, progress: bool, t0: float) -> list:
    out = []
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(fn, args) for fn, args in tasks]
            for i, fut in enumerate(as_completed(futures), 1):
                res = fut.result()
                out.append(res)
                _say(progress, i, len(tasks), res, t0)
    else:
        for i, (fn, args) in enumerate(tasks, 1):
            res = fn(args)
            out.append(res)
            _say(progress, i, len(tasks), res, t0)
    return out


def _say(progress: bool, i: int, n: int, res, t0: float) -> None:
    if progress:
        kind, uid, a = res[0], res[1], res[2]
        what = "forward" if kind == "forward" else f"{kind} {a}"
        print(f"train {i}/{n} {uid} {what} ({res[-1]:.1f}s, {time.perf_counter() - t0:.0f}s elapsed)", file=sys.stderr, flush=True)
