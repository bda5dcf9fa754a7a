"""``chunyun prepare``: make a fresh checkout ready to serve (what ``make run`` and ``make test`` call).

Idempotent: builds the sample if its file is missing, loads it into the store if the store has
no sample rows, and trains a run if there is no current one. Each step says what it did on stderr.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def register(sub) -> None:
    parser = sub.add_parser("prepare", help="build the default sample, load it, train a run (each only if missing)")
    parser.add_argument("--force-train", action="store_true", help="train a new run even if one is current")
    parser.set_defaults(func=run)


def run(args) -> int:
    from forecast import runs, sample
    from forecast.errors import NotReady
    from forecast.store import Store

    path = sample.sample_dir() / sample.SAMPLE_FILE
    if not path.exists():
        log.info("prepare: generating the sample history into %s", path.parent)
        sample.write_sample(path.parent)
    store = Store()
    if "sample" not in store.sources():
        result = store.write(sample.load_sample(path))
        log.info("prepare: loaded the sample into the store (%d rows)", result.inserted)
    else:
        log.info("prepare: the store already holds the sample")
    from forecast.stations import prepare as station_prepare

    station_prepare.ensure_sample(store)
    try:
        live = runs.current_run()
        if not args.force_train:
            log.info("prepare: current run %s", live.id)
            return 0
    except NotReady:
        pass
    from forecast.train import train

    run_path = train(store=store)
    log.info("prepare: trained run %s", run_path)
    return 0
