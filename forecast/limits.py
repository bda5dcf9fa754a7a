"""How much one call may ask for, declared once: the API's schemas, the alerts and the engine read these."""

MAX_REQUEST_DAYS = 400  # days one API request or one alert window may cover
MAX_FORECAST_DAYS = 800  # days one live forecast call may cover (`chunyun alerts --cutoff` asks in chunks)
