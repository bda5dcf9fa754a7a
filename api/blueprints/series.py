"""GET /v1/series: every series with its unit, stored history range and data kind."""

from flask import Blueprint

from api.responses import live, store, table
from api.schemas import route
from api.validation import params
from forecast import registry
from forecast.errors import NotReady
from forecast.store import kind_of_sources

bp = Blueprint("series", __name__)

COLUMNS = ["unique_id", "region", "metric", "unit", "display_unit", "name_zh", "name_en", "data_kind", "in_run",
           "model", "history_start", "history_end", "observations"]


@route(bp, "list_series")
def list_series():
    q = params("list_series")
    region = registry.resolve_region(q["region"]) if q.get("region") else None
    try:
        view = live()
        in_run, models, run_id, run_kind = set(view.series), view.manifest.get("models") or {}, view.id, view.data_kind
    except NotReady:
        in_run, models, run_id, run_kind = set(), {}, None, None
    stored = {row.unique_id: row for row in store().series().itertuples(index=False)}
    if run_id is not None:  # toll-station series forecast in the run
        in_run |= set(view.stations().forecasts["unique_id"].unique())
    rows = []
    for uid in sorted(in_run | set(stored)):
        try:
            reg, metric, station = registry.parse_series(uid)
        except Exception:  # noqa: BLE001 - stored rows of a series the registry no longer knows
            continue
        if region and reg != region:
            continue
        meta, s = registry.METRICS[metric], stored.get(uid)
        rows.append({
            "unique_id": uid, "region": reg, "metric": metric, "unit": meta.unit, "display_unit": meta.display_unit,
            "name_zh": f"{registry.regions()[reg].zh}{meta.zh}" + (f" {station}" if station else ""),
            "name_en": f"{registry.regions()[reg].en} {meta.en}" + (f" {station}" if station else ""),
            "data_kind": kind_of_sources(set(filter(None, s.sources.split(";")))) if s is not None else None,
            "in_run": uid in in_run,
            "model": models.get(uid) if isinstance(models, dict) else None,
            "history_start": s.first_ds.date().isoformat() if s is not None else None,
            "history_end": s.last_ds.date().isoformat() if s is not None else None,
            "observations": int(s.rows) if s is not None else None,
        })
    return table(rows, q["format"], COLUMNS, {"run_id": run_id, "data_kind": run_kind}, key="series")
