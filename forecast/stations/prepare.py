"""``chunyun prepare``'s station step: make the SAMPLE stations if missing and load them."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from forecast import defaults, provenance
from forecast.stations import registry as st_registry
from forecast.stations import sample as station_sample

log = logging.getLogger(__name__)

DEFAULT_REGIONS = {"jiangxi": station_sample.DEFAULT_STATIONS}


def ensure_sample(store) -> int:
    """Generate the station sample of each default region when its series file is missing or no
    longer splits the province's sample (the sample changed with the code), and bring the store's
    station rows to it: afterwards the region's stored sample station rows are exactly the file's.
    Returns how many station rows were written, rewritten or deleted."""
    written = 0
    for region, default_n in DEFAULT_REGIONS.items():
        path = station_sample.series_path(region)
        frame = station_sample.load(region) if path.exists() else None
        if frame is None or not splits_province(region, frame):
            n = len(st_registry.load(region)) or default_n
            log.info("prepare: generating %d SAMPLE stations of %s into %s", n, region, path.parent)
            station_sample.write(n, region=region)
            frame = station_sample.load(region)
        stored = store.read(stored_station_uids(store, region), sources=[provenance.SAMPLE])
        deleted = delete_stale_sample(store, stored, frame)
        written += deleted
        if frame.empty:
            continue
        if not store.has_series(frame["unique_id"].iloc[0]):
            result = store.write(frame)
            log.info("prepare: loaded the %s station sample into the store (%d rows, %d stale sample rows deleted)",
                     region, result.inserted, deleted)
            written += result.inserted
            continue
        rewritten, added = defaults.refresh_sample(store, frame, stored=stored)
        log.info("prepare: the store holds the %s station sample (%d rows rewritten, %d added, %d stale sample rows deleted)",
                 region, rewritten, added, deleted)
        written += rewritten + added
    return written


def delete_stale_sample(store, stored: pd.DataFrame, frame: pd.DataFrame) -> int:
    """Delete the stored sample station rows (``stored``) at keys ``frame`` does not have (days now
    held back, stations no longer generated); real and user rows stay. Returns how many."""
    stale = stored[~defaults.keys_of(stored).isin(defaults.keys_of(frame))]
    if stale.empty:
        return 0
    return store.delete_rows(stale, provenance.SAMPLE)


def stored_station_uids(store, region: str) -> list[str]:
    return [uid for uid in store.unique_ids() if st_registry.is_station_uid(uid) and uid.startswith(f"{region}/")]


def splits_province(region: str, frame: pd.DataFrame) -> bool:
    """Whether the stations plus their held-back days add up to the province's sample on every day."""
    gaps = pd.read_parquet(station_sample.gaps_path(region), columns=["ds", "y"])
    days = pd.concat([frame[["ds", "y"]], gaps], ignore_index=True)
    split = days.groupby(pd.to_datetime(days["ds"]))["y"].sum()
    province = station_sample.province_history(region)
    expected = pd.Series(province["y"].to_numpy(dtype=float), index=pd.to_datetime(province["ds"]))
    return bool(np.array_equal(split.reindex(expected.index, fill_value=0.0).to_numpy(dtype=float),
                               expected.to_numpy()))
