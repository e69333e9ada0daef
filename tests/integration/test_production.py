"""The production server: python -m app.serve (granian), health endpoints, config errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from conftest import running_stack
from stack import ROOT
from support import log_lines, new_email, sign_up


@pytest.fixture
def production(tmp_path_factory, kratos_bin):
    with running_stack(tmp_path_factory, "production", server="production") as stack:
        yield stack


def test_the_production_server_serves_the_journeys_and_reports_health(production):
    email = new_email()
    client, _ = sign_up(production, email)
    assert f"Signed in as {email}" in client.get(production.ui_url + "/").text
    assert requests.get(production.ui_url + "/health/alive").json() == {"status": "ok"}
    assert requests.get(production.ui_url + "/health/ready").json() == {"status": "ok"}

    production.stop_process("kratos")
    ready = requests.get(production.ui_url + "/health/ready")
    assert ready.status_code == 503 and ready.json()["kratos"] == "unreachable"
    assert requests.get(production.ui_url + "/health/alive").status_code == 200

    log = (production.workdir / "ui.log").read_text()
    assert '"GET /health/ready" 503' in log  # access log: method, path, status
    assert "flow=" not in log  # query strings are never logged
    # Kratos's failure is logged with its level, logger and the request's id.
    failures = [line for line in log_lines(production.workdir / "ui.log", "text") if line["logger"] == "app.kratos"]
    assert [(f["level"], f["request_id"], f["message"]) for f in failures] == [
        ("WARNING", ready.headers["X-Request-ID"], "kratos GET /health/ready failed: ConnectionError")
    ]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"KRATOS_TIMEOUT": "soon"}, "KRATOS_TIMEOUT='soon' is not a number of seconds"),
        ({"BIND": "localhost"}, "BIND='localhost' is not host:port, [IPv6 address]:port or :port"),
        ({"THREADS": "many"}, "THREADS='many' is not a whole number of at least 1"),
    ],
)
def test_the_production_server_refuses_a_bad_setting_in_one_line(env, message):
    proc = subprocess.run(
        [sys.executable, "-m", "app.serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "PATH": "", "PYTHON_DOTENV_DISABLED": "1"},
    )
    assert proc.returncode != 0
    assert f"configuration error: {message}" in proc.stderr
    assert "Traceback" not in proc.stderr
