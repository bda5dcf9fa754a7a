"""What every part of the schemas shares: media types, the longest range served, ``nullable``."""

from __future__ import annotations

from forecast.limits import MAX_REQUEST_DAYS

JSON = "application/json"
PROBLEM = "application/problem+json"
CSV = "text/csv"
TEXT = "text/plain"
HTML = "text/html"
PARQUET = "application/vnd.apache.parquet"

MAX_RANGE_DAYS = MAX_REQUEST_DAYS


def nullable(schema: dict) -> dict:
    """``schema`` or null (JSON Schema 2020-12 spelling; :func:`openapi_30` rewrites it for Swagger UI)."""
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out

