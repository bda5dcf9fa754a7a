"""The live run, prepared for serving: responses are cut from memory, never computed per request.

:class:`Live` wraps ``forecast.runs.CurrentRunCache`` (which reloads when ``current`` is switched)
and builds a :class:`RunView` once per run: forecasts indexed by ``unique_id`` with rows
pre-serialised (JSON and CSV) on first use, summaries pre-serialised, alerts and briefings cached.
A request then costs a dict look-up, a binary search over ISO dates and a string join.
"""

from __future__ import annotations

import bisect
import io
import json
import math
import threading
from collections import OrderedDict
from datetime import date, timedelta

import numpy as np

from api.schemas import MAX_RANGE_DAYS
from forecast import alerts, briefing, calendar, registry
from forecast.errors import InvalidInput, NotFound, Unprocessable
from forecast.formats import frame_records
from forecast.runs import LEVELS, CurrentRunCache, Run
from forecast.stations import serve as station_serve


def _num(x: float) -> str:
    return "null" if x is None or not math.isfinite(x) else repr(float(x))


def _csv_num(x: float) -> str:
    return "" if x is None or not math.isfinite(x) else repr(float(x))


class SeriesForecast:
    """One series' forecast rows, sorted by day, with serialised rows built per level on demand."""

    def __init__(self, uid: str, ds: list[str], yhat: np.ndarray, bounds: dict[int, tuple[np.ndarray, np.ndarray]]):
        self.uid = uid
        self.ds = ds
        self.yhat = yhat
        self.bounds = bounds
        self._json: dict[int, list[str]] = {}
        self._csv: dict[int, list[str]] = {}

    def json_rows(self, level: int) -> list[str]:
        rows = self._json.get(level)
        if rows is None:
            uid = json.dumps(self.uid)
            lo, hi = self.bounds[level]
            rows = [f'{{"unique_id":{uid},"ds":"{d}","yhat":{_num(y)},"yhat_lower":{_num(a)},"yhat_upper":{_num(b)}}}'
                    for d, y, a, b in zip(self.ds, self.yhat.tolist(), lo.tolist(), hi.tolist(), strict=True)]
            self._json[level] = rows
        return rows

    def csv_rows(self, level: int) -> list[str]:
        rows = self._csv.get(level)
        if rows is None:
            lo, hi = self.bounds[level]
            rows = [f"{self.uid},{d},{_csv_num(y)},{_csv_num(a)},{_csv_num(b)}\r\n"
                    for d, y, a, b in zip(self.ds, self.yhat.tolist(), lo.tolist(), hi.tolist(), strict=True)]
            self._csv[level] = rows
        return rows

    def span(self, start: str, end: str) -> tuple[int, int]:
        return bisect.bisect_left(self.ds, start), bisect.bisect_right(self.ds, end)


class RunView:
    """A run with what serving needs, built once per run."""

    CACHE_SIZE = 256

    def __init__(self, run: Run):
        self.run = run
        self.id = run.id
        self.manifest = run.manifest
        self.data_kind = run.manifest.get("data_kind")
        self.series: dict[str, SeriesForecast] = {}
        fc = run.forecasts
        for uid, g in fc.groupby("unique_id", sort=True):
            g = g.sort_values("ds")
            bounds = {}
            for level in LEVELS:
                lo, hi = f"yhat_lower_{level}", f"yhat_upper_{level}"
                if lo in g.columns and hi in g.columns:
                    bounds[level] = (g[lo].to_numpy(dtype=float), g[hi].to_numpy(dtype=float))
            self.series[str(uid)] = SeriesForecast(str(uid), g["ds"].dt.strftime("%Y-%m-%d").tolist(),
                                                   g["yhat"].to_numpy(dtype=float), bounds)
        self.default_season = run.default_season
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()
        self._stations = None

    # a small LRU for computed answers (summaries, briefings, alerts, tables)
    def cached(self, key, build):
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = build()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    # -- forecasts ------------------------------------------------------------------------------
    def forecast_series(self, uid: str) -> SeriesForecast:
        if uid.count("/") == 2:  # a toll station's series
            return self.cached(("station-series", uid), lambda: self._station_series(uid))
        registry.parse_uid(uid)  # NotFound naming the form for a malformed or unknown series
        found = self.series.get(uid)
        if found is None:
            raise NotFound(f"series {uid} is not in run {self.id}",
                           hint=f"series in this run: {', '.join(self.series) or 'none'}")
        return found

    def window(self, sf: SeriesForecast, start: date | None, end: date | None, season: int | None) -> tuple[date, date]:
        if season is not None or (start is None and end is None):
            s = calendar.season(season or self.default_season)
            start, end = start or s.chunyun_start, end or s.chunyun_end
        elif start is None:
            first = date.fromisoformat(sf.ds[0]) if sf.ds else end
            start = max(end - timedelta(days=MAX_RANGE_DAYS - 1), min(first, end))
        elif end is None:
            last = date.fromisoformat(sf.ds[-1]) if sf.ds else start
            end = min(start + timedelta(days=MAX_RANGE_DAYS - 1), max(last, start))
        if start > end:
            raise InvalidInput(f"start {start} is after end {end}", hint="give start on or before end")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise Unprocessable(f"{start}..{end} is {(end - start).days + 1} days; the limit is {MAX_RANGE_DAYS}",
                                hint="ask for a shorter range, in several requests")
        return start, end

    def forecast_body(self, uid: str, start: date | None, end: date | None, season: int | None, level: int,
                      fmt: str) -> tuple[str, str]:
        """The response body and media type; built once per distinct question and run."""
        return self.cached(("forecast", uid, start, end, season, level, fmt),
                           lambda: self._forecast_body(uid, start, end, season, level, fmt))

    def _forecast_body(self, uid, start, end, season, level, fmt) -> tuple[str, str]:
        sf = self.forecast_series(uid)
        if level not in sf.bounds:
            raise Unprocessable(f"level {level} is not in run {self.id}", hint=f"use one of {', '.join(map(str, sf.bounds))}")
        start, end = self.window(sf, start, end, season)
        i, j = sf.span(start.isoformat(), end.isoformat())
        if fmt == "csv":
            return "unique_id,ds,yhat,yhat_lower,yhat_upper\r\n" + "".join(sf.csv_rows(level)[i:j]), "text/csv"
        meta = {"run_id": self.id, "unique_id": uid, "unit": registry.unit_of(uid), "level": level,
                "data_kind": self.run.kind_of(uid), "start": start.isoformat(), "end": end.isoformat(),
                "available": {"start": sf.ds[0], "end": sf.ds[-1]} if sf.ds else None}
        head = json.dumps(meta, ensure_ascii=False)[:-1]
        return f'{head},"rows":[{",".join(sf.json_rows(level)[i:j])}]}}', "application/json"

    # -- stations -------------------------------------------------------------------------------
    def stations(self):
        """The run's station forecasts (:class:`forecast.stations.serve.StationView`), built once."""
        with self._lock:
            if self._stations is None:
                from forecast.stations.serve import StationView

                self._stations = StationView(self.run)
            return self._stations

    def _station_series(self, uid: str) -> SeriesForecast:
        g = self.stations().series(uid)
        bounds = {lv: (g[f"yhat_lower_{lv}"].to_numpy(dtype=float), g[f"yhat_upper_{lv}"].to_numpy(dtype=float))
                  for lv in LEVELS}
        return SeriesForecast(uid, g["ds"].dt.strftime("%Y-%m-%d").tolist(), g["yhat"].to_numpy(dtype=float), bounds)

    def stations_body(self, region, day, top, by: str, fmt: str) -> tuple[str, str]:
        """GET /v1/stations: the ranked rows as JSON (with the envelope) or CSV; cached per question."""
        def build():
            from forecast.stations.serve import ROW_COLUMNS

            meta, rows = self.stations().rank(region, day, top, by)
            records = frame_records(rows)
            if fmt == "csv":
                out = io.StringIO()
                rows.to_csv(out, index=False, columns=ROW_COLUMNS, lineterminator="\r\n")
                return out.getvalue(), "text/csv"
            return json.dumps({**meta, "rows": records}, ensure_ascii=False), "application/json"

        return self.cached(("stations", region, day, top, by, fmt), build)

    # -- summaries ------------------------------------------------------------------------------
    def summary(self, region: str, season: int) -> dict:
        return self.run.summary(registry.resolve_region(region), season)

    def summary_json(self, region: str, season: int) -> str:
        """Keyed by the region as asked (江西, jiangxi ...): a hit skips even the alias look-up."""
        return self.cached(("summary", region, season),
                           lambda: json.dumps(self.summary(region, season), ensure_ascii=False))

    def briefing(self, region: str, season: int, lang: str) -> str:
        """The briefing text (no trailing newline), keyed like :meth:`summary_json`."""
        return self.cached(("briefing", region, season, lang),
                           lambda: briefing.briefing(self.summary(region, season), lang))

    # -- alerts ---------------------------------------------------------------------------------
    def alerts(self, start: date | None, days: int | None, region: str | None, min_level: str | None):
        """``(start, days, frame, records)``; by default the latest season's Chunyun window. Cached per question."""
        region = registry.resolve_region(region) if region else None
        min_level = alerts.parse_level(min_level)
        thresholds = alerts.load_thresholds()
        start, days = alerts.resolve_window(start, days, self.default_season)
        key = ("alerts", start, days, region, thresholds.version)

        def build():  # every level; min_level only filters the cached answer
            frame = alerts.compute_alerts(self.run.forecasts, start, days, region=region, thresholds=thresholds)
            frame = station_serve.add_station_alerts(frame, self.run, start, days, region)
            return frame, frame_records(frame), frame["level"].map(alerts.level_rank).to_numpy()

        frame, records, ranks = self.cached(key, build)
        if min_level is not None:
            keep = ranks >= alerts.level_rank(min_level)
            frame = frame[keep].reset_index(drop=True)
            records = [r for r, k in zip(records, keep, strict=True) if k]
        return start, days, frame, records

    # -- backtests ------------------------------------------------------------------------------
    def scorecard(self, season: int | None, uid: str | None) -> dict:
        from forecast import scorecard

        card = self.cached(("scorecard",), lambda: self.run.scorecard)
        return {"run_id": self.id, **scorecard.select(card, season, uid)}

    def backtest(self, uid: str | None):
        frame = self.cached(("backtest",), lambda: self.run.backtest)
        if uid is not None:
            registry.parse_uid(uid)
            frame = frame[frame["unique_id"] == uid]
        return frame


class Live:
    """The app's handle on the current run (one per process; cheap to ask on every request)."""

    def __init__(self, var_dir):
        self.cache = CurrentRunCache(var_dir)
        self._view: RunView | None = None
        self._lock = threading.Lock()

    def get(self) -> RunView:
        run = self.cache.get()  # NotReady (503) when there is no current run
        view = self._view
        if view is None or view.run is not run:
            with self._lock:
                if self._view is None or self._view.run is not run:
                    self._view = RunView(run)
                view = self._view
        return view
