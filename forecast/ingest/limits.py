"""The limits and vocabularies of ingest: sizes checked on the raw bytes, plausibility factors,
the header names, the date and number patterns, and :class:`UnreadableFile`."""

from __future__ import annotations

import re
from datetime import timedelta, timezone

from forecast import calendar
from forecast.errors import InvalidInput
from forecast.store import SAMPLE_SOURCE

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
