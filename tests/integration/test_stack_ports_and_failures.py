"""The test stacks' servers never race each other, or the machine's own connections, for a port;
and a server that dies on start says why in the failure itself, not only in a log CI throws away."""

from __future__ import annotations

import socket
import sys

import pytest

from stack import Stack, StackError, free_port, outgoing_ports

# Chromium's and Firefox's refused ports at or above 1024.
BROWSERS_REFUSE = {1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, *range(6665, 6670), 6697, 10080}


def test_ports_handed_out_are_distinct_listenable_and_not_for_outgoing_connections():
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    low, high = outgoing_ports()
    assert not [port for port in ports if low <= port <= high or port < 1024 or port in BROWSERS_REFUSE]
    for port in ports[:20]:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen()


def test_a_server_that_exits_on_start_shows_the_end_of_its_log(tmp_path):
    stack = Stack(workdir=tmp_path)
    code = "import sys; print('starting'); print('listen tcp 127.0.0.1:1: bind: address already in use'); sys.exit(1)"
    stack._spawn("kratos", [sys.executable, "-c", code], {})
    stack.procs["kratos"].wait()
    with pytest.raises(StackError) as failed:
        stack.wait_http("kratos", "http://127.0.0.1:1/health/ready", timeout=5)
    assert "exited with status 1" in str(failed.value)
    assert "bind: address already in use" in str(failed.value)
