"""The SAMPLE against every real national day of 2024 and 2025, and Jiangxi's shape against the real curve.

    .venv/bin/python bench/sample_vs_real.py                      # the committed sample
    git show 936c71f:data/sample/history.csv.gz > /tmp/old.csv.gz  # the sample before the real shapes
    .venv/bin/python bench/sample_vs_real.py /tmp/old.csv.gz

Per season and national series: the sample's daily MAPE against the real days of the window (the
store's real rows: published actuals, else the days derived from the 2025 pages), its largest
error and that day. Then the correlation of each generated window (Jiangxi, and expressway exits,
which follow self-driving) with the real national curve of the matching mode.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from forecast import calendar, realdays, sample

SRC = {"highway_exit_vehicles": "selfdrive_trips"}
path = sys.argv[1] if len(sys.argv) > 1 else None
s = sample.load_sample(path) if path else sample.generate()
r = realdays.real_observations()
wide = s.pivot(index="ds", columns="unique_id", values="y")
real = r.pivot(index="ds", columns="unique_id", values="y")
rows = []
for season in (2024, 2025):
    c = calendar.season(season)
    win = pd.date_range(c.chunyun_start, c.chunyun_end)
    for uid in sorted(u for u in real.columns if u.startswith("national/")):
        rv = real.reindex(win)[uid].dropna()
        sv = wide.loc[rv.index, uid]
        ape = (sv / rv - 1).abs() * 100
        rows.append((season, uid.split("/")[1], len(rv), round(ape.mean(), 2), round(ape.max(), 1),
                     str(ape.idxmax().date())))
t = pd.DataFrame(rows, columns=["season", "series", "days", "mape", "max", "worst_day"])
print(t.to_string(index=False))
print("\ncorrelation of the sample's window with the real national curve of the matching mode")
rows = []
for season in (2024, 2025):
    c = calendar.season(season)
    win = pd.date_range(c.chunyun_start, c.chunyun_end)
    for region in ("jiangxi", "national"):
        for m in ("cross_regional_trips", "rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers",
                  "water_passengers", "highway_exit_vehicles"):
            if region == "national" and m != "highway_exit_vehicles":
                continue
            src = SRC.get(m, m)
            rv = real.reindex(win)[f"national/{src}"].dropna()
            sv = wide.loc[rv.index, f"{region}/{m}"]
            rows.append((season, region, m, src, round(float(np.corrcoef(sv, rv)[0, 1]), 3)))
print(pd.DataFrame(rows, columns=["season", "region", "metric", "vs_real", "corr"]).to_string(index=False))
c = calendar.season(2025)
win = pd.date_range(c.chunyun_start, c.chunyun_end)
for uid in ("jiangxi/cross_regional_trips", "jiangxi/highway_exit_vehicles", "jiangxi/rail_passengers",
            "national/highway_exit_vehicles"):
    v = wide.loc[win, uid]
    print(f"{uid} 2025 peak {v.idxmax().date()} {v.max()/1e4:.1f}万, total {v.sum()/1e8:.4f}亿")
