"""The backtest report: errors by season, series and model, nowcast errors, the by-mode backtest table.

Takes what :mod:`forecast.backtest` returned (``BacktestResult.metrics`` and its forecasts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import metrics as metric_fns
from forecast import registry
from forecast.plots.figures import _date_axis, _plt, _shade_calendar, bar_table
from forecast.plots.labels import SHORT_EN, TABLE_ORDER, WAN, metric_label, region_label, text, unit_label
from forecast.registry import METRICS


def nowcast_days(model: str) -> int | None:
    """Days of actuals a backtest model column has seen: ``chosen`` 0, ``nowcast_10`` 10, else None."""
    if model == "chosen":
        return 0
    if model.startswith("nowcast_") and model[8:].isdigit():
        return int(model[8:])
    return None


def error_table(scored: pd.DataFrame, metric: str = "mape", models=None) -> pd.DataFrame:
    """``metric`` per series and season (rows) and model (columns), from ``BacktestResult.metrics``."""
    sub = scored[scored["metric"] == metric]
    if models is not None:
        sub = sub[sub["model"].isin(list(models))]
    wide = sub.pivot_table(index=["unique_id", "season"], columns="model", values="value")
    return wide.round(2)


def error_summary(scored: pd.DataFrame, metrics=("mape", "total_error_pct", "peak_date_error_days", "coverage_80",
                                                 "coverage_95"), seasons=None) -> pd.DataFrame:
    """Mean over seasons per model (rows) and metric (columns); signed errors as absolute values."""
    sub = metric_fns.absolute(scored[scored["metric"].isin(list(metrics))], seasons)
    wide = sub.pivot_table(index="model", columns="metric", values="value", aggfunc="mean")
    return wide[[m for m in metrics if m in wide.columns]].round(2)


def nowcast_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Error by days into the season: |season total error| % and MAPE of the days still ahead,
    mean over series and seasons, for the day-one forecast (0) and each nowcast."""
    sub = scored[scored["model"].map(nowcast_days).notna() & scored["metric"].isin(["total_error_pct", "mape"])].copy()
    sub["days into season"] = sub["model"].map(nowcast_days).astype(int)
    sub["value"] = sub["value"].abs()
    wide = sub.pivot_table(index="days into season", columns="metric", values="value", aggfunc="mean")
    return wide.rename(columns={"total_error_pct": "|total error| %", "mape": "MAPE % (days ahead)"}).round(2)


def backtest_mode_table(forecasts: pd.DataFrame, region: str, season: int, published: dict | None = None,
                        models=("chosen", "lunar_profile")) -> pd.DataFrame:
    """One season's backtest by mode: the actual season, each model's day-one forecast and the
    published official forecast, totals and peaks in 万, errors in percent."""
    from forecast.models import BASELINE

    rows = []
    f = forecasts[(forecasts["season"] == int(season))]
    for name in TABLE_ORDER:
        g = f[f["unique_id"] == f"{registry.resolve_region(region)}/{name}"].sort_values("ds")
        if g.empty:
            continue
        meta = METRICS[name]
        actual = float(g["y"].sum())
        ipeak = int(np.argmax(g["y"].to_numpy()))
        row = {"指标": meta.zh, "metric": SHORT_EN[name], "unit": meta.display_unit, "days": len(g),
               "actual total": round(actual / WAN, 1), "actual peak day": g["ds"].iloc[ipeak].date().isoformat(),
               "actual peak": round(float(g["y"].iloc[ipeak]) / WAN, 1)}
        for model in models:
            if model not in g:
                continue
            total = metric_fns.season_total(g, model)
            label = "baseline" if model == BASELINE else "forecast" if model == "chosen" else model
            row[f"{label} total"] = round(total / WAN, 1)
            row[f"{label} error %"] = round((total / actual - 1) * 100, 2)
            if model == "chosen":
                k = int(np.nanargmax(g[model].to_numpy()))
                row["forecast peak day"] = g["ds"].iloc[k].date().isoformat()
                row["forecast peak"] = round(float(g[model].iloc[k]) / WAN, 1)
        if published is not None:
            p = published.get(name, {})
            if p.get("total"):
                row["official total"] = round(p["total"] / WAN, 1)
                row["official error %"] = round((p["total"] / actual - 1) * 100, 2)
            row["official peak day"] = p.get("peak_date")
        rows.append(row)
    return pd.DataFrame(rows).dropna(axis=1, how="all").set_index("指标")


def backtest_figure(forecasts: pd.DataFrame, unique_id: str, season: int, tag: str,
                    models=("chosen", "lunar_profile", "nowcast_10")):
    """One series and season of the backtest: the actual against each model's forecast (80% band of ``chosen``)."""
    plt = _plt()
    g = forecasts[(forecasts["unique_id"] == unique_id) & (forecasts["season"] == int(season))].sort_values("ds")
    fig, ax = plt.subplots(figsize=(9, 4))
    x = pd.to_datetime(g["ds"])
    if "chosen-lo-80" in g:
        ax.fill_between(x, g["chosen-lo-80"] / WAN, g["chosen-hi-80"] / WAN, color="tab:blue", alpha=0.2, lw=0,
                        label=text("预测80%区间", "forecast 80% interval"))
    ax.plot(x, g["y"] / WAN, color="black", lw=2, label=f"{tag} {text('实际', 'actual')}")
    names = {"chosen": text("预测（首日）", "forecast (day one)"), "lunar_profile": text("农历对齐基线", "lunar-aligned baseline")}
    for model in models:
        if model in g:
            ax.plot(x, g[model] / WAN, lw=1.3, ls="-" if model == "chosen" else "--", label=names.get(model, model))
    _shade_calendar(ax, season)
    _date_axis(ax)
    metric = registry.parse_uid(unique_id)[1]
    region = registry.parse_uid(unique_id)[0]
    ax.set_ylabel(unit_label(metric))
    ax.set_title(f"[{tag}] {region_label(region)} {metric_label(metric)} {season}: {text('回测', 'backtest')}")
    ax.legend(frameon=False, ncol=2)
    fig.tight_layout()
    return fig


def nowcast_figure(scored: pd.DataFrame, tag: str):
    """Season-total error and MAPE of the days ahead against days into the season, one line per series."""
    plt = _plt()
    sub = scored[scored["model"].map(nowcast_days).notna() & scored["metric"].isin(["total_error_pct", "mape"])].copy()
    sub["days"] = sub["model"].map(nowcast_days).astype(int)
    sub["value"] = sub["value"].abs()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, metric, label in ((axes[0], "total_error_pct", text("季度总量误差绝对值 %", "|season total error| %")),
                              (axes[1], "mape", text("剩余日MAPE %", "MAPE of the days ahead %"))):
        m = sub[sub["metric"] == metric].groupby(["unique_id", "days"])["value"].mean().reset_index()
        for uid, g in m.groupby("unique_id"):
            ax.plot(g["days"], g["value"], marker="o", lw=1.2, label=SHORT_EN[registry.parse_uid(uid)[1]])
        ax.set_xlabel(text("进入春运天数", "days into the Chunyun window"))
        ax.set_ylabel(label)
        ax.set_title(label)
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle(f"[{tag}] {text('临近预测误差随春运进程变化', 'nowcast error by days into the season')}")
    fig.tight_layout()
    return fig


def error_figure(scored: pd.DataFrame, tag: str, metric: str = "mape", models=None):
    """``metric`` by series (mean over seasons) for each model, as grouped bars."""
    plt = _plt()
    sub = scored[scored["metric"] == metric]
    if models is not None:
        sub = sub[sub["model"].isin(list(models))]
    sub = sub.assign(series=sub["unique_id"].map(lambda u: SHORT_EN[registry.parse_uid(u)[1]]), value=sub["value"].abs())
    fig, ax = plt.subplots(figsize=(10, 4))
    bar_table(ax, sub, "value", "series", "model", f"[{tag}] {metric} {text('按序列与模型', 'by series and model')}",
              f"{metric} (%)" if metric != "peak_date_error_days" else text("天", "days"))
    fig.tight_layout()
    return fig
