"""Byte-equality before and after a refactor, for what ``compare_outputs.py`` does not cover: the
store after a fixed sequence of writes and retractions, and the API's ``/openapi.json``.

    # the store: the same loads, conflicts, replacements, retractions and deletions, on SQLite
    .venv/bin/python bench/compare_refactor.py store --rev main
    # ... and on PostgreSQL (the tables of that database are dropped and recreated, twice)
    .venv/bin/python bench/compare_refactor.py store --rev main --url postgresql+psycopg://postgres@127.0.0.1:5432/test

    # the OpenAPI document served at /openapi.json
    .venv/bin/python bench/compare_refactor.py openapi --rev main

    # peak alerts over the current run of this tree's var/ (`chunyun prepare` makes one)
    .venv/bin/python bench/compare_refactor.py alerts --rev main

As in ``compare_outputs.py``, the code of ``--rev`` (default ``HEAD``) is taken with ``git archive``
into a temporary folder, and each checkout runs in its own Python process with ``PYTHONPATH`` set
to it (the child reports which ``forecast`` it imported).

``store``: a fresh store gets 120,000 rows in one audited load (three ``WRITE_CHUNK`` chunks), a
load with conflicts (not written), a dry run, a load that replaces values, a CSV through
``forecast.ingest``, rows without an audit (the sample), retractions (one done, several refused),
``delete_rows`` and ``delete_source``. Every result, every refusal (class and message), every read
(``read``, ``series``, ``loads``, ``series_stats``, ``sources``, ``data_kind``, ``fingerprint``,
``count``) and the three tables in full are written to one JSON file; load times are replaced by
their rank, the only part that differs from one run to the next. The two files are compared byte
for byte.

``openapi``: ``api.create_app()`` of each checkout serves ``/openapi.json``; the bytes are compared.

``alerts``: both checkouts read the current run of ``--var-dir`` (default this tree's ``var/``):
``chunyun alerts`` with ``--json`` and ``--csv``, by region, level and window, then
``compute_alerts`` over every forecast day of the run in 400-day windows; all of it into one file.

Exit status 0 when everything is identical, 1 on a difference, 2 when the comparison could not be made.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from compare_outputs import ROOT, _export, _first_difference, _report, _rmtree, _run_child, guarded

STORE_SEQUENCE = r"""
import io, json, sys
from pathlib import Path
import numpy as np
import pandas as pd
import sqlalchemy as sa
import forecast
from forecast.errors import ChunyunError
from forecast.ingest import ingest_bytes
from forecast.store import Store, load_rows, loads, metadata, observations

out = Path(sys.argv[1])
url = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else f"sqlite:///{out / 'store.db'}"
store = Store(url, create=False)
metadata.drop_all(store.engine)
store.create()
log = []

def step(name, fn):
    try:
        value = raw = fn()
    except ChunyunError as err:
        value = raw = {"refused": type(err).__name__, "message": str(err)}
    if hasattr(value, "conflicts"):
        value = {"inserted": value.inserted, "unchanged": value.unchanged, "replaced": value.replaced,
                 "load_id": value.load_id, "dry_run": value.dry_run, "conflicts": value.conflicts.to_csv()}
    elif hasattr(value, "accepted") and hasattr(value, "to_dict"):
        value = value.to_dict()
    elif isinstance(value, pd.DataFrame):
        value = value.to_csv()
    log.append([name, value])
    return raw

def dump(label):
    with store.engine.connect() as conn:
        for table in (observations, loads, load_rows):
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings().all()
            stamps = sorted({str(r["loaded_at"]) for r in rows})
            log.append([f"{label}: {table.name}", [{**{k: str(v) for k, v in r.items()},
                                                     "loaded_at": stamps.index(str(r["loaded_at"]))} for r in rows]])

rng = np.random.default_rng(7)
days = pd.date_range("2015-01-01", periods=3000, freq="D")
base = pd.DataFrame({"unique_id": np.repeat([f"zz/s{i:02d}" for i in range(40)], len(days)),
                     "ds": np.tile(days, 40), "y": rng.integers(1, 10**7, 40 * len(days)).astype(float),
                     "source": "base.csv"})
audit = lambda name: {"source": name, "file": name, "sha256": "0" * 64, "rejected": 1}
base_id = step("load base", lambda: store.write(base, audit=audit("base.csv")))
changed = base.iloc[::997].assign(y=lambda f: f["y"] + 1, source="fix.csv")
step("conflicts, not written", lambda: store.write(pd.concat([changed, base.iloc[1:50]]), audit=audit("fix.csv")))
step("dry run of a replace", lambda: store.write(changed, replace=True, dry_run=True, audit=audit("fix.csv")))
replaced = step("replace", lambda: store.write(changed, replace=True, audit=audit("fix.csv"))).load_id
more = changed.assign(ds=lambda f: f["ds"] + pd.Timedelta(days=4000), source="more.csv")
more_id = step("load more", lambda: store.write(pd.concat([more, changed.iloc[:5].assign(y=-0.0)]), replace=True,
                                      audit=audit("more.csv"))).load_id
dump("tables after the loads")
csv = "date,region,metric,value\n" + "".join(f"2024-01-{d:02d},jiangxi,rail_passengers,{5000 + d}\n" for d in range(1, 29))
step("ingest csv", lambda: ingest_bytes(csv.encode(), store=store, source="upload", name="j.csv"))
sample = pd.DataFrame({"unique_id": "jiangxi/road_passengers", "ds": days[:30], "y": 7.0, "source": "sample"})
step("sample, no audit", lambda: store.write(sample))
base_id = base_id.load_id
step("retract the base (replaced since)", lambda: store.retract(base_id))
step("retract the replace (replaced since)", lambda: store.retract(replaced))
undo_more = step("retract more", lambda: store.retract(more_id))["retract_id"]
step("retract the replace, dry run", lambda: store.retract(replaced, dry_run=True))
step("retract the replace", lambda: store.retract(replaced))
sample_load = step("sample with an audit",
                   lambda: store.write(sample.iloc[:10].assign(ds=days[40:50]), audit={"source": "sample"})).load_id
for lid in (replaced, 999, "x", sample_load):
    step(f"retract {lid!r}", lambda lid=lid: store.retract(lid))
step("retract a retraction", lambda: store.retract(undo_more))
step("delete_rows", lambda: store.delete_rows(base.iloc[:10], "base.csv"))
step("delete_source", lambda: store.delete_source("sample"))
step("read", lambda: store.read())
step("read some", lambda: store.read(["zz/s03", "jiangxi/rail_passengers"], start="2016-02-01", end="2016-03-01",
                                     sources="base.csv"))
step("read bad date", lambda: store.read(start="not a day"))
step("series", lambda: store.series())
step("loads", lambda: store.loads().drop(columns="loaded_at"))
step("series_stats", lambda: {k: list(v) for k, v in store.series_stats(["zz/s01", "nope", "zz/s39"]).items()})
step("sources", lambda: store.sources())
step("data_kind", lambda: [store.data_kind(), store.data_kind("jiangxi/road_passengers")])
step("fingerprint", lambda: [store.fingerprint(), store.fingerprint("zz/s05", end="2016-01-01")])
step("count, unique_ids, has_series", lambda: [store.count(), store.unique_ids()[:3], store.has_series("zz/s00")])
step("require_series", lambda: store.require_series("nope/nope"))
step("bad frame", lambda: store.write(base.drop(columns="source")))
dump("tables")
step("retract the base", lambda: store.retract(base_id))
step("count after", lambda: store.count())
(out / "store.json").write_text(json.dumps(log, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
metadata.drop_all(store.engine)
print(Path(forecast.__file__).resolve().parent)
"""

RUN_ALERTS = r"""
import contextlib, io, json, sys
from pathlib import Path
import pandas as pd
import forecast
from forecast import alerts, cli, runs

out = Path(sys.argv[1])
log = []
for argv in (["--json"], ["--csv"], ["--json", "--region", "jiangxi", "--min-level", "yellow"],
             ["--json", "--from", "2025-01-01", "--days", "400"], ["--csv", "--from", "2024-01-10", "--days", "60",
             "--region", "national"], ["--json", "--min-level", "red", "--fail-on", "orange"]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = cli.main(["alerts", *argv])
    log.append({"argv": argv, "exit": code, "stdout": buf.getvalue()})
run = runs.current_run()
ds = pd.to_datetime(run.forecasts["ds"])
start = ds.min()
while start <= ds.max():
    frame = alerts.compute_alerts(run.forecasts, start, 400)
    log.append({"start": str(start.date()), "alerts": frame.to_csv(index=False)})
    start += pd.Timedelta(days=400)
fc = run.forecasts
gaps = fc[pd.RangeIndex(len(fc)) % 7 != 0]  # no jump across a missing day
unknown = fc[fc["unique_id"] == fc["unique_id"].iloc[0]].assign(unique_id="nowhere/none")
one_level = gaps[["unique_id", "ds", "yhat"]].assign(yhat_lower=gaps["yhat"] * 0.9, yhat_upper=gaps["yhat"] * 1.1)
rules = alerts.Thresholds.from_dict({"defaults": {"absolute": {"yellow": 1e6, "red": 5e6}, "relative": {
    "top": {"level": "orange", "n": 5}, "jump": {"level": "red", "pct": 10}}}})
for name, frame in (("gaps", pd.concat([gaps, unknown])), ("one level", one_level)):
    for kw in ({}, {"region": "jiangxi", "min_level": "orange"}, {"region": "national", "min_level": "red"}):
        got = alerts.compute_alerts(frame, "2024-12-01", 400, thresholds=rules, **kw)
        log.append({"frame": name, **kw, "alerts": got.to_csv(index=False)})
(out / "alerts.json").write_text(json.dumps(log, indent=1, ensure_ascii=False), encoding="utf-8")
print(Path(forecast.__file__).resolve().parent)
"""

DUMP_OPENAPI = r"""
import sys
from pathlib import Path
import forecast
from api import create_app

app = create_app()
response = app.test_client().get("/openapi.json")
assert response.status_code == 200, response.status_code
(Path(sys.argv[1]) / "openapi.json").write_bytes(response.data)
print(Path(forecast.__file__).resolve().parent)
"""


def compare(rev: str, code: str, name: str, var_dir: Path | None, *args: str) -> int:
    """Run ``code`` with ``rev`` and with the working tree (``var_dir``: their var/, default a
    temporary one each); compare the file ``name`` each writes."""
    tmp = Path(tempfile.mkdtemp(prefix="chunyun-compare-"))
    try:
        old = tmp / "rev"
        sha = _export(rev, old, ("forecast", "api"))
        outs = {}
        for label, checkout in (("rev", old), ("worktree", ROOT)):
            out = tmp / f"out-{label}"
            out.mkdir()
            print(f"running with {label} ({checkout}) ...", file=sys.stderr)
            _run_child(code, checkout, ROOT / "data", out, var_dir or tmp / f"var-{label}", *args)
            outs[label] = out / name
        print(f"revision {rev} = {sha[:12]}; working tree {ROOT}")
        a, b = outs["rev"].read_bytes(), outs["worktree"].read_bytes()
        return _report([(name, a == b, _first_difference(a, b))])
    finally:
        _rmtree(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("store", help="the same writes and retractions with REV and the working tree; compare")
    s.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with (default HEAD)")
    s.add_argument("--url", default="", help="database URL (its tables are dropped!); default a fresh SQLite file")
    o = sub.add_parser("openapi", help="/openapi.json from REV and from the working tree; compare")
    o.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with (default HEAD)")
    a = sub.add_parser("alerts", help="alerts over the current run with REV and the working tree; compare")
    a.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with (default HEAD)")
    a.add_argument("--var-dir", type=Path, default=ROOT / "var", help="holds the run (default: this tree's var/)")
    args = parser.parse_args(argv)
    code, name = {"store": (STORE_SEQUENCE, "store.json"), "openapi": (DUMP_OPENAPI, "openapi.json"),
                  "alerts": (RUN_ALERTS, "alerts.json")}[args.what]
    return guarded("compare_refactor", compare, args.rev, code, name, getattr(args, "var_dir", None),
                   *([args.url] if args.what == "store" else []))


if __name__ == "__main__":
    sys.exit(main())
