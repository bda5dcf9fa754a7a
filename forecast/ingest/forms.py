"""The form of an input, decided by its header alone (long, wide by metric, wide by series, long
with a station column), and its observations laid out one row each (``_candidates``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.ingest.limits import _CANONICAL, EXPECTED, MAX_COLUMNS, UnreadableFile
from forecast.ingest.parsers import _is_missing, _metric_of, _uid_of
from forecast.ingest.raw import _Raw


@dataclass
class _Form:
    kind: str  # long, wide_metric, wide_series
    date: int
    region: int | None = None
    metric: int | None = None
    value: int | None = None
    uid: int | None = None
    station: int | None = None  # long form: region/metric/station series (a toll station's rows)
    wide: list[int] = field(default_factory=list)  # value columns of a wide form
    wide_targets: dict[int, tuple[str | None, str | None, str]] = field(default_factory=dict)


def _form(header: list[str], file: str) -> _Form:
    """The form of an input, decided by its header alone (see the module docstring)."""
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile(f"{file}: {len(header)} columns, more than the limit of {MAX_COLUMNS}",
                             hint="split the data into several files (or requests) with fewer columns")
    canon: dict[str, int] = {}
    for i, h in enumerate(header):
        name = _CANONICAL.get(h.strip().lower())
        if name:
            if name in canon:
                raise UnreadableFile(f"{file}: two {name} columns ({header[canon[name]]!r} and {h!r})")
            canon[name] = i
    counts = Counter(h.strip() for h in header)  # linear: a wide header must not cost n^2
    dups = {h for h, k in counts.items() if h and k > 1}
    if dups:
        raise UnreadableFile(f"{file}: repeated column names {sorted(dups)}")
    if "date" not in canon:
        raise UnreadableFile(f"{file}: no recognisable header (no date column in {header[:8]})",
                             hint=f"expected {EXPECTED}")
    if "station" in canon and not ("value" in canon and "region" in canon and "metric" in canon):
        raise UnreadableFile(f"{file}: a station column needs region, metric and value columns",
                             hint="date,region,metric,station,value (or date,unique_id,value with region/metric/station)")
    if "value" in canon:
        if "region" in canon and "metric" in canon:
            return _Form("long", canon["date"], region=canon["region"], metric=canon["metric"], value=canon["value"],
                         station=canon.get("station"))
        if "unique_id" in canon:
            return _Form("long", canon["date"], uid=canon["unique_id"], value=canon["value"])
        raise UnreadableFile(f"{file}: a value column needs region and metric columns (or unique_id)",
                             hint=f"expected {EXPECTED}")
    if "metric" in canon or "unique_id" in canon:
        raise UnreadableFile(f"{file}: no value column", hint=f"expected {EXPECTED}")
    kind = "wide_metric" if "region" in canon else "wide_series"
    form = _Form(kind, canon["date"], region=canon.get("region"))
    form.wide = [i for i in range(len(header)) if i not in canon.values()]
    resolve = _metric_of if kind == "wide_metric" else _uid_of
    for i in form.wide:
        name = header[i].strip()
        got, reason, rkind = resolve(name) if name else (None, "missing column name", "unknown_column")
        if reason:
            reason = f"{reason} (column {i + 1}{' ' + repr(name) if name else ''})"
        form.wide_targets[i] = (got, reason, rkind)
    if not any(t[0] for t in form.wide_targets.values()):
        what = "metric" if kind == "wide_metric" else "region/metric series"
        raise UnreadableFile(f"{file}: no recognisable header: no value column, and no column is a known {what}",
                             hint=f"expected {EXPECTED}")
    return form


def _station_uids(region: pd.Series, metric: pd.Series, station: pd.Series) -> np.ndarray:
    """``region/metric/station`` text per row (``region/metric`` where the station cell is empty),
    built once per distinct triple; :func:`_uid_of` then checks each distinct one."""
    def codes_of(col):
        if isinstance(col.dtype, pd.CategoricalDtype):
            return col.cat.codes.to_numpy().astype(np.int64), list(col.cat.categories)
        c, u = pd.factorize(col, use_na_sentinel=True)
        return c.astype(np.int64), list(u)

    (rc, ru), (mc, mu), (sc, su) = codes_of(region), codes_of(metric), codes_of(station)
    key = ((rc + 1) * (len(mu) + 1) + (mc + 1)) * (len(su) + 1) + (sc + 1)
    k_codes, k_uniq = pd.factorize(key)
    names = []
    for k in k_uniq:
        s_i, rest = k % (len(su) + 1) - 1, k // (len(su) + 1)
        m_i, r_i = rest % (len(mu) + 1) - 1, rest // (len(mu) + 1) - 1
        r = str(ru[r_i]).strip() if r_i >= 0 else ""
        m = str(mu[m_i]).strip() if m_i >= 0 else ""
        st = str(su[s_i]).strip() if s_i >= 0 and not _is_missing(su[s_i]) else ""
        names.append(f"{r}/{m}/{st}" if st else (f"{r}/{m}" if r and m else None))
    return np.array(names, dtype=object)[k_codes]


def _candidates(raw: _Raw, form: _Form) -> tuple[dict[str, pd.Series], list[int]]:
    """One row per observation: rec (frame row), col (-1 in long form), date, value, key columns.
    Also the frame rows of a wide form whose value cells are all empty."""
    n = len(raw.frame)
    if form.kind == "long":  # a dict of columns: no need to copy them into a frame
        cand = {"rec": pd.Series(np.arange(n)), "col": pd.Series(np.full(n, -1)),
                "date": raw.frame[form.date], "value": raw.frame[form.value]}
        if form.uid is not None:
            cand["uid"] = raw.frame[form.uid]
        elif form.station is not None:
            cand["uid"] = pd.Series(_station_uids(raw.frame[form.region], raw.frame[form.metric], raw.frame[form.station]))
        else:
            cand["region"] = raw.frame[form.region]
            cand["metric"] = raw.frame[form.metric]
        return cand, []
    parts = []
    any_value = np.zeros(n, dtype=bool)
    for c in form.wide:
        cells = raw.frame[c]
        if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
            present = cells.notna().to_numpy()
        else:  # text: "", "NA", "-" ... mean no observation; decided once per distinct cell
            codes, uniques = pd.factorize(cells, use_na_sentinel=True)
            missing = np.array([_is_missing(u) for u in uniques] + [True], dtype=bool)
            present = ~missing[codes]
        any_value |= present
        idx = np.flatnonzero(present)
        part = pd.DataFrame({"rec": idx, "col": c, "date": raw.frame[form.date].array.take(idx),
                             "value": cells.array.take(idx)})
        if form.region is not None:
            part["region"] = raw.frame[form.region].array.take(idx)
        parts.append(part)
    cand = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["rec", "col", "date", "value"])
    cand = cand.sort_values(["rec", "col"], kind="stable").reset_index(drop=True)
    return {c: cand[c] for c in cand.columns}, np.flatnonzero(~any_value).tolist()
