"""Draw the README's figures from the library, on the embedded SAMPLE.

    .venv/bin/python docs/make_figures.py            # both figures into docs/figures/
    .venv/bin/python docs/make_figures.py --only seasons

- ``docs/figures/forecast_jiangxi_2025.png``: Jiangxi's 2025 forecast as known on 2025-01-13 (the eve
  of the window, when the official day-one forecast was made): highway exit vehicles and
  cross-regional trips with 80%/95% bands, the published peak forecast and the alert days;
- ``docs/figures/seasons_lunar_offset.png``: the seasons 2016-2025 of Jiangxi's highway exit
  vehicles overlaid on days from the Spring Festival.

Both are titled SAMPLE: the daily history is synthetic (data/sample/README.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "figures"
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "chunyun-matplotlib"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from forecast import alerts, calendar, plots, sample, scenarios  # noqa: E402
from forecast.reference import load_reference  # noqa: E402

REGION, SEASON, CUTOFF = "jiangxi", 2025, "2025-01-13"
METRIC = "highway_exit_vehicles"
PNG = {"metadata": {"Software": None}}  # no version stamp: the file changes only when the picture does


def seasons_figure(history) -> Path:
    reference = load_reference()
    ax = plots.lunar_offset_overlay(history, f"{REGION}/{METRIC}", range(2016, SEASON + 1), reference=reference,
                                    highlight=SEASON)
    ax.set_title(f"[{plots.data_tag(history)}] {plots.region_label(REGION)} {plots.metric_label(METRIC)}"
                 + plots.text(f"，2016–{SEASON}年春运（按距春节天数对齐）",
                              f", seasons 2016-{SEASON} on days from the Spring Festival"))
    path = OUT / "seasons_lunar_offset.png"
    ax.figure.savefig(path, **PNG)
    return path


def forecast_figure(history) -> Path:
    base = scenarios.base_forecast(history, REGION, SEASON, CUTOFF, workers=2)
    window = calendar.season(SEASON)
    days = (window.chunyun_end - window.chunyun_start).days + 1
    found = alerts.compute_alerts(plots.forecast_frame(base.forecasts), window.chunyun_start, days, region=REGION)
    fig = plots.forecast_figure(base.forecasts, plots.data_tag(history), metrics=[METRIC, "cross_regional_trips"],
                                history=history, published=plots.published_figures(REGION, SEASON), alerts=found,
                                cutoff=CUTOFF)
    path = OUT / "forecast_jiangxi_2025.png"
    fig.savefig(path, **PNG)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("forecast", "seasons"), help="draw one figure")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    plots.setup()
    history = sample.load_sample()
    if args.only in (None, "seasons"):
        print(seasons_figure(history))
    if args.only in (None, "forecast"):
        print(forecast_figure(history))
    return 0


if __name__ == "__main__":
    sys.exit(main())
