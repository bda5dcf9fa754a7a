"""What-ifs before a season: change an input, rerun the forecast, set it beside the base.

:func:`base_forecast` runs the engine once for a region and season (``forecast.engine.region_season``
with daily models fitted once and kept, so the scenarios reuse them). Each scenario is a change of
one input, applied to that base:

- :func:`growth`: the season's year-on-year growth a few points higher or lower (the season-total
  input): every day of every series is scaled by ``(1 + (g + d)/100) / (1 + g/100)``;
- :func:`holiday_length`: an official holiday of ``days`` days instead of the announced block
  (the calendar input): the fitted daily models predict the window again on the changed calendar
  and each day is scaled by the ratio of the new to the old prediction, so the season total moves
  with the daily models' sum (more holiday days, more trips);
- :func:`no_toll_free`: no free motorway passage for small cars (calendar input, same way);
- :func:`storm`: roads closed on some days: the road series lose ``closure`` of their traffic on
  those days, ``recovery`` of the lost trips are made on the days after, rail takes ``rail_uplift``
  more on the closed days; ``cross_regional_trips`` is the sum of the modes again.

Observed days (a nowcast's actuals) never change. Calendar and growth scenarios end with the
engine's top-down reconciliation (:func:`forecast.engine.reconcile_modes`), so modes add up to the
total as in the base.

A calendar scenario changes the season's ``calendar.Season`` (``dataclasses.replace``) and passes
it to the fitted models as a :class:`forecast.models.features.Calendar`
(``model.predict(days, cal=...)``): nothing global changes, so scenarios may run in threads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
import pandas as pd

from forecast import calendar, engine, registry
from forecast.errors import NotFound
from forecast.models.features import OFFICIAL
from forecast.registry import METRICS, MODES, TOTAL_METRIC

ROAD_SERIES = ("highway_exit_vehicles", "selfdrive_trips", "road_passengers")


@dataclass
class Base:
    """A region's base forecast for one season, with the fitted daily models it came from."""

    region: str
    season: int
    cutoff: pd.Timestamp
    as_of: pd.Timestamp | None
    data_kind: str
    forecasts: dict  # metric -> engine.SeasonForecast (modes reconciled)
    fitted: dict = field(default_factory=dict)  # unique_id -> fitted daily model

    def summary(self) -> dict:
        return engine.summary_of(self.forecasts, self.region, self.season, self.cutoff, self.data_kind)


@dataclass
class Scenario:
    name: str
    description: str
    forecasts: dict  # metric -> engine.SeasonForecast

    def summary(self, base: Base) -> dict:
        return engine.summary_of(self.forecasts, base.region, base.season, base.cutoff, base.data_kind)


def _series_task(args):
    history, unique_id, season, cutoff, as_of, fcut = args
    model = engine.fit_series(history, unique_id, fcut)
    return unique_id, model, engine.season_forecast(history, unique_id, season, cutoff, as_of, fitted=model)


def base_forecast(history: pd.DataFrame, region: str, season: int, cutoff=None, as_of=None, metrics=None,
                  workers: int = 1) -> Base:
    """The engine's forecast of ``region`` for ``season`` as known at ``cutoff`` (nowcast to ``as_of``).

    What ``forecast.engine.region_season`` does (``season_forecast`` per series, then
    ``reconcile_modes``), keeping each series' fitted daily model for the calendar scenarios; the
    series run on ``workers`` processes. Only history up to the information date is passed on.
    """
    region = registry.resolve_region(region)
    ds = pd.to_datetime(history["ds"])
    data_end = ds.max()
    cut = min(pd.Timestamp(cutoff), data_end) if cutoff is not None else data_end
    info = pd.Timestamp(as_of) if as_of is not None else cut
    hist = history[ds <= max(cut, info)]
    fcut = engine.fit_cutoff(int(season), min(info, data_end))
    names = list(metrics or METRICS)
    if any(m in MODES for m in names) or TOTAL_METRIC in names:
        names = list(dict.fromkeys([*names, TOTAL_METRIC, *MODES]))  # modes reconcile to the total
    have = set(hist["unique_id"].unique())
    tasks = [(hist[hist["unique_id"] == f"{region}/{m}"], f"{region}/{m}", int(season), cut, as_of, fcut)
             for m in names if f"{region}/{m}" in have]
    if not tasks:
        raise NotFound(f"no history for region {region}", hint="`chunyun series` lists the stored series")
    results = engine.map_series(_series_task, tasks, workers)
    fitted = {uid: model for uid, model, _ in results}
    forecasts = engine.reconcile_modes({registry.parse_uid(uid)[1]: fc for uid, _, fc in results})
    return Base(region, int(season), cut, None if as_of is None else pd.Timestamp(as_of), engine.data_kind_of(hist),
                forecasts, fitted)


# ---------------------------------------------------------------------------------------------
# applying a change

def scale(fc, ratio) -> object:
    """A copy of a ``SeasonForecast`` with every unobserved day multiplied by ``ratio`` (scalar or per day)."""
    out = copy.copy(fc)
    out.frame = fc.frame.copy()
    out.extra = dict(fc.extra)
    engine.rescale(out, ratio)
    return out


def growth(base: Base, points: float) -> Scenario:
    """Every series' season growth ``points`` percentage points higher (negative: lower)."""
    summary = base.summary()["metrics"]
    out = {}
    for metric, fc in base.forecasts.items():
        g = summary[metric]["yoy_pct"]
        ratio = (1 + ((g or 0.0) + points) / 100) / (1 + (g or 0.0) / 100)
        out[metric] = scale(fc, ratio)
    sign = "+" if points >= 0 else ""
    return Scenario(f"growth {sign}{points:g} pts", f"year-on-year growth {sign}{points:g} percentage points", engine.reconcile_modes(out))


# ---------------------------------------------------------------------------------------------
# calendar changes

def calendar_scenario(base: Base, name: str, description: str, changed: calendar.Season) -> Scenario:
    """Predict each series' window again on the calendar with ``changed`` in place of its season's
    official calendar; scale the base by new/old per day."""
    cal = OFFICIAL.replace_season(changed)
    out = {}
    for metric, fc in base.forecasts.items():
        model = base.fitted.get(fc.unique_id)
        if model is None:
            out[metric] = scale(fc, 1.0)
            continue
        days = pd.DatetimeIndex(fc.frame["ds"])
        before = model.predict(days)["yhat"].to_numpy(dtype=float)
        after = model.predict(days, cal=cal)["yhat"].to_numpy(dtype=float)
        out[metric] = scale(fc, np.where(before > 0, after / np.maximum(before, 1e-9), 1.0))
    return Scenario(name, description, engine.reconcile_modes(out))


def holiday_length(base: Base, days: int) -> Scenario:
    """The Spring Festival holiday lasting ``days`` days from the announced first day (toll-free days
    follow the block; a make-up workday that falls inside it is dropped)."""
    s = calendar.season(base.season)
    announced = (s.holiday_end - s.holiday_start).days + 1
    end = s.holiday_start + timedelta(days=int(days) - 1)
    changed = replace(s, holiday_end=end, makeup_workdays=tuple(d for d in s.makeup_workdays if not s.holiday_start <= d <= end),
                      toll_free_end=end if s.toll_free_start is not None else None)
    return calendar_scenario(base, f"{days}-day holiday",
                             f"a {days}-day Spring Festival holiday ({s.holiday_start}..{end}) instead of the announced "
                             f"{announced} days", changed)


def no_toll_free(base: Base) -> Scenario:
    """No toll-free motorway days for small passenger cars this season."""
    s = calendar.season(base.season)
    return calendar_scenario(base, "no toll-free days", "no free motorway passage for small cars",
                             replace(s, toll_free_start=None, toll_free_end=None))


# ---------------------------------------------------------------------------------------------
# a storm

def storm(base: Base, start=None, days: int = 3, closure: float = 0.6, recovery: float = 0.7,
          recovery_days: int = 4, rail_uplift: float = 0.10) -> Scenario:
    """Roads closed for ``days`` days from ``start`` (default: 4 days before the holiday block).

    On those days the road series (highway exits, self-driving, operating road) lose ``closure`` of
    their forecast; ``recovery`` of what was lost is made up evenly over the ``recovery_days``
    after; rail carries ``rail_uplift`` more on the closed days; air and water are unchanged;
    ``cross_regional_trips`` is the sum of the modes again.
    """
    s = calendar.season(base.season)
    start = pd.Timestamp(start) if start is not None else pd.Timestamp(s.holiday_start) - pd.Timedelta(days=4)
    closed_days = pd.date_range(start, periods=int(days), freq="D")
    after_days = pd.date_range(closed_days[-1] + pd.Timedelta(days=1), periods=int(recovery_days), freq="D")
    out = {}
    for metric, fc in base.forecasts.items():
        f = fc.frame
        ds = pd.DatetimeIndex(f["ds"])
        yhat = f["yhat"].to_numpy(dtype=float)
        ratio = np.ones(len(f))
        closed = ds.isin(closed_days)
        if metric in ROAD_SERIES:
            lost = closure * yhat[closed].sum()
            ratio[closed] = 1 - closure
            later = ds.isin(after_days)
            if later.any() and yhat[later].sum() > 0:
                ratio[later] = 1 + recovery * lost / yhat[later].sum()
        elif metric == "rail_passengers":
            ratio[closed] = 1 + rail_uplift
        out[metric] = scale(fc, ratio)
    if TOTAL_METRIC in out and all(m in out for m in MODES):
        modes_base = sum(base.forecasts[m].frame["yhat"].to_numpy(dtype=float) for m in MODES)
        modes_new = sum(out[m].frame["yhat"].to_numpy(dtype=float) for m in MODES)
        out[TOTAL_METRIC] = scale(base.forecasts[TOTAL_METRIC], np.where(modes_base > 0, modes_new / modes_base, 1.0))
    when = f"{closed_days[0].date()}..{closed_days[-1].date()}"
    return Scenario(f"storm {closed_days[0]:%m-%d}+{days}d",
                    f"roads closed {when}: road traffic -{closure:.0%}, {recovery:.0%} made up over the next "
                    f"{recovery_days} days, rail +{rail_uplift:.0%}", out)


# ---------------------------------------------------------------------------------------------
# side by side

def compare(base: Base, scenarios) -> pd.DataFrame:
    """One row per scenario and metric: season total and peak (in 万) and their change against the base."""
    rows = []
    base_metrics = base.summary()["metrics"]
    for sc in [None, *scenarios]:
        metrics = base_metrics if sc is None else sc.summary(base)["metrics"]
        for metric, m in metrics.items():
            b = base_metrics[metric]
            rows.append({"scenario": "base" if sc is None else sc.name, "metric": metric,
                         "unit": METRICS[metric].display_unit, "total": round(m["total"] / 1e4, 1),
                         "total vs base %": round((m["total"] / b["total"] - 1) * 100, 2),
                         "peak day": m["peak_date"], "peak": round(m["peak_value"] / 1e4, 1),
                         "peak vs base %": round((m["peak_value"] / b["peak_value"] - 1) * 100, 2)})
    return pd.DataFrame(rows)


def compare_wide(table: pd.DataFrame, column: str = "total") -> pd.DataFrame:
    """:func:`compare` as metric x scenario for one column."""
    order = list(dict.fromkeys(table["scenario"]))
    wide = table.pivot(index="metric", columns="scenario", values=column)[order]
    return wide.reindex([m for m in METRICS if m in wide.index])
