"""Daily models, metrics and season-total models on a small synthetic series (fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import calendar, metrics
from forecast.errors import InvalidInput, Unprocessable
from forecast.models import MODELS, from_json, make
from forecast.models.features import design, regression_columns, season_dates
from forecast.models.profile import aligned_dates, recent_growth
from forecast.season_totals import basis_shift, forecast_total, history_totals


def synthetic(start="2015-01-01", end="2019-06-30", seed=0, level=1e6, growth=0.06) -> pd.DataFrame:
    """log y = level + growth + yearly wave + a Spring Festival profile + holiday effects + noise."""
    ds = pd.date_range(start, end)
    f = calendar.day_features(ds)
    rng = np.random.default_rng(seed)
    t = np.arange(len(ds)) / 365.25
    off = f["offset"].to_numpy()
    prof = 0.5 * np.exp(-(((off + 5) / 6.0) ** 2)) + 0.35 * np.exp(-(((off - 8) / 5.0) ** 2))
    hol, dte = f["is_holiday"].to_numpy(), f["days_to_holiday_end"].to_numpy()
    prof = prof + np.where(hol & (dte == 0), 0.25, 0.0) - np.where(hol & (dte > 0), 0.15, 0.0)
    ly = (np.log(level) + growth * t + 0.05 * np.sin(2 * np.pi * ds.dayofyear.to_numpy() / 365) + prof
          + 0.03 * (f["weekday"].to_numpy() >= 5) + rng.normal(0, 0.03, len(ds)))
    return pd.DataFrame({"unique_id": "jiangxi/highway_exit_vehicles", "ds": ds, "y": np.exp(ly)})


@pytest.fixture(scope="module")
def history():
    return synthetic()


@pytest.fixture(scope="module")
def fitted(history):
    train = history[history["ds"] < pd.Timestamp(calendar.season(2019).chunyun_start)]
    return {name: make(name).fit(train) for name in ("sm_regression", "hybrid", "lunar_profile")}


@pytest.mark.slow
def test_prophet_contract_and_json(history):
    train = history[history["ds"] < pd.Timestamp(calendar.season(2019).chunyun_start)]
    model = make("prophet").fit(train)
    dates = season_dates(2019)
    out = model.predict(dates)
    assert list(out.columns) == ["ds", "yhat", "yhat_lower", "yhat_upper"] and len(out) == 40
    pd.testing.assert_frame_equal(out, from_json(model.to_json()).predict(dates))


def test_design_has_every_column_and_marks_the_2025_return_peak():
    x = design(pd.date_range("2025-01-20", "2025-02-10"))
    assert list(x.columns) == regression_columns()
    assert x.loc["2025-02-04", "hol_end_0"] == 1 and x["hol_end_0"].sum() == 1
    assert x.loc["2025-01-26", "makeup"] == 1
    assert np.allclose(x.filter(like="sf_").sum(axis=1), 1.0)  # hat functions partition unity


@pytest.mark.parametrize("name", ["sm_regression", "hybrid", "lunar_profile"])
def test_predict_contract(fitted, history, name):
    model = fitted[name]
    dates = season_dates(2019)
    out = model.predict(dates)
    assert list(out.columns) == ["ds", "yhat", "yhat_lower", "yhat_upper"]
    assert len(out) == len(dates) and out["ds"].tolist() == list(dates)
    assert (out["yhat_lower"] < out["yhat"]).all() and (out["yhat"] < out["yhat_upper"]).all()
    wide = model.predict(dates, level=95)
    assert (wide["yhat_upper"] > out["yhat_upper"]).all()
    actual = history.set_index("ds")["y"].reindex(dates)
    assert (np.abs(out["yhat"].to_numpy() / actual.to_numpy() - 1)).mean() < 0.15
    with pytest.raises(Unprocessable):
        model.predict(dates, level=90)


@pytest.mark.parametrize("name", ["sm_regression", "hybrid", "lunar_profile"])
def test_json_round_trip_gives_the_same_forecast(fitted, name):
    model = fitted[name]
    dates = pd.date_range("2019-01-20", "2019-04-30")
    again = from_json(model.to_json())
    assert type(again) is type(model)
    pd.testing.assert_frame_equal(model.predict(dates), again.predict(dates))


def test_sample_paths_centre_on_the_forecast(fitted):
    model = fitted["sm_regression"]
    dates = season_dates(2019)
    paths = model.sample_paths(dates, 2000, np.random.default_rng(0))
    assert paths.shape == (2000, len(dates))
    ratio = np.median(paths, axis=0) / model.predict(dates)["yhat"].to_numpy()
    assert np.abs(ratio - 1).max() < 0.03


def test_fit_validates_its_input():
    model = make("sm_regression")
    with pytest.raises(Unprocessable):
        model.predict(pd.date_range("2020-01-01", periods=3))  # not fitted
    two = pd.concat([synthetic(end="2015-06-30"), synthetic(end="2015-06-30").assign(unique_id="x/y")])
    with pytest.raises(InvalidInput):
        model.fit(two)
    bad = synthetic(end="2015-06-30")
    bad.loc[3, "y"] = -1
    with pytest.raises(InvalidInput):
        model.fit(bad)
    assert set(MODELS) == {"prophet", "sm_regression", "hybrid", "lunar_profile", "lunar_real", "real_anchored", "real_blend"}


def test_lunar_alignment_puts_last_holiday_day_on_last_holiday_day():
    # 2025's block: 01-28 (除夕) .. 02-04; 2024's: 02-10 (初一) .. 02-17
    got = aligned_dates(pd.DatetimeIndex(["2025-02-04", "2025-01-28", "2025-01-27", "2025-02-05"]), 2024)
    assert list(got) == [pd.Timestamp(d) for d in ("2024-02-17", "2024-02-10", "2024-02-09", "2024-02-18")]


def test_recent_growth_recovers_the_trend(history):
    g = recent_growth(history[["ds", "y"]], pd.Timestamp("2018-12-31"))
    assert abs(g - np.exp(0.06)) < 0.03


def test_season_totals_and_total_forecast(history):
    totals = history_totals(history)
    assert list(totals.index) == [2015, 2016, 2017, 2018, 2019]
    cut = pd.Timestamp(calendar.season(2019).chunyun_start) - pd.Timedelta(days=1)
    tf = forecast_total(history, 2019, cut)
    assert abs(tf.total / totals[2019] - 1) < 0.06
    lo, hi = tf.bounds(80)
    lo95, hi95 = tf.bounds(95)
    assert lo95 < lo < tf.total < hi < hi95


def test_basis_shift_is_found_only_where_there_is_one():
    s = pd.Series({y: 100 * 1.05 ** (y - 2015) for y in (2015, 2016, 2017, 2018, 2019, 2023)})
    assert basis_shift(s) is None
    s[2024] = s[2023] * 1.8
    assert basis_shift(s) == 2024


def test_metrics_on_a_hand_made_frame():
    df = pd.DataFrame({"unique_id": "a/b", "season": 2025, "ds": pd.date_range("2025-01-01", periods=4),
                       "y": [100.0, 200.0, 100.0, 100.0], "m": [110.0, 180.0, 100.0, np.nan],
                       "m-lo-80": [90.0, 150.0, 101.0, np.nan], "m-hi-80": [120.0, 250.0, 120.0, np.nan]})
    out = metrics.evaluate(df).set_index("metric")["value"]
    assert out["mape"] == pytest.approx((10 + 10 + 0) / 3)
    assert out["total_error_pct"] == pytest.approx((490 / 500 - 1) * 100)  # NaN day counts as observed
    assert out["peak_date_error_days"] == 0
    assert out["peak_value_error_pct"] == pytest.approx(-10)
    assert out["coverage_80"] == pytest.approx(200 / 3)
    assert set(metrics.evaluate(df)["model"]) == {"m"}
