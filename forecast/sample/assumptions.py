"""The sample's assumptions: every constant, with its reason (data/sample/ASSUMPTIONS.md states each).

Also the fixed facts of the sample (its days, regions, seasons, file names and series) and the
season shapes (:class:`Shape`, :data:`SHAPES`), which :mod:`forecast.sample.shapes` turns into days.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecast.calendar import COVID_SEASONS  # noqa: F401 - the sample draws these seasons apart
from forecast.registry import MODES

__all__ = [  # re-exported by forecast.sample
    "AIR", "ANCHOR_SEASON", "ANNUAL", "CALIBRATION_FILE", "CHUNYUN_RATIO",
    "COVID_2020_OPERATING_RATIO_TO_2021_FORECAST", "COVID_BREAK", "COVID_FADE_DAYS", "COVID_KNOTS",
    "COVID_SEASONS", "COVID_SENSITIVITY", "DEFAULT_SEED", "DRIVING", "DRIVING_KNOTS", "FILL_GROWTH",
    "FIRST_SEASON", "FROZEN_IN_COVID", "GENERATED", "HIGHWAY", "HIGHWAY_2021_VS_2019_PCT",
    "HIGHWAY_GROWTH_PRE2019", "HOLIDAY_UPLIFT", "IN_SEASON_WEEKDAY", "JIANGXI_SHARE", "LAST_SEASON",
    "MAX_TROUGH_PIN_MOVE", "NOISE_PHI", "NOISE_SIGMA", "NOTE_STATEMENTS", "OPERATING_MODES", "PIN_BRIDGE",
    "PIN_REACH", "POST_DAYS", "PRE_OFFSETS", "RAIL", "RAMP_DAYS", "RECOVERY_2023", "RECOVERY_END",
    "RECOVERY_START", "REGION_COVID_SCALE", "REGION_METRIC_TWEAK", "REGION_TWEAK", "REGIONS",
    "RESTATE_PRE2024_SELFDRIVE", "ROAD", "SAMPLE_END", "SAMPLE_FILE", "SAMPLE_START", "SELFDRIVE",
    "SELFDRIVE_2021_VS_2019_PCT", "SELFDRIVE_2023_VS_2019_PCT", "SELFDRIVE_2023_VS_2022_PCT",
    "SELFDRIVE_GROWTH_PRE2019", "SHAPES", "SOURCE", "STRUCTURAL_2023", "TOLL_FREE_HOLIDAY_EXTRA",
    "TOLL_FREE_UPLIFT", "TREND", "TROUGH_MARGIN", "TROUGH_RANK", "WATER", "WEEKDAY", "Shape",
]

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
TROUGH_RANK = 3  # 除夕 is among the three lowest cross-regional days of a hand-set season
TROUGH_MARGIN = 0.012  # ordinary days average at least this much above the 1%-above-除夕 floor
# The trough guard may move a published 除夕 pin down this much (within the 3% pin tolerance). It did
# so for 2024-02-09 until the real days shaped 2024 (ASSUMPTIONS.md §6a: no trough rule there); it
# still bounds the check that drops 2024's holiday-block calibration (targets._trough_feasible).
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
# the lunar offset (days from 初一) and the holiday block. See shapes._shape().


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

