"""Hostile and careless inputs (issue 13): each reproduction is a clear 4xx problem or a CLI exit
1/2 with file, line and reason; nothing wrong is stored; every good row of a mixed body is."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import API_TOKEN

from forecast import calendar
from forecast import ingest as ingest_mod
from forecast.cli import build_parser, main
from forecast.errors import InvalidInput
from forecast.ingest import UnreadableFile, ingest_bytes, ingest_frame
from forecast.store import Store

HEADER = "date,region,metric,value\n"
RAIL = "jiangxi/rail_passengers"


def good_lines(n: int = 40, start: str = "2024-01-01", level: int = 400_000) -> list[str]:
    days = pd.date_range(start, periods=n)
    return [f"{d:%Y-%m-%d},jiangxi,rail_passengers,{level + i}" for i, d in enumerate(days)]


def stored() -> pd.DataFrame:
    return Store().read()


# ------------------------------------------------------------------------------ 1: date range

def test_a_date_the_models_cannot_use_is_rejected_with_its_line(var_dir, tmp_path, capsys):
    path = tmp_path / "old.csv"
    path.write_text(HEADER + "\n".join([*good_lines(3), "1999-01-01,jiangxi,rail_passengers,400000"]) + "\n",
                    encoding="utf-8")
    assert main(["ingest", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:5: date 1999-01-01 is before 2000-01-01" in err
    assert len(stored()) == 3 and stored()["ds"].min() == pd.Timestamp("2024-01-01")


def test_the_first_data_day_is_inside_what_the_calendar_supports():
    first = pd.Timestamp(calendar.FIRST_DATA_DAY)
    assert ingest_mod.MIN_DATE == calendar.FIRST_DATA_DAY  # one constant
    # the models look a few days around each date: the calendar must cover them
    feats = calendar.day_features(pd.date_range(first - pd.Timedelta(days=30), first))
    assert len(feats) == 31
    with pytest.raises(Exception, match="outside the supported seasons"):
        calendar.day_features(pd.date_range("1999-01-01", periods=3))


# -------------------------------------------------------------------------- 2: wide inputs

@pytest.mark.parametrize("columns", [20_000, 100_000])
def test_a_wide_header_is_refused_before_any_quadratic_work(var_dir, columns):
    header = ",".join(["date", *(f"c{i}" for i in range(columns))])
    with pytest.raises(UnreadableFile, match="more than the limit"):
        ingest_bytes((header + "\n2024-01-01" + "," * columns + "\n").encode(), Store())
    # short names below the byte limit: the column count stops it
    with pytest.raises(UnreadableFile, match=r"columns, more than the limit of 1000"):
        ingest_bytes(("date" + ",a" * 5000 + "\n").encode(), Store())
    assert stored().empty


def test_duplicate_column_check_is_linear():
    header = ["date", *(f"jiangxi/c{i}" for i in range(998))] + ["jiangxi/c0"]
    with pytest.raises(UnreadableFile, match="repeated column names"):
        ingest_mod._form(header, "f.csv")


def test_json_rows_with_many_keys_are_refused(var_dir):
    with pytest.raises(UnreadableFile, match="more than 1000 distinct keys"):
        ingest_frame([{f"k{i}": 1 for i in range(100_000)}], Store())


# --------------------------------------------------------------------- 4: values stored wrong

def test_an_unclosed_quote_at_the_end_is_a_rejected_row_not_40(var_dir, tmp_path, capsys):
    path = tmp_path / "truncated.csv"
    path.write_bytes((HEADER + "\n".join(good_lines(3)) + '\n2024-02-01,jiangxi,rail_passengers,"40').encode())
    assert main(["ingest", str(path)]) == 1
    assert f"{path}:5: a quote opened on this line is never closed" in capsys.readouterr().err
    got = stored()
    assert len(got) == 3 and (got["y"] >= 400_000).all()


def test_a_nul_byte_after_the_first_64_kib_is_a_rejected_row_not_4(var_dir):
    lines = good_lines(2000, start="2015-01-01")
    body = HEADER + "\n".join(lines) + "\n2021-01-01,jiangxi,air_passengers,4\x008000\n2021-01-02,jiangxi,air_passengers,48000\n"
    assert len(body) > 65536
    report = ingest_bytes(body.encode(), Store(), source="nul")
    assert [(p.line, p.kind) for p in report.problems] == [(2002, "binary_data")]
    got = stored()
    assert len(got) == 2001 and 4.0 not in got["y"].tolist()
    assert got.loc[got["unique_id"] == "jiangxi/air_passengers", "y"].tolist() == [48000.0]


def test_nul_bytes_throughout_make_the_file_unreadable(var_dir):
    with pytest.raises(UnreadableFile, match="binary data"):
        ingest_bytes(b"date,region,metric,value\n" + b"x,\0y\n" * 70000, Store())


# -------------------------------------------------------------------------------- 5: bounds

@pytest.mark.parametrize("value", ["1e308", "1.8e19", "2000000000"])
def test_a_value_above_the_absolute_bound_is_rejected(var_dir, value):
    body = HEADER + "\n".join([*good_lines(5), f"2024-03-01,jiangxi,air_passengers,{value}"]) + "\n"
    report = ingest_bytes(body.encode(), Store(), source="t")
    assert [(p.line, p.kind) for p in report.problems] == [(7, "implausible_value")]
    assert "more than 1,500,000,000 persons in one day" in report.problems[0].reason
    assert stored()["y"].max() < 1e6


def test_a_value_far_above_the_series_history_is_rejected(var_dir):
    ingest_bytes((HEADER + "\n".join(good_lines(60)) + "\n").encode(), Store(), source="history")
    body = HEADER + "2024-03-01,jiangxi,rail_passengers,3900000\n2024-03-02,jiangxi,rail_passengers,4100000\n"
    report = ingest_bytes(body.encode(), Store(), source="new")
    assert [(p.line, p.kind) for p in report.problems] == [(3, "implausible_value")]
    assert "10 times the highest value stored for jiangxi/rail_passengers" in report.problems[0].reason
    assert report.accepted == 1  # ten times the maximum is still plausible
    # a series new to the store: its own file's median is the reference
    lines = good_lines(40, level=50_000)
    lines = [ln.replace("rail_passengers", "water_passengers") for ln in lines]
    body = HEADER + "\n".join([*lines, "2024-03-01,jiangxi,water_passengers,900000000"]) + "\n"
    report = ingest_bytes(body.encode(), Store(), source="water")
    assert [(p.line, p.kind) for p in report.problems] == [(42, "implausible_value")]
    assert "median of this file's values" in report.problems[0].reason


# ----------------------------------------------------------------- 6: parser errors, no 500

def test_a_one_megabyte_field_is_a_rejected_row(var_dir):
    body = HEADER + "\n".join([*good_lines(3), "2024-02-06,jiangxi,rail_passengers," + "9" * 1_000_000,
                               "2024-02-07,jiangxi,rail_passengers,400000"]) + "\n"
    report = ingest_bytes(body.encode(), Store(), source="t")
    assert [(p.line, p.kind) for p in report.problems] == [(5, "line_too_long")]
    assert report.accepted == 4


@pytest.mark.parametrize("digits", [400, 5000])
def test_huge_integers_are_rejected_rows(var_dir, digits):
    body = HEADER + f"2024-01-01,jiangxi,rail_passengers,{'9' * digits}\n2024-01-02,jiangxi,rail_passengers,5\n"
    report = ingest_bytes(body.encode(), Store(), source="t")
    assert [p.line for p in report.problems] == [2] and report.accepted == 1
    assert len(report.problems[0].reason) < 200  # the digits are not repeated in full
    rows = [{"date": "2024-01-03", "region": "jiangxi", "metric": "rail_passengers", "value": 10 ** (digits - 1)},
            {"date": "2024-01-04", "region": "jiangxi", "metric": "rail_passengers", "value": 6}]
    report = ingest_frame(rows, Store(), source="t")
    assert [p.line for p in report.problems] == [1] and report.accepted == 1


def test_a_parquet_struct_column_is_a_row_problem_not_a_crash(var_dir):
    table = pa.table({"date": ["2024-01-01", "2024-01-02"], "region": [{"a": 1}, {"a": 2}],
                      "metric": ["rail_passengers"] * 2, "value": [1.0, 2.0]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    report = ingest_bytes(buf.getvalue(), Store(), source="t")
    assert [p.kind for p in report.problems] == ["unknown_region", "unknown_region"]
    # an extra struct column is ignored like any other extra column
    table = table.set_column(1, "region", pa.array(["jiangxi", "jiangxi"])).append_column("note", pa.array([{"x": 1}] * 2))
    buf = io.BytesIO()
    pq.write_table(table, buf)
    assert ingest_bytes(buf.getvalue(), Store(), source="t").accepted == 2


def test_sample_is_a_reserved_source(var_dir, tmp_path, capsys):
    with pytest.raises(InvalidInput, match="reserved"):
        ingest_bytes((HEADER + good_lines(1)[0] + "\n").encode(), Store(), source="sample")
    path = tmp_path / "a.csv"
    path.write_text(HEADER + good_lines(1)[0] + "\n", encoding="utf-8")
    assert main(["ingest", str(path), "--source", "sample"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert stored().empty and Store().loads().empty


def test_an_unexpected_error_is_not_exit_1(var_dir, monkeypatch, capsys, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + good_lines(1)[0] + "\n", encoding="utf-8")

    def bug(*_a, **_k):
        raise ZeroDivisionError("synthetic bug")

    monkeypatch.setattr(ingest_mod, "check", bug)
    assert main(["ingest", str(path)]) == 70
    assert "internal error: ZeroDivisionError: synthetic bug" in capsys.readouterr().err


# ------------------------------------------------------------------------------ the API side

def post(client, body, content_type="application/json", query=""):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(f"/v1/observations{query}", data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {API_TOKEN}"})


@pytest.mark.parametrize("body, words", [
    (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
    (b'[{"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": ' + b"9" * 5000 + b"}]",
     "JSON cannot be read"),
    (json.dumps([{"date": None, "region": None, "metric": None, "value": None}]), "row 1"),
])
def test_json_bodies_that_used_to_be_500s(client, body, words):
    r = post(client, body)
    assert r.status_code == 400 and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    assert words in r.get_json()["detail"]


def test_a_lone_surrogate_is_reported_not_a_500(client):
    r = post(client, '[{"date": "2024-01-01", "region": "\\ud800", "metric": "rail_passengers", "value": 1}]')
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    body = json.loads(r.get_data())  # valid JSON: the surrogate is escaped
    assert body["errors"][0]["kind"] == "unknown_region" and "\\ud800" in r.get_data(as_text=True)


def test_mixed_json_body_stores_its_good_rows(client):
    rows = [{"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": 400000},
            {"date": "2024-01-02", "region": "jiangxi", "metric": "rail_passengers", "value": 1e308},
            {"date": "1999-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": 400000},
            {"date": "2024-01-03", "region": "jiangxi", "metric": "rail_passengers", "value": 10 ** 400}]
    r = post(client, rows)
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert report["accepted"] == 1 and [p["line"] for p in report["problems"]] == [2, 3, 4]
    assert stored()["y"].tolist() == [400000.0]


def test_api_refuses_source_sample_and_stores_no_audit_row_for_nothing(client):
    r = post(client, HEADER + good_lines(1)[0] + "\n", "text/csv", "?source=sample")
    assert r.status_code == 400 and "source" in r.get_data(as_text=True)
    r = post(client, HEADER + "1999-01-01,jiangxi,rail_passengers,1\n", "text/csv")
    assert r.status_code == 422 and "before 2000-01-01" in r.get_json()["errors"][0]["reason"]
    assert Store().loads().empty and stored().empty


def test_wide_csv_body_is_a_quick_400(client):
    r = post(client, ",".join(["date", *(f"c{i}" for i in range(100_000))]) + "\n", "text/csv")
    assert r.status_code == 400 and r.mimetype == "application/problem+json"


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/docs", "/healthz"):
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "no-referrer"
    # what the CSP allows is enough: no inline script or style attribute in the pages
    for path in ("/", "/docs"):
        html = client.get(path).get_data(as_text=True)
        assert "style=" not in html
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or 'type="application/json"' in tag, tag
    assert client.get("/static/docs.js").status_code == 200


# ---------------------------------------------------------------------------------- the CLI

def _commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


def test_every_help_works():
    for argv in ([], *([c] for c in _commands())):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--help"])
        assert exit_info.value.code == 0, argv
    assert {"loads", "retract"} <= set(_commands())


def test_help_as_a_program():
    code = "import sys; from forecast.cli import main; sys.exit(main(['--help']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "retract" in out.stdout and "loads" in out.stdout


def test_work_per_request_is_linear_in_the_body(var_dir):
    """Not a timing: the line screen and the duplicate-header check see each byte/column once,
    so a body at the size limit with many bad lines is read, not retried line by line."""
    lines = good_lines(2000, start="2015-01-01")  # past the first 64 KiB, where a NUL means a binary file
    bad = ["2024-12-01,jiangxi,rail_passengers,4\x00" for _ in range(ingest_mod.MAX_BAD_LINES)]
    body = (HEADER + "\n".join([*lines, *bad]) + "\n").encode()
    report = ingest_bytes(body, Store(), source="t", dry_run=True)
    assert report.rejected == ingest_mod.MAX_BAD_LINES and report.accepted == 2000
    assert np.all([p.kind == "binary_data" for p in report.problems])


@pytest.mark.parametrize("body", [
    [{"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": 1}],
    [{"unique_id": "jiangxi/rail_passengers", "ds": "2024-01-01", "y": 1, "note": "x"}],
    [{"date": None, "region": None, "metric": None, "value": None}],
    [{"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers"}],
    [{"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": [1]}],
    [{"date": 1, "region": 2, "metric": 3, "value": 4, "unique_id": 5, "ds": 6, "y": 7}],
    [{"unique_id": "a", "ds": "b", "y": 1}, {"date": "x", "region": "y", "metric": "z", "value": 1}],
    [], {"a": 1}, None,
])
def test_the_fast_body_check_agrees_with_the_published_schema(body):
    from api.validation import _valid_rows_fast, body_validator

    if _valid_rows_fast(body):  # it may only say "valid" where the published schema does
        assert body_validator("post_observations").is_valid(body)
    assert _valid_rows_fast(body) == (body_validator("post_observations").is_valid(body)
                                      and not (isinstance(body, list) and body and {"unique_id", "date"} <= body[0].keys()))
