"""The reading side of the store: rows, series, sources, the data kind and fingerprint, the audit
trail; see :mod:`forecast.store`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast import provenance, registry
from forecast.errors import NotFound
from forecast.store.dialects import ds_text
from forecast.store.rows import _as_date, _as_list, _columns, _fetch, _key
from forecast.store.schema import loads, observations

_FINGERPRINT_VERSION = b"chunyun-observations-v1\n"


class Reader:
    """The reading half of :class:`forecast.store.Store`."""

    engine: sa.Engine
    dialect: str

    def _filtered(self, stmt, unique_ids=None, start=None, end=None, sources=None):
        ids, srcs = _as_list(unique_ids), _as_list(sources)
        start_d, end_d = _as_date(start, "start"), _as_date(end, "end")
        if ids is not None:
            stmt = stmt.where(observations.c.unique_id.in_(ids))
        if srcs is not None:
            stmt = stmt.where(observations.c.source.in_(srcs))
        if start_d is not None:
            stmt = stmt.where(observations.c.ds >= start_d)
        if end_d is not None:
            stmt = stmt.where(observations.c.ds <= end_d)
        return stmt

    def read(self, unique_ids: Iterable[str] | str | None = None, start=None, end=None,
             sources: Iterable[str] | str | None = None) -> pd.DataFrame:
        """Stored rows ``unique_id, ds, y, source`` sorted by series and day; ``ds`` is datetime64.

        ``start``/``end`` are inclusive days; ``None`` means no bound.
        """
        stmt = self._filtered(
            sa.select(observations.c.unique_id, ds_text(self.dialect, observations.c.ds).label("ds"),
                      observations.c.y, observations.c.source)
            .order_by(observations.c.unique_id, observations.c.ds),
            unique_ids, start, end, sources)
        with self.engine.connect() as conn:
            rows = _fetch(conn, stmt)
        cols = _columns(rows, 4)
        frame = pd.DataFrame({
            "unique_id": cols[0],
            "ds": pd.to_datetime(pd.Series(cols[1], dtype=object), format="%Y-%m-%d"),
            "y": cols[2].astype("float64"),
            "source": cols[3],
        }, copy=False)
        # the database's collation may differ (PostgreSQL locales); code-point order is the contract
        uid = pd.Categorical(frame["unique_id"])
        key = _key(uid.codes, frame["ds"].to_numpy())
        if len(key) > 1 and not (key[1:] > key[:-1]).all():
            frame = frame.iloc[np.argsort(key, kind="stable")]
        return frame.reset_index(drop=True)

    def series(self) -> pd.DataFrame:
        """One row per stored series: ``unique_id, unit, first_ds, last_ds, rows, sources, kinds``
        (``sources``: the distinct sources, sorted, joined with ``;``; ``kinds``: the rows of each
        source kind, :func:`forecast.provenance.kind_counts`, e.g. ``sample 3797; derived 29``)."""
        o = observations.c
        with self.engine.connect() as conn:
            stats = conn.execute(
                sa.select(o.unique_id, ds_text(self.dialect, sa.func.min(o.ds)),
                          ds_text(self.dialect, sa.func.max(o.ds)), sa.func.count()).group_by(o.unique_id)
            ).all()
            pairs = conn.execute(sa.select(o.unique_id, o.source, sa.func.count()).group_by(o.unique_id, o.source)).all()
        sources: dict[str, list[str]] = {}
        counts: dict[str, dict[str, int]] = {}
        for uid, src, n in pairs:
            sources.setdefault(uid, []).append(src)
            counts.setdefault(uid, {})[src] = int(n)
        out = pd.DataFrame(stats, columns=["unique_id", "first_ds", "last_ds", "rows"])
        out["unit"] = [_unit_or_none(u) for u in out["unique_id"]]
        out["first_ds"] = pd.to_datetime(out["first_ds"], format="%Y-%m-%d")
        out["last_ds"] = pd.to_datetime(out["last_ds"], format="%Y-%m-%d")
        out["rows"] = out["rows"].astype("int64")
        out["sources"] = [";".join(sorted(sources.get(u, []))) for u in out["unique_id"]]
        out["kinds"] = [provenance.kind_counts(counts.get(u, {})) for u in out["unique_id"]]
        out = out[["unique_id", "unit", "first_ds", "last_ds", "rows", "sources", "kinds"]]
        return out.sort_values("unique_id", key=lambda s: s.map(str)).reset_index(drop=True)

    def unique_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.execute(sa.select(observations.c.unique_id).distinct()).scalars())

    def has_series(self, unique_id: str) -> bool:
        with self.engine.connect() as conn:
            stmt = sa.select(observations.c.unique_id).where(observations.c.unique_id == unique_id).limit(1)
            return conn.execute(stmt).first() is not None

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(observations)).scalar_one())

    def sources(self, unique_ids=None) -> list[str]:
        stmt = self._filtered(sa.select(observations.c.source).distinct(), unique_ids)
        with self.engine.connect() as conn:
            return sorted(conn.execute(stmt).scalars())

    def data_kind(self, unique_ids: Iterable[str] | str | None = None) -> str:
        """``"sample"`` if every selected row comes from the sample, ``"mixed"`` if some do,
        ``"real"`` otherwise (including when nothing is stored: nothing synthetic)."""
        return kind_of_sources(set(self.sources(unique_ids)))

    def fingerprint(self, unique_ids: Iterable[str] | str | None = None, end=None) -> str:
        """sha256 over exactly what a model would see: the sorted ``unique_id, ds, y`` of the
        selected series up to ``end`` (inclusive). Sources and load times do not count, so
        re-ingesting or relabelling identical values keeps the fingerprint."""
        return fingerprint_of(self.read(unique_ids, end=end))

    def loads(self) -> pd.DataFrame:
        """The audit trail of committed ingests and retractions, oldest first, with
        ``retracted_by``: the id of the retraction that took a load back (else None)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(loads).order_by(loads.c.id)).all()
        frame = pd.DataFrame(rows, columns=[c.name for c in loads.columns])
        frame["action"] = frame["action"].fillna("ingest") if len(frame) else frame["action"]
        by = {int(t): int(i) for i, t in zip(frame["id"], frame["retracts"], strict=True) if pd.notna(t)}
        frame["retracted_by"] = pd.array([by.get(int(i)) for i in frame["id"]], dtype="Int64")
        frame["retracts"] = pd.array(frame["retracts"].tolist(), dtype="Int64") if len(frame) else frame["retracts"]
        return frame

    def require_series(self, unique_id: str) -> None:
        if not self.has_series(unique_id):
            raise NotFound(f"no stored rows for series {unique_id!r}",
                           hint="`chunyun series` lists the stored series; `chunyun ingest FILE` adds rows")

    def series_stats(self, unique_ids: Iterable[str]) -> dict[str, tuple[int, float]]:
        """``{unique_id: (stored rows, highest stored value)}`` for the stored series among ``unique_ids``."""
        ids = sorted(set(_as_list(unique_ids) or []))
        o = observations.c
        stmt = (sa.select(o.unique_id, sa.func.count(), sa.func.max(o.y))
                .where(o.unique_id.in_(sa.bindparam("ids", expanding=True))).group_by(o.unique_id))
        out: dict[str, tuple[int, float]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                for uid, n, top in conn.execute(stmt, {"ids": ids[i:i + 500]}):
                    out[uid] = (int(n), float(top))
        return out


def fingerprint_of(frame: pd.DataFrame) -> str:
    """The data fingerprint of a long frame ``unique_id, ds, y`` (see :meth:`Store.fingerprint`),
    so a history that never went through a store hashes the same as the stored one."""
    frame = frame.sort_values(["unique_id", "ds"], kind="stable")
    h = hashlib.sha256(_FINGERPRINT_VERSION)
    h.update("\n".join(frame["unique_id"].astype(str).tolist()).encode("utf-8"))
    h.update(b"\0")
    h.update(pd.to_datetime(frame["ds"]).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("<i8").tobytes())
    h.update((frame["y"].to_numpy(dtype="float64") + 0.0).astype("<f8").tobytes())
    return h.hexdigest()


def kind_of_sources(found: set[str]) -> str:
    """:func:`forecast.provenance.data_kind` of the sources ``found``; ``"real"`` for none."""
    return provenance.data_kind(found) or "real"


def _unit_or_none(unique_id: str) -> str | None:
    try:
        return registry.unit_of(unique_id)
    except NotFound:
        return None
