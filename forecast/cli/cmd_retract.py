"""``chunyun retract LOAD_ID``: take a load back in one transaction (see ``Store.retract``)."""

from __future__ import annotations

from forecast.cli.output import emit

HELP = "take a load back: delete the rows it stored, restore the values it replaced"
DESCRIPTION = ("Undo load LOAD_ID (from `chunyun loads` or an ingest report) in one transaction: the rows it "
               "inserted are deleted and the values it replaced are put back, with their source; a retract row "
               "is added to the audit trail. Refused for the sample, for a load already retracted and for a "
               "load whose rows a later load replaced (retract that one first). Retrain afterwards.")
FORMATS = ("json",)


def arguments(parser) -> None:
    parser.add_argument("load_id", metavar="LOAD_ID", type=int, help="the id of the load to take back")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")


def run(args) -> int:
    from forecast.store import Store

    result = Store().retract(args.load_id, dry_run=args.dry_run)
    emit(result, args.fmt, text=lambda r: (
        f"{'dry run, nothing changed: would retract' if r['dry_run'] else 'retracted'} load {r['load_id']} "
        f"({r['source']}, {r['file']}): {r['deleted']} rows deleted, {r['restored']} rows restored"
        + ("" if r["dry_run"] else f"; audit row {r['retract_id']}; retrain with `chunyun train`")))
    return 0
