"""``chunyun prepare``'s station step: make the SAMPLE stations if missing and load them."""

from __future__ import annotations

import logging

from forecast.stations import registry as st_registry
from forecast.stations import sample as station_sample

log = logging.getLogger(__name__)

DEFAULT_REGIONS = {"jiangxi": station_sample.DEFAULT_STATIONS}


def ensure_sample(store) -> None:
    """Generate the station sample of each default region when its series file is missing (as many
    stations as its registry lists, else the default), and load it when the store has none of it."""
    for region, default_n in DEFAULT_REGIONS.items():
        path = station_sample.series_path(region)
        if not path.exists():
            listed = len(st_registry.load(region))
            n = listed or default_n
            log.info("prepare: generating %d SAMPLE stations of %s into %s", n, region, path.parent)
            station_sample.write(n, region=region)
        frame = station_sample.load(region)
        if frame.empty or store.has_series(frame["unique_id"].iloc[0]):
            log.info("prepare: the store already holds the %s station sample", region)
            continue
        result = store.write(frame)
        log.info("prepare: loaded the %s station sample into the store (%d rows)", region, result.inserted)
