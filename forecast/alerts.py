"""Peak alerts: thresholds from ``data/alerts.yaml`` applied to daily forecasts.

:func:`compute_alerts` is the one implementation; the API (``GET /v1/alerts``) and the CLI
(``chunyun alerts``) both call it, through :func:`run_alerts` for the current run.

Rules (see the comments in ``data/alerts.yaml``):

- ``level``: the forecast reaches an absolute threshold; one alert at the highest level reached
  (blue 蓝色 < yellow 黄色 < orange 橙色 < red 红色);
- ``p90``: the day is above the season's 90th percentile of daily forecasts;
- ``top3``: the day is one of the season's n (3) highest forecast days;
- ``jump``: the day is more than X % above the previous day's forecast.

Relative rules look at each season's Chunyun window (``forecast.calendar.season``). Every alert
carries the threshold it crossed and the probability of crossing it, from a lognormal fitted to
the forecast's median and its 80 % and 95 % bounds (:func:`exceedance_probability`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from forecast import registry, settings
from forecast.alert_rules import (  # noqa: F401 (LEVEL_ALIASES: re-exported, as before)
    LEVEL_ALIASES,
    LEVEL_ZH,
    LEVELS,
    RULES,
    SeriesRules,
    Thresholds,
    level_rank,
    parse_level,
)
from forecast.briefing import en_amount, zh_amount
from forecast.errors import ChunyunError, InvalidInput, Unprocessable
from forecast.limits import MAX_REQUEST_DAYS
from forecast.models.base import LEVEL_Z

COLUMNS = ["date", "unique_id", "region", "metric", "rule", "level", "yhat", "yhat_lower", "yhat_upper",
           "threshold", "probability", "message_zh", "message_en"]
MAX_DAYS = MAX_REQUEST_DAYS
DEFAULT_DAYS = 40  # the window length when a first day is given without a number of days

Z80, Z95 = LEVEL_Z[80], LEVEL_Z[95]  # the 80 % and 95 % intervals' upper bounds (standard normal)


def at_least(frame: pd.DataFrame, level: str | None) -> pd.DataFrame:
    """The alerts in ``frame`` at ``level`` or above (all of them for None)."""
    if level is None or frame.empty:
        return frame
    return frame[frame["level"].map(level_rank) >= level_rank(level)].reset_index(drop=True)


def check_days(days) -> int:
    """``days`` when it is a whole number from 1 to :data:`MAX_DAYS`; Unprocessable otherwise."""
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or not 1 <= days <= MAX_DAYS:
        raise Unprocessable(f"days {days!r} is out of range", hint=f"ask for 1 to {MAX_DAYS} days")
    return days


# ---------------------------------------------------------------------------------------------
# thresholds: the file (what its rules mean is forecast.alert_rules)

def default_path() -> Path:
    return Path(settings.load()["data_dir"]) / "alerts.yaml"


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """The thresholds in ``path`` (default ``<data_dir>/alerts.yaml``), re-read when the file changes."""
    path = Path(path or default_path())
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise Unprocessable(f"no alert thresholds at {path}", hint="restore data/alerts.yaml or set CHUNYUN_DATA_DIR") from None
    return _load_cached(str(path), mtime)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: int) -> Thresholds:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise Unprocessable(f"alert thresholds {path} are not valid YAML: {err}", hint="fix the file") from None
    return replace(Thresholds.from_dict(doc or {}, path), version=(path, mtime))


# ---------------------------------------------------------------------------------------------
# probabilities

def _erfc(x: np.ndarray) -> np.ndarray:
    return np.frompyfunc(math.erfc, 1, 1)(x).astype(float)


def lognormal_fit(yhat, lower80=None, upper80=None, lower95=None, upper95=None) -> tuple[np.ndarray, np.ndarray]:
    """``(mu, sigma)`` of log Y per row: least squares of log(quantile) on the normal score.

    The median (``yhat``) and whichever of the 80 %/95 % bounds are given and positive enter the
    fit; with the median alone ``sigma`` is 0 (a point forecast).
    """
    y = np.asarray(yhat, dtype=float)
    cols = [lower95, lower80, y, upper80, upper95]
    values = np.column_stack([np.full(y.shape, np.nan) if c is None else np.asarray(c, dtype=float) for c in cols])
    z = np.array([-Z95, -Z80, 0.0, Z80, Z95])
    ok = np.isfinite(values) & (values > 0)
    logs = np.log(np.where(ok, values, 1.0))
    n = ok.sum(axis=1)
    safe_n = np.maximum(n, 1)
    zbar = (z * ok).sum(axis=1) / safe_n
    lbar = (logs * ok).sum(axis=1) / safe_n
    dz = (z - zbar[:, None]) * ok
    szz = (dz**2).sum(axis=1)
    szl = (dz * (logs - lbar[:, None])).sum(axis=1)
    sigma = np.where(szz > 0, szl / np.where(szz > 0, szz, 1.0), 0.0)
    sigma = np.clip(sigma, 0.0, None)
    mu = np.where(n > 0, lbar - sigma * zbar, -np.inf)
    return mu, sigma


def exceedance_probability(yhat, lower80=None, upper80=None, lower95=None, upper95=None, threshold=None) -> np.ndarray:
    """P(actual > threshold) per row under the fitted lognormal; in [0, 1], falling as the threshold rises."""
    mu, sigma = lognormal_fit(yhat, lower80, upper80, lower95, upper95)
    t = np.broadcast_to(np.asarray(threshold, dtype=float), mu.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_t = np.where(t > 0, np.log(np.where(t > 0, t, 1.0)), -np.inf)
        zscore = (log_t - mu) / (sigma * math.sqrt(2.0))
        point = np.where(log_t < mu, 1.0, np.where(log_t > mu, 0.0, 0.5))
    p = np.where(sigma > 0, 0.5 * _erfc(np.where(sigma > 0, zscore, 0.0)), point)
    return np.clip(p, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# alerts

def _normalise(forecasts: pd.DataFrame) -> pd.DataFrame:
    """``unique_id, ds, yhat, lo80, hi80, lo95, hi95`` from a run frame or a one-level frame."""
    fc = forecasts
    missing = {"unique_id", "ds", "yhat"} - set(fc.columns)
    if missing:
        raise Unprocessable(f"forecast frame lacks {sorted(missing)}", hint="pass a run's forecasts or forecast.engine output")

    def col(*names):
        for name in names:
            if name in fc.columns:
                return fc[name].to_numpy(dtype=float)
        return np.full(len(fc), np.nan)

    return pd.DataFrame({
        "unique_id": fc["unique_id"].astype(str).to_numpy(),
        "ds": pd.to_datetime(fc["ds"]).dt.normalize().to_numpy(),
        "yhat": fc["yhat"].to_numpy(dtype=float),
        "lo80": col("yhat_lower_80", "yhat_lower"),
        "hi80": col("yhat_upper_80", "yhat_upper"),
        "lo95": col("yhat_lower_95"),
        "hi95": col("yhat_upper_95"),
    })


def _season_windows(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[int, pd.Timestamp, pd.Timestamp]]:
    from forecast import calendar

    out = []
    for year in range(start.year - 1, end.year + 2):
        if not calendar.FIRST_SEASON <= year <= calendar.LAST_SEASON:
            continue
        s = calendar.season(year)
        cs, ce = pd.Timestamp(s.chunyun_start), pd.Timestamp(s.chunyun_end)
        if cs <= end and ce >= start:
            out.append((year, cs, ce))
    return out


def context_window(start, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days :func:`compute_alerts` reads for ``start .. start + days - 1``: the window itself,
    the day before it (for jumps) and the Chunyun windows it overlaps (for the relative rules)."""
    start = pd.Timestamp(start).normalize()
    end = start + pd.Timedelta(days=int(days) - 1)
    seasons = _season_windows(start, end)
    lo = min([start] + [cs for _, cs, _ in seasons]) - pd.Timedelta(days=1)
    hi = max([end] + [ce for _, _, ce in seasons])
    return lo, hi


def _fmt_date_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _messages(row: dict, extra: dict, names: dict) -> tuple[str, str]:
    region, metric = row["region"], row["metric"]
    region_zh, region_en = names.get(region, (region, region))
    m = registry.METRICS[metric]
    unit = m.unit
    d = row["date"]
    p = round(100 * row["probability"])
    zh_head = (f"{_fmt_date_zh(d)}{region_zh}{m.zh}预计{zh_amount(row['yhat'], unit)}"
               f"（80%区间{zh_amount(row['yhat_lower'], unit)}至{zh_amount(row['yhat_upper'], unit)}）")
    en_head = (f"{d.isoformat()} {region_en} {m.en}: forecast {en_amount(row['yhat'], unit)}"
               f" (80% interval {en_amount(row['yhat_lower'], unit, '')} – {en_amount(row['yhat_upper'], unit, '')})")
    t_zh, t_en = zh_amount(row["threshold"], unit), en_amount(row["threshold"], unit)
    level_zh, level_en = LEVEL_ZH[row["level"]], row["level"]
    rule = row["rule"]
    if rule == "level":
        zh = f"，达到{level_zh}预警线{t_zh}"
        en = f", at or above the {level_en} threshold of {t_en}"
    elif rule == "p90":
        zh = f"，高于本季春运日预测值第{round(100 * extra['quantile'])}百分位（{t_zh}），发布{level_zh}提示"
        en = f", above the season's {round(100 * extra['quantile'])}th percentile of daily forecasts ({t_en}); {level_en} notice"
    elif rule == "top3":
        n = extra["n"]
        zh = f"，为本季春运预测流量最高的{n}天之一（高于第{n + 1}高日的{t_zh}），发布{level_zh}提示"
        en = f", one of the season's {n} busiest forecast days (above day {n + 1}'s {t_en}); {level_en} notice"
    else:
        zh = f"，较前一日预计增长{extra['rise']:.0f}%，超过{extra['pct']:g}%的跳增阈值（{t_zh}），发布{level_zh}提示"
        en = f", up {extra['rise']:.0f}% on the previous day, more than the {extra['pct']:g}% jump rule ({t_en}); {level_en} notice"
    return (f"{zh_head}{zh}；超过该值的概率约{p}%。",
            f"{en_head}{en}; probability of exceeding it about {p}%.")


@dataclass
class _Series:
    """One series' forecast rows around the asked days, sorted by day (see :func:`_normalise`)."""

    uid: str
    region: str
    metric: str
    ds: np.ndarray
    yhat: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray


@dataclass
class _Hit:
    """What one rule flags in one series: the days (``mask``), its level, the threshold per day."""

    mask: np.ndarray
    rule: str
    level: str
    threshold: np.ndarray
    extra: dict  # what the rule's message quotes: quantile, n or pct


@dataclass
class _Flagged:
    """A hit kept for the answer: the positions of its days and, for a jump, the rise in %."""

    series: _Series
    hit: _Hit
    idx: np.ndarray
    rise: np.ndarray

    def at_days(self) -> tuple[np.ndarray, ...]:
        """The forecast, its 80 % and 95 % bounds and the threshold on the flagged days, in the
        order :func:`exceedance_probability` takes them."""
        s, i = self.series, self.idx
        return s.yhat[i], s.lo80[i], s.hi80[i], s.lo95[i], s.hi95[i], self.hit.threshold[i]


def compute_alerts(forecasts_frame: pd.DataFrame, start, days: int, region: str | None = None,
                   min_level: str | None = None, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Alerts for the days ``start .. start + days - 1``, one row per series, day and rule.

    Columns: ``date, unique_id, region, metric, rule, level, yhat, yhat_lower, yhat_upper``
    (80 %), ``threshold``, ``probability`` (of the actual exceeding the threshold),
    ``message_zh, message_en``; sorted by date, series and level (highest first).
    """
    try:
        start = pd.Timestamp(start).normalize()
    except (ValueError, TypeError):
        raise InvalidInput(f"start {start!r} is not a date", hint="use YYYY-MM-DD") from None
    check_days(days)
    end = start + pd.Timedelta(days=int(days) - 1)
    min_level = parse_level(min_level)
    region = registry.resolve_region(region) if region else None
    thresholds = thresholds or load_thresholds()

    seasons = _season_windows(start, end)
    series = _series_around(forecasts_frame, start, days, region)
    names = {name: (r.zh, r.en) for name, r in registry.regions().items()}
    flagged: list[_Flagged] = []
    for s in series:
        in_window = (s.ds >= start.to_datetime64()) & (s.ds <= end.to_datetime64())
        if not in_window.any():
            continue
        flagged += _kept(s, _hits(s, thresholds.for_series(s.uid), seasons, in_window), min_level)
    return _alerts_frame(_records(flagged, names))


def _series_around(forecasts_frame: pd.DataFrame, start: pd.Timestamp, days: int,
                   region: str | None) -> list[_Series]:
    """The series (of ``region``) the registry knows, each with its rows in :func:`context_window`."""
    lo, hi = context_window(start, days)
    ds_all = pd.to_datetime(forecasts_frame["ds"])
    keep = ((ds_all >= lo) & (ds_all <= hi)).to_numpy()
    if region:
        keep &= forecasts_frame["unique_id"].astype(str).str.startswith(f"{region}/").to_numpy()
    fc = _normalise(forecasts_frame[keep])
    out = []
    for uid, g in fc.groupby("unique_id", sort=True):
        try:
            registry.parse_uid(uid)
        except ChunyunError:
            continue  # a series the registry no longer knows: nothing to name it by
        g = g.sort_values("ds")
        region_name, metric = uid.split("/")
        out.append(_Series(uid, region_name, metric, g["ds"].to_numpy(),
                           *(g[c].to_numpy() for c in ("yhat", "lo80", "hi80", "lo95", "hi95"))))
    return out


def _hits(s: _Series, rules: SeriesRules, seasons: list, in_window: np.ndarray) -> list[_Hit]:
    """Every rule's days in ``s``: the absolute levels, then per season p90, top3 and jump."""
    hits = []
    ordered = [(lv, rules.absolute[lv]) for lv in LEVELS if lv in rules.absolute]
    for i, (lv, t) in enumerate(ordered):
        reached = s.yhat >= t
        if i + 1 < len(ordered):
            reached &= s.yhat < ordered[i + 1][1]
        hits.append(_Hit(in_window & reached, "level", lv, np.full(len(s.yhat), t), {}))
    for _year, cs, ce in seasons:
        in_season = (s.ds >= cs.to_datetime64()) & (s.ds <= ce.to_datetime64())
        if (in_season & in_window).any():
            hits += _season_hits(s, rules, in_window & in_season, s.yhat[in_season])
    return hits


def _season_hits(s: _Series, rules: SeriesRules, where: np.ndarray, season_vals: np.ndarray) -> list[_Hit]:
    """The relative rules on the days ``where`` (asked and in one season), against that season's forecasts."""
    yh, hits = s.yhat, []
    if rules.p90:
        q = float(np.quantile(season_vals, rules.p90["quantile"]))
        hits.append(_Hit(where & (yh > q), "p90", rules.p90["level"], np.full(len(yh), q),
                         {"quantile": rules.p90["quantile"]}))
    if rules.top and len(season_vals) > rules.top["n"]:
        n = int(rules.top["n"])
        cut = float(np.sort(season_vals)[::-1][n])  # the (n+1)-th highest day
        hits.append(_Hit(where & (yh > cut), "top3", rules.top["level"], np.full(len(yh), cut), {"n": n}))
    if rules.jump:
        prev = np.r_[np.nan, yh[:-1]]
        gap = np.r_[np.nan, np.diff(s.ds).astype("timedelta64[D]").astype(float)]
        t = prev * (1 + rules.jump["pct"] / 100)
        with np.errstate(invalid="ignore"):
            jumped = (gap == 1) & (prev > 0) & (yh > t)
        hits.append(_Hit(where & jumped, "jump", rules.jump["level"], t, {"pct": rules.jump["pct"]}))
    return hits


def _kept(s: _Series, hits: list[_Hit], min_level: str | None) -> list[_Flagged]:
    """The hits that flag a day, at ``min_level`` or above."""
    out = []
    for hit in hits:
        idx = np.flatnonzero(hit.mask)
        if not len(idx) or (min_level and level_rank(hit.level) < level_rank(min_level)):
            continue
        rise = 100 * (s.yhat[idx] / s.yhat[idx - 1] - 1) if hit.rule == "jump" else np.full(len(idx), np.nan)
        out.append(_Flagged(s, hit, idx, rise))
    return out


def _records(flagged: list[_Flagged], names: dict) -> list[dict]:
    """One record per flagged day, with its probability (one call for every alert) and messages."""
    if not flagged:
        return []
    prob = exceedance_probability(*(np.concatenate(parts) for parts in zip(*(f.at_days() for f in flagged),
                                                                           strict=True)))
    records: list[dict] = []
    for f in flagged:
        s, hit = f.series, f.hit
        days_ = s.ds[f.idx].astype("datetime64[D]").tolist()  # datetime.date: cheap to format
        for j, i in enumerate(f.idx):
            rec = {"date": days_[j], "unique_id": s.uid, "region": s.region, "metric": s.metric,
                   "rule": hit.rule, "level": hit.level, "yhat": float(s.yhat[i]), "yhat_lower": float(s.lo80[i]),
                   "yhat_upper": float(s.hi80[i]), "threshold": float(hit.threshold[i]),
                   "probability": float(prob[len(records)])}
            rec["message_zh"], rec["message_en"] = _messages(rec, {**hit.extra, "rise": f.rise[j]}, names)
            records.append(rec)
    return records


def _alerts_frame(records: list[dict]) -> pd.DataFrame:
    """The records as the :data:`COLUMNS` frame, sorted by date, series, level (highest first), rule."""
    out = pd.DataFrame.from_records(records, columns=COLUMNS)
    out["date"] = pd.to_datetime(out["date"])
    if out.empty:
        return out.astype({"date": "datetime64[ns]", "yhat": float, "yhat_lower": float, "yhat_upper": float,
                           "threshold": float, "probability": float})
    out["_rank"] = out["level"].map(level_rank)
    out["_rule"] = out["rule"].map(RULES.index)
    out = out.sort_values(["date", "unique_id", "_rank", "_rule"], ascending=[True, True, False, True])
    return out.drop(columns=["_rank", "_rule"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the current run

def default_window(run=None, season: int | None = None) -> tuple[date, int]:
    """The Chunyun window of ``season`` (default: ``run``'s :attr:`~forecast.runs.Run.default_season`) as ``(start, days)``."""
    from forecast import calendar

    if not season and run is None:
        raise TypeError("default_window needs a season or a run")
    s = calendar.season(season or run.default_season)
    return s.chunyun_start, s.length


def resolve_window(start, days: int | None, season: int | None = None, *, run=None) -> tuple:
    """The ``(start, days)`` an alerts question asks about, the one rule for the API, the CLI and the page.

    Without ``start``: the Chunyun window of ``season`` (default: ``run``'s latest season), ``days``
    overriding its length. With ``start``: ``days``, else :data:`DEFAULT_DAYS`. ``days`` is not
    checked here (:func:`check_days`).
    """
    if start is None:
        start, season_days = default_window(run, season)
        return start, days or season_days
    return start, days or DEFAULT_DAYS


def run_alerts(run, start=None, days: int | None = None, region: str | None = None, min_level: str | None = None,
               thresholds: Thresholds | None = None) -> pd.DataFrame:
    """:func:`compute_alerts` on ``run``'s forecasts; ``start``/``days`` default to its latest Chunyun window."""
    start, days = resolve_window(start, days, run=run)
    frame = compute_alerts(run.forecasts, start, days, region=region, min_level=min_level, thresholds=thresholds)
    from forecast.stations.serve import add_station_alerts  # toll stations' capacity alerts (rule "capacity")

    return at_least(add_station_alerts(frame, run, start, days, region), min_level)


def fail_level_reached(alerts: pd.DataFrame, level: str) -> bool:
    """True when an alert at ``level`` or above is in ``alerts`` (``--fail-on``)."""
    return bool(len(alerts)) and not at_least(alerts, parse_level(level)).empty


__all__ = ["LEVELS", "RULES", "compute_alerts", "run_alerts", "exceedance_probability", "load_thresholds",
           "Thresholds", "parse_level", "fail_level_reached", "at_least", "check_days", "default_window",
           "resolve_window"]
