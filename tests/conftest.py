"""Shared fixtures. Every test that writes state gets its own var dir through the environment."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

API_TOKEN = "test-token-0123456789"


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    """An empty, private CHUNYUN_VAR_DIR (store and runs) for one test."""
    path = tmp_path / "var"
    path.mkdir()
    monkeypatch.setenv("CHUNYUN_VAR_DIR", str(path))
    monkeypatch.delenv("CHUNYUN_DATABASE_URL", raising=False)
    return path


# ---------------------------------------------------------------------------------------------
# A small synthetic run in the forecast/runs.py layout: the API tests need a run, not a model fit.

SYNTH_START, SYNTH_END = "2024-12-01", "2026-03-31"
SYNTH_SEASONS = (2025, 2026)
# Daily base level (base units) per series; the Chunyun curve multiplies it by up to ~2.2.
SYNTH_BASE = {
    "highway_exit_vehicles": (1_150_000, 26_000_000),
    "cross_regional_trips": (8_000_000, 200_000_000),
    "rail_passengers": (400_000, 12_000_000),
    "road_passengers": (1_000_000, 30_000_000),
    "selfdrive_trips": (6_300_000, 155_000_000),
    "air_passengers": (60_000, 2_100_000),
    "water_passengers": (20_000, 600_000),
}
SYNTH_REGIONS = ("jiangxi", "national")


def _curve(ds: pd.DatetimeIndex) -> np.ndarray:
    """1 + a pre-festival wave, a dip on the festival day and a larger return wave, per season."""
    from forecast import calendar

    out = np.ones(len(ds))
    for year in SYNTH_SEASONS:
        sf = pd.Timestamp(calendar.spring_festival(year))
        d = ((ds - sf) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        out += 0.6 * np.exp(-0.5 * ((d + 4) / 4) ** 2) + 1.2 * np.exp(-0.5 * ((d - 6) / 3) ** 2) \
            - 0.3 * np.exp(-0.5 * (d / 1.5) ** 2)
    return out


@lru_cache(maxsize=4)
def synthetic_forecasts(scale: float = 1.0) -> pd.DataFrame:
    ds = pd.date_range(SYNTH_START, SYNTH_END, freq="D")
    curve = _curve(ds)
    growth = np.where(ds >= pd.Timestamp("2025-09-01"), 1.06, 1.0)
    frames = []
    for region in SYNTH_REGIONS:
        for metric, (jx, nat) in SYNTH_BASE.items():
            yhat = (jx if region == "jiangxi" else nat) * curve * growth * scale
            frames.append(pd.DataFrame({
                "unique_id": f"{region}/{metric}", "ds": ds,
                "season": [2025 if d < pd.Timestamp("2025-08-01") else 2026 for d in ds],
                "cutoff": pd.Timestamp("2025-12-31"), "model": "synthetic", "yhat": yhat,
                "yhat_lower_80": yhat * 0.9, "yhat_upper_80": yhat * 1.1,
                "yhat_lower_95": yhat * 0.85, "yhat_upper_95": yhat * 1.16,
            }))
    return pd.concat(frames, ignore_index=True)


def synthetic_summaries(fc: pd.DataFrame, data_kind: str, run_id: str) -> dict:
    from forecast import calendar, registry

    out: dict = {}
    for region in SYNTH_REGIONS:
        out[region] = {}
        previous: dict = {}
        for year in SYNTH_SEASONS:
            s = calendar.season(year)
            metrics = {}
            for metric in SYNTH_BASE:
                g = fc[(fc["unique_id"] == f"{region}/{metric}") & (fc["ds"] >= pd.Timestamp(s.chunyun_start))
                       & (fc["ds"] <= pd.Timestamp(s.chunyun_end))].sort_values("yhat", ascending=False)
                total = float(g["yhat"].sum())
                top = g.head(3)
                metrics[metric] = {
                    "unit": registry.METRICS[metric].unit, "total": total,
                    "total_lower": float(g["yhat_lower_80"].sum()), "total_upper": float(g["yhat_upper_80"].sum()),
                    "yoy_pct": round(100 * (total / previous[metric] - 1), 2) if metric in previous else None,
                    "daily_avg": total / len(g), "peak_date": top["ds"].iloc[0].date().isoformat(),
                    "peak_value": float(top["yhat"].iloc[0]),
                    "peak_probabilities": [{"date": d.date().isoformat(), "p": p} for d, p in zip(top["ds"], (0.5, 0.3, 0.2), strict=True)],
                    "p_record": 0.4, "model": "synthetic", "history_kind": data_kind, "actuals_kind": None,
                }
                previous[metric] = total
            out[region][str(year)] = {"region": region, "season": year, "cutoff": "2025-12-31", "data_kind": data_kind,
                                      "actuals_kind": None, "run_id": run_id, "metrics": metrics}
    return out


def write_synthetic_run(var_dir: str | Path, run_id: str | None = None, data_kind: str = "sample", scale: float = 1.0) -> Path:
    """Write and publish a synthetic run (forecasts, summaries, backtest, manifest) under ``var_dir``."""
    from forecast import runs

    run_id = run_id or f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-synth000"
    staged = runs.staging_dir(var_dir)
    fc = synthetic_forecasts(scale)
    fc.to_parquet(staged / "forecasts.parquet", index=False)
    (staged / "summaries.json").write_text(json.dumps(synthetic_summaries(fc, data_kind, run_id), ensure_ascii=False), encoding="utf-8")
    uids = sorted(fc["unique_id"].unique())
    pd.DataFrame([{"unique_id": uid, "season": season, "model": "synthetic", "metric": metric, "value": value}
                  for uid in uids for season in SYNTH_SEASONS for metric, value in (("mape", 4.2), ("coverage_80", 0.8))]
                 ).to_parquet(staged / "backtest.parquet", index=False)
    manifest = {
        "schema_version": runs.RUN_SCHEMA_VERSION, "run_id": run_id, "created_at": datetime.now(UTC).isoformat(),
        "cutoff": "2025-12-31", "data_end": "2025-12-31", "data_fingerprint": "0123456789abcdef" * 4,
        "data_kind": data_kind, "series": uids, "models": dict.fromkeys(uids, "synthetic"),
        "seasons": list(SYNTH_SEASONS), "versions": {"pandas": pd.__version__, "numpy": np.__version__},
    }
    (staged / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return runs.publish(staged, run_id, var_dir)


def fake_train(**_kwargs) -> Path:
    """Stands in for forecast.train.train in the retrain tests (the API runs it in a subprocess)."""
    time.sleep(float(os.environ.get("CHUNYUN_TEST_TRAIN_SECONDS", "0")))
    if os.environ.get("CHUNYUN_TEST_TRAIN_FAIL"):
        raise RuntimeError("synthetic training failure")
    from forecast import settings

    return write_synthetic_run(settings.load()["var_dir"], scale=1.01)


@pytest.fixture(scope="session")
def synthetic_template(tmp_path_factory) -> Path:
    """One synthetic run written per session; ``run_dir`` copies it (much faster than rewriting)."""
    return write_synthetic_run(tmp_path_factory.mktemp("synthetic-template"))


@pytest.fixture
def run_dir(var_dir, synthetic_template) -> Path:
    """The var dir's current run: a copy of the synthetic run, published with forecast.runs.publish."""
    from forecast import runs

    staged = runs.staging_dir(var_dir)
    shutil.copytree(synthetic_template, staged, dirs_exist_ok=True)
    return runs.publish(staged, synthetic_template.name, var_dir)


@pytest.fixture
def app(var_dir, run_dir):
    """The API over the synthetic run, with write endpoints enabled by ``API_TOKEN``."""
    from api import create_app

    return create_app({"TESTING": True, "API_TOKEN": API_TOKEN})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth() -> dict:
    return {"Authorization": f"Bearer {API_TOKEN}"}
