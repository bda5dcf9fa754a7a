"""DELETE /v1/loads/{load_id}: take a load back (``chunyun retract``), through Store.retract."""

from flask import Blueprint

from api.auth import write_access
from api.responses import json_response, store
from api.schemas import route
from api.validation import params

bp = Blueprint("loads", __name__)


@route(bp, "retract_load")
@write_access
def retract_load(load_id: str):
    q = params("retract_load", path={"load_id": load_id})
    return json_response(store().retract(q["load_id"], dry_run=q["dry_run"]))
