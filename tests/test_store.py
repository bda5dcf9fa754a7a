"""The observations store, on SQLite and on PostgreSQL (``CHUNYUN_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import os
import threading
import time
import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import forecast.store as store_mod
from forecast.errors import InvalidInput
from forecast.ingest import ingest
from forecast.store import Store

PG_URL = os.environ.get("CHUNYUN_TEST_POSTGRES_URL")
PG_SKIP = "CHUNYUN_TEST_POSTGRES_URL is not set (.ci/run sets it when PostgreSQL is up on 127.0.0.1:5432)"

RAIL, AIR, CARS = "jiangxi/rail_passengers", "national/air_passengers", "jiangxi/highway_exit_vehicles"


def obs(rows, source="a.csv") -> pd.DataFrame:
    """Frame from (unique_id, 'YYYY-MM-DD', y) triples."""
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = frame["y"].astype(float)
    frame["source"] = source
    return frame


BASE = obs([(RAIL, "2025-01-14", 100), (RAIL, "2025-01-15", 110), (RAIL, "2025-01-16", 120),
            (AIR, "2025-01-14", 50), (AIR, "2025-01-15", 55.5)])


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not PG_URL:
        if os.environ.get("CHUNYUN_TEST_REQUIRE_SERVICES"):  # CI: a skipped PostgreSQL test is a failure
            pytest.fail(PG_SKIP)
        pytest.skip(PG_SKIP)
    schema = f"chunyun_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, var_dir):
    s = Store() if request.param == "sqlite" else Store(request.getfixturevalue("pg_url"))
    yield s
    s.close()


def test_default_store_is_sqlite_in_var_dir_with_wal(var_dir):
    s = Store()
    assert s.dialect == "sqlite"
    assert (var_dir / "chunyun.db").exists()
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_default_store_creates_missing_parent_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CHUNYUN_VAR_DIR", str(tmp_path / "not" / "yet"))
    monkeypatch.delenv("CHUNYUN_DATABASE_URL", raising=False)
    Store().write(BASE)
    assert (tmp_path / "not" / "yet" / "chunyun.db").exists()


def test_write_then_read_round_trip(store):
    result = store.write(BASE)
    assert (result.inserted, result.unchanged, result.replaced, len(result.conflicts)) == (5, 0, 0, 0)
    out = store.read()
    assert list(out.columns) == ["unique_id", "ds", "y", "source"]
    assert out["ds"].dtype == "datetime64[ns]" and out["y"].dtype == "float64"
    expected = BASE.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, expected)
    assert store.count() == 5


def test_read_filters_and_sorting(store):
    store.write(BASE.iloc[::-1])  # order of the input does not matter
    assert store.read(RAIL)["y"].tolist() == [100, 110, 120]
    assert store.read([AIR], start="2025-01-15")["y"].tolist() == [55.5]
    assert store.read(end=pd.Timestamp("2025-01-14"))["unique_id"].tolist() == [RAIL, AIR]
    assert store.read(sources=["other"]).empty
    assert store.read(["nowhere/none"]).empty
    with pytest.raises(InvalidInput):
        store.read(start="2025-13-01")


def test_rewrite_is_a_no_op(store):
    store.write(BASE)
    before = store.read()
    with store.engine.connect() as conn:
        stamps = conn.execute(sa.select(store_mod.observations.c.loaded_at)).scalars().all()
    result = store.write(BASE)
    assert (result.inserted, result.unchanged, result.replaced, len(result.conflicts)) == (0, 5, 0, 0)
    pd.testing.assert_frame_equal(store.read(), before)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(store_mod.observations.c.loaded_at)).scalars().all() == stamps


def test_conflict_with_another_source_then_replace(store):
    store.write(BASE)
    update = obs([(RAIL, "2025-01-15", 999), (RAIL, "2025-01-16", 120), (RAIL, "2025-01-17", 130)], source="b.csv")
    result = store.write(update)
    assert (result.inserted, result.unchanged, result.replaced) == (1, 1, 0)
    assert result.conflicts.to_dict("records") == [{
        "unique_id": RAIL, "ds": pd.Timestamp("2025-01-15"), "y": 999.0, "source": "b.csv",
        "stored_y": 110.0, "stored_source": "a.csv"}]
    rail = store.read(RAIL).set_index("ds")
    assert rail.loc["2025-01-15", "y"] == 110 and rail.loc["2025-01-17", "source"] == "b.csv"
    # an unchanged row keeps its first source
    assert rail.loc["2025-01-16", "source"] == "a.csv"

    result = store.write(update, replace=True)
    assert (result.inserted, result.unchanged, result.replaced, len(result.conflicts)) == (0, 2, 1, 0)
    rail = store.read(RAIL).set_index("ds")
    assert rail.loc["2025-01-15", "y"] == 999 and rail.loc["2025-01-15", "source"] == "b.csv"


def test_same_source_different_value_is_a_conflict(store):
    store.write(BASE)
    result = store.write(obs([(RAIL, "2025-01-14", 101)]))
    assert len(result.conflicts) == 1 and result.inserted == 0
    assert store.read(RAIL)["y"].iloc[0] == 100


def test_dry_run_stores_nothing(store):
    result = store.write(BASE, dry_run=True, audit={"source": "a.csv"})
    assert result.inserted == 5 and result.dry_run
    assert store.count() == 0 and store.loads().empty
    store.write(BASE)
    result = store.write(obs([(RAIL, "2025-01-14", 1)], source="b"), replace=True, dry_run=True)
    assert result.replaced == 1
    assert store.read(RAIL)["y"].iloc[0] == 100


def test_failure_mid_write_leaves_store_unchanged(store, monkeypatch):
    store.write(BASE)
    before = store.read()
    monkeypatch.setattr(store_mod.writer, "WRITE_CHUNK", 10)
    real = Store._insert_chunk
    calls = []

    def flaky(self, conn, chunk, stamp):
        calls.append(len(chunk))
        real(self, conn, chunk, stamp)  # this chunk really is written, inside the transaction
        if len(calls) == 2:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "_insert_chunk", flaky)
    days = pd.date_range("2024-01-01", periods=50).strftime("%Y-%m-%d")
    big = pd.concat([obs([(CARS, d, i) for i, d in enumerate(days)], source="c.csv"),
                     obs([(RAIL, "2025-01-14", 7)], source="c.csv")])  # and one replaced row
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.write(big, replace=True, audit={"source": "c.csv"})
    assert calls == [10, 10]
    pd.testing.assert_frame_equal(store.read(), before)
    assert store.loads().empty
    # and the store still works afterwards
    monkeypatch.setattr(Store, "_insert_chunk", real)
    assert store.write(big, replace=True).inserted == 50


def test_failure_after_all_rows_rolls_back(store, monkeypatch):
    store.write(BASE)
    before = store.read()

    def boom(*_args, **_kw):
        raise RuntimeError("audit table gone")

    monkeypatch.setattr(Store, "_record_load", boom)
    update = obs([(RAIL, "2025-01-14", 1), (CARS, "2025-01-14", 2)], source="b")
    with pytest.raises(RuntimeError):
        store.write(update, replace=True, audit={"source": "b"})
    pd.testing.assert_frame_equal(store.read(), before)


def test_write_checks_its_frame(store):
    with pytest.raises(InvalidInput, match="lacks columns"):
        store.write(BASE.drop(columns="source"))
    with pytest.raises(InvalidInput, match="different values"):
        store.write(pd.concat([BASE, BASE.assign(y=BASE["y"] + 1).iloc[:1]]))
    with pytest.raises(InvalidInput, match="non-finite"):
        store.write(BASE.assign(y=np.nan))
    assert store.count() == 0
    result = store.write(pd.concat([BASE, BASE]))  # identical duplicates are stored once
    assert result.inserted == 5
    assert store.write(BASE.iloc[:0]).inserted == 0


def test_series_listing(store):
    assert list(store.series().columns) == ["unique_id", "unit", "first_ds", "last_ds", "rows", "sources", "kinds"]
    store.write(BASE)
    store.write(obs([(RAIL, "2025-01-17", 1), ("atlantis/rail_passengers", "2025-01-01", 3)], source="b.csv"))
    s = store.series().set_index("unique_id")
    assert list(s.index) == ["atlantis/rail_passengers", RAIL, AIR]
    assert s.loc[RAIL, "rows"] == 4 and s.loc[RAIL, "sources"] == "a.csv;b.csv" and s.loc[RAIL, "kinds"] == "user 4"
    assert s.loc[RAIL, "first_ds"] == pd.Timestamp("2025-01-14") and s.loc[RAIL, "last_ds"] == pd.Timestamp("2025-01-17")
    assert s.loc[AIR, "unit"] == "persons"
    assert s.loc["atlantis/rail_passengers", "unit"] is None  # region no longer in the registry
    assert store.unique_ids() == ["atlantis/rail_passengers", RAIL, AIR]
    assert store.has_series(RAIL) and not store.has_series(CARS)


def test_fingerprint_tracks_model_data_only(store):
    empty = store.fingerprint()
    store.write(BASE)
    fp = store.fingerprint()
    assert fp != empty and len(fp) == 64
    store.write(BASE)  # re-ingest
    assert store.fingerprint() == fp
    store.delete_source("a.csv")
    store.write(BASE.assign(source="renamed.csv"))  # same numbers, another label
    assert store.fingerprint() == fp
    assert store.fingerprint([RAIL]) != fp
    assert store.fingerprint(end="2025-01-15") == store.fingerprint(end="2025-01-15")
    later = store.fingerprint([RAIL], end="2025-01-15")
    store.write(obs([(RAIL, "2025-01-20", 1)]))
    assert store.fingerprint([RAIL], end="2025-01-15") == later  # data after `end` does not count
    assert store.fingerprint() != fp
    store.write(obs([(RAIL, "2025-01-14", 101)], source="x"), replace=True)
    assert store.fingerprint([RAIL], end="2025-01-15") != later


def test_data_kind(store):
    assert store.data_kind() == "real"
    store.write(BASE.assign(source="sample"))
    assert store.data_kind() == "sample"
    store.write(obs([(CARS, "2025-01-14", 1)], source="upload.csv"))
    assert store.data_kind() == "mixed"
    assert store.data_kind([CARS]) == "real"
    assert store.data_kind(RAIL) == "sample"
    assert store.sources() == ["sample", "upload.csv"]


def test_kind_of_sources():
    assert store_mod.kind_of_sources(set()) == "real"
    assert store_mod.kind_of_sources({"upload.csv"}) == "real"
    assert store_mod.kind_of_sources({"sample"}) == "sample"
    assert store_mod.kind_of_sources({"sample", "upload.csv"}) == "mixed"


def test_delete_source(store):
    store.write(BASE)
    store.write(obs([(CARS, "2025-01-14", 1)], source="b"))
    assert store.delete_source("a.csv") == 5
    assert store.read()["source"].tolist() == ["b"]
    assert store.delete_source("nothing") == 0


def test_loads_audit_trail(store):
    store.write(BASE, audit={"source": "a.csv", "file": "a.csv", "sha256": "ab" * 32, "rejected": 2})
    store.write(obs([(RAIL, "2025-01-14", 1)]), audit={"source": "a.csv", "file": "a.csv", "rejected": 0})
    store.write(obs([(RAIL, "2025-01-14", 1)]), replace=True, audit={"source": "b.csv", "file": "b.csv", "rejected": 0})
    trail = store.loads()
    # the second write stored nothing (a conflict): no audit row for it
    assert trail[["accepted", "rejected", "unchanged", "replaced"]].values.tolist() == [[5, 2, 0, 0], [1, 0, 0, 1]]
    assert trail["sha256"].iloc[0] == "ab" * 32 and trail["id"].is_monotonic_increasing
    assert trail["action"].tolist() == ["ingest", "ingest"] and trail["retracted_by"].isna().all()


def test_ingest_round_trip_on_each_backend(store, tmp_path):
    path = tmp_path / "mix.csv"
    path.write_text("date,region,metric,value\n2025-01-14,江西,铁路旅客发送量,100\n"
                    "2025-01-15,jiangxi,rail_passengers,x\n2025-01-15,全国,air_passengers,\"1,234\"\n", encoding="utf-8")
    report = ingest(path, store)
    assert (report.accepted, report.rejected) == (2, 1) and report.problems[0].line == 3
    assert ingest(path, store).unchanged == 2
    path.write_text("date,region,metric,value\n2025-01-14,jiangxi,rail_passengers,200\n", encoding="utf-8")
    report = ingest(path, store, source="fix")
    assert report.rejected == 1 and report.problems[0].kind == "conflict"
    assert ingest(path, store, source="fix", replace=True).replaced == 1
    assert store.read(RAIL)[["y", "source"]].values.tolist() == [[200.0, "fix"]]


def test_bulk_write_of_many_rows(store):
    days = pd.date_range("2000-01-01", periods=5000)
    frame = pd.DataFrame({"unique_id": np.repeat([RAIL, AIR, CARS], len(days)),
                          "ds": np.tile(days, 3), "y": np.arange(3 * len(days), dtype=float), "source": "bulk"})
    assert store.write(frame).inserted == 15000
    assert store.write(frame).unchanged == 15000
    out = store.read()
    assert len(out) == 15000 and out["y"].sum() == frame["y"].sum()


@pytest.mark.postgres
def test_fingerprint_is_the_same_on_both_backends(var_dir, pg_url):
    lite, pg = Store(), Store(pg_url)
    frame = pd.concat([BASE, obs([("national/water_passengers", "2024-12-31", 0.1 + 0.2)], source="z")])
    lite.write(frame)
    pg.write(frame)
    assert lite.fingerprint() == pg.fingerprint()
    pd.testing.assert_frame_equal(lite.read(), pg.read())
    pd.testing.assert_frame_equal(lite.series(), pg.series())
    pg.close()


def test_sqlite_readers_are_not_blocked_by_a_writer(var_dir, monkeypatch):
    """WAL: while one store holds a write transaction open, another reads the last committed data."""
    writer, reader = Store(), Store()
    writer.write(BASE)
    inside, release = threading.Event(), threading.Event()
    real = Store._insert_chunk

    def slow(self, conn, chunk, stamp):
        real(self, conn, chunk, stamp)
        inside.set()
        assert release.wait(10)

    monkeypatch.setattr(Store, "_insert_chunk", slow)
    errors = []
    thread = threading.Thread(target=lambda: _capture(errors, writer.write, obs([(CARS, "2025-01-14", 1)], "b")))
    thread.start()
    try:
        assert inside.wait(10)
        started = time.perf_counter()
        assert Store().count() == 5  # opening a store does not wait for the writer either
        assert len(reader.read()) == 5  # the uncommitted row is not visible, and we were not blocked
        assert reader.data_kind() == "real"
        assert time.perf_counter() - started < 5
    finally:
        release.set()
        thread.join(10)
    assert not errors
    assert len(reader.read()) == 6


def test_sqlite_second_writer_waits_for_the_first(var_dir, monkeypatch):
    first, second = Store(), Store()
    inside, release = threading.Event(), threading.Event()
    real = Store._insert_chunk

    def slow(self, conn, chunk, stamp):
        real(self, conn, chunk, stamp)
        if self is first:
            inside.set()
            release.wait(10)

    monkeypatch.setattr(Store, "_insert_chunk", slow)
    errors, done_at = [], []

    def second_write():
        _capture(errors, second.write, obs([(CARS, "2025-01-14", 1)], "b"))
        done_at.append(time.perf_counter())

    t1 = threading.Thread(target=lambda: _capture(errors, first.write, BASE))
    t1.start()
    assert inside.wait(10)
    t2 = threading.Thread(target=second_write)
    t2.start()
    time.sleep(0.5)
    assert t2.is_alive() and not done_at  # the second writer is held at BEGIN IMMEDIATE, not writing
    released_at = time.perf_counter()
    release.set()
    t1.join(20)
    t2.join(20)
    assert not errors
    assert done_at and done_at[0] >= released_at  # it finished only once the first had let go
    assert first.count() == 6


def _capture(errors, fn, *args):
    try:
        fn(*args)
    except Exception as err:  # pragma: no cover - reported by the assertion
        errors.append(err)
