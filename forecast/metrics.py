"""Forecast accuracy metrics: small pure functions ``(df, models) -> tidy df``, gathered by :func:`evaluate`.

Input: a backtest frame ``unique_id, season, ds, cutoff, y`` plus one column per model with its
point forecast and, when the model has intervals, ``<model>-lo-80``, ``<model>-hi-80``,
``<model>-lo-95``, ``<model>-hi-95`` (the statsforecast naming). A missing (NaN) forecast on a day
means the day was already observed (a nowcast): totals count the actual there, day-level errors
skip it.

Output: ``unique_id, season, model, metric, value``, one row per series, season, model and metric.
Percentages are in percent; ``peak_date_error_days`` is absolute days; errors are signed as
forecast minus actual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

KEYS = ["unique_id", "season"]
TIDY = ["unique_id", "season", "model", "metric", "value"]


def _per_group(df: pd.DataFrame, models: Iterable[str], name: str, fn: Callable[[pd.DataFrame, str], float]) -> pd.DataFrame:
    rows = []
    for (uid, season), g in df.groupby(KEYS, sort=True):
        for m in models:
            if m not in g.columns:
                continue
            value = fn(g, m)
            if value is not None and np.isfinite(value):
                rows.append((uid, season, m, name, float(value)))
    return pd.DataFrame(rows, columns=TIDY)


def season_total(g: pd.DataFrame, m: str) -> float:
    """A model's season total over one series-season of a backtest frame (observed days at their actuals)."""
    return float(np.where(g[m].isna(), g["y"], g[m]).sum())


def total_error_pct(df: pd.DataFrame, models: Iterable[str]) -> pd.DataFrame:
    """Season total (40 days) forecast vs actual, percent."""
    return _per_group(df, models, "total_error_pct", lambda g, m: (season_total(g, m) / g["y"].sum() - 1.0) * 100.0)


def mape(df: pd.DataFrame, models: Iterable[str]) -> pd.DataFrame:
    """Mean absolute percentage error over forecast days."""
    def fn(g, m):
        ok = g[m].notna() & (g["y"] > 0)
        return float((np.abs(g.loc[ok, m] - g.loc[ok, "y"]) / g.loc[ok, "y"]).mean() * 100.0) if ok.any() else None
    return _per_group(df, models, "mape", fn)


def smape(df: pd.DataFrame, models: Iterable[str]) -> pd.DataFrame:
    """Symmetric MAPE, 2|f-a|/(|f|+|a|), percent."""
    def fn(g, m):
        ok = g[m].notna() & ((g[m].abs() + g["y"].abs()) > 0)
        f, a = g.loc[ok, m], g.loc[ok, "y"]
        return float((2 * np.abs(f - a) / (f.abs() + a.abs())).mean() * 100.0) if ok.any() else None
    return _per_group(df, models, "smape", fn)


def peak_date_error_days(df: pd.DataFrame, models: Iterable[str]) -> pd.DataFrame:
    """Absolute days between the forecast's and the actual's peak day (observed days count as actual)."""
    def fn(g, m):
        f = np.where(g[m].isna(), g["y"], g[m])
        return abs((g["ds"].iloc[int(np.argmax(f))] - g["ds"].iloc[int(np.argmax(g["y"].to_numpy()))]).days)
    return _per_group(df, models, "peak_date_error_days", fn)


def peak_value_error_pct(df: pd.DataFrame, models: Iterable[str]) -> pd.DataFrame:
    """Forecast peak value vs actual peak value (whatever their days), percent."""
    def fn(g, m):
        f = np.where(g[m].isna(), g["y"], g[m])
        return (np.max(f) / g["y"].max() - 1.0) * 100.0
    return _per_group(df, models, "peak_value_error_pct", fn)


def _coverage(level: int):
    def metric(df: pd.DataFrame, models: Iterable[str]) -> pd.DataFrame:
        def fn(g, m):
            lo, hi = f"{m}-lo-{level}", f"{m}-hi-{level}"
            if lo not in g.columns or hi not in g.columns:
                return None
            ok = g[lo].notna() & g[hi].notna()
            if not ok.any():
                return None
            inside = (g.loc[ok, "y"] >= g.loc[ok, lo]) & (g.loc[ok, "y"] <= g.loc[ok, hi])
            return float(inside.mean() * 100.0)
        return _per_group(df, models, f"coverage_{level}", fn)
    metric.__name__ = f"coverage_{level}"
    metric.__doc__ = f"Percent of forecast days whose actual lies in the {level}% interval."
    return metric


coverage_80 = _coverage(80)
coverage_95 = _coverage(95)

METRICS: tuple[Callable[[pd.DataFrame, Iterable[str]], pd.DataFrame], ...] = (
    total_error_pct, mape, smape, peak_date_error_days, peak_value_error_pct, coverage_80, coverage_95,
)


# ------------------------------------------------------------------------------------------------
# summaries of scored frames (``unique_id, season, model, metric, value``) and of forecast frames

SIGNED = ("total_error_pct", "peak_value_error_pct")  # averaged as absolute values


def absolute(scored: pd.DataFrame, seasons=None) -> pd.DataFrame:
    """``scored`` restricted to ``seasons`` (None: all), the signed errors as absolute values."""
    sub = scored if seasons is None else scored[scored["season"].isin(list(seasons))]
    sub = sub.copy()
    signed = sub["metric"].isin(SIGNED)
    sub.loc[signed, "value"] = sub.loc[signed, "value"].abs()
    return sub


def aggregate(scored: pd.DataFrame, seasons=None) -> pd.DataFrame:
    """Mean over ``seasons`` per series, model and metric (absolute values for signed errors)."""
    return absolute(scored, seasons).groupby(["unique_id", "model", "metric"], as_index=False)["value"].mean()


def wins(scored: pd.DataFrame, model: str, baseline: str, metric: str = "mape", seasons=None) -> pd.DataFrame:
    """Per series: in how many seasons ``model`` beat ``baseline`` on ``metric``."""
    sub = scored if seasons is None else scored[scored["season"].isin(list(seasons))]
    sub = sub[(sub["metric"] == metric) & sub["model"].isin([model, baseline])]
    wide = sub.pivot_table(index=["unique_id", "season"], columns="model", values="value").dropna()
    if wide.empty:
        return pd.DataFrame(columns=["unique_id", "wins", "seasons"])
    wide["win"] = wide[model] < wide[baseline]
    return wide.groupby("unique_id")["win"].agg(wins="sum", seasons="count").reset_index()


def coverage(forecasts: pd.DataFrame, model: str, level: int = 80, seasons=None) -> float:
    """Share (percent) of all the days of a backtest frame inside the model's interval."""
    f = forecasts if seasons is None else forecasts[forecasts["season"].isin(list(seasons))]
    lo, hi = f[f"{model}-lo-{level}"], f[f"{model}-hi-{level}"]
    ok = lo.notna() & hi.notna()
    return float(((f.loc[ok, "y"] >= lo[ok]) & (f.loc[ok, "y"] <= hi[ok])).mean() * 100)


def official_errors(forecasts: pd.DataFrame, official: dict) -> pd.DataFrame:
    """Season-total error of the official forecasts ``{(unique_id, season): total}`` against the
    actuals of ``forecasts``, as tidy rows of the model ``official``."""
    rows = [(uid, int(season), "official", "total_error_pct", (official[(uid, int(season))] / g["y"].sum() - 1) * 100)
            for (uid, season), g in forecasts.groupby(KEYS) if (uid, int(season)) in official]
    return pd.DataFrame(rows, columns=TIDY)


def model_columns(df: pd.DataFrame) -> list[str]:
    """The model columns of a backtest frame (everything but keys, ``y`` and interval bounds)."""
    skip = {"unique_id", "season", "ds", "cutoff", "y"}
    return [c for c in df.columns if c not in skip and "-lo-" not in c and "-hi-" not in c]


def evaluate(df: pd.DataFrame, models: Iterable[str] | None = None, metrics=METRICS) -> pd.DataFrame:
    """Every metric for every model, as one tidy frame ``unique_id, season, model, metric, value``."""
    models = list(models) if models is not None else model_columns(df)
    if df.empty:
        return pd.DataFrame(columns=TIDY)
    frames = [fn(df, models) for fn in metrics]
    out = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) else pd.DataFrame(columns=TIDY)
    return out.sort_values(["unique_id", "season", "model", "metric"]).reset_index(drop=True)
