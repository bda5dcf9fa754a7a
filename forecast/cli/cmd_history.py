"""``chunyun history UNIQUE_ID``: the stored rows of one series (``unique_id, ds, y, source``)."""

from __future__ import annotations

from forecast.cli.output import emit, parse_date_arg, text_table
from forecast.errors import InvalidInput, NotFound

HELP = "the stored rows of one series"
DESCRIPTION = ("Print the stored observations of one series, in base units (persons or vehicles). "
               "The series may be named with aliases, e.g. 江西/铁路旅客发送量.")
FORMATS = ("json", "csv")


def arguments(parser) -> None:
    parser.add_argument("unique_id", metavar="UNIQUE_ID", help="region/metric, e.g. jiangxi/highway_exit_vehicles")
    parser.add_argument("--start", metavar="DATE", help="first day (YYYY-MM-DD, inclusive)")
    parser.add_argument("--end", metavar="DATE", help="last day (YYYY-MM-DD, inclusive)")


def resolve_uid(value: str) -> str:
    """``region/metric`` in canonical names; aliases accepted; NotFound for anything else."""
    from forecast import registry

    parts = str(value).strip().split("/")
    if len(parts) == 3:  # a toll station: region/metric/station
        return "/".join(registry.parse_series(f"{registry.make_uid(*parts[:2])}/{parts[2]}"))
    if len(parts) != 2:
        raise NotFound(f"unknown series {value!r}",
                       hint="a series is named region/metric (or region/metric/station), e.g. jiangxi/highway_exit_vehicles")
    return registry.make_uid(*parts)


def run(args) -> int:
    from forecast.store import Store

    start, end = parse_date_arg(args.start, "--start"), parse_date_arg(args.end, "--end")
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"--start {args.start} is after --end {args.end}")
    uid = resolve_uid(args.unique_id)
    store = Store()
    store.require_series(uid)
    frame = store.read([uid], start=start, end=end)
    emit(frame, args.fmt, text=_text)
    return 0


def _text(frame) -> str:
    return text_table(frame, "no rows in that date range",
                      y=lambda y: y.map(lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"))
