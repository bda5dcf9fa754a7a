"""The modes' season totals: each mode's own model or last season's shares of the total
(:mod:`forecast.mode_totals`), reconciled by the engine and chosen on real seasons
(:func:`forecast.selection.choose_mode_rule`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import intervals, mode_totals, selection
from forecast.engine import SeasonForecast, reconcile_modes
from forecast.registry import MODES, TOTAL_METRIC

DS = pd.date_range("2026-02-02", periods=40, freq="D")
SHAPE = 1.0 + 0.5 * np.sin(np.arange(40) / 6.0)
SHARES = {"rail_passengers": 0.06, "road_passengers": 0.13, "selfdrive_trips": 0.79, "air_passengers": 0.0165,
          "water_passengers": 0.0035}


def _fc(metric: str, total: float, shape=SHAPE, observed_days: int = 0) -> SeasonForecast:
    yhat = shape / shape.sum() * total
    observed = np.arange(len(DS)) < observed_days
    frame = intervals.lognormal_frame(DS, yhat, np.where(observed, 0.0, 0.1), observed)
    return SeasonForecast(f"national/{metric}", 2026, pd.Timestamp("2025-10-04"), None, "hybrid", "regression", frame,
                          float(yhat.sum()), {80: (total * 0.9, total * 1.1), 95: (total * 0.85, total * 1.15)},
                          0.05, 0.1, 0.5, float(yhat.max()), None)


def _group(mode_totals_: dict[str, float], top: float = 1000.0, observed_days: int = 0) -> dict[str, SeasonForecast]:
    group = {TOTAL_METRIC: _fc(TOTAL_METRIC, top, observed_days=observed_days)}
    group.update({m: _fc(m, t, observed_days=observed_days) for m, t in mode_totals_.items()})
    return group


OWN = {"rail_passengers": 45.0, "road_passengers": 100.0, "selfdrive_trips": 800.0, "air_passengers": 20.0,
       "water_passengers": 2.5}  # the operating modes low, as 2025's own models were


def test_last_shares_take_the_last_normal_season_every_mode_has():
    totals = {"a": pd.Series({2019: 30.0, 2021: 5.0, 2023: 20.0, 2024: 25.0}),
              "b": pd.Series({2019: 70.0, 2021: 5.0, 2023: 80.0})}
    assert mode_totals.last_shares(totals, 2025) == pytest.approx({"a": 0.2, "b": 0.8})  # 2024: b has none
    assert mode_totals.last_shares(totals, 2023) == pytest.approx({"a": 0.3, "b": 0.7})  # 2021 is a COVID season
    assert mode_totals.last_shares(totals, 2019) is None
    assert mode_totals.last_shares({}, 2025) is None


def test_shares_set_each_modes_total_and_the_modes_still_add_up_day_by_day():
    group = _group(OWN)
    reconcile_modes(group, SHARES)
    top = group[TOTAL_METRIC]
    for m in MODES:
        assert group[m].total == pytest.approx(top.total * SHARES[m] / sum(SHARES.values()), rel=1e-9), m
        assert group[m].total_model == "share"
    modes_sum = sum(group[m].frame["yhat"].to_numpy() for m in MODES)
    np.testing.assert_allclose(modes_sum, top.frame["yhat"].to_numpy(), rtol=1e-9)
    assert group[TOTAL_METRIC].total_model == "regression"


def test_without_shares_the_modes_keep_their_own_proportions():
    group = _group(OWN)
    reconcile_modes(group)
    own_sum = sum(OWN.values())
    for m in MODES:
        assert group[m].total == pytest.approx(1000.0 * OWN[m] / own_sum, rel=1e-9)
        assert group[m].total_model == "regression"


def test_in_a_nowcast_the_observed_days_stay_and_the_days_to_come_are_split_by_the_shares():
    group = _group(OWN, observed_days=3)
    observed = {m: fc.frame["yhat"].to_numpy()[:3].copy() for m, fc in group.items()}
    reconcile_modes(group, SHARES)
    top_rest = group[TOTAL_METRIC].frame["yhat"].to_numpy()[3:].sum()
    for m in MODES:
        y = group[m].frame["yhat"].to_numpy()
        np.testing.assert_array_equal(y[:3], observed[m])  # actuals are not rescaled
        assert y[3:].sum() == pytest.approx(top_rest * SHARES[m] / sum(SHARES.values()), rel=1e-9), m
        assert group[m].total == pytest.approx(y.sum()) and group[m].total_model == "share"


def test_mode_errors_score_each_rule_on_the_real_days_and_leave_the_forecasts_alone():
    group = _group(OWN)
    before = {m: fc.total for m, fc in group.items()}
    actual = {m: pd.Series(SHAPE / SHAPE.sum() * 1000.0 * SHARES[m], index=DS)[5:25] for m in MODES}
    errors = selection.mode_total_errors(group, actual, SHARES)
    assert errors["share"] == pytest.approx(0.0, abs=1e-9)
    own_sum = sum(OWN.values())
    expected_own = np.mean([abs(OWN[m] / own_sum / SHARES[m] - 1) * 100 for m in MODES])
    assert errors["own"] == pytest.approx(expected_own, rel=1e-9)
    assert {m: fc.total for m, fc in group.items()} == before
    assert selection.mode_total_errors(group, actual, None)["share"] == errors["own"]  # no shares known: no change


def test_the_rule_rests_on_the_real_seasons_before_it_and_own_stays_until_beaten():
    errors = {2024: {"own": 16.7, "share": 17.9}, 2025: {"own": 9.2, "share": 3.0}}
    first = selection.choose_mode_rule(2024, errors)
    assert first.rule == "own" and first.scores is None and "no real season" in first.reason
    r2025 = selection.choose_mode_rule(2025, errors)  # 2025's own errors play no part in its choice
    assert r2025.rule == "own" and r2025.scores == {"own": 16.7, "share": 17.9} and "2024" in r2025.reason
    r2026 = selection.choose_mode_rule(2026, errors)
    assert r2026.rule == "share" and r2026.scores == pytest.approx({"own": 12.95, "share": 10.45})
    assert "2024, 2025" in r2026.reason
    assert selection.choose_mode_rule(2026, {2025: {"own": 5.0, "share": 5.0}}).rule == "own"  # a tie keeps own
