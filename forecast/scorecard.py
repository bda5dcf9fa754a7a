"""The scorecard: every model's season-aligned forecast against every published actual.

Skill is claimed only on real figures. For each series and season with real days (see
:mod:`forecast.selection`) the scorecard holds, per candidate model:

- ``mape``: daily MAPE on the real days only (``days_real`` published, ``days_derived`` recovered
  from a later page's change on the same lunar day), and ``naive_mape``: the naive (the last real
  season laid on the lunar calendar, :data:`forecast.selection.NAIVE`) scaled to *this model's*
  season total, so that the comparison is of shapes, not of totals;
- ``coverage_80`` (percent) and ``inside_80`` (days) of the 80% band on those days;
- the season total against the actual total (when every day of the window is real), the peak day
  and its size against the actual peak;
- ``chosen``: whether :func:`forecast.selection.choose` picked the model for that season.

Beside them: the nowcast of the chosen model on the real days (after 10, 20 and 30 days: the
remaining days' MAPE and the season total; one day ahead, against the ministry's same-day
estimates), the revision trail (:func:`vintages`: the season total and peak as forecast each
morning), and the official figures (season-ahead total forecasts, same-day estimates). Metrics
computed on the sample stay in the backtest and are labelled ``sample`` there.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecast import calendar, provenance, reference
from forecast.engine import SeasonForecast, season_forecast
from forecast.models import make
from forecast.models.features import season_dates
from forecast.season_totals import forecast_total
from forecast.selection import NAIVE, Choice, daily_mape, fit_frame, real_actuals, score_frame

NOWCAST_AFTER = (10, 20, 30)


def _source_counts(series: pd.DataFrame, days: pd.DatetimeIndex) -> dict:
    rows = series[pd.to_datetime(series["ds"]).isin(days)]
    kinds = [provenance.source_kind(s) for s in rows["source"]] if "source" in rows.columns else ["user"] * len(rows)
    return {"days_real": kinds.count("real") + kinds.count("user"), "days_derived": kinds.count("derived")}


def _peak(frame: pd.DataFrame, column: str) -> tuple[str, float]:
    i = int(np.argmax(frame[column].to_numpy()))
    return pd.Timestamp(frame["ds"].iloc[i]).date().isoformat(), float(frame[column].iloc[i])


def real_rows(series: pd.DataFrame, unique_id: str, season: int, forecasts: dict[str, SeasonForecast],
              chosen: str | None, served: SeasonForecast | None = None) -> list[dict]:
    """The scorecard rows of one series and season: one per model in ``forecasts``.

    ``served``: the forecast the run serves for the chosen model (calibrated intervals, modes
    reconciled to the total); it replaces that model's raw candidate forecast.
    """
    if served is not None and chosen in forecasts:
        forecasts = {**forecasts, chosen: served}
    actual = real_actuals(series, season)
    window = season_dates(season)
    complete = len(actual) == len(window)
    counts = _source_counts(series, pd.DatetimeIndex(actual.index))
    naive = forecasts.get(NAIVE)
    rows = []
    for model, fc in forecasts.items():
        frame = score_frame(fc, actual)
        row = {"unique_id": unique_id, "season": int(season), "model": model, "chosen": model == chosen,
               **counts, "mape": round(daily_mape(frame), 3)}
        if naive is not None:
            scaled = score_frame(naive, actual).assign(yhat=lambda f, fc=fc: f["yhat"] * fc.total / naive.total)
            row["naive_mape"] = round(daily_mape(scaled), 3)
        inside = (frame["y"] >= frame["lo80"]) & (frame["y"] <= frame["hi80"])
        row.update(inside_80=int(inside.sum()), coverage_80=round(float(inside.mean()) * 100.0, 1), total=fc.total)
        row["actual_total"] = float(actual.sum()) if complete else None
        row["total_error_pct"] = round((fc.total / actual.sum() - 1.0) * 100.0, 2) if complete else None
        row["peak_date"], row["peak_value"] = _peak(fc.frame, "yhat")
        row["actual_peak_date"], row["actual_peak_value"] = _peak(frame, "y")
        row["peak_day_error"] = (pd.Timestamp(row["peak_date"]) - pd.Timestamp(row["actual_peak_date"])).days
        row["peak_value_error_pct"] = round((row["peak_value"] / row["actual_peak_value"] - 1.0) * 100.0, 2)
        rows.append(row)
    return rows


class _Nowcaster:
    """One fit of the chosen model at the eve of the window, re-used for every information date."""

    def __init__(self, series: pd.DataFrame, unique_id: str, season: int, choice: Choice,
                 nowcast_phi: float | None = 0.0):
        self.series, self.unique_id, self.season, self.choice = series, unique_id, int(season), choice
        self.nowcast_phi = nowcast_phi
        self.window = season_dates(season)
        self.eve = calendar.season(season).cutoff
        frame = fit_frame(series, self.eve)
        self.fitted = make(choice.model).fit(frame)
        self.total = forecast_total(frame, season, self.eve, published=reference.published_totals(unique_id))

    def as_of(self, day: pd.Timestamp | None) -> SeasonForecast:
        return season_forecast(self.series, self.unique_id, self.season, self.eve, day, model=self.choice.model,
                               fitted=self.fitted, total=self.total, sigma=self.choice.sigma,
                               nowcast_phi=self.nowcast_phi)


def nowcast_report(series: pd.DataFrame, unique_id: str, season: int, choice: Choice,
                   estimates: pd.DataFrame | None = None, every_day: bool = True, *,
                   nowcast_phi: float | None = 0.0) -> dict:
    """The chosen model's nowcast on the real days of ``season``: ``after`` (10, 20, 30 days) and,
    with ``every_day`` (a forecast as of each day of the season), ``one_day_ahead`` (each day from
    the day before, beside the ministry's same-day estimates) and ``vintages`` (the total and the
    peak as forecast each morning). ``nowcast_phi``: as for :func:`forecast.engine.season_forecast`
    (default 0: the single level ratio; ``None``: the model's ``phi_``)."""
    actual = real_actuals(series, season)
    nc = _Nowcaster(series, unique_id, season, choice, nowcast_phi)
    complete = len(actual) == len(nc.window)
    after_days = [k for k in NOWCAST_AFTER if k < len(nc.window)]
    ends = [nc.window[k - 1] for k in after_days]
    by_day = {None: nc.as_of(None), **{day: nc.as_of(day) for day in (nc.window[:-1] if every_day else ends)}}
    head = {"unique_id": unique_id, "season": int(season), "model": choice.model}
    out = {"after": [{**head, **_after(by_day[day], actual, k, complete)} for k, day in zip(after_days, ends, strict=True)],
           "one_day_ahead": None, "vintages": []}
    if every_day:
        out["one_day_ahead"] = {**head, **_one_day_ahead(by_day, nc.window, actual, estimates)}
        out["vintages"] = [{**head, **_vintage(day, fc, actual, complete)} for day, fc in by_day.items()]
    return out


def _after(fc: SeasonForecast, actual: pd.Series, k: int, complete: bool) -> dict:
    f = fc.frame.set_index("ds")
    rest = actual[actual.index > fc.as_of] if fc.as_of is not None else actual
    mape = float(np.mean(np.abs(f["yhat"].reindex(rest.index) / rest - 1.0)) * 100.0) if len(rest) else None
    return {"after_days": k, "as_of": fc.as_of.date().isoformat(), "remaining_days": len(rest),
            "remaining_mape": None if mape is None else round(mape, 3), "total": fc.total,
            "total_error_pct": round((fc.total / actual.sum() - 1.0) * 100.0, 3) if complete else None}


def _one_day_ahead(by_day: dict, window: pd.DatetimeIndex, actual: pd.Series, estimates: pd.DataFrame | None) -> dict:
    rows = []
    for prev, day in zip([None, *window[:-1]], window, strict=True):  # day one's is the eve's forecast
        if day in actual.index:
            yhat = float(by_day[prev].frame.set_index("ds").loc[day, "yhat"])
            rows.append((day, yhat, float(actual[day])))
    frame = pd.DataFrame(rows, columns=["ds", "yhat", "y"]).set_index("ds")
    out = {"days": len(frame), "mape": round(_mape(frame["yhat"], frame["y"]), 3) if len(frame) else None}
    if estimates is not None and len(estimates):
        est = estimates.set_index(pd.to_datetime(estimates["ds"]))["y_estimate"]
        both = frame.index.intersection(est.index)
        out.update(ministry_days=len(both), ministry_dates=[d.date().isoformat() for d in both])
        if len(both):
            out["model_mape_on_ministry_days"] = round(_mape(frame.loc[both, "yhat"], frame.loc[both, "y"]), 3)
            out["ministry_mape"] = round(_mape(est[both], frame.loc[both, "y"]), 3)
    return out


def _mape(forecast, actual) -> float:
    return float(np.mean(np.abs(np.asarray(forecast, dtype=float) / np.asarray(actual, dtype=float) - 1.0)) * 100.0)


def _vintage(day, fc: SeasonForecast, actual: pd.Series, complete: bool) -> dict:
    lo, hi = fc.total_bounds[80]
    i = int(np.argmax(fc.frame["yhat"].to_numpy()))
    out = {"as_of": None if day is None else pd.Timestamp(day).date().isoformat(), "total": fc.total,
           "total_lower": float(lo), "total_upper": float(hi),
           "peak_date": fc.frame["ds"].iloc[i].date().isoformat(), "peak_value": float(fc.frame["yhat"].iloc[i])}
    if complete:
        out.update(actual_total=float(actual.sum()), actual_peak_date=actual.idxmax().date().isoformat(),
                   actual_peak_value=float(actual.max()))
    return out


def official_rows(reference: pd.DataFrame, unique_id: str, season: int, actual_total: float | None) -> list[dict]:
    """The published season-ahead total forecasts of ``unique_id`` (``ok`` rows), against the outturn."""
    region, metric = unique_id.split("/", 1)
    ref = reference[(reference["region"] == region) & (reference["metric"] == metric) & (reference["season"] == season)
                    & (reference["measure"] == "total") & (reference["kind"] == "forecast") & (reference["status"] == "ok")]
    out = []
    for r in ref.itertuples():
        err = (r.value / actual_total - 1.0) * 100.0 if actual_total and math.isfinite(r.value) else None
        out.append({"unique_id": unique_id, "season": int(season), "what": "season_total_forecast", "value": float(r.value),
                    "published": pd.Timestamp(r.published).date().isoformat(), "source": r.source_outlet,
                    "source_url": r.source_url, "error_pct": None if err is None else round(err, 2)})
    return out


def estimate_rows(estimates: pd.DataFrame) -> list[dict]:
    """The ministry's same-day estimates against its completed figures, per series and season."""
    out = []
    if estimates is None or estimates.empty:
        return out
    both = estimates.dropna(subset=["y_estimate", "y_actual"])
    for (uid, season), g in both.groupby(["unique_id", pd.to_datetime(both["ds"]).map(_season_of)]):
        out.append({"unique_id": uid, "season": int(season), "what": "same_day_estimates", "days": len(g),
                    "mape": round(_mape(g["y_estimate"], g["y_actual"]), 3)})
    return out


def _season_of(day) -> int:
    from forecast import calendar

    return calendar.season_of(day)


def sample_rows(backtest: pd.DataFrame) -> list[dict]:
    """Backtest metrics on seasons whose actuals are the sample, per series and model, labelled so."""
    if backtest is None or backtest.empty or "actuals_kind" not in backtest.columns:
        return []
    keep = backtest[backtest["metric"].isin(["mape", "coverage_80"]) & (backtest["actuals_kind"] == "sample")]
    if keep.empty:
        return []
    table = keep.pivot_table(index=["unique_id", "model"], columns="metric", values="value", aggfunc="mean")
    seasons = keep.groupby(["unique_id", "model"])["season"].nunique()
    return [{"unique_id": uid, "model": model, "data_kind": "sample", "seasons": int(seasons[(uid, model)]),
             **{k: round(float(v), 3) for k, v in row.items() if pd.notna(v)}}
            for (uid, model), row in table.iterrows()]


SECTIONS = ("real", "official", "estimates", "nowcast", "one_day_ahead", "vintages", "sample")


def select(card: dict, season: int | None = None, unique_id: str | None = None) -> dict:
    """The scorecard's sections restricted to one season and/or series (``selection`` kept whole)."""
    def keep(row: dict) -> bool:
        return ((season is None or row.get("season") in (None, int(season)))
                and (unique_id is None or row.get("unique_id") == unique_id))

    out = {name: [r for r in card.get(name, []) if keep(r)] for name in SECTIONS}
    out["selection"] = {u: c for u, c in card.get("selection", {}).items() if unique_id is None or u == unique_id}
    return out
