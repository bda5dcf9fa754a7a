"""POST /v1/observations: actuals as JSON rows or a CSV/Parquet body, through forecast.ingest."""

import json

from flask import Blueprint, request

from api.auth import write_access
from api.responses import json_response, store
from api.schemas import PARQUET, route
from api.validation import check_body, params
from forecast import ingest
from forecast.errors import InvalidInput, RequestTimeout, Unprocessable, UnsupportedMediaType

bp = Blueprint("observations", __name__)
MAX_LISTED = 1000


@route(bp, "post_observations")
@write_access
def post_observations():
    q = params("post_observations")
    kind = request.mimetype
    # at most MAX_LISTED problems of each kind in detail: a body of bad rows is answered as fast as
    # one of good rows (the report's `rejected` counts them all, `problems_omitted` the unlisted)
    options = {"source": q["source"], "dry_run": q["dry_run"], "replace": q["replace"], "max_problems": MAX_LISTED}
    if kind == "application/json":
        rows = _json_rows(_body())
        check_body("post_observations", rows)
        report = ingest.ingest_frame(rows, store(), **options)
    elif kind in ("text/csv", PARQUET):
        data = _body()
        if not data:
            raise InvalidInput("the body is empty", hint="send CSV with a header line, e.g. date,region,metric,value")
        if kind == PARQUET and not data.startswith(b"PAR1"):
            raise InvalidInput("the body is not a Parquet file (no PAR1 magic)", hint="send the file's bytes unchanged")
        report = ingest.ingest_bytes(data, store(), name="<body>", **options)
    else:
        raise UnsupportedMediaType(f"cannot read a body of type {kind or 'none'!r}",
                                   hint=f"send Content-Type: application/json, text/csv or {PARQUET}")
    body = report.to_dict()
    stored_nothing = report.accepted + report.unchanged + report.duplicates == 0
    if report.rejected and stored_nothing:
        listed = "" if not report.problems_omitted else f" (the first {len(report.problems)} listed)"
        raise Unprocessable(f"no row could be stored: {report.rejected} rejected{listed}",
                            hint="fix the rows listed in `errors` (file:line: reason) and send them again",
                            errors=body.pop("problems"), report=body)
    return json_response(body)


def _body() -> bytes:
    """The request body; 408 when the client stops sending it (the worker's socket timeout)."""
    try:
        return request.get_data(cache=False)
    except OSError as err:  # TimeoutError, or the connection dropped half-way
        raise RequestTimeout(f"the body stopped arriving before it was complete ({type(err).__name__})",
                             hint="send the whole body without pauses (Content-Length must match it)") from None


_JSON_HINT = "send a JSON array of observation objects"


def _json_rows(data: bytes):
    """The parsed JSON body; every way json.loads can fail is a 400 that says which."""
    try:
        return json.loads(data or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidInput(f"the body is not valid JSON: {err}", hint=_JSON_HINT) from None
    except RecursionError:
        raise InvalidInput("the body is nested too deeply to be observation rows", hint=_JSON_HINT) from None
    except ValueError as err:  # e.g. an integer with more than 4300 digits
        raise InvalidInput(f"the body holds a value JSON cannot be read into: {err}",
                           hint="values are counts in base units, e.g. 125000") from None
