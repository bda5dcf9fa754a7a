"""GET /v1/backtests: the current run's backtest metrics."""

from flask import Blueprint

from api.responses import live, table
from api.schemas import route
from api.validation import params
from forecast.formats import frame_records

bp = Blueprint("backtests", __name__)


@route(bp, "list_backtests")
def list_backtests():
    q = params("list_backtests")
    view = live()
    frame = view.backtest(q.get("unique_id"))
    return table(frame_records(frame), q["format"], list(frame.columns), {"run_id": view.id})
