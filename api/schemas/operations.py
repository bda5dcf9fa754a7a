"""Every operation of the API (:data:`OPERATIONS`: path, method, parameters, body, responses) and
:func:`route`, which registers a view for one."""

from __future__ import annotations

import re

from api.schemas.bodies import OBSERVATIONS_BODY
from api.schemas.common import CSV, HTML, JSON, MAX_RANGE_DAYS, PROBLEM, TEXT
from api.schemas.params import (
    ALERT_LEVEL,
    BOOL,
    DATE,
    DAYS,
    JOB_ID,
    LEVEL,
    REGION,
    SEASON,
    TABLE_FORMAT,
    UNIQUE_ID,
    param,
)
from forecast import calendar, registry


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
    422: f"Well-formed input that cannot be acted on (e.g. a range over {MAX_RANGE_DAYS} days, or no valid row).",
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
