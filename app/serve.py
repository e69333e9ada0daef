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


def _count(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name}={value!r} is not a whole number of at least 1")
    return int(value)


def worker_count() -> int:
    """One process per CPU this process may run on: sched_getaffinity sees a container's cpuset,
    where cpu_count is the host's cores. At most 4: more replicas scale further than more
    processes. A CPU quota (docker --cpus, a Kubernetes limit) is not a cpuset: set
    WEB_CONCURRENCY, which overrides."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return _count("WEB_CONCURRENCY", min(cpus, 4))


def bind_address(bind: str) -> tuple[str, int]:
    """host:port, [IPv6 address]:port or :port (every address)."""
    host, colon, port = bind.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif any(c in host for c in ":[]"):
        host = "?"  # an IPv6 address without brackets: its last group would read as the port
    if not colon or host == "?" or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"BIND={bind!r} is not host:port, [IPv6 address]:port or :port")
    return host or "0.0.0.0", int(port)


def main() -> int:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    # The app is built once here first, so a bad setting stops start-up in one line before any
    # worker starts; each worker (forked from here) then builds its own from app.wsgi.
    try:
        from . import create_app

        create_app()
        settings = Settings.from_env()
        workers, threads = worker_count(), _count("THREADS", DEFAULT_THREADS)
        address, port = bind_address(os.environ.get("BIND", DEFAULT_BIND))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    Granian(
        "app.wsgi:app",
        address=address,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # Granian warns at more than 2 x cores + 1 threads; these mostly wait on Kratos. Its
        # backpressure stays at its default: it counts kept-alive connections too, and set near
        # the thread count it left requests unanswered for 20 s behind idle connections.
        blocking_threads=threads,
        websockets=False,
        # The app writes the access line itself (app/logs.py): path without query, request id.
        log_access=False,
        log_dictconfig=logs.config_dict(settings.log_format, settings.log_level),
        # granian sets its own logger's level from this, over the dictConfig's.
        log_level=LogLevels(settings.log_level.lower()),
        respawn_failed_workers=True,
        workers_kill_timeout=10,
    ).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
