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
  noise is multiplicative AR(1). COVID years follow a stated factor path.
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
- ``draw``: one series drawn and calibrated, and :func:`generate`;
- ``pins``: daily pins and the shape guards;
- ``files``: ``history.csv.gz`` and ``calibration.csv`` written and read, the calibration table.
"""

from __future__ import annotations

from forecast.sample.asof import _Ref
from forecast.sample.assumptions import (
    AIR,
    ANCHOR_SEASON,
    ANNUAL,
    CALIBRATION_FILE,
    CHUNYUN_RATIO,
    COVID_2020_OPERATING_RATIO_TO_2021_FORECAST,
    COVID_BREAK,
    COVID_FADE_DAYS,
    COVID_KNOTS,
    COVID_SEASONS,
    COVID_SENSITIVITY,
    DEFAULT_SEED,
    DRIVING,
    DRIVING_KNOTS,
    FILL_GROWTH,
    FIRST_SEASON,
    FROZEN_IN_COVID,
    GENERATED,
    HIGHWAY,
    HIGHWAY_2021_VS_2019_PCT,
    HIGHWAY_GROWTH_PRE2019,
    HOLIDAY_UPLIFT,
    IN_SEASON_WEEKDAY,
    JIANGXI_SHARE,
    LAST_SEASON,
    MAX_TROUGH_PIN_MOVE,
    NOISE_PHI,
    NOISE_SIGMA,
    NOTE_STATEMENTS,
    OPERATING_MODES,
    PIN_BRIDGE,
    PIN_REACH,
    POST_DAYS,
    PRE_OFFSETS,
    RAIL,
    RAMP_DAYS,
    RECOVERY_2023,
    RECOVERY_END,
    RECOVERY_START,
    REGION_COVID_SCALE,
    REGION_METRIC_TWEAK,
    REGION_TWEAK,
    REGIONS,
    RESTATE_PRE2024_SELFDRIVE,
    ROAD,
    SAMPLE_END,
    SAMPLE_FILE,
    SAMPLE_START,
    SELFDRIVE,
    SELFDRIVE_2021_VS_2019_PCT,
    SELFDRIVE_2023_VS_2019_PCT,
    SELFDRIVE_2023_VS_2022_PCT,
    SELFDRIVE_GROWTH_PRE2019,
    SHAPES,
    SOURCE,
    STRUCTURAL_2023,
    TOLL_FREE_HOLIDAY_EXTRA,
    TOLL_FREE_UPLIFT,
    TREND,
    TROUGH_MARGIN,
    TROUGH_RANK,
    WATER,
    WEEKDAY,
    Shape,
)
from forecast.sample.draw import generate
from forecast.sample.files import calibration_table, load_sample, sample_dir, write_sample
from forecast.sample.pins import PIN_METRIC
from forecast.sample.targets import Target, _Bridge, season_targets

# Today's public API (every name the module forecast/sample.py had), and the private helpers tests use.
__all__ = [
    "DEFAULT_SEED",
    "SAMPLE_START",
    "SAMPLE_END",
    "FIRST_SEASON",
    "LAST_SEASON",
    "ANCHOR_SEASON",
    "REGIONS",
    "SAMPLE_FILE",
    "CALIBRATION_FILE",
    "SOURCE",
    "HIGHWAY",
    "RAIL",
    "ROAD",
    "SELFDRIVE",
    "AIR",
    "WATER",
    "OPERATING_MODES",
    "GENERATED",
    "COVID_SEASONS",
    "COVID_BREAK",
    "RESTATE_PRE2024_SELFDRIVE",
    "SELFDRIVE_2023_VS_2019_PCT",
    "SELFDRIVE_2023_VS_2022_PCT",
    "SELFDRIVE_2021_VS_2019_PCT",
    "SELFDRIVE_GROWTH_PRE2019",
    "HIGHWAY_2021_VS_2019_PCT",
    "HIGHWAY_GROWTH_PRE2019",
    "FILL_GROWTH",
    "COVID_2020_OPERATING_RATIO_TO_2021_FORECAST",
    "NOTE_STATEMENTS",
    "JIANGXI_SHARE",
    "CHUNYUN_RATIO",
    "TREND",
    "FROZEN_IN_COVID",
    "ANNUAL",
    "WEEKDAY",
    "HOLIDAY_UPLIFT",
    "TOLL_FREE_HOLIDAY_EXTRA",
    "TOLL_FREE_UPLIFT",
    "IN_SEASON_WEEKDAY",
    "NOISE_PHI",
    "NOISE_SIGMA",
    "RAMP_DAYS",
    "COVID_FADE_DAYS",
    "PIN_REACH",
    "PIN_BRIDGE",
    "TROUGH_RANK",
    "TROUGH_MARGIN",
    "MAX_TROUGH_PIN_MOVE",
    "COVID_KNOTS",
    "DRIVING_KNOTS",
    "COVID_SENSITIVITY",
    "DRIVING",
    "REGION_COVID_SCALE",
    "RECOVERY_2023",
    "STRUCTURAL_2023",
    "RECOVERY_START",
    "RECOVERY_END",
    "Shape",
    "PRE_OFFSETS",
    "POST_DAYS",
    "SHAPES",
    "REGION_TWEAK",
    "REGION_METRIC_TWEAK",
    "Target",
    "season_targets",
    "PIN_METRIC",
    "generate",
    "sample_dir",
    "write_sample",
    "load_sample",
    "calibration_table",
    "_Bridge",
    "_Ref",
]
