"""Live forecasts from the store's data, without a trained run: what ``chunyun alerts --cutoff`` shows.

Every stored series (of a region) is forecast from the data up to the cutoff over the days asked
for, with the engine's nowcast (``as_of`` = the cutoff) inside a running season; a range longer
than the engine answers at once (:data:`forecast.limits.MAX_FORECAST_DAYS`) is asked in chunks.
"""

from __future__ import annotations

import logging

import pandas as pd

from forecast import engine, registry
from forecast.errors import ChunyunError, NotFound

log = logging.getLogger(__name__)


def forecasts(store, cutoff: pd.Timestamp, lo: pd.Timestamp, hi: pd.Timestamp, region: str | None = None
              ) -> tuple[pd.DataFrame, str | None]:
    """``(frame, data_kind)``: every level's forecast rows of each series of ``region`` (None: all)
    from ``lo`` to ``hi``, fitted on the store's data up to ``cutoff``."""
    uids = [u for u in store.unique_ids() if (region is None or u.startswith(f"{region}/")) and _known(u)]
    if not uids:
        raise NotFound(f"no stored series{' for region ' + region if region else ''}",
                       hint="`chunyun series` lists the stored series; `chunyun prepare` loads the sample")
    history = store.read(uids, end=cutoff)
    frames = []
    for uid in uids:
        log.info("alerts: forecasting %s from data up to %s", uid, cutoff.date())
        chunk = lo
        while chunk <= hi:
            last = min(hi, chunk + pd.Timedelta(days=engine.MAX_RANGE_DAYS - 1))
            frames.append(engine.forecast_series(history, uid, start=chunk, end=last, cutoff=cutoff, as_of=cutoff,
                                                 all_levels=True))
            chunk = last + pd.Timedelta(days=1)
    return pd.concat(frames, ignore_index=True), engine.data_kind_of(history)


def _known(uid: str) -> bool:
    """A province series the registry knows (stored rows of a region or metric no longer listed are left out)."""
    try:
        registry.parse_uid(uid)
    except ChunyunError:
        return False
    return True
