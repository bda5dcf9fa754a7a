"""Figures: seasons on the lunar-offset axis, a season's forecast curves, scenarios, grouped bars.

Every figure built from sample data is titled ``SAMPLE`` (the tag its caller passes, or
:func:`~forecast.plots.labels.data_tag` of the history).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import calendar, registry
from forecast.alerts import LEVEL_ZH, level_rank
from forecast.plots.labels import (
    TABLE_ORDER,
    WAN,
    data_tag,
    metric_label,
    region_label,
    setup,
    text,
    unit_label,
)
from forecast.registry import TOTAL_METRIC

LEVEL_COLOURS = {"blue": "#1f77b4", "yellow": "#e6b800", "orange": "#ff7f0e", "red": "#d62728"}


def _plt():
    import matplotlib.pyplot as plt

    setup()
    return plt


def lunar_offset_frame(history: pd.DataFrame, unique_id: str, seasons, offsets=(-20, 30)) -> pd.DataFrame:
    """``season, offset, ds, y`` for ``unique_id``: each day's place relative to its season's 正月初一."""
    g = history[history["unique_id"] == unique_id]
    if g.empty:
        return pd.DataFrame(columns=["season", "offset", "ds", "y"])
    feats = calendar.day_features(pd.to_datetime(g["ds"]))
    out = pd.DataFrame({"season": feats["season"].to_numpy(), "offset": feats["offset"].to_numpy(),
                        "ds": pd.to_datetime(g["ds"]).to_numpy(), "y": g["y"].to_numpy(dtype=float)})
    keep = out["season"].isin(list(seasons)) & out["offset"].between(*offsets)
    return out[keep].sort_values(["season", "offset"]).reset_index(drop=True)


def lunar_offset_overlay(history: pd.DataFrame, unique_id: str, seasons, ax=None, offsets=(-20, 30),
                         reference: pd.DataFrame | None = None, highlight: int | None = None, legend: bool = True,
                         title: str | None = None):
    """Seasons overlaid on days from the Spring Festival (正月初一 = 0), in 万.

    ``reference``: published daily/peak figures (:func:`forecast.reference.load_reference` rows) to
    mark on their offsets. ``highlight``: a season drawn thick and black.
    """
    plt = _plt()
    seasons = list(seasons)
    data = lunar_offset_frame(history, unique_id, seasons, offsets)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    cmap = plt.get_cmap("viridis")
    for i, s in enumerate(seasons):
        d = data[data["season"] == s]
        if d.empty:
            continue
        covid = s in calendar.COVID_SEASONS
        thick = s == highlight
        ax.plot(d["offset"], d["y"] / WAN, lw=2.2 if thick else 1.1, ls=":" if covid else "-",
                color="black" if thick else cmap(i / max(len(seasons) - 1, 1)), label=str(s) + (" (COVID)" if covid else ""))
    region, metric = registry.parse_uid(unique_id)
    if reference is not None and len(reference):
        ref = reference[(reference["region"] == region) & (reference["metric"] == metric)
                        & reference["measure"].isin(["daily", "peak"]) & reference["ds"].notna()
                        & reference["season"].isin(seasons) & (reference["status"] == "ok")]
        if len(ref):
            off = calendar.day_features(ref["ds"])["offset"].to_numpy()
            marker = np.where(ref["kind"] == "forecast", "*", "o")
            for mk, label in (("o", text("公布实际", "published actual")), ("*", text("公布预测", "published forecast"))):
                sel = marker == mk
                if sel.any():
                    ax.scatter(off[sel], ref["value"].to_numpy()[sel] / WAN, marker=mk, s=70 if mk == "*" else 30,
                               color="crimson", edgecolor="black", linewidth=0.5, zorder=5, label=label)
    ax.axvspan(-calendar.CHUNYUN_DAYS_BEFORE, calendar.CHUNYUN_DAYS_AFTER, color="orange", alpha=0.06, lw=0,
               label=text("春运（-15至+24）", "Chunyun window (-15..+24)"))
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(text("距春节（正月初一）天数", "days from the Spring Festival (zhengyue chuyi = 0)"))
    ax.set_ylabel(unit_label(metric))
    ax.set_title(title if title is not None else f"{region_label(region)} {metric_label(metric)}")
    if legend:
        ax.legend(ncol=2, loc="upper left", frameon=False)
    return ax


def lunar_offset_grid(history: pd.DataFrame, region: str, seasons, metrics=None, reference: pd.DataFrame | None = None,
                      highlight: int | None = None, offsets=(-20, 30)):
    """Every metric of ``region`` on the lunar-offset axis, one panel each; the title carries the data tag."""
    plt = _plt()
    region = registry.resolve_region(region)
    metrics = [m for m in (metrics or TABLE_ORDER)]
    ncols = 2
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(12, 3.2 * nrows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        lunar_offset_overlay(history, f"{region}/{metric}", seasons, ax=ax, offsets=offsets, reference=reference,
                             highlight=highlight, legend=False, title=metric_label(metric))
    _one_legend(fig, axes, len(metrics), 8)
    seasons = list(seasons)
    fig.suptitle(f"[{data_tag(history)}] {region_label(region)}: {text('各季春运逐日', 'daily series by season')} "
                 f"{seasons[0]}-{seasons[-1]}, {text('农历对齐', 'lunar-aligned')}")
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return fig


def _one_legend(fig, axes, used: int, max_columns: int) -> None:
    """Hide the panels after the first ``used`` and put one legend for the figure below them."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    seen = _legend_entries(axes)
    fig.legend(list(seen.values()), list(seen), loc="lower center", ncol=min(len(seen), max_columns), frameon=False)


def _first(forecasts: dict):
    """The first season forecast of a region's ``forecasts`` and the region's name."""
    fc = next(iter(forecasts.values()))
    return fc, registry.parse_uid(fc.unique_id)[0]


def _legend_entries(axes) -> dict:
    """Label -> handle over every panel, first occurrence kept (one legend for a whole figure)."""
    seen: dict = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    return seen


def _shade_calendar(ax, season: int) -> None:
    s = calendar.season(int(season))
    ax.axvspan(pd.Timestamp(s.holiday_start) - pd.Timedelta(hours=12), pd.Timestamp(s.holiday_end) + pd.Timedelta(hours=12),
               color="orange", alpha=0.12, lw=0, label=text("春节假期", "Spring Festival holiday"))
    ax.axvline(pd.Timestamp(s.spring_festival), color="grey", lw=0.8, ls="--")


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))


def forecast_panel(ax, fc, history: pd.DataFrame | None = None, published: dict | None = None,
                   alerts: pd.DataFrame | None = None, label: str | None = None) -> None:
    """One series' season forecast: median, 80% and 95% bands, observed days, hindsight actuals,
    the published peak and the alert days (coloured by level)."""
    f = fc.frame
    metric = registry.parse_uid(fc.unique_id)[1]
    x = pd.to_datetime(f["ds"])
    ax.fill_between(x, f["yhat_lower_95"] / WAN, f["yhat_upper_95"] / WAN, color="tab:blue", alpha=0.12, lw=0,
                    label=text("95%区间", "95% interval"))
    ax.fill_between(x, f["yhat_lower_80"] / WAN, f["yhat_upper_80"] / WAN, color="tab:blue", alpha=0.25, lw=0,
                    label=text("80%区间", "80% interval"))
    ax.plot(x, f["yhat"] / WAN, color="tab:blue", lw=1.8, label=label or text("预测", "forecast"))
    if "observed" in f and f["observed"].any():
        ax.plot(x[f["observed"]], f.loc[f["observed"], "yhat"] / WAN, "k.", ms=5, label=text("已观测", "observed"))
    if history is not None:
        h = history[(history["unique_id"] == fc.unique_id)]
        h = h[pd.to_datetime(h["ds"]).between(x.min(), x.max())]
        if len(h):
            ax.plot(pd.to_datetime(h["ds"]), h["y"] / WAN, color="0.35", lw=1, ls="--",
                    label=f"{data_tag(history)} {text('实际（事后）', 'actual (hindsight)')}")
    if published and published.get(metric, {}).get("peak_date"):
        p = published[metric]
        ax.scatter([pd.Timestamp(p["peak_date"])], [p["peak_value"] / WAN], marker="*", s=140, color="crimson",
                   edgecolor="black", linewidth=0.5, zorder=6, label=text("公布峰值预测", "published peak forecast"))
    if alerts is not None and len(alerts):
        a = alerts[alerts["unique_id"] == fc.unique_id]
        if len(a):
            a = a.assign(_r=a["level"].map(level_rank)).sort_values("_r")
            a = a.drop_duplicates("date", keep="last")
            ymin = ax.get_ylim()[0]
            for level in LEVEL_COLOURS:
                g = a[a["level"] == level]
                if g.empty:
                    continue
                ax.scatter(g["date"], np.full(len(g), ymin), marker="^", s=45, color=LEVEL_COLOURS[level],
                           edgecolor="black", linewidth=0.4, zorder=6, clip_on=False, label=text(f"{LEVEL_ZH[level]}预警", f"alert: {level}"))
    _shade_calendar(ax, fc.season)
    _date_axis(ax)
    ax.set_ylabel(unit_label(metric))
    ax.set_title(metric_label(metric))


def forecast_figure(forecasts: dict, tag: str, metrics=None, history: pd.DataFrame | None = None,
                    published: dict | None = None, alerts: pd.DataFrame | None = None, cutoff=None):
    """The daily curves of a region's season forecast (engine ``region_season`` output), one panel per metric."""
    plt = _plt()
    metrics = [m for m in (metrics or TABLE_ORDER) if m in forecasts]
    ncols = 1 if len(metrics) == 1 else 2
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.2 * ncols, 3.3 * nrows + (0.9 if nrows == 1 else 0)), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        forecast_panel(ax, forecasts[metric], history=history, published=published, alerts=alerts)
    _one_legend(fig, axes, len(metrics), 5)
    fc, region = _first(forecasts)
    when = f", {text('截至', 'cutoff')} {pd.Timestamp(cutoff).date()}" if cutoff is not None else ""
    fig.suptitle(f"[{tag}] {region_label(region)} {fc.season} {text('春运预测', 'Chunyun forecast')}{when}")
    fig.tight_layout(rect=(0, 0.06 if nrows > 1 else 0.12, 1, 0.96))
    return fig


def scenario_figure(base: dict, scenarios: dict, tag: str, metrics=("highway_exit_vehicles", "selfdrive_trips",
                                                                    "rail_passengers", TOTAL_METRIC)):
    """Daily medians of each scenario against the base forecast (base with its 80% band)."""
    plt = _plt()
    metrics = [m for m in metrics if m in base]
    ncols = 2 if len(metrics) > 1 else 1
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.2 * ncols, 3.4 * nrows), squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, metric in zip(axes.flat, metrics, strict=False):
        f = base[metric].frame
        x = pd.to_datetime(f["ds"])
        ax.fill_between(x, f["yhat_lower_80"] / WAN, f["yhat_upper_80"] / WAN, color="0.6", alpha=0.25, lw=0,
                        label=text("基准80%区间", "base 80% interval"))
        ax.plot(x, f["yhat"] / WAN, color="black", lw=2, label=text("基准", "base"))
        for i, (name, fcs) in enumerate(scenarios.items()):
            g = fcs[metric].frame
            ax.plot(pd.to_datetime(g["ds"]), g["yhat"] / WAN, lw=1.2, color=colours(i % 10), label=name)
        _shade_calendar(ax, base[metric].season)
        _date_axis(ax)
        ax.set_ylabel(unit_label(metric))
        ax.set_title(metric_label(metric))
    _one_legend(fig, axes, len(metrics), 4)
    fc, region = _first(base)
    fig.suptitle(f"[{tag}] {region_label(region)} {fc.season}: {text('情景与基准预测', 'scenarios against the base forecast')}")
    fig.tight_layout(rect=(0, 0.1, 1, 0.96))
    return fig


def bar_table(ax, df: pd.DataFrame, value: str, by: str, group: str, title: str, ylabel: str) -> None:
    """Grouped bars of ``value`` with ``by`` on the x axis and one bar per ``group`` (e.g. model)."""
    pivot = df.pivot_table(index=by, columns=group, values=value, aggfunc="mean")
    n = len(pivot.columns)
    width = 0.8 / max(n, 1)
    xs = np.arange(len(pivot.index))
    for i, col in enumerate(pivot.columns):
        ax.bar(xs + (i - (n - 1) / 2) * width, pivot[col].to_numpy(), width, label=str(col))
    ax.set_xticks(xs, [str(i) for i in pivot.index], rotation=30 if len(xs) > 6 else 0, ha="right" if len(xs) > 6 else "center")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
