"""The tables of the store (SQLAlchemy Core) and their creation and migration; see :mod:`forecast.store`."""

from __future__ import annotations

import time

import sqlalchemy as sa

from forecast import provenance

SAMPLE_SOURCE = provenance.SAMPLE
REFERENCE_SOURCE = "reference"
COLUMNS = ["unique_id", "ds", "y", "source"]

metadata = sa.MetaData()


def _value_columns() -> list[sa.Column]:
    """A stored value: in the store, and as a load found it before replacing it (``load_rows``)."""
    return [sa.Column("unique_id", sa.Text, primary_key=True), sa.Column("ds", sa.Date, primary_key=True),
            sa.Column("y", sa.Double, nullable=False), sa.Column("source", sa.Text, nullable=False),
            sa.Column("loaded_at", sa.DateTime, nullable=False)]


observations = sa.Table(
    "observations",
    metadata,
    *_value_columns(),
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
    *_value_columns(),
    sa.Column("prev_load_id", sa.Integer, nullable=True),
)

# columns added after the first release: (table, column, SQL type), added by Store.create()
_ADDED_COLUMNS = (("observations", "load_id", "INTEGER"), ("loads", "action", "TEXT"), ("loads", "retracts", "INTEGER"))

CONFLICT_COLUMNS = ["unique_id", "ds", "y", "source", "stored_y", "stored_source"]


def create(engine: sa.Engine) -> None:
    """Create the tables and indexes if they do not exist (safe to race with another process)."""
    for attempt in range(3):
        try:
            with engine.connect() as conn:
                # a read first: opening a store must not wait for the write lock of an ingest
                inspector = sa.inspect(conn)
                missing = [t for t in metadata.sorted_tables if not inspector.has_table(t.name)]
                present = {t.name for t in metadata.sorted_tables if t not in missing}
                columns = {name: {c["name"] for c in inspector.get_columns(name)} for name in present}
            added = [(t, c, kind) for t, c, kind in _ADDED_COLUMNS if t in columns and c not in columns[t]]
            if not missing and not added:
                return
            with engine.connect().execution_options(chunyun_write=True) as conn, conn.begin():
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

