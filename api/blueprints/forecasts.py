"""GET /v1/forecasts: daily forecast rows for one series, cut from the current run in memory."""

from flask import Blueprint, Response

from api.responses import live
from api.schemas import route
from api.validation import params

bp = Blueprint("forecasts", __name__)


@route(bp, "list_forecasts")
def list_forecasts():
    q = params("list_forecasts")
    body, mimetype = live().forecast_body(q["unique_id"], q.get("start"), q.get("end"), q.get("season"),
                                          q["level"], q["format"])
    return Response(body, mimetype=mimetype)
