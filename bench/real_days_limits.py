"""What the information before the 2025 cutoff can support: the limits behind issue 10's open lines.

    .venv/bin/python bench/real_days_limits.py

Reads only the curated reference (``data/reference/days.csv``, ``holidays.csv``, ``figures.csv``)
and the calendar; fits nothing from the store. Prints:

1. **Growth.** The real year-on-year signals published before 2025-01-13 (the 2024 holidays: a
   holiday's total where published, else the mean of its days), the 2025 season total each implies
   from the real 2024 total (84.22亿), and the outturn (90.2亿, +7.1%). The official 2025 forecast (90亿) was published on 2025-01-14, after the cutoff.
2. **Shape.** How well one real season's shape carries to the other when the season total is
   known exactly (so only the shape is scored): daily MAPE of national cross-regional trips for
   the lunar copy, the anchored warp (the project's ``real_anchored`` alignment) and an analog
   that matches each day to template days of the same kind (working day, rest day, official
   holiday) near the same lunar position; both ways, 2024 -> 2025 (a forecast) and 2025 -> 2024 (the
   same transfer run backwards, a check that a gain is not tuned to 2025).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import calendar, realdays
from forecast.models.realshape import anchor_offsets

UID = "national/cross_regional_trips"
CUTOFF = pd.Timestamp("2025-01-13")
TOTAL_2024 = 8.422e9


def season_curve(days: pd.DataFrame, season: int) -> pd.Series:
    """The season's 40 days: completed figures first, the derived curve where none is published."""
    rows = days[(days["unique_id"] == UID) & (days["season"] == season) & (days["measure"] == "daily")
                & (days["status"] == "ok") & days["kind"].isin(["actual", "derived"])]
    rows = rows.sort_values(["ds", "kind"]).drop_duplicates("ds")
    return pd.Series(rows["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["ds"]))


def growth_signals(holidays: pd.DataFrame) -> pd.DataFrame:
    """Per holiday of 2024: the published year-on-year change of its total (or, where only days have
    one, their mean), published before the cutoff, and the 2025 season total it would imply."""
    rows = holidays[holidays["series"].str.contains("cross_regional") & (holidays["status"] == "ok")
                    & (holidays["kind"] == "actual") & holidays["yoy_pct"].notna()
                    & (pd.to_datetime(holidays["published"]) <= CUTOFF)]
    days = rows[rows["measure"] == "daily"]
    official = calendar.day_features(pd.DatetimeIndex(pd.to_datetime(days["ds"])))["is_public_holiday"].to_numpy()
    rows = pd.concat([rows[rows["measure"] == "holiday_total"], days[official]])  # days of the holiday itself
    out = []
    for name, g in rows.groupby("holiday", sort=False):
        total = g[g["measure"] == "holiday_total"]
        if total.empty and len(g) < 3:
            continue  # one day against one day a year earlier, when the holidays fell differently
        basis = "holiday total" if len(total) else f"mean of its {len(g)} days"
        yoy = float(total["yoy_pct"].iloc[0]) if len(total) else float(g["yoy_pct"].astype(float).mean())
        out.append({"holiday": name, "basis": basis, "yoy_pct": round(yoy, 2),
                    "implied_2025_yi": round(TOTAL_2024 * (1 + yoy / 100) / 1e8, 2)})
    frame = pd.DataFrame(out)
    mean = float(frame["yoy_pct"].mean())
    frame.loc[len(frame)] = {"holiday": "mean", "basis": "", "yoy_pct": round(mean, 2),
                             "implied_2025_yi": round(TOTAL_2024 * (1 + mean / 100) / 1e8, 2)}
    return frame


def _offsets(idx: pd.DatetimeIndex, season: int) -> np.ndarray:
    return np.asarray((idx - pd.Timestamp(calendar.spring_festival(season))).days, dtype=float)


def _day_kinds(idx: pd.DatetimeIndex) -> np.ndarray:
    f = calendar.day_features(idx)
    return np.where(f["is_holiday"], "holiday", np.where(f["is_workday_shift"] | (idx.dayofweek < 5), "work", "rest"))


def transfer(template: pd.Series, t_season: int, target: pd.DatetimeIndex, season: int, how: str) -> np.ndarray:
    """The template season's shape laid on ``target`` (sums to 1)."""
    lt, ot = np.log(template.to_numpy()), _offsets(template.index, t_season)
    of = _offsets(target, season)
    pos = of if how == "lunar copy" else np.interp(of, anchor_offsets(season), anchor_offsets(t_season))
    out = np.interp(pos, ot, lt)
    if how == "analog by day kind":
        kt, kf = _day_kinds(template.index), _day_kinds(target)
        for i, (p, k) in enumerate(zip(pos, kf, strict=True)):
            near = (kt == k) & (np.abs(ot - p) <= 4) & (k != "holiday")
            if near.any():
                w = np.exp(-0.5 * ((ot[near] - p) / 2.0) ** 2)
                out[i] = np.sum(w * lt[near]) / w.sum()
    shape = np.exp(out)
    return shape / shape.sum()


def shape_table(y24: pd.Series, y25: pd.Series) -> pd.DataFrame:
    rows = []
    for how in ("lunar copy", "anchored warp", "analog by day kind"):
        fwd = transfer(y24, 2024, y25.index, 2025, how) * y25.sum()
        back = transfer(y25, 2025, y24.index, 2024, how) * y24.sum()
        rows.append({"shape": how, "2024 -> 2025 MAPE %": round(float(np.mean(np.abs(fwd / y25 - 1))) * 100, 2),
                     "2025 -> 2024 MAPE %": round(float(np.mean(np.abs(back / y24 - 1))) * 100, 2)})
    return pd.DataFrame(rows)


def main() -> None:
    days = realdays.load_days()
    holidays = realdays.load_holidays()
    y24, y25 = season_curve(days, 2024), season_curve(days, 2025)
    print(f"real 2024 total {y24.sum() / 1e8:.2f}亿 ({len(y24)} days), real 2025 total {y25.sum() / 1e8:.2f}亿 "
          f"(+{(y25.sum() / y24.sum() - 1) * 100:.1f}%)\n")
    print("1. growth signals published before the cutoff, and the 2025 total each implies")
    print(growth_signals(holidays).to_string(index=False))
    print("\n2. one real season's shape laid on the other, season total exact (shape error only)")
    print(shape_table(y24, y25).to_string(index=False))


if __name__ == "__main__":
    main()
