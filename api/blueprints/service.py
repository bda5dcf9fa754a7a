"""Service routes: health, readiness, the OpenAPI document, Swagger UI (served locally), assets.

Static files are served from a table of names built at start-up (``api/static`` and the installed
``swagger_ui_bundle``): a request picks an entry by name, it never builds a path.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, Response, current_app, render_template, send_file

from api.responses import json_response, live
from api.schemas import openapi, openapi_30, route
from api.validation import params
from forecast.errors import NotFound

bp = Blueprint("service", __name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
SWAGGER_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png",
                 "favicon-16x16.png")


def _files(directory: Path, names=None) -> dict[str, Path]:
    if not directory.is_dir():
        return {}
    return {p.name: p for p in sorted(directory.iterdir()) if p.is_file() and (names is None or p.name in names)}


ASSETS = {"static": _files(STATIC_DIR), "docs": _files(SWAGGER_DIR, SWAGGER_FILES)}


def _asset(kind: str, name: str):
    path = ASSETS[kind].get(name)
    if path is None:
        raise NotFound(f"no file {name!r}", hint=f"files here: {', '.join(ASSETS[kind]) or 'none'}")
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = send_file(path, mimetype=mimetype, max_age=3600)
    return response


@route(bp, "health")
def health():
    params("health")
    return json_response('{"status":"ok"}')


@route(bp, "ready")
def ready():
    params("ready")
    view = live()
    return json_response({"status": "ready", "run_id": view.id, "data_kind": view.data_kind})


@route(bp, "openapi")
def openapi_json():
    params("openapi")
    return Response(current_app.extensions["chunyun.openapi"], mimetype="application/json")


@route(bp, "docs")
def docs():
    params("docs")
    return render_template("docs.html")


@bp.get("/docs/openapi-3.0.json", provide_automatic_options=False)
def openapi_json_30():
    """The same document in OpenAPI 3.0 spelling: the bundled Swagger UI (4.x) cannot read 3.1.

    Converted on the first request and kept in the app (the 3.1 document is fixed at start-up)."""
    body = current_app.extensions.get("chunyun.openapi30")
    if body is None:
        doc = openapi_30(json.loads(current_app.extensions["chunyun.openapi"]))
        body = current_app.extensions.setdefault("chunyun.openapi30", json.dumps(doc, ensure_ascii=False))
    return Response(body, mimetype="application/json")


@bp.get("/docs/static/<name>", provide_automatic_options=False)
def docs_asset(name: str):
    return _asset("docs", name)


@bp.get("/static/<name>", provide_automatic_options=False)
def static_asset(name: str):
    return _asset("static", name)


def build_openapi(version: str) -> str:
    return json.dumps(openapi(version), ensure_ascii=False, indent=1)
