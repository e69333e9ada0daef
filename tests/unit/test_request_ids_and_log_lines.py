"""Every log line says when, how bad, who and for which request; request ids
come from a trusted proxy or are made here, and travel to Kratos and back."""

from __future__ import annotations

import dataclasses
import gc
import io
import json
import logging
import re
import runpy

import pytest
import requests

from app import create_app, logs
from app.config import ConfigError, Settings
from unit.conftest import KRATOS, UI

TEXT_LINE = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (INFO|WARNING|ERROR) (\S+) "
    r"request_id=(\S+) client_ip=(\S+) (.*)"
)
GENERATED = re.compile(r"[0-9a-f]{32}")


def app_with(settings, **changes):
    application = create_app(dataclasses.replace(settings, **changes))
    application.config["TESTING"] = True
    return application


def log_output() -> io.StringIO:
    """Where the configured handler writes from now on (pytest holds stderr)."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, logs.RequestFields) for f in h.filters))
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


def fields(line: str, fmt: str) -> dict:
    if fmt == "json":
        return json.loads(line)
    match = TEXT_LINE.fullmatch(line)
    assert match, line
    time, level, logger, request_id, client_ip, message = match.groups()
    return {
        "time": time,
        "level": level,
        "logger": logger,
        "request_id": request_id,
        "client_ip": client_ip,
        "message": message,
    }


def test_without_a_trusted_proxy_each_response_gets_a_new_id_whatever_the_client_sends(client):
    first = client.get("/health/alive", headers={"X-Request-ID": "chosen-by-client"})
    second = client.get("/health/alive")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(GENERATED.fullmatch(i) for i in ids) and ids[0] != ids[1]


def test_a_trusted_proxys_request_id_is_kept(settings):
    resp = (
        app_with(settings, trusted_proxies=1)
        .test_client()
        .get("/health/alive", headers={"X-Request-ID": "edge-7f3a:01.B_c"})
    )
    assert resp.headers["X-Request-ID"] == "edge-7f3a:01.B_c"


@pytest.mark.parametrize("offered", ["a" * 65, "two words", 'say"hi', "x=1;y", "ünicode", ""])
def test_a_malformed_request_id_from_a_trusted_proxy_is_replaced(settings, offered):
    resp = app_with(settings, trusted_proxies=1).test_client().get("/health/alive", headers={"X-Request-ID": offered})
    assert GENERATED.fullmatch(resp.headers["X-Request-ID"])


def test_every_kratos_call_of_a_request_carries_its_id(signed_in, kratos):
    kratos.answer("GET", "/sessions", "sessions_list")
    resp = signed_in.get("/sessions")
    assert resp.status_code == 200 and len(kratos.calls) == 2  # whoami, then the list
    assert [c.request.headers["X-Request-ID"] for c in kratos.calls] == [resp.headers["X-Request-ID"]] * 2


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_kratos_failure_is_logged_with_time_level_logger_request_id_and_client_ip(settings, kratos, fmt):
    app = app_with(settings, trusted_proxies=1, log_format=fmt)
    out = log_output()
    kratos.add("GET", KRATOS + "/sessions/whoami", body=requests.ConnectionError())
    client = app.test_client()
    client.set_cookie("ory_kratos_session", "opaque-session-value", domain="127.0.0.1")
    resp = client.get(
        "/",
        base_url=UI,
        headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "proxy-id-1"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert resp.status_code == 503
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    line = fields(lines[0], fmt)
    assert line["level"] == "WARNING" and line["logger"] == "app.kratos"
    assert line["request_id"] == "proxy-id-1" and line["client_ip"] == "203.0.113.9"
    assert line["message"] == "kratos GET /sessions/whoami failed: ConnectionError"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert "opaque-session-value" not in out.getvalue()


def test_a_line_outside_any_request_has_dashes_for_request_and_client(app):
    out = log_output()
    logging.getLogger("app.kratos").warning("kratos admin IdentityApi.extend_session failed: Timeout")
    line = fields(out.getvalue().rstrip("\n"), "text")
    assert (line["request_id"], line["client_ip"], line["logger"]) == ("-", "-", "app.kratos")


def test_a_json_exception_stays_on_one_line(settings):
    app_with(settings, log_format="json")
    out = log_output()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("app").exception("while rendering")
    (line,) = out.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "while rendering" and "ValueError: boom" in entry["exception"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_production_access_line_has_the_path_the_proxys_request_id_and_the_resolved_ip(monkeypatch, fmt):
    for name, value in {"KRATOS_PUBLIC_URL": KRATOS, "UI_URL": UI, "TRUSTED_PROXIES": "1", "LOG_FORMAT": fmt}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # a worker's, not this test process's
    production = runpy.run_module("app.wsgi")["app"]  # what app/serve.py's workers load
    out = log_output()
    production.test_client().get(
        "/health/alive?flow=secret-flow",
        base_url=UI,
        headers={"X-Request-ID": "abc123", "X-Forwarded-For": "203.0.113.9"},
    )
    (raw,) = out.getvalue().splitlines()
    line = fields(raw, fmt)
    assert line["logger"] == "app.access" and line["level"] == "INFO"
    assert (line["request_id"], line["client_ip"]) == ("abc123", "203.0.113.9")
    assert re.fullmatch(r'"GET /health/alive" 200 \d+ \d+ms', line["message"])
    assert "secret-flow" not in raw
    if fmt == "json":
        assert (line["method"], line["path"], line["status"]) == ("GET", "/health/alive", 200)


def test_the_development_servers_access_line_leaves_out_the_query(app, client):
    app.config["ACCESS_LOG"] = True
    out = log_output()
    resp = client.get("/health/alive?flow=secret-flow", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    line = fields(out.getvalue().rstrip("\n"), "text")
    assert line["logger"] == "app.access" and line["message"].startswith('"GET /health/alive" 200 ')
    assert (line["request_id"], line["client_ip"]) == (resp.headers["X-Request-ID"], "198.51.100.4")
    assert "secret-flow" not in out.getvalue()


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not one of text, json"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL='loud' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ],
)
def test_a_bad_log_setting_is_named_in_one_line(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        Settings.from_env()
    assert str(raised.value) == message


def test_log_settings_are_read_in_any_case(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = Settings.from_env()
    assert (settings.log_format, settings.log_level) == ("json", "WARNING")
