"""Statuses (``ok``, ``flagged``, ``superseded``) and reasons: automatic rules here, the row-by-row
decisions in ``decisions.csv``; peak dates merged into peak values; the cross-check against
``raw/daily_national.csv`` and the consistency checks printed for review."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

from .common import HERE
from .figures_rows import parse_value
from .figures_sources import first_date
from .figures_vocab import (
    AIR,
    CROSS,
    DN_SERIES,
    OPER,
    RAIL,
    ROAD,
    ROAD_ALL,
    SELF,
    UNITS,
    WATER,
    road_metric,
)

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
