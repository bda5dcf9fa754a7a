"""Toll stations: station-level highway exits of a province, fitted locally or on Spark, coherent
with the province forecast.

- :mod:`.registry`: the stations of a region (``data/stations/<region>.csv``) and station series
  ids ``region/metric/station``;
- :mod:`.sample`: the SAMPLE station exits, adding up to the province's exits on every day;
- :mod:`.model`: the station forecaster (lunar share of the province) and its peers;
- :mod:`.engines`: one pure per-station function run by a process pool or by Spark;
- :mod:`.reconcile`: stations reconciled with the province forecast (hierarchicalforecast);
- :mod:`.pipeline`: what ``chunyun train`` runs for the stations, and the station backtest;
- :mod:`.serve`: rankings, capacity load, lane plans and alerts from a run's station forecasts.
"""
