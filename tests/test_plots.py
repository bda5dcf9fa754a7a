"""Figures label in Chinese (万人次, 万辆) on a machine with no CJK font installed, and fall back to
ASCII labels, never to missing-glyph boxes, when no CJK font can be found at all."""

from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from forecast import plots  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_font_lookup():
    plots.cjk_font.cache_clear()
    yield
    plots.cjk_font.cache_clear()


def draw(title: str, ylabel: str) -> list[str]:
    """Render a figure to PNG; the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, 1, 2])
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    return [str(w.message) for w in caught]


def test_chinese_labels_draw_with_the_packaged_font():
    assert plots.setup() is True
    assert plots.unit_label("highway_exit_vehicles") == "万辆"
    assert plots.unit_label("rail_passengers") == "万人次"
    messages = draw(f"{plots.region_label('jiangxi')} {plots.metric_label('highway_exit_vehicles')}",
                    plots.unit_label("highway_exit_vehicles"))
    assert not [m for m in messages if "Glyph" in m or "missing from" in m], messages


def test_without_any_cjk_font_labels_are_ascii(monkeypatch):
    # the font lookup reads these where it lives, forecast/plots/labels.py
    monkeypatch.setattr(plots.labels, "CJK_FONTS", ())
    monkeypatch.setattr(plots.labels, "PACKAGED_CJK_FONT", ("no_such_font_package", "fonts/none.otf"))
    assert plots.cjk_font() is None
    assert plots.unit_label("highway_exit_vehicles") == "10k vehicles (wan liang)"
    assert plots.metric_label("highway_exit_vehicles") == "highway exit vehicles"
