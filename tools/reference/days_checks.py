"""The checks ``curate_days --check`` prints: season sums, additivity of the modes, lunar and season
days against the calendar."""

from __future__ import annotations

from collections import defaultdict

from .days_rows import AIR, CROSS, RAIL, ROAD, ROAD_ALL, SEASON_DAY, SELF, WATER


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
