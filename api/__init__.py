"""The HTTP API: ``create_app(config=None)`` builds the Flask app (served by gunicorn, see
``gunicorn.conf.py`` and ``chunyun serve``).

Settings come from ``forecast.settings`` (``CHUNYUN_*``); ``config`` may override any of them by
upper-case name (``{"VAR_DIR": ..., "API_TOKEN": ...}``) and set Flask keys (``TESTING``) and
``TRAIN_TARGET`` (``module:function`` run by ``POST /v1/runs``; default: ``forecast.train.train``)
and ``WARM_UP`` (load the current run at once; default True).
Responses come from the current run (``forecast.runs.CurrentRunCache``); nothing is fitted in a
request. Every error leaves through ``api.problems.handle`` as ``application/problem+json``.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from flask import Flask

from forecast import settings as chunyun_settings
from forecast.errors import ChunyunError

log = logging.getLogger("api")

# On every response. The page and /docs load scripts, styles and images from this server only
# (the Swagger UI is served from the installed package, its start-up script from /static/docs.js;
# Swagger UI draws its icons as data: images); no page may be framed, no referrer leaves the site.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _version() -> str:
    try:
        return version("chunyun")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0.0.0"


def create_app(config: dict | None = None) -> Flask:
    from api import problems, retrain
    from api.blueprints import ALL
    from api.blueprints.service import build_openapi
    from api.live import Live

    config = dict(config or {})
    names = {s.name for s in chunyun_settings.SETTINGS}
    overrides = {k.lower(): config.pop(k) for k in list(config) if k.lower() in names}
    conf = chunyun_settings.load(**overrides)

    app = Flask(__name__, static_folder=None)
    app.config.update(
        CHUNYUN=conf,
        MAX_CONTENT_LENGTH=conf["max_body_bytes"],
        TRAIN_TARGET=retrain.DEFAULT_TARGET,
    )
    app.config.update(config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    problems.register(app)
    for bp in ALL:
        app.register_blueprint(bp)
    app.extensions["chunyun.live"] = Live(conf["var_dir"])
    app.extensions["chunyun.openapi"] = build_openapi(_version())

    if app.config.get("WARM_UP", True):
        warm_up(app)
    return app


def warm_up(app: Flask) -> None:
    """Load the current run and its station forecasts now rather than on the first request (a 503
    until a run exists is fine).

    gunicorn.conf.py turns this off in the preloading master and calls it in each worker after the
    fork instead: a forked copy of pyarrow's thread pools hangs a worker's exit.
    """
    try:
        view = app.extensions["chunyun.live"].get()
    except ChunyunError as err:
        log.warning("no current run yet (%s); /readyz answers 503 until one is published", err)
        return
    try:
        view.stations()  # so that no worker's first GET /v1/stations reads them (p99, BENCHMARKS.md)
    except ChunyunError as err:
        log.warning("run %s: station forecasts not loaded (%s); /v1/stations will say why", view.id, err)
