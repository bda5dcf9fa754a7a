"""A run of the same data writes the same bytes: nothing may depend on which worker finished first."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from forecast import selection, train


def _slow_first(task: train.Task):
    """A stand-in task: the earlier the task, the longer it takes, so the pool finishes them backwards."""
    time.sleep(0.05 * (10 - task.season))
    return task.season


def test_pool_results_come_back_in_the_order_of_the_tasks(monkeypatch):
    monkeypatch.setitem(train._TASKS, "nowcast", _slow_first)
    tasks = [train.Task("nowcast", f"x/{k}", k, pd.DataFrame()) for k in range(6)]
    results = train._run(tasks, workers=2, progress=False, t0=time.perf_counter())
    assert [r.value for r in results] == list(range(6))
    assert [r.uid for r in results] == [t.uid for t in tasks]


def _frames(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    y = rng.uniform(1e8, 3e8, 40)
    out = {}
    for model, noise in (("lunar_real", 0.08), ("real_anchored", 0.05)):
        yhat = y * np.exp(rng.normal(0, noise, 40))
        out[model] = pd.DataFrame({"ds": pd.date_range("2024-01-26", periods=40), "y": y, "yhat": yhat,
                                   "lo80": yhat * 0.9, "hi80": yhat * 1.1, "lo95": yhat * 0.85, "hi95": yhat * 1.15})
    return out


def test_the_model_choice_does_not_depend_on_the_order_the_seasons_were_scored():
    a, b = _frames(1), _frames(101)  # seasons whose errors, summed in the other order, differ in the last digit
    forward = selection.choose("national/cross_regional_trips", 2026, {2024: a, 2025: b})
    backward = selection.choose("national/cross_regional_trips", 2026, {2025: b, 2024: a})
    assert forward.model == backward.model == "real_anchored"
    assert forward.sigma == backward.sigma and forward.scores == backward.scores
