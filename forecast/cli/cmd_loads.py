"""``chunyun loads``: the audit trail of the store, one line per load and per retraction."""

from __future__ import annotations

from forecast.cli.output import emit

COLUMNS = ["id", "action", "loaded_at", "source", "file", "accepted", "rejected", "unchanged", "replaced", "retracts",
           "retracted_by"]


HELP = "list the loads (ingests that stored rows) and retractions, oldest first"
DESCRIPTION = ("The store's audit trail: every ingest that stored rows (id, time, source, file, rows accepted, "
               "rejected, unchanged and replaced) and every retraction (action retract: accepted = rows deleted, "
               "replaced = rows restored). `chunyun retract ID` takes a load back.")
FORMATS = ("json", "csv")


def run(args) -> int:
    from forecast.store import Store

    frame = Store().loads()
    frame = frame[[c for c in COLUMNS if c in frame.columns]]
    if len(frame):
        frame = frame.assign(loaded_at=frame["loaded_at"].astype(str).str[:19])
    emit(frame, args.fmt, text=lambda f: f.to_string(index=False) if len(f) else
         "no loads yet (`chunyun ingest FILE` stores rows and records a load)")
    return 0
