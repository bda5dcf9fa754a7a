"""``chunyun sample``: (re)generate the calibrated SAMPLE history in ``data/sample/``.

Thin: :func:`forecast.sample.write_sample` does the work. ``--json``/``--csv`` print the
calibration table (season targets against the sample's season totals) on stdout.
"""

from __future__ import annotations

import logging

from forecast.cli.output import emit
from forecast.errors import InvalidInput

log = logging.getLogger(__name__)


HELP = "generate the calibrated SAMPLE history (data/sample/)"
DESCRIPTION = ("Generate the sample daily history (every value synthetic, calibrated to the published "
               "figures; see data/sample/ASSUMPTIONS.md). The output is identical for a seed.")
FORMATS = ("json", "csv")


def arguments(parser) -> None:
    from forecast.sample import DEFAULT_SEED

    parser.add_argument("--out", metavar="DIR", help="output directory (default: data/sample under CHUNYUN_DATA_DIR)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--stations", type=int, metavar="N",
                        help="instead, generate N SAMPLE toll stations splitting the region's sample highway exits "
                             "(registry data/stations/REGION.csv, series data/sample/stations/; with --out, all in DIR)")
    parser.add_argument("--region", default="jiangxi", help="region of --stations (default jiangxi)")


def run(args) -> int:
    import pandas as pd

    from forecast import sample

    if args.seed < 0:
        raise InvalidInput(f"--seed {args.seed} is negative", hint="use a seed of 0 or more")
    if getattr(args, "stations", None) is not None:
        return _stations(args)
    path = sample.write_sample(args.out, seed=args.seed)
    table = pd.read_csv(path.parent / sample.CALIBRATION_FILE)
    log.info("wrote %s and %s", path, path.parent / sample.CALIBRATION_FILE)
    worst = table["diff_pct"].abs().max()
    emit(table, args.fmt, text=lambda _: (
        f"wrote {path} (seed {args.seed}): {len(table)} season targets, largest difference {worst:.4f}%"))
    return 0


def _stations(args) -> int:
    import pandas as pd

    from forecast.registry import resolve_region
    from forecast.stations import sample as station_sample

    if args.stations < 1:
        raise InvalidInput(f"--stations {args.stations} must be at least 1", hint="e.g. --stations 300")
    region = resolve_region(args.region)
    registry_out = None if args.out is None else f"{args.out}/{region}.csv"
    paths = station_sample.write(args.stations, seed=args.seed, region=region, out_dir=args.out,
                                 registry_out=registry_out)
    out = {"region": region, "stations": args.stations, "seed": args.seed, **{k: str(v) for k, v in paths.items()}}
    emit(pd.DataFrame([out]) if args.fmt == "csv" else out, args.fmt, text=lambda o: f"wrote {o['stations']} SAMPLE stations of {region}: {o['registry']}, "
                                       f"{o['series']} (held-back days in {o['gaps']})")
    return 0
