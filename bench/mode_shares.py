"""The modes' season totals under both rules of ``forecast.mode_totals``, season by season.

    .venv/bin/python bench/mode_shares.py            # national and Jiangxi, 2016-2019 and 2023-2025

For each region and season, the region's forecast made on the eve of the window from the default
store (``engine.region_season``, each series' default daily model) under ``own`` (each mode's own
season-total model) and ``share`` (the total split by the last complete normal season's shares),
then each mode's total error against the season's actual days: published ones where the store has
them (national 2024 and 2025, labelled ``real``), else the sample (labelled ``sample``: no skill is
claimed there). The error is over the days that have an actual, so it is a total's error.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast import calendar, provenance
from forecast.engine import region_season
from forecast.mode_totals import RULES
from forecast.registry import MODES, TOTAL_METRIC
from forecast.store import Store

warnings.filterwarnings("ignore")
SEASONS = (2016, 2017, 2018, 2019, 2023, 2024, 2025)
history = Store().read()
history = history[~history["unique_id"].str.count("/").gt(1)]  # province series only, not stations
history["ds"] = pd.to_datetime(history["ds"])
rows = []
for region in ("national", "jiangxi"):
    for season in SEASONS:
        eve = calendar.season(season).cutoff
        for rule in RULES:
            fcs = region_season(history, region, season, cutoff=eve, metrics=(TOTAL_METRIC, *MODES), mode_rule=rule)
            for m in MODES:
                uid = f"{region}/{m}"
                days = history[(history["unique_id"] == uid) & history["ds"].isin(fcs[m].frame["ds"])]
                kind = "real" if provenance.is_real(days["source"]).all() else "sample"
                f = fcs[m].frame.set_index("ds")["yhat"].reindex(days["ds"])
                rows.append({"region": region, "season": season, "actuals": kind, "mode": m, "rule": rule,
                             "total_error_pct": (f.sum() / days["y"].sum() - 1) * 100})
t = pd.DataFrame(rows)
wide = t.pivot_table(index=["region", "season", "actuals", "mode"], columns="rule", values="total_error_pct")
pd.set_option("display.width", 160)
print(wide.round(2).to_string())
mean = wide.abs().groupby(level=["region", "season", "actuals"]).mean().round(2)
print("\nmean absolute error of the five modes' totals (%)")
print(mean.to_string())
print("\nover the real seasons:", mean.xs("real", level="actuals").mean().round(2).to_dict() if "real" in
      mean.index.get_level_values("actuals") else "none")
print("over the sample seasons:", mean.xs("sample", level="actuals").mean().round(2).to_dict())
print("seasons where share beats own:", int(np.sum(mean["share"] < mean["own"])), "of", len(mean))
