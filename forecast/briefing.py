"""The day-one briefing a transport department publishes, written from a season summary.

``briefing(summary, lang="zh")`` turns the summary contract (docs/ARCHITECTURE.md) into the
paragraph a provincial or national transport department releases when Chunyun opens, e.g.
「预计今年春运期间，全省跨区域人员流动量将突破3.5亿人次，同比增长6%……2月4日将出现峰值，
流量为250多万辆。」 Every number comes from the summary; nothing is fitted here. The number
formatters (``zh_amount``, ``en_amount`` ...) are shared with ``forecast.alerts``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
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
    return _briefing(summary, _ZH if lang == "zh" else _EN)


def peak_p(m: dict) -> float | None:
    """The probability that ``m``'s peak day is the season's busiest (from ``peak_probabilities``), or None."""
    for item in m.get("peak_probabilities") or []:
        if str(item.get("date"))[:10] == str(m.get("peak_date"))[:10]:
            return item.get("p")
    return None


@dataclass(frozen=True)
class _Lang:
    """One language of the briefing: its phrases (``str.format`` templates) and how it writes numbers."""

    code: str
    phrases: dict
    amount: Callable  # (value, unit): a figure in a sentence
    headline: Callable  # (value, unit): the round figure of a headline total or peak
    bound: Callable  # (value, unit): an interval bound
    mode_amount: Callable  # (value, unit, metric): a mode's total
    date: Callable
    title_index: int  # which of _region_names' titles and scopes
    sep: str  # between sentences


_ZH = _Lang("zh", {
    "title": "【{title}{season}年春运客流预测】", "when": "预计今年春运期间（{start}至{end}，共{days}天）",
    "when_bare": "预计今年春运期间", "head": "{when}，{scope}跨区域人员流动量将突破{total}",
    "interval": "（80%区间{lo}至{hi}）", "growth": "，{growth}", "daily": "，日均{avg}",
    "peak": "，{date}将出现客流峰值，约{peak}", "stop": "。", "mode": "{name}{total}", "mode_growth": "，{growth}",
    "modes": "其中，{items}。", "mode_sep": "；", "hw": "{scope}高速公路出口车流量预计{total}", "hw_daily": "，日均{avg}",
    "hw_peak": "，{date}将出现峰值，流量为{peak}", "hw_p": "（该日为峰值日的概率约{p}%）",
    "none": "{when}，暂无可发布的预测指标。",
}, amount=zh_amount, headline=zh_floor, bound=zh_amount, mode_amount=lambda v, u, _m: zh_amount(v, u),
    date=zh_date, title_index=0, sep="")
_EN = _Lang("en", {
    "title": "{title}: Chunyun {season} travel forecast", "when": "During this year's Chunyun ({start} – {end}, {days} days)",
    "when_bare": "During this year's Chunyun", "head": "{when}, cross-regional trips {scope} are forecast to reach {total}",
    "interval": " (80% interval {lo} – {hi})", "growth": ", {growth}", "daily": ", a daily average of {avg}",
    "peak": "; the peak is expected on {date} at about {peak}", "stop": ".", "mode": "{name} {total}",
    "mode_growth": " ({growth})", "modes": "By mode: {items}.", "mode_sep": "; ",
    "hw": "Highway exit traffic {scope} is forecast at {total}", "hw_daily": ", {avg} a day on average",
    "hw_peak": ", peaking on {date} at {peak}", "hw_p": " (probability that this is the peak day: about {p}%)",
    "none": "{when}, no forecast figures are available.",
}, amount=en_amount, headline=en_amount, bound=lambda v, u: en_amount(v, u, ""),
    mode_amount=lambda v, u, m: en_amount(v, u, EN_NOUN.get(m)), date=en_date, title_index=2, sep=" ")


def _briefing(s: dict, lang: _Lang) -> str:
    metrics = s.get("metrics", {})
    names = _region_names(s["region"])
    title, scope = names[lang.title_index], names[lang.title_index + 1]
    window = _window(s["season"])
    ph = lang.phrases
    when = (ph["when"].format(start=lang.date(window[0]), end=lang.date(window[1]), days=window[2])
            if window else ph["when_bare"])
    parts = [p for p in (_headline(metrics, lang, when, scope), _modes(metrics, lang), _highway(metrics, lang, scope)) if p]
    if not parts:
        parts.append(ph["none"].format(when=when))
    lines = [ph["title"].format(title=title, season=s["season"]), lang.sep.join(parts)]
    lines += data_lines(s, lang.code)
    return "\n".join(lines)


def _headline(metrics: dict, lang: _Lang, when: str, scope: str) -> str | None:
    total = metrics.get(registry.TOTAL_METRIC)
    if not total:
        return None
    ph, unit = lang.phrases, total["unit"]
    head = ph["head"].format(when=when, scope=scope, total=lang.headline(total["total"], unit))
    if total.get("total_lower") is not None:
        head += ph["interval"].format(lo=lang.bound(total.get("total_lower"), unit), hi=lang.bound(total.get("total_upper"), unit))
    return head + _details(total, lang, "daily", "peak") + ph["stop"]


def _modes(metrics: dict, lang: _Lang) -> str | None:
    ph, items = lang.phrases, []
    for name in registry.MODES:
        m = metrics.get(name)
        if not m:
            continue
        meta = registry.METRICS[name]
        growth = pct(m.get("yoy_pct"), lang.code)
        items.append(ph["mode"].format(name=meta.zh if lang.code == "zh" else meta.en,
                                       total=lang.mode_amount(m["total"], m["unit"], name))
                     + (ph["mode_growth"].format(growth=growth) if growth else ""))
    return ph["modes"].format(items=ph["mode_sep"].join(items)) if items else None


def _highway(metrics: dict, lang: _Lang, scope: str) -> str | None:
    hw = metrics.get("highway_exit_vehicles")
    if not hw:
        return None
    ph, unit = lang.phrases, hw["unit"]
    sentence = ph["hw"].format(scope=scope, total=lang.amount(hw["total"], unit))
    sentence += _details(hw, lang, "hw_daily", "hw_peak")
    p = peak_p(hw) if hw.get("peak_date") else None
    if p is not None:
        sentence += ph["hw_p"].format(p=round(100 * p))
    return sentence + ph["stop"]


def _details(m: dict, lang: _Lang, daily: str, peak: str) -> str:
    """The growth, daily average and peak that follow a total (phrases ``daily`` and ``peak``)."""
    ph, unit = lang.phrases, m["unit"]
    growth = pct(m.get("yoy_pct"), lang.code)
    out = ph["growth"].format(growth=growth) if growth else ""
    if m.get("daily_avg") is not None:
        out += ph[daily].format(avg=lang.amount(m["daily_avg"], unit))
    if m.get("peak_date"):
        out += ph[peak].format(date=lang.date(m["peak_date"]), peak=lang.headline(m["peak_value"], unit))
    return out
