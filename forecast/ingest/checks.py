"""One function per check. A check is (codes, reasons, kinds), where ``reasons[codes[i]]`` is None
when observation ``i`` passes; each runs once per distinct raw value (dates, series, values), then
the bound per unit and, once the good rows are known, the check against the series' history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import registry
from forecast.ingest.forms import _Form
from forecast.ingest.limits import FILE_FACTOR, HISTORY_FACTOR, HISTORY_MIN_ROWS
from forecast.ingest.parsers import (
    _check_number,
    _metric_of,
    _parse_date,
    _region_of,
    _resolve,
    _to_float,
    _today,
    _uid_of,
    _value_of,
)
from forecast.ingest.raw import _Raw, _row_dict
from forecast.ingest.report import Problem, _fmt, _Room, _short
from forecast.store import Store


def _date_check(dates: pd.Series):
    """Each observation's day (NaT where it fails) and the date check."""
    today = _today()
    d_codes, d_parsed, d_reason, d_kind = _resolve(dates, lambda v: _parse_date(v, today))
    ds_uniq = np.array([p if p is not None else np.datetime64("NaT", "ns") for p in d_parsed], dtype="datetime64[ns]")
    ds = ds_uniq[d_codes]
    return ds, (d_codes, d_reason, d_kind)


def _series_checks(cand: dict[str, pd.Series], form: _Form, m: int):
    """The checks of each observation's series: its unique_id (long form by series or station), or
    its region and its metric (in the wide forms, the column's); with the series names and each
    observation's code into them."""
    if form.kind == "long" and (form.uid is not None or form.station is not None):
        u_codes, uid_names, u_reason, u_kind = _resolve(cand["uid"], _uid_of)
        uid_codes = u_codes
        return [(u_codes, u_reason, u_kind)], uid_names, uid_codes
    checks = []
    if form.region is not None:
        r_codes, r_parsed, r_reason, r_kind = _resolve(cand["region"], _region_of)
        checks.append((r_codes, r_reason, r_kind))
    else:
        r_codes, r_parsed = np.zeros(m, dtype=np.int64), np.array([None], dtype=object)
    if form.kind == "long":
        c_codes, c_parsed, c_reason, c_kind = _resolve(cand["metric"], _metric_of)
    else:  # the column says the metric (wide_metric) or the whole series (wide_series)
        c_codes, c_parsed, c_reason, c_kind = _column_targets(form, cand["col"])
    checks.append((c_codes, c_reason, c_kind))
    if form.kind == "wide_series":
        uid_names, uid_codes = c_parsed, c_codes
    else:  # combine region and metric once per distinct pair
        uid_names, uid_codes = _pair_names(r_codes, r_parsed, c_codes, c_parsed)
    return checks, uid_names, uid_codes


def _column_targets(form: _Form, col: pd.Series):
    """What the column of each observation of a wide form names, as (codes, parsed, reasons, kinds)."""
    cols = sorted(form.wide_targets)
    c_codes = np.searchsorted(np.asarray(cols), col.to_numpy()).astype(np.int64)
    targets = [form.wide_targets[c] for c in cols]
    c_parsed = np.array([t[0] for t in targets] + [None], dtype=object)
    c_reason = np.array([t[1] for t in targets] + [None], dtype=object)
    c_kind = np.array([t[2] for t in targets] + [""], dtype=object)
    return c_codes, c_parsed, c_reason, c_kind


def _pair_names(r_codes: np.ndarray, r_parsed: np.ndarray, c_codes: np.ndarray, c_parsed: np.ndarray):
    """``region/metric`` once per distinct pair (None where either failed), and each row's code."""
    width = len(c_parsed) + 1
    pair = (r_codes.astype(np.int64) + 1) * width + (c_codes.astype(np.int64) + 1)
    p_codes, p_uniq = pd.factorize(pair)
    names = []
    for p in p_uniq:  # code -1 (missing) maps to the last slot, fn(None)
        reg, met = r_parsed[p // width - 1], c_parsed[p % width - 1]
        names.append(f"{reg}/{met}" if reg is not None and met is not None else None)
    return np.array(names + [None], dtype=object), p_codes


def _value_check(values: pd.Series, text: bool, m: int):
    """Each observation's value (NaN where it fails) and the value check.

    A float column as is; text through pandas' C parser; the slow path only for what that could
    not read (and, in JSON, for true/false, which must not become 1/0)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        y = values.to_numpy(dtype="float64", na_value=np.nan).copy()
        slow = np.isnan(y)
    else:
        y = _to_float(values)
        slow = np.isnan(y)
        if not text and values.dtype == object:
            slow |= np.array([isinstance(v, bool | np.bool_) for v in values], dtype=bool)
    odd = np.flatnonzero(slow | ~np.isfinite(y) | (y < 0))
    v_codes = np.full(m, -1, dtype=np.int64)  # -1: the value passed (last slot: no reason)
    v_reason, v_kind = [], []
    for i in odd:
        v = values.iat[i]
        if slow[i]:
            parsed, reason, kind = _value_of(v)
            y[i] = np.nan if parsed is None else parsed
        else:  # parsed, but inf or negative
            _, reason, kind = _check_number(y[i], _short(v.strip()) if isinstance(v, str) else _fmt(y[i]))
        if reason:
            v_codes[i] = len(v_reason)
            v_reason.append(reason)
            v_kind.append(kind)
    return y, (v_codes, np.array(v_reason + [None], dtype=object), np.array(v_kind + [""], dtype=object))


def _bound_check(y: np.ndarray, uid_names: np.ndarray, uid_codes: np.ndarray, v_codes: np.ndarray):
    """The absolute bound per unit (registry.MAX_DAILY) as a check (codes, reasons, kinds)."""
    bounds = np.full(len(uid_names), np.inf)
    units = {}
    for k, name in enumerate(uid_names):
        if name is not None:
            metric = str(name).split("/")[1]
            bounds[k] = registry.max_daily(metric)
            units[k] = registry.METRICS[metric].unit
    with np.errstate(invalid="ignore"):
        over = np.flatnonzero((v_codes < 0) & (y > bounds[uid_codes]))
    codes = np.full(len(y), -1, dtype=np.int64)
    reasons, kinds = [], []
    for i in over:
        k = uid_codes[i]
        codes[i] = len(reasons)
        reasons.append(f"implausible value {_fmt(y[i])}: more than {bounds[k]:,.0f} {units[k]} in one day "
                       f"(the bound for any series counted in {units[k]}); check the unit and the digits")
        kinds.append("implausible_value")
    return codes, np.array(reasons + [None], dtype=object), np.array(kinds + [""], dtype=object)


def _against_history(good: pd.DataFrame, store: Store, raw: _Raw, form: _Form,
                     room: _Room | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows whose value is far above the series' own level, as problems (see the module
    docstring): above HISTORY_FACTOR x the stored maximum when the store holds HISTORY_MIN_ROWS
    days of the series, else above FILE_FACTOR x the median of the file's values for it."""
    if good.empty:
        return good, []
    uid = good["unique_id"].array
    cats, codes = uid.categories, uid.codes
    present = np.unique(codes)
    stats = store.series_stats([str(cats[c]) for c in present])
    file_stats = good.groupby("unique_id", observed=True)["y"].agg(["median", "size"])
    limit = np.full(len(cats), np.inf)
    basis: dict[int, str] = {}
    for c in present:
        name = str(cats[c])
        n, top = stats.get(name, (0, 0.0))
        if n >= HISTORY_MIN_ROWS and top > 0:
            limit[c] = HISTORY_FACTOR * top
            basis[c] = f"{HISTORY_FACTOR:g} times the highest value stored for {name} ({_fmt(top)}, {n} days)"
        elif name in file_stats.index and file_stats.at[name, "size"] >= HISTORY_MIN_ROWS \
                and file_stats.at[name, "median"] > 0:
            med = float(file_stats.at[name, "median"])
            limit[c] = FILE_FACTOR * med
            basis[c] = f"{FILE_FACTOR:g} times the median of this file's values for {name} ({_fmt(med)})"
    over = np.flatnonzero(good["y"].to_numpy() > limit[codes])
    if not len(over):
        return good, []
    problems = []
    for i in (room or _Room(None)).take(over):
        row = good.iloc[i]
        problems.append(Problem(raw.file, int(row["line"]),
                                f"implausible value {_fmt(row['y'])} for {row['unique_id']} on {row['ds']:%Y-%m-%d}: more "
                                f"than {basis[codes[i]]}; check the unit and the digits",
                                _row_dict(raw, form, int(row["rec"]), int(row["col"])), "implausible_value"))
    keep = np.ones(len(good), dtype=bool)
    keep[over] = False
    return good[keep].reset_index(drop=True), problems
