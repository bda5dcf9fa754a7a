"""The nowcast on the real days: the single level ratio (old) against the level + AR(1) update (new).

    PYTHONPATH=$PWD .venv/bin/python bench/nowcast_real_days.py            # store at $CHUNYUN_VAR_DIR
    PYTHONPATH=$PWD .venv/bin/python bench/nowcast_real_days.py --no-sample

National cross-regional trips from the store (``chunyun prepare``: the real 2024 and 2025 days).
The model of each season is chosen as ``train`` chooses it (:func:`forecast.selection.choose`: the
candidates scored on the real seasons before it), fitted once at the eve of the window, and the
nowcast is made as of every morning, through the scorecard's own code; ``old`` is the same
forecast with ``nowcast_phi=0`` (one level ratio for every remaining day, the default), ``new``
with ``nowcast_phi=None`` (the daily model's ``phi_``). Printed per season and rule:

- one day ahead (each day from actuals up to the day before; day one: the eve's forecast): MAPE on
  the days with a ministry same-day estimate, beside the ministry's, and on all days; the share of
  days inside the 80% band (and inside the narrower band of the AR(1)'s conditional spread, which
  the rule does not use); for 2024 also on its published (``real``, not ``derived``) days only;
- after 10/20/30 days: the season total's error and the remaining days' MAPE.

Then, unless ``--no-sample``, the same after-10/20/30 figures on the SAMPLE history (the backtest's
``nowcast_k`` columns for the ``cross_regional_trips`` series, normal seasons), labelled sample.
Nothing here chooses a parameter: the rule's ``phi`` is the model's own.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
import pandas as pd

UID = "national/cross_regional_trips"
SEASONS = (2024, 2025)
SAMPLE_UIDS = ("national/cross_regional_trips", "jiangxi/cross_regional_trips")
SAMPLE_SEASONS = (2016, 2017, 2018, 2019, 2023, 2024, 2025)
RULES = {"old": 0.0, "new": None}
LEVEL_Z80 = 1.2815515655446004


def real_series() -> pd.DataFrame:
    from forecast.store import Store

    h = Store().read([UID])
    h = h[h["unique_id"] == UID][["ds", "y", "source"]].reset_index(drop=True)
    h["ds"] = pd.to_datetime(h["ds"])
    return h


def choices(series: pd.DataFrame) -> dict:
    """Season -> the run's choice (candidates scored on the real seasons before it)."""
    from forecast import selection

    scored = {}
    for s in SEASONS[:-1]:
        actual = selection.real_actuals(series, s)
        scored[s] = {m: selection.score_frame(fc, actual) for m, fc in selection.fit_candidates(series, UID, s).items()}
    return {s: selection.choose(UID, s, scored) for s in SEASONS}


def _ahead_frame(by_day: dict, window: pd.DatetimeIndex, actual: pd.Series) -> pd.DataFrame:
    """One day ahead: the forecast, its 80% band, and the log sd an AR(1)-conditional band would
    have (``((1 - phi) level_sd)^2 + sigma^2 (1 - phi^2)``; day one, from the eve: the band's own)."""
    rows = []
    for prev, day in zip([None, *window[:-1]], window, strict=True):
        if day in actual.index:
            fc = by_day[prev]
            f = fc.frame.set_index("ds").loc[day]
            own = np.log(f["yhat_upper_80"] / f["yhat"]) / LEVEL_Z80
            cond = own if prev is None else np.sqrt(((1 - fc.phi) * fc.level_sd) ** 2 + fc.sigma**2 * (1 - fc.phi**2))
            rows.append((day, f["yhat"], f["yhat_lower_80"], f["yhat_upper_80"], cond, float(actual[day])))
    return pd.DataFrame(rows, columns=["ds", "yhat", "lo", "hi", "cond_sd", "y"]).set_index("ds")


def real_figures(series: pd.DataFrame, season: int, choice, phi) -> dict:
    from forecast import provenance, realdays, scorecard
    from forecast.selection import real_actuals

    actual = real_actuals(series, season)
    nc = scorecard._Nowcaster(series, UID, season, choice, phi)
    by_day = {None: nc.as_of(None), **{d: nc.as_of(d) for d in nc.window[:-1]}}
    est = realdays.same_day_estimates(season=season, unique_id=UID)
    ahead = scorecard._one_day_ahead(by_day, nc.window, actual, est)
    frame = _ahead_frame(by_day, nc.window, actual)
    published = series[series["source"].map(provenance.source_kind) == "real"]["ds"]
    pub = frame[frame.index.isin(published)]
    complete = len(actual) == len(nc.window)
    after = {k: scorecard._after(by_day[nc.window[k - 1]], actual, k, complete) for k in scorecard.NOWCAST_AFTER}
    return {"model": choice.model, "phi": by_day[None].phi, "ahead": ahead,
            "cover80": float(((frame["y"] >= frame["lo"]) & (frame["y"] <= frame["hi"])).mean() * 100),
            "cover80_cond": float((np.abs(np.log(frame["y"] / frame["yhat"])) <= LEVEL_Z80 * frame["cond_sd"]).mean() * 100),
            "published_days": len(pub), "published_mape": scorecard._mape(pub["yhat"], pub["y"]) if len(pub) else None,
            "after": after}


def _f(v, fmt="{:.2f}") -> str:
    return "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v)


def real_table() -> str:
    series = real_series()
    picked = choices(series)
    lines = ["| season | rule | model (phi) | 1-day MAPE, ministry days (ministry) | 1-day MAPE, all days | "
             "1-day in 80% band (if AR-conditional) | 1-day MAPE, published days | after 10: total / rest MAPE | after 20 | after 30 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for season in reversed(SEASONS):
        for rule, phi in RULES.items():
            r = real_figures(series, season, picked[season], phi)
            a = r["ahead"]
            cond = f"{r['cover80_cond']:.0f}%" if rule == "new" else "-"
            ministry = (f"{_f(a.get('model_mape_on_ministry_days'))}% ({_f(a.get('ministry_mape'))}%, "
                        f"{a.get('ministry_days', 0)} d)" if a.get("ministry_days") else "n/a (no estimates)")
            after = [f"{_f(x['total_error_pct'], '{:+.2f}')}% / {_f(x['remaining_mape'])}%" for x in r["after"].values()]
            lines.append(f"| {season} | {rule} | {r['model']} ({r['phi'] if rule == 'new' else 0.0:.3f}) | {ministry} | "
                         f"{_f(a['mape'])}% ({a['days']} d) | {r['cover80']:.0f}% ({cond}) | "
                         f"{_f(r['published_mape'])}% ({r['published_days']} d) | " + " | ".join(after) + " |")
    return "\n".join(lines)


def sample_table() -> str:
    """The backtest's nowcast columns on the SAMPLE, old and new rule, from the same fits."""
    from forecast import calendar, metrics, reference
    from forecast.backtest import model_columns
    from forecast.engine import daily_model_for, season_forecast
    from forecast.models import make
    from forecast.sample import load_sample
    from forecast.season_totals import forecast_total

    history = load_sample()
    history["ds"] = pd.to_datetime(history["ds"])
    frames = []
    for uid in SAMPLE_UIDS:
        h = history[history["unique_id"] == uid][["ds", "y"]]
        for season in SAMPLE_SEASONS:
            s = calendar.season(season)
            past = h[h["ds"] <= s.cutoff]
            fitted = make(daily_model_for(uid)).fit(past)
            total = forecast_total(past, season, s.cutoff, published=reference.published_totals(uid))
            cols = {}
            for k in (10, 20, 30):
                as_of = pd.Timestamp(s.chunyun_start) + pd.Timedelta(days=k - 1)
                seen = h[h["ds"] <= as_of]
                for rule, phi in RULES.items():
                    fc = season_forecast(seen, uid, season, s.cutoff, as_of, model=fitted.name, fitted=fitted,
                                         total=total, nowcast_phi=phi)
                    cols.update(model_columns(f"{rule}_{k}", fc))
            y = h.set_index("ds")["y"].reindex(s.days).to_numpy()
            frames.append(pd.DataFrame({"unique_id": uid, "season": season, "ds": s.days, "y": y, **cols}))
    scored = metrics.evaluate(pd.concat(frames, ignore_index=True))
    scored = scored[scored["metric"].isin(["mape", "total_error_pct"])]
    scored = scored.assign(value=np.where(scored["metric"] == "total_error_pct", scored["value"].abs(), scored["value"]))
    table = scored.pivot_table(index="model", columns="metric", values="value", aggfunc="mean")
    lines = [f"SAMPLE ({', '.join(SAMPLE_UIDS)}; seasons {', '.join(map(str, SAMPLE_SEASONS))}; "
             "mean over series-seasons)", "",
             "| after | rule | rest MAPE (sample) | abs. total error (sample) |", "|---|---|---|---|"]
    for k in (10, 20, 30):
        for rule in RULES:
            row = table.loc[f"{rule}_{k}"]
            lines.append(f"| {k} | {rule} | {row['mape']:.2f}% | {row['total_error_pct']:.2f}% |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-sample", action="store_true", help="skip the sample backtest part")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    print("REAL days, national/cross_regional_trips (old: one level ratio; new: level + AR(1) of the last error)\n")
    print(real_table())
    if not args.no_sample:
        print()
        print(sample_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
