"""Figures and tables for people: shared by the notebooks and ``docs/make_figures.py``.

Nothing here forecasts. Every function takes what :mod:`forecast.engine`, :mod:`forecast.sample`,
:mod:`forecast.reference` or :mod:`forecast.alerts` returned and lays it out the way a transport
department publishes it: counts in 万人次 / 万辆, one row per mode, peak day and size, and every
figure built from sample data titled ``SAMPLE``.

Fonts: matplotlib draws Chinese only with a CJK font. :func:`cjk_font` takes an installed one
(``fc-list :lang=zh`` lists them), else registers Noto Sans CJK SC from the ``mplfonts`` wheel (a
project dependency). Should neither be there, every label is English with the Chinese unit spelt
out in ASCII (``10k person-trips (wan renci)``), so no "missing glyph" warnings are emitted.
Tables are text and always carry the Chinese names.

Modules, by what they draw: ``labels`` (labels and fonts), ``tables``, ``figures`` and
``backtest_report`` (the backtest report); every public name is re-exported here.
"""

from __future__ import annotations

from forecast.actuals import season_actuals
from forecast.plots import labels
from forecast.plots.backtest_report import (
    backtest_figure,
    backtest_mode_table,
    error_figure,
    error_summary,
    error_table,
    nowcast_days,
    nowcast_figure,
    nowcast_table,
)
from forecast.plots.figures import (
    LEVEL_COLOURS,
    bar_table,
    forecast_figure,
    forecast_panel,
    lunar_offset_frame,
    lunar_offset_grid,
    lunar_offset_overlay,
    scenario_figure,
)
from forecast.plots.labels import *  # noqa: F403 - re-exports its __all__
from forecast.plots.tables import (
    alert_days,
    forecast_frame,
    inventory,
    mode_table,
    peak_table,
    published_figures,
    reference_table,
    season_totals_table,
    show_table,
)

__all__ = [
    *labels.__all__,
    "LEVEL_COLOURS", "show_table", "season_actuals", "published_figures", "mode_table", "peak_table",
    "reference_table", "season_totals_table", "inventory", "forecast_frame", "alert_days",
    "lunar_offset_frame", "lunar_offset_overlay", "lunar_offset_grid", "forecast_panel", "forecast_figure",
    "scenario_figure", "bar_table", "nowcast_days", "error_table", "error_summary", "nowcast_table",
    "backtest_mode_table", "backtest_figure", "nowcast_figure", "error_figure",
]
