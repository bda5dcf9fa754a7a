"""GET /v1/stations: toll stations ranked on a day, with load, capacity level and lane plan."""

from flask import Blueprint, Response

from api.responses import live
from api.schemas import route
from api.validation import params

bp = Blueprint("stations", __name__)


@route(bp, "list_stations")
def list_stations():
    q = params("list_stations")
    body, mimetype = live().stations_body(q.get("region"), q.get("date"), q.get("top"), q["by"], q["format"])
    return Response(body, mimetype=mimetype)


BUSIEST = 10


def station_block(view, region: str, season: int, colours: dict) -> dict | None:
    """The planners' page block: the season's busiest day, its busiest stations and those over
    capacity (None when the run has no stations for the region or the season)."""
    from forecast import calendar
    from forecast.errors import ChunyunError

    def build():
        try:
            st = view.stations()
            fc = st.forecasts
            s = calendar.season(season)
            days = fc[(fc["region"] == region) & (fc["ds"] >= str(s.chunyun_start)) & (fc["ds"] <= str(s.chunyun_end))]
            if days.empty:
                return None
            day = days.groupby("ds")["yhat"].sum().idxmax().date()
            meta, rows = st.rank(region, day, None, "exits")
        except ChunyunError:
            return None

        def fmt(r) -> dict:
            return {"name": r.name, "kind": r.kind, "yhat": f"{r.yhat:,.0f}", "interval": f"{r.yhat_lower:,.0f} – {r.yhat_upper:,.0f}",
                    "capacity": f"{r.capacity:,.0f}", "load": f"{r.load_ratio:.0%}", "level": r.level,
                    "colour": colours.get(r.level, ""), "lanes_etc": f"{r.lanes_etc_needed} / {r.lanes_etc}",
                    "lanes_manual": f"{r.lanes_manual_needed} / {r.lanes_manual}"}

        over = rows[rows["load_ratio"] >= 1.0].sort_values("load_ratio", ascending=False)
        return {"date": day.isoformat(), "meta": meta, "busiest": [fmt(r) for r in rows.head(BUSIEST).itertuples()],
                "over": [fmt(r) for r in over.itertuples()]}

    return view.cached(("page-stations", region, season), build)
