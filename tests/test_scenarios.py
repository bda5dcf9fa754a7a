"""What-if scenarios (forecast.scenarios) on a synthetic region whose calendar effects are known.

The region's seven series share a Chunyun curve; the holiday block lifts the road series
(highway exits, self-driving, road passengers), toll-free days lift highway exits and self-driving
again, rail feels neither, and ``cross_regional_trips`` is exactly the sum of the five modes. The
base forecast of season 2019 is a nowcast (the window's first days are observed), so every
scenario also shows that observed days do not move.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from forecast import calendar, scenarios
from forecast.errors import InvalidInput, Unprocessable
from forecast.models.features import OFFICIAL, Calendar
from forecast.registry import MODES, TOTAL_METRIC

SEASON = 2019
AS_OF = pd.Timestamp("2019-01-27")  # window 2019-01-21..03-01, holiday block 02-04..02-10
ROAD = {"highway_exit_vehicles", "selfdrive_trips", "road_passengers"}
TOLL_FREE_LIFT = {"highway_exit_vehicles": 0.35, "selfdrive_trips": 0.30}
LEVELS = {"rail_passengers": 3e5, "road_passengers": 6e5, "selfdrive_trips": 2.5e6, "air_passengers": 4e4,
          "water_passengers": 1e4, "highway_exit_vehicles": 9e5}


def _history() -> pd.DataFrame:
    ds = pd.date_range("2015-01-01", "2019-06-30")
    f = calendar.day_features(ds)
    off = f["offset"].to_numpy()
    hump = 0.45 * np.exp(-(((off + 6) / 5.0) ** 2)) + 0.4 * np.exp(-(((off - 9) / 5.0) ** 2))
    t = np.arange(len(ds)) / 365.25
    rng = np.random.default_rng(12)
    series = {}
    for metric, level in LEVELS.items():
        ly = np.log(level) + 0.05 * t + hump + 0.04 * (f["weekday"].to_numpy() >= 5)
        if metric in ROAD:
            ly = ly + 0.3 * f["is_holiday"].to_numpy()
        ly = ly + TOLL_FREE_LIFT.get(metric, 0.0) * f["is_toll_free"].to_numpy()
        series[metric] = np.exp(ly + rng.normal(0, 0.02, len(ds)))
    series[TOTAL_METRIC] = sum(series[m] for m in MODES)
    return pd.concat([pd.DataFrame({"unique_id": f"jiangxi/{m}", "ds": ds, "y": y}) for m, y in series.items()],
                     ignore_index=True)


@pytest.fixture(scope="module")
def base():
    return scenarios.base_forecast(_history(), "jiangxi", SEASON, cutoff="2019-01-20", as_of=AS_OF)


def _yhat(sc_or_base, metric) -> np.ndarray:
    return sc_or_base.forecasts[metric].frame["yhat"].to_numpy(dtype=float)


def _days(base) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(base.forecasts[TOTAL_METRIC].frame["ds"])


def _observed(base) -> np.ndarray:
    return base.forecasts[TOTAL_METRIC].frame["observed"].to_numpy()


def _assert_observed_unchanged(base, sc):
    seen = _observed(base)
    assert seen.sum() == (AS_OF - pd.Timestamp("2019-01-21")).days + 1
    for metric in base.forecasts:
        assert np.array_equal(_yhat(sc, metric)[seen], _yhat(base, metric)[seen]), metric


def _assert_modes_add_up(sc):
    assert np.allclose(sum(_yhat(sc, m) for m in MODES), _yhat(sc, TOTAL_METRIC), rtol=1e-9)


def test_a_longer_holiday_raises_the_new_holiday_days_and_the_total(base):
    s = calendar.season(SEASON)
    sc = scenarios.holiday_length(base, 10)
    days = _days(base)
    added = (days > pd.Timestamp(s.holiday_end)) & (days <= pd.Timestamp(s.holiday_end) + pd.Timedelta(days=3))
    for metric in ("highway_exit_vehicles", "selfdrive_trips", TOTAL_METRIC):
        assert (_yhat(sc, metric)[added] > 1.1 * _yhat(base, metric)[added]).all(), metric
        assert sc.forecasts[metric].total > base.forecasts[metric].total * 1.01, metric
    assert sc.name == "10-day holiday" and "instead of the announced 7 days" in sc.description
    _assert_observed_unchanged(base, sc)
    _assert_modes_add_up(sc)


def test_a_shorter_holiday_lowers_the_days_it_drops(base):
    s = calendar.season(SEASON)
    sc = scenarios.holiday_length(base, 5)
    days = _days(base)
    dropped = (days > pd.Timestamp(s.holiday_start) + pd.Timedelta(days=4)) & (days <= pd.Timestamp(s.holiday_end))
    assert dropped.sum() == 2
    assert (_yhat(sc, "highway_exit_vehicles")[dropped] < 0.9 * _yhat(base, "highway_exit_vehicles")[dropped]).all()
    assert sc.forecasts["highway_exit_vehicles"].total < base.forecasts["highway_exit_vehicles"].total


def test_no_toll_free_lowers_highway_exits_on_toll_free_days_and_leaves_rail_alone(base):
    s = calendar.season(SEASON)
    sc = scenarios.no_toll_free(base)
    days = _days(base)
    toll = (days >= pd.Timestamp(s.toll_free_start)) & (days <= pd.Timestamp(s.toll_free_end))
    ratio = _yhat(sc, "highway_exit_vehicles") / _yhat(base, "highway_exit_vehicles")
    assert toll.sum() == 7 and (ratio[toll] < 0.9).all()
    assert np.allclose(ratio[~toll], 1.0, atol=0.02)
    assert sc.forecasts["highway_exit_vehicles"].total < 0.97 * base.forecasts["highway_exit_vehicles"].total
    assert np.allclose(_yhat(sc, "rail_passengers"), _yhat(base, "rail_passengers"), rtol=0.02)
    _assert_observed_unchanged(base, sc)
    _assert_modes_add_up(sc)


@pytest.mark.parametrize("points", [2.0, -3.5])
def test_growth_scales_every_unobserved_day_by_the_stated_ratio(base, points):
    sc = scenarios.growth(base, points)
    summary = base.summary()["metrics"]
    free = ~_observed(base)
    for metric in ("highway_exit_vehicles", TOTAL_METRIC):  # not modes: those are reconciled to the total after
        g = summary[metric]["yoy_pct"]
        ratio = (1 + (g + points) / 100) / (1 + g / 100)
        assert np.allclose(_yhat(sc, metric)[free] / _yhat(base, metric)[free], ratio, rtol=1e-12), metric
    assert (sc.forecasts[TOTAL_METRIC].total > base.forecasts[TOTAL_METRIC].total) == (points > 0)
    sign = "+" if points > 0 else ""
    assert sc.name == f"growth {sign}{points:g} pts"
    _assert_observed_unchanged(base, sc)
    _assert_modes_add_up(sc)


def test_storm_closes_the_days_and_recovers_the_stated_share(base):
    s = calendar.season(SEASON)
    sc = scenarios.storm(base, days=3, closure=0.6, recovery=0.7, recovery_days=4, rail_uplift=0.1)
    days = _days(base)
    first = pd.Timestamp(s.holiday_start) - pd.Timedelta(days=4)
    closed = (days >= first) & (days < first + pd.Timedelta(days=3))
    after = (days >= first + pd.Timedelta(days=3)) & (days < first + pd.Timedelta(days=7))
    assert closed.sum() == 3 and after.sum() == 4
    for metric in ROAD:
        b, n = _yhat(base, metric), _yhat(sc, metric)
        assert np.allclose(n[closed], 0.4 * b[closed], rtol=1e-12)
        assert n[after].sum() - b[after].sum() == pytest.approx(0.7 * 0.6 * b[closed].sum(), rel=1e-9)
        assert np.array_equal(n[~closed & ~after], b[~closed & ~after])
    assert np.allclose(_yhat(sc, "rail_passengers")[closed], 1.1 * _yhat(base, "rail_passengers")[closed], rtol=1e-12)
    for metric in ("air_passengers", "water_passengers"):
        assert np.array_equal(_yhat(sc, metric), _yhat(base, metric))
    assert sc.forecasts[TOTAL_METRIC].total < base.forecasts[TOTAL_METRIC].total
    _assert_observed_unchanged(base, sc)
    _assert_modes_add_up(sc)


def test_compare_sets_each_scenario_beside_the_base(base):
    what_ifs = [scenarios.growth(base, 2.0), scenarios.no_toll_free(base)]
    table = scenarios.compare(base, what_ifs)
    assert list(dict.fromkeys(table["scenario"])) == ["base", "growth +2 pts", "no toll-free days"]
    assert (table.loc[table["scenario"] == "base", "total vs base %"] == 0).all()
    wide = scenarios.compare_wide(table, "total vs base %")
    assert wide.loc["highway_exit_vehicles", "no toll-free days"] < 0 < wide.loc["highway_exit_vehicles", "growth +2 pts"]


# ---------------------------------------------------------------------------------------------
# the calendar is an input: nothing global changes


class _Spy:
    """Stands in for a fitted model: records what the process-wide calendar says while it predicts;
    with events, waits inside its second ``predict`` (the one on the changed calendar) until another
    thread has looked."""

    def __init__(self, model, inside: threading.Event | None = None, release: threading.Event | None = None):
        self.model, self.inside, self.release, self.seen = model, inside, release, []

    def predict(self, dates, *args, **kwargs):
        self.seen.append((calendar.season(SEASON), calendar.day_features(dates)))
        if self.inside is not None and len(self.seen) == 2:
            self.inside.set()
            assert self.release.wait(60)
        return self.model.predict(dates, *args, **kwargs)


def _official_view(days):
    return calendar.season(SEASON), calendar.day_features(days)


def test_a_calendar_scenario_leaves_the_global_calendar_alone(base):
    official, official_days = _official_view(_days(base))
    uid = base.forecasts["highway_exit_vehicles"].unique_id
    spy = _Spy(base.fitted[uid])
    spied = replace(base, fitted={**base.fitted, uid: spy})
    scenarios.holiday_length(spied, 10)
    assert len(spy.seen) == 2  # before and after the change
    for season, days in spy.seen:
        assert season == official
        pd.testing.assert_frame_equal(days, official_days)
    assert _official_view(_days(base))[0] == official
    pd.testing.assert_frame_equal(OFFICIAL.features(_days(base)), official_days)


def test_another_thread_sees_the_official_calendar_during_a_scenario(base):
    official, official_days = _official_view(_days(base))
    uid = base.forecasts["highway_exit_vehicles"].unique_id
    inside, release = threading.Event(), threading.Event()
    spy = _Spy(base.fitted[uid], inside, release)
    spied = replace(base, fitted={**base.fitted, uid: spy})
    result = {}
    worker = threading.Thread(target=lambda: result.update(sc=scenarios.no_toll_free(spied)))
    worker.start()
    try:
        assert inside.wait(60)
        seen = _official_view(_days(base))
        assert seen[0] == official
        pd.testing.assert_frame_equal(seen[1], official_days)
        pd.testing.assert_frame_equal(OFFICIAL.features(_days(base)), official_days)
    finally:
        release.set()
        worker.join(120)
    assert np.array_equal(_yhat(result["sc"], TOTAL_METRIC), _yhat(scenarios.no_toll_free(base), TOTAL_METRIC))


def test_scenarios_in_threads_match_the_same_scenarios_one_after_another(base):
    runs = {"long": lambda: scenarios.holiday_length(base, 10), "toll": lambda: scenarios.no_toll_free(base)}
    serial = {k: f() for k, f in runs.items()}
    parallel: dict = {}
    threads = [threading.Thread(target=lambda k=k, f=f: parallel.update({k: f()})) for k, f in runs.items() for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    for k in runs:
        for metric in base.forecasts:
            assert np.array_equal(_yhat(parallel[k], metric), _yhat(serial[k], metric)), (k, metric)


# ---------------------------------------------------------------------------------------------
# the Calendar the models take


def test_the_official_calendar_is_calendar_day_features():
    table = pd.date_range("2004-01-01", "2035-07-31")  # served from the per-process table
    shuffled = table[np.random.default_rng(0).permutation(len(table))]
    for days in (table, shuffled, pd.date_range("2003-12-01", "2035-08-03")):  # the last past both ends
        pd.testing.assert_frame_equal(OFFICIAL.features(days), calendar.day_features(days))
    assert OFFICIAL.season(2025) is calendar.season(2025)


def test_a_changed_season_moves_its_own_days_only():
    s = calendar.season(SEASON)
    longer = replace(s, holiday_end=s.holiday_end + pd.Timedelta(days=2).to_pytimedelta(), toll_free_start=None, toll_free_end=None)
    cal = OFFICIAL.replace_season(longer)
    assert cal.season(SEASON) == longer and cal.season(SEASON - 1) is calendar.season(SEASON - 1)
    days = pd.date_range("2018-01-01", "2020-06-30")
    new, old = cal.features(days), OFFICIAL.features(days)
    moved = (new != old).any(axis=1).to_numpy()
    assert set(new.loc[moved, "season"]) == {SEASON}
    added = pd.DatetimeIndex(new["ds"]).isin(pd.date_range(s.holiday_end, periods=3)[1:])
    assert new.loc[added, "is_holiday"].all() and not old.loc[added, "is_holiday"].any()
    assert new.loc[added, "days_to_holiday_end"].tolist() == [1, 0]
    assert not new.loc[new["season"] == SEASON, "is_toll_free"].any()
    assert OFFICIAL.changed == ()  # replace_season returns a new calendar


def test_predicting_on_an_unchanged_calendar_is_predicting_on_the_official_one(base):
    model = base.fitted[base.forecasts["highway_exit_vehicles"].unique_id]
    days = _days(base)
    same = OFFICIAL.replace_season(calendar.season(SEASON))
    pd.testing.assert_frame_equal(model.predict(days, cal=same), model.predict(days))


def test_a_calendar_refuses_what_it_cannot_change():
    s = calendar.season(SEASON)
    with pytest.raises(Unprocessable, match="chunyun_start"):
        Calendar((replace(s, chunyun_start=s.chunyun_start - pd.Timedelta(days=1).to_pytimedelta()),))
    with pytest.raises(InvalidInput):
        Calendar((s, s))
