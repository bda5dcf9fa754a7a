"""Training benchmark: fit and predict time per series and model, then the whole pipeline.

    .venv/bin/python bench/train.py                 # every series, every model, then `train`
    .venv/bin/python bench/train.py --series jiangxi/highway_exit_vehicles --no-pipeline

On the calibrated sample (``forecast.sample.load_sample``; generated if its files are missing).
Each model is fitted on the data up to 2025-01-13 and predicts the 2025 Chunyun window (40 days);
``season_total`` is the season-total model selection (inner backtest + fit). The pipeline is
``forecast.train.train`` into a temporary var dir with ``--workers`` processes. Imports are done
before timing. Prints Markdown (or ``--json``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time

import pandas as pd

CUTOFF = pd.Timestamp("2025-01-13")


def load_history() -> pd.DataFrame:
    from forecast import sample
    from forecast.errors import NotFound

    try:
        frame = sample.load_sample()
    except (NotFound, FileNotFoundError):
        frame = sample.generate()
    return frame if "source" in frame.columns else frame.assign(source="sample")


def bench_models(history: pd.DataFrame, series: list[str], models: list[str], repeat: int) -> list[dict]:
    from forecast import reference
    from forecast.models import make
    from forecast.models.features import season_dates
    from forecast.season_totals import forecast_total

    window = season_dates(2025)
    rows = []
    for uid in series:
        h = history[(history["unique_id"] == uid) & (history["ds"] <= CUTOFF)][["ds", "y"]]
        for name in models:
            fits, preds = [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                m = make(name).fit(h)
                t1 = time.perf_counter()
                m.predict(window)
                preds.append(time.perf_counter() - t1)
                fits.append(t1 - t0)
            rows.append({"unique_id": uid, "model": name, "fit_s": statistics.median(fits), "predict_s": statistics.median(preds)})
            print(f"{uid} {name}: fit {rows[-1]['fit_s']:.2f}s predict {rows[-1]['predict_s']:.3f}s", file=sys.stderr)
        t0 = time.perf_counter()
        forecast_total(h, 2025, CUTOFF, published=reference.published_totals(uid))
        rows.append({"unique_id": uid, "model": "season_total", "fit_s": time.perf_counter() - t0, "predict_s": 0.0})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", help="series to time (default: all)")
    parser.add_argument("--models", nargs="+", help="models (default: all daily models)")
    parser.add_argument("--repeat", type=int, default=1, help="fits per series and model (median reported)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-pipeline", action="store_true", help="skip the whole `train` run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import prophet  # noqa: F401 - import costs are not fit costs
    from statsmodels.tsa.statespace.sarimax import SARIMAX  # noqa: F401

    from forecast.models import MODELS

    history = load_history()
    series = args.series or sorted(history["unique_id"].unique())
    models = args.models or list(MODELS)
    rows = bench_models(history, series, models, args.repeat)
    out = {"per_model": rows}
    if not args.no_pipeline:
        from forecast.train import train

        with tempfile.TemporaryDirectory() as var:
            t0 = time.perf_counter()
            train(history=history, var_dir=var, workers=args.workers)
            out["pipeline_s"] = time.perf_counter() - t0
            out["pipeline_series"] = history["unique_id"].nunique()
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    frame = pd.DataFrame(rows)
    print("| unique_id | model | fit (s) | predict 40 days (s) |\n|---|---|---|---|")
    for r in frame.itertuples():
        print(f"| {r.unique_id} | {r.model} | {r.fit_s:.2f} | {r.predict_s:.3f} |")
    summary = frame.groupby("model")[["fit_s", "predict_s"]].median()
    print("\n| model | median fit (s) | median predict (s) |\n|---|---|---|")
    for name, r in summary.iterrows():
        print(f"| {name} | {r.fit_s:.2f} | {r.predict_s:.3f} |")
    if "pipeline_s" in out:
        print(f"\nWhole pipeline (`train`, {out['pipeline_series']} series, {args.workers} workers): {out['pipeline_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
