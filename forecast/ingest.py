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
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import calendar, registry
from forecast.errors import InvalidInput, NotFound
from forecast.store import SAMPLE_SOURCE, Store

log = logging.getLogger(__name__)

MIN_DATE = calendar.FIRST_DATA_DAY  # one constant for ingest and training
MAX_COLUMNS = 1000  # columns of a header (or keys of JSON rows)
MAX_LINE_BYTES = 64 * 1024  # bytes of one line, the header included
MAX_PARQUET_ROWS = 5_000_000  # a small Parquet file can hold very many repeated rows
MAX_BAD_LINES = 1000  # more NUL-bearing or over-long lines than this: the file is unreadable
HISTORY_FACTOR = 10.0  # a value above this many times the series' stored maximum is implausible
HISTORY_MIN_ROWS = 30  # ... once the store holds this many days of the series
FILE_FACTOR = 100.0  # for a series new to the store: times the median of the file's own values
RESERVED_SOURCES = (SAMPLE_SOURCE,)  # rows labelled "sample" come from `chunyun prepare` only
CHINA_TZ = timezone(timedelta(hours=8))
_MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "--", "—", "——"}
_NUMBER = re.compile(r"^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_HEADERS = {
    "date": ("date", "ds", "日期"),
    "region": ("region", "地区"),
    "metric": ("metric", "指标"),
    "value": ("value", "y", "数值"),
    "unique_id": ("unique_id", "series", "序列"),
    "station": ("station", "station_id", "收费站"),
}
_CANONICAL = {alias.lower(): name for name, aliases in _HEADERS.items() for alias in aliases}
EXPECTED = "date,region,metric,value (or 日期,地区,指标,数值), date,unique_id,value, or a wide date,<metric or region/metric>... header"


class UnreadableFile(InvalidInput):
    """The file as a whole cannot be read: nothing was stored. The CLI exits with status 2."""

    exit_code = 2
    title = "Unreadable file"


@dataclass
class Problem:
    """One observation that was not stored, and why. ``row`` holds the raw fields."""

    file: str
    line: int
    reason: str
    row: dict = field(default_factory=dict)
    kind: str = ""  # machine-readable: bad_date, impossible_date, date_out_of_range, unknown_region, ...

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestReport:
    file: str
    source: str
    form: str = ""
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    replaced: int = 0
    duplicates: int = 0
    dry_run: bool = False
    sha256: str | None = None
    load_id: int | None = None
    problems_omitted: int = 0  # rejected rows beyond the first ``max_problems`` listed (counted in rejected)
    problems: list[Problem] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every row was stored or already there, 1 when rows were rejected."""
        return 1 if self.rejected else 0

    def summary(self) -> str:
        extra = f"unchanged {self.unchanged}, replaced {self.replaced}, duplicate {self.duplicates}"
        dry = "dry run, nothing stored; " if self.dry_run else ""
        return f"{self.file}: {dry}{self.rows} rows ({extra}); accepted {self.accepted}, rejected {self.rejected}"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["problems"] = [p.to_dict() for p in self.problems]
        return out


# ---------------------------------------------------------------------------------------- reading


@dataclass
class _Raw:
    """Raw cells of an input, one frame row per record, before any validation."""

    file: str
    frame: pd.DataFrame  # columns 0..n-1 in header order; str cells (CSV) or any objects
    header: list[str]
    lines: np.ndarray  # line of each frame row
    text: bool  # every cell is a str (CSV)
    sha256: str | None = None
    ragged: list[tuple[int, int, list[str]]] = field(default_factory=list)  # (line, n fields, fields)
    form: _Form | None = None
    line_fields: Callable[[int], list[str]] | None = None  # the raw fields of a file line (problem rows)
    screened: list[Problem] = field(default_factory=list)  # lines kept from the parsers (see _screen_lines)


def read_file(path: str | Path) -> _Raw:
    """Read a CSV or Parquet file into raw cells; :class:`UnreadableFile` if it cannot be."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path}: is a directory, not a file") from None
    except OSError as err:
        raise UnreadableFile(f"{path}: cannot be read: {err.strerror or err}") from None
    return read_bytes(data, path.name)


def read_bytes(data: bytes, name: str = "<body>") -> _Raw:
    """Raw cells of CSV or Parquet content ``data`` (an uploaded file or a request body)."""
    started = time.perf_counter()
    digest = hashlib.sha256(data).hexdigest()
    raw = _read_parquet(data, name) if data[:4] == b"PAR1" else _read_csv(data, name)
    raw.sha256 = digest
    log.debug("read %d records from %s in %.2f s", len(raw.frame), name, time.perf_counter() - started)
    return raw


def _read_parquet(data: bytes, name: str) -> _Raw:
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(io.BytesIO(data)).metadata  # the footer: sizes before any data is decoded
        if meta.num_columns > MAX_COLUMNS:
            raise UnreadableFile(f"{name}: {meta.num_columns} columns, more than the limit of {MAX_COLUMNS}",
                                 hint="split the data into several files with fewer columns")
        if meta.num_rows > MAX_PARQUET_ROWS:
            raise UnreadableFile(f"{name}: {meta.num_rows} rows, more than the limit of {MAX_PARQUET_ROWS}",
                                 hint="split the data into several files")
        frame = pd.read_parquet(io.BytesIO(data))
    except UnreadableFile:
        raise
    except Exception as err:  # pyarrow raises many kinds
        raise UnreadableFile(f"{name}: not a readable Parquet file ({type(err).__name__}: {err})") from None
    return _raw_from_frame(frame, name, lines=None)


def _raw_from_frame(frame: pd.DataFrame, name: str, lines=None) -> _Raw:
    if len(frame.columns) > MAX_COLUMNS:
        raise UnreadableFile(f"{name}: {len(frame.columns)} columns, more than the limit of {MAX_COLUMNS}",
                             hint="split the data into several files (or requests) with fewer columns")
    header = [str(c) for c in frame.columns]
    cols = {}
    for i, c in enumerate(frame.columns):
        s = frame[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)) \
                or pd.api.types.is_bool_dtype(s):
            s = s.astype(object)
            try:
                pd.factorize(s)
            except TypeError:  # unhashable cells (a Parquet struct or list column): checked as text
                s = s.map(_scalar_or_text)
        cols[i] = s.reset_index(drop=True)
    out = pd.DataFrame(cols, index=pd.RangeIndex(len(frame)))
    if lines is None:
        lines = np.arange(1, len(frame) + 1)
    return _Raw(name, out, header, np.asarray(lines, dtype=np.int64), text=False)


class _HugeInt(str):
    """An integer beyond 64 bits from JSON, kept as text (its row is rejected as too large)."""


def _text_if_huge(v):
    if isinstance(v, int) and not isinstance(v, bool) and not -(2 ** 63) <= v < 2 ** 63:
        return _HugeInt(f"an integer of {int(v.bit_length() * 0.30103) + 1} digits")  # str(v) may be refused
    return v


def _scalar_or_text(v):
    """A cell as it is when it is a scalar, else as short text (a struct or list is no observation)."""
    if isinstance(v, dict | list | tuple | set | np.ndarray):
        return _short(repr(v.tolist() if isinstance(v, np.ndarray) else v))
    return v


def _read_csv(data: bytes, name: str) -> _Raw:
    head = data[:65536]
    if b"\0" in head:
        raise UnreadableFile(f"{name}: binary data, not a CSV or Parquet file")
    if head[:4] == b"PK\x03\x04":
        raise UnreadableFile(f"{name}: looks like an Excel workbook or a zip archive",
                             hint="save the sheet as CSV UTF-8")
    end = data.find(b"\n")
    header_bytes = end if end >= 0 else len(data)
    if header_bytes > MAX_LINE_BYTES:
        raise UnreadableFile(f"{name}: the header line is {header_bytes} bytes long, more than the limit of "
                             f"{MAX_LINE_BYTES}", hint=f"send at most {MAX_COLUMNS} columns; expected {EXPECTED}")
    try:  # the header line only: the parser checks the rest, and the slow path decodes it all
        first = data[: end if end >= 0 else len(data)].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as err:
        raise UnreadableFile(f"{name}: not UTF-8 text (byte {err.start})",
                             hint="save the file as CSV UTF-8; GBK/ANSI files are not read") from None
    if not first.strip():
        raise UnreadableFile(f"{name}: empty file or empty first line; the first line must be the header",
                             hint=f"expected {EXPECTED}")
    delim = next((d for d in (",", "\t", ";") if d in first), ",")
    if first.count(delim) >= MAX_COLUMNS:
        raise UnreadableFile(f"{name}: the header has {first.count(delim) + 1} columns, more than the limit of "
                             f"{MAX_COLUMNS}", hint="split the file into several files with fewer columns")
    try:
        header = [h.strip() for h in next(csv.reader([first], delimiter=delim))]
    except csv.Error as err:
        raise UnreadableFile(f"{name}: the header line is not readable CSV ({err})", hint=f"expected {EXPECTED}") from None
    while header and header[-1] == "":  # trailing separators, as some spreadsheets write
        header.pop()
    if not header:
        raise UnreadableFile(f"{name}: no header line", hint=f"expected {EXPECTED}")
    form = _form(header, name)  # an unusable header fails here, before the file is parsed
    data, screened = _screen_lines(data, name, delim)
    raw = _csv_fast(data, name, header, delim, form)
    if raw is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise UnreadableFile(f"{name}: not UTF-8 text (byte {err.start})",
                                 hint="save the file as CSV UTF-8; GBK/ANSI files are not read") from None
        if "\0" in text:
            raise UnreadableFile(f"{name}: binary data, not a CSV or Parquet file")
        raw = _csv_slow(text, name, header, delim)
    raw.form = form
    raw.screened = screened
    return raw


def _screen_lines(data: bytes, name: str, delim: str) -> tuple[bytes, list[Problem]]:
    """Data lines the parsers must not see, reported as rejected rows and blanked (their line
    breaks kept, so line numbers do not move): lines longer than MAX_LINE_BYTES, lines holding a
    NUL byte (the C parser would end the field there: ``4\\x008000`` read as 4), and a quote opened
    at the start of a field and never closed (the C parser takes ``...,"40`` at the end of a
    truncated file as 40). Linear in the size of the data; the header was checked before."""
    bad: dict[int, tuple[str, str]] = {}  # 0-based line -> (reason, kind)
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(data)]])
    if len(data) > MAX_LINE_BYTES:
        lengths = ends - starts
        for i in np.flatnonzero(lengths > MAX_LINE_BYTES):
            if i > 0:
                bad[int(i)] = (f"line is {int(lengths[i])} bytes long, more than the limit of {MAX_LINE_BYTES} "
                               "(a field this long is not an observation)", "line_too_long")
    pos = data.find(b"\0")
    while pos >= 0:
        i = int(np.searchsorted(nl, pos))  # newlines before pos = 0-based line
        bad.setdefault(i, ("line holds a NUL byte (binary data, or a file saved as UTF-16)", "binary_data"))
        if len(bad) > MAX_BAD_LINES:
            raise UnreadableFile(f"{name}: binary data: NUL bytes or over-long lines on more than {MAX_BAD_LINES} "
                                 f"lines (from line {min(bad) + 1})", hint="save the file as CSV UTF-8")
        if i >= len(nl):
            break
        pos = data.find(b"\0", int(nl[i]) + 1)
    tail = None
    if data.count(b'"') % 2:  # quotes toggle a field's quoting: an odd count leaves the last one open
        q = data.rfind(b'"')
        if q == 0 or data[q - 1:q] in (delim.encode(), b"\n", b"\r"):  # it opens a field
            tail = int(np.searchsorted(nl, q))
            bad[tail] = ("a quote opened on this line is never closed, so the record would run to the end of the "
                         "file (a truncated upload?); close the quote or send the whole file", "unclosed_quote")
    if not bad:
        return data, []
    problems, parts, at = [], [], 0
    for i in sorted(bad):
        if tail is not None and i > tail:
            continue  # inside the unclosed record: reported with it
        begin = int(starts[i])
        stop = len(data) if i == tail else int(ends[i])
        text = data[begin:min(stop, begin + 80)].decode("utf-8", "backslashreplace")
        reason, kind = bad[i]
        problems.append(Problem(name, i + 1, reason, {"text": text}, kind))
        parts.append(data[at:begin])
        parts.append(b"\n" * data.count(b"\n", begin, stop) if i == tail else b"")
        at = stop
    parts.append(data[at:])
    return b"".join(parts), problems


def _physical_lines(data: bytes) -> int:
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def _csv_fast(data: bytes, name: str, header: list[str], delim: str, form: _Form) -> _Raw | None:
    """pandas' C parser, when it provably keeps one frame row per physical line; else None.

    Repetitive columns (date, region, metric, series) are read as categoricals and value columns
    as float64, so a million rows do not become millions of Python strings; if a value does not
    parse as a number the file is read again with values as text, for the per-row reasons.
    """
    n = len(header)
    width = n + 2  # room to see (and report) lines with more fields than the header
    value_cols = [form.value] if form.kind == "long" else list(form.wide)
    dtypes = {i: "category" for i in range(width)}
    for numeric in (True, False):
        dtypes.update({i: "float64" if numeric else object for i in value_cols})
        try:
            df = pd.read_csv(io.BytesIO(data), sep=delim, header=None, skiprows=1, names=list(range(width)),
                             dtype=dtypes, na_values=[""], keep_default_na=False, skip_blank_lines=False,
                             encoding="utf-8-sig", engine="c")
            break
        except pd.errors.ParserError:
            return None  # more fields than names, or a quoting problem: the csv module reports it
        except ValueError:  # a value that is not a plain number
            if not numeric:
                return None
        except UnicodeDecodeError:
            return None
    if not isinstance(df.index, pd.RangeIndex) or _physical_lines(data) != len(df) + 1:
        return None  # quoted line breaks, lone CRs, or more fields than names: use the csv module
    line_fields = _line_reader(data, delim)
    lines = np.arange(2, len(df) + 2)
    extra = np.zeros(len(df), dtype=bool)
    for c in range(n, width):
        extra |= ~_blank_cells(df[c])
    ragged = []
    for i in np.flatnonzero(extra):
        fields = line_fields(int(lines[i]))
        while fields and not fields[-1].strip():
            fields.pop()
        ragged.append((int(lines[i]), len(fields), fields))
    frame = df.iloc[:, :n]
    blank = np.ones(len(df), dtype=bool)
    for c in range(n):
        blank &= _blank_cells(frame[c])
    keep = ~blank & ~extra
    if not keep.all():
        frame, lines = frame[keep], lines[keep]
    return _Raw(name, frame.reset_index(drop=True), header, lines, text=True, ragged=ragged, line_fields=line_fields)


def _blank_cells(col: pd.Series) -> np.ndarray:
    """Cells that are empty (NaN after parsing) or only spaces."""
    blank = col.isna().to_numpy()
    if isinstance(col.dtype, pd.CategoricalDtype):
        spaces = [i for i, c in enumerate(col.cat.categories) if not str(c).strip()]
        if spaces:
            blank |= np.isin(col.cat.codes.to_numpy(), spaces)
    elif col.dtype == object:
        maybe = np.flatnonzero(~blank)
        cells = col.to_numpy()
        blank[maybe] = [not str(v).strip() for v in cells[maybe]]
    return blank


def _line_reader(data: bytes, delim: str) -> Callable[[int], list[str]]:
    """The raw fields of physical line ``k`` (1-based) of ``data``; offsets found on first use."""
    starts: list[np.ndarray] = []

    def fields(k: int) -> list[str]:
        if not starts:
            nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
            starts.append(np.concatenate([[0], nl + 1]))
        begin = int(starts[0][k - 1])
        end = int(starts[0][k]) if k < len(starts[0]) else len(data)
        text = data[begin:end].decode("utf-8-sig" if k == 1 else "utf-8").rstrip("\r\n")
        return next(csv.reader([text], delimiter=delim), [])

    return fields


def _csv_slow(text: str, name: str, header: list[str], delim: str) -> _Raw:
    n = len(header)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        next(reader)
        rows, lines, ragged = [], [], []
        prev = reader.line_num
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            fields = list(rec)
            while len(fields) > n and fields[-1].strip() == "":
                fields.pop()
            if not any(f.strip() for f in fields):
                continue
            if len(fields) > n:
                ragged.append((start, len(fields), fields))
                continue
            rows.append(fields + [""] * (n - len(fields)))
            lines.append(start)
    except csv.Error as err:
        raise UnreadableFile(f"{name}: not a readable CSV file ({err})", hint=f"expected {EXPECTED}") from None
    frame = pd.DataFrame(rows, columns=list(range(n))) if rows else pd.DataFrame(
        {i: pd.Series([], dtype=object) for i in range(n)})
    return _Raw(name, frame, header, np.asarray(lines, dtype=np.int64), text=True, ragged=ragged)


# ----------------------------------------------------------------------------------- shape rules


@dataclass
class _Form:
    kind: str  # long, wide_metric, wide_series
    date: int
    region: int | None = None
    metric: int | None = None
    value: int | None = None
    uid: int | None = None
    station: int | None = None  # long form: region/metric/station series (a toll station's rows)
    wide: list[int] = field(default_factory=list)  # value columns of a wide form
    wide_targets: dict[int, tuple[str | None, str | None, str]] = field(default_factory=dict)
    # column -> (metric or uid resolved, reason if unknown, kind)


def _form(header: list[str], file: str) -> _Form:
    """The form of an input, decided by its header alone (see the module docstring)."""
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile(f"{file}: {len(header)} columns, more than the limit of {MAX_COLUMNS}",
                             hint="split the data into several files (or requests) with fewer columns")
    canon: dict[str, int] = {}
    for i, h in enumerate(header):
        name = _CANONICAL.get(h.strip().lower())
        if name:
            if name in canon:
                raise UnreadableFile(f"{file}: two {name} columns ({header[canon[name]]!r} and {h!r})")
            canon[name] = i
    counts = Counter(h.strip() for h in header)  # linear: a wide header must not cost n^2
    dups = {h for h, k in counts.items() if h and k > 1}
    if dups:
        raise UnreadableFile(f"{file}: repeated column names {sorted(dups)}")
    if "date" not in canon:
        raise UnreadableFile(f"{file}: no recognisable header (no date column in {header[:8]})",
                             hint=f"expected {EXPECTED}")
    if "station" in canon and not ("value" in canon and "region" in canon and "metric" in canon):
        raise UnreadableFile(f"{file}: a station column needs region, metric and value columns",
                             hint="date,region,metric,station,value (or date,unique_id,value with region/metric/station)")
    if "value" in canon:
        if "region" in canon and "metric" in canon:
            return _Form("long", canon["date"], region=canon["region"], metric=canon["metric"], value=canon["value"],
                         station=canon.get("station"))
        if "unique_id" in canon:
            return _Form("long", canon["date"], uid=canon["unique_id"], value=canon["value"])
        raise UnreadableFile(f"{file}: a value column needs region and metric columns (or unique_id)",
                             hint=f"expected {EXPECTED}")
    if "metric" in canon or "unique_id" in canon:
        raise UnreadableFile(f"{file}: no value column", hint=f"expected {EXPECTED}")
    kind = "wide_metric" if "region" in canon else "wide_series"
    form = _Form(kind, canon["date"], region=canon.get("region"))
    form.wide = [i for i in range(len(header)) if i not in canon.values()]
    resolve = _metric_of if kind == "wide_metric" else _uid_of
    for i in form.wide:
        name = header[i].strip()
        got, reason, rkind = resolve(name) if name else (None, "missing column name", "unknown_column")
        if reason:
            reason = f"{reason} (column {i + 1}{' ' + repr(name) if name else ''})"
        form.wide_targets[i] = (got, reason, rkind)
    if not any(t[0] for t in form.wide_targets.values()):
        what = "metric" if kind == "wide_metric" else "region/metric series"
        raise UnreadableFile(f"{file}: no recognisable header: no value column, and no column is a known {what}",
                             hint=f"expected {EXPECTED}")
    return form


# ---------------------------------------------------------------------------- per-value parsers
# Each returns (parsed or None, reason or None, kind); they run once per distinct raw value.


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


def _station_uids(region: pd.Series, metric: pd.Series, station: pd.Series) -> np.ndarray:
    """``region/metric/station`` text per row (``region/metric`` where the station cell is empty),
    built once per distinct triple; :func:`_uid_of` then checks each distinct one."""
    def codes_of(col):
        if isinstance(col.dtype, pd.CategoricalDtype):
            return col.cat.codes.to_numpy().astype(np.int64), list(col.cat.categories)
        c, u = pd.factorize(col, use_na_sentinel=True)
        return c.astype(np.int64), list(u)

    (rc, ru), (mc, mu), (sc, su) = codes_of(region), codes_of(metric), codes_of(station)
    key = ((rc + 1) * (len(mu) + 1) + (mc + 1)) * (len(su) + 1) + (sc + 1)
    k_codes, k_uniq = pd.factorize(key)
    names = []
    for k in k_uniq:
        s_i, rest = k % (len(su) + 1) - 1, k // (len(su) + 1)
        m_i, r_i = rest % (len(mu) + 1) - 1, rest // (len(mu) + 1) - 1
        r = str(ru[r_i]).strip() if r_i >= 0 else ""
        m = str(mu[m_i]).strip() if m_i >= 0 else ""
        st = str(su[s_i]).strip() if s_i >= 0 and not _is_missing(su[s_i]) else ""
        names.append(f"{r}/{m}/{st}" if st else (f"{r}/{m}" if r and m else None))
    return np.array(names, dtype=object)[k_codes]


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


def _short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a reason (a 5,000-digit value is not repeated)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _check_number(v: float, text: str):
    if not math.isfinite(v):
        return None, f"value {text!r} is not a finite number", "non_numeric"
    if v < 0:
        return None, f"negative value {text}", "negative_value"
    return v + 0.0, None, ""


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


# ----------------------------------------------------------------------------------- validation


@dataclass
class _Checked:
    good: pd.DataFrame  # unique_id, ds, y, line, rec, col
    problems: list[Problem]
    rows: int
    duplicates: int
    form: _Form
    omitted: int = 0  # problems counted but not built (over the caller's max_problems)


def _row_dict(raw: _Raw, form: _Form, rec: int, col: int) -> dict:
    """The raw fields of an observation: the whole record in long form; date, region and the one
    cell in wide form. From the file's own text where there is one."""
    if raw.line_fields is not None:
        fields = raw.line_fields(int(raw.lines[rec]))
        fields += [""] * (len(raw.header) - len(fields))

        def cell(i):
            return fields[i]
    else:
        def cell(i):
            v = raw.frame.iat[rec, i]
            if isinstance(v, str):
                return v
            return None if _is_missing(v) else _jsonable(v)

    if col < 0:
        return {raw.header[i]: cell(i) for i in range(len(raw.header))}
    keys = [form.date] + ([form.region] if form.region is not None else []) + [col]
    return {raw.header[i]: cell(i) for i in keys}


def _jsonable(v):
    if isinstance(v, pd.Timestamp | datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _candidates(raw: _Raw, form: _Form) -> tuple[dict[str, pd.Series], list[int]]:
    """One row per observation: rec (frame row), col (-1 in long form), date, value, key columns.
    Also the frame rows of a wide form whose value cells are all empty."""
    n = len(raw.frame)
    if form.kind == "long":  # a dict of columns: no need to copy them into a frame
        cand = {"rec": pd.Series(np.arange(n)), "col": pd.Series(np.full(n, -1)),
                "date": raw.frame[form.date], "value": raw.frame[form.value]}
        if form.uid is not None:
            cand["uid"] = raw.frame[form.uid]
        elif form.station is not None:
            cand["uid"] = pd.Series(_station_uids(raw.frame[form.region], raw.frame[form.metric], raw.frame[form.station]))
        else:
            cand["region"] = raw.frame[form.region]
            cand["metric"] = raw.frame[form.metric]
        return cand, []
    parts = []
    any_value = np.zeros(n, dtype=bool)
    for c in form.wide:
        cells = raw.frame[c]
        if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
            present = cells.notna().to_numpy()
        else:  # text: "", "NA", "-" ... mean no observation; decided once per distinct cell
            codes, uniques = pd.factorize(cells, use_na_sentinel=True)
            missing = np.array([_is_missing(u) for u in uniques] + [True], dtype=bool)
            present = ~missing[codes]
        any_value |= present
        idx = np.flatnonzero(present)
        part = pd.DataFrame({"rec": idx, "col": c, "date": raw.frame[form.date].array.take(idx),
                             "value": cells.array.take(idx)})
        if form.region is not None:
            part["region"] = raw.frame[form.region].array.take(idx)
        parts.append(part)
    cand = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["rec", "col", "date", "value"])
    cand = cand.sort_values(["rec", "col"], kind="stable").reset_index(drop=True)
    return {c: cand[c] for c in cand.columns}, np.flatnonzero(~any_value).tolist()


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


class _Room:
    """How many more problems of a kind to build in detail (None: all); counts the others."""

    def __init__(self, limit: int | None):
        self.limit, self.built, self.omitted = limit, 0, 0

    def take(self, items):
        """The first items there is room for (all when there is no limit); counts the rest."""
        if self.limit is None:
            return items
        n = max(0, min(len(items), self.limit - self.built))
        self.built += n
        self.omitted += len(items) - n
        return items[:n]

    def left(self) -> bool:
        return self.limit is None or self.built < self.limit


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


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


# ------------------------------------------------------------------------------------- ingesting


def ingest(path: str | Path, store: Store | None = None, source: str | None = None, dry_run: bool = False,
           replace: bool = False, max_problems: int | None = None) -> IngestReport:
    """Validate and store a CSV or Parquet file; see the module docstring for the rules.
    ``max_problems``: list at most this many problems of each kind in detail (all are counted)."""
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
