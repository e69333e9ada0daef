"""The production server: `python -m app.serve` (what the Dockerfile runs).

Granian (Rust HTTP, WSGI threads): on this UI's pages it spends about a third of a millisecond
less CPU per request than gunicorn's gthread workers did, and answers sooner under load
(docs/benchmarks.md; the README says how it was measured). Each worker process runs a few
threads, because the UI mostly waits on Kratos.

Settings (environment):
  BIND              host:port to listen on (default 0.0.0.0:4455)
  WEB_CONCURRENCY   worker processes (default: the CPUs this process may run on, at most 4)
  THREADS           threads per worker: requests each worker works on at once (default 8)
"""

from __future__ import annotations

import os
import sys

from . import ConfigError, logs
from .config import Settings

DEFAULT_BIND = "0.0.0.0:4455"
DEFAULT_THREADS = 8


def worker_count() -> int:
    """One process per CPU this process may run on: sched_getaffinity sees a container's cpuset,
    where cpu_count is the host's cores. At most 4: more replicas scale further than more
    processes. A CPU quota (docker --cpus, a Kubernetes limit) is not a cpuset: set
    WEB_CONCURRENCY, which overrides."""
    if os.environ.get("WEB_CONCURRENCY"):
        return int(os.environ["WEB_CONCURRENCY"])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return min(cpus, 4)


def bind_address(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def main() -> int:
    from granian import Granian
    from granian.constants import Interfaces

    # The app is built once here first: a bad setting stops start-up in one line, before any
    # worker starts. The workers are forked from this process and share what it loaded.
    try:
        from . import create_app

        create_app()
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    threads = int(os.environ.get("THREADS", DEFAULT_THREADS))
    address, port = bind_address(os.environ.get("BIND", DEFAULT_BIND))
    Granian(
        "app.wsgi:app",
        address=address,
        port=port,
        interface=Interfaces.WSGI,
        workers=worker_count(),
        # Granian warns at more than 2 x cores + 1 threads; these mostly wait on Kratos. Its
        # backpressure stays at its default: it counts kept-alive connections too, and set near
        # the thread count it left requests unanswered for 20 s behind idle connections.
        blocking_threads=threads,
        websockets=False,
        # The app writes the access line itself (app/logs.py): path without query, request id.
        log_access=False,
        log_dictconfig=logs.config_dict(settings.log_format, settings.log_level),
        respawn_failed_workers=True,
        workers_kill_timeout=10,
    ).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
