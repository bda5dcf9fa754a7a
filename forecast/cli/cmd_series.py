"""``chunyun series``: the series in the store, with their unit, span, row count and sources."""

from __future__ import annotations

from forecast.cli.output import emit, text_table

HELP = "list the stored series (unit, first and last day, rows, sources)"
DESCRIPTION = ("List every series in the store: unique_id, unit, first_ds, last_ds, rows, and the rows of each "
               "source kind (sample, real, derived, user); --json and --csv also give the sources themselves "
               "(';'-separated).")
FORMATS = ("json", "csv")


def run(args) -> int:
    from forecast.store import Store

    frame = Store().series()
    emit(frame, args.fmt, text=_text)
    return 0


def _text(frame) -> str:
    return text_table(frame.drop(columns="sources"),
                      "no stored series (load some with `chunyun ingest FILE` or `chunyun prepare`)",
                      dates=("first_ds", "last_ds"), unit=lambda u: u.fillna("?"))
