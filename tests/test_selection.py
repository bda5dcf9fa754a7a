"""Choosing the daily model on real days, and calibrating its intervals there (forecast/selection.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import selection
from forecast.engine import daily_model_for

UID = "national/cross_regional_trips"


def _frame(errors, base: float = 1e8) -> pd.DataFrame:
    errors = np.asarray(errors, dtype=float)
    y = np.full(len(errors), base)
    return pd.DataFrame({"ds": pd.date_range("2024-01-26", periods=len(errors)), "y": y, "yhat": y * (1 + errors)})


def test_without_a_real_season_before_the_default_model_stays():
    scored = {2025: {"lunar_real": _frame([0.1] * 5), "real_blend": _frame([0.01] * 5)}}
    choice = selection.choose(UID, 2025, scored)  # 2025's own scores may not choose 2025's model
    assert choice.model == daily_model_for(UID) and choice.sigma is None


def test_the_naive_stays_until_something_beats_it():
    scored = {2024: {"lunar_real": _frame([0.05, -0.05]), "real_anchored": _frame([0.05, -0.05]),
                     "hybrid": _frame([0.08, -0.08])}}
    choice = selection.choose(UID, 2025, scored)
    assert choice.model == "lunar_real" and "naive" in choice.reason  # a tie does not beat the naive
    scored[2024]["real_anchored"] = _frame([0.02, -0.02])
    choice = selection.choose(UID, 2025, scored)
    assert choice.model == "real_anchored" and choice.scores["real_anchored"] == pytest.approx(2.0)


def test_the_choice_averages_every_real_season_before_it():
    scored = {2024: {"lunar_real": _frame([0.10]), "real_blend": _frame([0.02])},
              2025: {"lunar_real": _frame([0.01]), "real_blend": _frame([0.12])}}
    assert selection.choose(UID, 2025, scored).model == "real_blend"  # 2024 only
    assert selection.choose(UID, 2026, scored).model == "lunar_real"  # mean 5.5% against 7%


def test_calibrated_sigma_is_the_shape_error_without_the_level():
    level_only = _frame([0.10, 0.10, 0.10])
    assert selection.calibrated_sigma([level_only]) == selection.MIN_SIGMA
    shape = _frame([0.10, -0.10, 0.10, -0.10])
    logs = np.log(1 / np.array([1.1, 0.9, 1.1, 0.9]))
    assert selection.calibrated_sigma([shape]) == pytest.approx(np.sqrt(np.mean((logs - logs.mean()) ** 2)))


def test_real_actuals_keep_only_rows_that_are_not_the_sample():
    days = pd.date_range("2025-01-14", periods=40)
    series = pd.DataFrame({"ds": days, "y": 1.0, "source": ["sample"] * 10 + ["real:x"] * 25 + ["derived:y"] * 5})
    got = selection.real_actuals(series, 2025)
    assert len(got) == 30 and got.index.min() == days[10]
    assert selection.real_seasons(series, [2024, 2025]) == [2025]
