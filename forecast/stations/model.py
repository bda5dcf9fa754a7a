"""Station forecasters: a station's share of the province on the lunar calendar, and its peers.

:class:`LunarShare` (``lunar_share``, the chosen station model; see BENCHMARKS.md "Stations") forecasts
a station's exits as its share of the province's exits times the province forecast::

    yhat(d) = base x adjust x profile(days from the Spring Festival of d) x province_yhat(d)

- ``base``: the station's mean share of the province over the ``base_days`` before the cutoff;
- ``profile(o)``: in each past season, the station's share on lunar day ``o`` over its share in the
  ``base_days`` before that season's Chunyun window; averaged over the last ``max_seasons`` seasons,
  weighted ``decay ** age``;
- ``adjust``: when the cutoff lies well before the window (a forward forecast), how a share
  ``lag`` days before the window compared with the share just before it, in the past seasons.

Uncertainty, on the log scale: ``sigma_`` from leave-one-season-out errors of the share (inflated
by ``inflate``), ``level_sigma_`` from the spread of ``adjust`` across seasons, and the province's
own interval (``province_sd``: log(upper_80 / yhat) / z_80) added in quadrature; the interval is
``yhat x exp(+-z x sd)``.

:class:`LunarShare` with ``profile=False`` is the ``flat_share`` peer (a plain top-down share). The
statsforecast AutoETS peer (station series alone) is :func:`autoets_forecast`.

The contract follows ``forecast/models/base.py``: ``__init__`` stores parameters, ``fit(history)
-> self`` (``ds, y, y_total``: the station and the province on the same days), ``predict(dates,
province_yhat, province_sd, level)`` -> ``ds, yhat, yhat_lower, yhat_upper``; fitted attributes
end in ``_``; saved as versioned JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from forecast import calendar
from forecast.models.base import LEVEL_Z

JSON_VERSION = 1
PROFILE_OFFSETS = (-50, 50)  # lunar days the profile covers (the Chunyun window is about -16..+25)
_EPOCH = np.datetime64("1970-01-01", "D")


def day_numbers(ds) -> np.ndarray:
    return (pd.DatetimeIndex(ds).to_numpy().astype("datetime64[D]") - _EPOCH).astype(np.int64)


@lru_cache(maxsize=256)
def _season_days(year: int) -> tuple[int, int, int]:
    """(Spring Festival, Chunyun start, Chunyun end) of a season as day numbers."""
    s = calendar.season(year)
    return tuple(int((np.datetime64(d, "D") - _EPOCH).astype(np.int64))
                 for d in (s.spring_festival, s.chunyun_start, s.chunyun_end))


def offsets_of(days: np.ndarray) -> np.ndarray:
    """Days from the nearest Spring Festival for day numbers ``days``."""
    years = range(1970 + int(days.min()) // 365 - 1, 1970 + int(days.max()) // 365 + 2)
    sf = np.array([_season_days(y)[0] for y in years if calendar.FIRST_SEASON <= y <= calendar.LAST_SEASON])
    diff = days[:, None] - sf[None, :]
    return diff[np.arange(len(days)), np.abs(diff).argmin(axis=1)]


@dataclass(frozen=True)
class _Shares:
    """A station's daily share of the province up to the cutoff, on a dense day axis from ``first``."""

    dense: np.ndarray
    first: int
    cut: int

    @classmethod
    def of(cls, history: pd.DataFrame, cutoff) -> _Shares:
        days = day_numbers(history["ds"])
        y = history["y"].to_numpy(dtype=float)
        tot = history["y_total"].to_numpy(dtype=float)
        cut = int(day_numbers([pd.Timestamp(cutoff)])[0]) if cutoff is not None else int(days.max())
        keep = (days <= cut) & np.isfinite(y) & np.isfinite(tot) & (tot > 0)
        days, share = days[keep], y[keep] / tot[keep]
        if len(days) == 0:
            raise ValueError("no history before the cutoff")
        first = int(days.min())
        dense = np.full(cut - first + 1, np.nan)
        dense[days - first] = share
        return cls(dense, first, cut)

    def mean(self, a: int, b: int) -> float:
        """The mean share over days ``a..b`` (day numbers, inclusive), NaN when under a third is known."""
        a, b = max(a, self.first), min(b, self.cut)
        if b < a:
            return np.nan
        seg = self.dense[a - self.first:b - self.first + 1]
        ok = np.isfinite(seg)
        return float(seg[ok].mean()) if ok.sum() >= max(7, (b - a + 1) // 3) else np.nan


@dataclass
class _Past:
    """Per past season, newest first: the profile (share over the pre-window share), that base, the
    share ``lag`` days earlier, and the season's age."""

    profiles: list
    bases: list
    lagged: list
    ages: list


def _last_known(dense: np.ndarray) -> int:
    """Index of the last known share."""
    return int(np.flatnonzero(np.isfinite(dense))[-1])


def _loo_errors(p: np.ndarray, w: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Leave-one-season-out errors of the log share (the newest five seasons left out in turn)."""
    errs = []
    for i in range(min(len(p), 5)):
        others = [j for j in range(len(p)) if j != i]
        if not others:
            break
        q, wq = p[others], w[others]
        okq = np.isfinite(q)
        ws = (okq * wq[:, None]).sum(axis=0)
        loo = np.nansum(np.where(okq, q, 0.0) * wq[:, None], axis=0) / np.where(ws > 0, ws, 1)
        good = ok[i] & (ws > 0) & (p[i] > 0) & (loo > 0)
        errs.append(np.log(p[i][good]) - np.log(loo[good]))
    return np.concatenate(errs) if errs else np.array([])


class LunarShare:
    name = "lunar_share"
    params = ("base_days", "max_seasons", "decay", "inflate", "profile")

    def __init__(self, base_days: int = 56, max_seasons: int = 6, decay: float = 0.7, inflate: float = 1.3,
                 profile: bool = True):
        self.base_days = base_days
        self.max_seasons = max_seasons
        self.decay = decay
        self.inflate = inflate
        self.profile = profile

    @property
    def label(self) -> str:
        return self.name if self.profile else "flat_share"

    # -- fitting -----------------------------------------------------------------------------------
    def fit(self, history: pd.DataFrame, cutoff=None, target_start=None) -> LunarShare:
        """``history``: ``ds, y, y_total`` (y may be missing on some days); ``target_start``: the
        first day to be forecast (default: the day after the cutoff), which sets the lag of ``adjust``."""
        shares = _Shares.of(history, cutoff)
        if not np.isfinite(shares.dense[-self.base_days:]).any():
            # the data ends before the base window: a run's cutoff can lie months past a province's
            # data (the real national days run on after the sample), so the base is the last days known
            shares = _Shares.of(history, pd.Timestamp((shares.first + _last_known(shares.dense)) * 86400, unit="s"))
        self.cutoff_, self.first_ = shares.cut, shares.first
        start = int(day_numbers([pd.Timestamp(target_start)])[0]) if target_start is not None else shares.cut + 1
        self.base_ = shares.mean(shares.cut - self.base_days + 1, shares.cut)
        if not np.isfinite(self.base_):  # a station opened shortly before the cutoff
            tail = shares.dense[-self.base_days:]
            self.base_ = float(np.nanmean(tail)) if np.isfinite(tail).any() else 0.0
        lag = max(0, _season_days(calendar.season_of(pd.Timestamp(start * 86400, unit="s")))[1] - shares.cut - 1)
        past = self._past_seasons(shares, lag)
        self.seasons_ = len(past.profiles)
        self.profile_, self.sigma_ = self._profile_and_sigma(past)
        self.adjust_, self.level_sigma_ = self._adjust(past, lag)
        return self

    def _past_seasons(self, shares: _Shares, lag: int) -> _Past:
        """The past seasons whose window and profile span lie inside the history, newest first."""
        lo, hi = PROFILE_OFFSETS
        past = _Past([], [], [], [])
        year = calendar.season_of(pd.Timestamp(int(shares.cut) * 86400, unit="s"))
        age = 0
        for y_ in range(year, calendar.FIRST_SEASON - 1, -1):
            sf, c_start, _c_end = _season_days(y_)
            if sf + hi > shares.cut or len(past.profiles) >= self.max_seasons:
                if sf + hi > shares.cut:
                    continue
                break
            if sf + lo < shares.first:
                break
            base = shares.mean(c_start - self.base_days, c_start - 1)
            if not np.isfinite(base) or base <= 0:
                continue
            past.profiles.append(shares.dense[sf + lo - shares.first:sf + hi - shares.first + 1] / base)
            past.bases.append(base)
            past.lagged.append(shares.mean(c_start - lag - self.base_days, c_start - lag - 1) if lag > 0 else base)
            past.ages.append(age)
            age += 1
        return past

    def _profile_and_sigma(self, past: _Past) -> tuple[np.ndarray, float]:
        """The weighted mean profile and the log-share sigma (leave-one-season-out; flat: the spread)."""
        lo, hi = PROFILE_OFFSETS
        if past.profiles and self.profile:
            p = np.vstack(past.profiles)
            w = self.decay ** np.asarray(past.ages, dtype=float)
            ok = np.isfinite(p)
            wsum = (ok * w[:, None]).sum(axis=0)
            prof = np.where(wsum > 0, np.nansum(np.where(ok, p, 0.0) * w[:, None], axis=0) / np.where(wsum > 0, wsum, 1), 1.0)
            e = _loo_errors(p, w, ok)
            return prof, float(np.sqrt(np.mean(e ** 2)) * self.inflate) if len(e) >= 20 else 0.25
        if past.profiles:
            p = np.vstack(past.profiles)
            good = np.isfinite(p) & (p > 0)
            return np.ones(hi - lo + 1), float(np.sqrt(np.mean(np.log(p[good]) ** 2)) * self.inflate) if good.sum() >= 20 else 0.25
        return np.ones(hi - lo + 1), 0.25

    def _adjust(self, past: _Past, lag: int) -> tuple[float, float]:
        """``adjust_`` and ``level_sigma_``: the share ``lag`` days before the window against the share
        just before it, over the past seasons (1 and no spread when the cutoff is the window's eve)."""
        ratios = np.array([b / lg for b, lg in zip(past.bases, past.lagged, strict=True) if np.isfinite(lg) and lg > 0])
        if lag > 0 and len(ratios) >= 2:
            w = self.decay ** np.arange(len(ratios), dtype=float)
            return (float(np.exp(np.sum(w * np.log(ratios)) / w.sum())),
                    float(np.std(np.log(ratios), ddof=1)) if len(ratios) > 2 else 0.1)
        return 1.0, 0.0 if lag == 0 else 0.1

    # -- forecasting -------------------------------------------------------------------------------
    def share(self, days: np.ndarray) -> np.ndarray:
        lo, hi = PROFILE_OFFSETS
        off = np.clip(offsets_of(days), lo, hi) - lo
        return self.base_ * self.adjust_ * self.profile_[off]

    def log_sd(self, province_sd) -> np.ndarray:
        return np.sqrt(self.sigma_ ** 2 + self.level_sigma_ ** 2 + np.asarray(province_sd, dtype=float) ** 2)

    def predict(self, dates, province_yhat, province_sd=0.0, level: int = 80) -> pd.DataFrame:
        days = day_numbers(dates)
        yhat = self.share(days) * np.asarray(province_yhat, dtype=float)
        sd = self.log_sd(np.broadcast_to(province_sd, yhat.shape))
        z = LEVEL_Z[level]
        return pd.DataFrame({"ds": pd.DatetimeIndex(dates), "yhat": yhat, "yhat_lower": yhat * np.exp(-z * sd),
                             "yhat_upper": yhat * np.exp(z * sd)})

    # -- JSON ----------------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({"model": self.label, "version": JSON_VERSION,
                           "params": {p: getattr(self, p) for p in self.params},
                           "fitted": {"cutoff_": int(self.cutoff_), "first_": int(self.first_), "base_": self.base_,
                                      "adjust_": self.adjust_, "sigma_": self.sigma_, "level_sigma_": self.level_sigma_,
                                      "seasons_": self.seasons_, "profile_": [float(v) for v in self.profile_]}})

    @classmethod
    def from_json(cls, text: str) -> LunarShare:
        doc = json.loads(text)
        if doc.get("version") != JSON_VERSION:
            raise ValueError(f"station model JSON version {doc.get('version')}, expected {JSON_VERSION}")
        model = cls(**doc["params"])
        for k, v in doc["fitted"].items():
            setattr(model, k, np.asarray(v) if k == "profile_" else v)
        return model


MODELS = {"lunar_share": lambda: LunarShare(), "flat_share": lambda: LunarShare(profile=False)}
CHOSEN = "lunar_share"  # by the station backtest, see BENCHMARKS.md "Stations"


def autoets_forecast(frames: pd.DataFrame, cutoff, dates, n_jobs: int = 2, history_days: int = 730) -> pd.DataFrame:
    """statsforecast's AutoETS (weekly season) on each station alone: ``unique_id, ds, yhat,
    yhat_lower_80, yhat_upper_80, yhat_lower_95, yhat_upper_95`` on ``dates``.

    Each series is the station's last ``history_days`` up to ``cutoff``, gaps filled linearly
    (AutoETS needs a regular series).
    """
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    cut = pd.Timestamp(cutoff)
    dates = pd.DatetimeIndex(dates)
    df = frames[(frames["ds"] <= cut) & (frames["ds"] > cut - pd.Timedelta(days=history_days))]
    df = df[["unique_id", "ds", "y"]].copy()
    df["unique_id"] = df["unique_id"].astype(str)
    full = []
    for uid, g in df.groupby("unique_id", sort=True):
        idx = pd.date_range(g["ds"].min(), cut)
        if len(idx) < 28:
            continue
        y = g.set_index("ds")["y"].reindex(idx).interpolate(limit_direction="both").to_numpy()
        full.append(pd.DataFrame({"unique_id": uid, "ds": idx, "y": y}))
    data = pd.concat(full, ignore_index=True)
    h = int((dates.max() - cut).days)
    sf = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=n_jobs)
    out = sf.forecast(df=data, h=h, level=[80, 95])
    out = out[out["ds"].isin(dates)]
    return pd.DataFrame({"unique_id": out["unique_id"].to_numpy(), "ds": out["ds"].to_numpy(),
                         "yhat": np.maximum(out["AutoETS"].to_numpy(), 0.0),
                         "yhat_lower_80": np.maximum(out["AutoETS-lo-80"].to_numpy(), 0.0),
                         "yhat_upper_80": out["AutoETS-hi-80"].to_numpy(),
                         "yhat_lower_95": np.maximum(out["AutoETS-lo-95"].to_numpy(), 0.0),
                         "yhat_upper_95": out["AutoETS-hi-95"].to_numpy()})
