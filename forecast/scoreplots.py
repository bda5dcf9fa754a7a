"""Tables and figures of the scorecard on real days (:mod:`forecast.scorecard`), for the notebooks.

Everything here formats what a run's ``scorecard.json`` or the curated reference already holds;
nothing is computed that the scorecard does not compute. Titles say ``REAL`` because every number
is measured against published figures.
"""

from __future__ import annotations

import pandas as pd

from forecast import plots, realdays

SCORE_COLUMNS = ("unique_id", "season", "model", "chosen", "days_real", "days_derived", "mape", "naive_mape",
                 "inside_80", "coverage_80", "total_error_pct", "peak_date", "peak_day_error", "peak_value_error_pct")


def real_days_table(season: int, unique_id: str = "national/cross_regional_trips", include_uncertain: bool = False) -> pd.DataFrame:
    """The curated daily figures of one series and season in 万, with kind, status and source."""
    days = realdays.load_days(season=season, unique_id=unique_id, include_uncertain=include_uncertain)
    out = days[["ds", "kind", "status", "value", "published", "source_outlet", "id"]].copy()
    out["value"] = (out["value"] / 1e4).round(1)
    return out.rename(columns={"value": "value_万"}).sort_values(["ds", "kind"]).reset_index(drop=True)


def score_table(card: dict, season: int | None = None) -> pd.DataFrame:
    """One row per series, season and model: errors on the real days (the chosen model marked)."""
    rows = [r for r in card.get("real", []) if season is None or r["season"] == season]
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def nowcast_table(card: dict, season: int | None = None) -> pd.DataFrame:
    rows = [r for r in card.get("nowcast", []) if season is None or r["season"] == season]
    return pd.DataFrame(rows)


def vintages_figure(card: dict, unique_id: str, season: int):
    """The revision trail: the season total forecast each morning with its 80% band, and the outturn."""
    import matplotlib.pyplot as plt

    plots.setup()
    rows = pd.DataFrame([r for r in card.get("vintages", []) if r["unique_id"] == unique_id and r["season"] == season])
    fig, ax = plt.subplots(figsize=(10, 3.5))
    if rows.empty:
        ax.set_title(f"no revision trail for {unique_id} {season}")
        return fig
    days = range(len(rows))
    ax.fill_between(days, rows["total_lower"] / 1e8, rows["total_upper"] / 1e8, alpha=0.2, label="80%")
    ax.plot(days, rows["total"] / 1e8, marker=".", label=plots.text("每日早晨的总量预测", "total as forecast each morning"))
    if "actual_total" in rows and rows["actual_total"].notna().any():
        ax.axhline(rows["actual_total"].iloc[0] / 1e8, color="#d0201b", ls="--", label=plots.text("实际", "outturn"))
    ax.set_xlabel(plots.text("已知天数（0 = 春运前一天）", "days known (0 = the eve of the window)"))
    ax.set_ylabel("亿" if plots.cjk_font() else "100 million")
    ax.set_title(f"[REAL] {unique_id} {season}: {plots.text('修订轨迹', 'revision trail')}")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
