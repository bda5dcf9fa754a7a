"""Figures and tables for people: shared by the notebooks and ``docs/make_figures.py``.

Nothing here forecasts. Every function takes what :mod:`forecast.engine`, :mod:`forecast.sample`,
:mod:`forecast.reference` or :mod:`forecast.alerts` returned and lays it out the way a transport
department publishes it: counts in 万人次 / 万辆, one row per mode, peak day and size, and every
figure built from sample data titled ``SAMPLE``.

Fonts: matplotlib draws Chinese only with a CJK font. :func:`cjk_font` takes an installed one
(``fc-list :lang=zh`` lists them), else registers Noto Sans CJK SC from the ``mplfonts`` wheel (a
project dependency). Should neither be there, every label is English with the Chinese unit spelt
out in ASCII (``10k person-trips (wan renci)``), so no "missing glyph" warnings are emitted.
Tables are text and always carry the Chinese names.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd

from forecast import calendar, registry
from forecast.alerts import LEVEL_ZH, level_rank
from forecast.registry import METRICS, TOTAL_METRIC

log = logging.getLogger(__name__)

WAN = 10_000.0
# CJK fonts matplotlib may find, in order of preference.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Sarasa Gothic SC", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
    "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback",
)
TABLE_ORDER = (TOTAL_METRIC, "rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers",
               "water_passengers", "highway_exit_vehicles")
UNIT_ASCII = {"万人次": "10k person-trips (wan renci)", "万辆": "10k vehicles (wan liang)"}
LEVEL_COLOURS = {"blue": "#1f77b4", "yellow": "#e6b800", "orange": "#ff7f0e", "red": "#d62728"}
SHORT_EN = {TOTAL_METRIC: "cross-regional trips", "rail_passengers": "rail", "road_passengers": "road (operating)",
            "selfdrive_trips": "self-driving", "air_passengers": "air", "water_passengers": "water",
            "highway_exit_vehicles": "highway exits"}


# ---------------------------------------------------------------------------------------------
# fonts and labels

PACKAGED_CJK_FONT = ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first CJK font matplotlib knows (installed, else the packaged Noto Sans CJK SC), or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    installed = next((name for name in CJK_FONTS if name in names), None)
    return installed or _register_packaged_font(font_manager)


def _register_packaged_font(font_manager) -> str | None:
    from importlib import resources

    package, relative = PACKAGED_CJK_FONT
    try:
        path = resources.files(package).joinpath(relative)
    except ModuleNotFoundError:
        return None
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def setup() -> bool:
    """Set legible defaults (and a CJK font when one is installed); True when Chinese can be drawn.

    Also widens pandas' display so the by-mode tables print without elided columns.
    """
    import matplotlib as mpl

    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 250)

    font = cjk_font()
    mpl.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 130, "savefig.bbox": "tight", "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 11, "axes.labelsize": 9,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 13,
        "axes.unicode_minus": font is None,
    })
    if font:
        mpl.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        mpl.rcParams["font.family"] = "sans-serif"
    return font is not None


def text(zh: str, en: str) -> str:
    """``zh`` when a CJK font is installed, else ``en`` (plain ASCII, nothing matplotlib cannot draw)."""
    return zh if cjk_font() else en


def unit_label(metric: str) -> str:
    """The display unit of ``metric`` for an axis: 万人次 / 万辆, or its ASCII form."""
    unit = METRICS[registry.resolve_metric(metric)].display_unit
    return text(unit, UNIT_ASCII.get(unit, unit))


def metric_label(metric: str, short: bool = False) -> str:
    m = METRICS[registry.resolve_metric(metric)]
    return text(m.zh, SHORT_EN[m.name] if short else m.en)


def region_label(region: str) -> str:
    r = registry.regions()[registry.resolve_region(region)]
    return text(r.zh, r.en)


def data_tag(history_or_kind) -> str:
    """``SAMPLE`` for sample data (a frame with any ``source == sample`` row, or the kind string), else ``REAL``."""
    if isinstance(history_or_kind, pd.DataFrame):
        from forecast.engine import data_kind_of

        kind = data_kind_of(history_or_kind)
    else:
        kind = str(history_or_kind)
    return "SAMPLE" if kind == "sample" else "REAL"


def wan(value):
    """Base units (persons, vehicles) to 万, NaN/None kept."""
    if value is None:
        return np.nan
    return np.asarray(value, dtype=float) / WAN if np.ndim(value) else float(value) / WAN


def show_table(df: pd.DataFrame, title: str) -> None:
    """Print ``title`` and display ``df`` (rich in a notebook, text elsewhere)."""
    print(title)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the notebook extras
        print(df.to_string())
        return
    if get_ipython() is None:
        print(df.to_string())
    else:
        display(df)


# ---------------------------------------------------------------------------------------------
# tables

def season_actuals(history: pd.DataFrame, region: str, season: int, cutoff=None) -> dict:
    """What the history says about ``season``'s Chunyun window, in the summary contract's shape.

    Per metric: ``unit, total, yoy_pct, daily_avg, peak_date, peak_value, days`` (days observed)
    and ``model="actual"``. Only days up to ``cutoff`` count; a metric with no day in the window
    is left out, a partial window gives partial totals (``days`` says how many).
    """
    region = registry.resolve_region(region)
    s = calendar.season(int(season))
    prev = calendar.season(int(season) - 1)
    h = history[history["unique_id"].astype(str).str.startswith(f"{region}/")]
    if cutoff is not None:
        h = h[pd.to_datetime(h["ds"]) <= pd.Timestamp(cutoff)]
    out: dict = {}
    for uid, g in h.groupby("unique_id"):
        metric = registry.parse_uid(uid)[1]
        y = g.set_index(pd.to_datetime(g["ds"]))["y"].sort_index()
        now = y[pd.Timestamp(s.chunyun_start):pd.Timestamp(s.chunyun_end)]
        if now.empty:
            continue
        before = y[pd.Timestamp(prev.chunyun_start):pd.Timestamp(prev.chunyun_end)]
        n_prev = (prev.chunyun_end - prev.chunyun_start).days + 1
        full = (s.chunyun_end - s.chunyun_start).days + 1
        yoy = (now.sum() / before.sum() - 1) * 100 if len(before) == n_prev and len(now) == full and before.sum() > 0 else None
        out[metric] = {"unit": METRICS[metric].unit, "total": float(now.sum()), "total_lower": None, "total_upper": None,
                       "yoy_pct": yoy, "daily_avg": float(now.mean()), "peak_date": now.idxmax().date().isoformat(),
                       "peak_value": float(now.max()), "peak_probabilities": [], "p_record": None, "model": "actual",
                       "days": int(len(now))}
    return {"region": region, "season": int(season), "cutoff": None if cutoff is None else str(pd.Timestamp(cutoff).date()),
            "data_kind": _kind_of(h), "run_id": None, "metrics": out}


def _kind_of(history: pd.DataFrame) -> str:
    from forecast.engine import data_kind_of

    return data_kind_of(history)


def published_figures(region: str, season: int, kind: str = "forecast") -> dict[str, dict]:
    """The curated published figures of ``season`` per registry metric: ``total, yoy_pct, daily_avg,
    peak_date, peak_value, source`` (only the ones published; flagged and superseded rows left out)."""
    from forecast.reference import load_reference

    ref = load_reference(region=region, season=season, kind=kind, include_flagged=False, include_superseded=False)
    out: dict[str, dict] = {}
    for _, row in ref[ref["metric"].isin(list(METRICS))].iterrows():
        entry = out.setdefault(row["metric"], {})
        measure = row["measure"]
        if measure == "total":
            entry["total"] = row["value"]
        elif measure == "yoy_pct":
            entry["yoy_pct"] = row["value"]
        elif measure == "daily_avg":
            entry["daily_avg"] = row["value"]
        elif measure == "peak":
            entry["peak_date"] = None if pd.isna(row["ds"]) else row["ds"].date().isoformat()
            entry["peak_value"] = row["value"]
        else:
            continue
        entry.setdefault("source", f"{row['source_outlet']} {row['published'].date()}")
    return out


def _fmt(value, digits: int = 1):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else round(float(value), digits)


def mode_table(summary: dict, published: dict | None = None, actual: dict | None = None) -> pd.DataFrame:
    """The by-mode table as a transport department publishes it, counts in 万 (万人次 / 万辆).

    ``summary``: the summary contract (or just its ``metrics``), from the engine or
    :func:`season_actuals`. ``published``: :func:`published_figures` to set beside it; ``actual``:
    a second summary (e.g. the SAMPLE's actual season) for hindsight columns.
    """
    metrics = summary.get("metrics", summary)
    rows = []
    for name in TABLE_ORDER:
        m = metrics.get(name)
        if m is None:
            continue
        meta = METRICS[name]
        row = {
            "指标": meta.zh, "metric": SHORT_EN[name], "unit": meta.display_unit,
            "total": _fmt(wan(m.get("total"))),
            "80% interval": (f"{wan(m['total_lower']):,.1f}–{wan(m['total_upper']):,.1f}"
                             if m.get("total_lower") is not None else None),
            "yoy %": _fmt(m.get("yoy_pct")),
            "daily avg": _fmt(wan(m.get("daily_avg"))),
            "peak day": m.get("peak_date"),
            "peak": _fmt(wan(m.get("peak_value"))),
        }
        if m.get("peak_probabilities"):
            row["P(peak day)"] = next((p["p"] for p in m["peak_probabilities"] if p["date"] == m.get("peak_date")), None)
        if published is not None:
            p = published.get(name, {})
            row.update({"published total": _fmt(wan(p.get("total"))), "published yoy %": _fmt(p.get("yoy_pct")),
                        "published daily avg": _fmt(wan(p.get("daily_avg"))),
                        "published peak day": p.get("peak_date"), "published peak": _fmt(wan(p.get("peak_value")))})
            row["vs published %"] = (_fmt((m["total"] / p["total"] - 1) * 100) if p.get("total") else None)
        if actual is not None:
            a = actual.get("metrics", actual).get(name, {})
            row.update({"actual total": _fmt(wan(a.get("total"))), "actual peak day": a.get("peak_date"),
                        "actual peak": _fmt(wan(a.get("peak_value")))})
        rows.append(row)
    df = pd.DataFrame(rows)
    return df.dropna(axis=1, how="all").set_index("指标")


def peak_table(summary: dict) -> pd.DataFrame:
    """The three likeliest peak days per metric with their probabilities, and ``p_record``."""
    rows = []
    for name in TABLE_ORDER:
        m = summary.get("metrics", summary).get(name)
        if not m:
            continue
        for rank, item in enumerate(m.get("peak_probabilities") or [], start=1):
            rows.append({"metric": SHORT_EN[name], "rank": rank, "date": item["date"], "p": item["p"],
                         "p_record": m.get("p_record")})
    return pd.DataFrame(rows)


def reference_table(region: str, season: int | None = None, seasons=None) -> pd.DataFrame:
    """The curated published figures (real, with sources) in 万 for display."""
    from forecast.reference import load_reference

    ref = load_reference(region=region, season=season)
    if seasons is not None:
        ref = ref[ref["season"].isin(list(seasons))]
    ref = ref[ref["unit"].isin(["persons", "vehicles", "percent"])]
    out = ref[["season", "metric", "measure", "kind", "ds", "value", "unit", "status", "published", "source_outlet"]].copy()
    counts = out["unit"] != "percent"
    out["value"] = np.where(counts, out["value"] / WAN, out["value"]).round(2)
    out["unit"] = out["unit"].map({"persons": "万人次", "vehicles": "万辆", "percent": "%"})
    out["ds"] = out["ds"].dt.date
    out["published"] = out["published"].dt.date
    return out.sort_values(["season", "metric", "kind", "measure"]).reset_index(drop=True)


def season_totals_table(history: pd.DataFrame, region: str, seasons) -> pd.DataFrame:
    """Chunyun window totals (万) per season (rows) and metric (columns) from the history; a season
    counts when at least 95% of its window is there (:func:`forecast.season_totals.history_totals`)."""
    from forecast.season_totals import history_totals

    region = registry.resolve_region(region)
    columns = {}
    for name in TABLE_ORDER:
        g = history[history["unique_id"] == f"{region}/{name}"]
        if len(g):
            columns[f"{SHORT_EN[name]} ({METRICS[name].display_unit})"] = history_totals(g[["ds", "y"]]) / WAN
    table = pd.DataFrame(columns).round(1)
    table.index.name = "season"
    return table.loc[[s for s in seasons if s in table.index]]


def inventory(history: pd.DataFrame) -> pd.DataFrame:
    """One row per series: first and last day, days, missing days, source(s)."""
    rows = []
    for uid, g in history.groupby("unique_id"):
        ds = pd.to_datetime(g["ds"])
        span = (ds.max() - ds.min()).days + 1
        sources = ", ".join(sorted(g["source"].astype(str).unique())) if "source" in g else ""
        rows.append({"series": uid, "first": ds.min().date(), "last": ds.max().date(), "days": len(g),
                     "missing": span - len(g), "source": sources})
    return pd.DataFrame(rows)


def forecast_frame(forecasts: dict) -> pd.DataFrame:
    """Engine ``SeasonForecast`` objects as one long frame ``unique_id, ds, yhat, yhat_lower_80 ... observed``
    (what :func:`forecast.alerts.compute_alerts` takes)."""
    parts = [fc.frame.assign(unique_id=fc.unique_id) for fc in forecasts.values()]
    frame = pd.concat(parts, ignore_index=True)
    return frame[["unique_id"] + [c for c in frame.columns if c != "unique_id"]]


def alert_days(alerts: pd.DataFrame) -> pd.DataFrame:
    """The highest alert per series and day, counts in 万, for display."""
    if alerts.empty:
        return pd.DataFrame(columns=["date", "metric", "level", "rules", "yhat", "P(exceed)", "message_zh"])
    a = alerts.assign(_rank=alerts["level"].map(level_rank))
    rules = a.groupby(["date", "unique_id"])["rule"].agg(lambda r: "+".join(sorted(set(r))))
    top = a.sort_values("_rank", ascending=False).drop_duplicates(["date", "unique_id"]).set_index(["date", "unique_id"])
    top["rules"] = rules
    top = top.reset_index().sort_values(["date", "unique_id"])
    return pd.DataFrame({"date": top["date"].dt.date, "metric": top["metric"].map(SHORT_EN), "level": top["level"],
                         "rules": top["rules"], "yhat": (top["yhat"] / WAN).round(1),
                         "P(exceed)": top["probability"].round(2), "message_zh": top["message_zh"]}).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# figures

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
        covid = s in (2020, 2021, 2022)
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
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    seen = _legend_entries(axes)
    fig.legend(list(seen.values()), list(seen), loc="lower center", ncol=min(len(seen), 8), frameon=False)
    seasons = list(seasons)
    fig.suptitle(f"[{data_tag(history)}] {region_label(region)}: {text('各季春运逐日', 'daily series by season')} "
                 f"{seasons[0]}-{seasons[-1]}, {text('农历对齐', 'lunar-aligned')}")
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return fig


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
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    seen = _legend_entries(axes)
    fig.legend(list(seen.values()), list(seen), loc="lower center", ncol=min(len(seen), 5), frameon=False)
    fc = next(iter(forecasts.values()))
    region = registry.parse_uid(fc.unique_id)[0]
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
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    seen = _legend_entries(axes)
    fig.legend(list(seen.values()), list(seen), loc="lower center", ncol=min(len(seen), 4), frameon=False)
    fc = next(iter(base.values()))
    region = registry.parse_uid(fc.unique_id)[0]
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


# ---------------------------------------------------------------------------------------------
# backtests (forecast.backtest output)

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
    sub = scored[scored["metric"].isin(list(metrics))].copy()
    if seasons is not None:
        sub = sub[sub["season"].isin(list(seasons))]
    signed = sub["metric"].isin(["total_error_pct", "peak_value_error_pct"])
    sub.loc[signed, "value"] = sub.loc[signed, "value"].abs()
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
            total = float(np.where(g[model].isna(), g["y"], g[model]).sum())
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
