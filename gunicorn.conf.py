"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

The UI mostly waits on Kratos, so each worker process runs threads: a few
processes for the cores, threads for the waiting.
"""

import os

from app import logs
from app.config import ConfigError, Settings

wsgi_app = "app.wsgi:app"
bind = os.environ.get("BIND", "0.0.0.0:4455")
# One process per CPU this process may run on: sched_getaffinity sees a container's cpuset, where
# cpu_count is the host's cores. At most 4: more replicas scale further than more processes. A CPU
# quota (docker --cpus, a Kubernetes limit) is not a cpuset: set WEB_CONCURRENCY, which overrides.
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
workers = int(os.environ.get("WEB_CONCURRENCY", min(_cpus, 4)))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "8"))
# Load the app once in the master: a bad setting fails there, in one line,
# and the workers share its memory.
preload_app = True
keepalive = 5
timeout = 30
graceful_timeout = 10
# The app's logging (app/logs.py) for gunicorn too: timestamp, level, logger,
# request id and client IP on every line, as text or JSON (LOG_FORMAT).
try:
    _settings = Settings.from_env()
    logconfig_dict = logs.config_dict(_settings.log_format, _settings.log_level)
except ConfigError:
    logconfig_dict = logs.config_dict()  # the preloaded app stops start-up naming the bad setting
# The path only: query strings can hold flow ids, codes or tokens. The request id
# (the response's X-Request-ID) and the client IP (REMOTE_ADDR, as ProxyFix
# resolved it from TRUSTED_PROXIES) are fields of every line, added by app/logs.py.
access_log_format = logs.ACCESS_FORMAT
