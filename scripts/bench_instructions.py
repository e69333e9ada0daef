"""Instructions per page (valgrind's cachegrind): the UI's own work, free of the machine's noise.

On a shared machine the CPU milliseconds of the same code move by a quarter from one run to the
next (other tenants, caches), so two versions of the code compare badly by them. The count of
instructions a page takes barely moves. cachegrind counts them in a process that serves the page
WARM + N times in-process (Flask's test client, against the bench's live Kratos) and in one that
serves it WARM times; the difference over N is one page. It counts the app and its libraries in
user space, the HTTP calls to Kratos included; not the production server's own work (granian),
nor the kernel's.

    python scripts/bench_instructions.py PATH   (the driver valgrind runs; env: the stack's, COOKIE, N)
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit

from stack import ROOT, Stack

WARM = 20  # templates compiled, connections open, catalogs read
PAGES_SERVED = 30
VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _run(stack: Stack, path: str, cookie: str, n: int, tool: tuple = ()) -> None:
    subprocess.run(
        [*tool, sys.executable, __file__, path],
        # One hash seed for every count: string hashing decides the order of sets and dicts.
        env={**stack.ui_environment(), "COOKIE": cookie, "N": str(n), "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=600,
    )


def _refs(stack: Stack, path: str, cookie: str, n: int) -> int:
    with tempfile.NamedTemporaryFile("r", suffix=".valgrind") as log:
        _run(stack, path, cookie, n, (*VALGRIND, f"--log-file={log.name}"))
        found = _REFS.search(log.read())
    if found is None:
        raise RuntimeError(f"cachegrind printed no instruction count for {path}")
    return int(found.group(1).replace(",", ""))


def per_page(stack: Stack, path: str, cookie: str = "") -> float:
    """Instructions to serve `path` once, in millions."""
    # Once without counting first: whichever count ran first used to compile the modules changed
    # since their bytecode was written (~1.3 M a login page, 7.7 M against 6.5 M, after an edit).
    _run(stack, path, cookie, 0)
    return (_refs(stack, path, cookie, PAGES_SERVED) - _refs(stack, path, cookie, 0)) / PAGES_SERVED / 1e6


def _drive(path: str) -> None:
    sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app()
    app.config["ACCESS_LOG"] = True  # as under the production server
    ui = os.environ["UI_URL"]
    client = app.test_client()
    for pair in filter(None, os.environ["COOKIE"].split("; ")):
        name, value = pair.split("=", 1)
        client.set_cookie(name, value, domain=str(urlsplit(ui).hostname))

    def serve(times: int) -> None:
        for _ in range(times):
            status = client.get(path, base_url=ui).status_code
            if status != 200:
                raise SystemExit(f"{path} answered {status}")

    serve(WARM)
    # What lives now stays out of later full collections: whether one falls within the N pages
    # or not would otherwise swing the count by a million instructions a page.
    gc.collect()
    gc.freeze()
    serve(int(os.environ["N"]))


if __name__ == "__main__":
    _drive(sys.argv[1])
