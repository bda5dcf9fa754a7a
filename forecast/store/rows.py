"""Rows as numpy arrays: the series-and-day int64 key (the primary key's order), a frame checked
into sorted, de-duplicated rows, and fast fetching of many rows from the driver's cursor."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from forecast.errors import InvalidInput
from forecast.store.schema import COLUMNS


def _as_list(values) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    return [str(v) for v in values]


def _as_date(value, name: str) -> date | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InvalidInput(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD") from None
    if pd.isna(ts):
        return None
    return ts.date()


def _day_strings(days: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` days as ``YYYY-MM-DD`` strings, formatting each distinct day once."""
    uniques, codes = np.unique(days, return_inverse=True)
    return np.datetime_as_string(uniques, unit="D").astype(object)[codes.reshape(-1)]


def _categorical(values: pd.Series) -> pd.Categorical:
    """A column as a Categorical of str with sorted categories (cheap for repeated strings)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
        if not all(isinstance(c, str) for c in cat.categories):
            cat = pd.Categorical(np.asarray(cat, dtype=object).astype(str))
    else:
        cat = pd.Categorical(values.where(values.isna(), values.astype(str)))
    cats = cat.categories
    if not cats.is_monotonic_increasing:
        cat = cat.reorder_categories(sorted(cats))
    return cat


_DAY_OFFSET = 1 << 31


def _key(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One sortable int64 per (series code, day): the primary key's order."""
    return (codes.astype(np.int64) << 32) | (days.astype("datetime64[D]").astype(np.int64) + _DAY_OFFSET)


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a million tuples are built: they hold no cycles, and
    the collector would otherwise walk them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fetch(conn: Connection, stmt, params: dict | None = None) -> list[tuple]:
    """Run a Core SELECT and take plain tuples from the driver's cursor: for a million rows this
    is several times faster than building Row objects."""
    result = conn.execute(stmt, params or {})
    try:
        with _bulk():
            return result.cursor.fetchall()
    finally:
        result.close()


def _columns(rows: list[tuple], n: int) -> list[np.ndarray]:
    """Fetched tuples as ``n`` object arrays (``zip(*rows)`` is far slower for a million rows)."""
    with _bulk():
        return [np.asarray([r[i] for r in rows], dtype=object) for i in range(n)]


@dataclass
class _Rows:
    """Validated rows in primary-key order."""

    uid: pd.Categorical
    days: np.ndarray  # datetime64[D]
    y: np.ndarray  # float64
    src: pd.Categorical
    key: np.ndarray  # int64, strictly increasing

    def __len__(self) -> int:
        return len(self.key)

    def take(self, mask: np.ndarray) -> _Rows:
        return _Rows(self.uid[mask], self.days[mask], self.y[mask], self.src[mask], self.key[mask])


def _checked(frame: pd.DataFrame) -> _Rows:
    """The frame as sorted, de-duplicated rows with an int64 key per (series, day)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(f"observations frame lacks columns {missing}", hint=f"columns are {COLUMNS}")
    uid, src = _categorical(frame["unique_id"]), _categorical(frame["source"])
    if (uid.codes < 0).any() or (src.codes < 0).any():
        raise InvalidInput("observations frame has empty unique_id or source")
    ds = frame["ds"]
    if not pd.api.types.is_datetime64_dtype(ds) or ds.dt.tz is not None:
        ds = pd.to_datetime(ds, errors="coerce")
        if getattr(ds.dt, "tz", None) is not None:
            ds = ds.dt.tz_localize(None)
    days = ds.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    if np.isnat(days).any():
        raise InvalidInput("observations frame has missing or unparsable ds")
    y = frame["y"]
    y = (y if pd.api.types.is_float_dtype(y) else pd.to_numeric(y, errors="coerce")).to_numpy(dtype="float64")
    if not np.isfinite(y).all():
        raise InvalidInput("observations frame has missing or non-finite y")
    y = y + 0.0  # -0.0 -> 0.0
    key = _key(uid.codes, days)
    if len(key) > 1 and not (key[1:] >= key[:-1]).all():
        # the order of the primary key, so inserts append to the b-tree
        order = np.argsort(key, kind="stable")
        key, days, y = key[order], days[order], y[order]
        uid, src = uid[order], src[order]
    dup = np.flatnonzero(key[1:] == key[:-1]) + 1 if len(key) > 1 else np.zeros(0, dtype=np.int64)
    if len(dup):
        differs = y[dup] != y[dup - 1]
        if differs.any():
            i = dup[np.argmax(differs)]
            raise InvalidInput(f"observations frame has different values for {uid[i]} on {days[i]}")
        keep = np.ones(len(key), dtype=bool)
        keep[dup] = False
        key, days, y, uid, src = key[keep], days[keep], y[keep], uid[keep], src[keep]
    return _Rows(uid, days, y, src, key)
