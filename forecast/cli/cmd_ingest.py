"""``chunyun ingest FILE``: validate a CSV or Parquet file and store its rows in one transaction.

Every rejected row is printed on stderr as ``FILE:LINE: reason``; the last line is
``... accepted N, rejected M``. Exit status: 0 when nothing was rejected, 1 when rows were
rejected (the others are stored), 2 when the file itself cannot be read (nothing is stored).
The accepted formats are described in ``forecast/ingest/__init__.py``.
"""

from __future__ import annotations

import sys

from forecast.cli.output import emit

HELP = "store observations from a CSV or Parquet file, reporting every rejected row"
DESCRIPTION = ("Validate FILE (CSV UTF-8 or Parquet; long form date,region,metric,value or 日期,地区,指标,数值, "
               "or wide form) and store its rows in one transaction. Values are base units "
               "(persons, vehicles), never 万. Exit 0: all stored; 1: some rows rejected; 2: unreadable file.")
FORMATS: tuple[str, ...] = ()


def arguments(parser) -> None:
    parser.add_argument("file", metavar="FILE", help="CSV or Parquet file")
    parser.add_argument("--source", metavar="NAME", help="source label stored with the rows (default: the file name)")
    parser.add_argument("--dry-run", action="store_true", help="validate and compare with the store, store nothing")
    parser.add_argument("--replace", action="store_true",
                        help="overwrite stored values that differ (otherwise they are reported as conflicts)")
    parser.add_argument("--json", dest="fmt", action="store_const", const="json",
                        help="print the report as JSON on stdout")
    parser.set_defaults(fmt="text")


def run(args) -> int:
    from forecast.ingest import ingest
    from forecast.store import Store

    report = ingest(args.file, Store(), source=args.source, dry_run=args.dry_run, replace=args.replace)
    if args.fmt == "json":
        emit(report.to_dict(), "json")
    else:
        for problem in report.problems:
            print(f"{args.file}:{problem.line}: {problem.reason}", file=sys.stderr)
        print(report.summary(), file=sys.stderr)
    return report.exit_code
