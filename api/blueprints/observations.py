"""POST /v1/observations: actuals as JSON rows or a CSV/Parquet body, through forecast.ingest."""

import json

from flask import Blueprint, request

from api.auth import write_access
from api.problems import UnsupportedMediaType
from api.responses import json_response, store
from api.schemas import PARQUET, route
from api.validation import check_body, params
from forecast import ingest
from forecast.errors import InvalidInput, Unprocessable

bp = Blueprint("observations", __name__)


@route(bp, "post_observations")
@write_access
def post_observations():
    q = params("post_observations")
    kind = request.mimetype
    options = {"source": q["source"], "dry_run": q["dry_run"], "replace": q["replace"]}
    if kind == "application/json":
        try:
            rows = json.loads(request.get_data(cache=False) or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InvalidInput(f"the body is not valid JSON: {err}", hint="send a JSON array of observation objects") from None
        check_body("post_observations", rows)
        report = ingest.ingest_frame(rows, store(), **options)
    elif kind in ("text/csv", PARQUET):
        data = request.get_data(cache=False)
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
        raise Unprocessable(f"no row could be stored: {report.rejected} rejected",
                            hint="fix the rows listed in `errors` (file:line: reason) and send them again",
                            errors=[p.to_dict() for p in report.problems], report=body)
    return json_response(body)
