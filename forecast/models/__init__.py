"""Daily forecasters. Each follows :class:`forecast.models.base.Forecaster`:
``fit(history) -> self``, ``predict(dates, level=80, cal=OFFICIAL) -> ds, yhat, yhat_lower, yhat_upper``,
``sample_paths(dates, n, rng, cal=OFFICIAL)``, ``to_json()`` and :func:`from_json`. ``cal`` is the
calendar to predict on (:class:`forecast.models.features.Calendar`; the scenarios pass a changed one).

| name | class | what |
|---|---|---|
| ``prophet`` | :class:`~forecast.models.prophet_model.ProphetDaily` | Prophet on log y with the Chunyun calendar regressors |
| ``sm_regression`` | :class:`~forecast.models.sm_model.CalendarRegression` | ridge regression on the calendar + AR(1) errors (statsmodels SARIMAX) |
| ``hybrid`` | :class:`~forecast.models.hybrid.HybridDaily` | the regression blended with a 3-season lunar-aligned profile in the travel window |
| ``lunar_profile`` | :class:`~forecast.models.profile.LunarProfile` | the domain's seasonal naive: last normal season, lunar-aligned, times growth |
| ``lunar_real`` | :class:`~forecast.models.realshape.LunarReal` | the naive on real data: the last real season day for day on the lunar calendar |
| ``real_anchored`` | :class:`~forecast.models.realshape.RealAnchored` | the last real season warped between lunar and holiday anchors |
| ``real_blend`` | :class:`~forecast.models.realshape.RealBlend` | the anchored real season blended with the hybrid |
"""

from __future__ import annotations

import json

from forecast.errors import NotFound, Unprocessable
from forecast.models.base import JSON_VERSION, Forecaster
from forecast.models.hybrid import HybridDaily
from forecast.models.profile import LunarProfile
from forecast.models.prophet_model import ProphetDaily
from forecast.models.realshape import LunarReal, RealAnchored, RealBlend
from forecast.models.sm_model import CalendarRegression

MODELS: dict[str, type[Forecaster]] = {cls.name: cls for cls in (ProphetDaily, CalendarRegression, HybridDaily, LunarProfile,
                                                                LunarReal, RealAnchored, RealBlend)}
BASELINE = LunarProfile.name


def make(name: str, **params) -> Forecaster:
    try:
        return MODELS[name](**params)
    except KeyError:
        raise NotFound(f"unknown model {name!r}", hint=f"models: {', '.join(MODELS)}") from None


def from_json(text: str) -> Forecaster:
    """A fitted model from :meth:`Forecaster.to_json` output."""
    body = json.loads(text)
    if body.get("version") != JSON_VERSION:
        raise Unprocessable(f"model JSON version {body.get('version')} is not {JSON_VERSION}", hint="retrain with `chunyun train`")
    cls = MODELS.get(body.get("model"))
    if cls is None:
        raise NotFound(f"unknown model {body.get('model')!r}", hint=f"models: {', '.join(MODELS)}")
    return cls._from_body(body)


__all__ = ["MODELS", "BASELINE", "Forecaster", "make", "from_json", "LunarProfile", "ProphetDaily", "CalendarRegression", "HybridDaily"]
