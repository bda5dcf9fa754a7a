"""The 2025 season-ahead forecast with and without the rows the curated files date after its cutoff.

    .venv/bin/python bench/real_days_asof.py          (from the project's root, after `chunyun prepare`)

National cross-regional trips, fitted at the eve of the 2025 window (data dated up to 2025-01-13),
every candidate of :mod:`forecast.selection`, scored on the 40 real days of 2025:

- ``dated``: what the service does: every stored row dated up to the cutoff, so the 29 derived
  2024 days (recovered from the 2025 pages' change on the same lunar day, which the curated files
  date 2025-01-16 ... 2025-02-20) count as the 2024 figures they stand for;
- ``public``: only rows that the curated files show public by the forecast day (``published`` up
  to the cutoff + 1 day): 2024 keeps its 11 published days, and its other 29 days are missing.

Both through the same :func:`forecast.selection.fit_candidates`; printed as one table. The 80%
band here is each model's own; the scorecard's chosen model uses the sigma calibrated on the real
days of the seasons before (:func:`forecast.selection.calibrated_sigma`), hence its 35 of 40.
"""

from __future__ import annotations

import pandas as pd

from forecast import realdays
from forecast.selection import daily_mape, fit_candidates, real_actuals, score_frame
from forecast.store import Store

UID = "national/cross_regional_trips"
SEASON = 2025
CUTOFF = pd.Timestamp("2025-01-13")


def public_by(frame: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The rows whose figure was public by ``day`` (sample and user rows always are)."""
    published = frame["source"].map(realdays.publication_dates())
    return frame[published.isna() | (published <= day)]


def rows(label: str, frame: pd.DataFrame, actual: pd.Series) -> list[dict]:
    out = []
    for model, fc in fit_candidates(frame, UID, SEASON).items():
        scored = score_frame(fc, actual)
        peak = fc.frame.loc[fc.frame["yhat"].idxmax()]
        out.append({"history": label, "model": model, "daily MAPE %": round(daily_mape(scored), 2),
                    "in 80% band": int(((scored["y"] >= scored["lo80"]) & (scored["y"] <= scored["hi80"])).sum()),
                    "total error %": round((fc.total / actual.sum() - 1) * 100, 2),
                    "peak": peak["ds"].date().isoformat(),
                    "peak error %": round((peak["yhat"] / actual.max() - 1) * 100, 2)})
    return out


def main() -> None:
    store = Store()
    frame = store.read(UID)
    frame["ds"] = pd.to_datetime(frame["ds"])
    actual = real_actuals(frame, SEASON)
    public = public_by(frame, CUTOFF + pd.Timedelta(days=1))
    dropped = frame[(frame["ds"] <= CUTOFF) & ~frame.index.isin(public.index)]
    print(f"rows dated up to {CUTOFF.date()} but published after {CUTOFF.date() + pd.Timedelta(days=1)}: "
          f"{len(dropped)} ({', '.join(sorted(dropped['source'].str.split(':').str[0].unique()))})")
    table = pd.DataFrame(rows("dated", frame, actual) + rows("public", public, actual))
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
