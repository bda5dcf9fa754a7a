"""``chunyun series``: the series in the store, with their unit, span, row count and sources."""

from __future__ import annotations

from forecast.cli.output import add_format_flags, emit, text_table


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "series",
        help="list the stored series (unit, first and last day, rows, sources)",
        description="List every series in the store: unique_id, unit, first_ds, last_ds, rows and sources "
                    "(';'-separated).",
    )
    add_format_flags(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from forecast.store import Store

    frame = Store().series()
    emit(frame, args.fmt, text=_text)
    return 0


def _text(frame) -> str:
    return text_table(frame, "no stored series (load some with `chunyun ingest FILE` or `chunyun prepare`)",
                      dates=("first_ds", "last_ds"), unit=lambda u: u.fillna("?"))
