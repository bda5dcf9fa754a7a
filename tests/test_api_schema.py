"""Property-based run of schemathesis against our own /openapi.json: no 5xx, no response off-spec.

The document is loaded from the app as served (``from_wsgi``); the calls go to an app over the
synthetic run with write endpoints enabled. POST /v1/runs starts a no-op job (``builtins:tuple``:
the child process starts, "trains" nothing, publishes nothing), so the data stay fixed.

Every built-in check runs, ``positive_data_acceptance`` included: a request the document calls
valid must be accepted. What JSON Schema cannot say about two parameters together (``end`` not
before ``start``, a window of at most 400 days) the document states as ``x-constraints`` on the
operation; a generated case that breaks one of those is checked for everything but acceptance
(it must be a documented 4xx, not a 5xx).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
import schemathesis
from conftest import API_TOKEN
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import create_app


def _served_schema():
    empty = tempfile.mkdtemp(prefix="chunyun-schema-")  # /openapi.json needs no run
    try:
        return schemathesis.openapi.from_wsgi("/openapi.json", create_app({"VAR_DIR": empty}))
    finally:
        shutil.rmtree(empty, ignore_errors=True)


schema = _served_schema()


@pytest.fixture(scope="module")
def api_app(tmp_path_factory, synthetic_template):
    from forecast import runs

    var = tmp_path_factory.mktemp("schema-var")
    staged = runs.staging_dir(var)
    shutil.copytree(synthetic_template, staged, dirs_exist_ok=True)
    runs.publish(staged, synthetic_template.name, var)
    return create_app({"TESTING": True, "VAR_DIR": str(var), "API_TOKEN": API_TOKEN, "TRAIN_TARGET": "builtins:tuple"})


def _date(value):
    from datetime import date

    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def breaks_documented_constraint(case, response=None) -> bool:
    """True when the case breaks an ``x-constraints`` entry of its operation: the query's window
    rules, or (``rows_checked``) a body none of whose rows passes the row checks, which the API
    answers with a problem listing each row's reason (or a CSV body it cannot read at all)."""
    op = case.operation.definition.raw
    query = case.query or {}
    for rule in op.get("x-constraints", []):
        if rule["rule"] == "rows_checked" and response is not None:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            if not isinstance(problem, dict):
                problem = {}
            if response.status_code == 422 and problem.get("errors"):
                return True  # every row was rejected, each with its reason
            if response.status_code == 400 and case.media_type != "application/json" \
                    and problem.get("type") == "/problems/invalid-input":
                return True  # a CSV or Parquet body that cannot be read at all
        if rule["rule"] == "not_before":
            a, b = _date(query.get(rule["parameter"])), _date(query.get(rule["other"]))
            if a and b and a < b:
                return True
        elif rule["rule"] == "max_span_days":
            a, b = (_date(query.get(p)) for p in rule["parameters"])
            if a and b and (b - a).days + 1 > rule["days"]:
                return True
    return False


@schema.parametrize()
@pytest.mark.filterwarnings("ignore:Skipped test cases with unsupported payload media types")  # Parquet bodies
@settings(max_examples=int(os.environ.get("CHUNYUN_SCHEMATHESIS_EXAMPLES", "10")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi(case, api_app):
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    response = case.call(app=api_app, headers=headers)
    excluded = [positive_data_acceptance] if breaks_documented_constraint(case, response) else []
    case.validate_response(response, headers=headers, excluded_checks=excluded)


def test_the_document_states_the_window_constraints():
    op = schema.raw_schema["paths"]["/v1/forecasts"]["get"]
    assert {r["rule"] for r in op["x-constraints"]} == {"not_before", "max_span_days"}
    body = schema.raw_schema["paths"]["/v1/observations"]["post"]["requestBody"]["content"]["application/json"]
    assert all("not" in shape["items"] for shape in body["schema"]["oneOf"])  # no all-null row
