"""Query and path parameter schemas, and :func:`param` (an OpenAPI parameter object)."""

from __future__ import annotations

from api.schemas.common import MAX_RANGE_DAYS
from forecast import alerts, calendar, registry
from forecast.runs import LEVELS

__all__ = [  # re-exported by api.schemas
    "ALERT_LEVEL", "BOOL", "DATE", "DAYS", "JOB_ID", "LEVEL", "REGION", "SEASON", "TABLE_FORMAT", "UNIQUE_ID",
    "param",
]

DATE = {"type": "string", "format": "date", "pattern": r"^(19|20|21)\d{2}-\d{2}-\d{2}$",
        "description": "An ISO date, YYYY-MM-DD.", "examples": ["2026-02-04"]}
SEASON = {"type": "integer", "minimum": calendar.FIRST_SEASON, "maximum": calendar.LAST_SEASON,
          "description": "A season, named by its Spring Festival year (season 2026 is the Chunyun around 2026-02-17).",
          "examples": [2026]}
UNIQUE_ID = {"type": "string", "minLength": 1, "maxLength": 100,
             "description": "A series, `region/metric`, e.g. `jiangxi/highway_exit_vehicles`; see GET /v1/series.",
             "examples": ["jiangxi/highway_exit_vehicles"]}
REGION = {"type": "string", "minLength": 1, "maxLength": 64,
          "description": f"A region ({', '.join(sorted(registry.regions()))}) or an alias such as 江西.",
          "examples": ["jiangxi"]}
TABLE_FORMAT = {"type": "string", "enum": ["json", "csv"], "default": "json",
                "description": "`json` (default) or `csv` (the rows only)."}
LEVEL = {"type": "integer", "enum": list(LEVELS), "default": 80, "description": "Interval level, percent."}
ALERT_LEVEL = {"type": "string", "enum": [*alerts.LEVELS, "蓝", "黄", "橙", "红"],
               "description": "Lowest alert level to return: blue < yellow < orange < red (or 蓝/黄/橙/红)."}
DAYS = {"type": "integer", "minimum": 1, "maximum": MAX_RANGE_DAYS,
        "description": f"Number of days from `from` (1–{MAX_RANGE_DAYS}; default 40, or the season's length)."}
JOB_ID = {"type": "string", "pattern": r"^[0-9a-f]{32}$", "description": "A retraining job id (from POST /v1/runs)."}
BOOL = {"type": "boolean", "default": False}


def param(name: str, schema: dict, description: str | None = None, required: bool = False, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema,
            "description": description or schema.get("description", "")}

