"""The production server's settings (app/serve.py): workers follow the CPUs the process may use,
not the host's cores; BIND, THREADS and WEB_CONCURRENCY are read strictly, a bad one named."""

from __future__ import annotations

import os

import pytest

from app import ConfigError
from app.serve import bind_address, worker_count


def workers(monkeypatch, cpus: int, host_cores: int = 64) -> int:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: host_cores)
    return worker_count()


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)


def test_a_container_pinned_to_two_cpus_of_a_large_host_runs_two_workers(monkeypatch):
    assert workers(monkeypatch, cpus=2) == 2


def test_many_usable_cpus_are_capped_at_four_workers(monkeypatch):
    assert workers(monkeypatch, cpus=64) == 4


def test_web_concurrency_overrides(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "9")
    assert workers(monkeypatch, cpus=2) == 9


@pytest.mark.parametrize(
    "bind, address",
    [
        ("0.0.0.0:4455", ("0.0.0.0", 4455)),
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        (":4455", ("0.0.0.0", 4455)),
        ("[::]:4455", ("::", 4455)),
        ("[::1]:8000", ("::1", 8000)),
    ],
)
def test_bind_takes_host_and_port(bind, address):
    assert bind_address(bind) == address


@pytest.mark.parametrize("bind", ["localhost", "::1", "[::1]", "unix:/run/ui.sock", "host:0", "host:65536", "a:b:80"])
def test_a_bind_that_is_not_host_and_port_is_named(bind):
    with pytest.raises(ConfigError) as raised:
        bind_address(bind)
    assert str(raised.value) == f"BIND={bind!r} is not host:port, [IPv6 address]:port or :port"


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_worker_count_that_is_not_a_number_is_named(monkeypatch, value):
    monkeypatch.setenv("WEB_CONCURRENCY", value)
    with pytest.raises(ConfigError) as raised:
        worker_count()
    assert str(raised.value) == f"WEB_CONCURRENCY={value!r} is not a whole number of at least 1"
