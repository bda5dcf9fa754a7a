"""One blueprint per resource; each view validates, calls one function and formats."""

from api.blueprints import (
    alerts,
    backtests,
    forecasts,
    loads,
    observations,
    page,
    runs,
    scorecard,
    seasons,
    series,
    service,
    stations,
)

ALL = (service.bp, series.bp, forecasts.bp, seasons.bp, alerts.bp, stations.bp, backtests.bp, scorecard.bp, runs.bp,
       observations.bp, loads.bp, page.bp)
