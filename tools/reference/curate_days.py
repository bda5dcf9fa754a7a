"""Curate the national daily figures into ``days.csv``, ``holidays.csv`` and ``provinces.csv``.

Like ``curate.py`` this script *is* the documentation of the curation: every mapping, status
decision and date rule is here, next to its reason. Re-run it after a raw file changes:

    .venv/bin/python -m tools.reference.curate_days [--raw tools/reference/raw] [--check]

Inputs (read only, verbatim copies of the shared raw files): ``raw/daily_national_seasons.csv``
(the Ministry of Transport's daily Chunyun figures, 2024 and 2025 seasons), ``raw/holidays_national.csv``
(national daily figures of the other holidays) and ``raw/provinces.csv``; the Chunyun windows
come from ``forecast.calendar``. Outputs, in ``data/reference/``: ``days.csv``,
``holidays.csv``, ``provinces.csv``. The rules are summarised in ``data/reference/README.md``
("Daily figures").
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from forecast import calendar

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
REFERENCE = HERE.parents[1] / "data" / "reference"

DAY_COLUMNS = [
    "season", "ds", "unique_id", "metric", "measure", "series", "value", "unit", "kind", "status", "reason",
    "published", "season_day", "lunar_day", "yoy_pct", "period_start", "derived_from", "check",
    "source_outlet", "source_title", "source_url", "note", "id",
]
HOLIDAY_COLUMNS = [
    "year", "holiday", "ds", "unique_id", "metric", "measure", "series", "value", "unit", "kind", "status",
    "reason", "published", "yoy_pct", "period_start", "source_outlet", "source_title", "source_url", "note", "id",
]
PROVINCE_COLUMNS = [
    "season", "region", "metric", "measure", "ds", "value", "unit", "kind", "status", "reason",
    "source_title", "source_url", "note", "original_metric", "original_value", "original_unit",
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
# forecast/registry.py METRICS (kept here so the script stays standalone; a test compares them)
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


def chunyun_windows() -> dict[int, tuple[date, date]]:
    """First and last day of Chunyun of every season forecast.calendar knows."""
    seasons = (calendar.season(year) for year in range(calendar.FIRST_SEASON, calendar.LAST_SEASON + 1))
    return {s.season: (s.chunyun_start, s.chunyun_end) for s in seasons}


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


# ----------------------------------------------------------------------------------------------
# Copies of one figure: one ok row, the others duplicate / superseded
# ----------------------------------------------------------------------------------------------
def copy_rank(r: dict) -> tuple:
    return (r["flagged"], r["tier"], r["source_url"] == "", r["published"], r["source_url"], r["source_title"])


def resolve(group: list[dict]) -> list[dict]:
    """Statuses for the copies of one (day, metric, measure, kind), in id order.

    Copies with the same value are one figure: its best copy is ``ok`` (``uncertain`` when every
    copy is flagged, so an UNCERTAIN copy confirmed by a clean one counts as confirmed) and the rest
    ``duplicate``. Different values conflict: the figure whose best copy ranks first is kept; for
    estimates a later estimate replaces an earlier one (advance estimates of a holiday rank first
    to go). The others are ``superseded`` with the reason.
    """
    by_value = defaultdict(list)
    for r in group:
        by_value[r["value"]].append(r)
    clusters = [sorted(copies, key=copy_rank) for copies in by_value.values()]
    if group[0]["kind"] == "estimate":
        clusters.sort(key=lambda c: (c[0]["advance"], -max(x["published"].toordinal() for x in c), copy_rank(c[0])))
    else:
        clusters.sort(key=lambda c: copy_rank(c[0]))
    winner = clusters[0][0]
    winner["status"] = "uncertain" if winner["flagged"] else "ok"
    winner["reason"] = winner["flag"] if winner["flagged"] else ""
    for r in clusters[0][1:]:
        r["status"], r["reason"] = "duplicate", "same figure as {winner}" + (f"; this copy {r['flag']}" if r["flagged"] else "")
    for cluster in clusters[1:]:
        for r in cluster:
            r["status"], r["reason"] = "superseded", _conflict_reason(r, winner)
    return [r for c in clusters for r in c]


def _conflict_reason(r: dict, winner: dict) -> str:
    if r["kind"] == "estimate":
        why = "an earlier or advance estimate; the later estimate replaces it"
    elif "CONFLICT" in r["note"]:
        why = r["note"].split("CONFLICT: ")[1].split(";")[0]
    else:
        why = "the kept figure has the better source"
    extra = f"; this copy {r['flag']}" if r["flagged"] else ""
    return f"conflicts with {fmt(winner['value'])} in {{winner}} ({winner['source_outlet']}): {why}{extra}"


def resolve_copies(rows: list[dict], prefix: str) -> None:
    """Statuses (:func:`resolve`) and stable short ids for every copy:
    ``d2025-01-14-cross_regional_trips-a1`` (kind letter, then 1 = the kept copy)."""
    groups = defaultdict(list)
    for r in rows:
        groups[group_key(r)].append(r)
    for group in groups.values():
        ordered = resolve(group)
        name = group[0]["metric"]
        for n, r in enumerate(ordered, 1):
            r["id"] = f"{prefix}{r['ds'].isoformat()}-{name}-{KIND_LETTER[r['kind']]}{n}"
            r["n"] = n
        for r in ordered:
            r["reason"] = r["reason"].replace("{winner}", ordered[0]["id"])


def group_key(r: dict) -> tuple:
    return (r["holiday"], r["ds"], r["metric"], r["measure"], r["kind"], r["period_start"])




# ----------------------------------------------------------------------------------------------
# Derived rows: the previous season's day from this season's printed change
# ----------------------------------------------------------------------------------------------
# Reasons kept on notable ok rows.
OK_REASONS = {
    "d2023-02-15-cumulative_cross_regional_trips-a1":
        "the 2023 restatement = operating 15.95亿 + expressway small-car passengers 31.38亿: NOT on the 2024+ "
        "definition (README, break 1); never a base for 2024",
    "d2024-02-17-cumulative_cross_regional_trips-a1": "the 8-day Spring Festival holiday 2024-02-10..02-17, not season to date",
    "d2025-02-22-cumulative_cross_regional_trips-a1": "the final 40-day total (90.2亿); the 40 daily figures add up to 90.21亿",
}


def add_reasons(rows: list[dict]) -> None:
    by_id = {r["id"]: r for r in rows}
    for rid, why in OK_REASONS.items():
        if by_id[rid]["status"] != "ok":
            raise AssertionError(f"{rid} is {by_id[rid]['status']}, expected ok")
        by_id[rid]["reason"] = why


def derive(rows: list[dict], cal, warnings: list[str]) -> list[dict]:
    """For each ``ok`` actual of a DERIVE season whose copies print ``比{prev}年同期 ±X%``: the same
    day of the previous season, value / (1 + X/100), published when the 2025 page was."""
    copies = defaultdict(list)
    for r in rows:
        copies[group_key(r)].append(r)
    out = []
    for r in rows:
        if r["season"] not in DERIVE or r["kind"] != "actual" or r["status"] != "ok":
            continue
        yoy, source = _yoy_of_figure(r, copies[group_key(r)], warnings)
        if yoy is None:
            continue
        out.append(_derived_row(r, yoy, source, DERIVE[r["season"]], cal))
    return out


def _yoy_of_figure(r: dict, group: list[dict], warnings: list[str]) -> tuple[float | None, dict | None]:
    """The printed change of this figure: the kept copy's, else a same-value copy's."""
    same = [c for c in sorted(group, key=lambda c: c["n"]) if c["value"] == r["value"] and c["yoy_pct"] is not None]
    if len({c["yoy_pct"] for c in same}) > 1:
        warnings.append(f"copies of {r['id']} print different changes: {[c['yoy_pct'] for c in same]}")
    return (same[0]["yoy_pct"], same[0]) if same else (None, None)


def _derived_row(r: dict, yoy: float, source: dict, prev: int, cal) -> dict:
    shift = cal[r["season"]][0] - cal[prev][0]
    d = {k: r[k] for k in ("metric", "measure", "series", "unit", "published", "source_outlet", "source_title",
                           "source_url", "unique_id", "holiday")}
    d.update({
        "season": prev, "ds": r["ds"] - shift, "value": float(round(r["value"] / (1 + yoy / 100))),
        "kind": "derived", "status": "ok", "reason": "", "derived_from": r["id"], "lunar_day": "",
        "yoy_pct": None, "period_start": r["period_start"] - shift if r["period_start"] else None,
        "flagged": False, "check": "", "tol": 0.5 * 10 ** -source["yoy_decimals"] / abs(100 + yoy) + half_unit(r["raw_value"]),
        "note": f"{fmt(r['value'])} on {r['ds']} / (1 {yoy:+g}%) printed as 比{prev}年同期 in {source['id']}; "
                f"day {(r['ds'] - cal[r['season']][0]).days + 1} of both seasons",
    })
    d["season_day"] = season_day_of(d["ds"], prev, cal) if d["measure"] == "daily" else None
    d["id"], d["n"] = f"d{d['ds'].isoformat()}-{d['metric']}-d1", 1
    return d


def check_derived(rows: list[dict], derived: list[dict], warnings: list[str]) -> None:
    """Compare each derived row with the published actual of its day (``ok``, else ``uncertain``).

    Agreement means |relative difference| <= max(0.1%, the rounding of the printed change and of
    both printed figures). A metric whose derived rows disagree anywhere uses a different base
    (air: the 2025 pages compare with a revised 2024): all its derived rows become ``uncertain``.
    """
    actual = {}
    for r in sorted(rows, key=lambda r: r["status"] != "ok"):
        if r["kind"] == "actual" and r["status"] in ("ok", "uncertain"):
            actual.setdefault((r["ds"], r["metric"], r["measure"]), r)
    bad = defaultdict(list)
    for d in derived:
        a = actual.get((d["ds"], d["metric"], d["measure"]))
        if a is None:
            d["check"] = f"no {d['season']} actual to compare"
            continue
        rel = d["value"] / a["value"] - 1
        tol = max(0.001, d.pop("tol") + half_unit(a["raw_value"]))
        if abs(rel) <= tol:
            d["check"] = f"agrees with {a['id']} ({a['status']}): {rel * 100:+.3f}%"
        else:
            d["check"] = f"DISAGREES with {a['id']} ({a['status']}): {rel * 100:+.2f}% (rounding allows {tol * 100:.2f}%)"
            bad[d["metric"]].append(rel)
        d.pop("tol", None)
    for d in derived:
        d.pop("tol", None)
        if d["metric"] in bad:
            worst = max(bad[d["metric"]], key=abs)
            compared = sum(1 for x in derived if x["metric"] == d["metric"] and not x["check"].startswith("no "))
            d["status"] = "uncertain"
            d["reason"] = (f"the 2025 pages' change for {d['metric']} uses a revised {d['season']} base: derived values "
                           f"disagree with the published figures on {len(bad[d['metric']])} of {compared} days "
                           f"(up to {worst * 100:+.1f}%)")
    for metric, rels in sorted(bad.items()):
        warnings.append(f"derived {metric}: {len(rels)} days disagree with the published actual "
                        f"(worst {max(rels, key=abs) * 100:+.2f}%); its derived rows are uncertain")


# ----------------------------------------------------------------------------------------------
# Checks printed by --check
# ----------------------------------------------------------------------------------------------
def sum_checks(rows: list[dict]) -> list[str]:
    msgs = []
    ok = [r for r in rows if r["status"] == "ok" and r["measure"] == "daily"]
    cross25 = [r for r in ok if r["season"] == 2025 and r["kind"] == "actual" and r["metric"] == CROSS]
    total = sum(r["value"] for r in cross25)
    msgs.append(f"sum 2025 {CROSS} ok actuals: {len(cross25)} days, {total / 1e8:.4f}亿 vs published 90.21亿 "
                f"({(total / 9.021e9 - 1) * 100:+.3f}%)")
    for kind in ("actual", "derived"):
        for season in (2024, 2025):
            days = [r for r in ok if r["season"] == season and r["kind"] == kind and r["metric"] == CROSS]
            if days and kind == "derived":
                s = sum(r["value"] for r in days)
                msgs.append(f"sum {season} {CROSS} derived: {len(days)} days, {s / 1e8:.4f}亿 "
                            f"(published season total 84.22亿: {(s / 8.422e9 - 1) * 100:+.3f}%)")
    msgs.extend(additivity(rows))
    return msgs


def additivity(rows: list[dict], label: str = "season", tolerance: float = 0.002) -> list[str]:
    """Every day with all parts: rail + road + water + air = cross-regional, operating + self-drive = road."""
    by_day = defaultdict(dict)
    for r in rows:
        if r["measure"] == "daily" and r["status"] in ("ok", "uncertain") and r["kind"] == "actual":
            by_day[(r["season"], r["ds"], r["status"] == "ok")].setdefault(r["metric"], r["value"])
    msgs, found = [], defaultdict(list)
    for (season, ds, ok), m in sorted(by_day.items()):
        for total, parts in ((CROSS, (RAIL, ROAD_ALL, WATER, AIR)), (ROAD_ALL, (ROAD, SELF))):
            if total in m and all(p in m for p in parts):
                rel = sum(m[p] for p in parts) / m[total] - 1
                found[(season, total, ok)].append(rel)
                if abs(rel) > tolerance:
                    msgs.append(f"ADDITIVITY {label} {ds} {total}: parts {rel * 100:+.3f}% off")
    for (season, total, ok), rels in sorted(found.items()):
        inside = sum(abs(x) <= tolerance for x in rels)
        msgs.append(f"additivity {label} {season} {total} ({'ok' if ok else 'uncertain'} actuals): {inside} of "
                    f"{len(rels)} days within {tolerance * 100:.1f}% (worst {max(rels, key=abs) * 100:+.3f}%)")
    return msgs


def consistency(rows: list[dict]) -> list[str]:
    """Lunar day and season day (春运第N天) printed by the copies of one day agree with the calendar."""
    msgs, lunar = [], defaultdict(set)
    for r in rows:
        if r.get("lunar_day"):
            lunar[r["ds"]].add(r["lunar_day"])
        m = SEASON_DAY.search(r["note"])
        if m and r["measure"] == "daily" and r["kind"] != "derived" and int(m.group(1)) != r["season_day"]:
            msgs.append(f"SEASON DAY {r['id']}: note says 第{m.group(1)}天, calendar gives {r['season_day']}")
    for ds, names in sorted(lunar.items()):
        if len(names - {"除夕"}) > 1:
            msgs.append(f"LUNAR DAY {ds}: copies print {sorted(names)}")
    return msgs


# ----------------------------------------------------------------------------------------------
# Provinces: copied with a normalised metric where it maps to the registry
# ----------------------------------------------------------------------------------------------
REGION = {"Jiangxi": "jiangxi", "Guangdong": "guangdong", "Jiangsu": "jiangsu", "Sichuan": "sichuan",
          "Hunan": "hunan", "Hubei": "hubei", "Henan": "henan", "Anhui": "anhui"}
PROVINCE_BASE = {"cross_regional_trips": CROSS, "rail": RAIL, "road_operating": ROAD, "selfdrive": SELF,
                 "water": WATER, "air": AIR, "highway_exit_vehicles": HWY_EXIT}
PROVINCE_MEASURE = {
    "total": "total", "total_alt": "total", "yoy": "yoy_pct", "total_yoy": "yoy_pct", "daily_avg": "daily_avg",
    "peak": "peak", "peak_date": "peak_date", "holiday": "holiday_total", "total_holiday": "holiday_total",
    "holiday_total": "holiday_total",
    "daily_avg_holiday": "holiday_daily_avg", "peak_date_holiday": "holiday_peak_date",
    "first20d": "partial_total", "to_0213": "partial_total", "holiday_first4d": "partial_total",
    "holiday_first6d": "partial_total",
}
PROVINCE_UNITS = {"万人次": ("persons", 10_000), "亿人次": ("persons", 100_000_000), "%": ("percent", 1),
                  "date": ("date", None)}
# Rows that look like a registry metric but are not one (note says why).
NOT_REGISTRY = {
    ("Sichuan", "air_total"): "Sichuan's 民航客运总量 is airport throughput (吞吐量), not air passengers carried",
}
# Figures that need a second source although the copier did not mark them (as in figures.csv).
PROVINCE_FLAGS = {
    (2024, "Jiangsu", "air_holiday"): "implausible for the 8-day holiday (probably the whole Chunyun); period wording ambiguous",
    (2024, "Jiangsu", "rail_holiday"): "implausible for the 8-day holiday (about 363万 a day); period wording ambiguous",
}


def province_metric(scope: str, raw_metric: str) -> tuple[str, str, str, date | None, str]:
    """(region, metric, measure, ds, reason): the registry metric where one fits, else the raw name."""
    region = REGION[scope]
    name = raw_metric
    if scope == "Jiangxi" and raw_metric.startswith("rail_nanchang_bureau_"):
        region, name = "nanchang_railway_group", "rail_" + raw_metric[len("rail_nanchang_bureau_"):]
    if (scope, raw_metric) in NOT_REGISTRY:
        return region, raw_metric, "", None, NOT_REGISTRY[(scope, raw_metric)]
    m = re.fullmatch(r"(.+?)_day_(\d{4}-\d{2}-\d{2})", name)
    if m and m.group(1) in PROVINCE_BASE:
        return region, PROVINCE_BASE[m.group(1)], "daily", date.fromisoformat(m.group(2)), ""
    for base, metric in PROVINCE_BASE.items():
        suffix = name[len(base) + 1:] if name.startswith(base + "_") else None
        if suffix in PROVINCE_MEASURE:
            return region, metric, PROVINCE_MEASURE[suffix], None, ""
    return region, raw_metric, "", None, ""


def province_value(raw: str, unit: str) -> tuple[float | None, str, str]:
    """Base units; ranges become their midpoint (said in the note); vehicles in any 万/亿 车次/辆/台次."""
    note = ""
    if re.fullmatch(r"[\d.]+-[\d.]+", raw):
        lo, hi = (Decimal(x) for x in raw.split("-"))
        note, dec = f"range {raw} stored as its midpoint", (lo + hi) / 2
    elif unit == "date":
        return None, "date", ""
    else:
        dec = Decimal(raw)
    if unit in PROVINCE_UNITS:
        base, factor = PROVINCE_UNITS[unit]
    else:
        base, factor = "vehicles", 100_000_000 if unit.startswith("亿") else 10_000
    return float(dec * factor), base, note


def build_provinces(raw_dir: Path) -> list[dict]:
    out = []
    with open(raw_dir / "provinces.csv", encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            region, metric, measure, ds, reason = province_metric(raw["scope"], raw["metric"])
            value, unit, range_note = province_value(raw["value"], raw["unit"])
            if raw["unit"] == "date":
                ds = date.fromisoformat(raw["value"])
            flag = flag_of(raw["note"]) or PROVINCE_FLAGS.get((int(raw["year"]), raw["scope"], raw["metric"]), "")
            out.append({
                "season": int(raw["year"]), "region": region, "metric": metric, "measure": measure, "ds": ds,
                "value": value, "unit": unit, "kind": raw["kind"], "status": "uncertain" if flag else "ok",
                "reason": "; ".join(x for x in (flag, reason) if x), "source_title": raw["source_title"],
                "source_url": raw["source_url"], "note": f"{range_note} | {raw['note']}" if range_note else raw["note"],
                "original_metric": raw["metric"], "original_value": raw["value"], "original_unit": raw["unit"],
            })
    out.sort(key=lambda r: (r["season"], r["region"], r["metric"], r["measure"], r["kind"], r["original_metric"]))
    mark_province_duplicates(out)
    return out


def mark_province_duplicates(rows: list[dict]) -> None:
    """A second copy of a mapped figure (same season, region, metric, measure, day, kind and value)."""
    seen = {}
    for r in rows:
        if not r["measure"]:
            continue
        key = (r["season"], r["region"], r["metric"], r["measure"], r["ds"], r["kind"], r["value"])
        if key in seen and r["status"] == "ok":
            r["status"], r["reason"] = "duplicate", f"same figure as {seen[key]['original_metric']} ({seen[key]['source_title'][:40]})"
        seen.setdefault(key, r)


# ----------------------------------------------------------------------------------------------
# Building and writing
# ----------------------------------------------------------------------------------------------
def read_raw(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def build_days(raw_dir: Path, cal, warnings: list[str]) -> list[dict]:
    rows = [parse_row(raw, cal, warnings, holiday=False) for raw in read_raw(raw_dir / "daily_national_seasons.csv")]
    resolve_copies(rows, "d")
    add_reasons(rows)
    derived = derive(rows, cal, warnings)
    check_derived(rows, derived, warnings)
    rows += derived
    rows.sort(key=lambda r: (r["season"], r["ds"], r["measure"] != "daily", r["metric"], KIND_ORDER[r["kind"]], r["n"]))
    return rows


def build_holidays(raw_dir: Path, cal, warnings: list[str]) -> list[dict]:
    rows = [parse_row(raw, cal, warnings, holiday=True) for raw in read_raw(raw_dir / "holidays_national.csv")]
    resolve_copies(rows, "h")
    rows.sort(key=lambda r: (r["ds"], r["holiday"], r["measure"] != "daily", r["metric"], r["measure"],
                             KIND_ORDER[r["kind"]], r["n"]))
    return rows


def build(raw_dir: Path = RAW) -> tuple[dict[str, list[dict]], list[str]]:
    cal = chunyun_windows()
    warnings: list[str] = []
    days = build_days(raw_dir, cal, warnings)
    holidays = build_holidays(raw_dir, cal, warnings)
    for r in holidays:
        if r["season"] in cal and r["measure"] == "daily" and season_day_of(r["ds"], r["season"], cal):
            warnings.append(f"holiday row {r['id']} falls inside Chunyun {r['season']}")
    for rows in (days, holidays):
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            raise AssertionError(f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    msgs = warnings + consistency(days) + sum_checks(days) + additivity(holidays, "holidays")
    return {"days.csv": days, "holidays.csv": holidays, "provinces.csv": build_provinces(raw_dir)}, msgs


def fmt(n: float) -> str:
    return f"{n / 1e4:g}万"


def to_csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def render(raw_dir: Path = RAW) -> tuple[dict[str, str], list[str]]:
    """The three CSV files as text (what ``main`` writes), and the check messages."""
    tables, msgs = build(raw_dir)
    columns = {"days.csv": DAY_COLUMNS, "holidays.csv": HOLIDAY_COLUMNS, "provinces.csv": PROVINCE_COLUMNS}
    out = {}
    for name, rows in tables.items():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns[name])
        for r in rows:
            w.writerow([to_csv_value(r.get(c)) for c in columns[name]])
        out[name] = buf.getvalue()
    return out, msgs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=RAW, help="directory of the raw daily files")
    ap.add_argument("--out-dir", type=Path, default=REFERENCE)
    ap.add_argument("--check", action="store_true", help="print warnings and checks, write nothing")
    args = ap.parse_args(argv)
    files, msgs = render(args.raw)
    for m in msgs:
        print(m, file=sys.stderr)
    if args.check:
        return 0
    for name, text in files.items():
        (args.out_dir / name).write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10)) - 1} rows to {args.out_dir / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
