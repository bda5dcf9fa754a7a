"""The nowcast's in-season update (:mod:`forecast.nowcast`): the level ratio plus the last observed
day's deviation carried forward as an AR(1), and its use by the engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_models import synthetic

from forecast import calendar, nowcast
from forecast.engine import NOWCAST_SHRINK_DAYS, fit_series, season_forecast

DAYS = 40


def _arrays(n_seen: int, actual_of_day):
    forecast = np.full(DAYS, 100.0)
    actual = np.array([actual_of_day(i) for i in range(DAYS)], dtype=float)
    observed = np.arange(DAYS) < n_seen
    return forecast, np.where(observed, actual, np.nan), observed


def test_recent_errors_move_the_next_day_by_phi_times_their_deviation_from_the_level():
    # nine days on forecast, then one day 10% above: tomorrow moves toward +10% by phi of the gap
    forecast, actual, observed = _arrays(10, lambda i: 110.0 if i == 9 else 100.0)
    phi = 0.8
    up = nowcast.update(forecast, actual, observed, phi, level_sd=0.05)
    w = 10 / (10 + nowcast.SHRINK_DAYS)
    level = w * math.log(1010.0 / 1000.0)
    assert up.level == pytest.approx(level) and up.weight == pytest.approx(w)
    expect = 100.0 * math.exp(level + phi * (math.log(1.1) - level))
    assert up.yhat[10] == pytest.approx(expect)
    assert 100.0 * math.exp(level) < up.yhat[10] < 110.0
    # and decays towards the level as phi**h
    for h in (2, 5, 20):
        assert up.yhat[9 + h] == pytest.approx(100.0 * math.exp(level + phi**h * (math.log(1.1) - level)))
    assert up.yhat[-1] == pytest.approx(100.0 * math.exp(level), rel=1e-3)


def test_a_constant_error_of_ten_percent_is_followed_more_than_the_shrunk_level_alone():
    forecast, actual, observed = _arrays(5, lambda i: 110.0)
    phi = 0.9
    up = nowcast.update(forecast, actual, observed, phi, level_sd=0.05)
    w = 5 / (5 + nowcast.SHRINK_DAYS)
    log_next = w * math.log(1.1) + phi * (1 - w) * math.log(1.1)
    assert math.log(up.yhat[5] / 100.0) == pytest.approx(log_next)
    assert up.log_ratio[5] > math.log(nowcast.update(forecast, actual, observed, 0.0, 0.05).yhat[5] / 100.0)


def test_phi_zero_is_the_single_level_ratio_of_the_earlier_rule():
    rng = np.random.default_rng(3)
    forecast = rng.uniform(80, 120, DAYS)
    actual = forecast * np.exp(rng.normal(0.03, 0.05, DAYS))
    observed = np.arange(DAYS) < 12
    up = nowcast.update(forecast, np.where(observed, actual, np.nan), observed, 0.0, level_sd=0.06)
    w = 12 / (12 + NOWCAST_SHRINK_DAYS)
    ratio = math.exp(w * math.log(actual[:12].sum() / forecast[:12].sum()))
    assert np.allclose(up.yhat[12:], forecast[12:] * ratio)
    assert up.level_sd == pytest.approx(0.06 * math.sqrt(1 - w))


def test_no_observed_day_leaves_the_forecast_unchanged():
    forecast, actual, observed = _arrays(0, lambda i: 130.0)
    up = nowcast.update(forecast, actual, observed, 0.9, level_sd=0.07)
    assert np.array_equal(up.yhat, forecast) and up.level_sd == 0.07 and not up.log_ratio.any()


def test_observed_days_keep_their_actuals_and_later_actuals_are_not_used():
    forecast, actual, observed = _arrays(10, lambda i: 100.0 + i)
    up = nowcast.update(forecast, actual, observed, 0.8, level_sd=0.05)
    assert np.array_equal(up.yhat[:10], actual[:10]) and not up.log_ratio[:10].any()
    # what happens after the information date cannot leak into the forecast
    leaked = nowcast.update(forecast, np.array([100.0 + i for i in range(DAYS)]), observed, 0.8, level_sd=0.05)
    assert np.array_equal(leaked.yhat, up.yhat)


def test_a_gap_decays_from_the_observed_day_before_it():
    forecast = np.full(DAYS, 100.0)
    observed = np.zeros(DAYS, dtype=bool)
    observed[[0, 1, 2, 6]] = True
    actual = np.where(observed, 100.0, np.nan)
    actual[2] = 120.0
    up = nowcast.update(forecast, actual, observed, 0.5, level_sd=0.05)
    dev = math.log(1.2) - up.level
    assert up.log_ratio[3] == pytest.approx(up.level + 0.5 * dev)
    assert up.log_ratio[5] == pytest.approx(up.level + 0.125 * dev)
    assert up.log_ratio[7] == pytest.approx(up.level + 0.5 * (0.0 - up.level))  # from day 6 on


@pytest.fixture(scope="module")
def history():
    return synthetic(end="2019-06-30", seed=4).assign(source="sample")


def test_the_engine_keeps_actuals_and_the_total_is_observed_plus_the_rest(history):
    uid = "jiangxi/highway_exit_vehicles"
    start = pd.Timestamp(calendar.season(2019).chunyun_start)
    bumped = history.copy()
    day = start + pd.Timedelta(days=9)
    bumped.loc[bumped["ds"] == day, "y"] *= 1.15  # the last observed day 15% above the forecast
    fitted = fit_series(bumped, uid, calendar.season(2019).cutoff)
    fitted.phi_ = 0.7  # the synthetic's noise is white: give the model a persistent residual
    new = season_forecast(bumped, uid, 2019, as_of=day, fitted=fitted, nowcast_phi=None)  # the model's phi_
    assert np.array_equal(new.frame["yhat"], season_forecast(bumped, uid, 2019, as_of=day, fitted=fitted,
                                                             nowcast_phi=0.7).frame["yhat"])
    old = season_forecast(bumped, uid, 2019, as_of=day, fitted=fitted)  # the default: one level ratio
    assert np.array_equal(old.frame["yhat"], season_forecast(bumped, uid, 2019, as_of=day, fitted=fitted,
                                                             nowcast_phi=0.0).frame["yhat"])
    f, o = new.frame, old.frame
    assert new.as_of == day
    seen = f["observed"].to_numpy()
    assert seen.sum() == 10 and np.array_equal(f["yhat"].to_numpy()[seen], o["yhat"].to_numpy()[seen])
    actual = bumped.set_index("ds")["y"].reindex(f["ds"][seen]).to_numpy()
    assert np.allclose(f["yhat"].to_numpy()[seen], actual)
    assert new.total == pytest.approx(actual.sum() + f["yhat"].to_numpy()[~seen].sum())
    # the day after moves towards the bump, far days keep the level ratio of the old rule
    ratio = f["yhat"].to_numpy() / o["yhat"].to_numpy()
    assert ratio[10] > ratio[11] > ratio[15] > ratio[-1] > 1.0
    assert math.log(ratio[11]) == pytest.approx(0.7 * math.log(ratio[10]))
    assert ratio[-1] == pytest.approx(1.0, abs=1e-4)
    # the day spread is the old rule's (relative width unchanged); the total's bounds stay coherent
    width = lambda fr: fr["yhat_upper_80"] / fr["yhat_lower_80"]  # noqa: E731
    assert np.allclose(width(f)[~seen], width(o)[~seen])
    for lvl in (80, 95):
        lo, hi = new.total_bounds[lvl]
        assert actual.sum() < lo < new.total < hi
    assert new.total_bounds[95][0] < new.total_bounds[80][0]


def test_without_actuals_in_the_window_the_forecast_is_the_same_for_both_rules(history):
    uid = "jiangxi/highway_exit_vehicles"
    eve = calendar.season(2019).cutoff
    a = season_forecast(history, uid, 2019, as_of=eve, nowcast_phi=None)
    b = season_forecast(history, uid, 2019, as_of=eve)
    assert a.as_of is None and np.array_equal(a.frame["yhat"], b.frame["yhat"]) and a.total == b.total


def test_a_fitted_model_given_without_its_name_is_the_one_that_forecasts():
    """``season_forecast(fitted=m)`` forecasts with ``m``, not with the engine's default fitted again:
    the served 2026 forecasts were once the default's because train passed the model but not its name."""
    history = synthetic()
    uid = "jiangxi/highway_exit_vehicles"
    cut = calendar.season(2019).cutoff
    fitted = fit_series(history, uid, cut, "lunar_profile")
    fc = season_forecast(history, uid, 2019, cut, fitted=fitted)
    assert fc.daily_model == "lunar_profile" != fit_series(history, uid, cut).name
    named = season_forecast(history, uid, 2019, cut, model="lunar_profile", fitted=fitted)
    assert np.array_equal(fc.frame["yhat"], named.frame["yhat"])
