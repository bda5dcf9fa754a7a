"""The curated national daily figures (``data/reference/days.csv`` and ``holidays.csv``).

The files are produced by ``tools/reference/curate_days.py`` and described in
``data/reference/README.md`` ("Daily figures"). One row is one published number: an ``actual``
(the ministry's completed figure of a day), an ``estimate`` (its same-day 预计, never an
observation) or a ``derived`` 2024 value (a 2025 figure divided by its printed change on the same
day of the 2024 season). ``status`` says whether the row counts: ``ok``, ``uncertain`` (needs a
second source), ``duplicate`` (another copy of an ``ok`` figure), ``superseded`` (a conflicting
value that lost; ``reason`` says why).

- :func:`load_days` / :func:`load_holidays` filter the curated rows.
- :func:`real_observations` turns them into store rows ``unique_id, ds, y, source``.
- :func:`same_day_estimates` puts each same-day estimate beside the completed figure of its day.
- :func:`source_kind`, :func:`publication_dates` and :func:`published_of` let other modules tell
  real, derived, sample and user rows apart and say when each figure became public.

A fit at a cutoff uses the rows *dated* up to it, derived ones included: a derived 2024 row stands
for the figure the ministry published for that day in 2024 (the 2025 page prints the change
against it to 0.1%, and the 2024 copies the curated files hold agree), not for news of 2025. What
the fits would give with only the rows the curated files show public before the cutoff is measured
apart (``bench/real_days_asof.py``, BENCHMARKS.md).

Sources: ``real:<id>`` for an actual, ``derived:<id>`` for a derived row, ``<id>`` being the row's
``id`` in days.csv or holidays.csv. Nothing else is encoded in the source: the date a row became
public comes from :func:`publication_dates` (the ``published`` column), so a regenerated file can
correct a date without renaming stored rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from forecast import provenance, settings
from forecast.errors import InvalidInput, NotFound, Unprocessable
from forecast.reference import check_metric, check_season
from forecast.registry import parse_uid

DAY_COLUMNS: tuple[str, ...] = (
    "season", "ds", "unique_id", "metric", "measure", "series", "value", "unit", "kind", "status", "reason",
    "published", "season_day", "lunar_day", "yoy_pct", "period_start", "derived_from", "check",
    "source_outlet", "source_title", "source_url", "note", "id",
)
HOLIDAY_COLUMNS: tuple[str, ...] = (
    "year", "holiday", "ds", "unique_id", "metric", "measure", "series", "value", "unit", "kind", "status",
    "reason", "published", "yoy_pct", "period_start", "source_outlet", "source_title", "source_url", "note", "id",
)
KINDS = ("actual", "estimate", "derived")
STATUSES = ("ok", "uncertain", "duplicate", "superseded")
OBSERVATION_COLUMNS = ["unique_id", "ds", "y", "source"]
ESTIMATE_COLUMNS = ["unique_id", "ds", "y_estimate", "y_actual", "id", "actual_id"]
_PREFIX = {"actual": "real", "derived": "derived"}
_DATES = ("ds", "published", "period_start")
_INTS = ("season", "year", "season_day")
_FLOATS = ("value", "yoy_pct")


def days_file() -> Path:
    return Path(settings.load()["data_dir"]) / "reference" / "days.csv"


def holidays_file() -> Path:
    return Path(settings.load()["data_dir"]) / "reference" / "holidays.csv"


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int, columns: tuple[str, ...]) -> pd.DataFrame:  # mtime/size key the cache
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise Unprocessable(f"{path} lacks columns {missing}", hint="regenerate it with python -m tools.reference.curate_days")
    df = df[list(columns)]
    for col in columns:
        if col in _DATES:
            df[col] = pd.to_datetime(df[col].replace("", None), format="%Y-%m-%d").astype("datetime64[ns]")
        elif col in _INTS:
            df[col] = pd.to_numeric(df[col].replace("", None)).astype("Int64" if col == "season_day" else "int64")
        elif col in _FLOATS:
            df[col] = pd.to_numeric(df[col].replace("", None)).astype("float64")
    return df


def _frame(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NotFound(f"no curated daily figures at {path}",
                       hint="set CHUNYUN_DATA_DIR or run python -m tools.reference.curate_days") from None
    return _read(str(path), st.st_mtime_ns, st.st_size, columns)


# ----------------------------------------------------------------------------------------------
# Filters
# ----------------------------------------------------------------------------------------------
def _check_kinds(kinds) -> list[str]:
    """``actual``, ``estimate`` (``forecast`` accepted: the raw files' word) or ``derived``."""
    values = [kinds] if isinstance(kinds, str) else list(kinds)
    out = []
    for kind in values:
        key = str(kind).strip().lower()
        key = "estimate" if key == "forecast" else key
        if key not in KINDS:
            raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}", hint="use actual, estimate or derived")
        out.append(key)
    return out


def _filter(df: pd.DataFrame, *, unique_id, metric, kinds, include_uncertain: bool, ok_only: bool) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    if unique_id is not None:
        region, name = parse_uid(unique_id)
        mask &= df["unique_id"] == f"{region}/{name}"
    if metric is not None:
        mask &= df["metric"] == check_metric(metric, df)
    if kinds is not None:
        mask &= df["kind"].isin(_check_kinds(kinds))
    if not include_uncertain:
        mask &= df["status"] != "uncertain"
    if ok_only:
        mask &= df["status"].isin(("ok", "uncertain"))
    return df.loc[mask].reset_index(drop=True).copy()


def load_days(season=None, unique_id: str | None = None, kinds: str | Iterable[str] | None = None,
              include_uncertain: bool = False, *, metric: str | None = None, ok_only: bool = False) -> pd.DataFrame:
    """The curated Chunyun daily rows (days.csv), optionally filtered.

    ``season`` a Spring Festival year; ``unique_id`` a store series (``national/rail_passengers``;
    only single-day rows of registry metrics have one); ``metric`` a registry or reference-only
    metric (``road_trips``, ``cumulative_cross_regional_trips``); ``kinds`` one or several of
    actual/estimate/derived. ``uncertain`` rows are left out unless ``include_uncertain``;
    ``ok_only`` also drops duplicate and superseded copies. ds, published and period_start are
    datetime64[ns]; value and yoy_pct float64; season int64; season_day Int64; the rest str.
    """
    df = _frame(days_file(), DAY_COLUMNS)
    if season is not None:
        df = df[df["season"] == check_season(season)]
    return _filter(df, unique_id=unique_id, metric=metric, kinds=kinds, include_uncertain=include_uncertain,
                   ok_only=ok_only)


def load_holidays(year=None, holiday: str | None = None, unique_id: str | None = None,
                  kinds: str | Iterable[str] | None = None, include_uncertain: bool = False, *,
                  metric: str | None = None, ok_only: bool = False) -> pd.DataFrame:
    """The curated rows of the other holidays (holidays.csv), filtered like :func:`load_days`.

    ``holiday`` is a name of the file (``may_day``, ``national_day+mid_autumn`` ...). Holiday
    totals and daily averages are their own rows (``measure`` holiday_total / holiday_daily_avg,
    metric ``holiday_total_cross_regional_trips`` ...), without a unique_id.
    """
    df = _frame(holidays_file(), HOLIDAY_COLUMNS)
    if holiday is not None:
        key = str(holiday).strip().lower()
        if key not in set(df["holiday"]):
            raise NotFound(f"unknown holiday {holiday!r}", hint=f"holidays: {', '.join(sorted(set(df['holiday'])))}")
        df = df[df["holiday"] == key]
    if year is not None:
        df = df[df["year"] == check_season(year, "year")]
    return _filter(df, unique_id=unique_id, metric=metric, kinds=kinds, include_uncertain=include_uncertain,
                   ok_only=ok_only)


# ----------------------------------------------------------------------------------------------
# Store rows
# ----------------------------------------------------------------------------------------------
def _store_candidates(include_uncertain: bool, holidays: bool) -> pd.DataFrame:
    """Single-day actual and derived rows of registry series, ranked: ok actual 0, uncertain
    actual 1, ok derived 2, uncertain derived 3 (uncertain ones only with ``include_uncertain``)."""
    frames = [_frame(days_file(), DAY_COLUMNS)]
    if holidays:
        frames.append(_frame(holidays_file(), HOLIDAY_COLUMNS))
    cols = ["unique_id", "ds", "value", "kind", "status", "id"]
    df = pd.concat([f[cols] for f in frames], ignore_index=True)
    allowed = ("ok", "uncertain") if include_uncertain else ("ok",)
    df = df[(df["unique_id"] != "") & df["kind"].isin(_PREFIX) & df["status"].isin(allowed)]
    rank = (df["kind"] == "derived").astype(int) * 2 + (df["status"] == "uncertain").astype(int)
    return df.assign(_rank=rank)


def real_observations(include_uncertain: bool = False, holidays: bool = True) -> pd.DataFrame:
    """The curated figures as store rows ``unique_id, ds, y, source``, one per series and day.

    An ``ok`` actual wins; else (only with ``include_uncertain``) an uncertain actual; else a
    derived value (uncertain derived ones, e.g. 2024 air on a revised base, only with the flag).
    ``holidays`` adds the national daily actuals of the other holidays. Estimates never count.
    ``source`` is ``real:<id>`` or ``derived:<id>``.
    """
    df = _store_candidates(include_uncertain, holidays)
    df = df.sort_values(["unique_id", "ds", "_rank", "id"], kind="stable").drop_duplicates(["unique_id", "ds"])
    out = pd.DataFrame({
        "unique_id": df["unique_id"].to_numpy(),
        "ds": df["ds"].to_numpy(dtype="datetime64[ns]"),
        "y": df["value"].to_numpy(dtype="float64"),
        "source": (df["kind"].map(_PREFIX) + ":" + df["id"]).to_numpy(),
    })
    return out.reset_index(drop=True)


def same_day_estimates(season=None, unique_id: str | None = None, *, holidays: bool = False) -> pd.DataFrame:
    """Each ``ok`` same-day estimate beside the ``ok`` completed figure of the same series and day.

    Columns ``unique_id, ds, y_estimate, y_actual, id`` (the estimate's id) and ``actual_id``; days
    with only one of the two are left out. ``holidays`` adds the pairs of the other holidays.
    """
    frames = [load_days(season=season, unique_id=unique_id, ok_only=True)]
    if holidays:
        frames.append(load_holidays(year=season, unique_id=unique_id, ok_only=True))
    df = pd.concat([f[["unique_id", "ds", "value", "kind", "status", "id"]] for f in frames], ignore_index=True)
    df = df[(df["unique_id"] != "") & (df["status"] == "ok")]
    est = df[df["kind"] == "estimate"].rename(columns={"value": "y_estimate"})
    act = df[df["kind"] == "actual"].rename(columns={"value": "y_actual", "id": "actual_id"})
    pairs = est.merge(act[["unique_id", "ds", "y_actual", "actual_id"]], on=["unique_id", "ds"], how="inner")
    return pairs[ESTIMATE_COLUMNS].sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------------
source_kind = provenance.source_kind  # the one rule (forecast/provenance.py), re-exported here


def publication_dates() -> dict[str, pd.Timestamp]:
    """``source -> published`` for every actual and derived row of days.csv and holidays.csv.

    A derived row's date is the 2025 page it was computed from (the audit trail); the fits do not
    filter on it (see the module docstring).
    """
    out = {}
    for df in (_frame(days_file(), DAY_COLUMNS), _frame(holidays_file(), HOLIDAY_COLUMNS)):
        rows = df[df["kind"].isin(_PREFIX)]
        out.update(zip(rows["kind"].map(_PREFIX) + ":" + rows["id"], rows["published"], strict=True))
    return out


def published_of(source: str) -> pd.Timestamp | None:
    """When the figure behind ``source`` became public; ``None`` for sample or user rows and for an
    id the curated files no longer hold."""
    if source_kind(source) not in ("real", "derived"):
        return None
    return publication_dates().get(str(source))
