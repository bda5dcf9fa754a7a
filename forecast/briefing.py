"""The day-one briefing a transport department publishes, written from a season summary.

``briefing(summary, lang="zh")`` turns the summary contract (docs/ARCHITECTURE.md) into the
paragraph a provincial or national transport department releases when Chunyun opens, e.g.
「预计今年春运期间，全省跨区域人员流动量将突破3.5亿人次，同比增长6%……2月4日将出现峰值，
流量为250多万辆。」 Every number comes from the summary; nothing is fitted here. The number
formatters (``zh_amount``, ``en_amount`` ...) are shared with ``forecast.alerts``.
"""

from __future__ import annotations

import math
from datetime import date

from forecast import registry

SAMPLE_NOTE_ZH = "注：本预测基于样例数据（sample），仅用于演示，不代表官方统计或预测。"
SAMPLE_NOTE_EN = "Note: this forecast is built from sample data for demonstration; it is not an official figure."
MIXED_NOTE_ZH = "注：本预测所用历史数据部分为已发布的实际数据，部分为样例数据（sample），仅用于演示，不代表官方统计或预测。"
MIXED_NOTE_EN = ("Note: the history behind this forecast is partly published real figures and partly sample data; "
                 "it is for demonstration, not an official figure.")
KIND_ZH = {"real": "实际数据", "mixed": "实际与样例混合", "sample": "样例数据"}


def data_lines(s: dict, lang: str) -> list[str]:
    """What the forecast rests on (history and the season's actuals), and the caveat it calls for."""
    kind, actuals = s.get("data_kind"), s.get("actuals_kind")
    lines = []
    if kind is not None:
        if lang == "zh":
            lines.append(f"数据：拟合所用历史为{KIND_ZH.get(kind, kind)}" +
                         (f"，当季实际为{KIND_ZH.get(actuals, actuals)}" if actuals else "") + "。")
        else:
            lines.append(f"Data: fitted on {kind} history" + (f"; the season's actuals are {actuals}" if actuals else "") + ".")
    if kind == "sample":
        lines.append(SAMPLE_NOTE_ZH if lang == "zh" else SAMPLE_NOTE_EN)
    elif kind == "mixed":
        lines.append(MIXED_NOTE_ZH if lang == "zh" else MIXED_NOTE_EN)
    return lines

UNIT_ZH = {"persons": "人次", "vehicles": "辆"}
UNIT_EN = {"persons": "trips", "vehicles": "vehicles"}
# Passenger-count metrics read more naturally with "passengers" than "trips" in English.
EN_NOUN = {"rail_passengers": "passengers", "road_passengers": "passengers", "air_passengers": "passengers",
           "water_passengers": "passengers", "selfdrive_trips": "trips", "cross_regional_trips": "trips",
           "highway_exit_vehicles": "vehicles"}


# ---------------------------------------------------------------------------------------------
# numbers

def _trim(x: float, decimals: int) -> str:
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def zh_amount(value: float | None, unit: str = "") -> str:
    """``352_000_000`` → ``3.52亿人次``; ``8_754_321`` → ``875.4万人次``; small values as integers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    suffix = UNIT_ZH.get(unit, unit)
    v = float(value)
    if abs(v) >= 1e8:
        return f"{_trim(v / 1e8, 2)}亿{suffix}"
    if abs(v) >= 1e4:
        return f"{_trim(v / 1e4, 1 if abs(v) < 1e7 else 0)}万{suffix}"
    return f"{v:,.0f}{suffix}"


def zh_floor(value: float, unit: str = "") -> str:
    """A round figure at or below ``value``, as a press release writes it.

    ``352_000_000`` → ``3.5亿人次`` (floored to 0.1亿, read after 突破); ``2_534_000`` → ``250多万辆``
    (two significant digits, 多 when at least one unit was dropped).
    """
    suffix = UNIT_ZH.get(unit, unit)
    v = float(value)
    if v >= 1e8:
        return f"{_trim(math.floor(v / 1e7) / 10, 1)}亿{suffix}"
    scale, word = (1e4, "万") if v >= 1e4 else (1, "")
    x = v / scale
    if x < 10:
        return f"{_trim(math.floor(x * 10) / 10, 1)}{word}{suffix}"
    step = 10 ** (int(math.log10(x)) - 1)
    floored = math.floor(x / step) * step
    more = "多" if x - floored >= 1 else ""
    return f"{floored:,.0f}{more}{word}{suffix}"


def en_amount(value: float | None, unit: str = "", noun: str | None = None) -> str:
    """``352_000_000`` → ``352 million trips``; ``2_534_000`` → ``2.53 million vehicles``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    word = UNIT_EN.get(unit, unit) if noun is None else noun
    v = float(value)
    for scale, name in ((1e9, "billion"), (1e6, "million")):
        if abs(v) >= scale:
            x = v / scale
            return f"{_trim(x, 2 if x < 100 else 0)} {name} {word}".rstrip()
    return f"{v:,.0f} {word}".rstrip()


def pct(value: float | None, lang: str = "zh") -> str | None:
    """``6.04`` → ``同比增长6%`` / ``up 6% year on year``; None when there is no comparison."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    x = float(value)
    digits = 0 if abs(x) >= 10 or abs(x - round(x)) < 0.05 else 1
    size = _trim(abs(x), digits)
    if lang == "zh":
        return "与上年基本持平" if abs(x) < 0.05 else f"同比{'增长' if x > 0 else '下降'}{size}%"
    return "flat year on year" if abs(x) < 0.05 else f"{'up' if x > 0 else 'down'} {size}% year on year"


def zh_date(d) -> str:
    d = _as_date(d)
    return f"{d.month}月{d.day}日"


def en_date(d) -> str:
    d = _as_date(d)
    return f"{d.day} {d:%b}"


def _as_date(d) -> date:
    if isinstance(d, str):
        return date.fromisoformat(d[:10])
    return d.date() if hasattr(d, "date") and callable(d.date) else d


# ---------------------------------------------------------------------------------------------
# the briefing

def _window(season: int):
    from forecast import calendar

    try:
        s = calendar.season(int(season))
    except Exception:  # noqa: BLE001 - the window is decoration; a briefing without it is still right
        return None
    return s.chunyun_start, s.chunyun_end, s.length


def _region_names(region: str) -> tuple[str, str, str, str]:
    """(title zh, scope zh, title en, scope en): 江西 / 全省 / Jiangxi / the province."""
    known = registry.regions().get(region)
    zh = known.zh if known else region
    en = known.en if known else region
    if region == "national":
        return zh, "全国", "China", "nationwide"
    return zh, "全省", en, f"across {en}"


def briefing(summary: dict, lang: str = "zh") -> str:
    """The briefing text for one region and season, in Chinese (``zh``) or English (``en``)."""
    return _briefing_zh(summary) if lang == "zh" else _briefing_en(summary)


def peak_p(m: dict) -> float | None:
    """The probability that ``m``'s peak day is the season's busiest (from ``peak_probabilities``), or None."""
    for item in m.get("peak_probabilities") or []:
        if str(item.get("date"))[:10] == str(m.get("peak_date"))[:10]:
            return item.get("p")
    return None


def _briefing_zh(s: dict) -> str:
    metrics = s.get("metrics", {})
    title, scope, _, _ = _region_names(s["region"])
    window = _window(s["season"])
    lines = [f"【{title}{s['season']}年春运客流预测】"]
    parts = []
    when = (f"预计今年春运期间（{zh_date(window[0])}至{zh_date(window[1])}，共{window[2]}天）"
            if window else "预计今年春运期间")
    total = metrics.get(registry.TOTAL_METRIC)
    if total:
        head = f"{when}，{scope}跨区域人员流动量将突破{zh_floor(total['total'], total['unit'])}"
        interval = (f"（80%区间{zh_amount(total.get('total_lower'), total['unit'])}至"
                    f"{zh_amount(total.get('total_upper'), total['unit'])}）") if total.get("total_lower") is not None else ""
        growth = pct(total.get("yoy_pct"), "zh")
        head += interval + (f"，{growth}" if growth else "")
        if total.get("daily_avg") is not None:
            head += f"，日均{zh_amount(total['daily_avg'], total['unit'])}"
        if total.get("peak_date"):
            head += f"，{zh_date(total['peak_date'])}将出现客流峰值，约{zh_floor(total['peak_value'], total['unit'])}"
        parts.append(head + "。")
    modes = []
    for name in registry.MODES:
        m = metrics.get(name)
        if not m:
            continue
        meta = registry.METRICS[name]
        growth = pct(m.get("yoy_pct"), "zh")
        modes.append(f"{meta.zh}{zh_amount(m['total'], m['unit'])}" + (f"，{growth}" if growth else ""))
    if modes:
        parts.append("其中，" + "；".join(modes) + "。")
    hw = metrics.get("highway_exit_vehicles")
    if hw:
        sentence = f"{scope}高速公路出口车流量预计{zh_amount(hw['total'], hw['unit'])}"
        growth = pct(hw.get("yoy_pct"), "zh")
        sentence += f"，{growth}" if growth else ""
        if hw.get("daily_avg") is not None:
            sentence += f"，日均{zh_amount(hw['daily_avg'], hw['unit'])}"
        if hw.get("peak_date"):
            sentence += f"，{zh_date(hw['peak_date'])}将出现峰值，流量为{zh_floor(hw['peak_value'], hw['unit'])}"
            p = peak_p(hw)
            if p is not None:
                sentence += f"（该日为峰值日的概率约{round(100 * p)}%）"
        parts.append(sentence + "。")
    if not parts:
        parts.append(f"{when}，暂无可发布的预测指标。")
    lines.append("".join(parts))
    lines += data_lines(s, "zh")
    return "\n".join(lines)


def _briefing_en(s: dict) -> str:
    metrics = s.get("metrics", {})
    _, _, title, scope = _region_names(s["region"])
    window = _window(s["season"])
    lines = [f"{title}: Chunyun {s['season']} travel forecast"]
    parts = []
    when = (f"During this year's Chunyun ({en_date(window[0])} – {en_date(window[1])}, {window[2]} days)"
            if window else "During this year's Chunyun")
    total = metrics.get(registry.TOTAL_METRIC)
    if total:
        head = f"{when}, cross-regional trips {scope} are forecast to reach {en_amount(total['total'], total['unit'])}"
        if total.get("total_lower") is not None:
            head += (f" (80% interval {en_amount(total['total_lower'], total['unit'], '')}"
                     f" – {en_amount(total['total_upper'], total['unit'], '')})")
        growth = pct(total.get("yoy_pct"), "en")
        head += f", {growth}" if growth else ""
        if total.get("daily_avg") is not None:
            head += f", a daily average of {en_amount(total['daily_avg'], total['unit'])}"
        if total.get("peak_date"):
            head += f"; the peak is expected on {en_date(total['peak_date'])} at about {en_amount(total['peak_value'], total['unit'])}"
        parts.append(head + ".")
    modes = []
    for name in registry.MODES:
        m = metrics.get(name)
        if not m:
            continue
        meta = registry.METRICS[name]
        growth = pct(m.get("yoy_pct"), "en")
        modes.append(f"{meta.en} {en_amount(m['total'], m['unit'], EN_NOUN.get(name))}" + (f" ({growth})" if growth else ""))
    if modes:
        parts.append("By mode: " + "; ".join(modes) + ".")
    hw = metrics.get("highway_exit_vehicles")
    if hw:
        sentence = f"Highway exit traffic {scope} is forecast at {en_amount(hw['total'], hw['unit'])}"
        growth = pct(hw.get("yoy_pct"), "en")
        sentence += f", {growth}" if growth else ""
        if hw.get("daily_avg") is not None:
            sentence += f", {en_amount(hw['daily_avg'], hw['unit'])} a day on average"
        if hw.get("peak_date"):
            sentence += f", peaking on {en_date(hw['peak_date'])} at {en_amount(hw['peak_value'], hw['unit'])}"
            p = peak_p(hw)
            if p is not None:
                sentence += f" (probability that this is the peak day: about {round(100 * p)}%)"
        parts.append(sentence + ".")
    if not parts:
        parts.append(f"{when}, no forecast figures are available.")
    lines.append(" ".join(parts))
    lines += data_lines(s, "en")
    return "\n".join(lines)
