"""Provinces: the raw rows copied with a normalised metric where it maps to the registry
(``data/reference/provinces.csv``, minimal curation)."""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from .days_rows import AIR, CROSS, HWY_EXIT, RAIL, ROAD, SELF, WATER, flag_of

PROVINCE_COLUMNS = [
    "season", "region", "metric", "measure", "ds", "value", "unit", "kind", "status", "reason",
    "source_title", "source_url", "note", "original_metric", "original_value", "original_unit",
]

REGION = {"Jiangxi": "jiangxi", "Guangdong": "guangdong", "Jiangsu": "jiangsu", "Sichuan": "sichuan",
          "Hunan": "hunan", "Hubei": "hubei", "Henan": "henan", "Anhui": "anhui"}
PROVINCE_BASE = {"cross_regional_trips": CROSS, "rail": RAIL, "road_operating": ROAD, "selfdrive": SELF,
                 "water": WATER, "air": AIR, "highway_exit_vehicles": HWY_EXIT}
PROVINCE_MEASURE = {
    "total": "total", "total_alt": "total", "yoy": "yoy_pct", "total_yoy": "yoy_pct", "daily_avg": "daily_avg",
    "peak": "peak", "peak_date": "peak_date", "holiday": "holiday_total", "total_holiday": "holiday_total",
    "holiday_total": "holiday_total",
    "daily_avg_holiday": "holiday_daily_avg", "peak_date_holiday": "holiday_peak_date",
    "first20d": "partial_total", "to_0213": "partial_total", "holiday_first4d": "partial_total",
    "holiday_first6d": "partial_total",
}
PROVINCE_UNITS = {"万人次": ("persons", 10_000), "亿人次": ("persons", 100_000_000), "%": ("percent", 1),
                  "date": ("date", None)}
# Rows that look like a registry metric but are not one (note says why).
NOT_REGISTRY = {
    ("Sichuan", "air_total"): "Sichuan's 民航客运总量 is airport throughput (吞吐量), not air passengers carried",
}
# Figures that need a second source although the copier did not mark them (as in figures.csv).
PROVINCE_FLAGS = {
    (2024, "Jiangsu", "air_holiday"): "implausible for the 8-day holiday (probably the whole Chunyun); period wording ambiguous",
    (2024, "Jiangsu", "rail_holiday"): "implausible for the 8-day holiday (about 363万 a day); period wording ambiguous",
}


def province_metric(scope: str, raw_metric: str) -> tuple[str, str, str, date | None, str]:
    """(region, metric, measure, ds, reason): the registry metric where one fits, else the raw name."""
    region = REGION[scope]
    name = raw_metric
    if scope == "Jiangxi" and raw_metric.startswith("rail_nanchang_bureau_"):
        region, name = "nanchang_railway_group", "rail_" + raw_metric[len("rail_nanchang_bureau_"):]
    if (scope, raw_metric) in NOT_REGISTRY:
        return region, raw_metric, "", None, NOT_REGISTRY[(scope, raw_metric)]
    m = re.fullmatch(r"(.+?)_day_(\d{4}-\d{2}-\d{2})", name)
    if m and m.group(1) in PROVINCE_BASE:
        return region, PROVINCE_BASE[m.group(1)], "daily", date.fromisoformat(m.group(2)), ""
    for base, metric in PROVINCE_BASE.items():
        suffix = name[len(base) + 1:] if name.startswith(base + "_") else None
        if suffix in PROVINCE_MEASURE:
            return region, metric, PROVINCE_MEASURE[suffix], None, ""
    return region, raw_metric, "", None, ""


def province_value(raw: str, unit: str) -> tuple[float | None, str, str]:
    """Base units; ranges become their midpoint (said in the note); vehicles in any 万/亿 车次/辆/台次."""
    note = ""
    if re.fullmatch(r"[\d.]+-[\d.]+", raw):
        lo, hi = (Decimal(x) for x in raw.split("-"))
        note, dec = f"range {raw} stored as its midpoint", (lo + hi) / 2
    elif unit == "date":
        return None, "date", ""
    else:
        dec = Decimal(raw)
    if unit in PROVINCE_UNITS:
        base, factor = PROVINCE_UNITS[unit]
    else:
        base, factor = "vehicles", 100_000_000 if unit.startswith("亿") else 10_000
    return float(dec * factor), base, note


def build_provinces(raw_dir: Path) -> list[dict]:
    out = []
    with open(raw_dir / "provinces.csv", encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            region, metric, measure, ds, reason = province_metric(raw["scope"], raw["metric"])
            value, unit, range_note = province_value(raw["value"], raw["unit"])
            if raw["unit"] == "date":
                ds = date.fromisoformat(raw["value"])
            flag = flag_of(raw["note"]) or PROVINCE_FLAGS.get((int(raw["year"]), raw["scope"], raw["metric"]), "")
            out.append({
                "season": int(raw["year"]), "region": region, "metric": metric, "measure": measure, "ds": ds,
                "value": value, "unit": unit, "kind": raw["kind"], "status": "uncertain" if flag else "ok",
                "reason": "; ".join(x for x in (flag, reason) if x), "source_title": raw["source_title"],
                "source_url": raw["source_url"], "note": f"{range_note} | {raw['note']}" if range_note else raw["note"],
                "original_metric": raw["metric"], "original_value": raw["value"], "original_unit": raw["unit"],
            })
    out.sort(key=lambda r: (r["season"], r["region"], r["metric"], r["measure"], r["kind"], r["original_metric"]))
    mark_province_duplicates(out)
    return out


def mark_province_duplicates(rows: list[dict]) -> None:
    """A second copy of a mapped figure (same season, region, metric, measure, day, kind and value)."""
    seen = {}
    for r in rows:
        if not r["measure"]:
            continue
        key = (r["season"], r["region"], r["metric"], r["measure"], r["ds"], r["kind"], r["value"])
        if key in seen and r["status"] == "ok":
            r["status"], r["reason"] = "duplicate", f"same figure as {seen[key]['original_metric']} ({seen[key]['source_title'][:40]})"
        seen.setdefault(key, r)
