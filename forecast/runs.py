"""Trained runs: versioned directories, switched atomically, read by the CLI and the API.

Layout of ``<var_dir>/runs/<run_id>/`` (``RUN_SCHEMA_VERSION`` = 1):

- ``manifest.json``: ``schema_version, run_id, created_at, cutoff, data_end, data_fingerprint,
  data_kind, series, models`` (chosen model per series), ``seasons``, ``versions`` (library versions).
- ``forecasts.parquet``: one row per ``unique_id, ds``: ``season, cutoff, model, yhat,
  yhat_lower_80, yhat_upper_80, yhat_lower_95, yhat_upper_95``. Days up to the data end carry
  the season-aligned forecast made from data before that season's Chunyun start (the forecast a
  department would have published on day one); later days carry the forecast from ``cutoff``.
- ``summaries.json``: ``{region: {season: <summary contract>}}``.
- ``scorecard.json``: every model against the real days (:mod:`forecast.scorecard`).
- ``backtest.parquet``: tidy metrics ``unique_id, season, model, metric, value``.
- ``models/``: fitted parameters as JSON, never pickle.

``<var_dir>/runs/current`` is a symlink to the live run; :func:`publish` replaces it with
``os.replace``, so a reader sees the old run or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from forecast import provenance, settings
from forecast.errors import NotFound, NotReady, Unprocessable
from forecast.models.base import LEVEL_Z

RUN_SCHEMA_VERSION = 1
LEVELS = tuple(LEVEL_Z)  # the interval levels a run holds


def runs_dir(var_dir: str | Path | None = None) -> Path:
    return Path(var_dir or settings.load()["var_dir"]) / "runs"


def new_run_id(fingerprint: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{fingerprint[:8]}"


def staging_dir(var_dir: str | Path | None = None) -> Path:
    """A fresh directory to write a run into before :func:`publish`."""
    path = runs_dir(var_dir) / f".staging-{uuid.uuid4().hex}"
    path.mkdir(parents=True)
    return path


def publish(staged: Path, run_id: str, var_dir: str | Path | None = None) -> Path:
    """Move a fully written run into place, then switch ``current`` to it atomically."""
    root = runs_dir(var_dir)
    final = root / run_id
    os.replace(staged, final)
    link_tmp = root / f".current-{uuid.uuid4().hex}"
    os.symlink(run_id, link_tmp)
    os.replace(link_tmp, root / "current")
    return final


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


@dataclass
class Run:
    """A read-only view of one run directory."""

    path: Path
    manifest: dict
    _forecasts: pd.DataFrame | None = field(default=None, repr=False)
    _summaries: dict | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return self.manifest["run_id"]

    @classmethod
    def open(cls, path: Path) -> Run:
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound(f"no run at {path}", hint="list runs with `chunyun runs`") from None
        if manifest.get("schema_version") != RUN_SCHEMA_VERSION:
            raise NotReady(f"run {path.name} has schema {manifest.get('schema_version')}, expected {RUN_SCHEMA_VERSION}",
                           hint="retrain with `chunyun train`")
        return cls(path, manifest)

    @property
    def forecasts(self) -> pd.DataFrame:
        if self._forecasts is None:
            self._forecasts = pd.read_parquet(self.path / "forecasts.parquet")
        return self._forecasts

    @property
    def summaries(self) -> dict:
        if self._summaries is None:
            self._summaries = json.loads((self.path / "summaries.json").read_text(encoding="utf-8"))
        return self._summaries

    @property
    def backtest(self) -> pd.DataFrame:
        path = self.path / "backtest.parquet"
        return pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=["unique_id", "season", "model", "metric", "value"])

    def forecast(self, unique_id: str, start=None, end=None, level: int = 80) -> pd.DataFrame:
        """Daily rows ``unique_id, ds, yhat, yhat_lower, yhat_upper`` at the given interval level."""
        if level not in LEVELS:
            raise Unprocessable(f"level {level} is not offered", hint=f"use one of {', '.join(map(str, LEVELS))}")
        fc = self.forecasts
        rows = fc[fc["unique_id"] == unique_id]
        if start is not None:
            rows = rows[rows["ds"] >= pd.Timestamp(start)]
        if end is not None:
            rows = rows[rows["ds"] <= pd.Timestamp(end)]
        out = rows[["unique_id", "ds", "yhat", f"yhat_lower_{level}", f"yhat_upper_{level}"]]
        return out.rename(columns={f"yhat_lower_{level}": "yhat_lower", f"yhat_upper_{level}": "yhat_upper"}).reset_index(drop=True)

    @property
    def scorecard(self) -> dict:
        """``scorecard.json`` (see :mod:`forecast.scorecard`); empty sections for a run without one."""
        path = self.path / "scorecard.json"
        if not path.exists():
            return {}
        return json.loads(path.read_text(encoding="utf-8"))

    @property
    def default_season(self) -> int:
        """The season a question without one is about, the one rule for the CLI, the API, the alerts
        and the page: the first season forecast from the run's cutoff (the one a planner prepares
        next); for a run without that list, the newest season it summarises."""
        forward = self.manifest.get("forward_seasons")
        if forward:
            return int(forward[0])
        seasons = [int(s) for by_season in self.summaries.values() for s in by_season if str(s).isdigit()]
        if seasons:
            return max(seasons)
        from forecast import calendar

        return calendar.season_of(self.forecasts["ds"].max())

    def choice(self, unique_id: str, season: int | None = None) -> tuple[str | None, float | None]:
        """The daily model and interval sigma this run chose for ``unique_id`` and ``season``
        (default: the first forward season), for a live fit that should match the run."""
        detail = self.manifest.get("model_details", {}).get(unique_id, {})
        if season is None:
            season = self.default_season
        chosen = detail.get("daily_choice", {}).get(str(season))
        if chosen is None:
            return detail.get("daily"), None
        return chosen["model"], chosen.get("sigma")

    def kind_of(self, unique_id: str) -> str | None:
        """What ``unique_id``'s forecast rests on (``real``, ``mixed``, ``sample``): the history it was
        fitted on, for a toll station its region's stations and province; the run's kind when the
        run does not say (one trained before the kinds were recorded)."""
        if unique_id.count("/") == 2:
            return self.stations_kind(unique_id.split("/")[0])
        return self.manifest.get("series_kinds", {}).get(unique_id) or self.manifest.get("data_kind")

    def region_kind(self, region: str | None) -> str | None:
        """What the run's forecasts of ``region`` rest on, stations included; the run's kind for None."""
        if region is None:
            return self.manifest.get("data_kind")
        kinds = [self.kind_of(u) for u in self.manifest.get("series", []) if u.split("/")[0] == region]
        if region in self.manifest.get("stations", {}):
            kinds.append(self.stations_kind(region))
        return provenance.combined(kinds) or self.manifest.get("data_kind")

    def stations_kind(self, region: str) -> str | None:
        """What ``region``'s toll-station forecasts rest on: its stations' rows and its province's."""
        return self.manifest.get("stations", {}).get(region, {}).get("data_kind") or self.manifest.get("data_kind")

    def mode_rule(self, region: str, season: int | None = None) -> str:
        """How this run set ``region``'s modes' season totals for ``season`` (:mod:`forecast.mode_totals`;
        default: the first forward season), for a live fit that should match the run."""
        from forecast import mode_totals

        chosen = self.manifest.get("mode_totals", {}).get(region, {}).get(str(season or self.default_season))
        return chosen["rule"] if chosen else mode_totals.DEFAULT

    def summary(self, region: str, season: int) -> dict:
        try:
            return self.summaries[region][str(season)]
        except KeyError:
            seasons = sorted(self.summaries.get(region, {}))
            raise NotFound(f"no {region} summary for season {season} in run {self.id}",
                           hint=f"seasons in this run: {', '.join(seasons) or 'none'}") from None


def current_run(var_dir: str | Path | None = None) -> Run:
    link = runs_dir(var_dir) / "current"
    if not link.exists():
        raise NotReady("no trained run yet", hint="run `chunyun train` (or `make run`, which prepares one)")
    return Run.open(link.resolve())


def list_runs(var_dir: str | Path | None = None) -> list[dict]:
    """Manifests of every complete run, newest first, with ``current`` marked."""
    root = runs_dir(var_dir)
    if not root.exists():
        return []
    live = (root / "current").resolve().name if (root / "current").exists() else None
    out = []
    for path in sorted(root.iterdir(), reverse=True):
        if path.name.startswith(".") or path.name == "current" or not (path / "manifest.json").exists():
            continue
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        out.append({**manifest, "current": path.name == live})
    return out


class CurrentRunCache:
    """Keeps the live run in memory and reloads it when ``current`` points elsewhere (for the API)."""

    def __init__(self, var_dir: str | Path | None = None):
        self.var_dir = var_dir
        self._target: str | None = None
        self._run: Run | None = None

    def get(self) -> Run:
        link = runs_dir(self.var_dir) / "current"
        try:
            target = os.readlink(link)
        except OSError:
            raise NotReady("no trained run yet", hint="run `chunyun train`") from None
        if target != self._target or self._run is None:
            run = Run.open(link.parent / target)
            run.forecasts  # noqa: B018 - load eagerly so requests never read Parquet
            run.summaries  # noqa: B018
            self._run, self._target = run, target
        return self._run
