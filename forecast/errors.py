"""Errors are values a user can act on.

Every error the library raises for bad input or a missing thing is a ``ChunyunError`` carrying
what was wrong (``detail``) and how to fix it (``hint``). The CLI prints them on one line and
exits non-zero; the API maps them to ``application/problem+json`` responses with ``status``.
"""

from __future__ import annotations


class ChunyunError(Exception):
    """Base class: a problem the caller can fix."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, hint: str | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        self.extra = extra

    def __str__(self) -> str:
        return f"{self.detail} ({self.hint})" if self.hint else self.detail


class InvalidInput(ChunyunError):
    """A value is malformed or impossible (bad date, start after end, unknown format)."""

    status = 400
    title = "Invalid input"


class Unprocessable(ChunyunError):
    """Well-formed input that cannot be acted on (range too long, season out of range)."""

    status = 422
    title = "Unprocessable input"


class NotFound(ChunyunError):
    """An unknown series, region, metric, season or run."""

    status = 404
    title = "Not found"


class Conflict(ChunyunError):
    """The request clashes with the current state (training already running, conflicting value)."""

    status = 409
    title = "Conflict"


class NotReady(ChunyunError):
    """No current run or no data yet."""

    status = 503
    title = "Not ready"


class Unauthorized(ChunyunError):
    """A write endpoint was called without the right bearer token (API only)."""

    status = 401
    title = "Unauthorized"


class Forbidden(ChunyunError):
    """Write endpoints are disabled: no API token is configured (API only)."""

    status = 403
    title = "Forbidden"


class UnsupportedMediaType(ChunyunError):
    """A request body of a media type the endpoint does not read (API only)."""

    status = 415
    title = "Unsupported media type"


class RequestTimeout(ChunyunError):
    """The client stopped sending its request body before it was complete (API only)."""

    status = 408
    title = "Request timeout"
