"""The toll stations of a region, as data: ``data/stations/<region>.csv``.

Columns: ``station`` (id, a slug), ``name``, ``road``, ``city``, ``kind`` (``city``, ``hometown``,
``tourist``, ``border``), ``lanes_etc``, ``lanes_manual``, ``capacity_per_day`` (design capacity,
vehicles a day), ``opened`` (YYYY-MM-DD). A station series is ``region/metric/station``
(``jiangxi/highway_exit_vehicles/sample_001``); stations carry highway exits only.

The stations shipped for Jiangxi are SAMPLE stations (ids ``sample_…``, names 样例站…): no public
source lists the province's stations with their daily exits, see ``data/stations/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from forecast import settings
from forecast.errors import InvalidInput, NotFound
from forecast.registry import SLUG

STATION_METRICS: tuple[str, ...] = ("highway_exit_vehicles",)
KINDS: dict[str, tuple[str, str]] = {  # kind -> (zh, what it means)
    "city": ("城市", "city station: empties before the festival, fills after 初六"),
    "hometown": ("县乡", "home-town / rural station: peaks around 除夕 and 初二"),
    "tourist": ("景区", "tourist-site station: peaks mid-holiday"),
    "border": ("省界", "provincial-border station: carries transit"),
}
COLUMNS = ("station", "name", "road", "city", "kind", "lanes_etc", "lanes_manual", "capacity_per_day", "opened")


@dataclass(frozen=True)
class Station:
    region: str
    station: str
    name: str
    road: str
    city: str
    kind: str
    lanes_etc: int
    lanes_manual: int
    capacity_per_day: float
    opened: pd.Timestamp


def stations_dir() -> Path:
    return Path(settings.load()["data_dir"]) / "stations"


def registry_path(region: str) -> Path:
    return stations_dir() / f"{region}.csv"


def check_frame(frame: pd.DataFrame, path: str = "<stations>") -> pd.DataFrame:
    """Validate a registry frame; :class:`InvalidInput` naming the file, line and reason."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{path}: missing columns {missing}", hint=f"columns: {','.join(COLUMNS)}")
    out = frame[list(COLUMNS)].copy()
    seen: set[str] = set()
    for i, row in enumerate(out.itertuples(index=False), start=2):
        sid = str(row.station)
        where = f"{path}:{i}"
        if not SLUG.match(sid):
            raise InvalidInput(f"{where}: station id {sid!r} is not a slug", hint="lower-case letters, digits and _")
        if sid in seen:
            raise InvalidInput(f"{where}: station {sid!r} listed twice")
        seen.add(sid)
        if row.kind not in KINDS:
            raise InvalidInput(f"{where}: unknown kind {row.kind!r}", hint=f"kinds: {', '.join(KINDS)}")
        for col in ("lanes_etc", "lanes_manual", "capacity_per_day"):
            if not pd.notna(getattr(row, col)) or float(getattr(row, col)) < 0:
                raise InvalidInput(f"{where}: {col} must be a number of 0 or more")
    out["opened"] = pd.to_datetime(out["opened"], format="%Y-%m-%d")
    out["station"] = out["station"].astype(str)
    for col in ("lanes_etc", "lanes_manual"):
        out[col] = out[col].astype(int)
    out["capacity_per_day"] = out["capacity_per_day"].astype(float)
    return out.reset_index(drop=True)


@lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> pd.DataFrame:
    return check_frame(pd.read_csv(path, dtype={"station": str}), path)


def load(region: str) -> pd.DataFrame:
    """The registry of ``region`` as a frame (empty with the columns when it has no stations)."""
    path = registry_path(region)
    if not path.is_file():
        return check_frame(pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}), str(path))
    return _read(str(path), path.stat().st_mtime)


def regions_with_stations() -> list[str]:
    folder = stations_dir()
    return sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []


@lru_cache(maxsize=8)
def _ids(path: str, mtime: float) -> frozenset[str]:
    return frozenset(_read(path, mtime)["station"])


def known(region: str, station: str) -> bool:
    path = registry_path(region)
    return path.is_file() and station in _ids(str(path), path.stat().st_mtime)


def station_uid(region: str, station: str, metric: str = "highway_exit_vehicles") -> str:
    return f"{region}/{metric}/{station}"


def is_station_uid(unique_id: str) -> bool:
    return str(unique_id).count("/") == 2


def split_uid(unique_id: str) -> tuple[str, str, str]:
    """``region, metric, station`` of a station series, checked against the registries."""
    from forecast.registry import resolve_metric, resolve_region

    parts = str(unique_id).split("/")
    if len(parts) != 3 or not all(SLUG.match(p) for p in parts):
        raise NotFound(f"unknown station series {unique_id!r}",
                       hint="a station series is region/metric/station, e.g. jiangxi/highway_exit_vehicles/sample_001")
    region, metric = resolve_region(parts[0]), resolve_metric(parts[1])
    if metric not in STATION_METRICS:
        raise NotFound(f"stations carry {', '.join(STATION_METRICS)}, not {metric}",
                       hint=f"e.g. {region}/highway_exit_vehicles/{parts[2]}")
    if not known(region, parts[2]):
        raise NotFound(f"unknown station {parts[2]!r} in {region}",
                       hint=f"stations are listed in data/stations/{region}.csv (`chunyun stations --region {region}`)")
    return region, metric, parts[2]


def station_of_uid(uids) -> pd.Series:
    """The station part of station series ids (vectorised)."""
    return pd.Series(uids, dtype=str).str.rsplit("/", n=1).str[-1]
