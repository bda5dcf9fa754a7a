"""Alert levels and rules: the four levels (blue 蓝色 < yellow 黄色 < orange 橙色 < red 红色), the
rule names, and the per-series thresholds of ``data/alerts.yaml`` as parsed and checked
(:meth:`Thresholds.from_dict`). Reading the file is :func:`forecast.alerts.load_thresholds`."""

from __future__ import annotations

from dataclasses import dataclass, field

from forecast import registry
from forecast.errors import ChunyunError, InvalidInput, Unprocessable

LEVELS: tuple[str, ...] = ("blue", "yellow", "orange", "red")
LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
LEVEL_ALIASES = {**{lv: lv for lv in LEVELS}, **{zh: lv for lv, zh in LEVEL_ZH.items()},
                 **{zh[0]: lv for lv, zh in LEVEL_ZH.items()}}
RULES: tuple[str, ...] = ("level", "p90", "top3", "jump")


def parse_level(name: str | None) -> str | None:
    """``red``/``红``/``红色`` → ``red``; None stays None."""
    if name is None:
        return None
    key = str(name).strip().lower()
    if key not in LEVEL_ALIASES:
        raise InvalidInput(f"unknown alert level {name!r}", hint=f"use one of {', '.join(LEVELS)} (or 蓝/黄/橙/红)")
    return LEVEL_ALIASES[key]


def level_rank(level: str) -> int:
    return LEVELS.index(level)


@dataclass(frozen=True)
class SeriesRules:
    absolute: dict[str, float] = field(default_factory=dict)  # level -> threshold, ascending
    p90: dict | None = None  # {level, quantile}
    top: dict | None = None  # {level, n}
    jump: dict | None = None  # {level, pct}


@dataclass(frozen=True)
class Thresholds:
    defaults: SeriesRules
    series: dict[str, SeriesRules]
    source: str = "<dict>"
    # hashable and equal for equal file contents as loaded: ``(path, mtime_ns)`` from
    # load_thresholds (None when built from a dict); a cache key, unlike id() which can be reused
    version: tuple[str, int] | None = field(default=None, compare=False)

    def for_series(self, unique_id: str) -> SeriesRules:
        return self.series.get(unique_id, self.defaults)

    @classmethod
    def from_dict(cls, doc: dict, source: str = "<dict>") -> Thresholds:
        where = f"alert thresholds {source}"
        if not isinstance(doc, dict):
            raise Unprocessable(f"{where} is not a mapping", hint="see the comments at the top of data/alerts.yaml")
        defaults = _rules(doc.get("defaults") or {}, SeriesRules(), f"{where}: defaults")
        series = {}
        for uid, spec in (doc.get("series") or {}).items():
            try:
                region, metric = registry.parse_uid(uid)
            except ChunyunError as err:
                raise Unprocessable(f"{where}: {err.detail}", hint=err.hint) from None
            series[f"{region}/{metric}"] = _rules(spec or {}, defaults, f"{where}: {uid}")
        return cls(defaults, series, source)


def _rules(spec: dict, base: SeriesRules, where: str) -> SeriesRules:
    if not isinstance(spec, dict):
        raise Unprocessable(f"{where} is not a mapping", hint="give `absolute:` and/or `relative:`")
    unknown = set(spec) - {"absolute", "relative"}
    if unknown:
        raise Unprocessable(f"{where}: unknown keys {sorted(unknown)}", hint="use `absolute:` and `relative:`")
    absolute = dict(base.absolute)
    if "absolute" in spec:
        absolute = {}
        for level, value in (spec["absolute"] or {}).items():
            if level not in LEVELS:
                raise Unprocessable(f"{where}: unknown level {level!r}", hint=f"levels are {', '.join(LEVELS)}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise Unprocessable(f"{where}: {level} threshold {value!r} is not a positive number",
                                    hint="thresholds are daily counts in base units (persons or vehicles)")
            absolute[level] = float(value)
        ordered = [absolute[lv] for lv in LEVELS if lv in absolute]
        if ordered != sorted(ordered) or len(set(ordered)) != len(ordered):
            raise Unprocessable(f"{where}: thresholds must rise from blue to red", hint=f"got {absolute}")
    relative = spec.get("relative") or {}
    unknown = set(relative) - {"p90", "top", "jump"}
    if unknown:
        raise Unprocessable(f"{where}: unknown relative rules {sorted(unknown)}", hint="use p90, top and jump")
    out = {"p90": base.p90, "top": base.top, "jump": base.jump}
    for name, (key, check) in {"p90": ("quantile", lambda v: 0 < v < 1), "top": ("n", lambda v: v >= 1),
                               "jump": ("pct", lambda v: v > 0)}.items():
        if name not in relative:
            continue
        rule = relative[name]
        if rule in (None, False):
            out[name] = None
            continue
        level = rule.get("level") if isinstance(rule, dict) else None
        value = rule.get(key) if isinstance(rule, dict) else None
        if level not in LEVELS or isinstance(value, bool) or not isinstance(value, int | float) or not check(value):
            raise Unprocessable(f"{where}: relative rule {name} needs level (one of {', '.join(LEVELS)}) and a valid {key}",
                                hint=f"got {rule!r}")
        out[name] = {"level": level, key: value}
    return SeriesRules(absolute, out["p90"], out["top"], out["jump"])
