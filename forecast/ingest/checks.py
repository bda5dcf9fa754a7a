"""Validation of raw cells (:func:`check`): every observation good or a :class:`Problem`, and the
check against the series' history in the store."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast import registry
from forecast.ingest.forms import _candidates, _Form, _form
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

log = logging.getLogger(__package__)


@dataclass
class _Checked:
    good: pd.DataFrame  # unique_id, ds, y, line, rec, col
    problems: list[Problem]
    rows: int
    duplicates: int
    form: _Form
    omitted: int = 0  # problems counted but not built (over the caller's max_problems)


def check(raw: _Raw, max_problems: int | None = None) -> _Checked:
    """Validate raw cells: the good rows (``unique_id, ds, y`` with their line) and a Problem for
    every other observation (for the first ``max_problems`` of each kind when given: the others
    are only counted, so a body of bad rows costs no more than one of good rows). Nothing touches
    the store here."""
    room = _Room(max_problems)
    form = raw.form or _form(raw.header, raw.file)
    started = time.perf_counter()
    cand, empty_recs = _candidates(raw, form)
    m = len(cand["rec"])
    problems: list[Problem] = list(raw.screened)
    for line, nfields, fields in room.take(raw.ragged):
        problems.append(Problem(raw.file, line, f"{nfields} fields but the header has {len(raw.header)} "
                                "(quote a value that contains the separator, e.g. \"1,234\")",
                                {"fields": fields}, "bad_row"))
    for rec in room.take(empty_recs):
        problems.append(Problem(raw.file, int(raw.lines[rec]), "missing value (every value cell is empty)",
                                _row_dict(raw, form, rec, -1), "missing_value"))

    # Each check runs once per distinct raw value; rows only get codes into those results, and
    # reasons are assembled for the bad rows alone. A check is (codes, reasons, kinds), where
    # reasons[codes[i]] is None when row i passes.
    checks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    today = _today()
    d_codes, d_parsed, d_reason, d_kind = _resolve(cand["date"], lambda v: _parse_date(v, today))
    ds_uniq = np.array([p if p is not None else np.datetime64("NaT", "ns") for p in d_parsed], dtype="datetime64[ns]")
    ds = ds_uniq[d_codes]
    checks.append((d_codes, d_reason, d_kind))

    if form.kind == "long" and (form.uid is not None or form.station is not None):
        u_codes, uid_names, u_reason, u_kind = _resolve(cand["uid"], _uid_of)
        uid_codes = u_codes
        checks.append((u_codes, u_reason, u_kind))
    else:
        if form.region is not None:
            r_codes, r_parsed, r_reason, r_kind = _resolve(cand["region"], _region_of)
            checks.append((r_codes, r_reason, r_kind))
        else:
            r_codes, r_parsed = np.zeros(m, dtype=np.int64), np.array([None], dtype=object)
        if form.kind == "long":
            c_codes, c_parsed, c_reason, c_kind = _resolve(cand["metric"], _metric_of)
        else:  # the column says the metric (wide_metric) or the whole series (wide_series)
            cols = sorted(form.wide_targets)
            c_codes = np.searchsorted(np.asarray(cols), cand["col"].to_numpy()).astype(np.int64)
            targets = [form.wide_targets[c] for c in cols]
            c_parsed = np.array([t[0] for t in targets] + [None], dtype=object)
            c_reason = np.array([t[1] for t in targets] + [None], dtype=object)
            c_kind = np.array([t[2] for t in targets] + [""], dtype=object)
        checks.append((c_codes, c_reason, c_kind))
        if form.kind == "wide_series":
            uid_names, uid_codes = c_parsed, c_codes
        else:  # combine region and metric once per distinct pair
            width = len(c_parsed) + 1
            pair = (r_codes.astype(np.int64) + 1) * width + (c_codes.astype(np.int64) + 1)
            p_codes, p_uniq = pd.factorize(pair)
            names = []
            for p in p_uniq:  # code -1 (missing) maps to the last slot, fn(None)
                reg, met = r_parsed[p // width - 1], c_parsed[p % width - 1]
                names.append(f"{reg}/{met}" if reg is not None and met is not None else None)
            uid_names, uid_codes = np.array(names + [None], dtype=object), p_codes

    # values: a float column as is; text through pandas' C parser; the slow path only for what
    # that could not read (and, in JSON, for true/false, which must not become 1/0)
    values = cand["value"]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        y = values.to_numpy(dtype="float64", na_value=np.nan).copy()
        slow = np.isnan(y)
    else:
        y = _to_float(values)
        slow = np.isnan(y)
        if not raw.text and values.dtype == object:
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
    checks.append((v_codes, np.array(v_reason + [None], dtype=object), np.array(v_kind + [""], dtype=object)))
    checks.append(_bound_check(y, uid_names, uid_codes, v_codes))

    bad = np.zeros(m, dtype=bool)
    for codes, reasons, _ in checks:
        failing = np.array([r is not None for r in reasons], dtype=bool)
        if failing.any():
            bad |= failing[codes]
    recs, cols = cand["rec"].to_numpy(), cand["col"].to_numpy()
    lines = raw.lines[recs] if m else np.zeros(0, dtype=np.int64)
    for i in room.take(np.flatnonzero(bad)):
        found = [(reasons[codes[i]], kinds[codes[i]]) for codes, reasons, kinds in checks
                 if reasons[codes[i]] is not None]
        problems.append(Problem(raw.file, int(lines[i]), "; ".join(r for r, _ in found),
                                _row_dict(raw, form, recs[i], cols[i]), found[0][1]))

    ok = ~bad
    # the series as a Categorical: one string per distinct series, cheap to sort and compare
    small = pd.Categorical(uid_names)
    uid = pd.Categorical.from_codes(small.codes[uid_codes] if m else np.zeros(0, dtype=np.int8), small.categories)
    good = pd.DataFrame({"unique_id": uid[ok], "ds": ds[ok], "y": y[ok], "line": lines[ok],
                         "rec": recs[ok], "col": cols[ok]}, copy=False)
    duplicates = 0
    key = (good["unique_id"].cat.codes.to_numpy().astype(np.int64) << 32) \
        | (good["ds"].to_numpy().astype("datetime64[D]").astype(np.int64) + (1 << 31))
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    if dup.any():
        d = good[dup]
        distinct = d.groupby(["unique_id", "ds"], observed=True)["y"].transform("nunique")
        clash = d[distinct > 1]
        built = 0
        for (u, day), grp in clash.groupby(["unique_id", "ds"], sort=False, observed=True):
            if not room.left():
                break
            built += len(grp)
            room.built += len(grp)
            where = ", ".join(f"{ln} ({_fmt(v)})" for ln, v in zip(grp["line"], grp["y"], strict=True))
            for _, row in grp.iterrows():
                problems.append(Problem(raw.file, int(row["line"]),
                                        f"{u} on {day:%Y-%m-%d} has different values in this file: lines {where}",
                                        _row_dict(raw, form, int(row["rec"]), int(row["col"])), "duplicate"))
        room.omitted += len(clash) - built
        same_drop = d[(distinct == 1).to_numpy()].duplicated(["unique_id", "ds"], keep="first")
        duplicates = int(same_drop.sum())
        drop = clash.index.union(same_drop[same_drop].index)
        good = good.drop(index=drop)
    good = good.reset_index(drop=True)
    rows = m + len(raw.ragged) + len(empty_recs) + len(raw.screened)
    log.debug("checked %d observations in %.2f s: %d good, %d problems", rows, time.perf_counter() - started,
              len(good), len(problems))
    return _Checked(good, problems, rows, duplicates, form, room.omitted)


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
