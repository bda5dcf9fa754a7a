"""The as-of view of the reference: what a forecaster could see just before a season opened.

The reference as plain records (:class:`_Ref`), the view before season S+1 opened with the
year-on-year statements about S published that day (:func:`_asof`), and the best figure known then
(:func:`_lookup`). This is what keeps the sample free of look-ahead (ASSUMPTIONS.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.sample.assumptions import NOTE_STATEMENTS


@dataclass(frozen=True)
class _Row:
    season: int
    region: str
    metric: str
    measure: str
    kind: str
    basis: str
    status: str
    value: float
    ds: pd.Timestamp | None
    published: pd.Timestamp


class _Ref:
    """The reference as plain records, indexed by (region, metric, season, measure)."""

    def __init__(self, reference: pd.DataFrame):
        df = reference
        published = pd.to_datetime(df["published"])
        ds = pd.to_datetime(df["ds"])
        value = pd.to_numeric(df["value"], errors="coerce")
        text = {c: df[c].fillna("").astype(str).tolist() for c in ("region", "metric", "measure", "kind", "basis", "status")}
        self.rows = [
            _Row(int(s), text["region"][i], text["metric"][i], text["measure"][i], text["kind"][i], text["basis"][i],
                 text["status"][i], float(v), None if pd.isna(d) else pd.Timestamp(d), pd.Timestamp(p))
            for i, (s, v, d, p) in enumerate(zip(df["season"], value, ds, published, strict=True))
            if not pd.isna(p)
        ]
        self.index: dict[tuple, list[_Row]] = {}
        for row in self.rows:
            self.index.setdefault((row.region, row.metric, row.season, row.measure), []).append(row)

    def get(self, region: str, metric: str, season: int, measure: str) -> list[_Row]:
        return self.index.get((region, metric, season, measure), [])


@dataclass
class _Asof:
    """The reference as a forecaster saw it just before season ``season + 1`` opened."""

    season: int
    cutoff: pd.Timestamp
    ref: _Ref
    statements: dict  # (region, metric, measure) -> (value, note): yoy statements about ``season``


def _cutoff(season: int) -> pd.Timestamp:
    return pd.Timestamp(calendar.season(season + 1).chunyun_start)


def _asof(ref: _Ref, season: int) -> _Asof:
    cutoff = _cutoff(season)
    # Statements: "X in season S+1, +p% on S", published no later than the day S+1 opened.
    statements: dict = {}
    nxt = [r for r in ref.rows if r.season == season + 1 and r.status == "ok" and r.published <= cutoff]
    for yoy in (r for r in nxt if r.measure == "yoy_pct" and not np.isnan(r.value)):
        base = [r for r in nxt if (r.region, r.metric, r.kind, r.published, r.measure)
                == (yoy.region, yoy.metric, yoy.kind, yoy.published, "total")]
        if len(base) == 1:
            statements[(yoy.region, yoy.metric, "total")] = _statement(base[0], yoy.value)
    for (s, region, metric, measure, kind), pct in NOTE_STATEMENTS.items():
        base = [r for r in nxt if s == season + 1 and (r.region, r.metric, r.measure, r.kind) == (region, metric, measure, kind)]
        if len(base) == 1:
            statements[(region, metric, measure)] = _statement(base[0], pct)
    return _Asof(season, cutoff, ref, statements)


def _statement(row: _Row, pct: float) -> tuple[float, str]:
    return (row.value / (1 + pct / 100),
            f"statement: {row.value:.6g} in {row.season} stated as {pct:+g}% on the season before "
            f"(published {row.published:%Y-%m-%d})")


def _lookup(a: _Asof, region: str, metric: str, season: int, measure: str = "total",
            kinds=("actual", "forecast"), basis=None) -> tuple[float, str] | None:
    """The best figure known at ``a.cutoff``: an ``ok`` one if any, else the latest superseded one."""
    rows = [r for r in a.ref.get(region, metric, season, measure)
            if r.status != "flagged" and r.published < a.cutoff and not np.isnan(r.value)
            and (basis is None or r.basis in ((basis,) if isinstance(basis, str) else basis))]
    for kind in kinds:
        k = [r for r in rows if r.kind == kind]
        if not k:
            continue
        ok = [r for r in k if r.status == "ok"]
        pick = max(ok or k, key=lambda r: r.published)
        return pick.value, f"{kind} {metric} {measure} published {pick.published:%Y-%m-%d}"
    return None


def _stated(a: _Asof, region: str, metric: str, measure: str = "total") -> tuple[float, str] | None:
    return a.statements.get((region, metric, measure))


def _default_reference(reference: pd.DataFrame | None) -> pd.DataFrame:
    if reference is not None:
        return reference
    from forecast.reference import load_reference

    return load_reference()
