"""``chunyun serve``: run the API under gunicorn (exec'd, so signals reach gunicorn directly)."""

from __future__ import annotations

import logging
import os
import sys

from forecast import settings

log = logging.getLogger(__name__)


HELP = "serve the HTTP API with gunicorn (default http://127.0.0.1:8000)"
FORMATS: tuple[str, ...] = ()


def arguments(parser) -> None:
    parser.add_argument("--host", help="address to listen on (default CHUNYUN_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default CHUNYUN_PORT or 8000)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default CHUNYUN_WORKERS or 2 x cores + 1, at most 8)")


def command(args) -> tuple[list[str], dict]:
    """The gunicorn command line and environment ``serve`` execs (settings passed as CHUNYUN_*)."""
    env = dict(os.environ)
    for name in ("host", "port", "workers"):
        value = getattr(args, name, None)
        if value is not None:
            env[f"CHUNYUN_{name.upper()}"] = str(value)
    conf = str(settings.PROJECT_ROOT / "gunicorn.conf.py")
    return [sys.executable, "-m", "gunicorn", "--config", conf], env


def run(args) -> int:
    argv, env = command(args)
    conf = settings.load(**{k: env.get(f"CHUNYUN_{k.upper()}") for k in ("host", "port")})
    log.info("serve: http://%s:%s (docs at /docs)", conf["host"], conf["port"])
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
    return 0  # pragma: no cover - execve does not return
