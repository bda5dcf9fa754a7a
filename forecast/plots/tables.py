"""Tables: the by-mode season table, peak odds, published figures, inventories and alert days, in 万.

Nothing here forecasts or counts: each function lays out what :mod:`forecast.engine`,
:mod:`forecast.actuals`, :mod:`forecast.reference` or :mod:`forecast.alerts` returned the way a transport department publishes it. Tables are text and
always carry the Chinese names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import actuals
from forecast.alerts import level_rank
from forecast.plots.labels import SHORT_EN, TABLE_ORDER, WAN, wan
from forecast.registry import METRICS


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
    :func:`forecast.actuals.season_actuals`. ``published``: :func:`published_figures` to set beside it; ``actual``:
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
    """Chunyun window totals (万) per season (rows) and metric (columns) from the history
    (:func:`forecast.actuals.season_totals_by_metric`)."""
    totals = actuals.season_totals_by_metric(history, region, TABLE_ORDER)
    columns = {f"{SHORT_EN[name]} ({METRICS[name].display_unit})": totals[name] / WAN for name in totals}
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
