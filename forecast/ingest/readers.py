"""Reading an input into raw cells: a file or bytes (CSV or Parquet, told by the magic bytes),
Parquet, and frames (JSON rows of a request)."""

from __future__ import annotations

import hashlib
import io
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.ingest.csv_reader import _read_csv
from forecast.ingest.limits import MAX_COLUMNS, MAX_PARQUET_ROWS, UnreadableFile
from forecast.ingest.raw import _Raw
from forecast.ingest.report import _short

log = logging.getLogger(__package__)


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


def _scalar_or_text(v):
    """A cell as it is when it is a scalar, else as short text (a struct or list is no observation)."""
    if isinstance(v, dict | list | tuple | set | np.ndarray):
        return _short(repr(v.tolist() if isinstance(v, np.ndarray) else v))
    return v
