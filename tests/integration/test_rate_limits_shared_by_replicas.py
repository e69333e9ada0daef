"""Two UI processes counting in one Redis (RATE_LIMIT_STORAGE_URI=redis://): attempts spread over
both replicas add up, so a second replica is no way around the limit."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
import redis

from conftest import running_stack
from stack import free_port
from support import kratos_requests, require, returning_user

LIMIT = 4


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server (Debian's redis-server package)")
    port, workdir = free_port(), tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                proc.poll()
                assert proc.returncode is None, "redis-server exited"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory, kratos_bin, redis_url):
    """The stack's UI and a second UI process on another port, sharing the Redis store."""
    env = {"RATE_LIMIT_STORAGE_URI": redis_url, "RATE_LIMIT_SIGN_IN": f"{LIMIT} per 10 minutes"}
    with running_stack(tmp_path_factory, "replicas-redis", ui_env=env) as stack:
        port = free_port()
        stack._spawn("ui-2", [sys.executable, "-m", "app", "--port", str(port)], stack.ui_environment())
        stack.wait_port("ui-2", port, 30)
        yield stack, f"http://127.0.0.1:{port}"


def test_attempts_on_both_replicas_add_up_to_one_limit(two_replicas):
    stack, second = two_replicas
    client, email = returning_user(stack)
    page = client.get(stack.ui_url + "/login")
    statuses = []
    for attempt in range(LIMIT + 1):
        replica = stack.ui_url if attempt % 2 == 0 else second
        form = page.form("Sign in")
        typed = {"identifier": email, "password": f"wrong-Password-{attempt}"}
        data = [(n, typed.pop(n, v)) for n, v in form.fields] + list(typed.items()) + [("method", "password")]
        answer = client.http.post(replica + form.action, data=data, allow_redirects=False, timeout=10)
        statuses.append(answer.status_code)
    before_last = kratos_requests(stack, "POST", "/self-service/login")
    assert statuses == [400] * LIMIT + [429], statuses
    assert answer.headers["Retry-After"].isdigit()
    # The refused attempt never reached Kratos.
    assert kratos_requests(stack, "POST", "/self-service/login") == before_last == LIMIT
