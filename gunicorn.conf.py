"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

The UI mostly waits on Kratos, so each worker process runs threads: a few
processes for the cores, threads for the waiting.
"""

import os

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
accesslog = "-"
# The path only: query strings can hold flow ids, codes or tokens.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
