"""The vocabulary of the figures curation: raw scopes, units and metric names mapped to the
reference frame's regions, base units, metrics, measures and bases (data/reference/README.md)."""

from __future__ import annotations

import re
from datetime import date

COLUMNS = [
    "season", "region", "metric", "measure", "ds", "value", "unit", "kind", "basis", "published",
    "status", "reason", "source_outlet", "source_title", "source_url", "note",
    "original_metric", "original_value", "original_unit",
]

# ----------------------------------------------------------------------------------------------
# Scopes -> regions
# ----------------------------------------------------------------------------------------------
REGION_OF_SCOPE = {
    "national": "national",
    "Jiangxi": "jiangxi",
    "Fujian": "fujian",
    "Guangdong": "guangdong",
    "Jiangsu": "jiangsu",
    # The bureau became the China Railway Nanchang Group in 2017; same territory (Jiangxi + Fujian).
    "Nanchang Railway Bureau (Jiangxi+Fujian)": "nanchang_railway_group",
    "Nanchang Railway Group (Jiangxi+Fujian)": "nanchang_railway_group",
    "Yangtze Delta (沪苏浙皖鲁)": "yangtze_delta",
    "Yangtze mainline": "yangtze_mainline",
}

# ----------------------------------------------------------------------------------------------
# Units -> base units. Factors are applied with Decimal so 9018.97万 becomes exactly 90189700.
# ----------------------------------------------------------------------------------------------
UNITS = {
    "万人次": ("persons", 10_000), "万人": ("persons", 10_000),
    "万人次/日": ("persons", 10_000), "万人/日": ("persons", 10_000),
    "万辆": ("vehicles", 10_000), "万辆次": ("vehicles", 10_000),
    "万辆/日": ("vehicles", 10_000), "万辆次/日": ("vehicles", 10_000), "万车次/日": ("vehicles", 10_000),
    "辆/断面": ("vehicles_per_section", 1), "辆/断面/日": ("vehicles_per_section", 1),
    "万架次": ("flights", 10_000), "班": ("flights", 1),
    "万张": ("tickets", 10_000), "列": ("trains", 1), "days": ("days", 1),
    "%": ("percent", 1), "date": ("date", None),
}

# Metrics (registry names where one fits; the rest are reference-only and listed in README.md).
CROSS, OPER, RAIL, ROAD, ROAD_ALL, SELF, AIR, WATER = (
    "cross_regional_trips", "operating_passengers", "rail_passengers", "road_passengers",
    "road_trips", "selfdrive_trips", "air_passengers", "water_passengers",
)
HWY, HWY_EXIT, HWY_SMALL, HWY_PASS, HWY_TRUCK = (
    "highway_traffic_vehicles", "highway_exit_vehicles", "highway_small_car_vehicles",
    "highway_passenger_vehicles", "highway_truck_vehicles",
)
AIRPORT = "airport_passengers"


def road_metric(season: int, region: str) -> str:
    """National ``road`` means operating road passengers up to 2023 and, from 2024, operating road
    passengers PLUS self-driving trips (checked: 2024 78.3亿 = 67.2 + 11.1; 2025 839027万 =
    716949 + 122078; every dated 2024/2025 daily row: road = selfdrive + operating)."""
    return ROAD_ALL if (region == "national" and season >= 2024) else ROAD


def basis_of(metric: str, season: int) -> str:
    if metric in (CROSS, SELF, ROAD_ALL):
        return "cross_regional"
    if metric in (OPER, ROAD, "road_water_passengers"):
        # Caveat 1b: road passenger statistics were revised; every total up to 2014 (36亿 in 2014)
        # is on the old road basis, the 2015 forecast (28.07亿, "+3.4% vs 2014") on the new one.
        return "operating_pre2015" if season <= 2014 else "operating"
    if metric in (RAIL, AIR, WATER):
        return "operating"  # identical in the operating and the cross-regional totals
    if metric == "highway_small_car_passengers":
        return "expressway"
    if metric == AIRPORT:
        return "throughput"
    return ""


# ----------------------------------------------------------------------------------------------
# Row mapping
# ----------------------------------------------------------------------------------------------
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DAILY_RE = re.compile(r"^daily_(?P<series>.+?)_(?P<d>\d{4}-\d{2}-\d{2})(?:_forecast)?$")

DAILY_SERIES = {
    "cross_regional_trips": CROSS, "passengers": OPER, "rail": RAIL, "road": "ROAD",
    "road_operating": ROAD, "road_selfdrive": SELF, "water": WATER, "air": AIR,
    "highway_traffic": HWY, "expressway_traffic": HWY, "highway_small_car": HWY_SMALL, "flights": "flights",
}

# raw metric -> (metric, measure); "ROAD" is resolved by road_metric().
SIMPLE = {
    # season totals
    "cross_regional_trips_total": (CROSS, "total"),
    "passenger_volume_total": (OPER, "total"),
    "passenger_flow_total": (OPER, "total"),  # 2023 "客流总量20.95亿" = 70.3% of 2019's 29.8亿: operating
    "operating_passenger_volume_total": (OPER, "total"),
    "passenger_volume_milestone": (OPER, "total"),
    "rail_total": (RAIL, "total"), "rail_passengers_total": (RAIL, "total"),
    "rail_passenger_volume": (RAIL, "total"),
    "road_total": ("ROAD", "total"),
    "road_passenger_volume": (ROAD, "total"),  # Jiangxi 公路客运量: operating (caveat 7)
    "road_operating_total": (ROAD, "total"),
    "road_selfdrive_total": (SELF, "total"),
    "water_total": (WATER, "total"), "water_passenger_volume": (WATER, "total"),
    "air_total": (AIR, "total"), "air_passenger_volume": (AIR, "total"), "air_total_caac": (AIR, "total"),
    "air_passenger_throughput": (AIRPORT, "total"),
    "air_passengers_jiangxi_airport_group": (AIRPORT, "total"),
    "air_passengers_jiangxi_airports": (AIRPORT, "total"),
    "air_passengers_nanchang_airport": (AIRPORT, "total"),
    "air_flights_jiangxi_airport_group": ("flights", "total"),
    "highway_exit_traffic_total": (HWY_EXIT, "total"),
    "highway_traffic_total": (HWY, "total"),
    "highway_passenger_vehicle_total": (HWY_PASS, "total"),
    "highway_truck_total": (HWY_TRUCK, "total"),
    "highway_small_car_total": (HWY_SMALL, "total"),
    "highway_small_car_passengers": ("highway_small_car_passengers", "total"),
    "urban_passenger_volume": ("urban_passengers", "total"),
    "extra_trains": ("extra_trains", "total"),
    # daily averages over the season
    "highway_daily_avg_traffic": (HWY, "daily_avg"),
    "highway_exit_traffic_daily_avg": (HWY_EXIT, "daily_avg"),
    "highway_network_daily_avg": (HWY, "daily_avg"),
    "highway_network_traffic": (HWY, "daily_avg"),  # Jiangsu 257-267万辆次: period unclear, flagged
    "highway_small_car_daily_avg": (HWY_SMALL, "daily_avg"),
    "passenger_volume_daily_avg": (OPER, "daily_avg"),
    "rail_daily_avg": (RAIL, "daily_avg"),
    "road_daily_avg": (ROAD, "daily_avg"),
    # percentages
    "cross_regional_trips_yoy": (CROSS, "yoy_pct"),
    "cross_regional_trips_total_yoy": (CROSS, "yoy_pct"),
    "passenger_volume_total_yoy": (OPER, "yoy_pct"),
    "passenger_flow_total_yoy": (OPER, "yoy_pct"),
    "passenger_flow_pct_of_2019": (OPER, "pct_of_2019"),
    "passenger_volume_pct_of_2019": (OPER, "pct_of_2019"),
    "passenger_volume_total_vs_2020": (OPER, "change_vs_2020_pct"),
    "rail_growth": (RAIL, "yoy_pct"), "air_growth": (AIR, "yoy_pct"), "water_growth": (WATER, "yoy_pct"),
    "selfdrive_share": (SELF, "share_pct"),
    "selfdrive_share_crosscity": (SELF, "share_pct"),
    "highway_nev_share_daily_avg": ("highway_nev_vehicles", "share_pct"),
    "highway_small_car_share_holiday": (HWY_SMALL, "holiday_share_pct"),
    "spring_festival_holiday_cross_regional_trips_yoy": (CROSS, "holiday_yoy_pct"),
    "spring_festival_holiday_expressway_trips_growth": (HWY, "holiday_yoy_pct"),
    # Spring Festival holiday (the official 7/8-day block)
    "spring_festival_holiday_cross_regional_trips": (CROSS, "holiday_total"),
    "spring_festival_holiday_passengers": (OPER, "holiday_total"),
    "spring_festival_holiday_rail": (RAIL, "holiday_total"),
    "spring_festival_holiday_road": ("ROAD", "holiday_total"),
    "spring_festival_holiday_road_selfdrive": (SELF, "holiday_total"),
    "spring_festival_holiday_road_operating": (ROAD, "holiday_total"),
    "spring_festival_holiday_water": (WATER, "holiday_total"),
    "spring_festival_holiday_water_passengers": (WATER, "holiday_total"),
    "spring_festival_holiday_air": (AIR, "holiday_total"),
    "spring_festival_holiday_air_passengers": (AIR, "holiday_total"),
    "spring_festival_holiday_air_nanchang_airport": (AIRPORT, "holiday_total"),
    "spring_festival_holiday_road_water_passengers": ("road_water_passengers", "holiday_total"),
    "spring_festival_holiday_highway_traffic": (HWY, "holiday_total"),
    "spring_festival_holiday_highway_vehicles": (HWY, "holiday_total"),
    "spring_festival_holiday_small_car_daily_avg": (HWY_SMALL, "holiday_daily_avg"),
    "key_highways_daily_section_traffic": ("key_highway_section_vehicles", "holiday_daily_avg"),
    "ordinary_road_daily_traffic_holiday_avg": ("ordinary_road_vehicles", "holiday_daily_avg"),
    "ordinary_road_section_traffic_holiday_avg": ("ordinary_road_section_vehicles", "holiday_daily_avg"),
    # other
    "rail_days_over_100wan": (RAIL, "days_above_1m"),
    "rail_12306_tickets_sold_presale": ("rail_tickets_sold", "partial_total"),
    # outside Chunyun (kept as level references for Jiangxi expressway exits and airports)
    "non_chunyun_national_day_highway_exit_total": (HWY_EXIT, "other_holiday_total"),
    "non_chunyun_national_day_highway_exit_daily_avg": (HWY_EXIT, "other_holiday_daily_avg"),
    "non_chunyun_mayday_highway_exit_total": (HWY_EXIT, "other_holiday_total"),
    "non_chunyun_mayday_highway_exit_daily_avg": (HWY_EXIT, "other_holiday_daily_avg"),
    "non_chunyun_mayday_highway_exit_peak": (HWY_EXIT, "other_holiday_peak"),
    "annual_air_passengers_jiangxi_airport_group": (AIRPORT, "annual_total"),
    "annual_air_passengers_nanchang_airport": (AIRPORT, "annual_total"),
}

# Rows whose scope column is not the true scope.
REGION_OVERRIDE = {
    # note: "南昌铁路局 (Jiangxi+Fujian) daily avg ... scope = Nanchang Railway Bureau not Jiangxi only"
    ("Jiangxi", "rail_daily_avg_post_lantern_nanchang_bureau"): "nanchang_railway_group",
    # note: "南昌铁路局: 2月8日(正月十七)将达到最高峰"
    ("Jiangxi", "rail_peak_date_post_festival"): "nanchang_railway_group",
    ("Jiangxi", "air_passengers_nanchang_airport"): "nanchang_airport",
    ("Jiangxi", "air_passengers_nanchang_first15d"): "nanchang_airport",
    ("Jiangxi", "air_passengers_nanchang_0217_0308"): "nanchang_airport",
    ("Jiangxi", "air_passengers_nanchang_2021-02-12"): "nanchang_airport",
    ("Jiangxi", "air_passengers_nanchang_2021-02-17"): "nanchang_airport",
    ("Jiangxi", "spring_festival_holiday_air_nanchang_airport"): "nanchang_airport",
    ("Jiangxi", "annual_air_passengers_nanchang_airport"): "nanchang_airport",
    ("Yangtze mainline", "spring_festival_holiday_passengers"): "yangtze_mainline",
}
METRIC_OVERRIDE = {
    ("Yangtze mainline", "spring_festival_holiday_passengers"): WATER,  # 长江干线 passengers
}

# Partial-period figures: raw metric (and season) -> (measure, first day, last day or None).
# ds = last day of the period (None when not stated); the note gets "N days first..last".
PARTIAL = {
    (2008, "rail_passenger_volume"): ("partial_total", date(2008, 1, 23), date(2008, 2, 27)),
    (2008, "road_passenger_volume"): ("partial_total", date(2008, 1, 23), date(2008, 2, 27)),
    (2008, "water_passenger_volume"): ("partial_total", date(2008, 1, 23), date(2008, 2, 27)),
    (2008, "air_passenger_throughput"): ("partial_total", date(2008, 1, 23), date(2008, 2, 27)),
    (2009, "rail_cum_passengers_to_0116"): ("partial_total", date(2009, 1, 11), date(2009, 1, 16)),
    (2011, "rail_cum_passengers_first10d"): ("partial_total", date(2011, 1, 19), date(2011, 1, 28)),
    (2016, "rail_cum_passengers_0124_0225"): ("partial_total", date(2016, 1, 24), date(2016, 2, 25)),
    (2017, "rail_cum_passengers_to_0206"): ("partial_total", date(2017, 1, 13), date(2017, 2, 6)),
    (2021, "air_passengers_nanchang_first15d"): ("partial_total", date(2021, 1, 28), date(2021, 2, 11)),
    (2021, "air_passengers_nanchang_0217_0308"): ("partial_total", date(2021, 2, 17), date(2021, 3, 8)),
    (2024, "rail_12306_tickets_sold_presale"): ("partial_total", date(2024, 1, 12), None),
    (2025, "cum_cross_regional_trips_to_0127"): ("partial_total", date(2025, 1, 14), date(2025, 1, 27)),
    (2024, "selfdrive_share_first33d"): ("partial_share_pct", date(2024, 1, 26), date(2024, 2, 27)),
    (2012, "rail_daily_avg_post_lantern_nanchang_bureau"): ("partial_daily_avg", date(2012, 2, 7), None),
    (2017, "rail_daily_avg_chuliu_4days"): ("partial_daily_avg", date(2017, 2, 2), date(2017, 2, 5)),
    (2024, "rail_daily_avg_pre_festival_0131_0207"): ("partial_daily_avg", date(2024, 1, 31), date(2024, 2, 7)),
    (2024, "rail_daily_avg_0214_0218"): ("partial_daily_avg", date(2024, 2, 14), date(2024, 2, 18)),
    (2024, "rail_daily_avg_0225_0229"): ("partial_daily_avg", date(2024, 2, 25), date(2024, 2, 29)),
    (2024, "rail_daily_avg_pre_festival"): ("partial_daily_avg", None, None),
}
PARTIAL_METRIC = {
    "rail_cum_passengers_to_0116": RAIL, "rail_cum_passengers_first10d": RAIL,
    "rail_cum_passengers_0124_0225": RAIL, "rail_cum_passengers_to_0206": RAIL,
    "air_passengers_nanchang_first15d": AIRPORT, "air_passengers_nanchang_0217_0308": AIRPORT,
    "cum_cross_regional_trips_to_0127": CROSS, "selfdrive_share_first33d": SELF,
    "rail_daily_avg_post_lantern_nanchang_bureau": RAIL, "rail_daily_avg_chuliu_4days": RAIL,
    "rail_daily_avg_pre_festival_0131_0207": RAIL, "rail_daily_avg_0214_0218": RAIL,
    "rail_daily_avg_0225_0229": RAIL, "rail_daily_avg_pre_festival": RAIL,
}
CUM_RE = re.compile(r"^cum_(?P<series>[a-z_]+?)_first(?P<n>\d+)d$")
CUM_SERIES = {"passengers": OPER, "rail": RAIL, "road": "ROAD", "water": WATER, "air": AIR,
              "cross_regional_trips": CROSS, "selfdrive": SELF}

# Peaks: value rows take their date from a sibling date row of the same source.
PEAK_VALUE_DATE = {
    "highway_exit_traffic_peak_value": ("highway_exit_traffic_peak_date", HWY_EXIT),
    "rail_peak_value": ("rail_peak_date", RAIL),
    "highway_peak_traffic": ("highway_peak_date", HWY),
    "highway_peak_passenger_cars": ("highway_peak_date", HWY_PASS),
}
PEAK_DATE_ONLY = {"highway_peak_date": HWY, "rail_peak_date": RAIL,
                  "highway_exit_traffic_peak_date": HWY_EXIT, "rail_peak_date_post_festival": RAIL}
LOCAL_PEAKS = {"highway_pre_festival_small_peaks": (HWY, "pre-festival minor peak"),
               "highway_return_peaks": (HWY, "return peak")}
DATE_METRICS = {"chunyun_start_date": "chunyun_start", "chunyun_end_date": "chunyun_end",
                "spring_festival_date": "spring_festival_day", "return_peak_dates": "return_peak"}
RANGE_METRICS = {"spring_festival_holiday": ("holiday_start", "holiday_end"),
                 "toll_free_period": ("toll_free_start", "toll_free_end")}

# Periods of the non-Chunyun holiday figures (for the published rule).
OTHER_HOLIDAY = {
    (2025, "non_chunyun_national_day_highway_exit_total"): (date(2025, 10, 1), date(2025, 10, 8)),
    (2025, "non_chunyun_national_day_highway_exit_daily_avg"): (date(2025, 10, 1), date(2025, 10, 8)),
    (2023, "non_chunyun_mayday_highway_exit_total"): (date(2023, 4, 29), date(2023, 5, 3)),
    (2023, "non_chunyun_mayday_highway_exit_daily_avg"): (date(2023, 4, 29), date(2023, 5, 3)),
    (2023, "non_chunyun_mayday_highway_exit_peak"): (date(2023, 4, 29), date(2023, 5, 3)),
}
OTHER_HOLIDAY_PEAK_DS = {(2023, "non_chunyun_mayday_highway_exit_peak"): date(2023, 5, 1)}

DROP = {
    # 1954: the first Chunyun (one month, rail only), outside the 2000-2035 seasons the service accepts.
    (1954, "national", "rail_total"): "1954 is outside the seasons the service accepts (2000-2035); trivia",
}

DN_SERIES = {"passengers": OPER, "rail": RAIL, "road": "ROAD", "road_operating": ROAD, "road_selfdrive": SELF,
             "water": WATER, "air": AIR, "cross_regional_trips": CROSS, "highway_traffic": HWY,
             "expressway_traffic": HWY, "highway_small_car": HWY_SMALL, "flights": "flights"}
