"""``chunyun train``: fit every stored series and publish a run (the API then serves it)."""

from __future__ import annotations

import time

from forecast.cli.output import emit, parse_date_arg

HELP = "fit every series, write a run and make it current"
DESCRIPTION = ("Fit every series in the store on data up to --cutoff (default: the data end), write the "
               "season-aligned past forecasts, the forward forecast through the second season after the "
               "cutoff, summaries, backtest metrics and model JSON into a new run, then switch `current` to it "
               "atomically. Progress goes to stderr.")
FORMATS = ("json",)


def arguments(parser) -> None:
    parser.add_argument("--cutoff", help="last day the models may see (YYYY-MM-DD)")
    parser.add_argument("--workers", type=int, default=2, help="processes to use (default 2)")
    parser.add_argument("--engine", choices=("local", "spark"), default="local",
                        help="where the station series are fitted: the local process pool (default) or Spark")
    parser.add_argument("--spark-master", metavar="URL", help="Spark master for --engine spark (default local[2], "
                        "e.g. spark://127.0.0.1:7077)")


def run(args) -> int:
    from forecast.errors import InvalidInput
    from forecast.runs import Run
    from forecast.train import train

    if args.workers < 1:
        raise InvalidInput(f"--workers {args.workers} must be at least 1", hint="e.g. --workers 2")
    t0 = time.perf_counter()
    if args.spark_master and args.engine != "spark":
        raise InvalidInput("--spark-master needs --engine spark", hint="add --engine spark")
    path = train(cutoff=parse_date_arg(args.cutoff, "--cutoff"), workers=args.workers, engine=args.engine,
                 spark_master=args.spark_master)
    manifest = Run.open(path).manifest
    out = {"run_id": manifest["run_id"], "path": str(path), "cutoff": manifest["cutoff"], "data_end": manifest["data_end"],
           "series": len(manifest["series"]), "backtest": manifest["backtest"], "seconds": round(time.perf_counter() - t0, 1)}
    emit(out, args.fmt, text=lambda o: f"published run {o['run_id']} ({o['series']} series, cutoff {o['cutoff']}, "
                                       f"{o['backtest']} backtest) in {o['seconds']} s")
    return 0
