# The forecasting service: gunicorn serving the API from a run trained at build time on the
# embedded SAMPLE. Real data is ingested into the volume at /app/var (POST /v1/observations
# or `chunyun ingest`), then retrained (POST /v1/runs or `chunyun train`).
#
#   docker build -t chunyun .
#   docker run --rm -p 8000:8000 -v chunyun-var:/app/var chunyun
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    CHUNYUN_HOST=0.0.0.0 \
    CHUNYUN_PORT=8000 \
    CHUNYUN_VAR_DIR=/app/var

WORKDIR /app
RUN useradd --create-home --uid 10001 chunyun

# Editable install: forecast.settings finds data/ next to the package, as in a checkout.
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY forecast ./forecast
COPY api ./api
COPY data ./data
# prepare runs as root and fills MPLCONFIGDIR (matplotlib's font cache): hand it to the user too.
RUN pip install --no-cache-dir -e . \
    && chunyun prepare \
    && mkdir -p /tmp/matplotlib \
    && chown -R chunyun:chunyun /app/var /tmp/matplotlib

USER 10001
EXPOSE 8000
VOLUME ["/app/var"]
# The check follows CHUNYUN_PORT, so a container started on another port still reports healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CHUNYUN_PORT', '8000') + '/healthz', timeout=4)"]
# gunicorn.conf.py names the app (wsgi_app = "api:create_app()"), the address and the workers.
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
