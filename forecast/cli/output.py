"""Formatting shared by every command: data to stdout, nothing else there."""

from __future__ import annotations

import argparse
import sys
from datetime import date

import pandas as pd

from forecast.errors import InvalidInput
from forecast.formats import to_json


def add_format_flags(parser: argparse.ArgumentParser, csv: bool = True) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", dest="fmt", action="store_const", const="json", help="JSON on stdout")
    if csv:
        group.add_argument("--csv", dest="fmt", action="store_const", const="csv", help="CSV on stdout")
    parser.set_defaults(fmt="text")


def parse_date_arg(value: str | None, name: str) -> pd.Timestamp | None:
    """A CLI date option as a Timestamp, or a one-line error naming the option."""
    if value is None:
        return None
    try:
        return pd.Timestamp(date.fromisoformat(str(value)))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD") from None


def text_table(frame: pd.DataFrame, empty: str, dates=("ds",), **columns) -> str:
    """``frame`` as a text table: ``empty`` when it has no row; the ``dates`` columns as YYYY-MM-DD;
    each ``column=fn`` rewritten as ``fn(column)``."""
    if frame.empty:
        return empty
    out = frame.copy()
    for col in dates:
        out[col] = out[col].dt.strftime("%Y-%m-%d")
    for col, fn in columns.items():
        out[col] = fn(out[col])
    return out.to_string(index=False)


def emit(obj, fmt: str, text=None) -> None:
    """Write ``obj`` as JSON, CSV (frames only) or text (``text`` callable or str())."""
    if fmt == "json":
        sys.stdout.write(to_json(obj) + "\n")
    elif fmt == "csv":
        frame = obj if isinstance(obj, pd.DataFrame) else pd.DataFrame(obj)
        frame.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        sys.stdout.write((text(obj) if text else (obj.to_string(index=False) if isinstance(obj, pd.DataFrame) else str(obj))) + "\n")
