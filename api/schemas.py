"""Every operation of the API as data: path, parameters (JSON Schema), bodies and responses.

The same table drives three things, so they cannot drift apart:

- :func:`route` registers a view for an operation (path and method come from here);
- ``api.validation`` validates query, path and body values with these schemas (jsonschema);
- :func:`openapi` generates ``/openapi.json`` (OpenAPI 3.1) from it.
"""

from __future__ import annotations

import copy
import re

from forecast import alerts, calendar, registry
from forecast.runs import LEVELS

JSON = "application/json"
PROBLEM = "application/problem+json"
CSV = "text/csv"
TEXT = "text/plain"
HTML = "text/html"
PARQUET = "application/vnd.apache.parquet"

MAX_RANGE_DAYS = 400


def nullable(schema: dict) -> dict:
    """``schema`` or null (JSON Schema 2020-12 spelling; :func:`openapi_30` rewrites it for Swagger UI)."""
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


# ---------------------------------------------------------------------------------------------
# parameter schemas

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


# ---------------------------------------------------------------------------------------------
# response schemas (components)

NUM = {"type": "number"}
NNUM = nullable(NUM)
STR = {"type": "string"}
NSTR = nullable(STR)

COMPONENTS: dict[str, dict] = {
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "description": "An RFC 9457 problem: what was wrong (`detail`) and how to fix it (`hint`).",
        "properties": {
            "type": {"type": "string", "description": "A URI reference naming the problem type (GET it for a description)."},
            "title": STR, "status": {"type": "integer"}, "detail": STR, "instance": STR,
            "hint": STR,
            "errors": {"type": "array", "items": {"type": "object"}, "description": "One entry per invalid value or row."},
        },
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}},
    "Ready": {"type": "object", "required": ["status", "run_id"],
              "properties": {"status": {"type": "string", "enum": ["ready"]}, "run_id": STR, "data_kind": NSTR}},
    "Series": {
        "type": "object", "required": ["unique_id", "region", "metric", "unit"],
        "properties": {
            "unique_id": STR, "region": STR, "metric": STR,
            "unit": {"type": "string", "description": "Base unit: persons (person-trips) or vehicles."},
            "display_unit": STR, "name_zh": STR, "name_en": STR,
            "data_kind": NSTR, "in_run": {"type": "boolean"}, "model": NSTR,
            "history_start": NSTR, "history_end": NSTR,
            "observations": nullable({"type": "integer"}),
        },
    },
    "SeriesList": {"type": "object", "required": ["run_id", "series"],
                   "properties": {"run_id": NSTR, "data_kind": NSTR,
                                  "series": {"type": "array", "items": {"$ref": "#/components/schemas/Series"}}}},
    "ForecastRow": {"type": "object", "required": ["unique_id", "ds", "yhat", "yhat_lower", "yhat_upper"],
                    "properties": {"unique_id": STR, "ds": {"type": "string", "format": "date"},
                                   "yhat": NNUM, "yhat_lower": NNUM, "yhat_upper": NNUM}},
    "ForecastTable": {
        "type": "object", "required": ["run_id", "unique_id", "unit", "level", "start", "end", "rows"],
        "properties": {
            "run_id": STR, "unique_id": STR, "unit": STR, "level": {"type": "integer"}, "data_kind": NSTR,
            "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
            "available": nullable({"type": "object", "properties": {"start": STR, "end": STR}}),
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/ForecastRow"}},
        },
    },
    "MetricSummary": {
        "type": "object", "required": ["unit", "total"],
        "properties": {
            "unit": STR, "total": NNUM, "total_lower": NNUM, "total_upper": NNUM, "yoy_pct": NNUM,
            "daily_avg": NNUM, "peak_date": NSTR, "peak_value": NNUM,
            "peak_probabilities": {"type": "array", "items": {"type": "object", "properties": {"date": STR, "p": NNUM}}},
            "p_record": NNUM, "model": NSTR,
            "history_kind": {**NSTR, "description": "real, mixed or sample: the rows the forecast was fitted on."},
            "actuals_kind": {**NSTR, "description": "real, mixed or sample: the season's own rows (null: none yet)."},
        },
    },
    "Summary": {
        "type": "object", "required": ["region", "season", "metrics"],
        "description": "The summary contract (docs/ARCHITECTURE.md): totals in base units, 80 % intervals.",
        "properties": {
            "region": STR, "season": {"type": ["integer", "string"]}, "cutoff": NSTR, "data_kind": NSTR, "run_id": NSTR,
            "actuals_kind": NSTR,
            "metrics": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/MetricSummary"}},
        },
    },
    "Alert": {
        "type": "object",
        "required": ["date", "unique_id", "rule", "level", "yhat", "threshold", "probability", "message_zh", "message_en"],
        "properties": {
            "date": {"type": "string", "format": "date"}, "unique_id": STR, "region": STR, "metric": STR,
            "rule": {"type": "string", "enum": [*alerts.RULES, "capacity"]},  # capacity: toll stations
            "level": {"type": "string", "enum": list(alerts.LEVELS)},
            "yhat": NNUM, "yhat_lower": NNUM, "yhat_upper": NNUM, "threshold": NNUM,
            "probability": nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "message_zh": STR, "message_en": STR,
        },
    },
    "AlertList": {
        "type": "object", "required": ["run_id", "from", "days", "alerts"],
        "properties": {"run_id": STR, "data_kind": NSTR, "from": {"type": "string", "format": "date"},
                       "days": {"type": "integer"}, "region": NSTR, "min_level": NSTR,
                       "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}}},
    },
    "StationRow": {
        "type": "object",
        "required": ["unique_id", "station", "name", "kind", "yhat", "yhat_lower", "yhat_upper", "capacity",
                     "load_ratio", "level", "lanes_etc_needed", "lanes_manual_needed"],
        "properties": {
            "unique_id": STR, "station": STR, "name": STR, "kind": STR, "city": NSTR, "road": NSTR,
            "yhat": NNUM, "yhat_lower": NNUM, "yhat_upper": NNUM, "p_peak": NNUM, "capacity": NNUM, "load_ratio": NNUM,
            "level": nullable({"type": "string", "enum": list(alerts.LEVELS)}),
            "lanes_etc": {"type": ["integer", "null"]}, "lanes_manual": {"type": ["integer", "null"]},
            "lanes_etc_needed": {"type": "integer"}, "lanes_manual_needed": {"type": "integer"},
        },
    },
    "StationList": {
        "type": "object", "required": ["run_id", "region", "date", "rows"],
        "properties": {"run_id": STR, "region": STR, "date": {"type": "string", "format": "date"},
                       "season": {"type": "integer"}, "data_kind": NSTR, "by": STR, "stations": {"type": "integer"},
                       "over_capacity": {"type": "integer"}, "at_alert_level": {"type": "integer"},
                       "model": NSTR, "method": NSTR, "unit": STR, "level": {"type": "integer"},
                       "rows": {"type": "array", "items": {"$ref": "#/components/schemas/StationRow"}}},
    },
    "BacktestRow": {"type": "object", "properties": {"unique_id": STR, "season": {}, "model": STR, "metric": STR, "value": NNUM,
                                                     "actuals_kind": {**NSTR, "description": "real, mixed or sample: what the season was scored against."}}},
    "BacktestList": {"type": "object", "required": ["run_id", "rows"],
                     "properties": {"run_id": STR, "rows": {"type": "array", "items": {"$ref": "#/components/schemas/BacktestRow"}}}},
    "Scorecard": {
        "type": "object", "required": ["run_id", "real"],
        "description": "Every model against the real published days (forecast/scorecard.py): `real` (one row per "
                       "series, season and model: daily MAPE and 80% coverage on real days, the naive at the model's "
                       "total, season total, peak), `official` (published season-ahead forecasts), `estimates` (the "
                       "ministry's same-day estimates against its completed figures), `nowcast` (after 10/20/30 days), "
                       "`one_day_ahead`, `vintages` (the revision trail), `selection` (the model chosen per series and "
                       "season, and why) and `sample` (backtest metrics on sample seasons, labelled sample).",
        "properties": {"run_id": STR, **{name: {"type": "array", "items": {"type": "object"}} for name in
                                         ("real", "official", "estimates", "nowcast", "one_day_ahead", "vintages", "sample")},
                       "selection": {"type": "object"}},
    },
    "Run": {
        "type": "object", "required": ["run_id"],
        "description": "A run's manifest (see forecast/runs.py), with `current` marking the live one.",
        "properties": {"run_id": STR, "created_at": NSTR, "cutoff": NSTR, "data_end": NSTR, "data_fingerprint": NSTR,
                       "data_kind": NSTR, "versions": {"type": "object"}, "models": {"type": "object"},
                       "current": {"type": "boolean"},
                       "skipped": {"type": "array", "description": "What training left out, and why: a season a series' "
                                   "history cannot support (`season` set), or a whole series (`season` null).",
                                   "items": {"type": "object", "required": ["unique_id", "reason"],
                                             "properties": {"unique_id": STR, "season": nullable({"type": "integer"}),
                                                            "reason": STR}}}},
    },
    "RunList": {"type": "object", "required": ["runs"],
                "properties": {"runs": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}}}},
    "Job": {
        "type": "object", "required": ["job_id", "status", "status_url"],
        "properties": {"job_id": STR, "status": {"type": "string", "enum": ["running", "succeeded", "failed"]},
                       "status_url": STR, "started_at": NSTR, "finished_at": NSTR, "run_id": NSTR, "error": NSTR},
    },
    "IngestReport": {
        "type": "object", "required": ["accepted", "rejected", "problems"],
        "description": "forecast.ingest's report: rows = accepted + unchanged + duplicates + rejected.",
        "properties": {
            "file": STR, "source": STR, "form": STR, "dry_run": {"type": "boolean"}, "rows": {"type": "integer"},
            "accepted": {"type": "integer"}, "rejected": {"type": "integer"},
            "unchanged": {"type": "integer"}, "replaced": {"type": "integer"}, "duplicates": {"type": "integer"},
            "sha256": NSTR, "load_id": nullable({"type": "integer"}),
            "problems_omitted": {"type": "integer", "description": "Rejected rows not listed in `problems` (the API "
                                 "lists at most 1000 of each kind; `rejected` counts them all)."},
            "problems": {"type": "array", "items": {"type": "object", "properties": {
                "file": NSTR, "line": nullable({"type": "integer"}), "reason": STR, "row": {"type": "object"},
                "kind": STR}}},
        },
    },
    "Retraction": {
        "type": "object", "required": ["load_id", "deleted", "restored", "dry_run"],
        "description": "What `DELETE /v1/loads/{load_id}` (or `chunyun retract`) did: rows the load inserted are "
                       "deleted, values it replaced are restored, in one transaction.",
        "properties": {"load_id": {"type": "integer"}, "retract_id": nullable({"type": "integer"}), "source": NSTR,
                       "file": NSTR, "deleted": {"type": "integer"}, "restored": {"type": "integer"},
                       "dry_run": {"type": "boolean"}},
    },
    "ProblemType": {"type": "object", "required": ["type", "title", "status"],
                    "properties": {"type": STR, "title": STR, "status": {"type": "integer"}, "description": STR}},
}

# Request bodies are validated with these (self-contained: no $ref).
SCALAR = {"type": ["string", "number", "integer", "null"]}


def _not_all_null(fields: list[str]) -> dict:
    """A row whose required fields are all null holds nothing to store: the schema says so."""
    return {"required": fields, "properties": {f: {"type": "null"} for f in fields}}


OBSERVATION_REGIONAL = {"type": "object", "required": ["date", "region", "metric", "value"],
                        "properties": {"date": SCALAR, "region": SCALAR, "metric": SCALAR, "value": SCALAR,
                                       "station": SCALAR},  # a toll station's row (data/stations/<region>.csv)
                        "additionalProperties": SCALAR, "maxProperties": 1000,
                        "not": _not_all_null(["date", "region", "metric", "value"])}
OBSERVATION_LONG = {"type": "object", "required": ["unique_id", "ds", "y"],
                    "properties": {"unique_id": SCALAR, "ds": SCALAR, "y": SCALAR}, "additionalProperties": SCALAR,
                    "maxProperties": 1000, "not": _not_all_null(["unique_id", "ds", "y"])}
OBSERVATIONS_BODY = {
    "description": "Actuals, all rows in one shape: `{date, region, metric, value}` (plus `station` for a toll "
                   "station) or `{unique_id, ds, y}` (`unique_id` may be `region/metric/station`). "
                   "Values are checked row by row as `chunyun ingest` does; bad rows are reported, good rows stored.",
    "oneOf": [{"type": "array", "minItems": 1, "items": OBSERVATION_REGIONAL},
              {"type": "array", "minItems": 1, "items": OBSERVATION_LONG}],
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(schema: dict | None = None, description: str = "OK", media: str = JSON, extra: dict | None = None) -> dict:
    content = {media: {"schema": schema or {}}}
    content.update(extra or {})
    return {"description": description, "content": content}


def table_ok(schema: dict, description: str = "OK") -> dict:
    return ok(schema, description, extra={CSV: {"schema": {"type": "string"}}})


PROBLEM_TEXT = {
    400: "Invalid input: a parameter or body is malformed (see `errors`).",
    401: "Missing or wrong bearer token.",
    403: "Write endpoints are disabled: no CHUNYUN_API_TOKEN is set.",
    404: "Unknown series, region, season, run or job.",
    408: "The body stopped arriving before it was complete.",
    409: "A retraining job is already running, or the load cannot be retracted (see `detail`).",
    413: "The body is larger than CHUNYUN_MAX_BODY_BYTES.",
    415: "The body's Content-Type is not accepted.",
    422: "Well-formed input that cannot be acted on (e.g. a range over 400 days, or no valid row).",
    503: "No trained run is loaded yet.",
}


def problems(*codes: int) -> dict:
    return {str(c): {"description": PROBLEM_TEXT[c], "content": {PROBLEM: {"schema": ref("Problem")}}} for c in codes}


READ = (400, 404, 422, 503)
WRITE = (401, 403)

OPERATIONS: dict[str, dict] = {
    "health": {
        "method": "get", "path": "/healthz", "tags": ["service"], "summary": "Liveness: the process answers.",
        "responses": {"200": ok(ref("Health"))},
    },
    "ready": {
        "method": "get", "path": "/readyz", "tags": ["service"], "summary": "Readiness: a current run is loaded.",
        "responses": {"200": ok(ref("Ready")), **problems(503)},
    },
    "openapi": {
        "method": "get", "path": "/openapi.json", "tags": ["service"], "summary": "This document (OpenAPI 3.1).",
        "responses": {"200": ok({"type": "object"})},
    },
    "docs": {
        "method": "get", "path": "/docs", "tags": ["service"], "summary": "Swagger UI for this API (served locally).",
        "responses": {"200": ok({"type": "string"}, media=HTML)},
    },
    "problem_type": {
        "method": "get", "path": "/problems/{slug}", "tags": ["service"], "summary": "What a problem `type` means.",
        "parameters": [param("slug", {"type": "string", "maxLength": 64}, "The last part of a problem's `type`.", where="path")],
        "responses": {"200": ok(ref("ProblemType")), **problems(404)},
    },
    "page": {
        "method": "get", "path": "/", "tags": ["page"],
        "summary": "The planners' page: the season summary by mode, the daily forecast chart and its alerts.",
        "parameters": [
            param("region", REGION, "Region to show (default jiangxi)."),
            param("season", SEASON, "Season to show (default: the run's latest)."),
            param("metric", {"type": "string", "enum": list(registry.METRICS)}, "Series charted (default highway_exit_vehicles)."),
            param("lang", {"type": "string", "enum": ["zh", "en"], "default": "zh"}, "Language of the briefing."),
        ],
        "responses": {"200": ok({"type": "string"}, media=HTML), **problems(*READ)},
    },
    "list_series": {
        "method": "get", "path": "/v1/series", "tags": ["data"],
        "summary": "The series: unit, history range and data kind (from the store and the current run).",
        "parameters": [param("region", REGION, "Only this region's series."), param("format", TABLE_FORMAT)],
        "responses": {"200": table_ok(ref("SeriesList")), **problems(*READ)},
    },
    "list_forecasts": {
        "method": "get", "path": "/v1/forecasts", "tags": ["forecasts"],
        "summary": "Daily forecast rows `unique_id, ds, yhat, yhat_lower, yhat_upper` for one series.",
        "description": "The window is `start..end`: `end` must not be before `start`, and the window may span "
                       f"at most {MAX_RANGE_DAYS} days (else 400 or 422). With only one of them the window is "
                       f"{MAX_RANGE_DAYS} days from `start` or up to `end`, within the run's forecasts; without them, "
                       "the Chunyun window of `season` (default: the run's latest season). Served from the current run.",
        # what JSON Schema cannot say about two parameters together (tests/test_api_schema.py reads it)
        "x-constraints": [{"rule": "not_before", "parameter": "end", "other": "start"},
                          {"rule": "max_span_days", "parameters": ["start", "end"], "days": MAX_RANGE_DAYS}],
        "parameters": [
            param("unique_id", UNIQUE_ID, required=True), param("start", DATE, "First day (inclusive)."),
            param("end", DATE, "Last day (inclusive)."), param("season", SEASON, "Use this season's Chunyun window."),
            param("level", LEVEL), param("format", TABLE_FORMAT),
        ],
        "responses": {"200": table_ok(ref("ForecastTable")), **problems(*READ)},
    },
    "season_summary": {
        "method": "get", "path": "/v1/seasons/{season}/summary", "tags": ["forecasts"],
        "summary": "A season's summary for a region (the summary contract), or the day-one briefing as text.",
        "parameters": [
            param("season", SEASON, where="path"), param("region", REGION, "Region (default national)."),
            param("format", {"type": "string", "enum": ["json", "text"], "default": "json"},
                  "`json` (the summary contract) or `text` (the briefing a transport department publishes)."),
            param("lang", {"type": "string", "enum": ["zh", "en"], "default": "zh"}, "Language of the text briefing."),
        ],
        "responses": {"200": ok(ref("Summary"), extra={TEXT: {"schema": {"type": "string"}}}), **problems(*READ)},
    },
    "list_alerts": {
        "method": "get", "path": "/v1/alerts", "tags": ["forecasts"],
        "summary": "Peak alerts (data/alerts.yaml thresholds) over the current run's forecasts.",
        "description": "Days `from .. from + days - 1`; by default the latest season's Chunyun window.",
        "parameters": [
            param("from", DATE, "First day (default: the latest season's Chunyun start)."), param("days", DAYS),
            param("region", REGION, "Only this region."), param("min_level", ALERT_LEVEL), param("format", TABLE_FORMAT),
        ],
        "responses": {"200": table_ok(ref("AlertList")), **problems(*READ)},
    },
    "list_stations": {
        "method": "get", "path": "/v1/stations", "tags": ["forecasts"],
        "summary": "Toll stations of a region ranked on a day by forecast exits or by load against design capacity, "
                   "with the ETC and manual lanes the day needs open at its busiest hour.",
        "description": "Rows `unique_id, station, name, kind, yhat, yhat_lower, yhat_upper, capacity, load_ratio, level, "
                       "lanes_etc, lanes_manual, lanes_etc_needed, lanes_manual_needed` (80% interval; `level` from "
                       "the capacity rules in data/alerts.yaml; lane parameters in data/stations/lanes.yaml). Without "
                       "`date`, the busiest day of the run's latest season.",
        "parameters": [
            param("region", REGION, "Region (default: the first with stations, jiangxi)."),
            param("date", DATE, "The day (inside a season the run forecasts the stations for)."),
            param("top", {"type": "integer", "minimum": 1, "maximum": 100000}, "At most this many rows (default every station)."),
            param("by", {"type": "string", "enum": ["exits", "load"], "default": "exits"},
                  "Rank by forecast exits (`exits`) or by load against design capacity (`load`)."),
            param("format", TABLE_FORMAT),
        ],
        "responses": {"200": table_ok(ref("StationList")), **problems(*READ)},
    },
    "list_backtests": {
        "method": "get", "path": "/v1/backtests", "tags": ["runs"],
        "summary": "The current run's backtest metrics (tidy: unique_id, season, model, metric, value).",
        "parameters": [param("unique_id", UNIQUE_ID, "Only this series."), param("format", TABLE_FORMAT)],
        "responses": {"200": table_ok(ref("BacktestList")), **problems(*READ)},
    },
    "get_scorecard": {
        "method": "get", "path": "/v1/scorecard", "tags": ["runs"],
        "summary": "Every model's season-aligned forecast against the real published days, beside the naive and the "
                   "official figures; the chosen model's nowcast and revision trail.",
        "parameters": [param("season", SEASON, "Only this season."), param("unique_id", UNIQUE_ID, "Only this series.")],
        "responses": {"200": ok(ref("Scorecard")), **problems(*READ)},
    },
    "list_runs": {
        "method": "get", "path": "/v1/runs", "tags": ["runs"],
        "summary": "Every complete run, newest first: versions, data fingerprint and time.",
        "responses": {"200": ok(ref("RunList"))},
    },
    "current_run": {
        "method": "get", "path": "/v1/runs/current", "tags": ["runs"], "summary": "The live run's manifest.",
        "responses": {"200": ok(ref("Run")), **problems(503)},
    },
    "create_run": {
        "method": "post", "path": "/v1/runs", "tags": ["runs"], "auth": True,
        "summary": "Retrain in the background; the new run goes live atomically when complete.",
        "description": "Returns 202 with a status URL at once. A second request while one job trains gets 409.",
        "responses": {"202": ok(ref("Job"), "Accepted: training started."), **problems(*WRITE, 409, 503)},
    },
    "run_job": {
        "method": "get", "path": "/v1/runs/jobs/{job_id}", "tags": ["runs"], "summary": "A retraining job's status.",
        "parameters": [param("job_id", JOB_ID, where="path")],
        "responses": {"200": ok(ref("Job")), **problems(400, 404)},
    },
    "post_observations": {
        "method": "post", "path": "/v1/observations", "tags": ["data"], "auth": True,
        "summary": "Store actuals (JSON, CSV or Parquet), validated and reported as `chunyun ingest` does.",
        "description": "Rows are checked as `chunyun ingest` checks a file: each bad row is listed in `problems`, "
                       "the good ones are stored (200). When no row can be stored (every row rejected, or a row "
                       "whose fields are all null) the answer is 422 with the same list. Dates from "
                       f"{calendar.FIRST_DATA_DAY.isoformat()} to today; values at most the per-unit bound (1.5e9 "
                       "persons, 5e8 vehicles a day) and not far above the series' stored history.",
        # the rows' content is checked row by row (known region and metric, a real date in range, a
        # plausible value, no conflict with the store): what a schema cannot say about a body
        "x-constraints": [{"rule": "rows_checked",
                           "description": "a body is stored when at least one of its rows passes the row checks "
                                          "of `chunyun ingest`; else 422 with every row's reason (400 for a CSV or "
                                          "Parquet body that cannot be read at all)"}],
        "parameters": [
            param("source", {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]{1,64}$", "default": "api",
                             "not": {"enum": ["sample"]}},
                  "Source label stored with the rows (`sample` is reserved for the sample history)."),
            param("dry_run", BOOL, "Validate and report, store nothing."),
            param("replace", BOOL, "Overwrite existing values that differ (else they are rejected)."),
        ],
        "body": OBSERVATIONS_BODY,
        "responses": {"200": ok(ref("IngestReport")), **problems(400, *WRITE, 408, 413, 415, 422, 503)},
    },
    "retract_load": {
        "method": "delete", "path": "/v1/loads/{load_id}", "tags": ["data"], "auth": True,
        "summary": "Take a load back: delete the rows it stored and restore the values it replaced (one transaction).",
        "description": "`load_id` is the `load_id` of an ingest report (`chunyun loads` lists them). Refused with 409 "
                       "for a load already retracted, the sample, or a load whose rows a later load replaced "
                       "(retract that one first). Leaves an audit row of its own.",
        "parameters": [param("load_id", {"type": "integer", "minimum": 1, "maximum": 999_999_999}, "A load id.",
                             where="path"),
                       param("dry_run", BOOL, "Say what would be done, change nothing.")],
        "responses": {"200": ok(ref("Retraction")), **problems(400, *WRITE, 404, 409)},
    },
}


def flask_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def route(bp, op_id: str):
    """Register the decorated view for operation ``op_id`` (path and method from :data:`OPERATIONS`)."""
    op = OPERATIONS[op_id]

    def decorate(view):
        bp.add_url_rule(flask_path(op["path"]), endpoint=op_id, view_func=view, methods=[op["method"].upper()],
                        provide_automatic_options=False)
        return view

    return decorate


# ---------------------------------------------------------------------------------------------
# OpenAPI

def openapi(version: str = "0.1.0") -> dict:
    """The OpenAPI 3.1 document, generated from :data:`OPERATIONS` and :data:`COMPONENTS`."""
    paths: dict = {}
    for op_id, op in OPERATIONS.items():
        item = {"operationId": op_id, "summary": op["summary"], "tags": op["tags"],
                "responses": copy.deepcopy(op["responses"])}
        if op.get("description"):
            item["description"] = op["description"]
        if op.get("parameters"):
            item["parameters"] = [
                {k: v for k, v in p.items() if k != "schema"} | {"schema": copy.deepcopy(p["schema"])}
                for p in op["parameters"]
            ]
        if op.get("body"):
            item["requestBody"] = {"required": True, "content": {
                JSON: {"schema": copy.deepcopy(op["body"])},
                CSV: {"schema": {"type": "string", "description": "CSV with a header row: date,region,metric,value "
                                                                  "or unique_id,ds,y (the forms `chunyun ingest` reads)."}},
                PARQUET: {"schema": {"type": "string", "contentMediaType": PARQUET,
                                     "description": "A Parquet file with the same columns."}},
            }}
        if op.get("auth"):
            item["security"] = [{"bearerAuth": []}]
        item.update({k: copy.deepcopy(v) for k, v in op.items() if k.startswith("x-")})
        paths.setdefault(op["path"], {})[op["method"]] = item
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "chunyun — Spring Festival travel rush (春运) forecasts",
            "version": version,
            "description": "Forecasts, season summaries and peak alerts served from the current trained run. "
                           "Errors are application/problem+json (RFC 9457) with a `hint`. Write endpoints need "
                           "`Authorization: Bearer <CHUNYUN_API_TOKEN>`.",
        },
        "tags": [{"name": "forecasts"}, {"name": "data"}, {"name": "runs"}, {"name": "page"}, {"name": "service"}],
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(COMPONENTS),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "The value of CHUNYUN_API_TOKEN."}},
        },
    }


def openapi_30(doc: dict) -> dict:
    """The same document in OpenAPI 3.0 terms, for the bundled Swagger UI (4.x cannot render 3.1).

    Only spelling changes: ``type: [T, "null"]`` becomes ``type: T, nullable: true``, ``examples``
    becomes ``example``, other type lists become ``oneOf``. ``/openapi.json`` stays the source.
    """

    def walk(node):
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        t = out.get("type")
        if isinstance(t, list):
            kinds = [k for k in t if k != "null"]
            if "null" in t:
                out["nullable"] = True
            if len(kinds) == 1:
                out["type"] = kinds[0]
            else:
                out.pop("type")
                out["oneOf"] = [{"type": k} for k in kinds]
        if isinstance(out.get("examples"), list) and "examples" in node and "in" not in node and out["examples"]:
            out["example"] = out.pop("examples")[0]
        return out

    doc = walk(copy.deepcopy(doc))
    doc["openapi"] = "3.0.3"
    doc.pop("jsonSchemaDialect", None)
    return doc
