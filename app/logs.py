"""Logging for the app and its server: one dictConfig, a request id on every line.

Every line carries a UTC timestamp, the level, the logger's name, the request id
and the client IP ('-' outside a request), as text or, with LOG_FORMAT=json, as
one JSON object per line. Access lines are the app's own (under granian and the
development server alike) and record the path without the query string: queries
hold flow ids, codes and tokens.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, has_request_context, request

from . import current

HEADER = "X-Request-ID"
# A proxy's id is kept only when it is short and cannot forge a field or a line.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The access line's atoms: method, path without the query string, status, bytes sent, milliseconds.
ACCESS_FORMAT = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# Whose records carry those atoms as their args (the JSON lines' method, path, status, ...).
ACCESS_LOGGERS = ("app.access",)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s client_ip=%(client_ip)s %(message)s"

access_log = logging.getLogger("app.access")


def request_id() -> str:
    """This request's id ('-' outside a request): a trusted proxy's X-Request-ID, else a new one."""
    this = current.request_or_none()
    if this is None:
        return "-"
    here = current.g()
    chosen: str | None = here.get("request_id")
    if chosen is None:
        offered = this.headers.get(HEADER, "")
        trusted = current.app().config["SETTINGS"].trusted_proxies > 0
        here.request_id = chosen = offered if trusted and _SAFE_ID.fullmatch(offered) else uuid.uuid4().hex
    return chosen


def _atom(atoms: Mapping[str, Any], key: str) -> str:
    value = atoms.get(key)
    return "-" if value in (None, "") else str(value)


class RequestFields(logging.Filter):
    """Adds request_id and client_ip (after TRUSTED_PROXIES, i.e. ProxyFix's REMOTE_ADDR) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = request_id()
            record.client_ip = request.remote_addr or "-"
        else:
            record.request_id = record.client_ip = "-"
        return True


class _UTCFormatter(logging.Formatter):
    """ISO 8601 timestamps in UTC, to the millisecond."""

    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    @staticmethod
    def converter(seconds: float | None = None) -> time.struct_time:
        return time.gmtime(seconds)


class TextFormatter(_UTCFormatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class JsonFormatter(_UTCFormatter):
    """One JSON object per line. Access lines add a few chosen atoms, never the query or headers."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "client_ip": getattr(record, "client_ip", "-"),
            "message": record.getMessage(),
        }
        if record.name in ACCESS_LOGGERS and isinstance(record.args, Mapping):
            atoms = record.args
            entry.update(
                method=_atom(atoms, "m"),
                path=_atom(atoms, "U"),
                status=_int(atoms.get("s")),
                bytes=_int(atoms.get("B")),
                duration_ms=_int(atoms.get("M")),
            )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def config_dict(fmt: str = "text", level: str = "INFO") -> dict[str, Any]:
    """The one logging configuration: the server's (app/serve.py) and create_app's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestFields}},
        "formatters": {"line": {"()": JsonFormatter if fmt == "json" else TextFormatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["request"],
            }
        },
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            # granian's own lines (start-up, workers) write through the root's handler too.
            "_granian": {"level": level, "propagate": True},
            # Access lines are kept whatever LOG_LEVEL says.
            "app.access": {"level": "INFO"},
            # The development server's request line shows query strings; the app writes its own.
            "werkzeug": {"level": "WARNING"},
        },
    }


def init_app(app: Flask) -> None:
    """Configure logging from the app's settings and give every request its id.

    Call before any other before_request hook, so their log lines carry the id.
    """
    settings = app.config["SETTINGS"]
    logging.config.dictConfig(config_dict(settings.log_format, settings.log_level))
    logging.captureWarnings(True)
    app.before_request(_start)
    # Registered first, so it runs last: the access line sees the final response.
    app.after_request(_finish)


def _start() -> None:
    request_id()
    current.g().request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    if current.app().config.get("ACCESS_LOG"):  # set by the servers' entry points (app.wsgi, python -m app)
        elapsed = time.perf_counter() - current.g().get("request_started", time.perf_counter())
        this = current.request()
        access_log.info(
            ACCESS_FORMAT,
            {
                "m": this.method,
                "U": this.path,
                "s": response.status_code,
                "B": "-" if response.content_length is None else response.content_length,
                "M": int(elapsed * 1000),
            },
        )
    return response
