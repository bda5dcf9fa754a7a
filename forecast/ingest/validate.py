"""Validation of raw cells (:func:`check`): every observation good or a :class:`Problem` (rows of
the wrong shape, the checks of :mod:`forecast.ingest.checks`, different values for one series and
day within the file)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.ingest.checks import _bound_check, _date_check, _series_checks, _value_check
from forecast.ingest.forms import _candidates, _Form, _form
from forecast.ingest.raw import _Raw, _row_dict
from forecast.ingest.report import Problem, _fmt, _Room
from forecast.store import _key  # the series-and-day int64 key: store's one copy

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
    problems += _shape_problems(raw, form, empty_recs, room)

    # Each check runs once per distinct raw value; rows only get codes into those results, and
    # reasons are assembled for the bad rows alone. A check is (codes, reasons, kinds), where
    # reasons[codes[i]] is None when row i passes.
    ds, date_check = _date_check(cand["date"])
    series_checks, uid_names, uid_codes = _series_checks(cand, form, m)
    y, value_check = _value_check(cand["value"], raw.text, m)
    checks = [date_check, *series_checks, value_check, _bound_check(y, uid_names, uid_codes, value_check[0])]

    bad = _failing(checks, m)
    recs, cols = cand["rec"].to_numpy(), cand["col"].to_numpy()
    lines = raw.lines[recs] if m else np.zeros(0, dtype=np.int64)
    problems += _check_problems(raw, form, checks, room.take(np.flatnonzero(bad)), lines, recs, cols)

    good = _good_rows(uid_names, uid_codes, ds, y, lines, recs, cols, ~bad)
    good, duplicates, clashes = _file_duplicates(good, raw, form, room)
    problems += clashes
    rows = m + len(raw.ragged) + len(empty_recs) + len(raw.screened)
    log.debug("checked %d observations in %.2f s: %d good, %d problems", rows, time.perf_counter() - started,
              len(good), len(problems))
    return _Checked(good, problems, rows, duplicates, form, room.omitted)


def _shape_problems(raw: _Raw, form: _Form, empty_recs: list[int], room: _Room) -> list[Problem]:
    """Lines with more fields than the header, and wide lines whose value cells are all empty."""
    problems = []
    for line, nfields, fields in room.take(raw.ragged):
        problems.append(Problem(raw.file, line, f"{nfields} fields but the header has {len(raw.header)} "
                                "(quote a value that contains the separator, e.g. \"1,234\")",
                                {"fields": fields}, "bad_row"))
    for rec in room.take(empty_recs):
        problems.append(Problem(raw.file, int(raw.lines[rec]), "missing value (every value cell is empty)",
                                _row_dict(raw, form, rec, -1), "missing_value"))
    return problems


def _failing(checks: list[tuple[np.ndarray, np.ndarray, np.ndarray]], m: int) -> np.ndarray:
    """The observations that fail any check."""
    bad = np.zeros(m, dtype=bool)
    for codes, reasons, _ in checks:
        failing = np.array([r is not None for r in reasons], dtype=bool)
        if failing.any():
            bad |= failing[codes]
    return bad


def _check_problems(raw: _Raw, form: _Form, checks: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                    which: np.ndarray, lines: np.ndarray, recs: np.ndarray, cols: np.ndarray) -> list[Problem]:
    """A Problem for each observation of ``which``: the reasons of every check it fails."""
    problems = []
    for i in which:
        found = [(reasons[codes[i]], kinds[codes[i]]) for codes, reasons, kinds in checks
                 if reasons[codes[i]] is not None]
        problems.append(Problem(raw.file, int(lines[i]), "; ".join(r for r, _ in found),
                                _row_dict(raw, form, recs[i], cols[i]), found[0][1]))
    return problems


def _good_rows(uid_names: np.ndarray, uid_codes: np.ndarray, ds: np.ndarray, y: np.ndarray, lines: np.ndarray,
               recs: np.ndarray, cols: np.ndarray, ok: np.ndarray) -> pd.DataFrame:
    """The observations that passed: unique_id, ds, y, line, rec, col."""
    # the series as a Categorical: one string per distinct series, cheap to sort and compare
    small = pd.Categorical(uid_names)
    uid = pd.Categorical.from_codes(small.codes[uid_codes] if len(ok) else np.zeros(0, dtype=np.int8), small.categories)
    return pd.DataFrame({"unique_id": uid[ok], "ds": ds[ok], "y": y[ok], "line": lines[ok],
                         "rec": recs[ok], "col": cols[ok]}, copy=False)


def _file_duplicates(good: pd.DataFrame, raw: _Raw, form: _Form,
                     room: _Room) -> tuple[pd.DataFrame, int, list[Problem]]:
    """The same series and day twice in the file: with the same value, stored once (counted as
    duplicates); with different values, every such line is a problem."""
    problems: list[Problem] = []
    duplicates = 0
    key = _key(good["unique_id"].cat.codes.to_numpy(), good["ds"].to_numpy())
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
    return good, duplicates, problems
