"""A developer's exported settings and .env do not change what the test stacks run against;
only `make dev` passes the caller's environment through."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from conftest import running_stack
from stack import ROOT, Ports, Stack
from support import new_email, sign_up

# What a developer might have exported for their own Kratos, Hydra or UI.
DEVELOPER = {
    "DSN": "bogus://nowhere",
    "SERVE_PUBLIC_PORT": "1",
    "SERVE_ADMIN_PORT": "2",
    "TRUSTED_PROXIES": "3",
    "KRATOS_PUBLIC_URL": "http://127.0.0.1:1",
    "URLS_LOGIN": "http://evil.example/",
}


@pytest.fixture
def developer_env(monkeypatch):
    for name, value in DEVELOPER.items():
        monkeypatch.setenv(name, value)


def test_test_stack_environments_hold_only_what_the_stack_sets(developer_env, tmp_path):
    stack = Stack(workdir=tmp_path, ports=Ports.free(), with_hydra=True)
    kratos, ui, hydra = stack.kratos_environment(), stack.ui_environment(), stack.hydra.environment()
    assert kratos["DSN"] == "memory" and kratos["SERVE_PUBLIC_PORT"] == str(stack.ports.public)
    assert hydra["DSN"] == "memory" and hydra["SERVE_PUBLIC_PORT"] == str(stack.ports.hydra_public)
    assert hydra["URLS_LOGIN"] == stack.ui_url + "/login"
    assert ui["KRATOS_PUBLIC_URL"] == stack.public_url_internal
    for env in (kratos, ui, hydra):
        assert "TRUSTED_PROXIES" not in env
    assert ui["PYTHON_DOTENV_DISABLED"] == "1"
    assert ui["PATH"]  # the basics still pass


def test_make_dev_passes_the_callers_environment_to_kratos_and_the_ui_only(developer_env, tmp_path):
    stack = Stack(workdir=tmp_path, ports=Ports.free(), with_hydra=True, inherit_env=True)
    assert stack.kratos_environment()["DSN"] == "bogus://nowhere"
    assert stack.ui_environment()["TRUSTED_PROXIES"] == "3"
    assert "PYTHON_DOTENV_DISABLED" not in stack.ui_environment()
    # Hydra's settings share Kratos's names (DSN, SERVE_PUBLIC_PORT): it never takes the caller's.
    assert stack.hydra.environment()["DSN"] == "memory"
    assert stack.hydra.environment()["URLS_LOGIN"] == stack.ui_url + "/login"


def trusted_proxies_read_by_the_ui(env: dict, dotenv_dir) -> str:
    """TRUSTED_PROXIES as create_app sees it with `env`, when its .env is the one in dotenv_dir."""
    code = (
        "import sys, pathlib, app; app.ROOT = pathlib.Path(sys.argv[1]); "
        "print(app.create_app().config['SETTINGS'].trusted_proxies)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(dotenv_dir)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_test_stacks_ui_reads_no_dotenv(tmp_path):
    (tmp_path / ".env").write_text("TRUSTED_PROXIES=3\n")
    env = Stack(workdir=tmp_path, ports=Ports.free()).ui_environment()
    assert trusted_proxies_read_by_the_ui(env, tmp_path) == "0"
    # The probe does see a .env when allowed to, so the "0" above means something.
    assert (
        trusted_proxies_read_by_the_ui({k: v for k, v in env.items() if k != "PYTHON_DOTENV_DISABLED"}, tmp_path) == "3"
    )


def test_a_stack_starts_and_serves_despite_a_developers_exports(developer_env, tmp_path_factory, kratos_bin, hydra_bin):
    with running_stack(tmp_path_factory, "isolated", with_hydra=True) as stack:
        email = new_email()
        client, _ = sign_up(stack, email)
        assert f"Signed in as {email}" in client.get(stack.ui_url + "/").text
        assert requests.get(stack.hydra.admin_url + "/health/ready", timeout=5).status_code == 200
        # The UI trusts no proxy: a forged X-Forwarded-Host does not become the host it sends you back to.
        answer = requests.get(
            stack.ui_url + "/settings", headers={"X-Forwarded-Host": "evil.example"}, allow_redirects=False, timeout=10
        )
        assert answer.status_code == 303
        assert parse_qs(urlsplit(answer.headers["Location"]).query)["return_to"] == [stack.ui_url + "/settings"]
