"""What differs between the backends: SQLite (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writers,
chunked ``executemany``), PostgreSQL (a table lock against other writers, ``COPY``) and any other
SQLAlchemy backend (plain Core)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url

from forecast.store.schema import observations

SQLITE_BUSY_TIMEOUT_MS = 60_000


def connect(url: str) -> tuple[sa.Engine, str]:
    """An engine on ``url`` and its backend name (``sqlite``, ``postgresql``, ...)."""
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    kwargs: dict = {}
    if dialect == "sqlite":
        path = _sqlite_path(parsed)
        if path:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(parsed, **kwargs)
    if dialect == "sqlite":
        _install_sqlite_events(engine, in_memory=_sqlite_path(parsed) is None)
    return engine, dialect


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


def lock_writers(conn: Connection, dialect: str) -> None:
    """On PostgreSQL, one writer at a time; readers are not blocked (SQLite writers lock at BEGIN)."""
    if dialect == "postgresql":
        conn.exec_driver_sql("LOCK TABLE observations IN SHARE ROW EXCLUSIVE MODE")


def ds_text(dialect: str, column):
    """A date column as ``YYYY-MM-DD`` text."""
    if dialect == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD")
    return sa.type_coerce(column, sa.String)


def insert_chunk(conn: Connection, dialect: str, chunk: list[tuple], stamp: str) -> None:
    """Insert rows ``(unique_id, ds, y, source, load_id)`` known to be new, stamped ``stamp``."""
    if dialect == "sqlite":
        # the literal timestamp has SQLAlchemy's SQLite DateTime storage format
        conn.exec_driver_sql(
            "INSERT INTO observations (unique_id, ds, y, source, load_id, loaded_at) VALUES (?, ?, ?, ?, ?, "
            f"'{stamp}')", chunk)
    elif dialect == "postgresql":
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
