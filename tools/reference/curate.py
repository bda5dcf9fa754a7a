"""Curate the hand-copied published figures into ``data/reference/figures.csv``.

This tool *documents* the curation: every mapping (``figures_vocab``, ``figures_rows``) and every
published date rule (``figures_sources``) is in code, next to the reason for it; the row-by-row
status decisions, each with its reason, are data in ``decisions.csv``, applied by
``figures_decide``. Re-run it after the raw files change:

    .venv/bin/python -m tools.reference.curate [--src tools/reference/raw] [--check]

Inputs (read only, verbatim copies of the shared raw files in ``raw/``): ``figures.csv`` (one
published number a row, free-form metric names), ``daily_national.csv`` (the national daily rows
again, in long form; used as a cross-check and for any dated daily figure missing from
``figures.csv``); the Chunyun windows and holiday blocks from ``forecast.calendar``.
Output: ``data/reference/figures.csv``, in the frame contract of docs/ARCHITECTURE.md
("Reference frame") plus ``original_metric, original_value, original_unit``.

The vocabulary and the reasoning are described in ``data/reference/README.md``.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path

from .common import (
    RAW,
    REFERENCE,
    csv_text,
    parser,
    read_raw,
    report,
    require_repository_calendar,
    write_text,
)
from .figures_decide import checks, cross_check_daily, decide, merge_peaks, read_decisions
from .figures_rows import map_row
from .figures_sources import outlet_of, published_of
from .figures_vocab import COLUMNS, basis_of

DEFAULT_SRC = RAW


def build(src: Path = DEFAULT_SRC) -> tuple[list[dict], list[str]]:
    """The curated rows, sorted, and the warnings and checks to print."""
    require_repository_calendar()
    raw_rows = read_raw(src / "figures.csv")
    raw_titles = {r["source_url"]: r["source_title"] for r in raw_rows if r["source_url"]}
    rows = []
    for raw in raw_rows:
        rows.extend(map_row(raw))
    rows = merge_peaks(rows)
    rows.extend(cross_check_daily(src, rows, raw_titles))
    warnings: list[str] = []
    for r in rows:
        r["basis"] = basis_of(r["metric"], r["season"]) if r["unit"] != "date" else ""
        if r["original_metric"] == "air_total_caac":
            r["basis"] = "caac"
        if r["original_metric"] == "selfdrive_share_crosscity":
            r["basis"] = "gaode_crosscity"
        r["source_outlet"] = outlet_of(r["source_title"], r["source_url"])
        r["published"] = published_of(r, warnings)
    decide(rows, read_decisions())
    for r in rows:
        extra = "; ".join(r.pop("curation"))
        if extra:
            r["note"] = f"{extra} | {r['note']}" if r["note"] else extra
    rows.sort(key=lambda r: (r["season"], r["region"], r["metric"], r["measure"], r["ds"] or date.min,
                             r["kind"], r["published"], r["source_url"]))
    return rows, warnings + checks(rows)


def main(argv=None) -> int:
    ap = parser(__doc__)
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="directory of the raw reference files")
    ap.add_argument("--out", type=Path, default=REFERENCE / "figures.csv")
    args = ap.parse_args(argv)
    rows, msgs = build(args.src)
    report(msgs)
    if args.check:
        return 0
    write_text(args.out, csv_text(COLUMNS, rows))
    counts = Counter(r["status"] for r in rows)
    print(f"wrote {len(rows)} rows to {args.out}: {dict(counts)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
