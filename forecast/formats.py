"""JSON-ready values shared by every front end (CLI, API, briefing, notebooks): dates as ISO
strings, numpy scalars as Python numbers, NaN as null."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd


def json_default(obj):
    if isinstance(obj, pd.Timestamp | datetime):
        return obj.date().isoformat() if obj == pd.Timestamp(obj).normalize() else obj.isoformat()
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def to_json(obj) -> str:
    if isinstance(obj, pd.DataFrame):
        obj = frame_records(obj)
    return json.dumps(obj, ensure_ascii=False, indent=2, default=json_default)


def frame_records(df: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with ISO dates and no NaN (None instead)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict(orient="records")
