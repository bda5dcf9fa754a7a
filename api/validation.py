"""Query, path and body values checked against the schemas in ``api.schemas`` (jsonschema).

:func:`params` returns the operation's parameters as Python values (ints, bools, ``date``) with
defaults applied, or raises ``InvalidInput`` (400) whose ``errors`` list names every bad value.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import fastjsonschema
from flask import request
from jsonschema import Draft202012Validator

from api import schemas
from forecast.errors import InvalidInput

_INT = re.compile(r"^[+-]?\d{1,9}$")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
_PRIORITY = {"type": 0, "pattern": 1, "format": 2}  # the most telling message first
HINT = "see GET /openapi.json (or /docs) for this endpoint's parameters"


@cache
def _validators(op_id: str) -> list[tuple[dict, Draft202012Validator]]:
    return [(p, Draft202012Validator(p["schema"], format_checker=Draft202012Validator.FORMAT_CHECKER))
            for p in schemas.OPERATIONS[op_id].get("parameters", [])]


@cache
def body_validator(op_id: str) -> Draft202012Validator:
    return Draft202012Validator(schemas.OPERATIONS[op_id]["body"])


def _coerce(raw: str, schema: dict):
    """The raw text as the schema's type, or (None, message)."""
    kind = schema.get("type")
    if kind == "integer":
        if not _INT.match(raw.strip()):
            return None, f"{raw!r} is not a whole number"
        return int(raw), None
    if kind == "boolean":
        low = raw.strip().lower()
        if low in _TRUE:
            return True, None
        if low in _FALSE:
            return False, None
        return None, f"{raw!r} is not true or false"
    return raw, None


def _message(err, raw, schema: dict) -> str:
    if err.validator == "enum":
        return f"{raw!r} is not one of {', '.join(map(str, schema['enum']))}"
    if schema.get("format") == "date" and err.validator in ("pattern", "format"):
        if err.validator == "pattern":
            return f"{raw!r} is not a date in YYYY-MM-DD form (years 1900–2199)"
        return f"{raw!r} is not a real calendar date"
    if err.validator in ("minimum", "maximum"):
        return f"{raw!r} is out of range: use {schema.get('minimum')}–{schema.get('maximum')}"
    if err.validator in ("minLength", "maxLength"):
        return f"must be {schema.get('minLength', 0)}–{schema.get('maxLength', '∞')} characters long"
    if err.validator == "pattern":
        return f"{raw!r} does not match {schema['pattern']}"
    return err.message


_SEEN: dict[tuple, dict] = {}  # (operation, raw query string, path values) -> parameters; valid ones only
_SEEN_MAX = 4096


def params(op_id: str, path: dict | None = None) -> dict:
    """The validated parameters of operation ``op_id`` from the request (and the view's path values).

    The answer depends only on the raw query string and the path values, so a repeated query
    (a dashboard polling one URL) skips validation.
    """
    key = (op_id, request.query_string, tuple(path.items()) if path else ())
    found = _SEEN.get(key)
    if found is None:
        found = _validate(op_id, path)
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[key] = found
    return dict(found)


def _validate(op_id: str, path: dict | None) -> dict:
    errors: list[dict] = []
    out: dict = {}
    args = request.args
    checks = _validators(op_id)
    declared = {p["name"] for p, _ in checks if p["in"] == "query"}
    for name in args:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            errors.append({"in": "query", "parameter": name, "message": f"unknown parameter (this endpoint takes: {known})"})
    for p, validator in checks:
        name, where, schema = p["name"], p["in"], p["schema"]
        values = [path[name]] if where == "path" else args.getlist(name)
        if not values:
            if p.get("required"):
                errors.append({"in": where, "parameter": name, "message": "is required"})
            elif "default" in schema:
                out[name] = schema["default"]
            continue
        if len(values) > 1:
            errors.append({"in": where, "parameter": name, "message": f"given {len(values)} times; give it once"})
            continue
        raw = values[0]
        value, problem = _coerce(raw, schema)
        if problem is None:
            found = sorted(validator.iter_errors(value), key=lambda e: _PRIORITY.get(e.validator, 9))
            problem = _message(found[0], raw, schema) if found else None
        if problem is not None:
            errors.append({"in": where, "parameter": name, "message": problem})
            continue
        out[name] = date.fromisoformat(value) if schema.get("format") == "date" else value
    if errors:
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        raise InvalidInput(detail, hint=HINT, errors=errors)
    return out


@cache
def _fast_rows(shape: str):
    """The observation body schema for one row shape, compiled to Python by fastjsonschema."""
    return fastjsonschema.compile({"type": "array", "minItems": 1, "items": getattr(schemas, shape)})


def _valid_rows_fast(body) -> bool:
    """True when ``body`` is valid for ``OBSERVATIONS_BODY``: the rows' shape is decided by the
    first row, then all rows are checked against that shape's schema in compiled code (jsonschema
    took 29 s for the 450,000 rows of a 20 MiB body). False means "look closer", not "invalid"."""
    if not (isinstance(body, list) and body and isinstance(body[0], dict)):
        return False
    shape, other = (("OBSERVATION_LONG", schemas.OBSERVATION_REGIONAL) if "unique_id" in body[0]
                    else ("OBSERVATION_REGIONAL", schemas.OBSERVATION_LONG))
    if set(other["required"]) <= body[0].keys():  # may match both shapes (oneOf): the full check decides
        return False
    try:
        _fast_rows(shape)(body)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def check_body(op_id: str, body) -> None:
    """Validate a parsed JSON body; the error names the first bad rows and what they lack.

    Compiled checks find the bad rows (a body at the size limit has 450,000 of them); jsonschema
    then words the messages of the first 20 only."""
    if op_id == "post_observations" and _valid_rows_fast(body):
        return
    if not isinstance(body, list) or not body:
        raise InvalidInput("the body must be a non-empty JSON array of observation objects",
                           hint='send [{"date": "2026-02-04", "region": "jiangxi", "metric": "highway_exit_vehicles", '
                                '"value": 2500000}, ...] or [{"unique_id": ..., "ds": ..., "y": ...}, ...]')
    first = body[0] if isinstance(body[0], dict) else {}
    name = "OBSERVATION_LONG" if "unique_id" in first else "OBSERVATION_REGIONAL"
    shape = getattr(schemas, name)
    row_fast, row_validator = _fast_row(name), Draft202012Validator(shape)
    errors = []
    for i, row in enumerate(body):
        try:
            row_fast(row)
            continue
        except fastjsonschema.JsonSchemaException:
            pass
        for err in row_validator.iter_errors(row):
            where = "/".join(str(p) for p in err.absolute_path)
            errors.append({"in": "body", "row": i + 1, "field": where or None, "message": err.message})
        if len(errors) >= 20:
            break
    if not errors and body_validator(op_id).is_valid(body):  # rows of both shapes at once: the full check
        return
    columns = ", ".join(shape["required"])
    first_error = errors[0] if errors else {"row": 1, "message": "rows mix the two shapes"}
    raise InvalidInput(f"row {first_error['row']}: {first_error['message']}",
                       hint=f"every row is an object with {columns} (all rows in one shape)", errors=errors)


@cache
def _fast_row(shape: str):
    return fastjsonschema.compile(getattr(schemas, shape))
