"""Curate the hand-copied published figures into ``data/reference/figures.csv``.

This script *documents* the curation: every mapping and every published date rule is here, in
code, next to the reason for it; the row-by-row status decisions, each with its reason, are data
in ``decisions.csv`` beside it. Re-run it after the raw files change:

    .venv/bin/python -m tools.reference.curate [--src tools/reference/raw] [--check]

Inputs (read only, verbatim copies of the shared raw files in ``raw/``): ``figures.csv`` (one
published number a row, free-form metric names), ``daily_national.csv`` (the national daily rows
again, in long form; used as a cross-check and for any dated daily figure missing from
``figures.csv``); the Chunyun windows and holiday blocks from ``forecast.calendar``.
Output: ``data/reference/figures.csv``, in the frame contract of docs/ARCHITECTURE.md
("Reference frame") plus ``original_metric, original_value, original_unit``.

The vocabulary and the reasoning are described in ``data/reference/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from forecast import calendar

HERE = Path(__file__).resolve().parent
DEFAULT_SRC = HERE / "raw"
REFERENCE = HERE.parents[1] / "data" / "reference"

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
# Calendar: the Chunyun window, the Spring Festival day and the official holiday block come from
# forecast.calendar: published windows (data/reference/calendar.csv, 2010-2026), elsewhere the
# 40-day rule SF-15..SF+24, which reproduces the 2004 dates stated in the 2004 source ("40 days
# ending 2004-02-15"); the holiday block (used only for the published-date rule) from the notices.
# ----------------------------------------------------------------------------------------------
def window(season: int) -> tuple[date, date]:
    """First and last day of the season's Chunyun."""
    s = calendar.season(season)
    return s.chunyun_start, s.chunyun_end


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


def parse_value(raw: str, unit: str) -> tuple[float | None, str]:
    """Base-unit value and a note fragment (for ranges)."""
    base, factor = UNITS[unit]
    if base == "date":
        return None, ""
    extra = ""
    m = re.fullmatch(r"\s*([\d.]+)\s*-\s*([\d.]+)\s*", raw)
    if m:
        lo, hi = Decimal(m.group(1)), Decimal(m.group(2))
        number = (lo + hi) / 2
        extra = f"range {m.group(1)}-{m.group(2)} {unit}; value = midpoint"
    else:
        number = Decimal(raw)
    return float(number * factor), extra


def outlet_of(title: str, url: str) -> str:
    """The original outlet named in the title (usually in parentheses)."""
    if title in OUTLET_OVERRIDE:
        return OUTLET_OVERRIDE[title]
    groups = re.findall(r"\(([^()]*)\)", title)
    for g in groups:
        g = re.sub(r"\b\d{4}-\d{2}(-\d{2})?\b", "", g)
        g = re.sub(r"mirror of |, via .*|; excerpt.*|,? mirror\b|据央视|report\b", "", g)
        g = g.strip(" ,;")
        if g and g not in ("mirror", "rewrite", "forum repost", "2012", "2019", "2025"):
            return g.split(",")[0].strip()
    host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    return f"unknown (via {host})" if host else "unknown"


OUTLET_OVERRIDE = {
    "(mirror of 中新社 report) 国新办发布会 2023-01-06 春运": "中新社",
    "(mirror, 来源:交通运输部) 2月8日 春运第33天": "交通运输部",
    "(forum post copying Baidu Baike 春运 entry)": "百度百科 (via forum post)",
    "(rewrite of 江西省公路局 2019-01-30) 2019年春节期间江西普通国省道路网运行预测": "江西省公路局",
    "(新华社 叶昊鸣) 2024年春运单日全社会跨区域人员流动量首次超3亿人次": "新华社",
    "(mirror of 新华社 2024-03-05 樊曦、王聿昊) 2024年春运结束 全社会跨区域人员流动量预计超84亿人次": "新华社",
    "(paper abstract) 2017年春运 国家发改委预测": "journal paper abstract (citing 国家发改委)",
    "(paper abstract) 2010年春运 铁路": "journal paper abstract",
    "(low-quality page) 2018年春运首日全国铁路发送旅客": "unknown (low-quality page)",
    "(low-quality Q&A page) 春运人很多吗": "unknown (low-quality Q&A page)",
    "财新网 2022-01-17 2022年春运正式开启": "财新网",
    "中国网 2020-01-23 春运前十三日全国发送旅客10.09亿人次": "中国网",
    "武汉晚报 2025-02-14 (据央视) 春运前30天全社会跨区域人员流动量超70亿": "武汉晚报 (据央视)",
    "中华网 2025春运滚动 (2025-01/02)": "中华网",
    "(央视网 新闻联播) 1月31日全社会跨区域人员流动量预计31683万人次": "央视网 (新闻联播)",
    "(forum repost of 交通运输部 2016-02-15) 春节假期旅客发送量达4亿人次": "交通运输部 (via forum repost)",
    "(forum repost) 中國水陸路春運共運送旅客近29億人次 (2012)": "unknown (forum repost)",
    "(forum repost) 大陸春運 36億人次大遷移 (2014-01-16)": "unknown (forum repost)",
    "春运客流量渐回落 (2017-02-07)": "unknown (via nanchang.baogaosu.com)",
    "2021年全國春運期間發送旅客下降4成,預計17億人次 (2021-01-21)": "unknown (via m.shzcyb.com)",
    "铁总:春运首日预计全国铁路发送旅客855万人次 (2017-01-13)": "每日经济新闻",
    "春运33天全社会跨区域人员流动量超72亿人次 (2024-02-29, mirror)": "unknown (mirror)",
    "China's Spring Festival holiday rush starts on Friday (2017-01-20)": "unknown (via chinatopwin.com)",
    "2023年中國春節運輸結束 累計發送旅客15.95億人次": "拉斯维加斯华人日报",
    "40天的春运已过半,全社会跨区域人员流动量同比增长7.2%": "unknown (via m.knowith.com)",
    "2024年春运人员流动预计超90亿,刷新历史": "unknown (rewrite, via vgover.com)",
    "2020年全省道路春运动员会议 (江西 2020-01-03)": "江西网络广播电视台",
    "(mirror) 2025年春运落下帷幕 全社会跨区域人员流动量90.25亿人次": "unknown (mirror)",
    "(mirror) 江西省春运办监控数据 2008-02-28": "江西省春运办 (via mirror)",
    "(mirror) 南昌铁路局 元宵节后客流": "unknown (mirror)",
    "(mirror) 2015年春运大幕2月4日正式开启 将持续至3月16日": "unknown (mirror)",
    "(mirror) 春运前两日全国发送旅客超1.35亿人次 (2019)": "unknown (mirror)",
    "2021春运期间江西机场集团运送旅客122.3万人次 (mirror)": "unknown (mirror)",
    "2021年春节长假 南昌机场旅客吞吐量9.2万人次 (mirror)": "unknown (mirror)",
    "(rewrite) 春运第20天 40天春运已过半 (2025-02-02)": "unknown (rewrite)",
    "(mirror) 2024年综合运输春运工作专班数据 2月19日 春运第25天": "综合运输春运工作专班 (via mirror)",
    "(央视新闻客户端) 2025年综合运输春运工作专班数据 2月6日/2月7日": "央视新闻客户端",
    "(mirror of 央视新闻客户端) 春运40天全社会跨区域人员流动量90.2亿人次 / 2月22日数据 (2025)": "央视新闻客户端",
    "(mirror of 央视新闻客户端) 春运数据再刷新!单日3亿人次流动 (2025-02)": "央视新闻客户端",
    "(mirror) 2025年春运期间全国公路网运行研判 (交通运输部路网监测与应急处置中心, 2025-01-15)": "交通运输部路网监测与应急处置中心",
    "春节假期全国预计发送旅客1.3亿人次 比2021年同期增长31.7% (经济参考报 2022-02-08)": "经济参考报",
    "江西省智慧交通运输事务中心: 2023年春节普通国省道路网交通量预测 (2023-01-19)": "江西省智慧交通运输事务中心",
    "2019年春节7天假期 大数据盘点 (mirror)": "unknown (mirror)",
}


def first_date(text: str) -> date | None:
    m = DATE_RE.search(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def month_floor(text: str) -> date | None:
    """Lower bound from a month-only (2025-02, 2025-01/02) or year-only ((2012)) date in a title."""
    m = re.search(r"(\d{4})-(\d{2})(?!-\d)", text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), 1)
    m = re.search(r"\((\d{4})\)", text)
    if m:
        return date(int(m.group(1)), 1, 1)
    return None


def map_row(raw: dict) -> list[dict]:
    """One raw row -> zero or more curated rows (date ranges become two rows)."""
    season = int(raw["year"])
    scope, metric_raw, unit_raw = raw["scope"], raw["metric"], raw["unit"]
    region = REGION_OVERRIDE.get((scope, metric_raw), REGION_OF_SCOPE[scope])
    base = {
        "season": season, "region": region, "kind": raw["kind"],
        "source_title": raw["source_title"], "source_url": raw["source_url"], "note": raw["note"],
        "original_metric": metric_raw, "original_value": raw["value"], "original_unit": unit_raw,
        "ds": None, "value": None, "unit": UNITS[unit_raw][0], "curation": [],
    }

    def row(metric, measure, **kw):
        r = dict(base)
        r.update(metric=metric, measure=measure, curation=list(base["curation"]))
        r.update(kw)
        if r["metric"] == "ROAD":
            r["metric"] = road_metric(season, region)
        return r

    if (season, region, metric_raw) in DROP:
        return []

    # --- dates -----------------------------------------------------------------------------
    if unit_raw == "date":
        if metric_raw in DATE_METRICS:
            return [row(DATE_METRICS[metric_raw], "date", ds=date.fromisoformat(d))
                    for d in raw["value"].split(";")]
        if metric_raw in RANGE_METRICS:
            a, b = raw["value"].split("..")
            start_m, end_m = RANGE_METRICS[metric_raw]
            return [row(start_m, "date", ds=date.fromisoformat(a)), row(end_m, "date", ds=date.fromisoformat(b))]
        if metric_raw in LOCAL_PEAKS:
            metric, label = LOCAL_PEAKS[metric_raw]
            out = []
            for d in raw["value"].split(";"):
                r = row(metric, "local_peak", ds=date.fromisoformat(d), unit="vehicles")
                r["curation"].append(f"{label}; date only, no value announced")
                out.append(r)
            return out
        if metric_raw in PEAK_DATE_ONLY:
            metric = PEAK_DATE_ONLY[metric_raw]
            unit = "persons" if metric == RAIL else "vehicles"
            r = row(metric, "peak", ds=date.fromisoformat(raw["value"]), unit=unit)
            r["peak_date_row"] = True  # merged into a value row of the same source if one exists
            return [r]
        raise KeyError(f"unmapped date row {metric_raw}")

    value, range_note = parse_value(raw["value"], unit_raw)
    base["value"] = value
    if range_note:
        base["curation"].append(range_note)

    # --- dated daily figures -------------------------------------------------------------------
    m = DAILY_RE.match(metric_raw)
    if m:
        metric = DAILY_SERIES[m.group("series")]
        return [row(metric, "daily", ds=date.fromisoformat(m.group("d")))]
    m = re.match(r"^rail_daily_passengers_(?P<d>.+)$", metric_raw)
    if m:
        d = m.group("d")
        if d == "chuxi":  # 除夕 = the day before the Spring Festival day
            ds = calendar.spring_festival(season) - timedelta(days=1)
        elif re.fullmatch(r"\d{2}-\d{2}", d):
            ds = date.fromisoformat(f"{season}-{d}")
        else:
            ds = date.fromisoformat(d)
        return [row(RAIL, "daily", ds=ds)]
    m = re.match(r"^(air_passengers_nanchang|ordinary_road_daily_traffic|ordinary_road_section_traffic)_(?P<d>\d{4}-\d{2}-\d{2})$", metric_raw)
    if m:
        metric = {"air_passengers_nanchang": AIRPORT, "ordinary_road_daily_traffic": "ordinary_road_vehicles",
                  "ordinary_road_section_traffic": "ordinary_road_section_vehicles"}[m.group(1)]
        return [row(metric, "daily", ds=date.fromisoformat(m.group("d")))]

    # --- partial periods -------------------------------------------------------------------------
    m = CUM_RE.match(metric_raw)
    if m:
        n = int(m.group("n"))
        start = window(season)[0]
        end = start + timedelta(days=n - 1)
        r = row(CUM_SERIES[m.group("series")], "partial_total", ds=end)
        r["curation"].append(f"first {n} days {start}..{end}")
        return [r]
    if (season, metric_raw) in PARTIAL:
        measure, start, end = PARTIAL[(season, metric_raw)]
        metric = PARTIAL_METRIC.get(metric_raw) or SIMPLE.get(metric_raw, (None,))[0]
        if season == 2008:
            metric = {"rail_passenger_volume": RAIL, "road_passenger_volume": ROAD,
                      "water_passenger_volume": WATER, "air_passenger_throughput": AIRPORT}[metric_raw]
        r = row(metric, measure, ds=end)
        if start and end:
            r["curation"].append(f"{(end - start).days + 1} days {start}..{end}")
        elif start:
            r["curation"].append(f"period from {start}, end not stated")
        else:
            r["curation"].append("period not stated")
        return [r]

    # --- peaks -------------------------------------------------------------------------------------
    if metric_raw in PEAK_VALUE_DATE:
        date_metric, metric = PEAK_VALUE_DATE[metric_raw]
        r = row(metric, "peak")
        r["peak_date_from"] = date_metric
        return [r]

    # --- non-Chunyun holidays -------------------------------------------------------------------
    if (season, metric_raw) in OTHER_HOLIDAY:
        metric, measure = SIMPLE[metric_raw]
        start, end = OTHER_HOLIDAY[(season, metric_raw)]
        r = row(metric, measure, ds=OTHER_HOLIDAY_PEAK_DS.get((season, metric_raw)))
        r["curation"].append(f"outside Chunyun: holiday {start}..{end}")
        return [r]

    if metric_raw in SIMPLE:
        metric, measure = SIMPLE[metric_raw]
        key = (scope, metric_raw)
        metric = METRIC_OVERRIDE.get(key, metric)
        return [row(metric, measure)]
    raise KeyError(f"unmapped row {season} {scope} {metric_raw}")


# ----------------------------------------------------------------------------------------------
# Published dates
# ----------------------------------------------------------------------------------------------
PUBLISHED_OVERRIDE = {
    # The release is "2月22日数据": the day's actuals and the 40-day summary came out the next day.
    "https://wanbiaoku.com/new/ac1c36edb77443c0c1657a3b0638258e": (date(2025, 2, 23), "release of the 2月22日 data (next day)"),
    # Full-year 2024 airport ranking, undated 网易号 post; annual airport statistics appear in January.
    "http://www.senqingzn.com/dy/article/JLN1O6JT0534MJWS.html": (date(2025, 3, 31), "undated; conservative upper bound for a full-year 2024 ranking"),
}


def rule_date(r: dict) -> date:
    """Conservative date the figure can have been public, from its content alone."""
    season, measure, kind, ds = r["season"], r["measure"], r["kind"], r["ds"]
    start, end = window(season)
    if measure == "date":
        return ds  # a date is certainly public by the day itself
    if r["original_metric"].startswith("non_chunyun") or measure.startswith("other_holiday"):
        p_start, p_end = OTHER_HOLIDAY[(season, r["original_metric"])]
        return p_end + timedelta(days=1) if kind == "actual" else p_start
    if measure == "annual_total":
        raise KeyError("annual rows need a PUBLISHED_OVERRIDE")
    if measure == "daily":
        return ds + timedelta(days=1) if kind == "actual" else ds
    if measure in ("peak", "local_peak"):
        if kind == "actual":
            return ds + timedelta(days=1) if ds else end
        return start
    if measure.startswith("partial"):
        if ds:
            return ds + timedelta(days=1) if kind == "actual" else ds
        return end if kind == "actual" else start
    if measure.startswith("holiday"):
        return calendar.season(season).holiday_end + timedelta(days=1) if kind == "actual" else start
    # total, daily_avg, yoy_pct, share_pct, pct_of_2019, change_vs_2020_pct, days_above_1m
    return end if kind == "actual" else start


def published_of(r: dict, warnings: list) -> date:
    if r["source_url"] in PUBLISHED_OVERRIDE:
        return PUBLISHED_OVERRIDE[r["source_url"]][0]
    stated = first_date(r["source_title"])
    rule = rule_date(r)
    if stated:
        if stated < rule and r["measure"] != "date" and r["kind"] == "actual":
            warnings.append(f"title date {stated} before content bound {rule}: {r['season']} {r['region']} "
                            f"{r['metric']} {r['measure']} {r['kind']} ({r['source_title'][:40]})")
        return stated  # the stated date of the report is the truth
    floor = month_floor(r["source_title"])
    return max(rule, floor) if floor else rule


# ----------------------------------------------------------------------------------------------
# Status decisions: automatic rules here, the row-by-row decisions in decisions.csv
# ----------------------------------------------------------------------------------------------
DECISIONS = HERE / "decisions.csv"
# decisions.csv selector columns -> select() keys (an empty cell does not constrain)
SELECTORS = {"season": "season", "region": "region", "metric": "metric", "measure": "measure",
             "kind": "kind", "source_url_contains": "url", "original_metric": "original_metric"}


def read_decisions(path: Path = DECISIONS) -> list[dict]:
    """The decisions in file order: ``step`` (``mark``, ``add_reason``, ``note``), ``status``,
    ``reason`` and ``sel``, the selector of the one row each applies to."""
    with open(path, encoding="utf-8") as fh:
        decisions = list(csv.DictReader(fh))
    for d in decisions:
        d["sel"] = {key: int(d[col]) if col == "season" else d[col] for col, key in SELECTORS.items() if d[col]}
    return decisions


def select(rows, **sel):
    out = []
    for r in rows:
        ok = True
        for k, v in sel.items():
            if k == "url":
                ok &= v in r["source_url"]
            elif k == "value":
                ok &= r["value"] is not None and abs(r["value"] - v) < 1e-6
            else:
                ok &= r[k] == v
        if ok:
            out.append(r)
    return out


def the_one(rows, decision: dict) -> dict:
    hits = select(rows, **decision["sel"])
    if len(hits) != 1:
        raise AssertionError(f"{decision['step']}({decision['sel']}) matched {len(hits)} rows, expected 1")
    return hits[0]


def fmt(n: float) -> str:
    return f"{n / 1e8:g}亿" if n >= 1e8 else f"{n / 1e4:g}万"


def decide(rows: list[dict], decisions: list[dict]) -> None:
    """Statuses and reasons: automatic flags, the ``mark``/``add_reason`` decisions, same-day
    estimates and repeated dates superseded, then the ``note`` decisions on rows still ``ok``."""
    for r in rows:
        r.setdefault("status", "ok")
        r.setdefault("reason", "")
    flag_automatically(rows)
    for d in decisions:
        r = the_one(rows, d) if d["step"] in ("mark", "add_reason") else None
        if d["step"] == "mark":
            r["status"] = d["status"]
            r["reason"] = d["reason"] if not r["reason"] else f"{d['reason']}; {r['reason']}"
        elif d["step"] == "add_reason":
            r["reason"] += f"; {d['reason']}"
    supersede_estimates(rows)
    supersede_repeated_dates(rows)
    for d in decisions:
        if d["step"] == "note":
            r = the_one(rows, d)
            if r["status"] == "ok":
                r["reason"] = d["reason"]


def flag_automatically(rows: list[dict]) -> None:
    """The copier's UNCERTAIN, low-quality pages, rows without a URL."""
    for r in rows:
        why = []
        if "UNCERTAIN" in r["note"]:
            why.append("marked UNCERTAIN when copied; needs a second source")
        if "low-quality" in r["source_title"]:
            why.append("low-quality page; needs a second source")
        if not r["source_url"]:
            why.append("no source URL (excerpt only); needs a second source")
        if why:
            r["status"], r["reason"] = "flagged", "; ".join(why)


def supersede_estimates(rows: list[dict]) -> None:
    """Same-day estimate vs next-day actual (caveat 2): the actual replaces the estimate."""
    actual = {(r["season"], r["region"], r["metric"], r["ds"]): r for r in rows
              if r["measure"] == "daily" and r["kind"] == "actual" and r["status"] != "flagged"}
    for r in rows:
        if r["measure"] == "daily" and r["kind"] == "forecast":
            a = actual.get((r["season"], r["region"], r["metric"], r["ds"]))
            if a is not None:
                diff = (r["value"] / a["value"] - 1) * 100
                why = (f"same-day estimate; the next-day actual {fmt(a['value'])} (published {a['published']}) "
                       f"replaces it ({diff:+.1f}%, caveat 2)")
                if r["status"] == "flagged":
                    why += f"; {r['reason']}"
                r["status"], r["reason"] = "superseded", why


def supersede_repeated_dates(rows: list[dict]) -> None:
    """Dates reported by several sources: keep the best (not low quality, then earliest published)."""
    groups = defaultdict(list)
    for r in rows:
        if r["measure"] == "date":
            groups[(r["season"], r["region"], r["metric"], r["kind"])].append(r)
    for key, grp in groups.items():
        if key[2] == "return_peak":
            continue  # several dates by design
        if len({r["ds"] for r in grp}) > 1:
            raise AssertionError(f"conflicting dates for {key}: {[r['ds'] for r in grp]}")
        grp.sort(key=lambda r: (r["status"] != "ok", r["published"], first_date(r["source_title"]) is None,
                                r["source_outlet"].startswith("unknown")))
        for r in grp[1:]:
            if r["status"] == "ok":
                r["status"] = "superseded"
                r["reason"] = (f"duplicate: the same date was first published {grp[0]['published']} "
                               f"({grp[0]['source_outlet']})")

# ----------------------------------------------------------------------------------------------
# Merging peak dates into peak values
# ----------------------------------------------------------------------------------------------
def merge_peaks(rows: list[dict]) -> list[dict]:
    dates = {}
    for r in rows:
        if r.get("peak_date_row"):
            dates[(r["source_url"], r["season"], r["region"], r["kind"], r["original_metric"])] = r
    used = set()
    for r in rows:
        date_metric = r.pop("peak_date_from", None)
        if date_metric:
            key = (r["source_url"], r["season"], r["region"], r["kind"], date_metric)
            d = dates[key]
            r["ds"] = d["ds"]
            r["original_metric"] += f"+{d['original_metric']}"
            r["original_value"] += f"+{d['original_value']}"
            r["original_unit"] += "+date"
            used.add(id(d))
    out = []
    for r in rows:
        if id(r) in used:
            continue
        if r.pop("peak_date_row", False):
            r["curation"].append("peak date only, no value announced")
        out.append(r)
    return out


# ----------------------------------------------------------------------------------------------
# Cross-check against daily_national.csv
# ----------------------------------------------------------------------------------------------
DN_SERIES = {"passengers": OPER, "rail": RAIL, "road": "ROAD", "road_operating": ROAD, "road_selfdrive": SELF,
             "water": WATER, "air": AIR, "cross_regional_trips": CROSS, "highway_traffic": HWY,
             "expressway_traffic": HWY, "highway_small_car": HWY_SMALL, "flights": "flights"}


def cross_check_daily(src: Path, rows: list[dict], raw_titles: dict[str, str]) -> list[dict]:
    """Every daily_national row must be in figures.csv; missing ones are added (none so far)."""
    added = []
    have = {(r["ds"], r["metric"], r["kind"], round(r["value"], 3)) for r in rows if r["measure"] == "daily"
            and r["region"] == "national"}
    with open(src / "daily_national.csv", encoding="utf-8") as fh:
        for d in csv.DictReader(fh):
            season, ds = int(d["year"]), date.fromisoformat(d["date"])
            metric = DN_SERIES[d["series"]]
            if metric == "ROAD":
                metric = road_metric(season, "national")
            value, _ = parse_value(d["value"], d["unit"])
            if (ds, metric, d["kind"], round(value, 3)) in have:
                continue
            title = raw_titles.get(d["source_url"], "")
            added.append({
                "season": season, "region": "national", "metric": metric, "measure": "daily", "ds": ds,
                "value": value, "unit": UNITS[d["unit"]][0], "kind": d["kind"], "source_title": title,
                "source_url": d["source_url"], "note": d["note"], "original_metric": f"daily_national:{d['series']}",
                "original_value": d["value"], "original_unit": d["unit"], "curation": ["from daily_national.csv only"],
            })
    return added


# ----------------------------------------------------------------------------------------------
# Consistency checks printed for review (mode sums, duplicates)
# ----------------------------------------------------------------------------------------------
def checks(rows: list[dict]) -> list[str]:
    msgs = []
    ok = [r for r in rows if r["status"] == "ok"]
    key = defaultdict(list)
    for r in ok:
        key[(r["season"], r["region"], r["metric"], r["measure"], r["ds"], r["kind"])].append(r)
    for k, v in key.items():
        if len(v) > 1:
            msgs.append(f"DUPLICATE ok rows {k}: {[x['source_url'] for x in v]}")
    # daily mode sums (national)
    by_day = defaultdict(dict)
    for r in rows:
        if r["region"] == "national" and r["measure"] == "daily" and r["status"] != "flagged":
            by_day[(r["ds"], r["kind"], r["source_url"])][r["metric"]] = r["value"]
    for (ds, kind, _url), m in sorted(by_day.items(), key=lambda x: (x[0][0], x[0][1])):
        for total, parts in ((OPER, (RAIL, ROAD, WATER, AIR)), (CROSS, (RAIL, ROAD_ALL, WATER, AIR)),
                             (ROAD_ALL, (SELF, ROAD))):
            if total in m and all(p in m for p in parts):
                s = sum(m[p] for p in parts)
                msgs.append(f"sum check {ds} {kind} {total}: parts {s:,.0f} vs total {m[total]:,.0f} "
                            f"({(s / m[total] - 1) * 100:+.2f}%)")
    return msgs


# ----------------------------------------------------------------------------------------------
def build(src: Path) -> tuple[list[dict], list[str]]:
    with open(src / "figures.csv", encoding="utf-8") as fh:
        raw_rows = list(csv.DictReader(fh))
    raw_titles = {r["source_url"]: r["source_title"] for r in raw_rows if r["source_url"]}
    rows = []
    for raw in raw_rows:
        rows.extend(map_row(raw))
    rows = merge_peaks(rows)
    rows.extend(cross_check_daily(src, rows, raw_titles))
    warnings: list[str] = []
    for r in rows:
        r["basis"] = basis_of(r["metric"], r["season"]) if r["unit"] != "date" else ""
        if r["original_metric"] == "air_total_caac":
            r["basis"] = "caac"
        if r["original_metric"] == "selfdrive_share_crosscity":
            r["basis"] = "gaode_crosscity"
        r["source_outlet"] = outlet_of(r["source_title"], r["source_url"])
        r["published"] = published_of(r, warnings)
    decide(rows, read_decisions())
    for r in rows:
        extra = "; ".join(r.pop("curation"))
        if extra:
            r["note"] = f"{extra} | {r['note']}" if r["note"] else extra
    rows.sort(key=lambda r: (r["season"], r["region"], r["metric"], r["measure"], r["ds"] or date.min,
                             r["kind"], r["published"], r["source_url"]))
    return rows, warnings + checks(rows)


def to_csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="directory of the raw reference files")
    ap.add_argument("--out", type=Path, default=REFERENCE / "figures.csv")
    ap.add_argument("--check", action="store_true", help="print warnings and checks, write nothing")
    args = ap.parse_args(argv)
    rows, msgs = build(args.src)
    for m in msgs:
        print(m, file=sys.stderr)
    if args.check:
        return 0
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([to_csv_value(r[c]) for c in COLUMNS])
    counts = defaultdict(int)
    for r in rows:
        counts[r["status"]] += 1
    print(f"wrote {len(rows)} rows to {args.out}: {dict(counts)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
