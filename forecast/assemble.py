"""What :func:`forecast.train.train` makes of its fits: each region's season forecasts with the
modes reconciled to the total (and the forward days outside the windows the same way), the
summaries and ``forecasts.parquet`` (:func:`assemble`), the light backtest, the scorecard, the
manifest, all written into a staging directory and published (:func:`publish`; the layout is
:mod:`forecast.runs`').
"""

from __future__ import annotations

import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forecast import metrics, provenance, runs, scorecard
from forecast.backtest import model_columns
from forecast.engine import (
    FRAME_VALUE_COLUMNS,
    SeasonForecast,
    data_kind_of,
    mode_shares,
    reconcile_modes,
    summary_of,
    topdown_ratio,
)
from forecast.registry import MODES, TOTAL_METRIC

if TYPE_CHECKING:
    from forecast.train import Fits, Inputs, Plan


def assemble(plan: Plan, fits: Fits, history: pd.DataFrame, rules: dict) -> tuple[dict, pd.DataFrame]:
    """Each region's season forecasts with modes reconciled to the total (``rules``: (region, season) ->
    :class:`forecast.selection.ModeRule`), and the forward days outside the windows the same way: the
    summaries (region -> season -> summary) and ``forecasts.parquet``."""
    regions = sorted({region for region, _ in plan.parsed.values()})
    summaries: dict = {}
    rows = []
    for region in regions:
        summaries[region] = {}
        for s in plan.seasons:
            group = {plan.parsed[u][1]: fits.season_fcs[(u, s)] for u in fits.uids
                     if plan.parsed[u][0] == region and (u, s) in fits.season_fcs}
            if not group:
                continue
            reconcile_modes(group, mode_shares(history, region, s, group, rules[(region, s)].rule))
            summaries[region][str(s)] = summary_of(group, region, s, next(iter(group.values())).cutoff, history=history)
            rows += [_season_rows(fc) for fc in group.values()]
        region_others = {u: fits.others[u] for u in fits.uids if plan.parsed[u][0] == region and u in fits.others}
        _reconcile_other(region_others, region)
    rows += [f.assign(unique_id=u) for u, f in fits.others.items()]
    forecasts = pd.concat(rows, ignore_index=True)
    forecasts = forecasts[["unique_id", "ds", "season", "cutoff", "model", *FRAME_VALUE_COLUMNS]]
    forecasts = forecasts.sort_values(["unique_id", "ds"]).drop_duplicates(["unique_id", "ds"], keep="first").reset_index(drop=True)
    return summaries, forecasts


def _reconcile_other(frames: dict[str, pd.DataFrame], region: str) -> None:
    """Scale the modes' non-window forward days (:func:`forecast.engine.topdown_ratio`) so they add
    up to the total, day by day; a day the total or a mode lacks is left as it is."""
    uids = {m: f"{region}/{m}" for m in (*MODES, TOTAL_METRIC)}
    if not all(u in frames for u in uids.values()):
        return
    top = frames[uids[TOTAL_METRIC]].set_index("ds")["yhat"]
    modes_sum = sum(frames[uids[m]].set_index("ds")["yhat"] for m in MODES).reindex(top.index)
    ratio = pd.Series(topdown_ratio(top.to_numpy(), modes_sum.to_numpy()), index=top.index)
    for m in MODES:
        f = frames[uids[m]]
        r = ratio.reindex(f["ds"]).fillna(1.0).to_numpy()
        for col in FRAME_VALUE_COLUMNS:
            f[col] = f[col].to_numpy() * r


def _season_rows(fc: SeasonForecast) -> pd.DataFrame:
    f = fc.frame
    return pd.DataFrame({"unique_id": fc.unique_id, "ds": f["ds"].to_numpy(), "season": fc.season, "cutoff": fc.cutoff,
                         "model": fc.model, **{c: f[c].to_numpy() for c in FRAME_VALUE_COLUMNS}})


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


def scorecard_of(series: dict, scored_fcs: dict, choices: dict, nowcasts: list, backtest: pd.DataFrame,
                 served: dict) -> dict:
    """What ``scorecard.json`` holds (see :mod:`forecast.scorecard`)."""
    from forecast import realdays, reference

    ref = reference.load_reference()
    real, official = [], []
    for uid, seasons in sorted(scored_fcs.items()):
        for season, forecasts in sorted(seasons.items()):
            rows = scorecard.real_rows(series[uid], uid, season, forecasts, choices[(uid, season)].model,
                                       served.get((uid, season)))
            real += rows
            official += scorecard.official_rows(ref, uid, season, rows[0]["actual_total"] if rows else None)
    return {"real": real, "official": official,
            "estimates": scorecard.estimate_rows(realdays.same_day_estimates(season=None, unique_id=None)),
            "nowcast": [row for n in nowcasts for row in n["after"]],
            "one_day_ahead": [n["one_day_ahead"] for n in nowcasts if n["one_day_ahead"]],
            "vintages": [row for n in nowcasts for row in n["vintages"]],
            "selection": {u: {str(s): c.to_dict() for (uu, s), c in sorted(choices.items()) if uu == u}
                          for u in sorted(scored_fcs)},
            "sample": scorecard.sample_rows(backtest)}


def manifest_of(run_id: str, data: Inputs, plan: Plan, fits: Fits, choices: dict, rules: dict, bt_kind: str,
                skipped: list[dict]) -> dict:
    """``manifest.json`` but ``stations`` and ``train_seconds`` (known once the run is written)."""
    first = plan.forward[0]
    return {
        "schema_version": runs.RUN_SCHEMA_VERSION, "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cutoff": data.cut.date().isoformat(), "data_end": data.data_end.date().isoformat(),
        "data_fingerprint": data.fingerprint, "data_kind": data_kind_of(data.history), "series": fits.uids,
        "models": {u: f"{choices[(u, first)].model}+{fits.season_fcs[(u, first)].total_model}"
                   if (u, first) in fits.season_fcs else choices[(u, first)].model for u in fits.uids},
        "model_details": {u: {"daily": choices[(u, first)].model,
                              "daily_choice": {str(s): choices[(u, s)].to_dict() for s in plan.seasons},
                              "total": {str(s): fits.season_fcs[(u, s)].total_model for s in plan.forward
                                        if (u, s) in fits.season_fcs}}
                          for u in fits.uids},
        "series_kinds": {u: provenance.frame_kind(plan.series[u][plan.series[u]["ds"] <= data.cut]) for u in fits.uids},
        "mode_totals": {r: {str(s): rule.to_dict() for (rr, s), rule in sorted(rules.items()) if rr == r}
                        for r in sorted({r for r, _ in rules})},
        "seasons": plan.seasons, "past_seasons": plan.past_seasons, "forward_seasons": plan.forward,
        "backtest": bt_kind, "versions": _versions(), "train_seconds": None,
        "skipped": sorted(skipped, key=lambda e: (e["unique_id"], e["season"] or 0)),
    }


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


def publish(var_dir, t0: float, manifest: dict, fits: Fits, forecasts: pd.DataFrame, bt: pd.DataFrame,
            summaries: dict, card: dict, stations) -> Path:
    """Write the run into a staging directory (``stations(staged)`` trains the station series into
    it and returns the manifest's ``stations``) and publish it."""
    staged = runs.staging_dir(var_dir)
    try:
        (staged / "models").mkdir()
        for uid, text in fits.models_json.items():
            name = uid.replace("/", "__")
            (staged / "models" / f"{name}.json").write_text(text, encoding="utf-8")
            (staged / "models" / f"{name}.totals.json").write_text(json.dumps(fits.totals_json[uid], indent=1),
                                                                   encoding="utf-8")
        forecasts.to_parquet(staged / "forecasts.parquet", index=False)
        manifest["stations"] = stations(staged)
        bt.to_parquet(staged / "backtest.parquet", index=False)
        (staged / "summaries.json").write_text(json.dumps(summaries, ensure_ascii=False, indent=1), encoding="utf-8")
        (staged / "scorecard.json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
        manifest["train_seconds"] = round(time.perf_counter() - t0, 1)
        (staged / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        return runs.publish(staged, manifest["run_id"], var_dir)
    except BaseException:
        runs.discard(staged)
        raise
