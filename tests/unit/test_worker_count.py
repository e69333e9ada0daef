"""The production server's worker count follows the CPUs the process may use, not the host's cores."""

from __future__ import annotations

import os

import pytest

from app.serve import worker_count


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
