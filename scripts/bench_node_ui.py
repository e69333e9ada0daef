"""This UI and Ory's Node UI (kratos-selfservice-ui-node) side by side, on one Kratos.

    python scripts/bench_node_ui.py /path/to/kratos-selfservice-ui-node [--rounds R] [--requests N]

The checkout must be built (`npm ci && npm run build`, which writes lib/); it is run with node
as its Dockerfile runs it, NODE_ENV unset unless NODE_UI_ENV=production is given (Express then
caches its compiled views). Kratos (in-memory SQLite, bcrypt cost 4), the mail sink and this UI
under its production server start as for `make bench`; both UIs then serve the same login flow
page and the same signed-in settings page to `hey`, at concurrency 1 and 16, the UIs alternating
within each round. CPU per request is each UI's processes' utime + stime from /proc, as in
`make bench`; Kratos's beside it. Prints medians over the rounds; every load goes to loopback only.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import Result, Target, cpu_seconds, make_flow, make_user
from stack import NO_RATE_LIMITS, Ports, Stack, free_port

PAGES = ("login", "settings")


def start_node_ui(checkout: Path, kratos_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "ORY_SDK_URL": kratos_url,
        "PORT": str(port),
        "COOKIE_SECRET": os.urandom(16).hex(),
        "CSRF_COOKIE_NAME": "node_ui_csrf",
        "CSRF_COOKIE_SECRET": os.urandom(16).hex(),
        "DANGEROUSLY_DISABLE_SECURE_CSRF_COOKIES": "true",  # plain http on loopback
    }
    env.pop("NODE_ENV", None)
    if os.environ.get("NODE_UI_ENV"):
        env["NODE_ENV"] = os.environ["NODE_UI_ENV"]
    process = subprocess.Popen(
        ["node", "lib/index.js"], cwd=checkout, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit(f"bench_node_ui: the Node UI did not listen within 30 s; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000, help="per run at concurrency 16 (a third at 1)")
    args = parser.parse_args()
    if not (args.checkout / "lib" / "index.js").is_file():
        sys.exit(f"bench_node_ui: no {args.checkout}/lib/index.js: run `npm ci && npm run build` there first")
    workdir = Path(tempfile.mkdtemp(prefix="bench-node-ui-"))
    stack = Stack(
        workdir=workdir / "stack",
        ports=Ports.free(),
        server="production",
        ui_env=NO_RATE_LIMITS,
        kratos_env={"HASHERS_BCRYPT_COST": "4"},
    ).start()
    node = None
    try:
        node, node_url = start_node_ui(args.checkout, stack.public_url, workdir / "node-ui.log")
        cookie = make_user(stack)
        flows = {"login": make_flow(stack, "login"), "settings": make_flow(stack, "settings", cookie)}
        uis = {"this UI": (stack.ui_url, stack.procs["ui"].pid), "Node UI": (node_url, node.pid)}
        kratos_pid = stack.procs["kratos"].pid
        runs: dict[tuple[str, str, int], list[tuple[float, float, float, float, int]]] = {}
        for _ in range(args.rounds):
            for page in PAGES:
                flow_id, flow_cookie = flows[page]
                for ui, (url, pid) in uis.items():
                    target = Target(f"{url}/{page}?flow={flow_id}", {"Cookie": flow_cookie})
                    for concurrency in (1, 16):
                        target.run(Result(page, concurrency), 200)  # warm: Node's JIT, both UIs' pools
                        result = Result(page, concurrency)
                        before = cpu_seconds(pid), cpu_seconds(kratos_pid)
                        target.run(result, args.requests if concurrency == 16 else args.requests // 3)
                        ui_cpu, kratos_cpu = cpu_seconds(pid) - before[0], cpu_seconds(kratos_pid) - before[1]
                        runs.setdefault((page, ui, concurrency), []).append(
                            (
                                result.rps,
                                result.pct(50),
                                ui_cpu / result.requests * 1000,
                                kratos_cpu / result.requests * 1000,
                                result.errors,
                            )
                        )
        node_env = os.environ.get("NODE_UI_ENV") or "unset, as its Dockerfile runs it"
        print(f"\nMedians of {args.rounds} rounds; the Node UI's NODE_ENV: {node_env}.\n")
        print("| page | UI | concurrency | req/s | p50 ms | UI CPU ms/req | Kratos CPU ms/req | errors |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for (page, ui, concurrency), values in runs.items():
            rps, p50, ui_ms, kratos_ms, _ = (statistics.median(v[i] for v in values) for i in range(5))
            errors = sum(v[4] for v in values)
            cells = (page, ui, concurrency, f"{rps:.0f}", f"{p50:.1f}", f"{ui_ms:.2f}", f"{kratos_ms:.2f}", errors)
            print("| " + " | ".join(str(cell) for cell in cells) + " |")
        for page in PAGES:
            ours, theirs = (statistics.median(v[0] for v in runs[(page, ui, 16)]) for ui in uis)
            # Within a round the two UIs ran one after the other: how far the ratio moves from round
            # to round shows how much the machine's load moved it.
            rounds = ", ".join(f"{a[0] / b[0]:.2f}" for a, b in zip(*(runs[(page, ui, 16)] for ui in uis), strict=True))
            print(
                f"\n{page}, concurrency 16: this UI serves {ours / theirs:.2f}× the Node UI's requests per second"
                f" (round by round: {rounds})"
            )
    finally:
        if node is not None:
            node.terminate()
        stack.stop()


if __name__ == "__main__":
    main()
