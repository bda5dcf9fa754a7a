"""GET /v1/alerts: peak alerts over the current run (forecast.alerts.compute_alerts)."""

from flask import Blueprint

from api.responses import live, table
from api.schemas import route
from api.validation import params
from forecast import registry
from forecast.alerts import COLUMNS

bp = Blueprint("alerts", __name__)


@route(bp, "list_alerts")
def list_alerts():
    q = params("list_alerts")
    view = live()
    start, days, _, records = view.alerts(q.get("from"), q.get("days"), q.get("region"), q.get("min_level"))
    region = registry.resolve_region(q["region"]) if q.get("region") else None
    envelope = {"run_id": view.id, "data_kind": view.run.region_kind(region), "from": start.isoformat(), "days": days,
                "region": q.get("region"), "min_level": q.get("min_level")}
    return table(records, q["format"], COLUMNS, envelope, key="alerts")
