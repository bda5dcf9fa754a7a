"""Raw cells of an input (``_Raw``), before any validation, and the raw fields a problem quotes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.ingest.parsers import _is_missing

if TYPE_CHECKING:
    from forecast.ingest.forms import _Form
    from forecast.ingest.report import Problem


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
