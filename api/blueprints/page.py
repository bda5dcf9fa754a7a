"""GET /: the planners' page, rendered from the current run (no external URL anywhere)."""

from __future__ import annotations

from flask import Blueprint, render_template

from api.blueprints.stations import station_block
from api.responses import live
from api.schemas import route
from api.validation import params
from forecast import alerts, briefing, calendar, registry
from forecast.errors import NotFound

bp = Blueprint("page", __name__)

TABLE_METRICS = (registry.TOTAL_METRIC, *registry.MODES, "highway_exit_vehicles")
LEVEL_COLOURS = {"blue": "#1f6fd1", "yellow": "#d9a400", "orange": "#e8700a", "red": "#d0201b"}


def _metric_row(name: str, m: dict) -> dict:
    meta = registry.METRICS[name]
    unit = m.get("unit") or meta.unit
    p_peak = briefing.peak_p(m)
    return {
        "metric": name, "zh": meta.zh, "en": meta.en, "is_mode": meta.is_mode,
        "total": briefing.zh_amount(m.get("total"), unit),
        "interval": (f"{briefing.zh_amount(m.get('total_lower'), unit)} – {briefing.zh_amount(m.get('total_upper'), unit)}"
                     if m.get("total_lower") is not None else "—"),
        "yoy": "—" if m.get("yoy_pct") is None else f"{m['yoy_pct']:+.1f}%",
        "daily_avg": briefing.zh_amount(m.get("daily_avg"), unit),
        "peak_date": str(m.get("peak_date") or "—")[:10],
        "peak_value": briefing.zh_amount(m.get("peak_value"), unit),
        "p_peak": "—" if p_peak is None else f"{round(100 * p_peak)}%",
        "model": m.get("model") or "—",
        "kinds": f"{m.get('history_kind') or '—'} / {m.get('actuals_kind') or '—'}",
    }


def _scorecard_rows(card: dict) -> list[dict]:
    return [{**r, "mape_txt": f"{r['mape']:.2f}%", "naive_txt": f"{r['naive_mape']:.2f}%" if r.get("naive_mape") is not None else "—",
             "band": f"{r['inside_80']}/{r['days_real'] + r['days_derived']}",
             "total_txt": "—" if r.get("total_error_pct") is None else f"{r['total_error_pct']:+.1f}%",
             "peak_txt": f"{r['peak_date']} ({r['peak_day_error']:+d}d, {r['peak_value_error_pct']:+.1f}%)"}
            for r in card["real"]]


def _vintage_figure(rows: list[dict], width: int = 640, height: int = 180) -> dict | None:
    """The revision trail as SVG points: the season total forecast each morning, and the outturn."""
    if len(rows) < 2:
        return None
    totals = [r["total"] for r in rows]
    actual = rows[0].get("actual_total")
    lo, hi = min([*totals, actual or totals[0]]), max([*totals, actual or totals[0]])
    pad = (hi - lo) * 0.1 or hi * 0.01

    def y(v: float) -> float:
        return round(height - 20 - (v - lo + pad) / (hi - lo + 2 * pad) * (height - 40), 1)

    step = (width - 60) / (len(rows) - 1)
    points = " ".join(f"{round(40 + i * step, 1)},{y(v)}" for i, v in enumerate(totals))
    return {"width": width, "height": height, "points": points, "actual_y": None if actual is None else y(actual),
            "actual": actual, "first": totals[0], "last": totals[-1], "days": len(rows) - 1}


def _alert_marks(view, season: int, region: str, uid: str, lang: str) -> list[dict]:
    """One marker per day with alerts for ``uid`` in ``season``'s Chunyun window: the highest level,
    its colour, the rules and the first message. Cached per run like the alerts they come from."""
    start, days = alerts.default_window(season=season)
    version = alerts.load_thresholds().version

    def build() -> list[dict]:
        _, _, frame, _ = view.alerts(start, days, region, None)
        marks = []
        for day, g in frame[frame["unique_id"] == uid].groupby("date", sort=True):
            top = max(g["level"], key=alerts.level_rank)
            marks.append({"date": day.date().isoformat(), "level": top, "colour": LEVEL_COLOURS[top],
                          "rules": sorted(set(g["rule"])),
                          "message": g.iloc[0]["message_zh" if lang == "zh" else "message_en"]})
        return marks

    return view.cached(("page-alerts", start, days, region, version, uid, lang), build)


@route(bp, "page")
def index():
    q = params("page")
    view = live()
    regions = sorted(view.run.summaries)
    region = registry.resolve_region(q["region"]) if q.get("region") else ("jiangxi" if "jiangxi" in regions else
                                                                           (regions[0] if regions else "national"))
    seasons = sorted((int(s) for s in view.run.summaries.get(region, {}) if str(s).isdigit()), reverse=True)
    season = q.get("season") or (view.default_season if view.default_season in seasons or not seasons else seasons[0])
    summary = view.summary(region, season)
    metric = q.get("metric") or "highway_exit_vehicles"
    uid = f"{region}/{metric}"
    lang = q["lang"]

    s = calendar.season(season)
    chart = None
    if uid in view.series:
        sf = view.series[uid]
        i, j = sf.span(s.chunyun_start.isoformat(), s.chunyun_end.isoformat())
        marks = _alert_marks(view, season, region, uid, lang)
        lo95, hi95 = sf.bounds.get(95, (sf.yhat, sf.yhat))
        lo80, hi80 = sf.bounds.get(80, (sf.yhat, sf.yhat))
        meta = registry.METRICS[metric]
        chart = {
            "uid": uid, "title": f"{registry.regions()[region].zh}{meta.zh} · {meta.en}", "unit": meta.unit,
            "display_unit": meta.display_unit, "dates": sf.ds[i:j], "yhat": sf.yhat[i:j].tolist(),
            "lo80": lo80[i:j].tolist(), "hi80": hi80[i:j].tolist(), "lo95": lo95[i:j].tolist(), "hi95": hi95[i:j].tolist(),
            "alerts": marks, "colours": LEVEL_COLOURS,
            "thresholds": alerts.load_thresholds().for_series(uid).absolute,
            "spring_festival": s.spring_festival.isoformat(),
        }
        alert_rows = [{**m, "level_zh": alerts.LEVEL_ZH[m["level"]]} for m in marks]
    else:
        alert_rows = []
    metrics = summary.get("metrics", {})
    table = [_metric_row(name, metrics[name]) for name in TABLE_METRICS if name in metrics]
    data_kind = summary.get("data_kind") or view.data_kind
    card = view.scorecard(season, None) if region == "national" else {"real": [], "nowcast": [], "vintages": []}
    trail = [r for r in card["vintages"] if r["unique_id"] == f"{region}/{registry.TOTAL_METRIC}"]
    if not table and not chart:
        raise NotFound(f"nothing to show for {region} {season}", hint="pick another region or season")
    return render_template(
        "index.html", region=region, region_zh=registry.regions()[region].zh, season=season, seasons=seasons,
        regions=regions, metric=metric, metrics=list(registry.METRICS), metric_names=registry.METRICS, lang=lang,
        table=table, chart=chart, alert_rows=alert_rows, data_kind=data_kind, run_id=view.id,
        cutoff=summary.get("cutoff") or view.manifest.get("cutoff"), window=(s.chunyun_start, s.chunyun_end),
        text=view.briefing(region, season, lang), region_names=registry.regions(),
        actuals_kind=summary.get("actuals_kind"), scorecard=_scorecard_rows(card), nowcast=card["nowcast"],
        one_day_ahead=card.get("one_day_ahead", []), trail=_vintage_figure(trail),
        stations=station_block(view, region, season, LEVEL_COLOURS),
    )
