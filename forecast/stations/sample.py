"""SAMPLE toll-station exits that add up to the province's highway exits exactly on every day.

Every value here is synthetic (see ``data/stations/README.md``). For each day the province's
``highway_exit_vehicles`` (whole vehicles, from the sample history) is split among the stations
open that day in proportion to a weight::

    weight = size x growth^years x kind_shape(days from the Spring Festival) x weekday x noise x ramp

- ``size``: log-normal (σ 1.1), scaled by kind: a few large stations and many small ones;
- ``kind_shape``: the station kind's season shape on the lunar calendar (:data:`KIND_SHAPES`),
  with a per-station amplitude; 1 outside the season;
- ``growth``: each station's own trend (its share of the province drifts);
- ``noise``: multiplicative AR(1);
- ``ramp``: a station opened part-way ramps up over about two months after ``opened``.

The split is made in whole vehicles (floor, then the largest remainders), so the stations add up
to the province exactly. Afterwards a few short runs of days are held back from a quarter of the
stations ("missing days"); their values are written beside the series, so that the stations plus
the held-back values still add up to the province on every day.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from forecast import calendar, settings
from forecast.stations import registry as st_registry

log = logging.getLogger(__name__)

DEFAULT_STATIONS = 300
DEFAULT_SEED = 2025
SOURCE = "sample"
PROVINCE_UID = "jiangxi/highway_exit_vehicles"

# (days from the Spring Festival, factor) knots of each kind's relative share shape; linear between
# knots, 1 outside. Day 0 = 初一, -1 = 除夕, +1 = 初二, +5 = 初六.
KIND_SHAPES: dict[str, tuple[tuple[int, float], ...]] = {
    "city": ((-40, 1.0), (-20, 0.95), (-10, 0.72), (-3, 0.5), (0, 0.42), (4, 0.48), (5, 0.8), (7, 1.35),
             (10, 1.32), (16, 1.1), (28, 1.0)),
    "hometown": ((-40, 1.0), (-20, 1.05), (-10, 1.3), (-4, 1.8), (-1, 2.9), (0, 1.6), (1, 3.0), (2, 2.1),
                 (4, 1.5), (6, 0.95), (9, 0.85), (16, 0.95), (28, 1.0)),
    "tourist": ((-40, 1.0), (-10, 0.95), (-2, 0.85), (0, 1.2), (2, 2.6), (3, 3.0), (4, 2.7), (5, 1.8),
                (7, 1.0), (10, 0.9), (20, 1.0)),
    "border": ((-40, 1.0), (-20, 1.1), (-12, 1.5), (-7, 1.7), (-3, 1.3), (0, 0.75), (2, 0.95), (5, 1.5),
               (8, 1.75), (12, 1.45), (20, 1.15), (30, 1.0)),
}
KIND_MIX = {"city": 0.25, "hometown": 0.4, "tourist": 0.12, "border": 0.23}
KIND_SIZE = {"city": 1.8, "hometown": 0.7, "tourist": 0.6, "border": 1.5}
WEEKDAY = {  # Monday..Sunday
    "city": (1.03, 1.02, 1.02, 1.02, 1.04, 0.94, 0.93),
    "hometown": (0.98, 0.97, 0.97, 0.98, 1.02, 1.05, 1.03),
    "tourist": (0.9, 0.88, 0.88, 0.9, 1.0, 1.25, 1.19),
    "border": (1.0, 1.0, 1.0, 1.0, 1.03, 0.99, 0.98),
}
CITIES = ("南昌", "赣州", "九江", "上饶", "吉安", "宜春", "抚州", "萍乡", "景德镇", "新余", "鹰潭")
ROADS = ("G60", "G70", "G35", "G45", "G56", "G72", "G105", "G1517", "S36", "S49")
OPEN_LATE_SHARE = 0.15  # stations opened part-way through the history
GAP_STATION_SHARE = 0.25  # stations with missing days
NOISE_PHI, NOISE_SIGMA = 0.5, 0.06


def sample_dir(out_dir: str | Path | None = None) -> Path:
    return Path(out_dir) if out_dir is not None else Path(settings.load()["data_dir"]) / "sample" / "stations"


def series_path(region: str = "jiangxi", out_dir=None) -> Path:
    return sample_dir(out_dir) / f"{region}.parquet"


def gaps_path(region: str = "jiangxi", out_dir=None) -> Path:
    return sample_dir(out_dir) / f"{region}_gaps.parquet"


def lane_params(path: str | Path | None = None) -> dict[str, float]:
    path = Path(path) if path is not None else st_registry.stations_dir() / "lanes.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {k: float(doc[k]["value"]) for k in ("busy_hour_share", "etc_share", "etc_lane_vph", "manual_lane_vph")}


def lunar_offsets(ds: pd.DatetimeIndex) -> np.ndarray:
    """Days from the nearest Spring Festival (初一 = 0) for each day."""
    years = range(ds.min().year - 1, ds.max().year + 2)
    sf = np.array([np.datetime64(calendar.spring_festival(y), "D") for y in years])
    days = ds.to_numpy().astype("datetime64[D]")
    diff = (days[:, None] - sf[None, :]).astype(np.int64)
    return diff[np.arange(len(days)), np.abs(diff).argmin(axis=1)]


def kind_shape(kind: str, offsets: np.ndarray) -> np.ndarray:
    knots = KIND_SHAPES[kind]
    x = np.array([k for k, _ in knots], dtype=float)
    y = np.array([v for _, v in knots], dtype=float)
    return np.interp(offsets.astype(float), x, y, left=1.0, right=1.0)


def _stations(n: int, rng: np.random.Generator, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    kinds = rng.choice(list(KIND_MIX), size=n, p=list(KIND_MIX.values()))
    width = max(3, len(str(n)))
    late = rng.random(n) < OPEN_LATE_SHARE
    span = (end - pd.Timedelta(days=240) - (start + pd.Timedelta(days=500))).days
    late_open = start + pd.Timedelta(days=500) + pd.to_timedelta(rng.integers(0, span, n), unit="D")
    early_open = pd.Timestamp("1996-01-01") + pd.to_timedelta(rng.integers(0, 6900, n), unit="D")
    opened = np.where(late, late_open, early_open)
    rows = []
    for i in range(n):
        kind = str(kinds[i])
        city = str(rng.choice(CITIES))
        sid = f"sample_{i + 1:0{width}d}"
        rows.append({"station": sid, "name": f"样例{city}{st_registry.KINDS[kind][0]}站{i + 1:0{width}d}",
                     "road": str(rng.choice(ROADS)), "city": city, "kind": kind, "opened": pd.Timestamp(opened[i])})
    frame = pd.DataFrame(rows)
    frame["size"] = rng.lognormal(0.0, 1.1, n) * np.array([KIND_SIZE[k] for k in kinds])
    frame["amplitude"] = rng.uniform(0.7, 1.3, n)
    frame["growth"] = rng.normal(0.0, 0.04, n)
    frame["headroom"] = rng.uniform(1.5, 2.6, n)
    return frame


def generate(province: pd.DataFrame, n: int = DEFAULT_STATIONS, seed: int = DEFAULT_SEED, region: str = "jiangxi",
             lanes: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(registry, series, gaps)`` for ``n`` SAMPLE stations splitting ``province`` (``ds, y``).

    ``series`` and ``gaps`` are long frames ``unique_id, ds, y`` (whole vehicles); on every day,
    series + gaps add up to the province exactly.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    prov = province.sort_values("ds")
    ds = pd.DatetimeIndex(pd.to_datetime(prov["ds"]))
    total = prov["y"].to_numpy(dtype=np.float64)
    if not np.all(total == np.round(total)):
        raise ValueError("province values must be whole numbers")
    total = total.astype(np.int64)
    stations = _stations(n, rng, ds[0], ds[-1])
    offsets = lunar_offsets(ds)
    values = _draw(stations, ds, total, offsets, rng)
    days = ds.to_numpy().astype("datetime64[D]")
    opened = stations["opened"].to_numpy().astype("datetime64[D]")
    uids = np.array([st_registry.station_uid(region, s) for s in stations["station"]])
    open_mask = (days[:, None] >= opened[None, :])
    gap_mask = _gaps(rng, open_mask)
    registry = _size_lanes(stations, values, ds, offsets, lanes or lane_params())
    series = _long(values, open_mask & ~gap_mask, uids, ds)
    gaps = _long(values, gap_mask, uids, ds)
    log.debug("station sample: %d stations (ids %d wide), %d rows, %d held back", n, max(3, len(str(n))), len(series), len(gaps))
    return registry, series, gaps


def _draw(stations: pd.DataFrame, ds: pd.DatetimeIndex, total: np.ndarray, offsets: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """Days x stations whole vehicles adding up to ``total`` on every day: each station's kind shape,
    weekday rhythm, size, growth, AR(1) noise and ramp after opening, split in proportion."""
    n = len(stations)
    weekday = ds.dayofweek.to_numpy()
    years = (ds - ds[0]).days.to_numpy() / 365.25
    shapes = {k: kind_shape(k, offsets) for k in KIND_SHAPES}
    season_jitter = rng.uniform(0.9, 1.1, (ds[-1].year - ds[0].year + 2, n))
    season_idx = np.array([calendar.season_of(d) for d in ds.date]) - ds[0].year
    season_idx = np.clip(season_idx, 0, season_jitter.shape[0] - 1)
    opened = stations["opened"].to_numpy().astype("datetime64[D]")
    days = ds.to_numpy().astype("datetime64[D]")

    values = np.zeros((len(ds), n), dtype=np.int64)
    chunk = max(1, 4_000_000 // max(n, 1))
    noise_state = rng.normal(0.0, NOISE_SIGMA, n)
    for lo in range(0, len(ds), chunk):
        hi = min(len(ds), lo + chunk)
        w = np.empty((hi - lo, n))
        eps = rng.normal(0.0, NOISE_SIGMA * math.sqrt(1 - NOISE_PHI ** 2), (hi - lo, n))
        for t in range(hi - lo):
            noise_state = NOISE_PHI * noise_state + eps[t]
            eps[t] = noise_state
        for j, kind in enumerate(stations["kind"]):
            amp = stations["amplitude"].iat[j] * season_jitter[season_idx[lo:hi], j]
            shape = 1.0 + amp * (shapes[kind][lo:hi] - 1.0)
            w[:, j] = shape * np.asarray(WEEKDAY[kind])[weekday[lo:hi]]
        w *= stations["size"].to_numpy()[None, :] * np.exp(stations["growth"].to_numpy()[None, :] * years[lo:hi, None])
        w *= np.exp(eps)
        since = (days[lo:hi, None] - opened[None, :]).astype(np.int64)
        w *= np.where(since < 0, 0.0, 1.0 - 0.6 * np.exp(-np.maximum(since, 0) / 60.0))
        values[lo:hi] = _split(total[lo:hi], w)
    return values


def _long(values: np.ndarray, mask: np.ndarray, uids: np.ndarray, ds: pd.DatetimeIndex) -> pd.DataFrame:
    """``unique_id, ds, y`` of the station-days in ``mask``, sorted by station and day."""
    t_idx, s_idx = np.nonzero(mask)
    frame = pd.DataFrame({"unique_id": pd.Categorical.from_codes(s_idx, uids), "ds": ds.to_numpy()[t_idx],
                          "y": values[t_idx, s_idx].astype(np.float64)})
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _split(total: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Whole numbers per column, proportional to ``w``, adding up to ``total`` exactly on each row."""
    share = w / w.sum(axis=1, keepdims=True)
    exact = share * total[:, None]
    base = np.floor(exact).astype(np.int64)
    short = total - base.sum(axis=1)
    frac = exact - base
    frac[w <= 0] = -1.0  # a closed station never gets the remainder
    order = np.argsort(-frac, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(w.shape[1])[None, :].repeat(len(w), axis=0), axis=1)
    base += ranks < short[:, None]
    return base


def _gaps(rng: np.random.Generator, open_mask: np.ndarray) -> np.ndarray:
    n_days, n = open_mask.shape
    gaps = np.zeros_like(open_mask)
    for j in np.flatnonzero(rng.random(n) < GAP_STATION_SHARE):
        first = int(np.argmax(open_mask[:, j]))
        for _ in range(int(rng.integers(1, 5))):
            start = int(rng.integers(first + 30, n_days - 5)) if n_days - 5 > first + 30 else None
            if start is None:
                break
            gaps[start:start + int(rng.integers(1, 6)), j] = True
    return gaps & open_mask


def _size_lanes(stations: pd.DataFrame, values: np.ndarray, ds: pd.DatetimeIndex, offsets: np.ndarray,
                lanes: dict) -> pd.DataFrame:
    """Lanes and design capacity from each station's ordinary days of its last year and a headroom."""
    last_year = (ds > ds[-1] - pd.Timedelta(days=365)) & (np.abs(offsets) > 45)
    ordinary = np.median(np.where(values[last_year] > 0, values[last_year], np.nan), axis=0)
    ordinary = np.nan_to_num(ordinary, nan=float(np.nanmedian(ordinary)))
    design = ordinary * stations["headroom"].to_numpy() * lanes["busy_hour_share"]
    etc = np.maximum(1, np.ceil(design * lanes["etc_share"] / lanes["etc_lane_vph"])).astype(int)
    manual = np.maximum(1, np.ceil(design * (1 - lanes["etc_share"]) / lanes["manual_lane_vph"])).astype(int)
    capacity = np.minimum(etc * lanes["etc_lane_vph"] / lanes["etc_share"],
                          manual * lanes["manual_lane_vph"] / (1 - lanes["etc_share"])) / lanes["busy_hour_share"]
    out = stations[["station", "name", "road", "city", "kind"]].copy()
    out["lanes_etc"], out["lanes_manual"] = etc, manual
    out["capacity_per_day"] = np.round(capacity, -2).astype(int)
    out["opened"] = stations["opened"].dt.strftime("%Y-%m-%d")
    return out


def province_history(region: str = "jiangxi") -> pd.DataFrame:
    """The province's sample highway exits (``ds, y``) the stations split."""
    from forecast import sample

    hist = sample.load_sample()
    prov = hist[hist["unique_id"] == f"{region}/highway_exit_vehicles"]
    return prov[["ds", "y"]].reset_index(drop=True)


def write(n: int = DEFAULT_STATIONS, seed: int = DEFAULT_SEED, region: str = "jiangxi", out_dir=None,
          registry_out: str | Path | None = None, province: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the registry (``data/stations/<region>.csv``), the series and the held-back gaps."""
    province = province if province is not None else province_history(region)
    registry, series, gaps = generate(province, n, seed, region)
    folder = sample_dir(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    reg_path = Path(registry_out) if registry_out is not None else st_registry.registry_path(region)
    reg_path.parent.mkdir(parents=True, exist_ok=True)
    registry.to_csv(reg_path, index=False, lineterminator="\n")
    series.to_parquet(series_path(region, out_dir), index=False)
    gaps.to_parquet(gaps_path(region, out_dir), index=False)
    log.info("station sample: %d stations, %d rows (%d held back) into %s", n, len(series), len(gaps), folder)
    return {"registry": reg_path, "series": series_path(region, out_dir), "gaps": gaps_path(region, out_dir)}


def load(region: str = "jiangxi", out_dir=None) -> pd.DataFrame:
    """The station sample ``unique_id, ds, y, source`` (``source`` = ``sample``)."""
    frame = pd.read_parquet(series_path(region, out_dir))
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame["ds"] = frame["ds"].astype("datetime64[ns]")
    frame["source"] = SOURCE
    return frame[["unique_id", "ds", "y", "source"]]
