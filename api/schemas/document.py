"""The OpenAPI 3.1 document (``/openapi.json``) generated from the operations and components, and
its OpenAPI 3.0 spelling for Swagger UI."""

from __future__ import annotations

import copy

from api.schemas.common import CSV, JSON, PARQUET
from api.schemas.operations import OPERATIONS
from api.schemas.responses import COMPONENTS


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
