"""One raw row of the national daily files -> a curated row: metric, base-unit value, kind, the
original outlet, the publication date, the printed change on last season and the lunar day."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

DAY_COLUMNS = [
    "season", "ds", "unique_id", "metric", "measure", "series", "value", "unit", "kind", "status", "reason",
    "published", "season_day", "lunar_day", "yoy_pct", "period_start", "derived_from", "check",
    "source_outlet", "source_title", "source_url", "note", "id",
]
HOLIDAY_COLUMNS = [
    "year", "holiday", "ds", "unique_id", "metric", "measure", "series", "value", "unit", "kind", "status",
    "reason", "published", "yoy_pct", "period_start", "source_outlet", "source_title", "source_url", "note", "id",
]

# ----------------------------------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------------------------------
CROSS, RAIL, ROAD, SELF, AIR, WATER = (
    "cross_regional_trips", "rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers",
    "water_passengers",
)
ROAD_ALL = "road_trips"  # reference-only: operating road + self-driving (as in figures.csv)
HWY_EXIT = "highway_exit_vehicles"
# forecast/registry.py METRICS, spelled out here (a test compares them)
REGISTRY = (CROSS, RAIL, ROAD, SELF, AIR, WATER, HWY_EXIT)

# raw ``series`` -> metric. ``road`` is operating road + self-driving (verified on every day below),
# a reference-only metric; only registry metrics get a ``unique_id`` (and only for single days).
SERIES = {
    "cross_regional_trips": CROSS, "rail": RAIL, "road_operating": ROAD, "road_selfdrive": SELF,
    "water": WATER, "air": AIR, "road": ROAD_ALL, "highway_traffic": "highway_traffic_vehicles",
}
UNITS = {"万人次": ("persons", Decimal(10_000)), "万辆次": ("vehicles", Decimal(10_000))}
KINDS = {"actual": "actual", "forecast": "estimate"}  # raw ``forecast`` = the ministry's same-day 预计
KIND_LETTER = {"actual": "a", "estimate": "e", "derived": "d"}
KIND_ORDER = {"actual": 0, "estimate": 1, "derived": 2}

# The only seasons whose pages print a change on the previous season's same day that we turn into
# derived rows: 2025 -> 2024 (day k of one season against day k of the other, e.g. 2025-01-14 <->
# 2024-01-26; the 2025 page of day 1 matches the 2024 day-1 figure to 0.01%).
DERIVE = {2025: 2024}

# Copies whose page is weak (mirrors, spam hosts, reposts, machine text) rank after the named outlet
# or the ministry's own page when one figure has several copies.
WEAK = re.compile(r"spam|mirror|repost|copy|content-farm|aggregator|republish|bare-IP|forum|garbled|spun|"
                  r"translation|AI summary|AI-|low-quality|tag page", re.IGNORECASE)
HOST_OUTLET = {
    "mot.gov.cn": "交通运输部", "people.com.cn": "人民日报", "people.cn": "人民网", "thepaper.cn": "澎湃新闻",
    "zgjtb.com": "中国交通报", "eeo.com.cn": "经济观察网", "cqn.com.cn": "中国质量报", "shine.cn": "SHINE (上海日报)",
    "udn.com": "聯合報", "etnet.com.hk": "經濟通", "aastocks.com": "AASTOCKS", "sputniknews.cn": "俄罗斯卫星通讯社",
    "yunnan.cn": "云南网", "stheadline.com": "星岛", "dutenews.com": "读特", "jstv.com": "中国新闻网 (via 荔枝网)",
    "163.com": "网易", "livedoor.com": "livedoor (新华社)", "cnbeta.com.tw": "cnBeta",
}

# ----------------------------------------------------------------------------------------------
# Parsing one raw row
# ----------------------------------------------------------------------------------------------
MOT_PUBLISHED = re.compile(r"MOT publish_date (\d{4}-\d{2}-\d{2})")
MOT_URL_DATE = re.compile(r"mot\.gov\.cn/.*/t(\d{4})(\d{2})(\d{2})_")
NOTE_PUBLISHED = re.compile(r"published (\d{4}-\d{2}-\d{2})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DATELINE = re.compile(r"(\d{1,2})月(\d{1,2})日[电電]")
SEASON_DAY = re.compile(r"春运第(\d+)[天日]")
SPAN = re.compile(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(?:\d{4}-)?\d{2}-\d{2}")
DAYS_SPAN = re.compile(r"days (\d+)\s*\.\.\s*(\d+)")
NUM = "一二三四五六七八九十"
LUNAR = re.compile(rf"((?:腊|正)月(?:初[{NUM}]|二十[{NUM[:9]}]?|十[{NUM[:9]}]?|廿[{NUM[:9]}]|三十)|除夕|大年初[{NUM}])")
CHANGE = r"\s*(?:[(（][^)）]*[)）])?\s*(增长|增長|下降)\s*([\d.]+)\s*%"


def yoy_of(note: str, year: int, also_tongbi: bool = False) -> tuple[float | None, int]:
    """The printed change on year-1's same day/period ("比2024年同期(星期五)下降12.2%"), and its
    number of decimals. Notes of 2024 rows quote 2025 pages ("check: consistent with MOT ...
    比2024年同期 ..."), which is why only ``比{year-1}年同期`` counts for a row of ``year``."""
    pattern = rf"比{year - 1}年同期{CHANGE}"
    if also_tongbi:
        pattern = rf"(?:比{year - 1}年同期|比去年同期|同比){CHANGE}"
    m = re.search(pattern, note)
    if not m:
        return None, 0
    digits = m.group(2)
    sign = -1 if m.group(1) == "下降" else 1
    return sign * float(digits), len(digits.split(".")[1]) if "." in digits else 0


def lunar_of(note: str) -> str:
    """The lunar day the note prints first (the row's own; a later one may describe 2024)."""
    m = LUNAR.search(note)
    if not m:
        return ""
    return m.group(1).replace("大年", "正月")


def outlet_of(title: str, url: str, note: str) -> str:
    """The original outlet: the ministry's page, else the first outlet named in parentheses in the
    title, else a known host; ``(via host)`` is added for weak copies."""
    host = re.sub(r"^https?://(www\.|m\.|3g\.|wap\.)?", "", url).split("/")[0] if url.startswith("http") else ""
    if "GitHub yinanchen1998" in title:
        return "GitHub yinanchen1998/yinan compilation (of 交通运输部 pages)"
    if "春运数据专栏" in title:
        return "交通运输部"
    name = ""
    for group in re.findall(r"[(（]([^()（）]*)[)）]", title):
        g = re.sub(r"spam host republishing |\bmirror of |\bcopy of |\blisted in .*", "", group)
        g = re.split(r"[;,，；]| copy| repost| forum| mirror| via ", g)[0]
        g = re.sub(r"(北京|南京|广州|成都|武汉|郑州|南昌)?\d{1,2}月\d{1,2}日[电電].*|\s*\d{4}-\d{2}(-\d{2})?.*", "", g).strip()
        if g and not g.startswith(("记者", "mirror", "garbled", "spam", "20")) and len(g) < 40:
            name = g
            break
    if not name:
        name = next((v for k, v in HOST_OUTLET.items() if host.endswith(k)), "")
    if not name:
        return f"unknown (via {host})" if host else "unknown"
    weak = WEAK.search(title) or WEAK.search(note)
    return f"{name} (via {host})" if weak and host and not any(host.endswith(k) for k in HOST_OUTLET) else name


def tier_of(r: dict) -> int:
    """0 = the ministry's page text, 1 = a named outlet, 2 = a weak copy (flagged copies rank last)."""
    if "MOT publish_date" in r["note"] or ("mot.gov.cn" in r["source_url"] and not r["flagged"]):
        return 0
    return 2 if (WEAK.search(r["source_title"]) or WEAK.search(r["note"])) else 1


def flag_of(note: str) -> str:
    """Why a copy needs a second source: marked UNCERTAIN, or only a rounded lower bound ("超2.1亿")."""
    if "UNCERTAIN" in note:
        return "marked UNCERTAIN when copied"
    if "lower bound" in note:
        return "a rounded lower bound ('超…'), not a count"
    return ""


def to_base(raw: str, unit: str) -> tuple[float, str]:
    base, factor = UNITS[unit]
    return float(Decimal(raw) * factor), base


def half_unit(raw: str) -> float:
    """Half a unit of the last printed digit, relative: the rounding of a printed figure."""
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    return 0.5 * 10 ** -decimals / float(raw)


def period_of(r: dict, cal) -> date | None:
    """First day of a multi-day figure: ``span A..B`` or season ``days 1..N`` in the note."""
    m = SPAN.search(r["note"])
    if m:
        return date.fromisoformat(m.group(1))
    m = DAYS_SPAN.search(r["note"])
    if m and r["season"] in cal:
        return cal[r["season"]][0] + timedelta(days=int(m.group(1)) - 1)
    return None


def published_of(r: dict, warnings: list[str]) -> date:
    """When the figure became public, never earlier than the truth:

    1. the ministry's page date (``MOT publish_date`` in the note, else the ``/tYYYYMMDD_`` of a
       mot.gov.cn URL); 2. a date the note states ("published 2024-09-27"); 3. a full date in the
       title (the article's date, also for mirrors); 4. a dateline in the title ("中新网1月15日电");
    5. else the next day for an actual, the day itself for an estimate (the ministry's rhythm).
    A date that would make an actual public on or before its own day is a copying slip: rule 5.
    """
    ds = r["ds"]
    fallback = ds + timedelta(days=1) if r["kind"] == "actual" else ds
    for found in (_mot_date(r), _note_date(r), _title_date(r), _dateline(r)):
        if found is None:
            continue
        if r["kind"] == "actual" and found <= ds:
            warnings.append(f"published {found} not after {ds} for actual {r['series']} ({r['source_title'][:40]}): rule 5")
            return fallback
        return found
    return fallback


def _mot_date(r: dict) -> date | None:
    m = MOT_PUBLISHED.search(r["note"])
    if m:
        return date.fromisoformat(m.group(1))
    m = MOT_URL_DATE.search(r["source_url"])
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _note_date(r: dict) -> date | None:
    m = NOTE_PUBLISHED.search(r["note"])
    return date.fromisoformat(m.group(1)) if m else None


def _title_date(r: dict) -> date | None:
    m = ISO_DATE.search(r["source_title"])
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _dateline(r: dict) -> date | None:
    m = DATELINE.search(r["source_title"])
    if not m:
        return None
    found = date(r["ds"].year, int(m.group(1)), int(m.group(2)))
    if (found - r["ds"]).days < -200:
        found = found.replace(year=found.year + 1)
    return found


def parse_row(raw: dict, cal, warnings: list[str], *, holiday: bool) -> dict:
    series = raw["series"]
    measure = "daily"
    for prefix, name in (("cumulative_", "cumulative"), ("holiday_total_", "holiday_total"),
                         ("holiday_daily_avg_", "holiday_daily_avg")):
        if series.startswith(prefix):
            measure, series = name, series[len(prefix):]
    # A period total keeps the raw series name as a reference-only metric, so a metric filter never
    # mixes it with days; ``measure`` says which kind of period it is.
    metric = SERIES[series] if measure == "daily" else raw["series"]
    value, unit = to_base(raw["value"], raw["unit"])
    year = int(raw["year"])
    r = {
        "season": year, "year": year, "holiday": raw.get("holiday", ""), "ds": date.fromisoformat(raw["date"]),
        "metric": metric, "measure": measure, "series": raw["series"], "value": value, "unit": unit,
        "kind": KINDS[raw["kind"]], "source_title": raw["source_title"],
        "source_url": raw["source_url"] if raw["source_url"].startswith("http") else "",
        "note": raw["note"], "raw_value": raw["value"], "reason": "", "check": "", "derived_from": "",
    }
    r["unique_id"] = f"national/{metric}" if measure == "daily" and metric in REGISTRY else ""
    r["flag"] = flag_of(raw["note"])
    r["flagged"] = bool(r["flag"])
    r["tier"] = tier_of(r)
    r["advance"] = "advance estimate" in raw["note"]
    r["source_outlet"] = outlet_of(raw["source_title"], r["source_url"], raw["note"])
    r["published"] = published_of(r, warnings)
    r["yoy_pct"], r["yoy_decimals"] = yoy_of(raw["note"], year, also_tongbi=holiday)
    r["lunar_day"] = "" if holiday else lunar_of(raw["note"])
    r["period_start"] = period_of(r, cal) if measure != "daily" else None
    r["season_day"] = season_day_of(r["ds"], year, cal) if not holiday and measure == "daily" else None
    return r


def season_day_of(ds: date, season: int, cal) -> int | None:
    start, end = cal[season]
    return (ds - start).days + 1 if start <= ds <= end else None
