"""Request body schemas: the rows of ``POST /v1/observations`` (self-contained: no ``$ref``)."""

from __future__ import annotations

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
