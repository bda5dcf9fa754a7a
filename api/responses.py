"""Small helpers the views share: the live run, JSON/CSV/text responses."""

from __future__ import annotations

import csv
import io
import os

from flask import Response, current_app

from api.live import RunView
from forecast.formats import json_default


def live() -> RunView:
    """The current run, prepared for serving (503 problem when there is none)."""
    return current_app.extensions["chunyun.live"].get()


def settings() -> dict:
    return current_app.config["CHUNYUN"]


def store():
    """This process's store (created after gunicorn forks: engines must not cross a fork)."""
    from forecast.store import Store

    stores = current_app.extensions.setdefault("chunyun.stores", {})
    key = (os.getpid(), settings()["database_url"])
    if key not in stores:
        stores[key] = Store(settings()["database_url"])
    return stores[key]


def json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    from api.problems import dumps

    body = obj if isinstance(obj, str) else dumps(obj, default=json_default)
    return Response(body, status=status, mimetype="application/json", headers=headers)


def csv_response(records: list[dict], columns: list[str]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in records)
    return Response(out.getvalue(), mimetype="text/csv")


def table(records: list[dict], fmt: str, columns: list[str], envelope: dict, key: str = "rows") -> Response:
    """``records`` as CSV (the rows only) or as JSON inside ``envelope`` under ``key``."""
    if fmt == "csv":
        return csv_response(records, columns)
    return json_response({**envelope, key: records})


def text_response(text: str) -> Response:
    return Response(text, mimetype="text/plain")
