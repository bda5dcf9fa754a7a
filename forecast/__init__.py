"""chunyun: forecasting the Spring Festival travel rush (春运).

The library every front end (CLI, API, notebooks) calls. One data shape everywhere:
long frames with columns ``unique_id`` (``region/metric``), ``ds`` (a date) and ``y`` (a count in base units).
"""

__version__ = "0.1.0"
