"""gunicorn settings for the chunyun API (``chunyun serve`` runs ``gunicorn -c gunicorn.conf.py``).

Address and worker count come from ``forecast.settings`` (CHUNYUN_HOST, CHUNYUN_PORT,
CHUNYUN_WORKERS); the default is 2 x cores + 1 workers, at most 8.

Worker class: gevent (``api.server.Worker``: gunicorn's gevent worker whose own 400/414/431/500
answers are problem+json and whose client sockets time out). Measured with bench/slow_clients.py
(50 connections that never finish their headers or bodies, /readyz polled meanwhile; BENCHMARKS.md):
``sync`` (5 workers) answered none of the polls (every worker blocked reading a stalled client),
``gthread`` with 8 threads x 5 workers lost the polls that found every thread of their worker
held, ``gevent`` answered every poll in milliseconds, since a stalled connection holds a greenlet,
not a worker. A request still runs on one greenlet from start to end: the app's work per request
is bounded (the ingest limits in forecast/ingest/limits.py), so no request holds its worker for long.
Stalled clients are cut off: a socket that stays silent for ``api.server.CLIENT_TIMEOUT`` (20)
seconds is closed (a body that stops arriving is answered 408); ``worker_connections`` bounds how
many a worker holds.

No keep-alive (``keepalive = 0``, as the sync workers had): with kept-alive connections a gevent
worker serves every connection it once accepted, so 16 connections spread unevenly over the 5
workers and p99 reached 0.4-2 s in bench/api_load.py; with one request per connection, an idle
worker takes the next one (the way sync workers balance), and p99 stays near sync's (BENCHMARKS.md).

The app is preloaded:
the master imports the code and builds the app with ``WARM_UP`` off, so it loads no run; each
worker loads the current run itself after the fork (``post_worker_init``), so every worker holds
its own copy (a forked copy of pyarrow's thread pools would hang a worker's exit).
"""

import os

from forecast import settings as _settings

_conf = _settings.load()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


wsgi_app = "api:create_app({'WARM_UP': False})"  # each worker loads the run after the fork (below)
chdir = os.path.dirname(os.path.abspath(__file__))  # the checkout: `api` imports from any working directory
bind = [f"{_conf['host']}:{_conf['port']}"]
workers = _conf["workers"] or min(2 * _cores() + 1, 8)
worker_class = "api.server.Worker"  # gevent; see above
worker_connections = 1000  # connections (greenlets) per worker, stalled ones included
preload_app = True
timeout = 30  # a request is answered from memory; 30 s means a stuck worker
graceful_timeout = 20
keepalive = 0  # one request per connection: requests spread over the workers (see above)
max_requests = 20_000  # recycle workers now and then (jitter spreads the restarts)
max_requests_jitter = 2_000
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("CHUNYUN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
proc_name = "chunyun-api"
forwarded_allow_ips = "127.0.0.1"
control_socket_disable = True  # no runtime control socket (several servers may share a machine)


def post_worker_init(worker):
    """Load the current run in each worker as it boots, so no request pays for it."""
    from api import warm_up

    warm_up(worker.wsgi)
