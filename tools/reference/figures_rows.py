"""One raw row of ``raw/figures.csv`` -> zero or more curated rows (values in base units, the day
or period a figure is about)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from forecast import calendar

from .common import window
from .figures_vocab import (
    AIRPORT,
    CUM_RE,
    CUM_SERIES,
    DAILY_RE,
    DAILY_SERIES,
    DATE_METRICS,
    DROP,
    LOCAL_PEAKS,
    METRIC_OVERRIDE,
    OTHER_HOLIDAY,
    OTHER_HOLIDAY_PEAK_DS,
    PARTIAL,
    PARTIAL_METRIC,
    PEAK_DATE_ONLY,
    PEAK_VALUE_DATE,
    RAIL,
    RANGE_METRICS,
    REGION_OF_SCOPE,
    REGION_OVERRIDE,
    ROAD,
    SIMPLE,
    UNITS,
    WATER,
    road_metric,
)

OTHER_DAILY_RE = re.compile(
    r"^(air_passengers_nanchang|ordinary_road_daily_traffic|ordinary_road_section_traffic)_(?P<d>\d{4}-\d{2}-\d{2})$")
OTHER_DAILY_METRIC = {"air_passengers_nanchang": AIRPORT, "ordinary_road_daily_traffic": "ordinary_road_vehicles",
                      "ordinary_road_section_traffic": "ordinary_road_section_vehicles"}
# The 2008 partial figures (2008-01-23..02-27): the metric of each raw name.
PARTIAL_2008_METRIC = {"rail_passenger_volume": RAIL, "road_passenger_volume": ROAD,
                       "water_passenger_volume": WATER, "air_passenger_throughput": AIRPORT}


def parse_value(raw: str, unit: str) -> tuple[float | None, str]:
    """Base-unit value and a note fragment (for ranges)."""
    base, factor = UNITS[unit]
    if base == "date":
        return None, ""
    extra = ""
    m = re.fullmatch(r"\s*([\d.]+)\s*-\s*([\d.]+)\s*", raw)
    if m:
        lo, hi = Decimal(m.group(1)), Decimal(m.group(2))
        number = (lo + hi) / 2
        extra = f"range {m.group(1)}-{m.group(2)} {unit}; value = midpoint"
    else:
        number = Decimal(raw)
    return float(number * factor), extra


def map_row(raw: dict) -> list[dict]:
    """One raw row -> zero or more curated rows (date ranges become two rows)."""
    season = int(raw["year"])
    scope, metric_raw, unit_raw = raw["scope"], raw["metric"], raw["unit"]
    region = REGION_OVERRIDE.get((scope, metric_raw), REGION_OF_SCOPE[scope])
    base = {
        "season": season, "region": region, "kind": raw["kind"],
        "source_title": raw["source_title"], "source_url": raw["source_url"], "note": raw["note"],
        "original_metric": metric_raw, "original_value": raw["value"], "original_unit": unit_raw,
        "ds": None, "value": None, "unit": UNITS[unit_raw][0], "curation": [],
    }
    if (season, region, metric_raw) in DROP:
        return []
    if unit_raw == "date":
        return _date_rows(base, raw["value"])
    value, range_note = parse_value(raw["value"], unit_raw)
    base["value"] = value
    if range_note:
        base["curation"].append(range_note)
    for rows_of in (_daily_rows, _partial_rows, _other_rows):
        rows = rows_of(base, scope)
        if rows is not None:
            return rows
    raise KeyError(f"unmapped row {season} {scope} {metric_raw}")


def _row(base: dict, metric: str, measure: str, **kw) -> dict:
    """A curated row of ``base``'s raw row; the placeholder metric ``ROAD`` is resolved by road_metric()."""
    r = dict(base)
    r.update(metric=metric, measure=measure, curation=list(base["curation"]))
    r.update(kw)
    if r["metric"] == "ROAD":
        r["metric"] = road_metric(base["season"], base["region"])
    return r


def _date_rows(base: dict, value: str) -> list[dict]:
    """Dates, date ranges (two rows), announced peak dates."""
    metric_raw = base["original_metric"]
    if metric_raw in DATE_METRICS:
        return [_row(base, DATE_METRICS[metric_raw], "date", ds=date.fromisoformat(d)) for d in value.split(";")]
    if metric_raw in RANGE_METRICS:
        a, b = value.split("..")
        start_m, end_m = RANGE_METRICS[metric_raw]
        return [_row(base, start_m, "date", ds=date.fromisoformat(a)), _row(base, end_m, "date", ds=date.fromisoformat(b))]
    if metric_raw in LOCAL_PEAKS:
        metric, label = LOCAL_PEAKS[metric_raw]
        out = []
        for d in value.split(";"):
            r = _row(base, metric, "local_peak", ds=date.fromisoformat(d), unit="vehicles")
            r["curation"].append(f"{label}; date only, no value announced")
            out.append(r)
        return out
    if metric_raw in PEAK_DATE_ONLY:
        metric = PEAK_DATE_ONLY[metric_raw]
        unit = "persons" if metric == RAIL else "vehicles"
        r = _row(base, metric, "peak", ds=date.fromisoformat(value), unit=unit)
        r["peak_date_row"] = True  # merged into a value row of the same source if one exists
        return [r]
    raise KeyError(f"unmapped date row {metric_raw}")


def _daily_rows(base: dict, scope: str) -> list[dict] | None:
    """Dated daily figures."""
    metric_raw, season = base["original_metric"], base["season"]
    m = DAILY_RE.match(metric_raw)
    if m:
        return [_row(base, DAILY_SERIES[m.group("series")], "daily", ds=date.fromisoformat(m.group("d")))]
    m = re.match(r"^rail_daily_passengers_(?P<d>.+)$", metric_raw)
    if m:
        d = m.group("d")
        if d == "chuxi":  # 除夕 = the day before the Spring Festival day
            ds = calendar.spring_festival(season) - timedelta(days=1)
        elif re.fullmatch(r"\d{2}-\d{2}", d):
            ds = date.fromisoformat(f"{season}-{d}")
        else:
            ds = date.fromisoformat(d)
        return [_row(base, RAIL, "daily", ds=ds)]
    m = OTHER_DAILY_RE.match(metric_raw)
    if m:
        return [_row(base, OTHER_DAILY_METRIC[m.group(1)], "daily", ds=date.fromisoformat(m.group("d")))]
    return None


def _partial_rows(base: dict, scope: str) -> list[dict] | None:
    """Partial periods: the first N days of the season, or a stated period (PARTIAL)."""
    metric_raw, season = base["original_metric"], base["season"]
    m = CUM_RE.match(metric_raw)
    if m:
        n = int(m.group("n"))
        start = window(season)[0]
        end = start + timedelta(days=n - 1)
        r = _row(base, CUM_SERIES[m.group("series")], "partial_total", ds=end)
        r["curation"].append(f"first {n} days {start}..{end}")
        return [r]
    if (season, metric_raw) not in PARTIAL:
        return None
    measure, start, end = PARTIAL[(season, metric_raw)]
    metric = PARTIAL_METRIC.get(metric_raw) or SIMPLE.get(metric_raw, (None,))[0]
    if season == 2008:
        metric = PARTIAL_2008_METRIC[metric_raw]
    r = _row(base, metric, measure, ds=end)
    if start and end:
        r["curation"].append(f"{(end - start).days + 1} days {start}..{end}")
    elif start:
        r["curation"].append(f"period from {start}, end not stated")
    else:
        r["curation"].append("period not stated")
    return [r]


def _other_rows(base: dict, scope: str) -> list[dict] | None:
    """Peak values (dated later from a sibling date row), non-Chunyun holidays, the simple mappings."""
    metric_raw, season = base["original_metric"], base["season"]
    if metric_raw in PEAK_VALUE_DATE:
        date_metric, metric = PEAK_VALUE_DATE[metric_raw]
        r = _row(base, metric, "peak")
        r["peak_date_from"] = date_metric
        return [r]
    if (season, metric_raw) in OTHER_HOLIDAY:
        metric, measure = SIMPLE[metric_raw]
        start, end = OTHER_HOLIDAY[(season, metric_raw)]
        r = _row(base, metric, measure, ds=OTHER_HOLIDAY_PEAK_DS.get((season, metric_raw)))
        r["curation"].append(f"outside Chunyun: holiday {start}..{end}")
        return [r]
    if metric_raw in SIMPLE:
        metric, measure = SIMPLE[metric_raw]
        return [_row(base, METRIC_OVERRIDE.get((scope, metric_raw), metric), measure)]
    return None
