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

Modules
-------
:mod:`~forecast.store.schema` the tables, :mod:`~forecast.store.dialects` what differs between
backends, :mod:`~forecast.store.rows` the series-and-day key and checked rows,
:mod:`~forecast.store.writer` the write transactions, :mod:`~forecast.store.reader` the reads.
Every public name is importable from ``forecast.store``.
"""

from __future__ import annotations

from forecast import settings
from forecast.store import schema
from forecast.store.dialects import connect
from forecast.store.reader import Reader, fingerprint_of, kind_of_sources
from forecast.store.rows import _DAY_OFFSET, _key
from forecast.store.schema import (
    COLUMNS,
    CONFLICT_COLUMNS,
    REFERENCE_SOURCE,
    SAMPLE_SOURCE,
    load_rows,
    loads,
    metadata,
    observations,
)
from forecast.store.writer import Writer, WriteResult

# WRITE_CHUNK and SQLITE_BUSY_TIMEOUT_MS are not re-exported: they are read in forecast.store.writer
# and forecast.store.dialects, so a test that changes them must patch them there

__all__ = [
    "COLUMNS", "CONFLICT_COLUMNS", "REFERENCE_SOURCE", "SAMPLE_SOURCE", "Store", "WriteResult", "_DAY_OFFSET", "_key",
    "fingerprint_of", "kind_of_sources", "load_rows", "loads", "metadata", "observations",
]


class Store(Reader, Writer):
    """Observations in a SQL database. ``Store()`` opens the configured one (``CHUNYUN_DATABASE_URL``,
    default ``sqlite:///<var_dir>/chunyun.db``) and creates the tables if they are missing."""

    def __init__(self, url: str | None = None, *, create: bool = True):
        url = url or settings.load()["database_url"]
        self.url = url
        self.engine, self.dialect = connect(url)
        if create:
            self.create()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def create(self) -> None:
        """Create the tables and indexes if they do not exist (safe to race with another process)."""
        schema.create(self.engine)

    def close(self) -> None:
        self.engine.dispose()
