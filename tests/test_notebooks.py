"""The four notebooks: committed clean, and each runs top to bottom on the embedded SAMPLE.

Each notebook is executed with nbclient (kernel ``python3`` of this interpreter's environment) with
small parameters injected after its ``parameters`` cell, papermill style. Run with
region=jiangxi, season=2025, cutoff=2025-01-13, every notebook must show the 2025 by-mode table
with the 2025-02-04 highway peak, under a title that says SAMPLE.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ("01_data_tour", "02_season_forecast", "03_backtest_report", "04_scenarios")
DEFAULTS = {"region": "jiangxi", "season": 2025, "cutoff": "2025-01-13"}
# Small enough for the test suite: the backtest replays two seasons, one series beyond 2025's seven,
# one daily model and two nowcasts.
SMALL = {
    "01_data_tour": {"first_season": 2018},
    "02_season_forecast": {},
    "03_backtest_report": {"seasons": [2024, 2025], "metrics": ["highway_exit_vehicles"], "models": ["sm_regression"],
                           "nowcast_days": [10, 20], "workers": 2},
    "04_scenarios": {},
}
CELL_TIMEOUT = 900
TIMINGS: dict[str, float] = {}


def _read(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _parameters_index(nb) -> int:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    return tagged[0]


def inject(nb, params: dict):
    """Insert a cell assigning ``params`` right after the parameters cell (as papermill does)."""
    source = "# injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    cell["id"] = "injected-parameters"
    nb.cells.insert(_parameters_index(nb) + 1, cell)
    return nb


def _texts(output) -> list[str]:
    if output.get("output_type") == "stream":
        return [output.get("text", "")]
    data = output.get("data", {})
    return [data[k] for k in ("text/plain", "text/html", "text/markdown") if k in data]


def _html_rows(output) -> list[str]:
    html = output.get("data", {}).get("text/html", "")
    return re.split(r"<tr[ >]", html)[1:]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Each notebook executed once (lazily), keyed by name."""
    import os

    done: dict = {}
    mpl = tmp_path_factory.mktemp("mplconfig")
    var = tmp_path_factory.mktemp("var")

    def run(name: str):
        if name not in done:
            saved = {k: os.environ.get(k) for k in ("MPLCONFIGDIR", "CHUNYUN_VAR_DIR", "MPLBACKEND")}
            os.environ["MPLCONFIGDIR"] = str(mpl)
            os.environ["CHUNYUN_VAR_DIR"] = str(var)  # the notebooks read the sample; nothing may touch var/
            os.environ.pop("MPLBACKEND", None)
            try:
                nb = inject(_read(name), {**DEFAULTS, **SMALL[name]})
                client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                                 resources={"metadata": {"path": str(NOTEBOOKS)}})
                t0 = time.perf_counter()
                client.execute()
                TIMINGS[name] = time.perf_counter() - t0
                print(f"\n{name}: executed in {TIMINGS[name]:.1f}s")
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            done[name] = nb
        return done[name]

    return run


# ---------------------------------------------------------------------------------------------
# the committed files

@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_clean(name):
    nb = _read(name)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: outputs must be stripped before committing"
            assert cell.execution_count is None, f"{name}: execution counts must be stripped"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell_has_the_defaults(name):
    nb = _read(name)
    namespace: dict = {}
    exec(nb.cells[_parameters_index(nb)].source, namespace)  # noqa: S102 - our own committed cell
    for key, value in DEFAULTS.items():
        assert namespace[key] == value, f"{name}: default {key} should be {value!r}"
    assert namespace["source"] == "sample"
    for key in SMALL[name]:
        assert key in namespace, f"{name}: the test injects {key!r}, which the parameters cell must declare"


@pytest.mark.parametrize("name", NAMES)
def test_cells_stay_thin(name):
    """No library logic in cells: no function or class definitions, every computation via forecast."""
    for cell in _read(name).cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class|lambda)\b", cell.source, re.M), f"{name}: move this logic into forecast/"
            for line in re.findall(r"^\s*(?:import|from)\s.*$", cell.source, re.M):
                assert re.match(r"^(import pandas as pd|from forecast(\.\w+)* import [\w, ]+)$", line.strip()), \
                    f"{name}: import only forecast (and pandas): {line}"


# ---------------------------------------------------------------------------------------------
# execution

@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_shows_the_2025_table(name, executed):
    nb = executed(name)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
    assert "Glyph" not in stderr and "missing from" not in stderr, f"{name}: font warnings:\n{stderr[:500]}"

    # the by-mode table: a SAMPLE title naming 2025 and "by mode", then a table whose highway row has 2025-02-04
    found = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        titles = [t for o in cell.outputs if o.get("output_type") == "stream" for t in _texts(o)]
        if not any("[SAMPLE]" in t and "by mode" in t and "2025" in t for t in titles):
            continue
        for o in cell.outputs:
            for row in _html_rows(o):
                if "高速公路出口车流量" in row and "2025-02-04" in row:
                    found = True
    assert found, f"{name}: no SAMPLE 2025 by-mode table with the 2025-02-04 highway peak"

    # figures are drawn and titled
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{name}: no figure"


@pytest.mark.slow
def test_forecast_notebook_tables(executed):
    nb = executed("02_season_forecast")
    text = "\n".join(t for c in nb.cells if c.cell_type == "code" for o in c.outputs for t in _texts(o))
    assert "全社会跨区域人员流动量" in text and "高速公路出口车流量" in text
    assert "注：本预测基于样例数据" in text  # the briefing labels the sample
    assert "alert days" in text


@pytest.mark.slow
def test_scenario_notebook_compares_every_scenario(executed):
    nb = executed("04_scenarios")
    text = "\n".join(t for c in nb.cells if c.cell_type == "code" for o in c.outputs for t in _texts(o))
    for scenario in ("growth +2 pts", "growth -2 pts", "9-day holiday", "no toll-free days", "storm"):
        assert scenario in text, f"scenario {scenario!r} missing from the comparison"
    # the calendar scenarios really change the inputs: highway exits move against the base
    for cell in nb.cells:
        if cell.cell_type != "code" or "compare_wide" not in cell.source:
            continue
        title, tables = "", {}
        for o in cell.outputs:
            if o.get("output_type") == "stream":
                title = o.get("text", "")
            elif o.get("output_type") == "display_data":
                tables[title] = o.get("data", {}).get("text/plain", "")
        percent = next(t for name, t in tables.items() if "against the base (%)" in name)
        row = next(line for line in percent.splitlines() if line.startswith("highway_exit_vehicles"))
        base, up, down, holiday, no_toll, storm = (float(v) for v in row.split()[1:7])
        assert base == 0 and up > 0 > down
        assert holiday != 0, "the 9-day holiday left highway exits unchanged"
        assert no_toll < 0, "without toll-free days highway exits should fall"
        assert storm < 0
        break
    else:
        pytest.fail("no scenario comparison cell")

