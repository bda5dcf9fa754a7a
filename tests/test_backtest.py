"""Backtests: the tidy frames on a synthetic series (fast) and, on the sample, the acceptance
criteria for the chosen model against the lunar-aligned baseline (slow)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_models import synthetic

from forecast import backtest, metrics
from forecast.models import BASELINE


@pytest.fixture(scope="module")
def small():
    return synthetic(end="2019-06-30")


def test_one_task_gives_the_cross_validation_frame(small):
    frame = backtest.run_task(small, "jiangxi/highway_exit_vehicles", 2019, models=("sm_regression",), nowcast_days=(10,))
    assert list(frame.columns[:5]) == ["unique_id", "season", "ds", "cutoff", "y"]
    assert len(frame) == 40 and (frame["cutoff"] == pd.Timestamp("2019-01-20")).all()
    for model in ("sm_regression", "chosen", BASELINE, "nowcast_10"):
        assert {model, f"{model}-lo-80", f"{model}-hi-80", f"{model}-lo-95", f"{model}-hi-95"} <= set(frame.columns)
    assert frame["nowcast_10"].isna().sum() == 10  # the observed days
    scored = metrics.evaluate(frame)
    assert list(scored.columns) == ["unique_id", "season", "model", "metric", "value"]
    assert {"mape", "smape", "total_error_pct", "peak_date_error_days", "peak_value_error_pct", "coverage_80",
            "coverage_95"} <= set(scored["metric"])
    now = scored[(scored["model"] == "nowcast_10") & (scored["metric"] == "total_error_pct")]["value"].iloc[0]
    pre = scored[(scored["model"] == "chosen") & (scored["metric"] == "total_error_pct")]["value"].iloc[0]
    assert abs(now) <= abs(pre) + 2.0


def test_backtest_runs_tasks_and_reports(small):
    result = backtest.backtest(small, seasons=(2018, 2019), models=("sm_regression",), nowcast_days=(), workers=1,
                               progress=False)
    assert set(result.forecasts["season"]) == {2018, 2019}
    report = result.report()
    assert report.startswith("## Backtest") and "lunar_profile" in report
    w = backtest.wins(result.metrics, seasons=(2018, 2019))
    assert list(w.columns) == ["unique_id", "wins", "seasons"] and int(w["seasons"].iloc[0]) == 2
    f = result.forecasts.copy()
    band = f["chosen-lo-80"].notna()
    first = f.index[band][:4]  # put exactly 3 of the first 4 banded days inside the band, the rest outside
    f.loc[band, "y"] = f.loc[band, "chosen-hi-80"] * 2
    f.loc[first[:3], "y"] = f.loc[first[:3], "chosen"]
    assert backtest.coverage(f, "chosen", 80, seasons=(2018, 2019)) == pytest.approx(300 / band.sum())


def test_cache_round_trip(small, tmp_path):
    result = backtest.backtest(small, seasons=(2019,), models=("sm_regression",), nowcast_days=(), workers=1, progress=False)
    backtest.save_cache(result, "ab" * 32, tmp_path)
    again = backtest.load_cache("ab" * 32, tmp_path)
    pd.testing.assert_frame_equal(again.metrics, result.metrics)
    assert backtest.load_cache("cd" * 32, tmp_path) is None


def test_cli_reuses_the_cached_full_backtest_of_the_same_data(small, var_dir, monkeypatch, caplog):
    from forecast.cli import main
    from forecast.store import Store

    caplog.set_level("INFO")
    store = Store()
    store.write(small.assign(source="test"))
    cached = backtest.backtest(small, seasons=(2019,), models=("sm_regression",), nowcast_days=(), workers=1,
                               progress=False)
    backtest.save_cache(cached, store.fingerprint())
    calls = []
    monkeypatch.setattr(backtest, "backtest", lambda *a, **k: calls.append(k) or cached)
    assert main(["backtest", "--json"]) == 0
    assert calls == [] and "cached" in caplog.text
    assert main(["backtest", "--json", "--refresh"]) == 0
    assert len(calls) == 1
    store.write(small.tail(1).assign(y=small["y"].iloc[-1] + 1, source="test"), replace=True)  # new data
    assert main(["backtest", "--json"]) == 0
    assert len(calls) == 2


KEY_SERIES = ["jiangxi/highway_exit_vehicles", "jiangxi/cross_regional_trips",
              "national/highway_exit_vehicles", "national/cross_regional_trips"]


@pytest.fixture(scope="module")
def key_backtest():
    from test_engine import _sample

    history = _sample()
    return backtest.backtest(history[history["unique_id"].isin(KEY_SERIES)], KEY_SERIES, backtest.NORMAL_SEASONS,
                             models=(), nowcast_days=(), workers=2, progress=False)


@pytest.mark.slow
def test_acceptance_chosen_beats_the_baseline_and_intervals_cover(key_backtest):
    w = backtest.wins(key_backtest.metrics).set_index("unique_id")
    for uid in KEY_SERIES:
        assert w.loc[uid, "seasons"] == 7, uid
        assert w.loc[uid, "wins"] >= 5, (uid, int(w.loc[uid, "wins"]))
    cov = backtest.coverage(key_backtest.forecasts, "chosen", 80)
    assert 70 <= cov <= 90, cov
