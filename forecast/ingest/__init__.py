"""Ingest observations from a file (CSV or Parquet) or an HTTP body, without losing a row.

Every data row is either stored or reported as a :class:`Problem` with the file, the line and the
reason. One file is one store transaction: an exception part-way leaves the store as it was, and
ingesting the same file again changes nothing (its rows count as *unchanged*).

Files
-----
- **CSV**: UTF-8 with or without a BOM (save Excel sheets as "CSV UTF-8"); comma-separated (a
  tab- or semicolon-separated file is recognised by its header line). Blank lines are skipped.
- **Parquet**: recognised by its magic bytes, whatever the file is called; same columns as CSV.
- Anything else (missing file, binary data, not UTF-8, an Excel workbook, no recognisable header)
  raises :class:`UnreadableFile` (``exit_code`` 2) and nothing is stored.

Columns
-------
Header names are matched without case and surrounding spaces; Chinese names are accepted:
``date``/``ds``/``日期``, ``region``/``地区``, ``metric``/``指标``, ``value``/``y``/``数值``,
``unique_id``/``series``/``序列``. Regions and metrics may be given by any registry alias
(``江西``, ``全国``, ``铁路旅客发送量`` ...).

The form is decided by the header alone:

1. **Long** — there is a ``value`` column: each line is one observation, identified by
   ``region`` + ``metric`` columns, or else by a ``unique_id`` column (``jiangxi/rail_passengers``).
   Other columns (notes, units) are ignored.
2. **Wide by metric** — no ``value`` column, but a ``region`` column: every other column is a
   metric (``date,region,rail_passengers,air_passengers``).
3. **Wide by series** — neither ``value`` nor ``region``: every other column is a series
   ``region/metric`` (``date,jiangxi/rail_passengers,national/air_passengers``; aliases allowed on
   either side of the ``/``, e.g. ``江西/铁路旅客发送量``).

In the wide forms each non-empty cell is one observation; an empty cell (or ``NA``, ``-``, ``—``)
means "no observation" and is skipped, but a line whose cells are all empty is reported. A wide
header must name at least one known metric or series; cells under an unknown column are reported.

Values
------
Plain numbers in base units (persons, vehicles), e.g. ``1234567`` or ``1.2e6``. Thousands
separators are accepted only in the standard grouping ``1,234,567`` (the field must then be quoted
in CSV); any other comma, a 万/亿 suffix (store ``125000``, not ``12.5万``), a negative or
non-finite number is rejected. In long form an empty value (or ``NA``, ``-``) is reported as
missing. A value must be plausible: at most :data:`forecast.registry.MAX_DAILY` for its unit
(1.5 billion persons, 0.5 billion vehicles a day), and at most ``HISTORY_FACTOR`` (10) times the
highest value stored for its series once the store holds ``HISTORY_MIN_ROWS`` (30) days of it
(or, for a series new to the store, ``FILE_FACTOR`` (100) times the median of the file's own
values for it, when the file has 30 of them). An implausible value is rejected, never stored.

Limits
------
Checked on the raw bytes before any parsing: at most ``MAX_COLUMNS`` (1000) columns (or JSON keys)
and ``MAX_LINE_BYTES`` (64 KiB) per line. A data line that is too long, holds a NUL byte, or opens a
quote that is never closed (a truncated upload: ``...,"40`` at the end of the file) is reported
as a rejected row and the rest of the file is read; an over-long or over-wide header, or binary
data throughout, makes the file unreadable. Parser errors of every kind (CSV, JSON, Parquet,
encodings) become a row problem or an :class:`UnreadableFile`, never an unhandled exception.

Dates
-----
``YYYY-MM-DD`` (also ``YYYY/M/D``, ``YYYY.M.D``, ``YYYYMMDD``, ``YYYY年M月D日``, a midnight time such
as ``2025-01-14 00:00:00``, or a date/timestamp column in Parquet). A date that does not exist
(``2025-02-30``) is *impossible*; one before :data:`forecast.calendar.FIRST_DATA_DAY` (2000-01-01,
the first day the calendar and the models support) or after today (China time) is *out of range*.

Line numbers
------------
For CSV, the physical line in the file, header = line 1 (a quoted field spanning lines counts all
of them; the row is reported at its first line). For Parquet and JSON rows there is no header:
line = row number, starting at 1 (index + 1).

Within one file, the same series and day twice with the same value is fine (stored once, counted
in ``duplicates``); with different values, every such line is reported. A value that differs from
the stored one is reported as a conflict unless ``replace=True``, which overwrites it.

Counts: ``rows`` = observations read = ``accepted`` (written: new or replaced) + ``unchanged``
(already stored with that value) + ``duplicates`` + ``rejected`` (= number of problems).

Modules, by job (this module holds :func:`ingest`, :func:`ingest_bytes`, :func:`ingest_frame` and
re-exports the names callers use):

- ``limits``: the limits, the header names, the date and number patterns, :class:`UnreadableFile`;
- ``report``: :class:`Problem`, :class:`IngestReport`, the budget of problems listed in detail;
- ``parsers``: per-value parsers (dates, regions, metrics, series, stations, values);
- ``raw``: an input's raw cells before validation, and the raw fields a problem quotes;
- ``forms``: the form decided by the header (long, station, wide by metric, wide by series);
- ``readers``: files and bytes (CSV or Parquet), Parquet, frames of JSON rows;
- ``csv_reader``: CSV: header, screened lines, the fast (C parser) and slow (csv module) paths;
- ``checks``: one function per check (dates, series, values, bounds, the series' history);
- ``validate``: :func:`check`, which runs the checks and builds the problems and the good rows.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import InvalidInput
from forecast.ingest.checks import _against_history
from forecast.ingest.forms import _candidates, _Form, _form
from forecast.ingest.limits import (
    CHINA_TZ,
    EXPECTED,
    FILE_FACTOR,
    HISTORY_FACTOR,
    HISTORY_MIN_ROWS,
    MAX_BAD_LINES,
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    MAX_PARQUET_ROWS,
    MIN_DATE,
    RESERVED_SOURCES,
    UnreadableFile,
)
from forecast.ingest.parsers import _text_if_huge
from forecast.ingest.raw import _Raw, _row_dict
from forecast.ingest.readers import _raw_from_frame, read_bytes, read_file
from forecast.ingest.report import IngestReport, Problem, _fmt, _Room
from forecast.ingest.validate import _Checked, check
from forecast.store import Store

log = logging.getLogger(__name__)

# Every public name of the former module forecast/ingest.py, and the private helpers tests use.
__all__ = [
    "CHINA_TZ",
    "EXPECTED",
    "FILE_FACTOR",
    "HISTORY_FACTOR",
    "HISTORY_MIN_ROWS",
    "MAX_BAD_LINES",
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_PARQUET_ROWS",
    "MIN_DATE",
    "RESERVED_SOURCES",
    "IngestReport",
    "Problem",
    "UnreadableFile",
    "check",
    "ingest",
    "ingest_bytes",
    "ingest_frame",
    "read_bytes",
    "read_file",
    "_Checked",
    "_Form",
    "_Raw",
    "_candidates",
    "_form",
    "_row_dict",
]


def ingest(path: str | Path, store: Store | None = None, source: str | None = None, dry_run: bool = False,
           replace: bool = False, max_problems: int | None = None) -> IngestReport:
    """Validate and store a CSV or Parquet file; see the module docstring for the rules.
    ``max_problems``: list at most this many problems in detail from the rows' own checks, and as
    many again from the checks against the stored history (every problem is counted)."""
    raw = read_file(path)
    return _ingest_raw(raw, store, source or Path(path).name, dry_run, replace, max_problems)


def ingest_bytes(data: bytes, store: Store | None = None, source: str | None = "upload", name: str | None = None,
                 dry_run: bool = False, replace: bool = False, max_problems: int | None = None) -> IngestReport:
    """Validate and store CSV or Parquet content (an uploaded file or an HTTP body)."""
    raw = read_bytes(data, name or source or "<body>")
    return _ingest_raw(raw, store, source or "upload", dry_run, replace, max_problems)


def ingest_frame(frame: pd.DataFrame | list[dict], store: Store | None = None, source: str | None = "api",
                 dry_run: bool = False, replace: bool = False, lines=None, file: str = "<body>",
                 max_problems: int | None = None) -> IngestReport:
    """Validate and store rows already parsed (JSON rows of a request), with the same columns and
    rules as a file. ``lines`` defaults to the row number (index + 1)."""
    if not isinstance(frame, pd.DataFrame):
        records = list(frame)
        keys: set = set()
        for i, rec in enumerate(records, 1):
            if not isinstance(rec, dict):
                raise UnreadableFile(f"{file}: row {i} is not an object", hint="send a JSON array of objects")
            keys.update(rec)
            if len(keys) > MAX_COLUMNS:  # before pandas builds a column for each
                raise UnreadableFile(f"{file}: the rows have more than {MAX_COLUMNS} distinct keys (from row {i})",
                                     hint="send date, region, metric, value (or unique_id, ds, y) in every row")
        try:
            frame = pd.DataFrame.from_records(records)
        except OverflowError:  # an integer beyond 64 bits: as text, so that its row alone is rejected
            frame = pd.DataFrame.from_records([{k: _text_if_huge(v) for k, v in rec.items()} for rec in records])
        except (TypeError, ValueError) as err:
            raise UnreadableFile(f"{file}: rows must be objects with the same keys ({err})") from None
    raw = _raw_from_frame(frame, file, lines=lines)
    return _ingest_raw(raw, store, source or "api", dry_run, replace, max_problems)


def _ingest_raw(raw: _Raw, store: Store | None, source: str, dry_run: bool, replace: bool,
                max_problems: int | None = None) -> IngestReport:
    source = str(source).strip()
    if not source:
        raise InvalidInput("empty source name", hint="give --source NAME")
    if source.lower() in RESERVED_SOURCES:
        raise InvalidInput(f"source {source!r} is reserved for the sample history that `chunyun prepare` loads",
                           hint="label your rows with another source name (--source NAME, ?source=NAME)")
    started = time.perf_counter()
    checked = check(raw, max_problems)
    report = IngestReport(raw.file, source, checked.form.kind, rows=checked.rows, duplicates=checked.duplicates,
                          dry_run=dry_run, sha256=raw.sha256)
    problems = checked.problems
    store = store if store is not None else Store()
    room = _Room(max_problems)
    good, implausible = _against_history(checked.good, store, raw, checked.form, room)
    problems += implausible
    omitted = checked.omitted + room.omitted
    rows = good[["unique_id", "ds", "y"]].assign(
        source=pd.Categorical.from_codes(np.zeros(len(good), dtype=np.int8), [source]))
    # rejected rows known so far; the store adds the conflicts it finds inside the transaction
    audit = {"source": source, "file": raw.file, "sha256": raw.sha256, "rejected": len(problems) + omitted}
    result = store.write(rows, replace=replace, dry_run=dry_run, audit=audit)
    if len(result.conflicts):
        keys = result.conflicts[["unique_id", "ds"]].assign(unique_id=result.conflicts["unique_id"].astype(str))
        where = good[["unique_id", "ds", "line", "rec", "col"]]
        where = where[where["unique_id"].isin(keys["unique_id"].unique())].astype({"unique_id": str})
        located = result.conflicts.merge(where, on=["unique_id", "ds"], how="left")
        if max_problems is not None and len(located) > max_problems:
            omitted += len(located) - max_problems
            located = located.iloc[:max_problems]
        for c in located.itertuples(index=False):
            problems.append(Problem(
                raw.file, int(c.line),
                f"{c.unique_id} on {c.ds:%Y-%m-%d}: value {_fmt(c.y)} conflicts with stored {_fmt(c.stored_y)} "
                f"from {c.stored_source!r} (ingest with replace to overwrite)",
                _row_dict(raw, checked.form, int(c.rec), int(c.col)), "conflict"))
    problems.sort(key=lambda p: p.line)
    if max_problems is not None and len(problems) > max_problems:
        omitted += len(problems) - max_problems
        problems = problems[:max_problems]
    report.problems = problems
    report.problems_omitted = omitted
    report.rejected = len(problems) + omitted
    report.accepted = result.written
    report.unchanged = result.unchanged
    report.replaced = result.replaced
    report.load_id = result.load_id
    log.debug("%s in %.2f s", report.summary(), time.perf_counter() - started)
    return report
