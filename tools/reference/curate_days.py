"""Curate the national daily figures into ``days.csv``, ``holidays.csv`` and ``provinces.csv``.

Like ``curate.py`` this tool *is* the documentation of the curation: every mapping, status
decision and date rule is in it (``days_rows``, ``days_copies``, ``days_checks``, ``provinces``),
next to its reason. Re-run it after a raw file changes:

    .venv/bin/python -m tools.reference.curate_days [--raw tools/reference/raw] [--check]

Inputs (read only, verbatim copies of the shared raw files): ``raw/daily_national_seasons.csv``
(the Ministry of Transport's daily Chunyun figures, 2024 and 2025 seasons), ``raw/holidays_national.csv``
(national daily figures of the other holidays) and ``raw/provinces.csv``; the Chunyun windows
come from ``forecast.calendar``. Outputs, in ``data/reference/``: ``days.csv``,
``holidays.csv``, ``provinces.csv``. The rules are summarised in ``data/reference/README.md``
("Daily figures").
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import common
from .days_checks import additivity, consistency, sum_checks
from .days_copies import add_reasons, check_derived, derive, resolve_copies
from .days_rows import DAY_COLUMNS, HOLIDAY_COLUMNS, KIND_ORDER, REGISTRY, parse_row, season_day_of
from .provinces import PROVINCE_COLUMNS, build_provinces

RAW = common.RAW  # verbatim copies of the shared raw files

__all__ = ["REGISTRY", "build", "main", "render"]  # REGISTRY: a test compares it with forecast.registry


def build_days(raw_dir: Path, cal, warnings: list[str]) -> list[dict]:
    rows = [parse_row(raw, cal, warnings, holiday=False) for raw in common.read_raw(raw_dir / "daily_national_seasons.csv")]
    resolve_copies(rows, "d")
    add_reasons(rows)
    derived = derive(rows, cal, warnings)
    check_derived(rows, derived, warnings)
    rows += derived
    rows.sort(key=lambda r: (r["season"], r["ds"], r["measure"] != "daily", r["metric"], KIND_ORDER[r["kind"]], r["n"]))
    return rows


def build_holidays(raw_dir: Path, cal, warnings: list[str]) -> list[dict]:
    rows = [parse_row(raw, cal, warnings, holiday=True) for raw in common.read_raw(raw_dir / "holidays_national.csv")]
    resolve_copies(rows, "h")
    rows.sort(key=lambda r: (r["ds"], r["holiday"], r["measure"] != "daily", r["metric"], r["measure"],
                             KIND_ORDER[r["kind"]], r["n"]))
    return rows


def build(raw_dir: Path = RAW) -> tuple[dict[str, list[dict]], list[str]]:
    common.require_repository_calendar()
    cal = common.chunyun_windows()
    warnings: list[str] = []
    days = build_days(raw_dir, cal, warnings)
    holidays = build_holidays(raw_dir, cal, warnings)
    for r in holidays:
        if r["season"] in cal and r["measure"] == "daily" and season_day_of(r["ds"], r["season"], cal):
            warnings.append(f"holiday row {r['id']} falls inside Chunyun {r['season']}")
    for rows in (days, holidays):
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            raise AssertionError(f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    msgs = warnings + consistency(days) + sum_checks(days) + additivity(holidays, "holidays")
    return {"days.csv": days, "holidays.csv": holidays, "provinces.csv": build_provinces(raw_dir)}, msgs


def render(raw_dir: Path = RAW) -> tuple[dict[str, str], list[str]]:
    """The three CSV files as text (what ``main`` writes), and the check messages."""
    tables, msgs = build(raw_dir)
    columns = {"days.csv": DAY_COLUMNS, "holidays.csv": HOLIDAY_COLUMNS, "provinces.csv": PROVINCE_COLUMNS}
    return {name: common.csv_text(columns[name], rows) for name, rows in tables.items()}, msgs


def main(argv=None) -> int:
    ap = common.parser(__doc__)
    ap.add_argument("--raw", type=Path, default=RAW, help="directory of the raw daily files")
    ap.add_argument("--out-dir", type=Path, default=common.REFERENCE)
    args = ap.parse_args(argv)
    files, msgs = render(args.raw)
    common.report(msgs)
    if args.check:
        return 0
    for name, text in files.items():
        common.write_text(args.out_dir / name, text)
        print(f"wrote {text.count(chr(10)) - 1} rows to {args.out_dir / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
