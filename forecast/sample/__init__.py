"""The calibrated SAMPLE history: daily series shaped like Chunyun, calibrated to published figures.

Every value this module produces is synthetic. It stands in for the daily history no public source
provides, so the rest of the service (store, models, backtests, API) has something realistic to run
on. ``data/sample/README.md`` and ``data/sample/ASSUMPTIONS.md`` explain every number; the short
version:

- **Series**: ``national`` and ``jiangxi`` x the seven registry metrics, daily 2015-01-01 to
  2025-06-30, base units. Within a region and day the five modes add up exactly to
  ``cross_regional_trips``.
- **Season totals** (the 40-day Chunyun window) come from :func:`season_targets`: published
  figures where they exist, otherwise stated assumptions (shares, growth, bridges).
- **Shape** follows the lunar calendar and the official holiday from :mod:`forecast.calendar`
  (pre-festival build-up, 除夕/初一 trough, return peak on the last holiday days, the Lantern wave,
  toll-free uplift), ordinary days carry a weekday rhythm and the other public holidays, and the
  noise is multiplicative AR(1). COVID years follow a stated factor path. Seasons with real
  national days (2024, 2025) follow the real national curve of each mode instead, as public
  before the next season opened (Jiangxi with its stated deviation).
- **Daily pins**: national days with a published actual are set to it; the adjustment is smoothed
  into the neighbours and the season totals are re-imposed on the other days.
- **No look-ahead, by construction**: the values dated before season S+1 opens are computed from
  ``reference[published < chunyun_start(S+1)]`` plus the year-on-year statements published on that
  opening day about season S (Jiangxi's "3.5亿, +6%"). The exceptions (basis bridges for seasons
  before 2023) are listed in ASSUMPTIONS.md.

Public API: :func:`generate`, :func:`write_sample`, :func:`load_sample`, :func:`season_targets`,
:func:`calibration_table` (and the constants of :mod:`~forecast.sample.assumptions`, re-exported here).

Modules, by job:

- ``assumptions``: every constant, with its reason (the season shapes too);
- ``asof``: the as-of view of the reference (what was public before a season opened);
- ``targets``: season targets per series, the bridges onto the 2024 basis, the parts of a window;
- ``shapes``: the day axis, season shapes, ordinary-day, COVID and trend factors;
- ``realshape``: the season shape from the real national days (2024, 2025), read as of the next season;
- ``draw``: one series drawn and calibrated, and :func:`generate`;
- ``pins``: daily pins and the shape guards;
- ``files``: ``history.csv.gz`` and ``calibration.csv`` written and read, the calibration table.
"""

from __future__ import annotations

from forecast.sample import assumptions
from forecast.sample.asof import _Ref
from forecast.sample.assumptions import *  # noqa: F403 - re-exports its __all__
from forecast.sample.draw import generate
from forecast.sample.files import calibration_table, load_sample, sample_dir, write_sample
from forecast.sample.pins import PIN_METRIC
from forecast.sample.targets import Target, _Bridge, season_targets

# Today's public API (every name the module forecast/sample.py had), and the private helpers tests use.
__all__ = [
    *assumptions.__all__,
    "Target", "season_targets", "PIN_METRIC", "generate", "sample_dir", "write_sample", "load_sample",
    "calibration_table", "_Bridge", "_Ref",
]
