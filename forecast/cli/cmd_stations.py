"""``chunyun stations``: the toll stations of a region, ranked on a day from the current run.

- ``chunyun stations [--region R] [--date D] [--top N] [--by exits|load]``: the day's ranking with
  forecast exits, 80% interval, load against design capacity, capacity level and lane plan
  (default day: the busiest of the run's latest season);
- ``chunyun stations --registry``: the station registry (``data/stations/<region>.csv``) alone;
- ``chunyun stations fit --input IN.parquet --context CTX.json --output OUT.parquet [--engine spark
  --spark-master URL]``: run the per-station function on a Parquet input and its context file
  (what ``chunyun train`` writes under ``runs/<id>/stations/``) on either engine — the way a
  cluster job is submitted and compared with the local engine.
"""

from __future__ import annotations

import logging

from forecast.cli.output import add_format_flags, emit, parse_date_arg

log = logging.getLogger(__name__)


HELP = "toll stations ranked on a day: exits, load, capacity level, lanes"
DESCRIPTION = ("The toll stations of a region on a day, from the current run: forecast exits "
               "with the 80%% interval, load against design capacity, the capacity alert "
               "level and the ETC/manual lanes needed at the busiest hour.")
FORMATS: tuple[str, ...] = ()  # added in arguments, before the sub-command ``fit``


def arguments(parser) -> None:
    parser.add_argument("--region", help="region (default: the first with stations)")
    parser.add_argument("--date", help="day (YYYY-MM-DD; default: the busiest of the run's latest season)")
    parser.add_argument("--top", type=int, help="at most N stations (default all)")
    parser.add_argument("--by", choices=("exits", "load"), default="exits", help="rank by exits (default) or load")
    parser.add_argument("--registry", action="store_true", help="list the station registry only (no run needed)")
    add_format_flags(parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    fit = actions.add_parser("fit", help="run the station function on a Parquet input with either engine")
    fit.add_argument("--input", required=True, help="Parquet input (unique_id, ds, y)")
    fit.add_argument("--context", required=True, help="context JSON (province actuals and forecasts, models)")
    fit.add_argument("--output", required=True, help="Parquet output of the base station forecasts")
    fit.add_argument("--engine", choices=("local", "spark"), default="local")
    fit.add_argument("--spark-master", metavar="URL", help="Spark master (default local[2])")
    fit.add_argument("--workers", type=int, default=2, help="local engine processes (default 2)")
    add_format_flags(fit, csv=False)
    fit.set_defaults(func=run_fit)


def run(args) -> int:
    from forecast import runs
    from forecast.errors import InvalidInput
    from forecast.stations import registry as st_registry
    from forecast.stations.serve import ROW_COLUMNS, StationView

    if args.top is not None and args.top < 1:
        raise InvalidInput(f"--top {args.top} must be at least 1", hint="e.g. --top 20")
    if args.registry:
        from forecast.registry import resolve_region

        region = resolve_region(args.region or (st_registry.regions_with_stations() or ["jiangxi"])[0])
        frame = st_registry.load(region)
        frame = frame.head(args.top) if args.top else frame
        emit(frame, args.fmt, text=lambda f: f"{len(f)} stations of {region} (data/stations/{region}.csv)\n"
                                             + f.to_string(index=False))
        return 0
    view = StationView(runs.current_run())
    meta, rows = view.rank(args.region, parse_date_arg(args.date, "--date"), args.top, args.by)
    rows = rows[ROW_COLUMNS]
    if args.fmt == "json":
        from forecast.formats import frame_records

        emit({**meta, "rows": frame_records(rows)}, "json")
    else:
        emit(rows, args.fmt, text=lambda f: _text(meta, f))
    return 0


def _text(meta: dict, rows) -> str:
    head = (f"{meta['region']} {meta['date']} (season {meta['season']}, run {meta['run_id']}, {meta['data_kind']}): "
            f"{meta['stations']} stations, {meta['over_capacity']} over design capacity, by {meta['by']}")
    lines = [head, f"{'station':<14} {'name':<16} {'kind':<9} {'exits':>9} {'80% interval':>19} {'load':>6} "
                   f"{'level':<7} {'ETC need/have':>13} {'manual need/have':>16}"]
    for r in rows.itertuples(index=False):
        lines.append(f"{r.station:<14} {r.name:<16} {r.kind:<9} {r.yhat:>9,.0f} {r.yhat_lower:>9,.0f}–{r.yhat_upper:<9,.0f} "
                     f"{r.load_ratio:>6.0%} {r.level or '':<7} {r.lanes_etc_needed:>6}/{r.lanes_etc:<6} "
                     f"{r.lanes_manual_needed:>8}/{r.lanes_manual:<7}")
    return "\n".join(lines)


def run_fit(args) -> int:
    from forecast.stations import engines

    ctx = engines.load_context(args.context)
    timings = engines.run(args.engine, args.input, ctx, args.output, workers=args.workers, spark_master=args.spark_master)
    out = {"engine": args.engine, "master": args.spark_master if args.engine == "spark" else None, "output": args.output,
           "seconds": {k: round(v, 2) for k, v in timings.items() if isinstance(v, float)}}
    emit(out, args.fmt, text=lambda o: f"{o['engine']} engine wrote {o['output']} in {o['seconds'].get('total')} s")
    return 0
