"""Taking a load back: `chunyun loads`, `chunyun retract`, DELETE /v1/loads/{id}, on SQLite and
PostgreSQL. A retract restores the store to exactly its state before the load."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import API_TOKEN
from test_store import pg_url  # noqa: F401 - the fixture

from forecast.cli import main
from forecast.errors import Conflict, NotFound
from forecast.ingest import ingest_bytes
from forecast.store import Store, observations

HEADER = "date,region,metric,value\n"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, var_dir):
    s = Store() if request.param == "sqlite" else Store(request.getfixturevalue("pg_url"))
    yield s
    s.close()


def snapshot(store: Store) -> pd.DataFrame:
    """Every stored column of every row, in key order: what 'exactly the state' means."""
    o = observations.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(o.unique_id, o.ds, o.y, o.source, o.loaded_at, o.load_id)
                            .order_by(o.unique_id, o.ds)).all()
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y", "source", "loaded_at", "load_id"])


def csv(rows) -> bytes:
    return (HEADER + "".join(f"{d},{r},{m},{v}\n" for d, r, m, v in rows)).encode()


FIRST = [(f"2024-01-{d:02d}", "jiangxi", "rail_passengers", 400_000 + d) for d in range(1, 11)]
SECOND = [("2024-01-03", "jiangxi", "rail_passengers", 410_003),  # replaces a value of the first load
          ("2024-01-04", "jiangxi", "rail_passengers", 400_004),  # unchanged
          ("2024-01-11", "jiangxi", "rail_passengers", 400_011),  # new
          ("2024-01-11", "national", "air_passengers", 2_100_000)]  # new series


def test_retract_restores_exactly_the_state_before_the_load(store):
    # the sample is written without a load (as `chunyun prepare` does)
    store.write(pd.DataFrame({"unique_id": "jiangxi/air_passengers", "ds": pd.date_range("2024-01-01", periods=5),
                              "y": 50_000.0, "source": "sample"}))
    first = ingest_bytes(csv(FIRST), store, source="first")
    before = snapshot(store)
    second = ingest_bytes(csv(SECOND), store, source="second", replace=True)
    assert (second.accepted, second.replaced, second.unchanged) == (3, 1, 1)
    assert len(snapshot(store)) == len(before) + 2

    dry = store.retract(second.load_id, dry_run=True)
    assert (dry["deleted"], dry["restored"], dry["dry_run"]) == (2, 1, True)
    assert len(snapshot(store)) == len(before) + 2  # nothing changed

    done = store.retract(second.load_id)
    assert (done["deleted"], done["restored"]) == (2, 1)
    pd.testing.assert_frame_equal(snapshot(store), before)  # counts, values, sources, load times, loads

    trail = store.loads()
    assert trail["action"].tolist() == ["ingest", "ingest", "retract"]
    assert pd.isna(trail["retracted_by"].iloc[0]) and trail["retracted_by"].iloc[1] == done["retract_id"]
    assert int(trail["retracts"].iloc[2]) == second.load_id

    with pytest.raises(Conflict, match="already retracted"):
        store.retract(second.load_id)
    with pytest.raises(Conflict, match="is a retraction"):
        store.retract(done["retract_id"])
    with pytest.raises(NotFound):
        store.retract(9999)

    # the first load goes too: back to the sample alone
    store.retract(first.load_id)
    assert snapshot(store)["source"].unique().tolist() == ["sample"] and len(snapshot(store)) == 5


def test_a_load_whose_rows_were_replaced_later_waits_for_that_one(store):
    first = ingest_bytes(csv(FIRST), store, source="first")
    second = ingest_bytes(csv(SECOND), store, source="second", replace=True)
    with pytest.raises(Conflict, match=f"retract load {second.load_id} first"):
        store.retract(first.load_id)
    store.retract(second.load_id)
    store.retract(first.load_id)
    assert snapshot(store).empty


def test_a_replaced_row_deleted_since_is_not_counted_as_restored(store):
    ingest_bytes(csv(FIRST), store, source="first")
    second = ingest_bytes(csv(SECOND), store, source="second", replace=True)
    gone = pd.DataFrame({"unique_id": ["jiangxi/rail_passengers"], "ds": [pd.Timestamp("2024-01-03")]})
    assert store.delete_rows(gone, "second") == 1  # the one row the second load replaced
    done = store.retract(second.load_id)
    assert (done["deleted"], done["restored"]) == (2, 0)
    assert int(store.loads()["replaced"].iloc[-1]) == 0
    assert "2024-01-03" not in snapshot(store)["ds"].astype(str).tolist()


def test_the_sample_cannot_be_retracted(store):
    with store.engine.begin() as conn:  # a load labelled sample, as an old version could record
        conn.exec_driver_sql("INSERT INTO loads (source, loaded_at, accepted, rejected, unchanged, replaced) "
                             "VALUES ('sample', CURRENT_TIMESTAMP, 1, 0, 0, 0)")
    load_id = int(store.loads()["id"].iloc[0])
    with pytest.raises(Conflict, match="sample"):
        store.retract(load_id)


def test_old_stores_are_migrated(var_dir):
    url = f"sqlite:///{var_dir / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # the schema before load ids
        conn.exec_driver_sql("CREATE TABLE observations (unique_id TEXT NOT NULL, ds DATE NOT NULL, y FLOAT NOT NULL, "
                             "source TEXT NOT NULL, loaded_at DATETIME NOT NULL, PRIMARY KEY (unique_id, ds))")
        conn.exec_driver_sql("INSERT INTO observations VALUES ('jiangxi/rail_passengers', '2024-01-01', 5, 'old.csv', "
                             "'2024-01-02 00:00:00.000000')")
        conn.exec_driver_sql("CREATE TABLE loads (id INTEGER PRIMARY KEY, source TEXT NOT NULL, file TEXT, sha256 TEXT, "
                             "loaded_at DATETIME NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL, "
                             "unchanged INTEGER NOT NULL, replaced INTEGER NOT NULL)")
    engine.dispose()
    store = Store(url)
    report = ingest_bytes(csv(FIRST[1:3]), store, source="new")
    assert report.load_id is not None
    store.retract(report.load_id)
    assert store.read()["y"].tolist() == [5.0]


def test_loads_and_retract_commands(var_dir, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_bytes(csv(FIRST))
    assert main(["ingest", str(path)]) == 0
    capsys.readouterr()
    assert main(["loads", "--json"]) == 0
    trail = json.loads(capsys.readouterr().out)
    assert [(t["id"], t["action"], t["accepted"]) for t in trail] == [(1, "ingest", 10)]
    assert main(["retract", "1", "--dry-run"]) == 0
    assert "would retract load 1" in capsys.readouterr().out and Store().count() == 10
    assert main(["retract", "1"]) == 0
    assert "10 rows deleted" in capsys.readouterr().out and Store().count() == 0
    assert main(["retract", "1"]) == 2
    assert "already retracted" in capsys.readouterr().err
    assert main(["loads"]) == 0
    assert "retract" in capsys.readouterr().out


def test_delete_endpoint(client, auth):
    r = client.post("/v1/observations", data=csv(FIRST), content_type="text/csv", headers=auth)
    load_id = r.get_json()["load_id"]
    assert client.delete(f"/v1/loads/{load_id}").status_code == 401
    r = client.delete(f"/v1/loads/{load_id}?dry_run=true", headers=auth)
    assert r.status_code == 200 and r.get_json()["dry_run"] and Store().count() == 10
    r = client.delete(f"/v1/loads/{load_id}", headers=auth)
    assert r.status_code == 200 and r.get_json()["deleted"] == 10 and Store().count() == 0
    r = client.delete(f"/v1/loads/{load_id}", headers=auth)
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    assert client.delete("/v1/loads/12345", headers=auth).status_code == 404
    assert client.delete("/v1/loads/abc", headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 400
