"""The sample against every real published day it would have stood for (forecast.defaults drops it there).

Seasons 2024 and 2025 are shaped by the real national days public before the next season opened
(forecast/sample/realshape.py, data/sample/ASSUMPTIONS.md §6a): all 40 days of 2025, but only the 11
``ok`` days of 2024 published in 2024 (the other 2024 days were derived from the 2025 pages, published
from 2025-01-16, and may not shape season 2024). The bounds are the distances measured on the sample
as generated, with a margin of about one point; the sample's hand-set shapes alone were 6.2% (2025)
and 8.7% (2024) off on cross-regional trips and fail these bounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import calendar, realdays, sample

# mean absolute % error of the national sample on the real days of the window (measured: 2025
# 0.52 / 0.68 / 1.50 / 0.57 / 0.65 / 3.45; 2024 4.90 / 7.41 / 5.46 / 5.50 / 0.91 / 7.88;
# hand-set shapes: 2025 6.21 / 9.51 / 5.57 / 7.62 / 2.66 / 8.21, 2024 8.68 / 8.35 / 8.53 / 11.39 / 2.18 / 11.03)
METRICS = ("cross_regional_trips", "rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers",
           "water_passengers")
BOUND = {2025: dict(zip(METRICS, (1.5, 1.5, 2.5, 1.5, 1.5, 4.5), strict=True)),
         2024: dict(zip(METRICS, (6.0, 8.5, 6.5, 6.5, 2.0, 9.0), strict=True))}
MAX_APE_2025 = 11.0  # the worst 2025 day (measured 10.1%, road on day one; hand-set: 21% to 50%)
# correlation of each Jiangxi series' window with the real national curve of its mode (expressway
# exits: self-driving), on the real days (measured: 2025 0.916..0.987, 2024 0.810..0.972, mean 0.917;
# hand-set: 2025 0.758..0.965, 2024 0.674..0.959, mean 0.850)
MIN_CORR = {2025: 0.9, 2024: 0.8}
MEAN_CORR_2024 = 0.9
SOURCE = {"highway_exit_vehicles": "selfdrive_trips"}


@pytest.fixture(scope="module")
def committed() -> pd.DataFrame:
    return sample.load_sample(sample.sample_dir() / sample.SAMPLE_FILE)


@pytest.fixture(scope="module")
def pairs(committed) -> pd.DataFrame:
    r = realdays.real_observations()
    m = r.merge(committed, on=["unique_id", "ds"], suffixes=("_real", "_sample"))
    m["season"] = [calendar.season_of(d) for d in m["ds"]]
    windows = {y: (pd.Timestamp(calendar.season(y).chunyun_start), pd.Timestamp(calendar.season(y).chunyun_end))
               for y in m["season"].unique()}
    m["in_window"] = [windows[y][0] <= d <= windows[y][1] for y, d in zip(m["season"], m["ds"], strict=True)]
    m["ape"] = (m["y_sample"] / m["y_real"] - 1).abs() * 100
    return m


def test_every_real_day_has_a_sample_day_to_compare(committed):
    r = realdays.real_observations()
    inside = r[(r["ds"] >= committed["ds"].min()) & (r["ds"] <= committed["ds"].max())]
    keys = set(zip(committed["unique_id"], committed["ds"], strict=True))
    assert all(k in keys for k in zip(inside["unique_id"], inside["ds"], strict=True))


@pytest.mark.parametrize("season", sorted(BOUND))
@pytest.mark.parametrize("metric", METRICS)
def test_the_national_sample_follows_the_real_days_of_its_window(pairs, season, metric):
    g = pairs[(pairs["unique_id"] == f"national/{metric}") & pairs["in_window"] & (pairs["season"] == season)]
    assert len(g) >= (40 if season == 2025 else 10)
    mape = float(g["ape"].mean())
    assert mape <= BOUND[season][metric], f"{metric} {season}: {mape:.2f}% off the real days (bound {BOUND[season][metric]}%)"
    if season == 2025:
        assert g["ape"].max() <= MAX_APE_2025, g.loc[g["ape"].idxmax(), ["ds", "ape"]].tolist()


def _correlations(committed: pd.DataFrame, season: int) -> dict[str, float]:
    wide = committed.pivot(index="ds", columns="unique_id", values="y")
    real = realdays.real_observations().pivot(index="ds", columns="unique_id", values="y")
    s = calendar.season(season)
    days = pd.date_range(s.chunyun_start, s.chunyun_end)
    out = {}
    for metric in (*METRICS, "highway_exit_vehicles"):
        r = real.reindex(days)[f"national/{SOURCE.get(metric, metric)}"].dropna()
        out[metric] = float(np.corrcoef(wide.loc[r.index, f"jiangxi/{metric}"], r)[0, 1])
    return out


@pytest.mark.parametrize("season", sorted(MIN_CORR))
def test_jiangxi_seasons_follow_the_real_national_curve(committed, season):
    corr = _correlations(committed, season)
    low = {m: round(c, 3) for m, c in corr.items() if c < MIN_CORR[season]}
    assert not low, f"Jiangxi {season} below {MIN_CORR[season]}: {low}"
    if season == 2024:
        assert np.mean(list(corr.values())) >= MEAN_CORR_2024, corr
