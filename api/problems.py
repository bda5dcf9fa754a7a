"""Errors to responses, in ONE handler: every error is ``application/problem+json`` (RFC 9457).

``ChunyunError`` (and its HTTP-only subclasses in ``forecast.errors``) carry ``status``,
``title``, ``detail`` and ``hint``; werkzeug's HTTP errors (unknown route, wrong method, body too
large) are mapped with a hint of their own; anything else is a bug: logged with its traceback, answered with a bare 500.
"""

from __future__ import annotations

import json
import logging
import uuid

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from api.schemas import route
from forecast.errors import ChunyunError, NotFound, Unauthorized

log = logging.getLogger("api")


def dumps(obj, default=str) -> bytes:
    """JSON as UTF-8 bytes; text that is not valid Unicode (a lone surrogate such as ``\\ud800``
    from a JSON body) is written as a ``\\u`` escape instead of failing the response."""
    text = json.dumps(obj, ensure_ascii=False, default=default)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, default=default).encode("ascii")


# slug -> (status, title, what it means)
TYPES: dict[str, tuple[int, str, str]] = {
    "invalid-input": (400, "Invalid input", "A parameter or body value is malformed or impossible; `errors` lists each one."),
    "unauthorized": (401, "Unauthorized", "The write endpoint needs `Authorization: Bearer <CHUNYUN_API_TOKEN>`."),
    "forbidden": (403, "Forbidden", "Write endpoints are disabled because no CHUNYUN_API_TOKEN is set."),
    "not-found": (404, "Not found", "An unknown route, series, region, season, run or job."),
    "method-not-allowed": (405, "Method not allowed", "The route exists but not with this method; see the Allow header."),
    "not-acceptable": (406, "Not acceptable", "The server cannot produce a representation the client accepts."),
    "request-timeout": (408, "Request timeout", "The client stopped sending its request body before it was complete."),
    "conflict": (409, "Conflict", "The request clashes with the current state, e.g. a retraining job is running."),
    "payload-too-large": (413, "Payload too large", "The body exceeds CHUNYUN_MAX_BODY_BYTES."),
    "unsupported-media-type": (415, "Unsupported media type", "Send application/json or text/csv."),
    "unprocessable": (422, "Unprocessable input", "Well-formed input that cannot be acted on."),
    "internal-error": (500, "Internal server error", "A bug: the server logged it; the response holds no details."),
    "not-ready": (503, "Not ready", "No trained run is loaded yet; train one, then retry."),
    "http-error": (400, "HTTP error", "Another HTTP-level error; see `status` and `detail`."),
}
# The slug follows the status: each ChunyunError class has its own status (InvalidInput 400,
# Unauthorized 401 ... NotReady 503), and a body over the limit is werkzeug's 413, not a class here.
_BY_STATUS = {status: slug for slug, (status, _, _) in TYPES.items() if slug != "http-error"}
_HTTP_HINTS = {
    404: "see GET /openapi.json or /docs for the routes",
    406: "accept application/json",
    413: "send a smaller body, in several requests",
    415: "send Content-Type: application/json or text/csv",
}


def problem(status: int, title: str, detail: str, hint: str | None = None, slug: str | None = None,
            headers: dict | None = None, **extra) -> Response:
    body = {"type": f"/problems/{slug or _BY_STATUS.get(status, 'http-error')}", "title": title, "status": status,
            "detail": detail}
    if hint:
        body["hint"] = hint
    body["instance"] = request.path if request else None
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(dumps(body), status=status, mimetype="application/problem+json", headers=headers)


def handle(err: Exception) -> Response:
    if isinstance(err, ChunyunError):
        headers = {"WWW-Authenticate": 'Bearer realm="chunyun"'} if isinstance(err, Unauthorized) else None
        status = err.status if 400 <= err.status < 600 else 400
        return problem(status, err.title, err.detail, err.hint, None, headers, **err.extra)
    if isinstance(err, HTTPException) and err.code is not None:
        code = err.code
        headers = {}
        hint = _HTTP_HINTS.get(code)
        detail = err.description or err.name
        if code == 405:
            allowed = sorted(set(getattr(err, "valid_methods", None) or []) - {"HEAD", "OPTIONS"})
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed on {request.path}"
            hint = f"use {' or '.join(allowed)}" if allowed else None
        elif code == 404:
            detail = f"no route {request.path}"
        elif code == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            detail = f"the body is larger than the limit of {limit} bytes (CHUNYUN_MAX_BODY_BYTES)"
        if code >= 500:
            log.error("HTTP %s on %s %s: %s", code, request.method, request.path, err)
        return problem(code, err.name, detail, hint, _BY_STATUS.get(code), headers or None)
    error_id = uuid.uuid4().hex[:12]
    log.exception("unhandled error %s on %s %s", error_id, request.method, request.path)
    return problem(500, "Internal server error", f"the server hit an unexpected condition (logged as {error_id})",
                   "retry later; if it persists, report the id to the operators", "internal-error")


bp = Blueprint("problems", __name__)


@route(bp, "problem_type")
def problem_type(slug: str):
    if slug not in TYPES:
        raise NotFound(f"no problem type {slug!r}", hint=f"known types: {', '.join(sorted(TYPES))}")
    status, title, description = TYPES[slug]
    return {"type": f"/problems/{slug}", "title": title, "status": status, "description": description}


def register(app) -> None:
    app.register_error_handler(Exception, handle)
    app.register_blueprint(bp)
