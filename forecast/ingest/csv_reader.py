"""CSV: the header checked on the raw bytes, the lines the parsers must not see screened out, then
pandas' C parser (the fast path) or the csv module (the slow path)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import numpy as np
import pandas as pd

from forecast.ingest.forms import _Form, _form
from forecast.ingest.limits import EXPECTED, MAX_BAD_LINES, MAX_COLUMNS, MAX_LINE_BYTES, UnreadableFile
from forecast.ingest.raw import _Raw
from forecast.ingest.report import Problem


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
