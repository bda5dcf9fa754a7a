"""``chunyun prepare``: make a fresh checkout ready to serve (what ``make run`` and ``make test`` call).

Idempotent: builds the sample if its file is missing and loads it into the store if the store has
no sample rows. Each step says what it did on stderr. (Training a run joins this step when the
forecast engine lands.)
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def register(sub) -> None:
    parser = sub.add_parser("prepare", help="build the default sample and load it into the store (each only if missing)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from forecast import sample
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
    return 0
