"""Property-based run of schemathesis against our own /openapi.json: no 5xx, no response off-spec.

The document is loaded from the app as served (``from_wsgi``); the calls go to an app over the
synthetic run with write endpoints enabled. POST /v1/runs starts a no-op job (``builtins:tuple``:
the child process starts, "trains" nothing, publishes nothing), so the data stay fixed.

Every built-in check runs except ``positive_data_acceptance``: the API also checks what JSON
Schema cannot say (start after end, a range over 400 days, a season missing from the run, an
observation row whose value is not a count) and answers those with documented 4xx problems.
"""

from __future__ import annotations

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


@schema.parametrize()
@pytest.mark.filterwarnings("ignore:Skipped test cases with unsupported payload media types")  # Parquet bodies
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi(case, api_app):
    case.call_and_validate(app=api_app, headers={"Authorization": f"Bearer {API_TOKEN}"},
                           excluded_checks=[positive_data_acceptance])
