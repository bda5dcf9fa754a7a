"""Daily pins and the shape guards: published days set, the change smoothed, the totals re-imposed.

:func:`_pins` collects the published national and Jiangxi days; :func:`_pin_region` pins every
season of a region, adding the guard pins (除夕 a trough, the expressway peak on the last holiday
days) until they settle, then keeps 除夕 among the lowest days (:func:`_compress_trough`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from forecast.registry import MODES, TOTAL_METRIC
from forecast.sample.asof import _cutoff, _Ref
from forecast.sample.assumptions import (
    COVID_SEASONS,
    FIRST_SEASON,
    GENERATED,
    HIGHWAY,
    LAST_SEASON,
    MAX_TROUGH_PIN_MOVE,
    PIN_BRIDGE,
    PIN_REACH,
    REGIONS,
    SELFDRIVE,
    TROUGH_MARGIN,
    TROUGH_RANK,
)
from forecast.sample.shapes import _Calendar, _Window
from forecast.sample.targets import Target, _masks

log = logging.getLogger("forecast.sample")  # the logger the sample has always logged to

# reference metric -> generated metric, where the names differ
PIN_METRIC = {("national", "highway_traffic_vehicles"): HIGHWAY}


@dataclass
class _Pins:
    values: dict  # (region, metric) -> {day index: value}
    peaks: dict  # (region, metric, season) -> day index of a published peak date
    # seasons shaped by the real national days (forecast.sample.realshape): their 除夕 is where the
    # real curve puts it, so the trough rule (a stylised fact of the hand-set shapes) does not apply
    real_seasons: frozenset = frozenset()


def _pins(ref: _Ref, cal: _Calendar) -> _Pins:
    """Published national and Jiangxi days: actual daily figures, and published peaks."""
    values: dict = {}
    peaks: dict = {}
    rows = [r for r in ref.rows if r.region in REGIONS and r.ds is not None and cal.days[0] <= r.ds <= cal.days[-1]
            and r.measure in ("daily", "peak") and r.status == "ok" and r.season in cal.windows]
    for row in sorted(rows, key=lambda r: (r.published, r.ds)):
        metric = PIN_METRIC.get((row.region, row.metric), row.metric)
        if metric not in (*GENERATED, TOTAL_METRIC) or row.published >= _cutoff(row.season):
            continue
        i = cal.days.get_loc(row.ds)
        w = cal.windows[row.season]
        if not w.start <= i <= w.end:
            continue
        key = (row.region, metric)
        if row.measure == "daily" and row.kind == "actual":
            values.setdefault(key, {})[i] = row.value
        elif row.measure == "peak":
            peaks[(row.region, metric, row.season)] = i
            if not np.isnan(row.value):
                values.setdefault(key, {}).setdefault(i, row.value)
    return _Pins(values, peaks)



def _adjustment(n: int, local: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Log adjustment over a window: ``r`` at the pinned days, linear between pins at most
    ``PIN_BRIDGE`` days apart, fading linearly to 0 over ``PIN_REACH`` days elsewhere. Never
    overshoots a pin, and a far-off pin (除夕 and 初四) does not drag the days between them."""
    days = np.arange(n)
    out = np.zeros(n)
    for j, (i, v) in enumerate(zip(local, r, strict=True)):
        left = local[j - 1] if j > 0 else None
        right = local[j + 1] if j + 1 < len(local) else None
        lo = left if left is not None and i - left <= PIN_BRIDGE else i - PIN_REACH
        hi = right if right is not None and right - i <= PIN_BRIDGE else i + PIN_REACH
        span = (days > lo) & (days < hi)
        tent = np.where(days <= i, (days - lo) / (i - lo), (hi - days) / (hi - i))
        out[span] += v * tent[span]
    out[local] = r
    return out


def _pin_window(y: np.ndarray, pins: dict[int, float], t: Target, w: _Window, cal: _Calendar) -> np.ndarray:
    """Set the pinned days, smooth the change into neighbours, re-impose the season total(s)."""
    seg = y[w.start:w.end + 1].copy()
    idx = np.array(sorted(i for i in pins if w.start <= i <= w.end), dtype=int)
    if idx.size == 0:
        return y
    local = idx - w.start
    r = np.log(np.array([pins[i] for i in idx]) / seg[local])
    seg *= np.exp(_adjustment(len(seg), local, r))
    pinned = np.zeros(len(seg), bool)
    pinned[local] = True
    seg[local] = [pins[i] for i in idx]
    for mask, value in _masks(t, w, cal):
        free = mask & ~pinned
        rest = value - seg[mask & pinned].sum()
        if free.any() and rest > 0:
            seg[free] *= rest / seg[free].sum()
    out = y.copy()
    out[w.start:w.end + 1] = seg
    return out


def _apply_pins(pre: dict[str, np.ndarray], region: str, season: int, pins: dict, targets: dict,
                cal: _Calendar) -> dict[str, np.ndarray]:
    """Pins of one season: cross-regional pins become mode pins, then every series is pinned."""
    w = cal.windows[season]
    mode_pins = {m: {i: v for i, v in pins.get((region, m), {}).items() if w.start <= i <= w.end} for m in GENERATED}
    for i, total in pins.get((region, TOTAL_METRIC), {}).items():
        if not w.start <= i <= w.end:
            continue
        fixed = {m: mode_pins[m][i] for m in MODES if i in mode_pins[m]}
        free = [m for m in MODES if m not in fixed]
        if free:
            rest = total - sum(fixed.values())
            current = sum(pre[m][i] for m in free)
            for m in free:
                mode_pins[m][i] = pre[m][i] * rest / current
        elif abs(sum(fixed.values()) / total - 1) > 1e-4:
            scale = total / sum(fixed.values())  # the published parts and total disagree: keep the total
            for m in MODES:
                mode_pins[m][i] *= scale
    out = {}
    for m in GENERATED:
        out[m] = _pin_window(pre[m], mode_pins[m], targets[season][(region, m)], w, cal)
    return out


def _guards(series: dict[str, np.ndarray], region: str, season: int, pins: _Pins, cal: _Calendar) -> dict:
    """Extra pins: 除夕 moved down (a published one at most ``MAX_TROUGH_PIN_MOVE``) when more than
    two other days lie below it, and the highway peak put on the last or second-to-last holiday
    day (or on a published peak date). Empty when nothing needs to move."""
    extra: dict = {}
    w = cal.windows[season]
    if season in COVID_SEASONS:
        return extra
    published = pins.values
    cross = sum(series[m][w.start:w.end + 1] for m in MODES)
    eve = w.eve - w.start
    others = np.delete(np.arange(len(cross)), eve)
    if season not in pins.real_seasons and (cross[others] < cross[eve]).sum() >= TROUGH_RANK:
        target = 0.985 * np.sort(cross[others])[TROUGH_RANK - 1]
        given = published.get((region, TOTAL_METRIC), {}).get(w.eve)
        if given is not None:
            target = max(target, given * (1 - MAX_TROUGH_PIN_MOVE))
        if target < cross[eve] * 0.999:
            extra[(region, TOTAL_METRIC, w.eve)] = target
    hw = series[HIGHWAY][w.start:w.end + 1]
    # a region without its own published peak date takes the nation's (Jiangxi's own, where published,
    # is no earlier: 2025-02-04 against the national 2025-02-03); only Jiangxi 2024 takes it
    peak = pins.peaks.get((region, HIGHWAY, season), pins.peaks.get(("national", HIGHWAY, season)))
    if peak is None:
        last, second = w.holiday_end, w.holiday_end - 1
        peak = last if series[HIGHWAY][last] >= series[HIGHWAY][second] else second
    p = peak - w.start
    rest = np.delete(np.arange(len(hw)), p)
    if hw[rest].max() >= hw[p]:
        given = published.get((region, HIGHWAY), {}).get(peak)
        top = given if given is not None else 1.01 * hw[rest].max()
        extra[(region, HIGHWAY, peak)] = top
        for j in rest[hw[rest] >= 0.985 * top]:
            extra[(region, HIGHWAY, w.start + j)] = 0.985 * top
    return extra


def _compress_trough(series: dict[str, np.ndarray], region: str, season: int, pinned_days: set,
                     targets: dict, cal: _Calendar) -> dict[str, np.ndarray]:
    """Keep 除夕 among the ``TROUGH_RANK`` lowest cross-regional days when more ordinary days lie
    below it: lift the unpinned ordinary days so their mean clears 除夕 by ``TROUGH_MARGIN``
    (taking the mass from the unpinned holiday days above it), then shrink their spread around
    that mean until the lowest clears 除夕 by 1%. Totals are kept; self-driving carries the change."""
    w = cal.windows[season]
    if season in COVID_SEASONS:
        return series
    sl = slice(w.start, w.end + 1)
    cross = sum(series[m][sl] for m in MODES)
    eve = w.eve - w.start
    others = np.delete(np.arange(len(cross)), eve)
    if (cross[others] < cross[eve]).sum() < TROUGH_RANK:
        return series
    holiday = cal.feat["is_holiday"][sl]
    offset = cal.feat["offset"][sl]
    unpinned = np.array([w.start + j not in pinned_days for j in range(len(cross))])
    ordinary = np.flatnonzero(unpinned & ~holiday & (np.arange(len(cross)) != eve))
    floor = 1.01 * cross[eve]
    new = cross.copy()
    mean = new[ordinary].mean()
    want = floor * (1 + TROUGH_MARGIN)
    if mean < want:
        calibrated_holiday = any(part == "holiday" for part, _ in targets[season][(region, SELFDRIVE)].pieces)
        donors = np.flatnonzero(unpinned & holiday & (offset >= 1) & (new > want) & ~calibrated_holiday)
        need = (want - mean) * len(ordinary)
        excess = new[donors] - want
        if donors.size == 0 or excess.sum() < 2 * need:
            log.warning("sample: %s %s: 除夕 cannot be kept a trough", region, season)
            return series
        new[ordinary] += want - mean
        new[donors] -= need * excess / excess.sum()
        mean = want
    low = new[ordinary].min()
    if low < floor:
        new[ordinary] = mean + (new[ordinary] - mean) * (mean - floor) / (mean - low)
    out = dict(series)
    out[SELFDRIVE] = series[SELFDRIVE].copy()
    out[SELFDRIVE][sl] += new - cross
    return out


def _pin_region(raw: dict[str, np.ndarray], region: str, targets: dict, pins: _Pins, cal: _Calendar) -> dict:
    series = dict(raw)
    for season in range(FIRST_SEASON, LAST_SEASON + 1):
        extra: dict = {}
        for _ in range(6):
            merged = {key: dict(v) for key, v in pins.values.items() if key[0] == region}
            for (r, m, i), v in extra.items():
                merged.setdefault((r, m), {})[i] = v
            pinned = _apply_pins(series, region, season, merged, targets, cal)
            more = _guards(pinned, region, season, pins, cal)
            if not more:
                break
            extra.update(more)
        else:
            log.warning("sample: the shape guards did not settle for %s %s", region, season)
        if extra:
            log.debug("sample: %s %s: %d guard pins %s", region, season, len(extra),
                      sorted((m, str(cal.days[i].date())) for _, m, i in extra))
        pinned_days = {i for (r, m), days in merged.items() if m in (TOTAL_METRIC, *MODES) for i in days}
        if season not in pins.real_seasons:
            series = _compress_trough(pinned, region, season, pinned_days, targets, cal)
        else:
            series = pinned
    return series
