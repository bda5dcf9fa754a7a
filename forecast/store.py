"""The store of observations, behind SQLAlchemy Core: SQLite by default, PostgreSQL by URL.

Tables
------
``observations(unique_id TEXT, ds DATE, y DOUBLE, source TEXT, loaded_at TIMESTAMP, load_id INTEGER,
PRIMARY KEY (unique_id, ds))``: one value per series and day, in base units (persons, vehicles;
never 万). ``source`` says where the value came from: ``reference``, ``sample`` or the name of the
uploaded file; ``load_id`` which load wrote it (NULL for rows written without an audit, such as the
sample that ``chunyun prepare`` loads).

``loads(id, source, file, sha256, loaded_at, accepted, rejected, unchanged, replaced, action,
retracts)``: the audit trail, one row per committed ingest that stored something (written in the
same transaction as the rows it counts), and one per retraction (``action = 'retract'``,
``retracts`` = the load taken back; ``accepted`` = rows deleted, ``replaced`` = rows restored).

``load_rows(load_id, unique_id, ds, y, source, loaded_at, prev_load_id)``: what a load replaced,
row by row, so that :meth:`Store.retract` can put it back. Rows a load inserted need no copy: they
carry its ``load_id``. Stores made before these columns existed are migrated when opened.

Writing
-------
:meth:`Store.write` takes a frame ``unique_id, ds, y, source`` and, in ONE transaction, reads the
stored rows it could collide with (same series, same date span), compares them in pandas, and
inserts only what is new in bulk (chunked ``executemany`` on SQLite, ``COPY`` on PostgreSQL). A row equal in value to the stored one is
*unchanged* (so re-ingesting a file is a no-op, and the stored row keeps its first source); a row
whose value differs from the stored one is a *conflict*, whichever source either came from, and is
only written (*replaced*) with ``replace=True``. Any exception rolls the whole write back.

Concurrency
-----------
SQLite runs in WAL mode with a busy timeout, so several API workers read while one process writes;
writers take the lock up front (``BEGIN IMMEDIATE``). On PostgreSQL a writer locks the table against
other writers only (``SHARE ROW EXCLUSIVE``); readers are never blocked.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url

from forecast import provenance, registry, settings
from forecast.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

SAMPLE_SOURCE = provenance.SAMPLE
REFERENCE_SOURCE = "reference"
COLUMNS = ["unique_id", "ds", "y", "source"]
WRITE_CHUNK = 50_000  # rows per executemany / COPY call
SQLITE_BUSY_TIMEOUT_MS = 60_000
_FINGERPRINT_VERSION = b"chunyun-observations-v1\n"

metadata = sa.MetaData()

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("unique_id", sa.Text, primary_key=True),
    sa.Column("ds", sa.Date, primary_key=True),
    sa.Column("y", sa.Double, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
    sa.Column("load_id", sa.Integer, nullable=True),
    # no index on source or load_id: it would cost a third of the bulk-insert time, and the few
    # queries by them (data_kind, delete_source, retract) are fine with a scan
    sqlite_with_rowid=False,
)

loads = sa.Table(
    "loads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("file", sa.Text),
    sa.Column("sha256", sa.Text),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("replaced", sa.Integer, nullable=False),
    sa.Column("action", sa.Text, nullable=True),  # NULL or 'ingest'; 'retract'
    sa.Column("retracts", sa.Integer, nullable=True),
)

load_rows = sa.Table(
    "load_rows",
    metadata,
    sa.Column("load_id", sa.Integer, primary_key=True),
    sa.Column("unique_id", sa.Text, primary_key=True),
    sa.Column("ds", sa.Date, primary_key=True),
    sa.Column("y", sa.Double, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
    sa.Column("prev_load_id", sa.Integer, nullable=True),
)

# columns added after the first release: (table, column, SQL type), added by Store.create()
_ADDED_COLUMNS = (("observations", "load_id", "INTEGER"), ("loads", "action", "TEXT"), ("loads", "retracts", "INTEGER"))

CONFLICT_COLUMNS = ["unique_id", "ds", "y", "source", "stored_y", "stored_source"]


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


def _sqlite_path(url) -> str | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return db


def _install_sqlite_events(engine: sa.Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN (see below) instead of the sqlite3 module's
        # legacy implicit transactions, so DDL such as the staging table is transactional too.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-65536")  # up to 64 MiB of pages, so a big ingest does not spill
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock at BEGIN: a deferred transaction that later needs to write
        # can fail with SQLITE_BUSY at once instead of waiting for the busy timeout.
        immediate = conn.get_execution_options().get("chunyun_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _as_list(values) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    return [str(v) for v in values]


def _as_date(value, name: str) -> date | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InvalidInput(f"{name} {value!r} is not a date", hint="use YYYY-MM-DD") from None
    if pd.isna(ts):
        return None
    return ts.date()


def _day_strings(days: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` days as ``YYYY-MM-DD`` strings, formatting each distinct day once."""
    uniques, codes = np.unique(days, return_inverse=True)
    return np.datetime_as_string(uniques, unit="D").astype(object)[codes.reshape(-1)]


def _categorical(values: pd.Series) -> pd.Categorical:
    """A column as a Categorical of str with sorted categories (cheap for repeated strings)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
        if not all(isinstance(c, str) for c in cat.categories):
            cat = pd.Categorical(np.asarray(cat, dtype=object).astype(str))
    else:
        cat = pd.Categorical(values.where(values.isna(), values.astype(str)))
    cats = cat.categories
    if not cats.is_monotonic_increasing:
        cat = cat.reorder_categories(sorted(cats))
    return cat


_DAY_OFFSET = 1 << 31


def _key(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One sortable int64 per (series code, day): the primary key's order."""
    return (codes.astype(np.int64) << 32) | (days.astype("datetime64[D]").astype(np.int64) + _DAY_OFFSET)


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a million tuples are built: they hold no cycles, and
    the collector would otherwise walk them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fetch(conn: Connection, stmt, params: dict | None = None) -> list[tuple]:
    """Run a Core SELECT and take plain tuples from the driver's cursor: for a million rows this
    is several times faster than building Row objects."""
    result = conn.execute(stmt, params or {})
    try:
        with _bulk():
            return result.cursor.fetchall()
    finally:
        result.close()


def _columns(rows: list[tuple], n: int) -> list[np.ndarray]:
    """Fetched tuples as ``n`` object arrays (``zip(*rows)`` is far slower for a million rows)."""
    with _bulk():
        return [np.asarray([r[i] for r in rows], dtype=object) for i in range(n)]


@dataclass
class _Rows:
    """Validated rows in primary-key order."""

    uid: pd.Categorical
    days: np.ndarray  # datetime64[D]
    y: np.ndarray  # float64
    src: pd.Categorical
    key: np.ndarray  # int64, strictly increasing

    def __len__(self) -> int:
        return len(self.key)

    def take(self, mask: np.ndarray) -> _Rows:
        return _Rows(self.uid[mask], self.days[mask], self.y[mask], self.src[mask], self.key[mask])


class Store:
    """Observations in a SQL database. ``Store()`` opens the configured one (``CHUNYUN_DATABASE_URL``,
    default ``sqlite:///<var_dir>/chunyun.db``) and creates the tables if they are missing."""

    def __init__(self, url: str | None = None, *, create: bool = True):
        url = url or settings.load()["database_url"]
        parsed = make_url(url)
        self.url = url
        self.dialect = parsed.get_backend_name()
        kwargs: dict = {}
        if self.dialect == "sqlite":
            path = _sqlite_path(parsed)
            if path:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(parsed, **kwargs)
        if self.dialect == "sqlite":
            _install_sqlite_events(self.engine, in_memory=_sqlite_path(parsed) is None)
        if create:
            self.create()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def create(self) -> None:
        """Create the tables and indexes if they do not exist (safe to race with another process)."""
        for attempt in range(3):
            try:
                with self.engine.connect() as conn:
                    # a read first: opening a store must not wait for the write lock of an ingest
                    inspector = sa.inspect(conn)
                    missing = [t for t in metadata.sorted_tables if not inspector.has_table(t.name)]
                    present = {t.name for t in metadata.sorted_tables if t not in missing}
                    columns = {name: {c["name"] for c in inspector.get_columns(name)} for name in present}
                added = [(t, c, kind) for t, c, kind in _ADDED_COLUMNS if t in columns and c not in columns[t]]
                if not missing and not added:
                    return
                with self.engine.connect().execution_options(chunyun_write=True) as conn, conn.begin():
                    for table in missing:
                        conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
                        for index in table.indexes:
                            conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
                    for table, column, kind in added:  # a store from before retract existed
                        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                return
            except (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.OperationalError):
                # another worker created them between our check and our CREATE
                if attempt == 2:
                    raise
                time.sleep(0.2)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writing

    def write(self, frame: pd.DataFrame, replace: bool = False, *, dry_run: bool = False,
              audit: dict | None = None) -> WriteResult:
        """Store ``frame[unique_id, ds, y, source]`` in one transaction; see the module docstring.

        ``dry_run`` does all the work, then rolls back. ``audit`` (``source``, ``file``,
        ``sha256``, ``rejected``) adds a row to ``loads`` in the same transaction.
        """
        rows = self._checked(frame)
        started = time.perf_counter()
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            with self.engine.connect().execution_options(chunyun_write=True) as conn:
                trans = conn.begin()
                try:
                    load_id = self._open_load(conn, audit, now) if audit is not None and not dry_run else None
                    result = self._write(conn, rows, replace, now, load_id)
                    result.dry_run = dry_run
                    if load_id is not None:
                        result.load_id = self._record_load(conn, audit, result, now, load_id)
                except BaseException:
                    trans.rollback()
                    raise
                if dry_run:
                    trans.rollback()
                else:
                    trans.commit()
        except sa.exc.OperationalError as err:
            if "locked" in str(err.orig).lower() or "busy" in str(err.orig).lower():
                raise Conflict("the store is busy with another write", hint="try again in a minute") from err
            raise
        log.debug("store.write: %d rows (%d new, %d unchanged, %d replaced, %d conflicts) in %.2f s%s",
                  len(rows), result.inserted, result.unchanged, result.replaced, len(result.conflicts),
                  time.perf_counter() - started, " (dry run, rolled back)" if dry_run else "")
        return result

    @staticmethod
    def _checked(frame: pd.DataFrame) -> _Rows:
        """The frame as sorted, de-duplicated rows with an int64 key per (series, day)."""
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise InvalidInput(f"observations frame lacks columns {missing}", hint=f"columns are {COLUMNS}")
        uid, src = _categorical(frame["unique_id"]), _categorical(frame["source"])
        if (uid.codes < 0).any() or (src.codes < 0).any():
            raise InvalidInput("observations frame has empty unique_id or source")
        ds = frame["ds"]
        if not pd.api.types.is_datetime64_dtype(ds) or ds.dt.tz is not None:
            ds = pd.to_datetime(ds, errors="coerce")
            if getattr(ds.dt, "tz", None) is not None:
                ds = ds.dt.tz_localize(None)
        days = ds.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        if np.isnat(days).any():
            raise InvalidInput("observations frame has missing or unparsable ds")
        y = frame["y"]
        y = (y if pd.api.types.is_float_dtype(y) else pd.to_numeric(y, errors="coerce")).to_numpy(dtype="float64")
        if not np.isfinite(y).all():
            raise InvalidInput("observations frame has missing or non-finite y")
        y = y + 0.0  # -0.0 -> 0.0
        key = _key(uid.codes, days)
        if len(key) > 1 and not (key[1:] >= key[:-1]).all():
            # the order of the primary key, so inserts append to the b-tree
            order = np.argsort(key, kind="stable")
            key, days, y = key[order], days[order], y[order]
            uid, src = uid[order], src[order]
        dup = np.flatnonzero(key[1:] == key[:-1]) + 1 if len(key) > 1 else np.zeros(0, dtype=np.int64)
        if len(dup):
            differs = y[dup] != y[dup - 1]
            if differs.any():
                i = dup[np.argmax(differs)]
                raise InvalidInput(f"observations frame has different values for {uid[i]} on {days[i]}")
            keep = np.ones(len(key), dtype=bool)
            keep[dup] = False
            key, days, y, uid, src = key[keep], days[keep], y[keep], uid[keep], src[keep]
        return _Rows(uid, days, y, src, key)

    def _write(self, conn: Connection, rows: _Rows, replace: bool, now: datetime,
               load_id: int | None = None) -> WriteResult:
        result = WriteResult()
        if not len(rows):
            return result
        if self.dialect == "postgresql":  # one writer at a time; readers are not blocked
            conn.exec_driver_sql("LOCK TABLE observations IN SHARE ROW EXCLUSIVE MODE")
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
        stmt = (sa.select(o.unique_id, self._ds_text(o.ds).label("ds"), o.y, o.source)
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

    def _ds_text(self, column):
        if self.dialect == "postgresql":
            return sa.func.to_char(column, "YYYY-MM-DD")
        return sa.type_coerce(column, sa.String)

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
        if self.dialect == "sqlite":
            # the literal timestamp has SQLAlchemy's SQLite DateTime storage format
            conn.exec_driver_sql(
                "INSERT INTO observations (unique_id, ds, y, source, load_id, loaded_at) VALUES (?, ?, ?, ?, ?, "
                f"'{stamp}')", chunk)
        elif self.dialect == "postgresql":
            cursor = conn.connection.dbapi_connection.cursor()
            with cursor.copy("COPY observations (unique_id, ds, y, source, load_id, loaded_at) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row((*row, stamp))
            cursor.close()
        else:  # any other SQLAlchemy backend: plain Core executemany
            conn.execute(observations.insert(), [
                {"unique_id": u, "ds": date.fromisoformat(d), "y": v, "source": s, "load_id": lid,
                 "loaded_at": datetime.fromisoformat(stamp)} for u, d, v, s, lid in chunk
            ])

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
        with self.engine.connect().execution_options(chunyun_write=True) as conn:
            trans = conn.begin()
            try:
                if self.dialect == "postgresql":
                    conn.exec_driver_sql("LOCK TABLE observations IN SHARE ROW EXCLUSIVE MODE")
                load = conn.execute(sa.select(loads).where(loads.c.id == load_id)).mappings().first()
                self._check_retractable(conn, load_id, load)
                old = conn.execute(sa.select(lr.unique_id, lr.ds, lr.y, lr.source, lr.loaded_at, lr.prev_load_id)
                                   .where(lr.load_id == load_id)).all()
                if old:
                    restore = (observations.update()
                               .where(o.unique_id == sa.bindparam("k_uid"), o.ds == sa.bindparam("k_ds"),
                                      o.load_id == load_id)
                               .values(y=sa.bindparam("v_y"), source=sa.bindparam("v_source"),
                                       loaded_at=sa.bindparam("v_at"), load_id=sa.bindparam("v_load")))
                    conn.execute(restore, [{"k_uid": r.unique_id, "k_ds": r.ds, "v_y": r.y, "v_source": r.source,
                                            "v_at": r.loaded_at, "v_load": r.prev_load_id} for r in old])
                deleted = conn.execute(observations.delete().where(o.load_id == load_id)).rowcount
                conn.execute(load_rows.delete().where(lr.load_id == load_id))
                row = {"source": load["source"], "file": load["file"], "sha256": load["sha256"], "loaded_at": now,
                       "accepted": int(deleted), "rejected": 0, "unchanged": 0, "replaced": len(old),
                       "action": "retract", "retracts": load_id}
                retract_id = int(conn.execute(loads.insert().values(**row).returning(loads.c.id)).scalar_one())
            except BaseException:
                trans.rollback()
                raise
            if dry_run:
                trans.rollback()
            else:
                trans.commit()
        log.info("retract load %d: %d rows deleted, %d restored%s", load_id, deleted, len(old),
                 " (dry run, rolled back)" if dry_run else "")
        return {"load_id": load_id, "retract_id": None if dry_run else retract_id, "source": load["source"],
                "file": load["file"], "deleted": int(deleted), "restored": len(old), "dry_run": dry_run}

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

    # ------------------------------------------------------------------ reading

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
            sa.select(observations.c.unique_id, self._ds_text(observations.c.ds).label("ds"),
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
        """One row per stored series: ``unique_id, unit, first_ds, last_ds, rows, sources``
        (``sources``: the distinct sources, sorted, joined with ``;``)."""
        o = observations.c
        with self.engine.connect() as conn:
            stats = conn.execute(
                sa.select(o.unique_id, self._ds_text(sa.func.min(o.ds)), self._ds_text(sa.func.max(o.ds)),
                          sa.func.count()).group_by(o.unique_id)
            ).all()
            pairs = conn.execute(sa.select(o.unique_id, o.source).distinct()).all()
        sources: dict[str, list[str]] = {}
        for uid, src in pairs:
            sources.setdefault(uid, []).append(src)
        out = pd.DataFrame(stats, columns=["unique_id", "first_ds", "last_ds", "rows"])
        out["unit"] = [_unit_or_none(u) for u in out["unique_id"]]
        out["first_ds"] = pd.to_datetime(out["first_ds"], format="%Y-%m-%d")
        out["last_ds"] = pd.to_datetime(out["last_ds"], format="%Y-%m-%d")
        out["rows"] = out["rows"].astype("int64")
        out["sources"] = [";".join(sorted(sources.get(u, []))) for u in out["unique_id"]]
        out = out[["unique_id", "unit", "first_ds", "last_ds", "rows", "sources"]]
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
