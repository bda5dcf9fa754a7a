"""The write transactions of the store: load (insert what is new, report or replace what differs,
with its audit row), retract a load, delete rows; see :mod:`forecast.store`."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from forecast.errors import Conflict, InvalidInput, NotFound
from forecast.store.dialects import ds_text, insert_chunk, lock_writers
from forecast.store.rows import _bulk, _checked, _columns, _day_strings, _fetch, _key, _Rows
from forecast.store.schema import CONFLICT_COLUMNS, SAMPLE_SOURCE, load_rows, loads, observations

log = logging.getLogger("forecast.store")  # the name it had as one module

WRITE_CHUNK = 50_000  # rows per executemany / COPY call


@dataclass
class WriteResult:
    """What one :meth:`Store.write` did (or, with ``dry_run``, would have done).

    ``conflicts``: rows whose value differs from the stored one, with ``stored_y`` and
    ``stored_source``; not written unless ``replace`` (then they are counted in ``replaced``).
    """

    inserted: int = 0
    unchanged: int = 0
    replaced: int = 0
    conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONFLICT_COLUMNS))
    load_id: int | None = None
    dry_run: bool = False

    @property
    def written(self) -> int:
        return self.inserted + self.replaced


@contextmanager
def _transaction(engine: sa.Engine, dry_run: bool) -> Iterator[Connection]:
    """A write transaction on a connection of its own: committed at the end, or rolled back on an
    exception (re-raised) or after a ``dry_run``."""
    with engine.connect().execution_options(chunyun_write=True) as conn:
        trans = conn.begin()
        try:
            yield conn
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()


class Writer:
    """The writing half of :class:`forecast.store.Store`."""

    engine: sa.Engine
    dialect: str

    def write(self, frame: pd.DataFrame, replace: bool = False, *, dry_run: bool = False,
              audit: dict | None = None) -> WriteResult:
        """Store ``frame[unique_id, ds, y, source]`` in one transaction; see the module docstring.

        ``dry_run`` does all the work, then rolls back. ``audit`` (``source``, ``file``,
        ``sha256``, ``rejected``) adds a row to ``loads`` in the same transaction.
        """
        rows = _checked(frame)
        started = time.perf_counter()
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            with _transaction(self.engine, dry_run) as conn:
                load_id = self._open_load(conn, audit, now) if audit is not None and not dry_run else None
                result = self._write(conn, rows, replace, now, load_id)
                result.dry_run = dry_run
                if load_id is not None:
                    result.load_id = self._record_load(conn, audit, result, now, load_id)
        except sa.exc.OperationalError as err:
            if "locked" in str(err.orig).lower() or "busy" in str(err.orig).lower():
                raise Conflict("the store is busy with another write", hint="try again in a minute") from err
            raise
        log.debug("store.write: %d rows (%d new, %d unchanged, %d replaced, %d conflicts) in %.2f s%s",
                  len(rows), result.inserted, result.unchanged, result.replaced, len(result.conflicts),
                  time.perf_counter() - started, " (dry run, rolled back)" if dry_run else "")
        return result

    def _write(self, conn: Connection, rows: _Rows, replace: bool, now: datetime,
               load_id: int | None = None) -> WriteResult:
        result = WriteResult()
        if not len(rows):
            return result
        lock_writers(conn, self.dialect)  # one writer at a time; readers are not blocked
        new = np.ones(len(rows), dtype=bool)
        pos, stored_y, stored_src = self._existing(conn, rows)
        if len(pos):
            new[pos] = False
            same = stored_y == rows.y[pos]
            result.unchanged = int(same.sum())
            diff = pos[~same]
            if len(diff):
                differing = pd.DataFrame({
                    "unique_id": np.asarray(rows.uid[diff], dtype=object),
                    "ds": rows.days[diff].astype("datetime64[ns]"),
                    "y": rows.y[diff],
                    "source": np.asarray(rows.src[diff], dtype=object),
                    "stored_y": stored_y[~same],
                    "stored_source": stored_src[~same],
                })
                if replace:
                    self._replace(conn, differing, now, load_id)
                    result.replaced = len(differing)
                else:
                    result.conflicts = differing
        result.inserted = int(new.sum())
        if result.inserted:
            self._insert_new(conn, rows if new.all() else rows.take(new), now, load_id)
        return result

    def _existing(self, conn: Connection, rows: _Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stored rows with the same (series, day) as some of ``rows``: their positions in
        ``rows``, their values and sources. Read inside the write transaction, so stable."""
        o = observations.c
        lo, hi = rows.days.min().item(), rows.days.max().item()
        ids = [str(c) for c in rows.uid.categories[np.unique(rows.uid.codes)]]
        stmt = (sa.select(o.unique_id, ds_text(self.dialect, o.ds).label("ds"), o.y, o.source)
                .where(o.unique_id.in_(sa.bindparam("ids", expanding=True)), o.ds >= lo, o.ds <= hi))
        found: list[tuple] = []
        for i in range(0, len(ids), 500):  # stay under every backend's bound-parameter limit
            found.extend(_fetch(conn, stmt, {"ids": ids[i:i + 500]}))
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=object)
        s_uid, s_ds, s_y, s_src = _columns(found, 4)
        codes = pd.Categorical(s_uid, categories=rows.uid.categories).codes
        s_days = pd.to_datetime(pd.Series(s_ds), format="%Y-%m-%d").to_numpy().astype("datetime64[D]")
        s_key = _key(codes, s_days)
        pos = np.searchsorted(rows.key, s_key)
        hit = (pos < len(rows.key)) & (rows.key[np.minimum(pos, len(rows.key) - 1)] == s_key)
        return pos[hit], s_y[hit].astype("float64"), s_src[hit]

    def _insert_new(self, conn: Connection, rows: _Rows, now: datetime, load_id: int | None = None) -> None:
        """Insert rows known to be new, in chunks (``executemany`` on SQLite, ``COPY`` on PostgreSQL)."""
        ds = _day_strings(rows.days)
        uid, src = np.asarray(rows.uid, dtype=object), np.asarray(rows.src, dtype=object)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        for lo in range(0, len(rows), WRITE_CHUNK):
            hi = lo + WRITE_CHUNK
            with _bulk():
                chunk = list(zip(uid[lo:hi].tolist(), ds[lo:hi].tolist(), rows.y[lo:hi].tolist(),
                                 src[lo:hi].tolist(), itertools.repeat(load_id)))
            self._insert_chunk(conn, chunk, stamp)

    def _insert_chunk(self, conn: Connection, chunk: list[tuple], stamp: str) -> None:
        insert_chunk(conn, self.dialect, chunk, stamp)

    def _replace(self, conn: Connection, changed: pd.DataFrame, now: datetime, load_id: int | None = None) -> None:
        keys = [{"k_uid": u, "k_ds": d.date()} for u, d in zip(changed["unique_id"], changed["ds"], strict=True)]
        o = observations.c
        if load_id is not None:  # keep what is replaced, for a retract
            copy = sa.insert(load_rows).from_select(
                ["load_id", "unique_id", "ds", "y", "source", "loaded_at", "prev_load_id"],
                sa.select(sa.literal(load_id, sa.Integer), o.unique_id, o.ds, o.y, o.source, o.loaded_at, o.load_id)
                .where(o.unique_id == sa.bindparam("k_uid"), o.ds == sa.bindparam("k_ds")))
            conn.execute(copy, keys)
        stmt = (observations.update()
                .where(o.unique_id == sa.bindparam("k_uid"), o.ds == sa.bindparam("k_ds"))
                .values(y=sa.bindparam("v_y"), source=sa.bindparam("v_source"), loaded_at=now, load_id=load_id))
        conn.execute(stmt, [
            {**k, "v_y": float(v), "v_source": s}
            for k, v, s in zip(keys, changed["y"], changed["source"], strict=True)
        ])

    def _open_load(self, conn: Connection, audit: dict, now: datetime) -> int:
        """The audit row of a load, inserted first so that its rows can carry its id; its counts
        are filled in by :meth:`_record_load` at the end of the same transaction."""
        row = {"source": str(audit.get("source") or ""), "file": audit.get("file"), "sha256": audit.get("sha256"),
               "loaded_at": now, "accepted": 0, "rejected": 0, "unchanged": 0, "replaced": 0, "action": "ingest"}
        return int(conn.execute(loads.insert().values(**row).returning(loads.c.id)).scalar_one())

    def _record_load(self, conn: Connection, audit: dict, result: WriteResult, now: datetime,
                     load_id: int) -> int | None:
        """Fill in the counts of load ``load_id``; a load that stored nothing leaves no audit row."""
        if not result.written:
            conn.execute(loads.delete().where(loads.c.id == load_id))
            return None
        row = {
            "accepted": result.written,
            "rejected": int(audit.get("rejected", 0)) + len(result.conflicts),
            "unchanged": result.unchanged,
            "replaced": result.replaced,
        }
        conn.execute(loads.update().where(loads.c.id == load_id).values(**row))
        return load_id

    def retract(self, load_id: int, *, dry_run: bool = False) -> dict:
        """Take load ``load_id`` back in ONE transaction: delete the rows it inserted, put back the
        values it replaced (value, source, load time and load), and add a ``retract`` audit row.

        Refused (nothing changes) for an unknown load (NotFound), a retraction, a load already
        retracted, a load of the sample, or a load some of whose rows a later load replaced
        (Conflict: retract that one first, so that every step restores an exact earlier state).
        ``dry_run`` does it all, then rolls back. Returns what was (or would be) done.
        """
        try:
            load_id = int(load_id)
        except (TypeError, ValueError):
            raise InvalidInput(f"load id {load_id!r} is not a number", hint="`chunyun loads` lists the loads") from None
        now = datetime.now(UTC).replace(tzinfo=None)
        o, lr = observations.c, load_rows.c
        with _transaction(self.engine, dry_run) as conn:
            lock_writers(conn, self.dialect)
            load = conn.execute(sa.select(loads).where(loads.c.id == load_id)).mappings().first()
            self._check_retractable(conn, load_id, load)
            old = conn.execute(sa.select(lr.unique_id, lr.ds, lr.y, lr.source, lr.loaded_at, lr.prev_load_id)
                               .where(lr.load_id == load_id)).all()
            held = conn.execute(sa.select(sa.func.count()).select_from(observations)
                                .where(o.load_id == load_id)).scalar_one()
            if old:
                restore = (observations.update()
                           .where(o.unique_id == sa.bindparam("k_uid"), o.ds == sa.bindparam("k_ds"),
                                  o.load_id == load_id)
                           .values(y=sa.bindparam("v_y"), source=sa.bindparam("v_source"),
                                   loaded_at=sa.bindparam("v_at"), load_id=sa.bindparam("v_load")))
                conn.execute(restore, [{"k_uid": r.unique_id, "k_ds": r.ds, "v_y": r.y, "v_source": r.source,
                                        "v_at": r.loaded_at, "v_load": r.prev_load_id} for r in old])
            deleted = conn.execute(observations.delete().where(o.load_id == load_id)).rowcount
            restored = int(held) - int(deleted)  # a replaced row a later delete_rows removed is not restored
            conn.execute(load_rows.delete().where(lr.load_id == load_id))
            row = {"source": load["source"], "file": load["file"], "sha256": load["sha256"], "loaded_at": now,
                   "accepted": int(deleted), "rejected": 0, "unchanged": 0, "replaced": restored,
                   "action": "retract", "retracts": load_id}
            retract_id = int(conn.execute(loads.insert().values(**row).returning(loads.c.id)).scalar_one())
        log.info("retract load %d: %d rows deleted, %d restored%s", load_id, deleted, restored,
                 " (dry run, rolled back)" if dry_run else "")
        return {"load_id": load_id, "retract_id": None if dry_run else retract_id, "source": load["source"],
                "file": load["file"], "deleted": int(deleted), "restored": restored, "dry_run": dry_run}

    @staticmethod
    def _check_retractable(conn: Connection, load_id: int, load) -> None:
        hint = "`chunyun loads` lists the loads and what retracted them"
        if load is None:
            raise NotFound(f"no load {load_id}", hint=hint)
        if load["action"] == "retract":
            raise Conflict(f"load {load_id} is a retraction (of load {load['retracts']}), not a load", hint=hint)
        if load["source"] == SAMPLE_SOURCE:
            raise Conflict(f"load {load_id} holds the sample, which is not retracted by load id",
                           hint="the sample is what `chunyun prepare` loads; ingest real data to replace it")
        done = conn.execute(sa.select(loads.c.id).where(loads.c.retracts == load_id)).scalar()
        if done is not None:
            raise Conflict(f"load {load_id} was already retracted (by {done})", hint=hint)
        later = conn.execute(sa.select(load_rows.c.load_id, sa.func.count()).where(load_rows.c.prev_load_id == load_id)
                             .group_by(load_rows.c.load_id).order_by(load_rows.c.load_id.desc())).all()
        if later:
            which = ", ".join(f"{lid} ({n} rows)" for lid, n in later)
            raise Conflict(f"rows stored by load {load_id} were replaced since by load {which}",
                           hint=f"retract load {later[0][0]} first, then this one")

    def delete_rows(self, frame: pd.DataFrame, source: str) -> int:
        """Delete the rows at the series and days of ``frame`` that came from ``source``; returns how many."""
        keys = [{"k_uid": str(u), "k_ds": pd.Timestamp(d).date(), "k_src": str(source)}
                for u, d in zip(frame["unique_id"], frame["ds"], strict=True)]
        if not keys:
            return 0
        stmt = observations.delete().where(observations.c.unique_id == sa.bindparam("k_uid"),
                                           observations.c.ds == sa.bindparam("k_ds"),
                                           observations.c.source == sa.bindparam("k_src"))
        with self.engine.connect().execution_options(chunyun_write=True) as conn, conn.begin():
            return conn.execute(stmt, keys).rowcount

    def delete_source(self, source: str) -> int:
        """Delete every row that came from ``source``; returns how many."""
        with self.engine.connect().execution_options(chunyun_write=True) as conn, conn.begin():
            return conn.execute(observations.delete().where(observations.c.source == str(source))).rowcount
