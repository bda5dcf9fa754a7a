"""Byte-equality of ingest before and after a refactor: the same inputs, old code and new code.

    .venv/bin/python bench/compare_ingest.py --rev main
    .venv/bin/python bench/compare_ingest.py --rev HEAD~1 --keep

The code of ``--rev`` (default ``HEAD``) is taken with ``git archive`` into a temporary folder, as
``bench/compare_outputs.py sample`` does; each checkout then runs the same cases in its own Python
process, ``PYTHONPATH`` set to that checkout (the child reports which ``forecast`` it imported, and
the script stops if it is not the intended one). Both read the same data (this working tree's
``data/``) and the same input files, written once by this script into the temporary folder.

The cases (:data:`GROUPS`): good rows; every kind of bad row (dates, regions, metrics, series,
stations, values, duplicates within a file, conflicts with the store, replace, the bounds against
the registry, the stored history and the file's own median, ``max_problems``, dry runs); the CSV
forms (long, unique_id, station, wide by metric, wide by series; tab and semicolon separators, a
BOM, CRLF, quoted line breaks); Parquet; JSON rows; the hostile inputs of ``tests/test_hostile.py``
(NUL bytes, over-long lines, an unclosed quote, huge integers, a struct column) and every kind of
unreadable file. Each group of cases runs on a fresh SQLite store, in order.

Compared byte for byte: every report in full (``IngestReport.to_dict()``: counts, and every
problem's file, line, reason, kind and raw row) or the error raised (class, message, hint, exit
code), and per group the stored rows and the audit trail (without its timestamps).

Prints one line per comparison and a verdict; exit status 0 when everything is identical, 1 on a
difference, 2 when the comparison could not be made.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path

from compare_outputs import ROOT, _export, _first_difference, _report, _rmtree, _run_child, guarded

HEADER = "date,region,metric,value\n"

RUN_CASES = r"""
import json, sys
from pathlib import Path
import forecast
from forecast import ingest
from forecast.store import Store

out = Path(sys.argv[1])
inputs = Path(sys.argv[2])
groups = json.loads((inputs / "cases.json").read_text(encoding="utf-8"))
results = {}
for group, steps in groups.items():
    store = Store(f"sqlite:///{out / (group + '.db')}")
    for label, how, name, options in steps:
        path = inputs / name
        try:
            if how == "file":
                report = ingest.ingest(path, store, **options)
            elif how == "bytes":
                report = ingest.ingest_bytes(path.read_bytes(), store, **options)
            else:
                report = ingest.ingest_frame(json.loads(path.read_text(encoding="utf-8")), store, **options)
            results[f"{group}/{label}"] = {"report": report.to_dict(), "summary": report.summary(),
                                           "exit_code": report.exit_code, "problems": [str(p) for p in report.problems]}
        except Exception as err:
            results[f"{group}/{label}"] = {"error": type(err).__name__, "message": str(err),
                                           "hint": getattr(err, "hint", None), "exit_code": getattr(err, "exit_code", None)}
    store.read().to_csv(out / f"{group}-rows.csv", index=False)
    trail = store.loads()
    trail.drop(columns=[c for c in trail.columns if c.endswith("_at")]).to_csv(out / f"{group}-loads.csv", index=False)
    store.close()
    (out / f"{group}.db").unlink()
(out / "reports.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
print(Path(forecast.__file__).resolve().parent)
"""


def _days(n: int, start: str = "2024-01-01") -> list[str]:
    import pandas as pd

    return [f"{d:%Y-%m-%d}" for d in pd.date_range(start, periods=n)]


def _long(n: int, metric: str = "rail_passengers", level: int = 400_000, start: str = "2024-01-01") -> list[str]:
    return [f"{d},jiangxi,{metric},{level + i}" for i, d in enumerate(_days(n, start))]


BAD_ROWS = [  # every kind of bad row of the long form, and the good variants beside them
    "2024-03-01,jiangxi,air_passengers,1000", "2024/3/2,江西,air_passengers,1000", "20240303,jiangxi,民航旅客发送量,1000",
    "2024年3月4日,jiangxi,air_passengers,1000", "2024-03-05 00:00:00,jiangxi,air_passengers,1000",
    "2024-03-06 12:00:00,jiangxi,air_passengers,1000", "2025-02-30,jiangxi,air_passengers,1000",
    "2024-13-45,jiangxi,air_passengers,1000", "yesterday,jiangxi,air_passengers,1000",
    "1999-12-31,jiangxi,air_passengers,1000", "2099-01-01,jiangxi,air_passengers,1000",
    ",jiangxi,air_passengers,1000", "2024-03-07,mars,air_passengers,1000", "2024-03-08,,air_passengers,1000",
    "2024-03-09,jiangxi,teleport_passengers,1000", "2024-03-10,jiangxi,,1000", "2024-03-11,jiangxi,air_passengers,",
    "2024-03-12,jiangxi,air_passengers,NA", "2024-03-13,jiangxi,air_passengers,-", "2024-03-14,jiangxi,air_passengers,12.5万",
    "2024-03-15,jiangxi,air_passengers,abc", "2024-03-16,jiangxi,air_passengers,-5", "2024-03-17,jiangxi,air_passengers,inf",
    "2024-03-18,jiangxi,air_passengers,nan", '2024-03-19,jiangxi,air_passengers,"1,234,567"',
    '2024-03-20,jiangxi,air_passengers,"1,23"', "2024-03-21,jiangxi,air_passengers,1e400",
    "2024-03-22,jiangxi,air_passengers," + "9" * 400, "2024-03-23,jiangxi,air_passengers,2000000000",
    "2024-03-24,jiangxi,air_passengers,1.8e19", "2024-03-25,jiangxi,air_passengers,1000",
    "2024-03-25,jiangxi,air_passengers,1000", "2024-03-26,jiangxi,air_passengers,1000",
    "2024-03-26,jiangxi,air_passengers,2000", "2024-03-26,jiangxi,air_passengers,3000",
    "2024-03-27,jiangxi,air_passengers,1000,extra,fields", "2024-02-30,mars,nothing,-1",
    "  2024-03-28 , jiangxi , air_passengers , 1.5e3 ", "2024-03-29,national,highway_exit_vehicles,600000000",
    "2024-03-30,全国,铁路旅客发送量,12000000", ",,,", "",
]

FORMS = {  # name -> text of the file (each a separate case)
    "uid.csv": "date,unique_id,value,note\n2024-01-01,jiangxi/rail_passengers,5,x\n2024-01-02,江西/铁路旅客发送量,6,\n"
               "2024-01-03,jiangxi/nothing,7,\n2024-01-04,nowhere,8,\n2024-01-05,a/b/c/d,9,\n2024-01-06,,10,\n"
               "2024-01-07,jiangxi/highway_exit_vehicles/sample_001,11,\n2024-01-08,mars/rail_passengers,12,\n",
    "stations.csv": "date,region,metric,station,value\n2025-01-14,jiangxi,highway_exit_vehicles,sample_001,1200\n"
                    "2025-01-14,江西,高速公路出口车流量,sample_002,900\n2025-01-14,jiangxi,highway_exit_vehicles,sample_999,5\n"
                    "2025-01-14,jiangxi,highway_exit_vehicles,,1300000\n2025-01-15,jiangxi,highway_exit_vehicles,sample_001,-3\n"
                    "2025-01-15,jiangxi,rail_passengers,sample_001,4\n2025-01-15,mars,highway_exit_vehicles,sample_001,4\n",
    "wide_metric.csv": "日期,地区,铁路旅客发送量,air_passengers,bogus,\n2024-01-01,江西,100,200,3,4\n"
                       "2024-01-02,jiangxi,,NA,,\n2024-01-03,mars,101,-,x,\n2024-01-04,jiangxi,1e3,—,,\n"
                       "2024-13-01,jiangxi,5,6,,\n2024-01-05,jiangxi,abc,7,,\n",
    "wide_series.csv": "date,jiangxi/rail_passengers,江西/民航旅客发送量,national/nothing,mars/rail_passengers\n"
                       "2024-01-01,1,2,3,4\n2024-01-02,,,,\n2024-01-03,5,-6,,\n2024-01-04,7,8.5,9,\n",
    "tabs.tsv": "date\tregion\tmetric\tvalue\n2024-01-01\tjiangxi\trail_passengers\t1\n2024-01-02\tjiangxi\trail_passengers\tx\n",
    "semicolons.csv": "date;region;metric;value\n2024-01-01;jiangxi;rail_passengers;1\n2024-01-02;jiangxi;rail_passengers;\n",
    "quoted_newline.csv": 'date,region,metric,value,note\n2024-01-01,jiangxi,rail_passengers,1,"two\nlines"\n'
                          "2024-01-02,jiangxi,rail_passengers,2,\n\n2024-01-03,mars,rail_passengers,3,\n",
    "trailing_separators.csv": "date,region,metric,value,,\n2024-01-01,jiangxi,rail_passengers,1,,\n"
                               "2024-01-02,jiangxi,rail_passengers,2,,,,\n",
}

UNREADABLE = {  # name -> bytes: each raises UnreadableFile (or is a file-level error)
    "binary.csv": b"date,region\n\0\0\0\0", "workbook.csv": b"PK\x03\x04rest of a zip", "empty.csv": b"",
    "blank_first.csv": b"\n2024-01-01,jiangxi,rail_passengers,1\n", "gbk.csv": "日期,地区,指标,数值\n".encode("gbk"),
    "no_date.csv": b"day,region,metric,value\n", "two_dates.csv": b"date,ds,region,metric,value\n",
    "repeated.csv": b"date,jiangxi/rail_passengers,jiangxi/rail_passengers\n",
    "station_alone.csv": b"date,station,value\n", "value_alone.csv": b"date,value\n", "no_value.csv": b"date,metric\n",
    "unknown_wide.csv": b"date,foo,bar\n2024-01-01,1,2\n", "wide_header.csv": ("date" + ",a" * 5000 + "\n").encode(),
    "long_header.csv": b"date," + b"x" * 70_000 + b"\n", "nul_throughout.csv": b"date,region,metric,value\n" + b"x,\0y\n" * 70000,
    "bad_parquet.parquet": b"PAR1 not really",
}


def _parquet(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def input_files() -> dict[str, bytes]:
    """The input files by name: good rows, bad rows, the forms, Parquet, JSON rows, hostile and unreadable."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    files: dict[str, bytes] = {}
    files["history.csv"] = (HEADER + "\n".join(_long(60) + _long(60, "air_passengers", 1000)) + "\n").encode()
    files["bad_rows.csv"] = (HEADER + "\n".join(BAD_ROWS) + "\n").encode()
    files["conflicts.csv"] = (HEADER + "\n".join(_long(3, level=400_001) + ["2024-03-02,jiangxi,rail_passengers,3900000",
                                                                            "2024-03-03,jiangxi,rail_passengers,4100000"]) + "\n").encode()
    water = [ln.replace("rail_passengers", "water_passengers") for ln in _long(40, level=50_000)]
    files["file_median.csv"] = (HEADER + "\n".join([*water, "2024-03-01,jiangxi,water_passengers,900000000"]) + "\n").encode()
    files["bom_crlf.csv"] = ("\ufeff" + HEADER + "\n".join(_long(5, "road_passengers"))).replace("\n", "\r\n").encode()
    files.update({name: text.encode() for name, text in FORMS.items()})
    nul_lines = "\n".join(_long(2000, start="2015-01-01"))
    files["nul_row.csv"] = (HEADER + nul_lines + "\n2021-01-01,jiangxi,air_passengers,4\x008000\n"
                            "2021-01-02,jiangxi,air_passengers,48000\n").encode()
    files["long_line.csv"] = (HEADER + "\n".join([*_long(3), "2024-02-06,jiangxi,rail_passengers," + "9" * 100_000,
                                                  "2024-02-07,jiangxi,rail_passengers,400000"]) + "\n").encode()
    files["unclosed.csv"] = (HEADER + "\n".join(_long(3)) + '\n2024-02-01,jiangxi,rail_passengers,"40').encode()
    for name, n in (("many_nul.csv", 1000), ("too_many_nul.csv", 1001)):  # MAX_BAD_LINES: rejected rows, then unreadable
        files[name] = (HEADER + "\n".join(_long(2000, start="2015-01-01") + ["2024-12-01,jiangxi,rail_passengers,4\x00"] * n)
                       + "\n").encode()
    files["good.parquet"] = _parquet(pd.DataFrame({
        "date": pd.to_datetime(_days(6) + ["2024-01-07 06:00", "1990-01-01"], format="ISO8601"), "region": ["jiangxi"] * 7 + ["mars"],
        "metric": ["rail_passengers"] * 8, "value": [1.0, 2.0, None, -1.0, float("inf"), 6.0, 7.0, 8.0]}))
    files["uid_ints.parquet"] = _parquet(pd.DataFrame({"ds": _days(3), "unique_id": ["jiangxi/air_passengers"] * 3,
                                                       "y": [1, 2, 3]}))
    files["bools.parquet"] = _parquet(pd.DataFrame({"date": _days(2), "region": ["jiangxi"] * 2,
                                                    "metric": ["rail_passengers"] * 2, "value": [True, False]}))
    table = pa.table({"date": ["2024-01-01", "2024-01-02"], "region": [{"a": 1}, {"a": 2}],
                      "metric": ["rail_passengers"] * 2, "value": [1.0, 2.0]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    files["struct.parquet"] = buf.getvalue()
    files["rows.json"] = json.dumps([
        {"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers", "value": 10 ** 399},
        {"date": "2024-01-02", "region": "jiangxi", "metric": "rail_passengers", "value": 6},
        {"date": "2024-01-03", "region": "jiangxi", "metric": "rail_passengers", "value": True},
        {"date": "2024-01-04", "region": "jiangxi", "metric": "rail_passengers", "value": None},
        {"date": 20240105, "region": "jiangxi", "metric": "rail_passengers", "value": "7"},
        {"date": "2024-01-06", "region": ["jiangxi"], "metric": "rail_passengers", "value": 1.5}]).encode()
    files["rows_uid.json"] = json.dumps([{"ds": "2024-01-07", "unique_id": "jiangxi/rail_passengers", "y": 8},
                                         {"ds": "2024-01-08", "unique_id": "jiangxi/rail", "y": 8.5}]).encode()
    files["rows_mixed.json"] = json.dumps([{"date": "2024-01-01", "region": "jiangxi", "metric": "rail_passengers",
                                            "value": 2 ** 70}, {"date": "2024-01-02"}]).encode()
    files["rows_not_objects.json"] = json.dumps([{"date": "2024-01-01"}, [1, 2]]).encode()
    files.update(UNREADABLE)
    return files


def cases() -> dict[str, list]:
    """Groups of cases, each run in order on a fresh store: (label, how, input file, options)."""
    return {
        "long": [("history", "file", "history.csv", {}), ("bad_rows", "file", "bad_rows.csv", {}),
                 ("bad_rows_again", "file", "bad_rows.csv", {}),
                 ("conflicts_dry", "bytes", "conflicts.csv", {"source": "fix", "dry_run": True}),
                 ("conflicts", "bytes", "conflicts.csv", {"source": "fix"}),
                 ("replace", "bytes", "conflicts.csv", {"source": "fix", "replace": True}),
                 ("file_median", "bytes", "file_median.csv", {"source": "water"}),
                 ("bad_rows_max2", "bytes", "bad_rows.csv", {"source": "few", "max_problems": 2}),
                 ("bad_rows_max0", "bytes", "bad_rows.csv", {"name": "named.csv", "max_problems": 0}),
                 ("bom_crlf", "file", "bom_crlf.csv", {"source": "  spaced  "}),
                 ("reserved", "file", "history.csv", {"source": "sample"}),
                 ("empty_source", "file", "history.csv", {"source": "   "})],
        "forms": [(name, "file", name, {}) for name in FORMS]
        + [("conflicting_wide", "file", "wide_metric.csv", {"source": "other"})],
        "hostile": [(name, "bytes", name, {"source": "t"}) for name in
                    ("nul_row.csv", "long_line.csv", "unclosed.csv", "many_nul.csv", "too_many_nul.csv",
                     "good.parquet", "uid_ints.parquet", "bools.parquet", "struct.parquet")]
        + [(name, "rows", name, {"source": "api"}) for name in ("rows.json", "rows_uid.json", "rows_mixed.json",
                                                                   "rows_not_objects.json")]
        + [("many_nul_max5", "bytes", "many_nul.csv", {"source": "t", "max_problems": 5, "dry_run": True})],
        "unreadable": [(name, "file", name, {}) for name in [*UNREADABLE, "a_directory.csv", "missing.csv"]],
    }


def write_inputs(folder: Path) -> dict:
    """The input files into ``folder`` and the cases that read them (also saved as cases.json)."""
    for name, data in input_files().items():
        (folder / name).write_bytes(data)
    (folder / "a_directory.csv").mkdir()
    groups = cases()
    (folder / "cases.json").write_text(json.dumps(groups, ensure_ascii=False, indent=1), encoding="utf-8")
    return groups


def compare_ingest(rev: str, keep: bool) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="chunyun-compare-ingest-"))
    try:
        old = tmp / "rev"
        sha = _export(rev, old, ("forecast",))
        inputs = tmp / "inputs"
        inputs.mkdir()
        groups = write_inputs(inputs)
        outs = {}
        for label, checkout in (("rev", old), ("worktree", ROOT)):
            outs[label] = tmp / f"out-{label}"
            outs[label].mkdir()
            print(f"ingesting {sum(map(len, groups.values()))} cases with {label} ({checkout}) ...", file=sys.stderr)
            _run_child(RUN_CASES, checkout, ROOT / "data", outs[label], tmp / f"var-{label}", str(inputs))
        print(f"revision {rev} = {sha[:12]}; working tree {ROOT}; inputs {inputs}")
        results = _results(outs["rev"], outs["worktree"], list(groups))
    finally:
        if keep:
            print(f"kept {tmp}")
        else:
            _rmtree(tmp)
    return _report(results)


def _results(old: Path, new: Path, groups: list[str]) -> list[tuple[str, bool, str]]:
    """Every case's report (or error) and every group's stored rows and audit trail, compared."""
    reports = [json.loads((out / "reports.json").read_text(encoding="utf-8")) for out in (old, new)]
    results = []
    for case in sorted(set(reports[0]) | set(reports[1])):
        a, b = (json.dumps(r.get(case), ensure_ascii=False, indent=1).encode() for r in reports)
        got = reports[1].get(case) or {}
        what = got.get("summary") or f"{got.get('error')}: {str(got.get('message'))[:60]}"
        results.append((f"report {case}", a == b, what if a == b else _first_difference(a, b)))
    for group in groups:
        for table in ("rows", "loads"):
            a, b = ((out / f"{group}-{table}.csv").read_bytes() for out in (old, new))
            results.append((f"stored {table} {group}", a == b, _first_difference(a, b)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with (default HEAD)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = parser.parse_args(argv)
    return guarded("compare_ingest", compare_ingest, args.rev, args.keep)


if __name__ == "__main__":
    sys.exit(main())
