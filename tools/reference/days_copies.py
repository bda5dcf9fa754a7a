"""Copies of one figure (one ``ok`` row, the others ``duplicate`` or ``superseded``) and the derived
2024 rows (a 2025 figure divided by its printed change on the same day of the 2024 season)."""

from __future__ import annotations

from collections import defaultdict

from .days_rows import DERIVE, KIND_LETTER, half_unit, season_day_of


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


def fmt(n: float) -> str:
    return f"{n / 1e4:g}万"
