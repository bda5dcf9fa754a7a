"""The engine: reconciliation, modes, nowcast, peak odds, the summary contract, and (slow) the
acceptance figures on the calibrated sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_models import synthetic

from forecast import calendar
from forecast.engine import (
    _peak_stats,
    forecast_distribution,
    forecast_series,
    reconcile_modes,
    region_season,
    season_forecast,
    summarize,
)
from forecast.errors import InvalidInput, NotFound, Unprocessable
from forecast.registry import METRICS, MODES, TOTAL_METRIC

SHARES = {"rail_passengers": 0.05, "road_passengers": 0.1, "selfdrive_trips": 0.8, "air_passengers": 0.01,
          "water_passengers": 0.04}
SUMMARY_KEYS = {"unit", "total", "total_lower", "total_upper", "yoy_pct", "daily_avg", "peak_date", "peak_value",
                "peak_probabilities", "p_record", "model"}


def synthetic_region(region="jiangxi", end="2019-06-30") -> pd.DataFrame:
    frames = []
    for i, (metric, share) in enumerate(SHARES.items()):
        s = synthetic(end=end, seed=i + 1, level=1e6 * share)
        frames.append(s.assign(unique_id=f"{region}/{metric}"))
    modes = pd.concat(frames)
    total = modes.groupby("ds", as_index=False)["y"].sum().assign(unique_id=f"{region}/{TOTAL_METRIC}")
    highway = synthetic(end=end, seed=9, level=4e5).assign(unique_id=f"{region}/highway_exit_vehicles")
    return pd.concat([modes, total, highway], ignore_index=True).assign(source="sample")


@pytest.fixture(scope="module")
def region_history():
    return synthetic_region()


@pytest.fixture(scope="module")
def forecasts(region_history):
    return region_season(region_history, "jiangxi", 2019, "2019-01-20")


def test_daily_forecast_adds_up_to_the_season_total(region_history):
    fc = season_forecast(region_history, "jiangxi/highway_exit_vehicles", 2019, "2019-01-20")
    assert len(fc.frame) == 40
    assert fc.frame["yhat"].sum() == pytest.approx(fc.total, rel=1e-9)
    assert fc.cutoff == pd.Timestamp("2019-01-20")
    lo, hi = fc.total_bounds[80]
    lo95, hi95 = fc.total_bounds[95]
    assert lo95 < lo < fc.total < hi < hi95


def test_cutoff_inside_the_window_is_capped_and_nowcasts(region_history):
    start = pd.Timestamp(calendar.season(2019).chunyun_start)
    as_of = start + pd.Timedelta(days=9)
    pre = season_forecast(region_history, "jiangxi/highway_exit_vehicles", 2019)  # data end is after the season
    assert pre.cutoff == start - pd.Timedelta(days=1)
    assert pre.frame["observed"].all() and pre.total_bounds[80][0] == pytest.approx(pre.total)
    now = season_forecast(region_history, "jiangxi/highway_exit_vehicles", 2019, as_of=as_of)
    seen = now.frame[now.frame["observed"]]
    assert len(seen) == 10 and seen["ds"].max() == as_of
    actual = region_history[region_history["unique_id"] == "jiangxi/highway_exit_vehicles"].set_index("ds")["y"]
    assert np.allclose(seen["yhat"].to_numpy(), actual.reindex(seen["ds"]).to_numpy())
    fresh = season_forecast(region_history, "jiangxi/highway_exit_vehicles", 2019, start - pd.Timedelta(days=1))
    width = lambda fc: fc.total_bounds[80][1] / fc.total_bounds[80][0]  # noqa: E731
    assert width(now) < width(fresh)
    assert now.model.endswith("+nowcast")


def test_modes_add_up_to_the_total_every_day(forecasts):
    total = forecasts[TOTAL_METRIC].frame["yhat"].to_numpy()
    modes = sum(forecasts[m].frame["yhat"].to_numpy() for m in MODES)
    assert np.allclose(modes, total, rtol=1e-9)
    assert sum(forecasts[m].total for m in MODES) == pytest.approx(forecasts[TOTAL_METRIC].total, rel=1e-9)


def test_summary_contract(region_history):
    s = summarize(region_history, "江西", 2019, cutoff="2019-01-20")
    assert set(s) == {"region", "season", "cutoff", "data_kind", "actuals_kind", "run_id", "metrics"}
    assert s["region"] == "jiangxi" and s["season"] == 2019 and s["cutoff"] == "2019-01-20"
    assert s["data_kind"] == "sample" and s["actuals_kind"] == "sample" and s["run_id"] is None
    assert set(s["metrics"]) == set(METRICS)
    for metric, m in s["metrics"].items():
        assert set(m) == SUMMARY_KEYS | {"history_kind", "actuals_kind"}
        assert m["history_kind"] == m["actuals_kind"] == "sample"
        assert m["unit"] == METRICS[metric].unit
        assert m["total_lower"] < m["total"] < m["total_upper"]
        assert m["daily_avg"] == pytest.approx(m["total"] / 40)
        probs = [p["p"] for p in m["peak_probabilities"]]
        assert 1 <= len(probs) <= 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-9
        assert 0 <= m["p_record"] <= 1
        assert isinstance(m["yoy_pct"], float)
    hw = s["metrics"]["highway_exit_vehicles"]
    assert hw["peak_date"] == "2019-02-10"  # the last day of the 2019 holiday block (02-04..02-10)


def test_forecast_series_and_distribution(region_history):
    uid = "jiangxi/highway_exit_vehicles"
    rows = forecast_series(region_history, uid, "2019-02-01", "2019-03-20", cutoff="2019-01-20", level=95)
    assert list(rows.columns) == ["unique_id", "ds", "yhat", "yhat_lower", "yhat_upper"]
    assert len(rows) == 48 and (rows["yhat_lower"] < rows["yhat"]).all()
    season = forecast_series(region_history, uid, season=2019, cutoff="2019-01-20")
    assert len(season) == 40
    dist = forecast_distribution(region_history, uid, 2019, cutoff="2019-01-20", n=500)
    assert {"mean", "median", "p10", "p90", "p2_5", "p97_5"} <= set(dist.columns)
    assert (dist["p2_5"] <= dist["p10"]).all() and (dist["p90"] <= dist["p97_5"]).all()
    with pytest.raises(InvalidInput):
        forecast_series(region_history, uid, "2019-03-01", "2019-02-01")
    with pytest.raises(Unprocessable):
        forecast_series(region_history, uid, "2019-01-01", "2022-01-01")
    with pytest.raises(NotFound):
        forecast_series(region_history, "jiangxi/nothing_here", season=2019)


# ------------------------------------------------------------------------------------------------
# acceptance on the calibrated sample (slow: fits every series of two regions)

def _sample() -> pd.DataFrame:
    from forecast import sample
    from forecast.errors import NotFound as Missing

    try:
        frame = sample.load_sample()
    except (Missing, FileNotFoundError):
        frame = sample.generate()
    return frame.assign(source="sample") if "source" not in frame.columns else frame


@pytest.fixture(scope="module")
def sample_history():
    return _sample()


@pytest.fixture(scope="module")
def jiangxi_2025(sample_history):
    return summarize(sample_history[sample_history["unique_id"].str.startswith("jiangxi/")], "jiangxi", 2025,
                     cutoff="2025-01-13", workers=2)


@pytest.fixture(scope="module")
def national_2025(sample_history):
    return summarize(sample_history[sample_history["unique_id"].str.startswith("national/")], "national", 2025,
                     cutoff="2025-01-13", workers=2)


@pytest.mark.slow
def test_acceptance_jiangxi_2025(jiangxi_2025):
    m = jiangxi_2025["metrics"]
    assert jiangxi_2025["cutoff"] == "2025-01-13" and jiangxi_2025["data_kind"] == "sample"
    assert abs(m["cross_regional_trips"]["total"] / 3.5e8 - 1) <= 0.03
    hw = m["highway_exit_vehicles"]
    assert abs(hw["total"] / 5.1e7 - 1) <= 0.05
    assert hw["peak_date"] == "2025-02-04"
    assert abs(hw["peak_value"] / 2.5e6 - 1) <= 0.10
    for metric, v in m.items():
        assert v["total_lower"] <= v["total"] <= v["total_upper"], metric


@pytest.mark.slow
def test_acceptance_national_2025(national_2025):
    m = national_2025["metrics"]
    assert abs(m["cross_regional_trips"]["total"] / 9.02e9 - 1) <= 0.03
    for metric, v in m.items():
        assert v["total_lower"] <= v["total"] <= v["total_upper"], metric


def test_peak_odds_of_a_reconciled_mode_follow_its_reconciled_curve(region_history):
    """Reconciliation rescales a mode's curve once; the simulated paths behind the peak odds and
    p_record must sit around that curve, not be rescaled a second time."""
    fcs = {m: season_forecast(region_history, f"jiangxi/{m}", 2019, "2019-01-20") for m in (TOTAL_METRIC, *MODES)}
    top = fcs[TOTAL_METRIC].frame
    for col in ("yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95"):
        top[col] = top[col] * 2.0  # the total says twice what the modes add up to
    rail = reconcile_modes(fcs)["rail_passengers"]
    assert rail.extra["reconcile_ratio"].mean() == pytest.approx(2.0, rel=0.05)
    curve = rail.frame["yhat"].to_numpy()
    assert np.median(rail.paths(), axis=0) == pytest.approx(curve, rel=0.05)
    rail.record = 1.3 * curve.max()  # a record above the curve's peak: rarely broken by paths around it
    _, p_record = _peak_stats(rail)
    assert p_record < 0.5
