"""The embedded default data: the published real days, and the sample only where nothing real is.

``chunyun prepare`` loads both through :func:`load_defaults`. Real wins: for a series and a day
with a published value (:func:`forecast.realdays.real_observations`: the ministry's completed
daily figures of 2024 and 2025 and the holiday days, each row's ``source`` naming its reference
figure) the sample stores nothing. A store that already holds the sample at such a key has that
row replaced by the real one (deleted, then the real row written); a row of the user's own is
never overwritten (it is reported as a conflict instead). A store holding an older sample (the
committed sample changed with the code) gets the new sample's values where they differ, on the
sample's own rows only (:func:`refresh_sample`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from forecast import provenance, realdays, sample
from forecast.store import Store

log = logging.getLogger(__name__)


@dataclass
class Loaded:
    """What :func:`load_defaults` stored: rows written per kind, and real rows left as conflicts."""

    sample: int = 0
    real: int = 0
    replaced_sample: int = 0
    conflicts: int = 0
    refreshed_sample: int = 0  # sample rows whose stored value an older sample had written


def keys_of(frame: pd.DataFrame) -> pd.MultiIndex:
    """The (unique_id, ds) key of each row."""
    return pd.MultiIndex.from_arrays([frame["unique_id"].astype(str), pd.to_datetime(frame["ds"])])


def real_wins(sample_rows: pd.DataFrame, real_rows: pd.DataFrame) -> pd.DataFrame:
    """The sample rows whose series and day have no real row."""
    if real_rows.empty:
        return sample_rows
    return sample_rows[~keys_of(sample_rows).isin(keys_of(real_rows))].reset_index(drop=True)


def load_defaults(store: Store, include_uncertain: bool = False) -> Loaded:
    """Load the real days and the sample (where nothing real is) into ``store``; idempotent."""
    real = realdays.real_observations(include_uncertain=include_uncertain)
    out = Loaded()
    rows = real_wins(sample.load_sample(sample.sample_dir() / sample.SAMPLE_FILE), real)
    if provenance.SAMPLE not in store.sources():
        out.sample = store.write(rows).inserted
    else:
        out.refreshed_sample, out.sample = refresh_sample(store, rows)
    if real.empty:
        return out
    stored = store.read(sorted(real["unique_id"].unique()), sources=[provenance.SAMPLE])
    over_sample = keys_of(real).isin(keys_of(stored))
    if over_sample.any():  # the sample may equal a pinned real day: relabel it too, not only changed values
        out.replaced_sample = store.delete_rows(real[over_sample], provenance.SAMPLE)
    result = store.write(real)
    out.real, out.conflicts = result.inserted, len(result.conflicts)
    return out


def refresh_sample(store: Store, rows: pd.DataFrame, stored: pd.DataFrame | None = None) -> tuple[int, int]:
    """Bring the store's sample rows to ``rows`` (the committed sample, real days taken out).

    A sample row whose value differs is rewritten; a key with no row at all gets the sample row;
    a key holding a real or user row is left alone (the write reports it as a conflict). Returns
    (rows rewritten, rows added). ``stored``: the store's sample rows of those series, when the
    caller has read them already."""
    if stored is None:
        stored = store.read(sorted(rows["unique_id"].unique()), sources=[provenance.SAMPLE])
    old = pd.Series(stored["y"].to_numpy(dtype=float), index=keys_of(stored))
    keys = keys_of(rows)
    held = keys.isin(old.index)
    differs = held.copy()
    differs[held] = old.reindex(keys[held]).to_numpy() != rows["y"].to_numpy(dtype=float)[held]
    changed = rows[differs]
    if len(changed):
        store.delete_rows(changed, provenance.SAMPLE)
        store.write(changed)
    added = store.write(rows[~held]).inserted if (~held).any() else 0
    if len(changed) or added:
        log.info("sample refreshed: %d stored sample rows rewritten, %d added", len(changed), added)
    return len(changed), added
