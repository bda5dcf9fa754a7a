"""Ingest: every row stored or reported with its line and reason; one file, one transaction."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pandas as pd
import pytest

import forecast.store as store_mod
from forecast.cli import main
from forecast.ingest import UnreadableFile, ingest, ingest_bytes, ingest_frame
from forecast.registry import METRICS
from forecast.store import Store

RAIL, AIR = "jiangxi/rail_passengers", "national/air_passengers"
UIDS = [f"{r}/{m}" for r in ("jiangxi", "national") for m in METRICS]
ZH_REGION = {"jiangxi": "江西", "national": "全国"}

# (line text, expected words in the reason); 20 bad rows of 10 kinds
BAD = [
    ("2025-02-30,jiangxi,rail_passengers,1", "impossible date"),
    ("2024-13-01,jiangxi,rail_passengers,1", "impossible date"),
    ("yesterday,jiangxi,rail_passengers,1", "unparsable date"),
    (",jiangxi,rail_passengers,1", "missing date"),
    ("2024-03-01,atlantis,rail_passengers,1", "unknown region 'atlantis'"),
    ("2024-03-01,火星,rail_passengers,1", "unknown region '火星'"),
    ("2024-03-01,jiangxi,teleport_passengers,1", "unknown metric 'teleport_passengers'"),
    ("2024-03-01,jiangxi,,1", "missing metric"),
    ("2024-03-02,jiangxi,rail_passengers,", "missing value"),
    ("2024-03-03,jiangxi,rail_passengers,NA", "missing value"),
    ("2024-03-04,jiangxi,rail_passengers,-5", "negative value"),
    ("2024-03-05,jiangxi,rail_passengers,abc", "not a number"),
    ("2024-03-06,jiangxi,rail_passengers,12.5万", "not in base units"),
    ("2024-03-07,jiangxi,rail_passengers,1.2.3", "not a number"),
    ("2024-03-08,jiangxi,rail_passengers,inf", "not a finite number"),
    ("2030-01-01,jiangxi,rail_passengers,1", "in the future"),
    ("1900-01-01,jiangxi,rail_passengers,1", "before 2000-01-01"),
    ("2024-03-09,jiangxi,rail_passengers,1,234", "5 fields but the header has 4"),
    ("2023-06-01,jiangxi,water_passengers,5", "different values in this file"),
    ("2023-06-01,jiangxi,water_passengers,6", "different values in this file"),
]


def good_rows(n: int = 1000) -> pd.DataFrame:
    days = pd.date_range("2023-10-01", periods=n // len(UIDS) + 1)
    rows = [(UIDS[i % len(UIDS)], days[i // len(UIDS)], float(1000 + 37 * i)) for i in range(n)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def write_mixed_file(path, seed: int = 7) -> dict[int, str]:
    """1,000 good rows (with aliases, thousands separators and one identical duplicate) and the 20
    BAD rows at random places. Returns {line: expected reason words} for the bad rows."""
    lines = []
    for i, r in enumerate(good_rows().itertuples(index=False)):
        region, metric = r.unique_id.split("/")
        if i % 5 == 0:
            region, metric = ZH_REGION[region], METRICS[metric].zh
        value = f'"{r.y:,.0f}"' if i % 11 == 0 else f"{r.y:.0f}"
        lines.append((f"{r.ds:%Y-%m-%d},{region},{metric},{value}", None))
    lines.append((lines[3][0], None))  # the same row twice with the same value is fine
    rng = random.Random(seed)
    for text, reason in BAD:
        lines.insert(rng.randrange(len(lines) + 1), (text, reason))
    path.write_text("date,region,metric,value\n" + "\n".join(t for t, _ in lines) + "\n", encoding="utf-8")
    return {i + 2: reason for i, (_, reason) in enumerate(lines) if reason}


def stored(store: Store | None = None) -> pd.DataFrame:
    return (store or Store()).read()


def expected_good() -> pd.DataFrame:
    g = good_rows()
    return g.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def problem_lines(stderr: str, name: str) -> dict[int, str]:
    out = {}
    for line in stderr.splitlines():
        m = re.match(rf"^{re.escape(name)}:(\d+): (.+)$", line)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


# --------------------------------------------------------------------------- the main scenario


def test_mixed_file_through_the_cli(var_dir, tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    expected = write_mixed_file(path)
    assert len(expected) == 20

    assert main(["ingest", str(path)]) == 1
    err = capsys.readouterr().err
    reported = problem_lines(err, str(path))
    assert set(reported) == set(expected)
    for line, words in expected.items():
        assert words in reported[line], (line, reported[line])
    assert err.strip().splitlines()[-1].endswith("accepted 1000, rejected 20")

    out = stored()
    assert len(out) == 1000 and set(out["source"]) == {"mixed.csv"}
    pd.testing.assert_frame_equal(out[["unique_id", "ds", "y"]], expected_good())

    # again: nothing new, every accepted row now counts as unchanged, the same 20 reported
    assert main(["ingest", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["unchanged"], report["rejected"], report["duplicates"]) == (0, 1000, 20, 1)
    assert report["rows"] == 1021
    assert {p["line"] for p in report["problems"]} == set(expected)
    assert {p["kind"] for p in report["problems"]} >= {
        "impossible_date", "bad_date", "unknown_region", "unknown_metric", "missing_value", "negative_value",
        "non_numeric", "date_out_of_range", "bad_row", "duplicate"}
    pd.testing.assert_frame_equal(stored(), out)
    # the second ingest stored nothing, so it left no audit row
    assert Store().loads()[["accepted", "rejected", "unchanged"]].values.tolist() == [[1000, 20, 0]]


def test_problem_rows_carry_the_raw_fields(var_dir, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("date,region,metric,value\n2024-03-01,atlantis,rail_passengers,7\n", encoding="utf-8")
    (p,) = ingest(path).problems
    assert (p.file, p.line, p.kind) == ("f.csv", 2, "unknown_region")
    assert p.row == {"date": "2024-03-01", "region": "atlantis", "metric": "rail_passengers", "value": "7"}
    assert str(p) == "f.csv:2: unknown region 'atlantis'"


def test_several_reasons_on_one_row_are_all_given(var_dir, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("date,region,metric,value\n2025-02-30,atlantis,teleport,-1\n", encoding="utf-8")
    (p,) = ingest(path).problems
    assert p.reason == "impossible date '2025-02-30'; unknown region 'atlantis'; unknown metric 'teleport'; negative value -1"


# ------------------------------------------------------------------------------- transactions


def test_failure_mid_write_leaves_the_store_unchanged(var_dir, tmp_path, monkeypatch):
    first = tmp_path / "first.csv"
    first.write_text("date,region,metric,value\n2024-01-01,jiangxi,rail_passengers,5\n", encoding="utf-8")
    ingest(first)
    before = stored()
    path = tmp_path / "mixed.csv"
    write_mixed_file(path)
    monkeypatch.setattr(store_mod.writer, "WRITE_CHUNK", 100)
    real = Store._insert_chunk
    chunks = []

    def failing(self, conn, chunk, stamp):
        real(self, conn, chunk, stamp)
        chunks.append(len(chunk))
        if len(chunks) == 3:  # 300 rows are in the table, inside the transaction
            raise OSError("disk full")

    monkeypatch.setattr(Store, "_insert_chunk", failing)
    with pytest.raises(OSError, match="disk full"):
        ingest(path, replace=True)
    assert chunks == [100, 100, 100]
    pd.testing.assert_frame_equal(stored(), before)
    assert len(Store().loads()) == 1

    monkeypatch.setattr(Store, "_insert_chunk", real)
    assert ingest(path).accepted == 1000


def test_dry_run_stores_nothing(var_dir, tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    write_mixed_file(path)
    assert main(["ingest", str(path), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "dry run" in err and err.strip().endswith("accepted 1000, rejected 20")
    assert stored().empty and Store().loads().empty
    assert main(["ingest", str(path), "--dry-run", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert stored().empty


def test_conflict_with_another_source_then_replace(var_dir, tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("date,region,metric,value\n2024-01-01,jiangxi,rail_passengers,100\n"
                 "2024-01-02,jiangxi,rail_passengers,110\n", encoding="utf-8")
    b.write_text("date,region,metric,value\n2024-01-02,jiangxi,rail_passengers,111\n"
                 "2024-01-03,jiangxi,rail_passengers,120\n2024-01-01,jiangxi,rail_passengers,100\n", encoding="utf-8")
    assert main(["ingest", str(a)]) == 0
    capsys.readouterr()
    assert main(["ingest", str(b)]) == 1
    err = capsys.readouterr().err
    assert f"{b}:2: {RAIL} on 2024-01-02: value 111 conflicts with stored 110 from 'a.csv'" in err
    assert err.strip().endswith("accepted 1, rejected 1")
    assert stored()["y"].tolist() == [100, 110, 120]

    assert main(["ingest", str(b), "--replace", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["replaced"], report["unchanged"], report["rejected"]) == (1, 1, 2, 0)
    assert stored()[["y", "source"]].values.tolist() == [[100, "a.csv"], [111, "b.csv"], [120, "b.csv"]]


def test_source_option_and_default(var_dir, tmp_path):
    path = tmp_path / "upload 2025.csv"
    path.write_text("date,region,metric,value\n2024-01-01,jiangxi,rail_passengers,1\n", encoding="utf-8")
    assert main(["ingest", str(path), "--source", "jxdot-2025"]) == 0
    assert stored()["source"].tolist() == ["jxdot-2025"]
    assert ingest(path).source == "upload 2025.csv"


# ---------------------------------------------------------------------------------- file forms


def test_bom_chinese_headers_crlf_and_date_formats(var_dir, tmp_path):
    path = tmp_path / "省厅.csv"
    text = ("日期,地区,指标,数值\r\n2024/1/5,江西,铁路旅客发送量,100\r\n2024年1月6日,江西省,高速公路出口车流量,\"1,234,567\"\r\n"
            "20240107,全国,民航旅客运输量,3.5e6\r\n2024-01-08 00:00:00,China,air_passengers, 42 \r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    report = ingest(path)
    assert (report.accepted, report.rejected) == (4, 0), report.problems
    out = stored()
    assert out[["unique_id", "ds", "y"]].values.tolist() == [
        ["jiangxi/highway_exit_vehicles", pd.Timestamp("2024-01-06"), 1234567.0],
        [RAIL, pd.Timestamp("2024-01-05"), 100.0],
        [AIR, pd.Timestamp("2024-01-07"), 3.5e6],
        [AIR, pd.Timestamp("2024-01-08"), 42.0],
    ]


def test_unique_id_long_form_with_extra_columns(var_dir, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("unique_id,ds,y,note\njiangxi/rail_passengers,2024-01-01,5,first\n江西/民航旅客运输量,2024-01-01,6,\n"
                    "jiangxi,2024-01-02,7,\nmars/rail_passengers,2024-01-02,8,\n", encoding="utf-8")
    report = ingest(path)
    assert report.accepted == 2 and [p.line for p in report.problems] == [4, 5]
    assert "a series is region/metric" in report.problems[0].reason
    assert "unknown region 'mars'" in report.problems[1].reason


def test_wide_by_series(var_dir, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("date,jiangxi/rail_passengers,全国/民航旅客运输量,atlantis/rail_passengers\n"
                    "2024-01-01,100,200,\n"
                    "2024-01-02,,210,\n"      # empty cells: no observation
                    "2024-01-03,-,,\n"        # nothing at all on this line: reported
                    "2024-01-04,130,x,9\n", encoding="utf-8")
    report = ingest(path)
    assert report.form == "wide_series"
    assert (report.accepted, report.rejected, report.rows) == (4, 3, 7)
    by_line = {(p.line, p.kind) for p in report.problems}
    assert by_line == {(4, "missing_value"), (5, "non_numeric"), (5, "unknown_region")}
    bad_col = next(p for p in report.problems if p.kind == "unknown_region")
    assert "column 4 'atlantis/rail_passengers'" in bad_col.reason
    assert bad_col.row == {"date": "2024-01-04", "atlantis/rail_passengers": "9"}
    out = stored()
    assert out[["unique_id", "y"]].values.tolist() == [[RAIL, 100.0], [RAIL, 130.0], [AIR, 200.0], [AIR, 210.0]]


def test_wide_by_metric(var_dir, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("日期,地区,rail_passengers,高速公路出口车流量\n2024-01-01,江西,100,2000\n2024-01-01,全国,300,\n",
                    encoding="utf-8")
    report = ingest(path)
    assert report.form == "wide_metric" and (report.accepted, report.rejected) == (3, 0)
    assert stored()["unique_id"].tolist() == ["jiangxi/highway_exit_vehicles", RAIL, "national/rail_passengers"]


def test_parquet_long_and_wide(var_dir, tmp_path):
    long = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
                         "region": ["jiangxi", "江西", "jiangxi"], "metric": ["rail_passengers"] * 3,
                         "value": [1.0, np.nan, -2.0]})
    path = tmp_path / "obs.parquet"
    long.to_parquet(path, index=False)
    report = ingest(path)
    assert report.accepted == 1 and [(p.line, p.kind) for p in report.problems] == [
        (2, "missing_value"), (3, "negative_value")]

    wide = pd.DataFrame({"ds": [pd.Timestamp("2024-02-01").date(), pd.Timestamp("2024-02-02").date()],
                         "jiangxi/rail_passengers": [10, 11], "national/air_passengers": [20.5, None]})
    path2 = tmp_path / "data.bin"  # recognised by content, not by name
    wide.to_parquet(path2, index=False)
    report = ingest(path2)
    assert (report.form, report.accepted, report.rejected) == ("wide_series", 3, 0)
    assert len(stored()) == 4


def test_quoted_line_breaks_keep_line_numbers(var_dir, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('date,region,metric,value,note\n2024-01-01,jiangxi,rail_passengers,1,"two\nlines"\n'
                    "2024-01-02,jiangxi,rail_passengers,x,\n\n2024-01-03,jiangxi,rail_passengers,3,\n"
                    "2024-01-04,jiangxi,rail_passengers,4,a,b\n", encoding="utf-8")
    report = ingest(path)
    assert report.accepted == 2
    assert [(p.line, p.kind) for p in report.problems] == [(4, "non_numeric"), (7, "bad_row")]


def test_tab_separated(var_dir, tmp_path):
    path = tmp_path / "f.tsv"
    path.write_text("date\tregion\tmetric\tvalue\n2024-01-01\tjiangxi\trail_passengers\t1,234\n", encoding="utf-8")
    assert ingest(path).accepted == 1
    assert stored()["y"].tolist() == [1234.0]


def test_header_only_file_is_fine(var_dir, tmp_path, capsys):
    path = tmp_path / "f.csv"
    path.write_text("date,region,metric,value\n", encoding="utf-8")
    assert main(["ingest", str(path)]) == 0
    assert capsys.readouterr().err.strip().endswith("accepted 0, rejected 0")


# --------------------------------------------------------------------------- unreadable files


@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    (b"", "empty file"),
    (bytes(range(256)) * 4, "binary data"),
    (b"PK\x03\x04" + b"\x14" * 100, "Excel"),
    ("日期,地区,指标,数值\n2024-01-01,江西,铁路旅客发送量,1\n".encode("gbk"), "not UTF-8"),
    (b"name,age\nalice,3\n", "no recognisable header"),
    (b"date,foo,bar\n2024-01-01,1,2\n", "no recognisable header"),
    (b"date,region,value\n2024-01-01,jiangxi,1\n", "needs region and metric"),
    (b"date,date\n2024-01-01,2024-01-01\n", "two date columns"),
    (b"PAR1 this is not parquet", "Parquet"),
])
def test_unreadable_file_exits_2_and_stores_nothing(var_dir, tmp_path, capsys, content, words):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    assert main(["ingest", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("chunyun ingest: error:") and words in err and "\n" not in err
    assert stored().empty and Store().loads().empty


def test_unreadable_is_an_invalid_input_with_exit_code_2(var_dir, tmp_path):
    with pytest.raises(UnreadableFile) as info:
        ingest(tmp_path / "missing.csv")
    assert info.value.exit_code == 2 and info.value.status == 400


# ------------------------------------------------------------------------ frames and HTTP bodies


def test_ingest_frame_json_rows(var_dir):
    rows = [
        {"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": 5},
        {"date": "2024-01-02", "region": "江西", "metric": "rail_passengers", "value": "6"},
        {"date": "2024-01-03", "region": "jiangxi", "metric": "rail_passengers", "value": True},
        {"date": "2024-02-30", "region": "jiangxi", "metric": "rail_passengers", "value": 7},
        {"date": "2024-01-04", "region": "jiangxi", "metric": "rail_passengers", "value": None},
    ]
    report = ingest_frame(rows, source="api-test")
    assert report.accepted == 2
    assert [(p.file, p.line, p.kind) for p in report.problems] == [
        ("<body>", 3, "non_numeric"), ("<body>", 4, "impossible_date"), ("<body>", 5, "missing_value")]
    assert report.problems[0].row["value"] is True
    json.dumps(report.to_dict())  # serialisable as is
    assert stored()["source"].unique().tolist() == ["api-test"]
    with pytest.raises(UnreadableFile):
        ingest_frame([{"when": "2024-01-01", "n": 1}], source="api-test")


def test_ingest_bytes_csv_body_matches_file_rules(var_dir):
    body = "\ufeffunique_id,ds,y\njiangxi/rail_passengers,2024-01-01,1\njiangxi/rail_passengers,2024-01-02,-1\n"
    report = ingest_bytes(body.encode("utf-8"), source="api", dry_run=True)
    assert (report.accepted, report.rejected, report.problems[0].line) == (1, 1, 3)
    assert stored().empty


# ----------------------------------------------------------------------------- series, history


def test_series_and_history_commands(var_dir, tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    write_mixed_file(path)
    main(["ingest", str(path)])
    capsys.readouterr()

    assert main(["series", "--json"]) == 0
    series = json.loads(capsys.readouterr().out)
    assert len(series) == 14 and {s["sources"] for s in series} == {"mixed.csv"}
    rail = next(s for s in series if s["unique_id"] == RAIL)
    assert rail["unit"] == "persons" and rail["first_ds"] == "2023-10-01" and sum(s["rows"] for s in series) == 1000

    assert main(["series", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "unique_id,unit,first_ds,last_ds,rows,sources,kinds"
    assert main(["series"]) == 0
    assert RAIL in capsys.readouterr().out

    assert main(["history", RAIL, "--start", "2023-10-02", "--end", "2023-10-05", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "unique_id,ds,y,source"
    assert [line.split(",")[1] for line in lines[1:]] == ["2023-10-02", "2023-10-03", "2023-10-04", "2023-10-05"]
    assert main(["history", "江西/铁路旅客发送量", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = expected_good()
    assert [r["y"] for r in rows] == expected[expected["unique_id"] == RAIL]["y"].tolist()
    assert main(["history", RAIL]) == 0
    assert "2023-10-01" in capsys.readouterr().out


def test_the_series_listing_counts_rows_by_kind_where_the_sources_are_one_per_day(var_dir, capsys):
    """A series of published days has one source per day (``real:<id>``): the text listing shows the
    rows of each kind instead of every source, and --json keeps the sources."""
    from forecast.store import Store

    days = pd.date_range("2025-01-14", periods=40)
    frame = pd.DataFrame({"unique_id": RAIL, "ds": days, "y": 1.0e7})
    Store().write(frame.iloc[:5].assign(source="sample"))
    Store().write(frame.iloc[5:].assign(source=[f"real:d{d.date()}-rail-a1" for d in days[5:]]))
    assert main(["series"]) == 0
    out = capsys.readouterr().out
    assert "sample 5; real 35" in out and "real:" not in out and max(map(len, out.splitlines())) < 120
    assert main(["series", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["kinds"] == "sample 5; real 35" and len(row["sources"].split(";")) == 36


@pytest.mark.parametrize("argv, words", [
    (["history", "nowhere/rail_passengers"], "unknown region"),
    (["history", "rail_passengers"], "unknown series"),
    (["history", "jiangxi/water_passengers"], "no stored rows"),
    (["history", RAIL, "--start", "2024-02-30"], "--start"),
    (["history", RAIL, "--start", "2024-02-01", "--end", "2024-01-01"], "after --end"),
])
def test_history_errors_are_one_line(var_dir, capsys, argv, words):
    Store().write(pd.DataFrame({"unique_id": [RAIL], "ds": [pd.Timestamp("2024-01-01")], "y": [1.0], "source": ["s"]}))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("chunyun history: error:") and words in err and "\n" not in err


def test_series_on_an_empty_store(var_dir, capsys):
    assert main(["series", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["series"]) == 0
    assert "no stored series" in capsys.readouterr().out
