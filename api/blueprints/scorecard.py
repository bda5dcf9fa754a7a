"""GET /v1/scorecard: every model against the real published days, from the current run."""

from flask import Blueprint

from api.responses import json_response, live
from api.schemas import route
from api.validation import params

bp = Blueprint("scorecard", __name__)


@route(bp, "get_scorecard")
def get_scorecard():
    q = params("get_scorecard")
    return json_response(live().scorecard(q.get("season"), q.get("unique_id")))
