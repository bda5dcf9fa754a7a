"""Curated published figures (``data/reference/figures.csv``) as a frame.

The file is produced by ``tools/reference/curate.py`` and described in ``data/reference/README.md``;
its columns are the reference-frame contract of docs/ARCHITECTURE.md plus the ``original_*``
columns that keep each raw row traceable.

- :func:`load_reference` filters the frame (region aliases such as 江西 are accepted).
- :func:`season_total` gives the curated best season total of one metric, or ``None``.
- :func:`published_before` keeps only what was public before a date (no look-ahead).
- :func:`published_totals` gives a series' published season totals, the input the season-total
  models take for seasons before their history.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from forecast import settings
from forecast.errors import Conflict, InvalidInput, NotFound, Unprocessable
from forecast.registry import METRICS, parse_series, regions, resolve_metric, resolve_region

COLUMNS: tuple[str, ...] = (
    "season", "region", "metric", "measure", "ds", "value", "unit", "kind", "basis", "published",
    "status", "reason", "source_outlet", "source_title", "source_url", "note",
    "original_metric", "original_value", "original_unit",
)
SEASON_MIN, SEASON_MAX = 2000, 2035
KINDS = ("forecast", "actual")
STATUSES = ("ok", "flagged", "superseded")


def reference_file() -> Path:
    return Path(settings.load()["data_dir"]) / "reference" / "figures.csv"


@lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int, size: int) -> pd.DataFrame:  # mtime/size only key the cache
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise Unprocessable(f"{path} lacks columns {missing}", hint="regenerate it with python -m tools.reference.curate")
    df = df[list(COLUMNS)]
    df["season"] = df["season"].astype("int64")
    for col in ("ds", "published"):
        df[col] = pd.to_datetime(df[col].replace("", None), format="%Y-%m-%d").astype("datetime64[ns]")
    df["value"] = pd.to_numeric(df["value"].replace("", None), errors="raise").astype("float64")
    return df


def _frame() -> pd.DataFrame:
    path = reference_file()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NotFound(f"no reference figures at {path}", hint="set CHUNYUN_DATA_DIR or run python -m tools.reference.curate") from None
    return _read(str(path), st.st_mtime_ns, st.st_size)


def check_season(season, name: str = "season") -> int:
    """A season (or a holiday's ``year``) as an int inside SEASON_MIN..SEASON_MAX, else a clear error."""
    try:
        value = int(str(season).strip())
    except ValueError:
        raise InvalidInput(f"{name} {season!r} is not a year", hint="a season is named by its Spring Festival year, e.g. 2025") from None
    if not SEASON_MIN <= value <= SEASON_MAX:
        raise Unprocessable(f"{name} {value} is out of range", hint=f"seasons {SEASON_MIN}-{SEASON_MAX}")
    return value


def _check_kind(kind) -> str:
    value = str(kind).strip().lower()
    if value not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}", hint="use forecast or actual")
    return value


def _resolve_region(name, df: pd.DataFrame) -> str:
    """A registry region (aliases accepted) or one of the reference-only scopes in the file."""
    try:
        return resolve_region(name)
    except NotFound as err:
        key = str(name).strip().lower()
        scopes = set(df["region"])
        if key in scopes:
            return key
        extra = sorted(scopes - set(regions()))
        raise NotFound(err.detail, hint=f"{err.hint}; reference-only scopes: {', '.join(extra)}") from None


def load_reference(region=None, season=None, kind=None, include_flagged: bool = True, *,
                   metric: str | None = None, include_superseded: bool = True) -> pd.DataFrame:
    """The curated figures, optionally filtered.

    ``region`` takes a registry region or alias (江西, China ...) or a reference-only scope
    (``nanchang_railway_group``); ``season`` an int 2000-2035; ``kind`` ``forecast``/``actual``.
    ``include_flagged=False`` drops figures that need a second source; ``include_superseded=False``
    drops figures replaced by a later or better one. Returns a copy: season int64, ds and published
    datetime64[ns], value float64 (base units or percent), everything else str ("" when empty).
    """
    df = _frame()
    mask = pd.Series(True, index=df.index)
    if region is not None:
        mask &= df["region"] == _resolve_region(region, df)
    if season is not None:
        mask &= df["season"] == check_season(season)
    if kind is not None:
        mask &= df["kind"] == _check_kind(kind)
    if metric is not None:
        mask &= df["metric"] == check_metric(metric, df)
    if not include_flagged:
        mask &= df["status"] != "flagged"
    if not include_superseded:
        mask &= df["status"] != "superseded"
    return df.loc[mask].reset_index(drop=True).copy()


def check_metric(metric, df: pd.DataFrame) -> str:
    """A registry metric (zh names accepted) or a reference-only metric present in ``df`` (the
    figures here, the daily figures in :mod:`forecast.realdays`)."""
    try:
        return resolve_metric(metric)
    except NotFound:
        key = str(metric).strip().lower()
        if key in set(df["metric"]):
            return key
        raise NotFound(f"unknown metric {metric!r}",
                       hint=f"registry metrics: {', '.join(METRICS)}; reference-only metrics: "
                            f"{', '.join(sorted(set(df['metric']) - set(METRICS)))}") from None


def published_before(df: pd.DataFrame, date) -> pd.DataFrame:
    """Rows published strictly before ``date``: what a forecaster standing on ``date`` could know."""
    try:
        cutoff = pd.Timestamp(date)
    except (ValueError, TypeError):
        raise InvalidInput(f"{date!r} is not a date", hint="use YYYY-MM-DD") from None
    if pd.isna(cutoff):
        raise InvalidInput(f"{date!r} is not a date", hint="use YYYY-MM-DD")
    return df.loc[df["published"] < cutoff.normalize()].reset_index(drop=True)


def published_totals(unique_id: str) -> pd.DataFrame:
    """``season, value, published`` of the published actual totals of ``unique_id`` (status ``ok``,
    not on the pre-2015 basis), in file order; empty for a toll station (nothing is published per
    station). What :func:`forecast.season_totals.forecast_total` takes as ``published``: the caller
    reads the reference, the model never does."""
    region, metric, station = parse_series(unique_id)
    ref = load_reference(region=region, kind="actual", metric=metric) if station is None else _frame().iloc[:0]
    ref = ref[(ref["measure"] == "total") & (ref["status"] == "ok") & ~ref["basis"].str.endswith("pre2015")]
    return ref[["season", "value", "published"]].reset_index(drop=True)


def season_total(region, metric: str, season, kind: str = "actual", basis: str | None = None, *,
                 as_of=None) -> float | None:
    """The curated best season total (``measure == "total"``), or ``None`` when none is known.

    Without ``as_of``: the figure with status ``ok`` (flagged and superseded ones never count).
    With ``as_of``: among the non-flagged figures published before that date, the latest published
    one (``ok`` wins a tie), so a figure later superseded still answers for the time before its
    replacement appeared. Several ``ok`` totals on different bases raise Conflict: pass ``basis``.
    """
    df = load_reference(region=region, season=season, kind=kind, metric=_metric_name(metric))
    df = df[df["measure"] == "total"]
    if basis is not None:
        df = df[df["basis"] == str(basis)]
    if as_of is not None:
        df = published_before(df[df["status"] != "flagged"], as_of)
        if df.empty:
            return None
        df = df.assign(_rank=(df["status"] == "ok").astype(int)).sort_values(["published", "_rank"])
        df = df[df["published"] == df["published"].max()]
        df = df[df["_rank"] == df["_rank"].max()]
    else:
        df = df[df["status"] == "ok"]
    if df.empty:
        return None
    if df["basis"].nunique() > 1:
        raise Conflict(f"{len(df)} totals for {metric} {season} on bases {sorted(df['basis'].unique())}",
                       hint="pass basis=")
    if len(df) > 1:
        raise Conflict(f"{len(df)} curated totals for {region} {metric} {season} {kind}",
                       hint="data/reference/figures.csv must have one ok total per key; rerun python -m tools.reference.curate")
    return float(df["value"].iloc[0])


def _metric_name(metric) -> str:
    if metric is None or not str(metric).strip():
        raise InvalidInput("a metric is required", hint="e.g. cross_regional_trips")
    return str(metric).strip().lower()
