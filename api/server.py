"""The gunicorn worker class of the API (``worker_class`` in ``gunicorn.conf.py``).

gunicorn's gevent worker (one greenlet per connection, see BENCHMARKS.md for the measurement
against ``sync`` and ``gthread``) with two changes:

- every client socket gets a read timeout of :data:`CLIENT_TIMEOUT` seconds: a client that stops
  sending in the middle of its headers or its body is disconnected then, instead of holding its
  connection (and a greenlet) for ever; a body that stops arriving is answered 408 by the app
  (with ``keepalive = 0`` gunicorn sets no deadline of its own on reading the headers);
- the errors gunicorn answers itself, before the app sees a request (a malformed request line
  400, a request line over ``limit_request_line`` 414, too many or too large headers 431, and the
  500 of a request cut short by the worker timeout), are ``application/problem+json`` like every
  error of the app, instead of gunicorn's HTML page.
"""

from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

CLIENT_TIMEOUT = 20.0  # seconds a client may stay silent while the server waits for its request

_HINTS = {
    400: "send a well-formed HTTP/1.1 request",
    414: "shorten the URL: the request line may have at most 8190 bytes",
    431: "send fewer or smaller headers (at most 100 header fields of 8190 bytes)",
    500: "retry later; if it persists, report it to the operators",
}
_SLUGS = {400: "invalid-input", 414: "http-error", 431: "http-error", 500: "internal-error"}


def problem_bytes(status: int, reason: str, detail: str) -> bytes:
    """A complete HTTP/1.1 response carrying an RFC 9457 problem (what gunicorn sends as HTML)."""
    body = {"type": f"/problems/{_SLUGS.get(status, 'http-error')}", "title": reason, "status": status,
            "detail": detail or reason}
    if status in _HINTS:
        body["hint"] = _HINTS[status]
    payload = json.dumps(body, ensure_ascii=True).encode("ascii")
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(payload)}\r\nX-Content-Type-Options: nosniff\r\n\r\n")
    return head.encode("latin-1") + payload


def write_problem(sock, status_int, reason, mesg) -> None:
    """Drop-in for ``gunicorn.util.write_error`` (same arguments)."""
    util.write_nonblock(sock, problem_bytes(int(status_int), str(reason), str(mesg)))


class Worker(GeventWorker):
    """``worker_class = "api.server.Worker"``."""

    def init_process(self):
        # gunicorn writes its own error responses through util.write_error (workers/base.py);
        # in this worker process they become problem+json
        util.write_error = write_problem
        super().init_process()

    def handle(self, listener, client, addr):
        client.settimeout(CLIENT_TIMEOUT)
        super().handle(listener, client, addr)
