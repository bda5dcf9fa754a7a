"""Per-value parsers: dates, regions, metrics, series, stations and values.

Each returns (parsed or None, reason or None, kind); :func:`_resolve` runs one once per distinct
raw value."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd

from forecast import registry
from forecast.errors import NotFound
from forecast.ingest.limits import _DATE_PATTERNS, _MISSING, _NUMBER, _THOUSANDS, CHINA_TZ, MIN_DATE
from forecast.ingest.report import _short


def _is_missing(raw) -> bool:
    if raw is None or raw is pd.NA or raw is pd.NaT:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    if isinstance(raw, np.datetime64) and np.isnat(raw):
        return True
    return isinstance(raw, str) and raw.strip().lower() in _MISSING


def _today() -> date:
    return datetime.now(CHINA_TZ).date()


def _parse_date(raw, today: date | None = None):
    if _is_missing(raw):
        return None, "missing date", "bad_date"
    if isinstance(raw, datetime | pd.Timestamp | np.datetime64):
        ts = pd.Timestamp(raw)
        if ts != ts.normalize():
            return None, f"date {str(raw)!r} has a time of day", "bad_date"
        day = ts.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = str(raw).strip()
        try:  # the common case, YYYY-MM-DD, in C
            day = date.fromisoformat(text) if len(text) == 10 and text[4] == "-" else None
        except ValueError:
            day = None
        if day is None:
            for pattern in _DATE_PATTERNS:
                m = pattern.match(text)
                if m:
                    parts = [g for g in m.groups() if g not in ("-", "/", ".")]
                    try:
                        day = date(int(parts[0]), int(parts[1]), int(parts[2]))
                    except ValueError:
                        return None, f"impossible date {text!r}", "impossible_date"
                    break
            else:
                return None, f"unparsable date {_short(text)!r} (use YYYY-MM-DD)", "bad_date"
    if day < MIN_DATE:
        return None, (f"date {day.isoformat()} is before {MIN_DATE.isoformat()}, the first day the calendar and the "
                      "models support"), "date_out_of_range"
    if day > (today or _today()):
        return None, f"date {day.isoformat()} is in the future", "date_out_of_range"
    return np.datetime64(day, "ns"), None, ""


def _region_of(raw):
    if _is_missing(raw):
        return None, "missing region", "unknown_region"
    try:
        return registry.resolve_region(str(raw)), None, ""
    except NotFound:
        return None, f"unknown region {_short(str(raw).strip())!r}", "unknown_region"


def _metric_of(raw):
    if _is_missing(raw):
        return None, "missing metric", "unknown_metric"
    try:
        return registry.resolve_metric(str(raw)), None, ""
    except NotFound:
        return None, f"unknown metric {_short(str(raw).strip())!r}", "unknown_metric"


def _uid_of(raw):
    if _is_missing(raw):
        return None, "missing series", "unknown_series"
    text = str(raw).strip()
    parts = text.split("/")
    if len(parts) not in (2, 3):
        return None, f"unknown series {_short(text)!r} (a series is region/metric or region/metric/station)", "unknown_series"
    region, r_reason, r_kind = _region_of(parts[0])
    metric, m_reason, m_kind = _metric_of(parts[1])
    if r_reason or m_reason:
        return None, f"unknown series {_short(text)!r}: " + "; ".join(r for r in (r_reason, m_reason) if r), r_kind or m_kind
    if len(parts) == 3:
        return _station_of(region, metric, parts[2].strip())
    return f"{region}/{metric}", None, ""


def _station_of(region: str, metric: str, station: str):
    from forecast.stations import registry as stations

    if metric not in stations.STATION_METRICS:
        return None, f"stations carry {', '.join(stations.STATION_METRICS)}, not {metric}", "unknown_station"
    if not stations.known(region, station):
        return None, (f"unknown station {station!r} in {region} (not listed in data/stations/{region}.csv)"), "unknown_station"
    return f"{region}/{metric}/{station}", None, ""


class _HugeInt(str):
    """An integer beyond 64 bits from JSON, kept as text (its row is rejected as too large)."""


def _text_if_huge(v):
    if isinstance(v, int) and not isinstance(v, bool) and not -(2 ** 63) <= v < 2 ** 63:
        return _HugeInt(f"an integer of {int(v.bit_length() * 0.30103) + 1} digits")  # str(v) may be refused
    return v


def _value_of(raw):
    """Slow path for a value pandas could not read as a number."""
    if _is_missing(raw):
        return None, "missing value", "missing_value"
    if isinstance(raw, bool | np.bool_):
        return None, f"value {raw!r} is not a number", "non_numeric"
    if isinstance(raw, int | float | np.number):
        try:
            return _check_number(float(raw), _short(str(raw)))
        except (OverflowError, ValueError):  # an integer with hundreds of digits
            return None, f"value ({_text_if_huge(int(raw))}) is too large to be a count", "implausible_value"
    if isinstance(raw, _HugeInt):
        return None, f"value ({raw}) is too large to be a count", "implausible_value"
    text = str(raw).strip()
    if _THOUSANDS.match(text):
        return _check_number(float(text.replace(",", "")), _short(text))
    if _NUMBER.match(text):  # digits a float cannot hold
        return None, f"value {_short(text)} is too large to be a count", "implausible_value"
    if text and text[-1] in "万亿":
        return None, f"value {_short(text)!r} is not in base units (store persons or vehicles: 12.5万 is 125000)", "non_numeric"
    return None, f"value {_short(text)!r} is not a number", "non_numeric"


def _check_number(v: float, text: str):
    if not math.isfinite(v):
        return None, f"value {text!r} is not a finite number", "non_numeric"
    if v < 0:
        return None, f"negative value {text}", "negative_value"
    return v + 0.0, None, ""


def _to_float(values: pd.Series) -> np.ndarray:
    """Values as float64, NaN where a value is not a plain number (those take the slow path)."""
    try:
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan).copy()
    except (OverflowError, TypeError, ValueError):  # an integer too large for a float, an odd object
        out = np.full(len(values), np.nan)
        for i, v in enumerate(values):
            if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_):
                with contextlib.suppress(OverflowError):
                    out[i] = float(v)
        return out


def _resolve(values, fn: Callable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``fn`` once per distinct value; returns (codes, parsed, reasons, kinds) where
    ``parsed[codes]`` etc. give per-row results (code -1, missing, maps to the last slot)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # already coded by the CSV parser
        codes, uniques = values.cat.codes.to_numpy().astype(np.intp), values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = [fn(u) for u in uniques] + [fn(None)]
    parsed = np.empty(len(results), dtype=object)
    parsed[:] = [r[0] for r in results]
    reasons = np.array([r[1] for r in results], dtype=object)
    kinds = np.array([r[2] for r in results], dtype=object)
    return codes, parsed, reasons, kinds
