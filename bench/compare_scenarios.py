"""Byte-equality of the what-if scenarios before and after a refactor: old code and new code.

    .venv/bin/python bench/compare_scenarios.py --rev main
    .venv/bin/python bench/compare_scenarios.py --rev HEAD~1 --keep

The code of ``--rev`` (default ``HEAD``) is taken with ``git archive`` into a temporary folder, as
``bench/compare_outputs.py plots`` does; each checkout then runs the cases below in its own Python
process on the embedded SAMPLE (``forecast.sample.load_sample``, this working tree's ``data/``).

The cases (:data:`CASES`): Jiangxi 2025 before the window opens (the scenario notebook's
defaults), the same season as a nowcast ten days into the window (observed days), and the national
2024 season. For each: the base forecast (``forecast.scenarios.base_forecast``) and growth +2/-2
points, holidays of 9, 6 and 12 days, no toll-free days and two storms. Written and compared byte
for byte: ``scenarios.compare`` (the notebook's table) and every day of every series of the base
and of each scenario (all the ``SeasonForecast`` frame columns, floats at full precision), with
each scenario's name and description.

Prints one line per comparison and a verdict; exit status 0 when everything is identical, 1 on a
difference, 2 when the comparison could not be made. A few minutes (21 series fitted per side).
"""

from __future__ import annotations

import argparse
import sys

from compare_outputs import compare_child_files, guarded

RUN_SCENARIOS = r"""
import sys
from pathlib import Path
import pandas as pd
import forecast
from forecast import sample, scenarios

CASES = {
    "jiangxi-2025": ("jiangxi", 2025, "2025-01-13", None, "2025-01-20"),
    "jiangxi-2025-nowcast": ("jiangxi", 2025, "2025-01-13", "2025-01-27", "2025-01-20"),
    "national-2024": ("national", 2024, "2024-01-20", None, "2024-02-01"),
}
out = Path(sys.argv[1])
history = sample.load_sample()
for name, (region, season, cutoff, as_of, storm_day) in CASES.items():
    base = scenarios.base_forecast(history, region, season, cutoff, as_of)
    what_ifs = [scenarios.growth(base, 2.0), scenarios.growth(base, -2.0), scenarios.holiday_length(base, 9),
                scenarios.holiday_length(base, 6), scenarios.holiday_length(base, 12), scenarios.no_toll_free(base),
                scenarios.storm(base, None, 3, closure=0.6, recovery=0.7), scenarios.storm(base, storm_day, 2)]
    scenarios.compare(base, what_ifs).to_csv(out / f"{name}-compare.csv", index=False)
    days = [fc.frame.assign(scenario=sc.name, description=sc.description, metric=metric)
            for sc in [scenarios.Scenario("base", "", base.forecasts), *what_ifs] for metric, fc in sc.forecasts.items()]
    pd.concat(days, ignore_index=True).to_csv(out / f"{name}-days.csv", index=False, float_format="%r")
print(Path(forecast.__file__).resolve().parent)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with (default HEAD)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = parser.parse_args(argv)
    return guarded("compare_scenarios", compare_child_files, args.rev, args.keep, RUN_SCENARIOS,
                   "running the scenarios")


if __name__ == "__main__":
    sys.exit(main())
