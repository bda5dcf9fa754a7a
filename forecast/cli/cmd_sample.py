"""``chunyun sample``: (re)generate the calibrated SAMPLE history in ``data/sample/``.

Thin: :func:`forecast.sample.write_sample` does the work. ``--json``/``--csv`` print the
calibration table (season targets against the sample's season totals) on stdout.
"""

from __future__ import annotations

import logging

from forecast.cli.output import add_format_flags, emit
from forecast.errors import InvalidInput

log = logging.getLogger(__name__)


def register(sub) -> None:
    from forecast.sample import DEFAULT_SEED

    parser = sub.add_parser(
        "sample", help="generate the calibrated SAMPLE history (data/sample/)",
        description="Generate the sample daily history (every value synthetic, calibrated to the published "
                    "figures; see data/sample/ASSUMPTIONS.md). The output is identical for a seed.")
    parser.add_argument("--out", metavar="DIR", help="output directory (default: data/sample under CHUNYUN_DATA_DIR)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    add_format_flags(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    import pandas as pd

    from forecast import sample

    if args.seed < 0:
        raise InvalidInput(f"--seed {args.seed} is negative", hint="use a seed of 0 or more")
    path = sample.write_sample(args.out, seed=args.seed)
    table = pd.read_csv(path.parent / sample.CALIBRATION_FILE)
    log.info("wrote %s and %s", path, path.parent / sample.CALIBRATION_FILE)
    worst = table["diff_pct"].abs().max()
    emit(table, args.fmt, text=lambda _: (
        f"wrote {path} (seed {args.seed}): {len(table)} season targets, largest difference {worst:.4f}%"))
    return 0
