"""One blueprint per resource; each view validates, calls one function and formats."""

from api.blueprints import (
    alerts,
    backtests,
    forecasts,
    observations,
    page,
    runs,
    seasons,
    series,
    service,
    stations,
)

ALL = (service.bp, series.bp, forecasts.bp, seasons.bp, alerts.bp, stations.bp, backtests.bp, runs.bp, observations.bp, page.bp)
