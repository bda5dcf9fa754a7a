"""Season targets: each season's totals per series, from its own as-of view of the reference.

National operating modes, self-driving and the total, expressway traffic, Jiangxi from its own
figures or shares, the bridges onto the 2024 basis (:class:`_Bridge`, ASSUMPTIONS.md §3), and the
parts of a window calibrated apart (:func:`_masks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.errors import Unprocessable
from forecast.registry import MODES, TOTAL_METRIC
from forecast.sample.asof import _Asof, _asof, _default_reference, _lookup, _Ref, _stated
from forecast.sample.assumptions import (
    ANCHOR_SEASON,
    COVID_2020_OPERATING_RATIO_TO_2021_FORECAST,
    COVID_BREAK,
    COVID_SEASONS,
    FILL_GROWTH,
    FIRST_SEASON,
    HIGHWAY,
    HIGHWAY_2021_VS_2019_PCT,
    HIGHWAY_GROWTH_PRE2019,
    JIANGXI_SHARE,
    LAST_SEASON,
    MAX_TROUGH_PIN_MOVE,
    OPERATING_MODES,
    RESTATE_PRE2024_SELFDRIVE,
    ROAD,
    SAMPLE_START,
    SELFDRIVE,
    SELFDRIVE_2021_VS_2019_PCT,
    SELFDRIVE_2023_VS_2019_PCT,
    SELFDRIVE_2023_VS_2022_PCT,
    SELFDRIVE_GROWTH_PRE2019,
)
from forecast.sample.shapes import _Calendar, _calendar, _covid_factor, _Window


@dataclass
class Target:
    season: int
    region: str
    metric: str
    value: float | None  # None: emergent (no calibration, the model's own level)
    source: str  # "published", "statement", "bridge", "assumption", "derived"
    note: str = ""
    pieces: tuple = ()  # ((part, value), ...): parts of the window calibrated separately, see _part_mask


def _window_days(season: int) -> int:
    s = calendar.season(season)
    return s.length


def _first(*options):
    return next((o for o in options if o is not None), None)


def _all_targets(ref: _Ref) -> dict[int, dict[tuple[str, str], Target]]:
    """Targets of every season 2014..2025, each from its own as-of view of the reference."""
    out: dict[int, dict[tuple[str, str], Target]] = {}
    bridge = _Bridge.from_reference(ref)
    for season in range(ANCHOR_SEASON, LAST_SEASON + 1):
        a = _asof(ref, season)
        nat = _national_targets(a, season, out.get(season - 1), bridge)
        jx = _jiangxi_targets(a, season, nat)
        out[season] = {**{("national", m): t for m, t in nat.items()}, **{("jiangxi", m): t for m, t in jx.items()}}
    return out


@dataclass
class _Bridge:
    """The pre-2024 self-driving and highway bridges (read from the 2021, 2023 and 2024 releases)."""

    selfdrive_2023_old: float  # expressway-basis self-driving 2023 (47.33亿 - 15.95亿)
    factor: float  # 2024-basis / expressway-basis, from figures public before 2024-01-26
    highway_2021: float

    @classmethod
    def from_reference(cls, ref: _Ref) -> _Bridge:
        a23 = _asof(ref, 2023)  # published before 2024-01-26
        cross23 = _lookup(a23, "national", TOTAL_METRIC, 2023, kinds=("actual",))
        op23 = _lookup(a23, "national", "operating_passengers", 2023, kinds=("actual",))
        cross24 = _lookup(a23, "national", TOTAL_METRIC, 2024, kinds=("forecast",))
        op24 = _lookup(a23, "national", "operating_passengers", 2024, kinds=("forecast",))
        hw21 = _lookup(_asof(ref, 2021), "national", "highway_traffic_vehicles", 2021, kinds=("actual",))
        if None in (cross23, op23, cross24, op24, hw21):
            raise Unprocessable("the reference lacks a figure the sample's bridges rest on",
                                hint="need 2023 cross-regional and operating actuals, the 2024 forecasts and the 2021 expressway total")
        sd23 = cross23[0] - op23[0]
        # The 2024 forecast's self-driving (90亿 - 18亿) against 2023's expressway self-driving
        # grown like the operating forecast (18亿 / 15.95亿): what the new basis adds.
        factor = (cross24[0] - op24[0]) / (sd23 * op24[0] / op23[0]) if RESTATE_PRE2024_SELFDRIVE else 1.0
        return cls(sd23, factor, hw21[0])

    def selfdrive_old(self, season: int) -> float | None:
        """Expressway-basis self-driving of a season before 2023 (None for 2020: emergent)."""
        s2019 = self.selfdrive_2023_old / (1 + SELFDRIVE_2023_VS_2019_PCT / 100)
        if season <= 2019:
            return s2019 / SELFDRIVE_GROWTH_PRE2019 ** (2019 - season)
        if season == 2021:
            return s2019 * (1 + SELFDRIVE_2021_VS_2019_PCT / 100)
        if season == 2022:
            return self.selfdrive_2023_old / (1 + SELFDRIVE_2023_VS_2022_PCT / 100)
        return None

    def highway(self, season: int) -> float:
        h2019 = self.highway_2021 / (1 + HIGHWAY_2021_VS_2019_PCT / 100)
        return h2019 / HIGHWAY_GROWTH_PRE2019 ** (2019 - season)


def _national_targets(a: _Asof, season: int, prev: dict | None, bridge: _Bridge) -> dict[str, Target]:
    known, op = _national_operating_known(a, season)
    values, sources = _national_operating_values(season, prev, known, op)
    t = _national_operating_targets(a, season, values, sources, op)
    op_total = sum(values[m] for m in OPERATING_MODES)
    _national_selfdrive_and_total(a, season, t, op_total, bridge)
    _national_highway(a, season, t, bridge)
    for m in (*OPERATING_MODES, SELFDRIVE, HIGHWAY):
        _add_holiday_piece(a, t[m], "highway_traffic_vehicles" if m == HIGHWAY else m)
    if not _trough_feasible(a, t, season):
        for m in (*OPERATING_MODES, SELFDRIVE):
            if t[m].pieces and t[m].pieces[0][0] == "holiday":
                t[m].pieces = ()
                t[m].note = (t[m].note.split("; holiday block:")[0]
                             + "; holiday block not calibrated (with it 除夕 could not be a trough, ASSUMPTIONS.md §6)")
    return t


def _national_operating_known(a: _Asof, season: int) -> tuple[dict[str, tuple[float, str]], tuple[float, str] | None]:
    """The published national operating modes of ``season`` and the operating total."""
    new_road_basis = "operating"  # road before 2015 is on an older, larger basis
    known: dict[str, tuple[float, str]] = {}
    for m in OPERATING_MODES:
        hit = _lookup(a, "national", m, season, basis=(new_road_basis,) if m == ROAD else ("operating",))
        if season == 2020:
            hit = None  # 2020's forecasts predate the outbreak; the season is built from its parts
        if hit:
            known[m] = hit
    op_actual = _lookup(a, "national", "operating_passengers", season, kinds=("actual",), basis="operating")
    op_fc = _lookup(a, "national", "operating_passengers", season, kinds=("forecast",), basis="operating")
    op_stated = _stated(a, "national", "operating_passengers")
    if season == 2020:
        op = _covid_2020_operating(a)
    elif op_actual:
        op = op_actual
    elif len(known) == len(OPERATING_MODES):
        op = (sum(v for v, _ in known.values()), "sum of the published modes")
    else:
        op = _first(op_fc, op_stated)
    return known, op


def _national_operating_values(season: int, prev: dict | None, known: dict[str, tuple[float, str]],
                               op: tuple[float, str] | None) -> tuple[dict[str, float], dict[str, tuple[str, str]]]:
    """Each operating mode's season total: published, else filled from the season before, scaled
    to the operating total; the anchor season's road is the stated total less the other modes."""
    values: dict[str, float] = {}
    sources: dict[str, tuple[str, str]] = {}
    for m in OPERATING_MODES:
        if m in known:
            values[m], sources[m] = known[m][0], ("published", known[m][1])
        elif prev is not None and prev[("national", m)].value is not None:
            values[m] = prev[("national", m)].value * FILL_GROWTH[m]
            sources[m] = ("assumption", f"{season - 1} x {FILL_GROWTH[m]:g}")
        else:
            values[m], sources[m] = np.nan, ("assumption", "")
    if op is not None:
        fixed = sum(values[m] for m in known)
        free = [m for m in OPERATING_MODES if m not in known]
        if free and not np.isnan(sum(values[m] for m in free)):
            scale = (op[0] - fixed) / sum(values[m] for m in free)
            for m in free:
                values[m] *= scale
                sources[m] = ("assumption", f"{sources[m][1]}, scaled to the operating total ({op[1]})")
        elif not free:
            scale = op[0] / fixed  # the headline wins; published modes differ by rounding
            for m in OPERATING_MODES:
                values[m] *= scale
    if season == ANCHOR_SEASON and ROAD not in known:
        # 2014 road on the new basis: the stated 2014 operating total less the other modes.
        if op is None:
            raise Unprocessable("the reference lacks the 2015 operating forecast that states the 2014 outcome",
                                hint="data/reference/figures.csv: national operating_passengers 2015 forecast")
        values[ROAD] = op[0] - sum(values[m] for m in OPERATING_MODES if m != ROAD)
        sources[ROAD] = ("statement", f"operating total ({op[1]}) less rail, air, water")
    return values, sources


def _national_operating_targets(a: _Asof, season: int, values: dict[str, float], sources: dict[str, tuple[str, str]],
                                op: tuple[float, str] | None) -> dict[str, Target]:
    """The operating modes' targets (2020: the first 13 days and the rest of the window apart)."""
    t: dict[str, Target] = {}
    pieces_2020 = _covid_2020_pieces(a) if season == 2020 else None
    if pieces_2020 is not None:
        # after 2020-01-22 the modes share the rest of the operating total by their modelled depth
        depth = {m: _covid_depth_2020(m) for m in OPERATING_MODES}
        weight = {m: pieces_2020[m] * depth[m] for m in OPERATING_MODES}
        rest = op[0] - sum(pieces_2020.values())
    for m in OPERATING_MODES:
        pieces = ()
        if pieces_2020 is not None:
            p1 = pieces_2020[m]
            values[m] = p1 + rest * weight[m] / sum(weight.values())
            pieces = (("before_break", p1), ("after_break", values[m] - p1))
            sources[m] = ("assumption", f"first 13 days published; the rest of the operating total ({op[1]}) "
                                        "shared by the modelled COVID depth")
        t[m] = Target(season, "national", m, values[m], sources[m][0], sources[m][1], pieces)
    return t


def _national_selfdrive_and_total(a: _Asof, season: int, t: dict[str, Target], op_total: float,
                                  bridge: _Bridge) -> None:
    """Self-driving (published, or bridged onto the 2024 basis) and the cross-regional total, into ``t``."""
    sd_actual = _lookup(a, "national", SELFDRIVE, season, kinds=("actual",), basis="cross_regional")
    cross_actual = _lookup(a, "national", TOTAL_METRIC, season, kinds=("actual",), basis="cross_regional")
    if sd_actual:  # 2024 basis, published
        sd, sd_src = sd_actual[0], ("published", sd_actual[1])
        if cross_actual:
            scale = cross_actual[0] / (sd + op_total)
            for m in OPERATING_MODES:
                t[m].value *= scale
            sd *= scale
    elif cross_actual:  # 2023: the restated total, expressway self-driving
        sd = bridge.factor * (cross_actual[0] - op_total)
        sd_src = ("bridge", f"({cross_actual[1]} - operating) x {bridge.factor:.4f} (2024 basis)")
    else:
        old = bridge.selfdrive_old(season)
        sd = None if old is None else old * bridge.factor
        sd_src = ("bridge", "expressway self-driving from the 2023 release, growth stated in ASSUMPTIONS.md, "
                            f"x {bridge.factor:.4f} (2024 basis)") if old is not None else ("emergent", "COVID season")
    t[SELFDRIVE] = Target(season, "national", SELFDRIVE, sd, *sd_src)
    total = None if sd is None else sd + sum(t[m].value for m in OPERATING_MODES)
    if sd_actual and cross_actual:
        total_src = ("published", f"{cross_actual[1]}; the modes scaled to it")
    elif cross_actual:
        total_src = ("bridge", f"{cross_actual[1]} restated: operating + self-driving x {bridge.factor:.4f}")
    elif total is None:
        total_src = ("emergent", "COVID season: self-driving is the model's own level")
    else:
        total_src = ("derived", "sum of the modes")
    t[TOTAL_METRIC] = Target(season, "national", TOTAL_METRIC, total, *total_src)


def _national_highway(a: _Asof, season: int, t: dict[str, Target], bridge: _Bridge) -> None:
    """National expressway traffic (counted at exits), into ``t``."""
    hw = _lookup(a, "national", "highway_traffic_vehicles", season, kinds=("actual",))
    days = _window_days(season)
    if hw:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, hw[0], "published", hw[1])
    elif (avg := _lookup(a, "national", "highway_traffic_vehicles", season, measure="daily_avg")) is not None:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, avg[0] * days, "published", f"{avg[1]} x {days} days")
    elif (st := _stated(a, "national", "highway_traffic_vehicles", "daily_avg")) is not None:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, st[0] * days, "statement", f"{st[1]} x {days} days")
    elif season <= 2019:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, bridge.highway(season), "bridge",
                            "2021 expressway total, +0.45% on 2019, growth stated in ASSUMPTIONS.md")
    else:
        t[HIGHWAY] = Target(season, "national", HIGHWAY, None, "emergent", "COVID season")


def _trough_feasible(a: _Asof, t: dict[str, Target], season: int) -> bool:
    """False when the published holiday block and 除夕 leave the other days of the window averaging
    below 除夕 (moved down by the most a pin may move): then 除夕 cannot be among the lowest days."""
    if season in COVID_SEASONS or t[TOTAL_METRIC].value is None:
        return True
    holiday = [t[m].pieces[0][1] for m in MODES if t[m].pieces and t[m].pieces[0][0] == "holiday"]
    if len(holiday) < len(MODES):
        return True
    cal = calendar.season(season)
    eve_rows = [r for r in a.ref.get("national", TOTAL_METRIC, season, "daily")
                if r.kind == "actual" and r.status == "ok" and r.published < a.cutoff
                and r.ds == pd.Timestamp(cal.spring_festival) - pd.Timedelta(days=1)]
    if not eve_rows:
        return True
    low_eve = eve_rows[0].value * (1 - MAX_TROUGH_PIN_MOVE)
    others = _window_days(season) - ((cal.holiday_end - cal.holiday_start).days + 1) - 1
    return (t[TOTAL_METRIC].value - sum(holiday) - low_eve) / others > 1.02 * low_eve


def _add_holiday_piece(a: _Asof, t: Target, ref_metric: str) -> None:
    """Calibrate the holiday block apart from the rest of the window where its total is published."""
    if t.value is None or t.pieces:
        return
    hit = _lookup(a, t.region, ref_metric, t.season, measure="holiday_total")
    if hit is None or not 0 < hit[0] < 0.6 * t.value:
        return
    t.pieces = (("holiday", hit[0]), ("rest", t.value - hit[0]))
    t.note += f"; holiday block: {hit[1]}"


def _covid_2020_operating(a: _Asof) -> tuple[float, str]:
    fc21 = _lookup(a, "national", "operating_passengers", 2021, kinds=("forecast",))
    if fc21 is None:
        raise Unprocessable("the reference lacks the 2021 operating forecast the 2020 season rests on")
    return fc21[0] * COVID_2020_OPERATING_RATIO_TO_2021_FORECAST, f"2021 forecast ({fc21[1]}) / 1.10"


def _covid_2020_depth_days() -> tuple[slice, slice]:
    cal = _calendar()
    w = cal.windows[2020]
    brk = (COVID_BREAK - SAMPLE_START).days
    return slice(w.start, brk), slice(brk, w.end + 1)


def _covid_depth_2020(metric: str) -> float:
    """Mean COVID factor of the 2020 season after 2020-01-22 relative to the days before (per day)."""
    before, after = _covid_2020_depth_days()
    c = _covid_factor(metric, "national", _calendar())
    return float(c[after].mean() / c[before].mean()) * (after.stop - after.start) / (before.stop - before.start)


def _covid_2020_pieces(a: _Asof) -> dict[str, float]:
    out = {}
    for m in OPERATING_MODES:
        hit = _lookup(a, "national", m, 2020, measure="partial_total", kinds=("actual",))
        if hit is None:
            raise Unprocessable(f"the reference lacks the 2020 first-13-day {m} figure")
        out[m] = hit[0]
    return out


def _jiangxi_targets(a: _Asof, season: int, nat: dict[str, Target]) -> dict[str, Target]:
    t: dict[str, Target] = {}
    for m in OPERATING_MODES:
        hit = _lookup(a, "jiangxi", m, season, basis="operating")
        if season in COVID_SEASONS and hit and "forecast" in hit[1]:
            hit = None  # a forecast made before (2020) or during the pandemic is not the outcome
        if hit:
            t[m] = Target(season, "jiangxi", m, hit[0], "published", hit[1])
        else:
            t[m] = Target(season, "jiangxi", m, nat[m].value * JIANGXI_SHARE[m], "assumption",
                          f"national x {JIANGXI_SHARE[m]:.2%}",
                          tuple((part, v * JIANGXI_SHARE[m]) for part, v in nat[m].pieces))
    op = _first(_lookup(a, "jiangxi", "operating_passengers", season, basis="operating"),
                _stated(a, "jiangxi", "operating_passengers"))
    if op is not None:
        free = [m for m in OPERATING_MODES if t[m].source == "assumption"]
        fixed = sum(t[m].value for m in OPERATING_MODES if m not in free)
        if free:
            scale = (op[0] - fixed) / sum(t[m].value for m in free)
            for m in free:
                t[m].value *= scale
                t[m].pieces = tuple((part, v * scale) for part, v in t[m].pieces)
                t[m].note += f", scaled to the operating total ({op[1]})"
    op_total = sum(t[m].value for m in OPERATING_MODES)
    cross = _first(_lookup(a, "jiangxi", TOTAL_METRIC, season, basis="cross_regional"),
                   _stated(a, "jiangxi", TOTAL_METRIC))
    if cross is not None:
        t[SELFDRIVE] = Target(season, "jiangxi", SELFDRIVE, cross[0] - op_total, "derived",
                              f"cross-regional ({cross[1]}) less the operating modes")
    elif nat[SELFDRIVE].value is not None:
        t[SELFDRIVE] = Target(season, "jiangxi", SELFDRIVE, nat[SELFDRIVE].value * JIANGXI_SHARE[SELFDRIVE],
                              "assumption", f"national x {JIANGXI_SHARE[SELFDRIVE]:.1%}")
    else:
        t[SELFDRIVE] = Target(season, "jiangxi", SELFDRIVE, None, "emergent", "COVID season")
    sd = t[SELFDRIVE].value
    total = None if sd is None else sd + op_total
    source = "derived" if cross is None else "statement" if cross[1].startswith("statement") else "published"
    t[TOTAL_METRIC] = Target(season, "jiangxi", TOTAL_METRIC, total, source, "sum of the modes" if cross is None else cross[1])
    hw = _lookup(a, "jiangxi", HIGHWAY, season)
    if hw:
        t[HIGHWAY] = Target(season, "jiangxi", HIGHWAY, hw[0], "published", hw[1])
    elif nat[HIGHWAY].value is not None:
        t[HIGHWAY] = Target(season, "jiangxi", HIGHWAY, nat[HIGHWAY].value * JIANGXI_SHARE[HIGHWAY], "assumption",
                            f"national x {JIANGXI_SHARE[HIGHWAY]:.1%}")
    else:
        t[HIGHWAY] = Target(season, "jiangxi", HIGHWAY, None, "emergent", "COVID season")
    return t


def season_targets(reference: pd.DataFrame | None = None, season: int | None = None) -> pd.DataFrame:
    """Season-total targets: ``season, region, metric, target, source, note`` (target NaN = emergent).

    Season S uses only ``reference[published < chunyun_start(S+1)]`` plus year-on-year statements
    about S published by that day; the bridges named in ASSUMPTIONS.md are the exceptions.
    """
    targets = _all_targets(_Ref(_default_reference(reference)))
    rows = [{"season": s, "region": r, "metric": m, "target": np.nan if t.value is None else float(t.value),
             "source": t.source, "note": t.note}
            for s, by_key in targets.items() if s >= FIRST_SEASON for (r, m), t in by_key.items()]
    df = pd.DataFrame(rows)
    if season is not None:
        if not FIRST_SEASON <= int(season) <= LAST_SEASON:
            raise Unprocessable(f"season {season} is outside the sample", hint=f"seasons {FIRST_SEASON}-{LAST_SEASON}")
        df = df[df["season"] == int(season)]
    return df.reset_index(drop=True)



def _part_mask(part: str, w: _Window, cal: _Calendar) -> np.ndarray:
    """Days of a window that belong to a named part: the holiday block and the rest of the window,
    or the days before and after the 2020 break (COVID_BREAK)."""
    holiday = cal.feat["is_holiday"][w.start:w.end + 1]
    brk = (COVID_BREAK - cal.days[0]).days
    after = np.arange(w.start, w.end + 1) >= brk
    masks = {"holiday": holiday, "rest": ~holiday, "before_break": ~after, "after_break": after}
    return masks[part]


def _masks(t: Target, w: _Window, cal: _Calendar) -> list[tuple[np.ndarray, float]]:
    if t.value is None:
        return []
    if not t.pieces:
        return [(np.ones(w.end - w.start + 1, bool), float(t.value))]
    return [(_part_mask(part, w, cal), float(value)) for part, value in t.pieces]
