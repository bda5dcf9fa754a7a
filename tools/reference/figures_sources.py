"""Where and when a figure was published: the original outlet named in the title, and the earliest
date the figure can have been public (``published``)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from forecast import calendar

from .common import window
from .figures_vocab import DATE_RE, OTHER_HOLIDAY


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
