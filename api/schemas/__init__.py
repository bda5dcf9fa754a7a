"""Every operation of the API as data: path, parameters (JSON Schema), bodies and responses.

The same table drives three things, so they cannot drift apart:

- :func:`route` registers a view for an operation (path and method come from here);
- ``api.validation`` validates query, path and body values with these schemas (jsonschema);
- :func:`openapi` generates ``/openapi.json`` (OpenAPI 3.1) from it.

The table is split by kind: :mod:`~api.schemas.common` (media types, ``nullable``),
:mod:`~api.schemas.params` (query and path parameters), :mod:`~api.schemas.bodies` (request
bodies), :mod:`~api.schemas.responses` (the components), :mod:`~api.schemas.operations` (the
operations and :func:`route`) and :mod:`~api.schemas.document` (the OpenAPI document). Every name
is importable from ``api.schemas``.
"""

from __future__ import annotations

from api.schemas import params
from api.schemas.bodies import OBSERVATION_LONG, OBSERVATION_REGIONAL, OBSERVATIONS_BODY, SCALAR
from api.schemas.common import CSV, HTML, JSON, MAX_RANGE_DAYS, PARQUET, PROBLEM, TEXT, nullable
from api.schemas.document import openapi, openapi_30
from api.schemas.operations import (
    OPERATIONS,
    PROBLEM_TEXT,
    READ,
    WRITE,
    flask_path,
    ok,
    problems,
    ref,
    route,
    table_ok,
)
from api.schemas.params import *  # noqa: F403 - re-exports its __all__
from api.schemas.responses import COMPONENTS, NNUM, NSTR, NUM, STR

__all__ = [
    *params.__all__,
    "COMPONENTS", "CSV", "HTML", "JSON", "MAX_RANGE_DAYS", "NNUM", "NSTR", "NUM", "OBSERVATIONS_BODY",
    "OBSERVATION_LONG", "OBSERVATION_REGIONAL", "OPERATIONS", "PARQUET", "PROBLEM", "PROBLEM_TEXT", "READ",
    "SCALAR", "STR", "TEXT", "WRITE", "flask_path", "nullable", "ok", "openapi", "openapi_30", "problems",
    "ref", "route", "table_ok",
]
