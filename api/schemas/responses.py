"""Response schemas: the ``components`` of the OpenAPI document."""

from __future__ import annotations

from api.schemas.common import nullable
from forecast import alerts

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
