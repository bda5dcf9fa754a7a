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
:func:`calibration_table`.
"""

from __future__ import annotations

import gzip
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import calendar, settings
from forecast.errors import NotFound, Unprocessable
from forecast.registry import MODES, TOTAL_METRIC

log = logging.getLogger(__name__)

DEFAULT_SEED = 2025
SAMPLE_START = pd.Timestamp("2015-01-01")
SAMPLE_END = pd.Timestamp("2025-06-30")
FIRST_SEASON, LAST_SEASON = 2015, 2025  # Chunyun windows inside the sample
ANCHOR_SEASON = 2014  # its level anchors the first days (2015-01-01 .. 2015-02-03)
REGIONS: tuple[str, ...] = ("national", "jiangxi")
SAMPLE_FILE = "history.csv.gz"
CALIBRATION_FILE = "calibration.csv"
SOURCE = "sample"

HIGHWAY = "highway_exit_vehicles"
RAIL, ROAD, SELFDRIVE, AIR, WATER = ("rail_passengers", "road_passengers", "selfdrive_trips",
                                     "air_passengers", "water_passengers")
OPERATING_MODES: tuple[str, ...] = (RAIL, ROAD, AIR, WATER)
GENERATED: tuple[str, ...] = (*MODES, HIGHWAY)  # series drawn; cross_regional_trips is their sum
COVID_SEASONS = (2020, 2021, 2022)
COVID_BREAK = pd.Timestamp("2020-01-23")  # Wuhan closed; the 2020 season splits here

# ---------------------------------------------------------------------------------------------
# Assumptions. Every constant here is stated, with its reason, in data/sample/ASSUMPTIONS.md.

# Basis bridge for self-driving before 2024 (ASSUMPTIONS.md §3). The 2023 restatement
# (47.33亿 = 15.95亿 operating + 31.38亿) counts self-driving on expressways only; from 2024 the
# series adds ordinary national/provincial roads. Seasons <= 2023 are restated onto the 2024 basis
# with a factor taken from what was public before the 2024 season opened (_Bridge.from_reference).
# False keeps the published expressway basis (then 2023 = 47.33亿 and 2024 jumps +78%).
RESTATE_PRE2024_SELFDRIVE = True
# Published year-on-year changes of 2023 expressway self-driving (2023 release, note field).
SELFDRIVE_2023_VS_2019_PCT = 17.2
SELFDRIVE_2023_VS_2022_PCT = 18.6
# 2021 release: expressway passenger vehicles -3.55% on 2019 (self-driving kept going in 就地过年).
SELFDRIVE_2021_VS_2019_PCT = -3.55
SELFDRIVE_GROWTH_PRE2019 = 1.07  # a season, 2014-2019: expressway passenger-car traffic growth
HIGHWAY_2021_VS_2019_PCT = 0.45  # 2021 release: all expressway traffic +0.45% on 2019
HIGHWAY_GROWTH_PRE2019 = 1.06  # a season, 2014-2019
# Growth of a mode's season total used to fill a season with no published mode figure; the
# unknown modes are then scaled together to the published operating total when there is one.
FILL_GROWTH = {RAIL: 1.09, AIR: 1.11, WATER: 1.00, ROAD: 1.00}
# 2020: the only pre-2021-season statement of the 2020 outcome is the 2021 forecast (17亿, "about
# 10% above 2020", published 2021-01-21): 17亿 / 1.10.
COVID_2020_OPERATING_RATIO_TO_2021_FORECAST = 1 / 1.10
# Year-on-year statements that sit only in a row's note, as (season, region, metric, measure,
# kind, published) of the row they qualify -> percent. They state the previous season's outcome.
NOTE_STATEMENTS = {
    (2015, "national", "operating_passengers", "total", "forecast"): 3.4,  # 28.07亿, +3.4% on 2014
    (2024, "national", "highway_traffic_vehicles", "daily_avg", "forecast"): 7.5,  # 3720万/日, +7.5%
}
# Jiangxi's share of the national season total where Jiangxi published nothing.
JIANGXI_SHARE = {
    RAIL: 0.034,  # 2024: 1607万 / 4.8亿 = 3.35%; 2016 (uncertain): ~3.5%
    ROAD: 0.0155,  # 2023: Jiangxi's operating forecast (3199.2万) implies 1.54%; 2019: 3553万 / 24.6亿 = 1.44%
    AIR: 0.022,  # 2014 (flagged): >100万 / 4407万 = 2.3%; Jiangxi reports airport throughput
    WATER: 0.008,  # inland waterways only (Poyang Lake, Gan River)
    SELFDRIVE: 0.044,  # 2024 (3.30亿 stated on 2025-01-14) less operating modes / 67.2亿 = 4.4%
    HIGHWAY: 0.033,  # between the population share (3.2%) and the expressway-length share (~3.6%)
}
# Season daily average / ordinary-day average (ordinary = the de-seasonalised off-season level).
# Chosen so that 2024's calendar-year totals land near the annual statistics (general knowledge,
# not in the reference): cross-regional ~657亿, rail ~43亿, air ~7.3亿.
CHUNYUN_RATIO = {RAIL: 1.15, ROAD: 1.05, SELFDRIVE: 1.33, AIR: 1.18, WATER: 1.00, HIGHWAY: 1.05}
# Annual growth of the ordinary-day level between seasons (no look-ahead: never a later figure).
TREND = {RAIL: 1.07, ROAD: 1.00, SELFDRIVE: 1.06, AIR: 1.09, WATER: 0.99, HIGHWAY: 1.05}
# Operating modes did not grow through the pandemic (2020-01-23 .. 2023-01-06); self-driving and
# expressway traffic did (2023: +17.2% and +16% on 2019).
FROZEN_IN_COVID = (RAIL, ROAD, AIR, WATER)
# Annual cycle of ordinary days: (amplitude, day of year of the maximum).
ANNUAL = {RAIL: (0.10, 205), ROAD: (0.04, 200), SELFDRIVE: (0.06, 275), AIR: (0.10, 215),
          WATER: (0.20, 215), HIGHWAY: (0.06, 250)}
# Weekday factors Monday..Sunday on ordinary days (normalised to mean 1); half amplitude in Chunyun.
WEEKDAY = {
    RAIL: (1.00, 0.94, 0.94, 0.97, 1.10, 1.02, 1.05),
    ROAD: (1.00, 0.96, 0.96, 0.98, 1.07, 1.02, 1.04),
    SELFDRIVE: (0.96, 0.93, 0.93, 0.95, 1.08, 1.10, 1.07),
    AIR: (1.00, 0.97, 0.97, 0.99, 1.05, 0.99, 1.03),
    WATER: (0.95, 0.92, 0.92, 0.94, 1.02, 1.15, 1.12),
    HIGHWAY: (0.98, 0.98, 0.98, 0.99, 1.05, 1.00, 1.02),
}
# Other public holidays (outside Chunyun): uplift at full strength on the first and last day.
HOLIDAY_UPLIFT = {RAIL: 0.35, ROAD: 0.30, SELFDRIVE: 0.45, AIR: 0.15, WATER: 0.50, HIGHWAY: 0.30}
TOLL_FREE_HOLIDAY_EXTRA = {SELFDRIVE: 0.10, HIGHWAY: 0.18}  # Qingming, May Day, National Day
# Toll-free days inside Chunyun (除夕 to the holiday's end): extra on top of the holiday shape.
TOLL_FREE_UPLIFT = {SELFDRIVE: 0.04, HIGHWAY: 0.08}
# Weekday amplitude inside the Chunyun window relative to ordinary days.
IN_SEASON_WEEKDAY = {RAIL: 0.5, ROAD: 0.5, SELFDRIVE: 0.15, AIR: 0.5, WATER: 0.5, HIGHWAY: 0.5}
# Noise: multiplicative AR(1) in logs, sigma per region (national is an aggregate, so smoother).
NOISE_PHI = 0.6
NOISE_SIGMA = {
    "national": {RAIL: 0.012, ROAD: 0.015, SELFDRIVE: 0.008, AIR: 0.012, WATER: 0.04, HIGHWAY: 0.012},
    "jiangxi": {RAIL: 0.025, ROAD: 0.03, SELFDRIVE: 0.022, AIR: 0.03, WATER: 0.07, HIGHWAY: 0.02},
}
RAMP_DAYS = 6  # a season's calibration factor phases in over its first days
COVID_FADE_DAYS = 30  # a COVID season's factor fades out over the days after the window
PIN_REACH = 2  # a pinned day's adjustment fades out over this many days on either side ...
PIN_BRIDGE = 2  # ... and is interpolated linearly to a pin at most this many days away
TROUGH_RANK = 3  # 除夕 is among the three lowest cross-regional days of a season
TROUGH_MARGIN = 0.012  # ordinary days average at least this much above the 1%-above-除夕 floor
# The trough guard may move a published 除夕 pin down this much (within the 3% pin tolerance): it
# does so once, for 2024-02-09 (published 19524万, above several ordinary days of that season).
MAX_TROUGH_PIN_MOVE = 0.025

# COVID: factor on operating travel (rail = 1), knots (date, factor), linear in logs between them.
# Season levels: 2021 rail 53% and air 48% of 2019 (就地过年); 2022 rail 61%, air 53%.
COVID_KNOTS = (
    ("2020-01-22", 1.00), ("2020-01-23", 0.85), ("2020-01-25", 0.65), ("2020-01-28", 0.42),
    ("2020-02-10", 0.30), ("2020-02-25", 0.32), ("2020-03-15", 0.40), ("2020-04-10", 0.47),
    ("2020-05-01", 0.55), ("2020-06-15", 0.60), ("2020-07-15", 0.70), ("2020-08-31", 0.80),
    ("2020-10-01", 0.82), ("2020-12-15", 0.80), ("2021-01-10", 0.62), ("2021-01-28", 0.50),
    ("2021-02-20", 0.50), ("2021-03-15", 0.65), ("2021-05-01", 0.80), ("2021-07-20", 0.80),
    ("2021-08-10", 0.55), ("2021-09-15", 0.72), ("2021-10-15", 0.72), ("2021-11-15", 0.65),
    ("2022-01-01", 0.62), ("2022-01-17", 0.60), ("2022-02-25", 0.60), ("2022-03-15", 0.45),
    ("2022-04-15", 0.30), ("2022-05-20", 0.35), ("2022-06-20", 0.55), ("2022-07-31", 0.62),
    ("2022-09-01", 0.55), ("2022-10-01", 0.50), ("2022-11-15", 0.40), ("2022-12-10", 0.30),
    ("2022-12-31", 0.40),
)
# Private driving (self-driving, expressway traffic): the 2020 lockdown stopped it, 就地过年 in
# 2021 barely did (expressway passenger vehicles -3.55% on 2019), the 2022 lockdowns dented it.
DRIVING_KNOTS = (
    ("2020-01-22", 1.00), ("2020-01-24", 0.75), ("2020-01-28", 0.40), ("2020-02-10", 0.30),
    ("2020-02-25", 0.40), ("2020-03-15", 0.70), ("2020-04-10", 0.85), ("2020-05-01", 0.95),
    ("2020-06-30", 1.00), ("2021-01-10", 0.97), ("2021-01-28", 0.93), ("2021-03-08", 0.97),
    ("2021-07-20", 1.00), ("2021-08-10", 0.90), ("2021-09-15", 1.00), ("2022-03-01", 0.97),
    ("2022-03-15", 0.85), ("2022-04-15", 0.70), ("2022-05-31", 0.90), ("2022-07-31", 0.97),
    ("2022-11-15", 0.85), ("2022-12-10", 0.65), ("2022-12-31", 0.85),
)
COVID_SENSITIVITY = {RAIL: 1.0, ROAD: 1.5, AIR: 1.1, WATER: 1.0, SELFDRIVE: 1.0, HIGHWAY: 0.9}
DRIVING = (SELFDRIVE, HIGHWAY)
REGION_COVID_SCALE = {"national": 1.0, "jiangxi": 0.85}  # Jiangxi's 2021-22 figures: hit less
# Recovery: the 2023 season level relative to the recovered level reached by 2023-06-30 (2023
# release: rail 85.5% and air 75.8% of 2019; operating road stayed low for good, so no recovery).
RECOVERY_2023 = {RAIL: 0.855, ROAD: 1.0, AIR: 0.758, WATER: 0.75, SELFDRIVE: 1.0, HIGHWAY: 1.0}
# Lasting losses of the pandemic years, reached by 2023-01-06 (log-linear from 2020-01-22): operating
# road passengers moved to cars and ride-hailing (2023: 47.5% of 2019), ferries lost tourists.
STRUCTURAL_2023 = {ROAD: 0.50, WATER: 0.75}
RECOVERY_START, RECOVERY_END = pd.Timestamp("2023-01-07"), pd.Timestamp("2023-06-30")

# ---------------------------------------------------------------------------------------------
# Season shapes: the day's level relative to the season average, before normalisation, keyed to
# the lunar offset (days from 初一) and the holiday block. See _shape().


@dataclass(frozen=True)
class Shape:
    pre: tuple[float, ...]  # at offsets -15, -12, -8, -5, -3, -2 (build-up in the last ten days)
    eve: float  # 除夕
    day1: float  # 初一
    visit: tuple[float, float, float]  # 初二, 初三, 初四 (visiting relatives)
    ret: tuple[float, ...]  # holiday days by days to the holiday's end: 0 (last day), 1, 2, ...
    post: tuple[float, ...]  # after the holiday: days 1, 2, 3, 5, 8, 12
    lantern: float  # bump around 正月十六/十七 (second return wave)
    end: float  # level in the window's last days


PRE_OFFSETS = (-15, -12, -8, -5, -3, -2)
POST_DAYS = (1, 2, 3, 5, 8, 12)
SHAPES = {
    SELFDRIVE: Shape(pre=(0.94, 0.94, 0.95, 0.99, 1.02, 1.00), eve=0.78, day1=0.74, visit=(1.12, 1.30, 1.45),
                     ret=(1.55, 1.58, 1.55, 1.52, 1.50, 1.48), post=(1.05, 0.98, 0.95, 0.94, 0.93, 0.93),
                     lantern=0.06, end=0.80),
    RAIL: Shape(pre=(1.02, 0.98, 0.98, 1.05, 1.02, 0.90), eve=0.62, day1=0.55, visit=(0.85, 0.95, 1.05),
                ret=(1.25, 1.28, 1.20, 1.12, 1.06, 1.02), post=(1.20, 1.15, 1.10, 1.02, 0.97, 0.96),
                lantern=0.12, end=1.00),
    ROAD: Shape(pre=(0.92, 0.93, 1.00, 1.12, 1.15, 0.95), eve=0.50, day1=0.45, visit=(0.70, 0.80, 0.85),
                ret=(1.12, 1.10, 1.00, 0.95, 0.92, 0.90), post=(1.08, 1.05, 1.02, 1.00, 1.00, 1.00),
                lantern=0.05, end=0.98),
    AIR: Shape(pre=(1.00, 1.00, 1.02, 1.03, 1.00, 0.95), eve=0.85, day1=0.78, visit=(0.95, 1.02, 1.08),
               ret=(1.12, 1.13, 1.12, 1.10, 1.08, 1.05), post=(1.10, 1.08, 1.05, 1.02, 1.00, 0.98),
               lantern=0.03, end=0.90),
    WATER: Shape(pre=(0.80, 0.85, 0.90, 0.95, 0.95, 0.85), eve=0.75, day1=1.00, visit=(1.70, 1.90, 1.95),
                 ret=(1.60, 1.70, 1.85, 1.95, 1.95, 1.90), post=(1.30, 1.20, 1.10, 0.95, 0.90, 0.88),
                 lantern=0.05, end=0.85),
    HIGHWAY: Shape(pre=(0.86, 0.87, 0.92, 1.00, 1.05, 1.00), eve=0.92, day1=0.72, visit=(1.28, 1.33, 1.35),
                   ret=(1.68, 1.62, 1.48, 1.42, 1.38, 1.35), post=(1.05, 0.97, 0.94, 0.91, 0.90, 0.90),
                   lantern=0.08, end=0.92),
}
# Jiangxi sends people out after the festival and receives them before it: a smaller outbound
# build-up and a larger return (Nanchang Railway peaks on the holiday's last day, 2024 and 2025).
REGION_TWEAK = {"national": (1.0, 1.0), "jiangxi": (0.7, 1.35)}  # (pre-festival, return) deviation scale
# Jiangxi rail peaks hard on the last holiday day: Nanchang Railway 2024 122.6万 vs a 80.6万 season
# average (1.52x); Jiangxi 2025 73.2万 vs 43.7万 (1.67x).
REGION_METRIC_TWEAK = {("jiangxi", RAIL): (0.6, 2.3)}


# ---------------------------------------------------------------------------------------------
# Targets


@dataclass
class Target:
    season: int
    region: str
    metric: str
    value: float | None  # None: emergent (no calibration, the model's own level)
    source: str  # "published", "statement", "bridge", "assumption", "derived"
    note: str = ""
    pieces: tuple = ()  # ((part, value), ...): parts of the window calibrated separately, see _part_mask


@dataclass(frozen=True)
class _Row:
    season: int
    region: str
    metric: str
    measure: str
    kind: str
    basis: str
    status: str
    value: float
    ds: pd.Timestamp | None
    published: pd.Timestamp


class _Ref:
    """The reference as plain records, indexed by (region, metric, season, measure)."""

    def __init__(self, reference: pd.DataFrame):
        df = reference
        published = pd.to_datetime(df["published"])
        ds = pd.to_datetime(df["ds"])
        value = pd.to_numeric(df["value"], errors="coerce")
        text = {c: df[c].fillna("").astype(str).tolist() for c in ("region", "metric", "measure", "kind", "basis", "status")}
        self.rows = [
            _Row(int(s), text["region"][i], text["metric"][i], text["measure"][i], text["kind"][i], text["basis"][i],
                 text["status"][i], float(v), None if pd.isna(d) else pd.Timestamp(d), pd.Timestamp(p))
            for i, (s, v, d, p) in enumerate(zip(df["season"], value, ds, published, strict=True))
            if not pd.isna(p)
        ]
        self.index: dict[tuple, list[_Row]] = {}
        for row in self.rows:
            self.index.setdefault((row.region, row.metric, row.season, row.measure), []).append(row)

    def get(self, region: str, metric: str, season: int, measure: str) -> list[_Row]:
        return self.index.get((region, metric, season, measure), [])


@dataclass
class _Asof:
    """The reference as a forecaster saw it just before season ``season + 1`` opened."""

    season: int
    cutoff: pd.Timestamp
    ref: _Ref
    statements: dict  # (region, metric, measure) -> (value, note): yoy statements about ``season``


def _cutoff(season: int) -> pd.Timestamp:
    return pd.Timestamp(calendar.season(season + 1).chunyun_start)


def _asof(ref: _Ref, season: int) -> _Asof:
    cutoff = _cutoff(season)
    # Statements: "X in season S+1, +p% on S", published no later than the day S+1 opened.
    statements: dict = {}
    nxt = [r for r in ref.rows if r.season == season + 1 and r.status == "ok" and r.published <= cutoff]
    for yoy in (r for r in nxt if r.measure == "yoy_pct" and not np.isnan(r.value)):
        base = [r for r in nxt if (r.region, r.metric, r.kind, r.published, r.measure)
                == (yoy.region, yoy.metric, yoy.kind, yoy.published, "total")]
        if len(base) == 1:
            statements[(yoy.region, yoy.metric, "total")] = _statement(base[0], yoy.value)
    for (s, region, metric, measure, kind), pct in NOTE_STATEMENTS.items():
        base = [r for r in nxt if s == season + 1 and (r.region, r.metric, r.measure, r.kind) == (region, metric, measure, kind)]
        if len(base) == 1:
            statements[(region, metric, measure)] = _statement(base[0], pct)
    return _Asof(season, cutoff, ref, statements)


def _statement(row: _Row, pct: float) -> tuple[float, str]:
    return (row.value / (1 + pct / 100),
            f"statement: {row.value:.6g} in {row.season} stated as {pct:+g}% on the season before "
            f"(published {row.published:%Y-%m-%d})")


def _lookup(a: _Asof, region: str, metric: str, season: int, measure: str = "total",
            kinds=("actual", "forecast"), basis=None) -> tuple[float, str] | None:
    """The best figure known at ``a.cutoff``: an ``ok`` one if any, else the latest superseded one."""
    rows = [r for r in a.ref.get(region, metric, season, measure)
            if r.status != "flagged" and r.published < a.cutoff and not np.isnan(r.value)
            and (basis is None or r.basis in ((basis,) if isinstance(basis, str) else basis))]
    for kind in kinds:
        k = [r for r in rows if r.kind == kind]
        if not k:
            continue
        ok = [r for r in k if r.status == "ok"]
        pick = max(ok or k, key=lambda r: r.published)
        return pick.value, f"{kind} {metric} {measure} published {pick.published:%Y-%m-%d}"
    return None


def _stated(a: _Asof, region: str, metric: str, measure: str = "total") -> tuple[float, str] | None:
    return a.statements.get((region, metric, measure))


def _window_days(season: int) -> int:
    s = calendar.season(season)
    return (s.chunyun_end - s.chunyun_start).days + 1


def _first(*options):
    return next((o for o in options if o is not None), None)


def _all_targets(ref: _Ref) -> dict[int, dict[tuple[str, str], Target]]:
    """Targets of every season 2014..2025, each from its own as-of view of the reference."""
    out: dict[int, dict[tuple[str, str], Target]] = {}
    bridge = _Bridge.from_reference(ref)
    for season in range(ANCHOR_SEASON, LAST_SEASON + 1):
        a = _asof(ref, season)
        nat = _national_targets(a, season, out.get(season - 1), bridge)
        jx = _jiangxi_targets(a, season, nat)
        out[season] = {**{("national", m): t for m, t in nat.items()}, **{("jiangxi", m): t for m, t in jx.items()}}
    return out


@dataclass
class _Bridge:
    """The pre-2024 self-driving and highway bridges (read from the 2021, 2023 and 2024 releases)."""

    selfdrive_2023_old: float  # expressway-basis self-driving 2023 (47.33亿 - 15.95亿)
    factor: float  # 2024-basis / expressway-basis, from figures public before 2024-01-26
    highway_2021: float

    @classmethod
    def from_reference(cls, ref: _Ref) -> _Bridge:
        a23 = _asof(ref, 2023)  # published before 2024-01-26
        cross23 = _lookup(a23, "national", TOTAL_METRIC, 2023, kinds=("actual",))
        op23 = _lookup(a23, "national", "operating_passengers", 2023, kinds=("actual",))
        cross24 = _lookup(a23, "national", TOTAL_METRIC, 2024, kinds=("forecast",))
        op24 = _lookup(a23, "national", "operating_passengers", 2024, kinds=("forecast",))
        hw21 = _lookup(_asof(ref, 2021), "national", "highway_traffic_vehicles", 2021, kinds=("actual",))
        if None in (cross23, op23, cross24, op24, hw21):
            raise Unprocessable("the reference lacks a figure the sample's bridges rest on",
                                hint="need 2023 cross-regional and operating actuals, the 2024 forecasts and the 2021 expressway total")
        sd23 = cross23[0] - op23[0]
        # The 2024 forecast's self-driving (90亿 - 18亿) against 2023's expressway self-driving
        # grown like the operating forecast (18亿 / 15.95亿): what the new basis adds.
        factor = (cross24[0] - op24[0]) / (sd23 * op24[0] / op23[0]) if RESTATE_PRE2024_SELFDRIVE else 1.0
        return cls(sd23, factor, hw21[0])

    def selfdrive_old(self, season: int) -> float | None:
        """Expressway-basis self-driving of a season before 2023 (None for 2020: emergent)."""
        s2019 = self.selfdrive_2023_old / (1 + SELFDRIVE_2023_VS_2019_PCT / 100)
        if season <= 2019:
            return s2019 / SELFDRIVE_GROWTH_PRE2019 ** (2019 - season)
        if season == 2021:
            return s2019 * (1 + SELFDRIVE_2021_VS_2019_PCT / 100)
        if season == 2022:
            return self.selfdrive_2023_old / (1 + SELFDRIVE_2023_VS_2022_PCT / 100)
        return None

    def highway(self, season: int) -> float:
        h2019 = self.highway_2021 / (1 + HIGHWAY_2021_VS_2019_PCT / 100)
        return h2019 / HIGHWAY_GROWTH_PRE2019 ** (2019 - season)


def _national_targets(a: _Asof, season: int, prev: dict | None, bridge: _Bridge) -> dict[str, Target]:
    t: dict[str, Target] = {}
    new_road_basis = "operating"  # road before 2015 is on an older, larger basis
    # --- operating modes
    known: dict[str, tuple[float, str]] = {}
    for m in OPERATING_MODES:
        hit = _lookup(a, "national", m, season, basis=(new_road_basis,) if m == ROAD else ("operating",))
        if season == 2020:
            hit = None  # 2020's forecasts predate the outbreak; the season is built from its parts
        if hit:
            known[m] = hit
    op_actual = _lookup(a, "national", "operating_passengers", season, kinds=("actual",), basis="operating")
    op_fc = _lookup(a, "national", "operating_passengers", season, kinds=("forecast",), basis="operating")
    op_stated = _stated(a, "national", "operating_passengers")
    if season == 2020:
        op = _covid_2020_operating(a)
    elif op_actual:
        op = op_actual
    elif len(known) == len(OPERATING_MODES):
        op = (sum(v for v, _ in known.values()), "sum of the published modes")
    else:
        op = _first(op_fc, op_stated)
    values: dict[str, float] = {}
    sources: dict[str, tuple[str, str]] = {}
    for m in OPERATING_MODES:
        if m in known:
            values[m], sources[m] = known[m][0], ("published", known[m][1])
        elif prev is not None and prev[("national", m)].value is not None:
            values[m] = prev[("national", m)].value * FILL_GROWTH[m]
            sources[m] = ("assumption", f"{season - 1} x {FILL_GROWTH[m]:g}")
        else:
            values[m], sources[m] = np.nan, ("assumption", "")
    if op is not None:
        fixed = sum(values[m] for m in known)
        free = [m for m in OPERATING_MODES if m not in known]
        if free and not np.isnan(sum(values[m] for m in free)):
            scale = (op[0] - fixed) / sum(values[m] for m in free)
            for m in free:
                values[m] *= scale
                sources[m] = ("assumption", f"{sources[m][1]}, scaled to the operating total ({op[1]})")
        elif not free:
            scale = op[0] / fixed  # the headline wins; published modes differ by rounding
            for m in OPERATING_MODES:
                values[m] *= scale
    if season == ANCHOR_SEASON and ROAD not in known:
        # 2014 road on the new basis: the stated 2014 operating total less the other modes.
        if op is None:
            raise Unprocessable("the reference lacks the 2015 operating forecast that states the 2014 outcome",
                                hint="data/reference/figures.csv: national operating_passengers 2015 forecast")
        values[ROAD] = op[0] - sum(values[m] for m in OPERATING_MODES if m != ROAD)
        sources[ROAD] = ("statement", f"operating total ({op[1]}) less rail, air, water")
    pieces_2020 = _covid_2020_pieces(a) if season == 2020 else None
    if pieces_2020 is not None:
        # after 2020-01-22 the modes share the rest of the operating total by their modelled depth
        depth = {m: _covid_depth_2020(m) for m in OPERATING_MODES}
        weight = {m: pieces_2020[m] * depth[m] for m in OPERATING_MODES}
        rest = op[0] - sum(pieces_2020.values())
    for m in OPERATING_MODES:
        pieces = ()
        if pieces_2020 is not None:
            p1 = pieces_2020[m]
            values[m] = p1 + rest * weight[m] / sum(weight.values())
            pieces = (("before_break", p1), ("after_break", values[m] - p1))
            sources[m] = ("assumption", f"first 13 days published; the rest of the operating total ({op[1]}) "
                                        "shared by the modelled COVID depth")
        t[m] = Target(season, "national", m, values[m], sources[m][0], sources[m][1], pieces)
    op_total = sum(values[m] for m in OPERATING_MODES)
    # --- self-driving and the total
    sd_actual = _lookup(a, "national", SELFDRIVE, season, kinds=("actual",), basis="cross_regional")
    cross_actual = _lookup(a, "national", TOTAL_METRIC, season, kinds=("actual",), basis="cross_regional")
    if sd_actual:  # 2024 basis, published
        sd, sd_src = sd_actual[0], ("published", sd_actual[1])
        if cross_actual:
            scale = cross_actual[0] / (sd + op_total)
            for m in OPERATING_MODES:
                t[m].value *= scale
            sd *= scale
    elif cross_actual:  # 2023: the restated total, expressway self-driving
        sd = bridge.factor * (cross_actual[0] - op_total)
        sd_src = ("bridge", f"({cross_actual[1]} - operating) x {bridge.factor:.4f} (2024 basis)")
    else:
        old = bridge.selfdrive_old(season)
        sd = None if old is None else old * bridge.factor
        sd_src = ("bridge", "expressway self-driving from the 2023 release, growth stated in ASSUMPTIONS.md, "
                            f"x {bridge.factor:.4f} (2024 basis)") if old is not None else ("emergent", "COVID season")
    t[SELFDRIVE] = Target(season, "national", SELFDRIVE, sd, *sd_src)
    total = None if sd is None else sd + sum(t[m].value for m in OPERATING_MODES)
    if sd_actual and cross_actual:
        total_src = ("published", f"{cross_actual[1]}; the modes scaled to it")
    elif cross_actual:
        total_src = ("bridge", f"{cross_actual[1]} restated: operating + self-driving x {bridge.factor:.4f}")
    elif total is None:
        total_src = ("emergent", "COVID season: self-driving is the model's own level")
    else:
        total_src = ("derived", "sum of the modes")
    t[TOTAL_METRIC] = Target(season, "national", TOTAL_METRIC, total, *total_src)
    # --- highway (national expressway traffic, counted at exits)
    hw = _lookup(a, "national", "highway_traffic_vehicles", season, kinds=("actual",))
    days = _window_days(season)
    if hw:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, hw[0], "published", hw[1])
    elif (avg := _lookup(a, "national", "highway_traffic_vehicles", season, measure="daily_avg")) is not None:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, avg[0] * days, "published", f"{avg[1]} x {days} days")
    elif (st := _stated(a, "national", "highway_traffic_vehicles", "daily_avg")) is not None:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, st[0] * days, "statement", f"{st[1]} x {days} days")
    elif season <= 2019:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, bridge.highway(season), "bridge",
                            "2021 expressway total, +0.45% on 2019, growth stated in ASSUMPTIONS.md")
    else:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, None, "emergent", "COVID season")
    for m in (*OPERATING_MODES, SELFDRIVE, HIGHWAY):
        _add_holiday_piece(a, t[m], "highway_traffic_vehicles" if m == HIGHWAY else m)
    if not _trough_feasible(a, t, season):
        for m in (*OPERATING_MODES, SELFDRIVE):
            if t[m].pieces and t[m].pieces[0][0] == "holiday":
                t[m].pieces = ()
                t[m].note = (t[m].note.split("; holiday block:")[0]
                             + "; holiday block not calibrated (with it 除夕 could not be a trough, ASSUMPTIONS.md §6)")
    return t


def _trough_feasible(a: _Asof, t: dict[str, Target], season: int) -> bool:
    """False when the published holiday block and 除夕 leave the other days of the window averaging
    below 除夕 (moved down by the most a pin may move): then 除夕 cannot be among the lowest days."""
    if season in COVID_SEASONS or t[TOTAL_METRIC].value is None:
        return True
    holiday = [t[m].pieces[0][1] for m in MODES if t[m].pieces and t[m].pieces[0][0] == "holiday"]
    if len(holiday) < len(MODES):
        return True
    cal = calendar.season(season)
    eve_rows = [r for r in a.ref.get("national", TOTAL_METRIC, season, "daily")
                if r.kind == "actual" and r.status == "ok" and r.published < a.cutoff
                and r.ds == pd.Timestamp(cal.spring_festival) - pd.Timedelta(days=1)]
    if not eve_rows:
        return True
    low_eve = eve_rows[0].value * (1 - MAX_TROUGH_PIN_MOVE)
    others = _window_days(season) - ((cal.holiday_end - cal.holiday_start).days + 1) - 1
    return (t[TOTAL_METRIC].value - sum(holiday) - low_eve) / others > 1.02 * low_eve


def _add_holiday_piece(a: _Asof, t: Target, ref_metric: str) -> None:
    """Calibrate the holiday block apart from the rest of the window where its total is published."""
    if t.value is None or t.pieces:
        return
    hit = _lookup(a, t.region, ref_metric, t.season, measure="holiday_total")
    if hit is None or not 0 < hit[0] < 0.6 * t.value:
        return
    t.pieces = (("holiday", hit[0]), ("rest", t.value - hit[0]))
    t.note += f"; holiday block: {hit[1]}"


def _covid_2020_operating(a: _Asof) -> tuple[float, str]:
    fc21 = _lookup(a, "national", "operating_passengers", 2021, kinds=("forecast",))
    if fc21 is None:
        raise Unprocessable("the reference lacks the 2021 operating forecast the 2020 season rests on")
    return fc21[0] * COVID_2020_OPERATING_RATIO_TO_2021_FORECAST, f"2021 forecast ({fc21[1]}) / 1.10"


def _covid_2020_depth_days() -> tuple[slice, slice]:
    cal = _calendar()
    w = cal.windows[2020]
    brk = (COVID_BREAK - SAMPLE_START).days
    return slice(w.start, brk), slice(brk, w.end + 1)


def _covid_depth_2020(metric: str) -> float:
    """Mean COVID factor of the 2020 season after 2020-01-22 relative to the days before (per day)."""
    before, after = _covid_2020_depth_days()
    c = _covid_factor(metric, "national", _calendar())
    return float(c[after].mean() / c[before].mean()) * (after.stop - after.start) / (before.stop - before.start)


def _covid_2020_pieces(a: _Asof) -> dict[str, float]:
    out = {}
    for m in OPERATING_MODES:
        hit = _lookup(a, "national", m, 2020, measure="partial_total", kinds=("actual",))
        if hit is None:
            raise Unprocessable(f"the reference lacks the 2020 first-13-day {m} figure")
        out[m] = hit[0]
    return out


def _jiangxi_targets(a: _Asof, season: int, nat: dict[str, Target]) -> dict[str, Target]:
    t: dict[str, Target] = {}
    for m in OPERATING_MODES:
        hit = _lookup(a, "jiangxi", m, season, basis="operating")
        if season in COVID_SEASONS and hit and "forecast" in hit[1]:
            hit = None  # a forecast made before (2020) or during the pandemic is not the outcome
        if hit:
            t[m] = Target(season, "jiangxi", m, hit[0], "published", hit[1])
        else:
            t[m] = Target(season, "jiangxi", m, nat[m].value * JIANGXI_SHARE[m], "assumption",
                          f"national x {JIANGXI_SHARE[m]:.2%}",
                          tuple((part, v * JIANGXI_SHARE[m]) for part, v in nat[m].pieces))
    op = _first(_lookup(a, "jiangxi", "operating_passengers", season, basis="operating"),
                _stated(a, "jiangxi", "operating_passengers"))
    if op is not None:
        free = [m for m in OPERATING_MODES if t[m].source == "assumption"]
        fixed = sum(t[m].value for m in OPERATING_MODES if m not in free)
        if free:
            scale = (op[0] - fixed) / sum(t[m].value for m in free)
            for m in free:
                t[m].value *= scale
                t[m].pieces = tuple((part, v * scale) for part, v in t[m].pieces)
                t[m].note += f", scaled to the operating total ({op[1]})"
    op_total = sum(t[m].value for m in OPERATING_MODES)
    cross = _first(_lookup(a, "jiangxi", TOTAL_METRIC, season, basis="cross_regional"),
                   _stated(a, "jiangxi", TOTAL_METRIC))
    if cross is not None:
        t[SELFDRIVE] = Target(season, "jiangxi", SELFDRIVE, cross[0] - op_total, "derived",
                              f"cross-regional ({cross[1]}) less the operating modes")
    elif nat[SELFDRIVE].value is not None:
        t[SELFDRIVE] = Target(season, "jiangxi", SELFDRIVE, nat[SELFDRIVE].value * JIANGXI_SHARE[SELFDRIVE],
                              "assumption", f"national x {JIANGXI_SHARE[SELFDRIVE]:.1%}")
    else:
        t[SELFDRIVE] = Target(season, "jiangxi", SELFDRIVE, None, "emergent", "COVID season")
    sd = t[SELFDRIVE].value
    total = None if sd is None else sd + op_total
    source = "derived" if cross is None else "statement" if cross[1].startswith("statement") else "published"
    t[TOTAL_METRIC] = Target(season, "jiangxi", TOTAL_METRIC, total, source, "sum of the modes" if cross is None else cross[1])
    hw = _lookup(a, "jiangxi", HIGHWAY, season)
    if hw:
        t[HIGHWAY] = Target(season, "jiangxi", HIGHWAY, hw[0], "published", hw[1])
    elif nat[HIGHWAY].value is not None:
        t[HIGHWAY] = Target(season, "jiangxi", HIGHWAY, nat[HIGHWAY].value * JIANGXI_SHARE[HIGHWAY], "assumption",
                            f"national x {JIANGXI_SHARE[HIGHWAY]:.1%}")
    else:
        t[HIGHWAY] = Target(season, "jiangxi", HIGHWAY, None, "emergent", "COVID season")
    return t


def season_targets(reference: pd.DataFrame | None = None, season: int | None = None) -> pd.DataFrame:
    """Season-total targets: ``season, region, metric, target, source, note`` (target NaN = emergent).

    Season S uses only ``reference[published < chunyun_start(S+1)]`` plus year-on-year statements
    about S published by that day; the bridges named in ASSUMPTIONS.md are the exceptions.
    """
    targets = _all_targets(_Ref(_default_reference(reference)))
    rows = [{"season": s, "region": r, "metric": m, "target": np.nan if t.value is None else float(t.value),
             "source": t.source, "note": t.note}
            for s, by_key in targets.items() if s >= FIRST_SEASON for (r, m), t in by_key.items()]
    df = pd.DataFrame(rows)
    if season is not None:
        if not FIRST_SEASON <= int(season) <= LAST_SEASON:
            raise Unprocessable(f"season {season} is outside the sample", hint=f"seasons {FIRST_SEASON}-{LAST_SEASON}")
        df = df[df["season"] == int(season)]
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Calendar and shapes


@dataclass(frozen=True)
class _Window:
    season: int
    start: int  # index into the day axis (inclusive)
    end: int  # inclusive
    eve: int | None  # 除夕's index
    holiday_end: int


@dataclass
class _Calendar:
    days: pd.DatetimeIndex
    feat: dict[str, np.ndarray]  # calendar.day_features columns as arrays
    windows: dict[int, _Window]
    day_num: np.ndarray  # days since the anchor season's Spring Festival
    doy: np.ndarray
    after: np.ndarray  # days after the season's holiday block (negative before its end)
    lantern: np.ndarray  # days from the season's Lantern Festival


@lru_cache(maxsize=2)
def _calendar(start: pd.Timestamp = SAMPLE_START, end: pd.Timestamp = SAMPLE_END) -> _Calendar:
    days = pd.date_range(start, end, freq="D")
    frame = calendar.day_features(days)
    feat = {c: frame[c].to_numpy() for c in frame.columns if c != "ds"}
    windows = {}
    n = np.arange(len(days))
    after = np.zeros(len(days), dtype=int)
    lantern = np.zeros(len(days), dtype=int)
    origin = days[0]
    for s in range(FIRST_SEASON, LAST_SEASON + 1):
        cal = calendar.season(s)
        first, last = (pd.Timestamp(cal.chunyun_start) - origin).days, (pd.Timestamp(cal.chunyun_end) - origin).days
        eve = (pd.Timestamp(cal.spring_festival) - origin).days - 1
        hol_end = (pd.Timestamp(cal.holiday_end) - origin).days
        windows[s] = _Window(s, first, last, eve, hol_end)
        sl = slice(first, last + 1)
        after[sl] = n[sl] - hol_end
        lantern[sl] = n[sl] - (pd.Timestamp(cal.lantern_festival) - origin).days
    anchor = pd.Timestamp(calendar.season(ANCHOR_SEASON).spring_festival)
    day_num = ((days - anchor) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return _Calendar(days, feat, windows, day_num, days.dayofyear.to_numpy(), after, lantern)


def _shape(metric: str, region: str, season: int, cal: _Calendar) -> np.ndarray:
    """The season's daily multiplier (mean 1 over the window) for one series."""
    w = cal.windows[season]
    sl = slice(w.start, w.end + 1)
    f = {k: v[sl] for k, v in cal.feat.items()}
    sh = SHAPES[metric]
    pre_scale, ret_scale = REGION_METRIC_TWEAK.get((region, metric), REGION_TWEAK[region])
    o = f["offset"]
    dte = f["days_to_holiday_end"]
    holiday = f["is_holiday"]
    after = cal.after[sl]
    lantern = cal.lantern[sl]

    def scaled(value: float, k: float) -> float:
        return 1 + (value - 1) * k

    pre = np.interp(o, PRE_OFFSETS, [scaled(v, pre_scale) for v in sh.pre])
    ret = np.array([scaled(v, ret_scale) for v in sh.ret])
    post = np.interp(after, POST_DAYS, [scaled(v, ret_scale) for v in sh.post])
    y = np.where(o <= -2, pre, 1.0)
    y = np.where(o == -1, sh.eve, y)
    y = np.where(o == 0, sh.day1, y)
    visit = np.interp(o, (1, 2, 3), sh.visit)
    ret_day = ret[np.clip(dte, 0, len(ret) - 1)]
    in_hol = holiday & (o >= 1)
    y = np.where(in_hol, np.maximum(np.where(o <= 3, visit, 0), ret_day), y)
    # a holiday day before 初二 that is not 除夕/初一 (none today) keeps the pre-festival level
    out = (after >= 1) & (o >= 1)
    tail = np.interp(o, (14, 24), (1.0, 0.0))  # the post-holiday plateau gives way to the end level
    y = np.where(out, post * tail + sh.end * (1 - tail), y)
    y = y + sh.lantern * ret_scale * np.exp(-0.5 * ((lantern - 1.5) / 2.0) ** 2) * (after >= 1)
    if metric in TOLL_FREE_UPLIFT:
        y = y * (1 + TOLL_FREE_UPLIFT[metric] * f["is_toll_free"])
    # damped weekday rhythm outside the holiday block; make-up workdays count as Tuesdays
    wd = np.where(f["is_makeup_workday"], 1, f["weekday"])
    week = np.asarray(WEEKDAY[metric]) / np.mean(WEEKDAY[metric])
    y = y * np.where(holiday, 1.0, 1 + IN_SEASON_WEEKDAY[metric] * (week[wd] - 1))
    return y / y.mean()


def _ordinary_factor(metric: str, cal: _Calendar) -> np.ndarray:
    """Annual cycle x weekday x other public holidays, for every day (used outside the windows)."""
    f = cal.feat
    amp, peak = ANNUAL[metric]
    annual = 1 + amp * np.cos(2 * np.pi * (cal.doy - peak) / 365.25)
    wd = np.where(f["is_workday_shift"], 1, f["weekday"])
    week = np.asarray(WEEKDAY[metric]) / np.mean(WEEKDAY[metric])
    hol = f["is_public_holiday"] & ~f["in_chunyun"]
    uplift = np.ones(len(cal.days))
    idx = np.flatnonzero(hol)
    if idx.size:
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        for run in runs:
            n = len(run)
            first_day = cal.days[run[0]]
            toll = first_day.month in (4, 5, 10) and not (first_day.month == 5 and first_day.day > 5)
            extra = TOLL_FREE_HOLIDAY_EXTRA.get(metric, 0.0) if toll else 0.0
            strength = HOLIDAY_UPLIFT[metric] * (0.4 if first_day.month == 1 else 1.0) + extra
            prof = np.full(n, 0.6)
            prof[0], prof[-1] = 1.0, 0.9
            if n == 1:
                prof[0] = 0.5
            uplift[run] = 1 + strength * prof
            if run[0] > 0 and not hol[run[0] - 1]:
                uplift[run[0] - 1] *= 1 + 0.3 * strength  # the eve: people leave after work
    return annual * np.where(hol, 1.0, week[wd]) * uplift


def _covid_factor(metric: str, region: str, cal: _Calendar) -> np.ndarray:
    if cal is _calendar():
        return _covid_factor_cached(metric, region)
    return _covid_factor_for(metric, region, cal)


@lru_cache(maxsize=32)
def _covid_factor_cached(metric: str, region: str) -> np.ndarray:
    out = _covid_factor_for(metric, region, _calendar())
    out.flags.writeable = False
    return out


def _covid_factor_for(metric: str, region: str, cal: _Calendar) -> np.ndarray:
    knots = DRIVING_KNOTS if metric in DRIVING else COVID_KNOTS
    dates = pd.to_datetime([d for d, _ in knots])
    logv = np.log([v for _, v in knots]) * COVID_SENSITIVITY[metric] * REGION_COVID_SCALE[region]
    x = ((dates - SAMPLE_START) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    xs = np.arange(len(cal.days), dtype=float)
    c = np.interp(xs, x, logv, left=0.0, right=0.0)
    c[xs < x[0]] = 0.0
    r0 = (RECOVERY_START - SAMPLE_START).days
    r1 = (RECOVERY_END - SAMPLE_START).days
    rec = np.log(RECOVERY_2023[metric])
    c[xs > x[-1]] = np.interp(xs[xs > x[-1]], (x[-1], r0, r1), (logv[-1], rec, 0.0), right=0.0)
    if metric in STRUCTURAL_2023:
        c += np.interp(xs, (x[0], r0 - 1), (0.0, np.log(STRUCTURAL_2023[metric])))
    return np.exp(c)


def _trend_years(metric: str, cal: _Calendar) -> np.ndarray:
    """Years of trend growth since the anchor: the pandemic years do not count for operating modes."""
    years = cal.day_num / 365.25
    if metric in FROZEN_IN_COVID:
        start = (COVID_BREAK - SAMPLE_START).days
        end = (RECOVERY_START - SAMPLE_START).days
        xs = np.arange(len(cal.days))
        years = years - np.clip(xs - start, 0, end - start) / 365.25
    return years


# ---------------------------------------------------------------------------------------------
# One series


def _noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Multiplicative AR(1) noise (log scale), mean 1: a truncated moving-average form of the AR."""
    z = rng.standard_normal(n + 64) * sigma * np.sqrt(1 - NOISE_PHI ** 2)
    e = np.convolve(z, NOISE_PHI ** np.arange(64))[64:n + 64]
    return np.exp(e - sigma ** 2 / 2)


def _weights(n: int, ramp_in: bool = True, ramp_out: bool = False) -> np.ndarray:
    """Where a calibration factor applies: phased in over the first days, out over the last ones."""
    w = np.ones(n)
    ramp = np.minimum(1.0, (np.arange(n) + 1) / RAMP_DAYS)
    if ramp_in:
        w = np.minimum(w, ramp)
    if ramp_out:
        w = np.minimum(w, ramp[::-1])
    return w


def _series(region: str, metric: str, targets: dict, cal: _Calendar, rng: np.random.Generator) -> np.ndarray:
    """Draw one series: an ordinary-day level path, season windows calibrated to their targets."""
    n = len(cal.days)
    ratio = CHUNYUN_RATIO[metric]
    anchor = targets[ANCHOR_SEASON][(region, metric)].value
    amp, peak = ANNUAL[metric]
    s14 = calendar.season(ANCHOR_SEASON)
    doy14 = pd.date_range(s14.chunyun_start, s14.chunyun_end).dayofyear.to_numpy()
    annual14 = (1 + amp * np.cos(2 * np.pi * (doy14 - peak) / 365.25)).sum()
    log_level = np.log(anchor / annual14 / ratio) + _trend_years(metric, cal) * np.log(TREND[metric])
    ordinary = _ordinary_factor(metric, cal)
    covid = _covid_factor(metric, region, cal)
    noise = _noise(rng, n, NOISE_SIGMA[region][metric])
    base = covid * noise
    y = np.exp(log_level) * ordinary * base
    for season in range(FIRST_SEASON, LAST_SEASON + 1):
        w = cal.windows[season]
        sl = slice(w.start, w.end + 1)
        shape = _shape(metric, region, season, cal)
        annual = 1 + amp * np.cos(2 * np.pi * (cal.doy[sl] - peak) / 365.25)
        raw = np.exp(log_level[sl]) * ratio * annual * shape * base[sl]
        t = targets[season][(region, metric)]
        if t.value is None:
            y[sl] = raw
            continue
        out = raw.copy()
        k_last = 1.0
        for mask, value in _masks(t, w, cal):
            # the part holding the window's first day phases in; a jump between parts is a real one
            ww = _weights(int(mask.sum()), ramp_in=bool(mask[0]))
            out[mask] = _calibrate(raw[mask], value, ww)
            if mask[-1]:
                k_last = _k(raw[mask], value, ww)
        y[sl] = out
        if season not in COVID_SEASONS:
            log_level[w.end + 1:] += np.log(k_last)  # the season's level carries on
            y[w.end + 1:] = np.exp(log_level[w.end + 1:]) * ordinary[w.end + 1:] * base[w.end + 1:]
        else:  # a COVID season's level fades out over the following weeks instead
            fade = slice(w.end + 1, min(w.end + 1 + COVID_FADE_DAYS, n))
            steps = np.arange(1, fade.stop - fade.start + 1)
            y[fade] *= 1 + (k_last - 1) * (1 - steps / (COVID_FADE_DAYS + 1))
    return y


def _k(raw: np.ndarray, target: float, w: np.ndarray) -> float:
    k = 1 + (target - raw.sum()) / (raw * w).sum()
    if k <= 0.05:
        raise Unprocessable(f"calibration factor {k:.3f} out of range", hint="the shape or the level path is off")
    return float(k)


def _calibrate(raw: np.ndarray, target: float, w: np.ndarray) -> np.ndarray:
    return raw * (1 + (_k(raw, target, w) - 1) * w)


# ---------------------------------------------------------------------------------------------
# Daily pins and the shape guards

# reference metric -> generated metric, where the names differ
PIN_METRIC = {("national", "highway_traffic_vehicles"): HIGHWAY}


@dataclass
class _Pins:
    values: dict  # (region, metric) -> {day index: value}
    peaks: dict  # (region, metric, season) -> day index of a published peak date


def _pins(ref: _Ref, cal: _Calendar) -> _Pins:
    """Published national and Jiangxi days: actual daily figures, and published peaks."""
    values: dict = {}
    peaks: dict = {}
    rows = [r for r in ref.rows if r.region in REGIONS and r.ds is not None and cal.days[0] <= r.ds <= cal.days[-1]
            and r.measure in ("daily", "peak") and r.status == "ok" and r.season in cal.windows]
    for row in sorted(rows, key=lambda r: (r.published, r.ds)):
        metric = PIN_METRIC.get((row.region, row.metric), row.metric)
        if metric not in (*GENERATED, TOTAL_METRIC) or row.published >= _cutoff(row.season):
            continue
        i = cal.days.get_loc(row.ds)
        w = cal.windows[row.season]
        if not w.start <= i <= w.end:
            continue
        key = (row.region, metric)
        if row.measure == "daily" and row.kind == "actual":
            values.setdefault(key, {})[i] = row.value
        elif row.measure == "peak":
            peaks[(row.region, metric, row.season)] = i
            if not np.isnan(row.value):
                values.setdefault(key, {}).setdefault(i, row.value)
    return _Pins(values, peaks)


def _part_mask(part: str, w: _Window, cal: _Calendar) -> np.ndarray:
    """Days of a window that belong to a named part: the holiday block and the rest of the window,
    or the days before and after the 2020 break (COVID_BREAK)."""
    holiday = cal.feat["is_holiday"][w.start:w.end + 1]
    brk = (COVID_BREAK - cal.days[0]).days
    after = np.arange(w.start, w.end + 1) >= brk
    masks = {"holiday": holiday, "rest": ~holiday, "before_break": ~after, "after_break": after}
    return masks[part]


def _masks(t: Target, w: _Window, cal: _Calendar) -> list[tuple[np.ndarray, float]]:
    if t.value is None:
        return []
    if not t.pieces:
        return [(np.ones(w.end - w.start + 1, bool), float(t.value))]
    return [(_part_mask(part, w, cal), float(value)) for part, value in t.pieces]


def _adjustment(n: int, local: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Log adjustment over a window: ``r`` at the pinned days, linear between pins at most
    ``PIN_BRIDGE`` days apart, fading linearly to 0 over ``PIN_REACH`` days elsewhere. Never
    overshoots a pin, and a far-off pin (除夕 and 初四) does not drag the days between them."""
    days = np.arange(n)
    out = np.zeros(n)
    for j, (i, v) in enumerate(zip(local, r, strict=True)):
        left = local[j - 1] if j > 0 else None
        right = local[j + 1] if j + 1 < len(local) else None
        lo = left if left is not None and i - left <= PIN_BRIDGE else i - PIN_REACH
        hi = right if right is not None and right - i <= PIN_BRIDGE else i + PIN_REACH
        span = (days > lo) & (days < hi)
        tent = np.where(days <= i, (days - lo) / (i - lo), (hi - days) / (hi - i))
        out[span] += v * tent[span]
    out[local] = r
    return out


def _pin_window(y: np.ndarray, pins: dict[int, float], t: Target, w: _Window, cal: _Calendar) -> np.ndarray:
    """Set the pinned days, smooth the change into neighbours, re-impose the season total(s)."""
    seg = y[w.start:w.end + 1].copy()
    idx = np.array(sorted(i for i in pins if w.start <= i <= w.end), dtype=int)
    if idx.size == 0:
        return y
    local = idx - w.start
    r = np.log(np.array([pins[i] for i in idx]) / seg[local])
    seg *= np.exp(_adjustment(len(seg), local, r))
    pinned = np.zeros(len(seg), bool)
    pinned[local] = True
    seg[local] = [pins[i] for i in idx]
    for mask, value in _masks(t, w, cal):
        free = mask & ~pinned
        rest = value - seg[mask & pinned].sum()
        if free.any() and rest > 0:
            seg[free] *= rest / seg[free].sum()
    out = y.copy()
    out[w.start:w.end + 1] = seg
    return out


def _apply_pins(pre: dict[str, np.ndarray], region: str, season: int, pins: dict, targets: dict,
                cal: _Calendar) -> dict[str, np.ndarray]:
    """Pins of one season: cross-regional pins become mode pins, then every series is pinned."""
    w = cal.windows[season]
    mode_pins = {m: {i: v for i, v in pins.get((region, m), {}).items() if w.start <= i <= w.end} for m in GENERATED}
    for i, total in pins.get((region, TOTAL_METRIC), {}).items():
        if not w.start <= i <= w.end:
            continue
        fixed = {m: mode_pins[m][i] for m in MODES if i in mode_pins[m]}
        free = [m for m in MODES if m not in fixed]
        if free:
            rest = total - sum(fixed.values())
            current = sum(pre[m][i] for m in free)
            for m in free:
                mode_pins[m][i] = pre[m][i] * rest / current
        elif abs(sum(fixed.values()) / total - 1) > 1e-4:
            scale = total / sum(fixed.values())  # the published parts and total disagree: keep the total
            for m in MODES:
                mode_pins[m][i] *= scale
    out = {}
    for m in GENERATED:
        out[m] = _pin_window(pre[m], mode_pins[m], targets[season][(region, m)], w, cal)
    return out


def _guards(series: dict[str, np.ndarray], region: str, season: int, pins: _Pins, cal: _Calendar) -> dict:
    """Extra pins: 除夕 moved down (a published one at most ``MAX_TROUGH_PIN_MOVE``) when more than
    two other days lie below it, and the highway peak put on the last or second-to-last holiday
    day (or on a published peak date). Empty when nothing needs to move."""
    extra: dict = {}
    w = cal.windows[season]
    if season in COVID_SEASONS:
        return extra
    published = pins.values
    cross = sum(series[m][w.start:w.end + 1] for m in MODES)
    eve = w.eve - w.start
    others = np.delete(np.arange(len(cross)), eve)
    if (cross[others] < cross[eve]).sum() >= TROUGH_RANK:
        target = 0.985 * np.sort(cross[others])[TROUGH_RANK - 1]
        given = published.get((region, TOTAL_METRIC), {}).get(w.eve)
        if given is not None:
            target = max(target, given * (1 - MAX_TROUGH_PIN_MOVE))
        if target < cross[eve] * 0.999:
            extra[(region, TOTAL_METRIC, w.eve)] = target
    hw = series[HIGHWAY][w.start:w.end + 1]
    peak = pins.peaks.get((region, HIGHWAY, season))
    if peak is None:
        last, second = w.holiday_end, w.holiday_end - 1
        peak = last if series[HIGHWAY][last] >= series[HIGHWAY][second] else second
    p = peak - w.start
    rest = np.delete(np.arange(len(hw)), p)
    if hw[rest].max() >= hw[p]:
        given = published.get((region, HIGHWAY), {}).get(peak)
        top = given if given is not None else 1.01 * hw[rest].max()
        extra[(region, HIGHWAY, peak)] = top
        for j in rest[hw[rest] >= 0.985 * top]:
            extra[(region, HIGHWAY, w.start + j)] = 0.985 * top
    return extra


def _compress_trough(series: dict[str, np.ndarray], region: str, season: int, pinned_days: set,
                     targets: dict, cal: _Calendar) -> dict[str, np.ndarray]:
    """Keep 除夕 among the ``TROUGH_RANK`` lowest cross-regional days when more ordinary days lie
    below it: lift the unpinned ordinary days so their mean clears 除夕 by ``TROUGH_MARGIN``
    (taking the mass from the unpinned holiday days above it), then shrink their spread around
    that mean until the lowest clears 除夕 by 1%. Totals are kept; self-driving carries the change."""
    w = cal.windows[season]
    if season in COVID_SEASONS:
        return series
    sl = slice(w.start, w.end + 1)
    cross = sum(series[m][sl] for m in MODES)
    eve = w.eve - w.start
    others = np.delete(np.arange(len(cross)), eve)
    if (cross[others] < cross[eve]).sum() < TROUGH_RANK:
        return series
    holiday = cal.feat["is_holiday"][sl]
    offset = cal.feat["offset"][sl]
    unpinned = np.array([w.start + j not in pinned_days for j in range(len(cross))])
    ordinary = np.flatnonzero(unpinned & ~holiday & (np.arange(len(cross)) != eve))
    floor = 1.01 * cross[eve]
    new = cross.copy()
    mean = new[ordinary].mean()
    want = floor * (1 + TROUGH_MARGIN)
    if mean < want:
        calibrated_holiday = any(part == "holiday" for part, _ in targets[season][(region, SELFDRIVE)].pieces)
        donors = np.flatnonzero(unpinned & holiday & (offset >= 1) & (new > want) & ~calibrated_holiday)
        need = (want - mean) * len(ordinary)
        excess = new[donors] - want
        if donors.size == 0 or excess.sum() < 2 * need:
            log.warning("sample: %s %s: 除夕 cannot be kept a trough", region, season)
            return series
        new[ordinary] += want - mean
        new[donors] -= need * excess / excess.sum()
        mean = want
    low = new[ordinary].min()
    if low < floor:
        new[ordinary] = mean + (new[ordinary] - mean) * (mean - floor) / (mean - low)
    out = dict(series)
    out[SELFDRIVE] = series[SELFDRIVE].copy()
    out[SELFDRIVE][sl] += new - cross
    return out


def _pin_region(raw: dict[str, np.ndarray], region: str, targets: dict, pins: _Pins, cal: _Calendar) -> dict:
    series = dict(raw)
    for season in range(FIRST_SEASON, LAST_SEASON + 1):
        extra: dict = {}
        for _ in range(6):
            merged = {key: dict(v) for key, v in pins.values.items() if key[0] == region}
            for (r, m, i), v in extra.items():
                merged.setdefault((r, m), {})[i] = v
            pinned = _apply_pins(series, region, season, merged, targets, cal)
            more = _guards(pinned, region, season, pins, cal)
            if not more:
                break
            extra.update(more)
        else:
            log.warning("sample: the shape guards did not settle for %s %s", region, season)
        if extra:
            log.debug("sample: %s %s: %d guard pins %s", region, season, len(extra),
                      sorted((m, str(cal.days[i].date())) for _, m, i in extra))
        pinned_days = {i for (r, m), days in merged.items() if m in (TOTAL_METRIC, *MODES) for i in days}
        series = _compress_trough(pinned, region, season, pinned_days, targets, cal)
    return series


# ---------------------------------------------------------------------------------------------
# The sample


def _default_reference(reference: pd.DataFrame | None) -> pd.DataFrame:
    if reference is not None:
        return reference
    from forecast.reference import load_reference

    return load_reference()


def generate(reference: pd.DataFrame | None = None, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The sample history ``unique_id, ds, y`` (long form, base units, whole persons/vehicles).

    Deterministic for a seed. ``reference`` defaults to :func:`forecast.reference.load_reference`.
    """
    ref = _Ref(_default_reference(reference))
    targets = _all_targets(ref)
    cal = _calendar()
    pins = _pins(ref, cal)
    frames = []
    for ri, region in enumerate(REGIONS):
        raw = {}
        for mi, metric in enumerate(GENERATED):
            rng = np.random.default_rng([int(seed), ri, mi])
            raw[metric] = _series(region, metric, targets, cal, rng)
        series = _pin_region(raw, region, targets, pins, cal)
        values = {m: np.rint(series[m]) for m in GENERATED}
        values[TOTAL_METRIC] = sum(values[m] for m in MODES)
        for metric in (TOTAL_METRIC, *MODES, HIGHWAY):
            if (values[metric] < 0).any() or not np.isfinite(values[metric]).all():
                raise Unprocessable(f"sample {region}/{metric} has a negative or missing value")
            frames.append(pd.DataFrame({"unique_id": f"{region}/{metric}", "ds": cal.days,
                                        "y": values[metric].astype("float64")}))
    out = pd.concat(frames, ignore_index=True)
    out["ds"] = out["ds"].astype("datetime64[ns]")
    return out


def sample_dir() -> Path:
    return Path(settings.load()["data_dir"]) / "sample"


def write_sample(out_dir: str | Path | None = None, seed: int = DEFAULT_SEED,
                 reference: pd.DataFrame | None = None) -> Path:
    """Write ``history.csv.gz`` (and ``calibration.csv``) to ``out_dir``; byte-identical for a seed."""
    out = Path(out_dir) if out_dir is not None else sample_dir()
    out.mkdir(parents=True, exist_ok=True)
    reference = _default_reference(reference)
    sample = generate(reference, seed)
    text = io.StringIO()
    frame = sample.assign(y=sample["y"].astype("int64"))
    frame.to_csv(text, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    path = out / SAMPLE_FILE
    with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    calibration_table(sample, reference).to_csv(out / CALIBRATION_FILE, index=False, float_format="%.6g",
                                                lineterminator="\n")
    log.info("sample: wrote %s (%d rows, seed %d)", path, len(sample), seed)
    return path


def load_sample(path: str | Path | None = None) -> pd.DataFrame:
    """The committed sample ``unique_id, ds, y, source`` (``source`` is always ``sample``)."""
    path = Path(path) if path is not None else sample_dir() / SAMPLE_FILE
    if path.is_dir():
        path = path / SAMPLE_FILE
    if not path.is_file():
        raise NotFound(f"no sample history at {path}", hint="run `chunyun sample` to generate it")
    df = pd.read_csv(path, dtype={"unique_id": str, "y": "float64"}, parse_dates=["ds"])
    df["ds"] = df["ds"].astype("datetime64[ns]")
    df["source"] = SOURCE
    return df[["unique_id", "ds", "y", "source"]]


def calibration_table(sample: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Season targets against the sample's season totals: ``season, region, metric, target,
    achieved, diff_pct, source, note`` (emergent seasons have no target)."""
    targets = season_targets(reference)
    wide = sample.pivot(index="ds", columns="unique_id", values="y")
    start = wide.index[0]
    achieved = []
    for season, region, metric in zip(targets["season"], targets["region"], targets["metric"], strict=True):
        cal = calendar.season(int(season))
        first, last = (pd.Timestamp(cal.chunyun_start) - start).days, (pd.Timestamp(cal.chunyun_end) - start).days
        achieved.append(float(wide[f"{region}/{metric}"].to_numpy()[first:last + 1].sum()))
    out = targets[["season", "region", "metric", "target"]].copy()
    out["achieved"] = achieved
    out["diff_pct"] = (100 * (out["achieved"] / out["target"] - 1)).round(4) + 0.0
    out["source"] = targets["source"]
    out["note"] = targets["note"]
    return out
