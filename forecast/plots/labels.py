"""Labels and fonts: names, units and tags as people read them, and the CJK font that draws them.

Fonts: matplotlib draws Chinese only with a CJK font. :func:`cjk_font` takes an installed one
(``fc-list :lang=zh`` lists them), else registers Noto Sans CJK SC from the ``mplfonts`` wheel (a
project dependency). Should neither be there, every label is English with the Chinese unit spelt
out in ASCII (``10k person-trips (wan renci)``), so no "missing glyph" warnings are emitted.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from forecast import registry
from forecast.registry import METRICS, TOTAL_METRIC

__all__ = [  # re-exported by forecast.plots
    "CJK_FONTS", "PACKAGED_CJK_FONT", "SHORT_EN", "TABLE_ORDER", "UNIT_ASCII", "WAN", "cjk_font", "data_tag",
    "metric_label", "region_label", "setup", "text", "unit_label", "wan",
]

WAN = 10_000.0
# CJK fonts matplotlib may find, in order of preference.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Sarasa Gothic SC", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
    "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback",
)
TABLE_ORDER = (TOTAL_METRIC, "rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers",
               "water_passengers", "highway_exit_vehicles")
UNIT_ASCII = {"万人次": "10k person-trips (wan renci)", "万辆": "10k vehicles (wan liang)"}
SHORT_EN = {TOTAL_METRIC: "cross-regional trips", "rail_passengers": "rail", "road_passengers": "road (operating)",
            "selfdrive_trips": "self-driving", "air_passengers": "air", "water_passengers": "water",
            "highway_exit_vehicles": "highway exits"}


PACKAGED_CJK_FONT = ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first CJK font matplotlib knows (installed, else the packaged Noto Sans CJK SC), or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    installed = next((name for name in CJK_FONTS if name in names), None)
    return installed or _register_packaged_font(font_manager)


def _register_packaged_font(font_manager) -> str | None:
    from importlib import resources

    package, relative = PACKAGED_CJK_FONT
    try:
        path = resources.files(package).joinpath(relative)
    except ModuleNotFoundError:
        return None
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def setup() -> bool:
    """Set legible defaults (and a CJK font when one is installed); True when Chinese can be drawn.

    Also widens pandas' display so the by-mode tables print without elided columns.
    """
    import matplotlib as mpl

    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 250)

    font = cjk_font()
    mpl.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 130, "savefig.bbox": "tight", "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 11, "axes.labelsize": 9,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 13,
        "axes.unicode_minus": font is None,
    })
    if font:
        mpl.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        mpl.rcParams["font.family"] = "sans-serif"
    return font is not None


def text(zh: str, en: str) -> str:
    """``zh`` when a CJK font is installed, else ``en`` (plain ASCII, nothing matplotlib cannot draw)."""
    return zh if cjk_font() else en


def unit_label(metric: str) -> str:
    """The display unit of ``metric`` for an axis: 万人次 / 万辆, or its ASCII form."""
    unit = METRICS[registry.resolve_metric(metric)].display_unit
    return text(unit, UNIT_ASCII.get(unit, unit))


def metric_label(metric: str, short: bool = False) -> str:
    m = METRICS[registry.resolve_metric(metric)]
    return text(m.zh, SHORT_EN[m.name] if short else m.en)


def region_label(region: str) -> str:
    r = registry.regions()[registry.resolve_region(region)]
    return text(r.zh, r.en)


DATA_TAGS = {"sample": "SAMPLE", "mixed": "MIXED: REAL + SAMPLE", "real": "REAL"}


def data_tag(history_or_kind) -> str:
    """The title tag of a frame's data kind (or of the kind string): ``SAMPLE``, ``MIXED: REAL + SAMPLE``
    (any sample row among real ones still says SAMPLE) or ``REAL``."""
    if isinstance(history_or_kind, pd.DataFrame):
        from forecast.provenance import frame_kind

        kind = frame_kind(history_or_kind)
    else:
        kind = str(history_or_kind)
    return DATA_TAGS.get(kind, "SAMPLE")


def wan(value):
    """Base units (persons, vehicles) to 万, NaN/None kept."""
    if value is None:
        return np.nan
    return np.asarray(value, dtype=float) / WAN if np.ndim(value) else float(value) / WAN
