"""What can be stored and forecast: metrics (in code, since models rely on their meaning)
and regions (in ``data/regions.csv``, so a new region is added by data alone).

A series is named ``region/metric``: ``jiangxi/highway_exit_vehicles``; a toll station's series
``region/metric/station`` (``jiangxi/highway_exit_vehicles/sample_001``, see
:mod:`forecast.stations.registry`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from forecast import settings
from forecast.errors import NotFound


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # base unit stored: "persons" (person-trips) or "vehicles"
    display_unit: str  # unit planners read: 万人次 or 万辆
    zh: str
    en: str
    meaning: str
    is_mode: bool = False  # the modes add up to cross_regional_trips


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("cross_regional_trips", "persons", "万人次", "全社会跨区域人员流动量", "cross-regional trips",
               "All cross-regional trips: operating rail, road, water and air passengers plus self-driving trips."),
        Metric("rail_passengers", "persons", "万人次", "铁路旅客发送量", "rail passengers",
               "Rail passengers sent.", True),
        Metric("road_passengers", "persons", "万人次", "公路营业性客运量", "operating road passengers",
               "Passengers carried by operating (commercial) road transport; excludes self-driving.", True),
        Metric("selfdrive_trips", "persons", "万人次", "高速公路及普通国省道非营业性小客车人员出行量", "self-driving trips",
               "Cross-regional trips in non-operating small passenger cars.", True),
        Metric("air_passengers", "persons", "万人次", "民航旅客运输量", "air passengers",
               "Air passengers carried.", True),
        Metric("water_passengers", "persons", "万人次", "水路旅客发送量", "water passengers",
               "Waterway passengers sent.", True),
        Metric("highway_exit_vehicles", "vehicles", "万辆", "高速公路出口车流量", "highway exit vehicles",
               "Vehicles leaving the expressway network at toll exits."),
    )
}

# The largest value one day of any series may have, by base unit: more person-trips in a day than
# China has people (1.41 billion), or more vehicles leaving expressways than it has vehicles
# (0.45 billion), is a typo or a unit error. Ingest rejects values above these bounds; a value
# far above the series' own history is rejected too (forecast.ingest.HISTORY_FACTOR).
MAX_DAILY: dict[str, float] = {"persons": 1.5e9, "vehicles": 5e8}

MODES: tuple[str, ...] = tuple(name for name, m in METRICS.items() if m.is_mode)
TOTAL_METRIC = "cross_regional_trips"

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")  # a region, metric or station name


@dataclass(frozen=True)
class Region:
    name: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()


def _regions_file() -> Path:
    return Path(settings.load()["data_dir"]) / "regions.csv"


@lru_cache(maxsize=4)
def _read_regions(path: str) -> dict[str, Region]:
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    regions = {}
    for row in rows:
        aliases = tuple(a.strip() for a in row.get("aliases", "").split(";") if a.strip())
        regions[row["region"]] = Region(row["region"], row["zh"], row["en"], aliases)
    return regions


def regions() -> dict[str, Region]:
    """The known regions, read from ``data/regions.csv``."""
    return _read_regions(str(_regions_file()))


def resolve_region(name: str) -> str:
    """The canonical region name for ``name`` or one of its aliases (江西, Jiangxi, 全国 ...)."""
    key = str(name).strip()
    known = regions()
    if key.lower() in known:
        return key.lower()
    for region in known.values():
        if key in region.aliases or key.lower() in (a.lower() for a in region.aliases):
            return region.name
    raise NotFound(f"unknown region {name!r}", hint=f"known regions: {', '.join(sorted(known))}; add one to data/regions.csv")


def resolve_metric(name: str) -> str:
    key = str(name).strip().lower()
    if key in METRICS:
        return key
    for metric in METRICS.values():
        if str(name).strip() == metric.zh:
            return metric.name
    raise NotFound(f"unknown metric {name!r}", hint=f"known metrics: {', '.join(METRICS)}")


def make_uid(region: str, metric: str) -> str:
    return f"{resolve_region(region)}/{resolve_metric(metric)}"


def parse_uid(unique_id: str) -> tuple[str, str]:
    """Split and check ``region/metric``; raises NotFound for an unknown region or metric."""
    parts = str(unique_id).split("/")
    if len(parts) != 2 or not all(SLUG.match(p) for p in parts):
        raise NotFound(f"unknown series {unique_id!r}", hint="a series is named region/metric, e.g. jiangxi/highway_exit_vehicles")
    return resolve_region(parts[0]), resolve_metric(parts[1])


def parse_series(unique_id: str) -> tuple[str, str, str | None]:
    """``region, metric, station`` of a province series (station None) or a station series."""
    if str(unique_id).count("/") == 2:
        from forecast.stations.registry import split_uid

        return split_uid(unique_id)
    return (*parse_uid(unique_id), None)


def unit_of(unique_id: str) -> str:
    return METRICS[parse_series(unique_id)[1]].unit


def max_daily(metric: str) -> float:
    """The absolute bound on one day's value of ``metric`` (see :data:`MAX_DAILY`)."""
    return MAX_DAILY[METRICS[resolve_metric(metric)].unit]


def all_uids(region_names=None) -> list[str]:
    names = region_names or sorted(regions())
    return [f"{r}/{m}" for r in names for m in METRICS]
