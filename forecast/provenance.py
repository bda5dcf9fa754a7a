"""Where a stored value came from, and the one rule that turns sources into a data kind.

Every stored row has a ``source``:

- ``sample``: the generated sample history (``forecast.sample``);
- ``real:<id>``: a published figure, ``<id>`` naming its row in ``data/reference/days.csv`` or
  ``holidays.csv`` (``forecast.realdays``);
- ``derived:<id>``: a published figure recovered from another one (2024's days from the 2025
  pages' change on the same lunar day), ``<id>`` naming the derived row;
- anything else: the user's own data (a file name, ``api``, ``upload``), counted as real.

A set of rows is ``sample`` when every row is sample, ``real`` when none is (real, derived or
the user's), and ``mixed`` otherwise. An empty set has no kind (``None``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

SAMPLE = "sample"
REAL_PREFIX = "real:"
DERIVED_PREFIX = "derived:"
KINDS = ("real", "mixed", "sample")


def source_kind(source: str) -> str:
    """``sample``, ``real`` (``real:<id>``), ``derived`` (``derived:<id>``), or ``user`` for anything
    else (an ingested file, the API): the user's own data, which every data kind counts as real."""
    text = str(source)
    if text == SAMPLE:
        return "sample"
    if text.startswith(REAL_PREFIX):
        return "real"
    if text.startswith(DERIVED_PREFIX):
        return "derived"
    return "user"


def kind_counts(rows_by_source: dict[str, int]) -> str:
    """Rows per source kind, in the order sample, real, derived, user (``sample 3797; real 11``):
    what a listing can show where the sources themselves (one per published day) are too many."""
    totals: dict[str, int] = {}
    for source, n in rows_by_source.items():
        kind = source_kind(source)
        totals[kind] = totals.get(kind, 0) + int(n)
    return "; ".join(f"{k} {totals[k]}" for k in ("sample", "real", "derived", "user") if k in totals)


def data_kind(sources: Iterable[str]) -> str | None:
    """The data kind of rows with these sources (see the module doc); ``None`` for no rows."""
    found = set(map(str, sources))
    if not found:
        return None
    if SAMPLE not in found:
        return "real"
    return "sample" if found == {SAMPLE} else "mixed"


def combined(kinds: Iterable[str | None]) -> str | None:
    """The kind of several groups of rows from their own kinds: one kind if they agree, else ``mixed``."""
    found = {k for k in kinds if k is not None}
    if not found:
        return None
    return found.pop() if len(found) == 1 else "mixed"


def is_real(sources) -> np.ndarray:
    """Per row: True unless the row comes from the sample."""
    return np.asarray(pd.Series(sources, dtype=object).astype(str) != SAMPLE)


def frame_kind(frame: pd.DataFrame) -> str | None:
    """:func:`data_kind` of a long frame's ``source`` column; a frame without one is the caller's
    own data (``real``)."""
    if len(frame) == 0:
        return None
    if "source" not in frame.columns:
        return "real"
    return data_kind(pd.unique(frame["source"].astype(str)))
