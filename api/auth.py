"""Bearer-token access for the write endpoints; read endpoints are open.

With no ``CHUNYUN_API_TOKEN`` set, writes are disabled (403 with a hint). Tokens are compared with
``hmac.compare_digest`` on bytes, so timing says nothing about how much of a guess was right.
"""

from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, request

from forecast.errors import Forbidden, Unauthorized


def check_token() -> None:
    token = current_app.config["CHUNYUN"].get("api_token")
    if not token:
        raise Forbidden("write endpoints are disabled on this server",
                        hint="set CHUNYUN_API_TOKEN in the server's environment and restart it")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("this endpoint needs a bearer token", hint="send the header Authorization: Bearer <token>")
    if not hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), str(token).encode("utf-8")):
        raise Unauthorized("the bearer token is not valid", hint="use the value of CHUNYUN_API_TOKEN")


def write_access(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        check_token()
        return view(*args, **kwargs)

    return wrapped
