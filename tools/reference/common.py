"""What both curation tools share: the paths, the calendar (``forecast.calendar``) and CSV writing."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import date
from pathlib import Path

from forecast import calendar, settings

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"  # verbatim copies of the shared raw files
REFERENCE = HERE.parents[1] / "data" / "reference"  # the curated files


# ----------------------------------------------------------------------------------------------
# Calendar: the Chunyun window, the Spring Festival day and the official holiday block come from
# forecast.calendar: published windows (data/reference/calendar.csv, 2010-2026), elsewhere the
# 40-day rule SF-15..SF+24, which reproduces the 2004 dates stated in the 2004 source ("40 days
# ending 2004-02-15"); the holiday block (used only for the published-date rule) from the notices.
# ----------------------------------------------------------------------------------------------
def window(season: int) -> tuple[date, date]:
    """First and last day of the season's Chunyun."""
    s = calendar.season(season)
    return s.chunyun_start, s.chunyun_end


def chunyun_windows() -> dict[int, tuple[date, date]]:
    """First and last day of Chunyun of every season forecast.calendar knows."""
    return {year: window(year) for year in range(calendar.FIRST_SEASON, calendar.LAST_SEASON + 1)}


def require_repository_calendar() -> None:
    """forecast.calendar takes the published windows from the data directory's calendar.csv; the
    curated files are made with the repository's, so another data directory must hold the same file."""
    used = Path(settings.load()["data_dir"]) / "reference" / "calendar.csv"
    ours = REFERENCE / "calendar.csv"
    if not used.is_file() or used.read_bytes() != ours.read_bytes():
        raise RuntimeError(f"forecast.calendar reads {used}, not {ours}: unset CHUNYUN_DATA_DIR to curate")


# ----------------------------------------------------------------------------------------------
# Command line and CSV
# ----------------------------------------------------------------------------------------------
def parser(doc: str) -> argparse.ArgumentParser:
    """A tool's argument parser: its docstring's first line, and ``--check``."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="print warnings and checks, write nothing")
    return ap


def report(msgs: list[str]) -> None:
    """The warnings and checks, on stderr."""
    for m in msgs:
        print(m, file=sys.stderr)


def read_raw(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def to_csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def csv_text(columns: list[str], rows: list[dict]) -> str:
    """The rows as CSV text, ``\\n`` line ends (what the curated files hold)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([to_csv_value(r.get(c)) for c in columns])
    return buf.getvalue()


def write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
