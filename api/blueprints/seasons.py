"""GET /v1/seasons/{season}/summary: the summary contract, or the day-one briefing as text."""

from flask import Blueprint

from api.responses import json_response, live, text_response
from api.schemas import route
from api.validation import params

bp = Blueprint("seasons", __name__)


@route(bp, "season_summary")
def season_summary(season: str):
    q = params("season_summary", path={"season": season})
    region = q.get("region", "national")
    if q["format"] == "text":
        return text_response(live().briefing(region, q["season"], q["lang"]) + "\n")
    return json_response(live().summary_json(region, q["season"]))
