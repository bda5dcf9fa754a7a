"""What planners and ops read from a run's station forecasts: the day's ranking of stations by
forecast exits or by load against design capacity, the lane plan, and capacity alerts.

- **load ratio** = forecast exits of the day / the station's design capacity (``capacity_per_day``);
- **level**: the capacity rule of ``data/alerts.yaml`` (``stations: capacity:``) the load ratio
  reaches (e.g. orange from 0.9, red from 1.0), else None;
- **lane plan** (``data/stations/lanes.yaml``, every parameter with its assumption): the day's
  forecast x the busy-hour share is the busiest hour's exits; the ETC share of them over an ETC
  lane's throughput gives ``lanes_etc_needed``, the rest over a manual lane's throughput
  ``lanes_manual_needed`` (rounded up), beside the lanes the station has.

The CLI (``chunyun stations``), the API (``GET /v1/stations``, station alerts in ``/v1/alerts``)
and the planners' page all call :class:`StationView`.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from forecast import alerts, calendar, registry
from forecast.errors import InvalidInput, NotFound
from forecast.stations import pipeline
from forecast.stations import registry as st_registry
from forecast.stations.sample import lane_params

ROW_COLUMNS = ["unique_id", "station", "name", "kind", "city", "road", "yhat", "yhat_lower", "yhat_upper", "p_peak",
               "capacity", "load_ratio", "level", "lanes_etc", "lanes_manual", "lanes_etc_needed", "lanes_manual_needed"]
SORTS = ("exits", "load")
DEFAULT_CAPACITY_RULES = {"yellow": 0.8, "orange": 0.9, "red": 1.0}


@lru_cache(maxsize=8)
def _capacity_rules(path: str, mtime: int) -> dict[str, float]:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    rules = ((doc.get("stations") or {}).get("capacity")) or DEFAULT_CAPACITY_RULES
    out = {}
    for level, value in rules.items():
        if level not in alerts.LEVELS or isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InvalidInput(f"alert thresholds {path}: stations.capacity.{level} = {value!r}",
                               hint="levels blue..red, each a share of design capacity such as 0.9")
        out[level] = float(value)
    ordered = [out[lv] for lv in alerts.LEVELS if lv in out]
    if ordered != sorted(ordered):
        raise InvalidInput(f"alert thresholds {path}: station capacity shares must rise from blue to red")
    return out


def capacity_rules() -> dict[str, float]:
    """``{level: share of design capacity}`` from ``data/alerts.yaml`` (``stations: capacity:``)."""
    path = alerts.default_path()
    return _capacity_rules(str(path), path.stat().st_mtime_ns) if path.exists() else dict(DEFAULT_CAPACITY_RULES)


def level_of(load_ratio: np.ndarray, rules: dict[str, float]) -> np.ndarray:
    out = np.full(len(load_ratio), None, dtype=object)
    for level in alerts.LEVELS:  # lowest first: a higher level overwrites
        if level in rules:
            out[np.asarray(load_ratio) >= rules[level]] = level
    return out


def lane_plan(yhat: np.ndarray, params: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ETC lanes, manual lanes) the day's exits need open at the busiest hour."""
    p = params or lane_params()
    busy = np.asarray(yhat, dtype=float) * p["busy_hour_share"]
    etc = np.ceil(busy * p["etc_share"] / p["etc_lane_vph"] - 1e-9)
    manual = np.ceil(busy * (1 - p["etc_share"]) / p["manual_lane_vph"] - 1e-9)
    return np.maximum(etc, 0).astype(int), np.maximum(manual, 0).astype(int)


class StationView:
    """A run's station forecasts joined with the station registry it was made with."""

    def __init__(self, run):
        self.run = run
        folder = Path(run.path) / pipeline.STATIONS_DIR
        path = folder / "forecasts.parquet"
        self.available = path.exists()
        fc = pd.read_parquet(path) if self.available else pd.DataFrame(columns=pipeline.FORECAST_COLUMNS)
        fc["unique_id"] = fc["unique_id"].astype(str)
        fc["region"] = fc["unique_id"].str.split("/").str[0]
        fc["ds"] = pd.to_datetime(fc["ds"])
        self.forecasts = fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        regs = []
        for csv in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
            reg = st_registry.check_frame(pd.read_csv(csv, dtype={"station": str}), str(csv))
            regs.append(reg.assign(region=csv.stem))
        self.registry = pd.concat(regs, ignore_index=True) if regs else pd.DataFrame(
            columns=[*st_registry.COLUMNS, "region"])
        self.summary = run.manifest.get("stations") or {}

    # -- questions -------------------------------------------------------------------------------
    def regions(self) -> list[str]:
        return sorted(self.registry["region"].unique())

    def check_region(self, region: str | None) -> str:
        if region is None:
            regions = self.regions()
            if not regions:
                raise NotFound(f"run {self.run.id} has no station forecasts",
                               hint="load station series (`chunyun prepare` loads the sample stations) and retrain")
            return regions[0]
        name = registry.resolve_region(region)
        if name not in self.regions():
            raise NotFound(f"run {self.run.id} has no station forecasts for {name}",
                           hint=f"regions with stations: {', '.join(self.regions()) or 'none'}")
        return name

    def default_date(self, region: str) -> date:
        """The busiest day (stations' sum) of the run's default season (:attr:`forecast.runs.Run.default_season`;
        the latest season the stations are forecast for when they do not cover it)."""
        fc = self.forecasts[self.forecasts["region"] == region]
        season = self.run.default_season if self.run.default_season in set(fc["season"]) else fc["season"].max()
        latest = fc[fc["season"] == season]
        total = latest.groupby("ds")["yhat"].sum()
        return total.idxmax().date()

    def rank(self, region: str | None = None, day: date | None = None, top: int | None = None,
             by: str = "exits") -> tuple[dict, pd.DataFrame]:
        """``(meta, rows)``: the stations of ``region`` on ``day`` ranked by forecast exits or load."""
        if by not in SORTS:
            raise InvalidInput(f"unknown sort {by!r}", hint=f"sort by {' or '.join(SORTS)}")
        region = self.check_region(region)
        ts = pd.Timestamp(day or self.default_date(region)).normalize()
        day = ts.date()  # a date whether the caller passed a date (the API) or a Timestamp (the CLI)
        fc = self.forecasts[(self.forecasts["region"] == region) & (self.forecasts["ds"] == ts)]
        if fc.empty:
            days = self.forecasts[self.forecasts["region"] == region]["ds"]
            seasons = sorted(self.forecasts[self.forecasts["region"] == region]["season"].unique())
            raise NotFound(f"no station forecasts for {region} on {day}",
                           hint=f"the run forecasts the stations over the Chunyun windows of seasons "
                                f"{', '.join(map(str, seasons))} ({days.min():%Y-%m-%d} .. {days.max():%Y-%m-%d})")
        reg = self.registry[self.registry["region"] == region].set_index("station")
        st = fc["station"].to_numpy()
        info = reg.reindex(st)
        yhat = fc["yhat"].to_numpy(dtype=float)
        cap = info["capacity_per_day"].to_numpy(dtype=float)
        load = np.where(cap > 0, yhat / np.where(cap > 0, cap, 1.0), np.nan)
        etc, manual = lane_plan(yhat)
        rows = pd.DataFrame({
            "unique_id": fc["unique_id"].to_numpy(), "station": st, "name": info["name"].to_numpy(),
            "kind": info["kind"].to_numpy(), "city": info["city"].to_numpy(), "road": info["road"].to_numpy(),
            "yhat": yhat, "yhat_lower": fc["yhat_lower_80"].to_numpy(dtype=float),
            "yhat_upper": fc["yhat_upper_80"].to_numpy(dtype=float), "p_peak": fc["p_peak"].to_numpy(dtype=float),
            "capacity": cap, "load_ratio": load, "level": level_of(np.nan_to_num(load), capacity_rules()),
            "lanes_etc": info["lanes_etc"].to_numpy(), "lanes_manual": info["lanes_manual"].to_numpy(),
            "lanes_etc_needed": etc, "lanes_manual_needed": manual})
        key = rows["yhat"] if by == "exits" else rows["load_ratio"].fillna(-1)
        rows = rows.iloc[np.lexsort((rows["station"].to_numpy(), -key.to_numpy()))].reset_index(drop=True)
        rules = capacity_rules()
        over = int((rows["load_ratio"] >= min(rules.values())).sum()) if rules else 0
        meta = {"run_id": self.run.id, "region": region, "date": day.isoformat(), "season": calendar.season_of(ts),
                "data_kind": self.run.stations_kind(region), "by": by, "stations": len(rows),
                "over_capacity": int((rows["load_ratio"] >= 1.0).sum()), "at_alert_level": over,
                "model": self.summary.get(region, {}).get("model"), "method": self.summary.get(region, {}).get("method"),
                "unit": "vehicles", "level": 80}
        return meta, rows.head(top) if top else rows

    def series(self, unique_id: str) -> pd.DataFrame:
        """One station's forecast rows (every season of the run)."""
        st_registry.split_uid(unique_id)
        rows = self.forecasts[self.forecasts["unique_id"] == unique_id]
        if rows.empty:
            raise NotFound(f"station series {unique_id} is not in run {self.run.id}",
                           hint="`chunyun stations` lists the stations with forecasts")
        return rows

    def alerts(self, start, days: int, region: str | None = None) -> pd.DataFrame:
        """Capacity alerts (rule ``capacity``) of every station day in the window, in
        :data:`forecast.alerts.COLUMNS`; the threshold is the level's share of design capacity."""
        rules = capacity_rules()
        lo = pd.Timestamp(start)
        hi = lo + pd.Timedelta(days=int(days) - 1)
        fc = self.forecasts[(self.forecasts["ds"] >= lo) & (self.forecasts["ds"] <= hi)]
        if region is not None:
            fc = fc[fc["region"] == region]
        if fc.empty or not rules:
            return pd.DataFrame(columns=alerts.COLUMNS).astype({"date": "datetime64[ns]"})
        reg = self.registry.set_index(["region", "station"])
        info = reg.reindex(pd.MultiIndex.from_arrays([fc["region"], fc["station"]]))
        cap = info["capacity_per_day"].to_numpy(dtype=float)
        yhat = fc["yhat"].to_numpy(dtype=float)
        load = np.where(cap > 0, yhat / np.where(cap > 0, cap, 1.0), 0.0)
        level = level_of(load, rules)
        hit = np.array([lv is not None for lv in level], dtype=bool)
        f = fc[hit]
        lv = level[hit]
        threshold = np.array([rules[x] for x in lv]) * cap[hit]
        prob = alerts.exceedance_probability(f["yhat"].to_numpy(), f["yhat_lower_80"].to_numpy(), f["yhat_upper_80"].to_numpy(),
                                             f["yhat_lower_95"].to_numpy(), f["yhat_upper_95"].to_numpy(), threshold)
        names = info["name"].to_numpy()[hit]
        share = load[hit]
        out = pd.DataFrame({
            "date": f["ds"].to_numpy(), "unique_id": f["unique_id"].to_numpy(), "region": f["region"].to_numpy(),
            "metric": "highway_exit_vehicles", "rule": "capacity", "level": lv, "yhat": f["yhat"].to_numpy(),
            "yhat_lower": f["yhat_lower_80"].to_numpy(), "yhat_upper": f["yhat_upper_80"].to_numpy(),
            "threshold": threshold, "probability": prob,
            "message_zh": [f"{d:%-m月%-d日}{n}预计出口{_wan(y)}，达设计通行能力的{s:.0%}（{alerts.LEVEL_ZH[x]}）"
                           for d, n, y, s, x in zip(f["ds"], names, f["yhat"], share, lv, strict=True)],
            "message_en": [f"{d:%Y-%m-%d} {n}: {y:,.0f} exits forecast, {s:.0%} of design capacity ({x})"
                           for d, n, y, s, x in zip(f["ds"], names, f["yhat"], share, lv, strict=True)]})
        out["_rank"] = out["level"].map(alerts.level_rank)
        out = out.sort_values(["date", "_rank", "unique_id"], ascending=[True, False, True], kind="stable")
        return out.drop(columns="_rank").reset_index(drop=True)


def _wan(v: float) -> str:
    return f"{v / 1e4:.2f}万辆" if v >= 1e4 else f"{v:,.0f}辆"


def add_station_alerts(frame: pd.DataFrame, run, start, days: int, region: str | None = None) -> pd.DataFrame:
    """``frame`` (the series alerts) followed by the run's station capacity alerts."""
    try:
        st = StationView(run).alerts(start, days, region)
    except (OSError, ValueError):
        return frame
    if st.empty:
        return frame
    return pd.concat([frame, st], ignore_index=True) if len(frame) else st
