"""`make dev KRATOS_DB=postgres`: Kratos on a PostgreSQL cluster of its own under the data directory."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import requests

from formclient import FormClient
from integration.test_resilience import dev_env, wait_for
from stack import ROOT, Ports, Postgres, free_port, port_in_use, postgres_bindir
from support import new_email, require, sign_in, sign_up


def run_dev(tmp_path: Path, ports: Ports, postgres_port: str) -> subprocess.Popen:
    env = dev_env(tmp_path, ports, KRATOS_DB="postgres", POSTGRES_PORT=postgres_port)
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "dev.py")],
        cwd=ROOT,
        text=True,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_for(f"http://127.0.0.1:{ports.ui}/", proc)
    return proc


def stop_dev(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


def test_dev_on_postgres_keeps_accounts_across_restarts_and_stops_its_cluster(tmp_path, kratos_bin, hydra_bin):
    require(postgres_bindir() is not None, "PostgreSQL (Debian's postgresql package)")
    ports, postgres_port = Ports.free(), str(free_port())
    email = new_email()
    proc = run_dev(tmp_path, ports, postgres_port)
    try:
        stack = SimpleNamespace(ui_url=f"http://127.0.0.1:{ports.ui}")  # all the journey helpers need
        _, page = sign_up(stack, email)
        assert page.status == 200
        assert (tmp_path / "postgres" / "PG_VERSION").exists() and not (tmp_path / "kratos.sqlite").exists()
        stop_dev(proc)
        assert not port_in_use(int(postgres_port)), "PostgreSQL still running after make dev stopped"

        proc = run_dev(tmp_path, ports, postgres_port)  # the same cluster, migrated again: a no-op
        assert f"Signed in as {email}" in sign_in(FormClient(), stack, email).text
        identities = requests.get(f"http://127.0.0.1:{ports.admin}/admin/identities", timeout=10).json()
        assert [i["traits"]["email"] for i in identities] == [email]
        stop_dev(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            Postgres(tmp_path / "postgres", port=int(postgres_port)).stop()  # a killed make dev leaves it
    assert not port_in_use(int(postgres_port))
