"""The models that learn the season's shape from real seasons (forecast/models/realshape.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecast import calendar
from forecast.models import from_json, make
from forecast.models.features import OFFICIAL, season_dates
from forecast.models.realshape import anchor_offsets, real_seasons


def _history(real_from: str | None = "2024-01-01", end: str = "2025-01-13") -> pd.DataFrame:
    """Daily values that encode their own date (so a template day can be read back from a forecast)."""
    ds = pd.date_range("2016-01-01", end, freq="D")
    y = 1e6 + (ds - pd.Timestamp("2016-01-01")).days.to_numpy() * 10.0
    real = ds >= pd.Timestamp(real_from) if real_from else np.zeros(len(ds), dtype=bool)
    return pd.DataFrame({"ds": ds, "y": y, "real": real})


def _template_day(value: float) -> pd.Timestamp:
    return pd.Timestamp("2016-01-01") + pd.Timedelta(days=round((value - 1e6) / 10.0))


def test_real_seasons_needs_real_rows_over_the_window():
    h = _history(real_from="2024-01-01")
    assert real_seasons(h, pd.Timestamp("2025-01-13")) == [2024]
    h.loc[h["ds"].between("2024-02-01", "2024-02-10"), "real"] = False  # 10 of 40 days sample: no longer real
    assert real_seasons(h, pd.Timestamp("2025-01-13")) == []
    assert real_seasons(h.drop(columns="real"), pd.Timestamp("2025-01-13")) == []


def test_lunar_real_copies_the_last_real_season_day_for_day():
    m = make("lunar_real").fit(_history())
    assert m.seasons_ == [2024]
    window = season_dates(2025)
    got = [_template_day(v / m.growth_) for v in m.predict(window)["yhat"]]
    assert got == list(season_dates(2024))  # 腊月十五 on 腊月十五 ... day 40 on day 40


def test_lunar_real_falls_back_to_the_last_complete_season_without_real_data():
    m = make("lunar_real").fit(_history(real_from=None))
    assert m.seasons_[-1] == 2024 and len(m.seasons_) > 1


def test_real_anchored_meets_each_anchor_on_its_kind_of_day():
    m = make("real_anchored").fit(_history())
    s25, s24 = calendar.season(2025), calendar.season(2024)
    days = pd.DatetimeIndex([s25.spring_festival, s25.holiday_end, s25.holiday_end + pd.Timedelta(days=1),
                             s25.lantern_festival, s25.chunyun_start, s25.chunyun_end])
    got = [_template_day(v / m.growth_) for v in m.predict(days)["yhat"]]
    want = [s24.spring_festival, s24.holiday_end, s24.holiday_end + pd.Timedelta(days=1), s24.lantern_festival,
            s24.chunyun_start, s24.chunyun_end]
    assert got == [pd.Timestamp(d) for d in want]
    # 2025's holiday ended on 初七, 2024's on 初八: the anchors differ by a day there, so the warp is not a shift
    assert anchor_offsets(2025)[4] == anchor_offsets(2024)[4] - 1


def test_real_anchored_reads_between_two_template_days_log_linearly():
    m = make("real_anchored").fit(_history())
    first, second, w = m._aligned(pd.DatetimeIndex([calendar.season(2025).spring_festival + pd.Timedelta(days=3)]), 2024, OFFICIAL)
    assert 0 < w[0] < 1 and (second - first).days.tolist() == [1]


def test_real_blend_is_the_hybrid_outside_the_window_and_between_inside():
    h = _history()
    blend, hybrid, anchored = make("real_blend").fit(h), make("hybrid").fit(h), make("real_anchored").fit(h)
    outside = pd.date_range("2025-06-01", periods=5)
    assert np.allclose(blend.predict(outside)["yhat"], hybrid.predict(outside)["yhat"])
    inside = season_dates(2025)
    b, y, a = (x.predict(inside)["yhat"].to_numpy() for x in (blend, hybrid, anchored))
    assert np.allclose(b, np.sqrt(y * a))


@pytest.mark.parametrize("name", ["lunar_real", "real_anchored", "real_blend"])
def test_json_round_trip_gives_the_same_forecast(name):
    m = make(name).fit(_history())
    again = from_json(m.to_json())
    days = season_dates(2025)
    assert json.loads(m.to_json())["model"] == name
    assert np.array_equal(m.predict(days)["yhat"].to_numpy(), again.predict(days)["yhat"].to_numpy())
