"""The draw: one series drawn day by day and calibrated to its season targets, then the whole sample.

:func:`_series` draws an ordinary-day level path with AR(1) noise (:func:`_noise`) and calibrates
each Chunyun window to its targets (:func:`_calibrate`); :func:`generate` draws every series, pins
them (:mod:`forecast.sample.pins`) and returns the long frame.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.errors import Unprocessable
from forecast.registry import MODES, TOTAL_METRIC
from forecast.sample.asof import _default_reference, _Ref
from forecast.sample.assumptions import (
    ANCHOR_SEASON,
    ANNUAL,
    CHUNYUN_RATIO,
    COVID_FADE_DAYS,
    COVID_SEASONS,
    DEFAULT_SEED,
    FIRST_SEASON,
    GENERATED,
    HIGHWAY,
    LAST_SEASON,
    NOISE_PHI,
    NOISE_SIGMA,
    RAMP_DAYS,
    REGIONS,
    TREND,
)
from forecast.sample.pins import _pin_region, _pins
from forecast.sample.realshape import RealCurves, _default_days, _real_curves, _real_shape
from forecast.sample.shapes import _Calendar, _calendar, _covid_factor, _ordinary_factor, _shape, _trend_years
from forecast.sample.targets import _all_targets, _masks


def _noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Multiplicative AR(1) noise (log scale), mean 1: a truncated moving-average form of the AR."""
    z = rng.standard_normal(n + 64) * sigma * np.sqrt(1 - NOISE_PHI ** 2)
    e = np.convolve(z, NOISE_PHI ** np.arange(64))[64:n + 64]
    return np.exp(e - sigma ** 2 / 2)


def _weights(n: int, ramp_in: bool = True, ramp_out: bool = False) -> np.ndarray:
    """Where a calibration factor applies: phased in over the first days, out over the last ones."""
    w = np.ones(n)
    ramp = np.minimum(1.0, (np.arange(n) + 1) / RAMP_DAYS)
    if ramp_in:
        w = np.minimum(w, ramp)
    if ramp_out:
        w = np.minimum(w, ramp[::-1])
    return w


def _series(region: str, metric: str, targets: dict, cal: _Calendar, rng: np.random.Generator,
            curves: RealCurves) -> np.ndarray:
    """Draw one series: an ordinary-day level path, season windows calibrated to their targets."""
    n = len(cal.days)
    ratio = CHUNYUN_RATIO[metric]
    anchor = targets[ANCHOR_SEASON][(region, metric)].value
    amp, peak = ANNUAL[metric]
    s14 = calendar.season(ANCHOR_SEASON)
    doy14 = s14.days.dayofyear.to_numpy()
    annual14 = (1 + amp * np.cos(2 * np.pi * (doy14 - peak) / 365.25)).sum()
    log_level = np.log(anchor / annual14 / ratio) + _trend_years(metric, cal) * np.log(TREND[metric])
    ordinary = _ordinary_factor(metric, cal)
    covid = _covid_factor(metric, region, cal)
    noise = _noise(rng, n, NOISE_SIGMA[region][metric])
    base = covid * noise
    y = np.exp(log_level) * ordinary * base
    for season in range(FIRST_SEASON, LAST_SEASON + 1):
        w = cal.windows[season]
        sl = slice(w.start, w.end + 1)
        annual = 1 + amp * np.cos(2 * np.pi * (cal.doy[sl] - peak) / 365.25)
        shape = _season_shape(metric, region, season, cal, curves, annual * np.exp(log_level[sl]))
        raw = np.exp(log_level[sl]) * ratio * annual * shape * base[sl]
        t = targets[season][(region, metric)]
        if t.value is None:
            y[sl] = raw
            continue
        out = raw.copy()
        k_last = 1.0
        for mask, value in _masks(t, w, cal):
            # the part holding the window's first day phases in; a jump between parts is a real one
            ww = _weights(int(mask.sum()), ramp_in=bool(mask[0]))
            out[mask] = _calibrate(raw[mask], value, ww)
            if mask[-1]:
                k_last = _k(raw[mask], value, ww)
        y[sl] = out
        if season not in COVID_SEASONS:
            log_level[w.end + 1:] += np.log(k_last)  # the season's level carries on
            y[w.end + 1:] = np.exp(log_level[w.end + 1:]) * ordinary[w.end + 1:] * base[w.end + 1:]
        else:  # a COVID season's level fades out over the following weeks instead
            fade = slice(w.end + 1, min(w.end + 1 + COVID_FADE_DAYS, n))
            steps = np.arange(1, fade.stop - fade.start + 1)
            y[fade] *= 1 + (k_last - 1) * (1 - steps / (COVID_FADE_DAYS + 1))
    return y


def _season_shape(metric: str, region: str, season: int, cal: _Calendar, curves: RealCurves,
                  drift: np.ndarray) -> np.ndarray:
    """The hand-set shape, or the real national curve (which already holds the annual cycle and the
    trend over the window, ``drift``: taken out so that they do not count twice)."""
    real = _real_shape(metric, region, season, cal, curves)
    if real is None:
        return _shape(metric, region, season, cal)
    shape = real / (drift / drift.mean())
    return shape / shape.mean()


def _k(raw: np.ndarray, target: float, w: np.ndarray) -> float:
    k = 1 + (target - raw.sum()) / (raw * w).sum()
    if k <= 0.05:
        raise Unprocessable(f"calibration factor {k:.3f} out of range", hint="the shape or the level path is off")
    return float(k)


def _calibrate(raw: np.ndarray, target: float, w: np.ndarray) -> np.ndarray:
    return raw * (1 + (_k(raw, target, w) - 1) * w)



def generate(reference: pd.DataFrame | None = None, seed: int = DEFAULT_SEED,
             days: pd.DataFrame | None = None) -> pd.DataFrame:
    """The sample history ``unique_id, ds, y`` (long form, base units, whole persons/vehicles).

    Deterministic for a seed. ``reference`` defaults to :func:`forecast.reference.load_reference`,
    ``days`` (the real national days that shape seasons 2024 and 2025) to
    :func:`forecast.realdays.load_days`.
    """
    ref = _Ref(_default_reference(reference))
    targets = _all_targets(ref)
    cal = _calendar()
    curves = _real_curves(_default_days(days), cal)
    pins = replace(_pins(ref, cal), real_seasons=frozenset(season for season, _ in curves))
    frames = []
    for ri, region in enumerate(REGIONS):
        raw = {}
        for mi, metric in enumerate(GENERATED):
            rng = np.random.default_rng([int(seed), ri, mi])
            raw[metric] = _series(region, metric, targets, cal, rng, curves)
        series = _pin_region(raw, region, targets, pins, cal)
        values = {m: np.rint(series[m]) for m in GENERATED}
        values[TOTAL_METRIC] = sum(values[m] for m in MODES)
        for metric in (TOTAL_METRIC, *MODES, HIGHWAY):
            if (values[metric] < 0).any() or not np.isfinite(values[metric]).all():
                raise Unprocessable(f"sample {region}/{metric} has a negative or missing value")
            frames.append(pd.DataFrame({"unique_id": f"{region}/{metric}", "ds": cal.days,
                                        "y": values[metric].astype("float64")}))
    out = pd.concat(frames, ignore_index=True)
    out["ds"] = out["ds"].astype("datetime64[ns]")
    return out
