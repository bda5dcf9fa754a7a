"""The sample against every real published day it would have stood for (forecast.defaults drops it there).

The sample's daily shapes are not yet calibrated to the real curves (data/sample/ASSUMPTIONS.md, "Real
days win over the sample"); this measures how far they are and fails if a change takes them further.
"""

from __future__ import annotations

import pandas as pd
import pytest

from forecast import calendar, realdays, sample

# mean absolute % error of the sample on the real days of the Chunyun windows, as measured on the
# sample as generated today (2024, 2025), with a margin of one point; national series only
BOUND = {"cross_regional_trips": 9.0, "rail_passengers": 11.5, "road_passengers": 10.0, "selfdrive_trips": 12.0,
         "air_passengers": 8.0, "water_passengers": 19.0}


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    s = sample.load_sample(sample.sample_dir() / sample.SAMPLE_FILE)
    r = realdays.real_observations()
    m = r.merge(s, on=["unique_id", "ds"], suffixes=("_real", "_sample"))
    m["season"] = [calendar.season_of(d) for d in m["ds"]]
    windows = {y: (pd.Timestamp(calendar.season(y).chunyun_start), pd.Timestamp(calendar.season(y).chunyun_end))
               for y in m["season"].unique()}
    m["in_window"] = [windows[y][0] <= d <= windows[y][1] for y, d in zip(m["season"], m["ds"], strict=True)]
    m["ape"] = (m["y_sample"] / m["y_real"] - 1).abs() * 100
    return m


def test_every_real_day_has_a_sample_day_to_compare():
    s = sample.load_sample(sample.sample_dir() / sample.SAMPLE_FILE)
    r = realdays.real_observations()
    inside = r[(r["ds"] >= s["ds"].min()) & (r["ds"] <= s["ds"].max())]
    keys = set(zip(s["unique_id"], s["ds"], strict=True))
    assert all(k in keys for k in zip(inside["unique_id"], inside["ds"], strict=True))


@pytest.mark.parametrize("metric", sorted(BOUND))
def test_the_sample_stays_within_its_measured_distance_of_the_real_windows(pairs, metric):
    g = pairs[(pairs["unique_id"] == f"national/{metric}") & pairs["in_window"]]
    assert len(g) >= 10
    mape = float(g["ape"].mean())
    assert mape <= BOUND[metric], f"{metric}: the sample is {mape:.1f}% off the real days (bound {BOUND[metric]}%)"

