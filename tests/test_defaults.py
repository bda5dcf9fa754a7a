"""The embedded default data: real published days win over the sample (forecast/defaults.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast import defaults, provenance, realdays
from forecast.store import Store

UID = "national/cross_regional_trips"


def test_real_wins_drops_the_sample_rows_real_ones_cover():
    days = pd.date_range("2025-01-14", periods=5)
    sample_rows = pd.DataFrame({"unique_id": UID, "ds": days, "y": 1.0, "source": "sample"})
    real_rows = pd.DataFrame({"unique_id": UID, "ds": days[1:3], "y": 2.0, "source": "real:x"})
    kept = defaults.real_wins(sample_rows, real_rows)
    assert list(kept["ds"]) == [days[0], days[3], days[4]]


def test_prepare_loads_real_days_where_they_exist_and_the_sample_elsewhere(var_dir):
    store = Store()
    first = defaults.load_defaults(store)
    real = realdays.real_observations()
    assert first.real == len(real) and first.sample > 50_000
    stored = store.read([UID], start="2025-01-14", end="2025-02-22")
    assert len(stored) == 40 and {provenance.source_kind(s) for s in stored["source"]} == {"real"}
    assert stored["y"].sum() / 1e8 == pytest.approx(90.21, rel=1e-3)  # the 40 published days
    on_2024 = store.read([UID], start="2024-01-26", end="2024-03-05")
    assert set(on_2024["source"].map(provenance.source_kind)) == {"real", "derived"}
    assert provenance.data_kind(store.read(["jiangxi/highway_exit_vehicles"])["source"]) == "sample"
    again = defaults.load_defaults(store)  # idempotent
    assert (again.sample, again.real, again.replaced_sample) == (0, 0, 0)


def test_a_store_holding_the_sample_at_real_keys_gets_the_real_rows(var_dir):
    from forecast import sample

    store = Store()
    store.write(sample.load_sample(sample.sample_dir() / sample.SAMPLE_FILE))  # the sample everywhere, as before
    loaded = defaults.load_defaults(store)
    assert loaded.replaced_sample > 0 and loaded.sample == 0
    day = store.read([UID], start="2025-02-03", end="2025-02-03")
    assert day["source"].iloc[0].startswith("real:") and day["y"].iloc[0] == 338_762_000


def test_the_users_own_row_is_never_overwritten(var_dir):
    store = Store()
    store.write(pd.DataFrame({"unique_id": [UID], "ds": [pd.Timestamp("2025-02-03")], "y": [1.0], "source": ["mine.csv"]}))
    loaded = defaults.load_defaults(store)
    assert loaded.conflicts == 1
    day = store.read([UID], start="2025-02-03", end="2025-02-03")
    assert (day["source"].iloc[0], day["y"].iloc[0]) == ("mine.csv", 1.0)


def test_a_store_holding_an_older_sample_gets_the_new_values_and_keeps_the_users_rows(var_dir):
    from forecast import sample

    store = Store()
    defaults.load_defaults(store)
    uid, days = "jiangxi/highway_exit_vehicles", pd.date_range("2025-01-20", periods=5)
    committed = store.read([uid], start=days[0], end=days[-1])
    older = committed.assign(y=committed["y"] * 0.9)  # what an older sample had written
    store.delete_rows(committed, provenance.SAMPLE)
    store.write(older.iloc[:4])
    store.write(pd.DataFrame({"unique_id": [uid], "ds": [days[4]], "y": [7.0], "source": ["mine.csv"]}))
    loaded = defaults.load_defaults(store)
    assert (loaded.refreshed_sample, loaded.sample) == (4, 0)
    now = store.read([uid], start=days[0], end=days[-1]).set_index("ds")
    assert list(now["y"].iloc[:4]) == list(committed["y"].iloc[:4])
    assert (now["source"].iloc[4], now["y"].iloc[4]) == ("mine.csv", 7.0)
    assert defaults.load_defaults(store).refreshed_sample == 0  # idempotent
    assert len(store.read([uid])) == len(sample.load_sample(sample.sample_dir() / sample.SAMPLE_FILE)
                                          .query("unique_id == @uid"))
