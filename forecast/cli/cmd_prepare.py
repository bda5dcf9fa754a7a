"""``chunyun prepare``: make a fresh checkout ready to serve (what ``make run`` and ``make test`` call).

Idempotent: builds the sample if its file is missing, loads the published real days and the sample
where nothing real is (:func:`forecast.defaults.load_defaults`), and trains a run if there is no
current one (or when the load changed the store). Each step says what it did on stderr.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


HELP = "build the default sample, load it, train a run (each only if missing)"
FORMATS: tuple[str, ...] = ()


def arguments(parser) -> None:
    parser.add_argument("--force-train", action="store_true", help="train a new run even if one is current")
    parser.add_argument("--include-uncertain", action="store_true",
                        help="also load published days whose only copy is marked UNCERTAIN (never by default)")


def run(args) -> int:
    from forecast import defaults, runs, sample
    from forecast.errors import NotReady
    from forecast.store import Store

    path = sample.sample_dir() / sample.SAMPLE_FILE
    if not path.exists():
        log.info("prepare: generating the sample history into %s", path.parent)
        sample.write_sample(path.parent)
    store = Store()
    loaded = defaults.load_defaults(store, include_uncertain=args.include_uncertain)
    log.info("prepare: stored %d sample rows and %d real rows (%d sample rows replaced by real ones, %d sample rows "
             "rewritten by a newer sample, %d real rows left out because the store holds another value)",
             loaded.sample, loaded.real, loaded.replaced_sample, loaded.refreshed_sample, loaded.conflicts)
    changed = loaded.sample + loaded.real + loaded.replaced_sample + loaded.refreshed_sample > 0
    from forecast.stations import prepare as station_prepare

    changed = station_prepare.ensure_sample(store) > 0 or changed
    try:
        live = runs.current_run()
        if not args.force_train and not changed:
            log.info("prepare: current run %s", live.id)
            return 0
    except NotReady:
        pass
    from forecast.train import train

    run_path = train(store=store)
    log.info("prepare: trained run %s", run_path)
    return 0
