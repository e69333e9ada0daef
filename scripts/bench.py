"""`make bench`: how much the UI adds on top of Kratos, measured.

Starts Kratos (fresh in-memory SQLite), the mail sink and the UI under gunicorn
(gunicorn.conf.py) on free ports, creates a user and flows, then runs each
scenario at concurrency 1 and 16 and prints a table; also writes it to
docs/benchmarks.md. Every load is bounded in count and sent only to loopback.

    python scripts/bench.py [--quick] [--profile] [--no-write]

  A  GET /login?flow=ID through the UI          B  the same flow straight from Kratos
  C  GET / signed in (whoami + render)          D  /sessions/whoami straight from Kratos
  E  GET / anonymous, no cookies                F  a full sign-in: fetch the form, submit it
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from stack import LOOPBACK_CROWD, ROOT, Ports, Stack, kratos_version

EMAIL = "bench@example.com"
PASSWORD = "a-Bench-passw0rd"
JSON = {"Accept": "application/json"}
CONCURRENCY = (1, 16)


@dataclass
class Result:
    name: str
    concurrency: int
    latencies: list = field(default_factory=list)  # seconds
    errors: int = 0
    kratos_errors: int = 0  # errors Kratos itself logged meanwhile
    wall: float = 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


class Target:
    """GET one URL with fixed headers over a keep-alive connection per thread."""

    def __init__(self, url: str, headers: dict, expect: int = 200):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.headers, self.expect = headers, expect
        self.local = threading.local()

    def __call__(self) -> bool:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", self.path, headers=self.headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status == self.expect
        except (OSError, http.client.HTTPException):
            self.local.conn = None
            conn.close()
            return False


def load(name: str, request, concurrency: int, total: int) -> Result:
    """`total` calls of `request` spread over `concurrency` threads."""
    result = Result(name, concurrency)
    lock = threading.Lock()
    remaining = [total]

    def worker():
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            started = time.perf_counter()
            ok = request()
            took = time.perf_counter() - started
            with lock:
                result.latencies.append(took)
                result.errors += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - started
    return result


def csrf_of(flow: dict) -> str:
    return next(n["attributes"]["value"] for n in flow["ui"]["nodes"] if n["attributes"].get("name") == "csrf_token")


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def make_user(stack: Stack) -> str:
    """Register EMAIL through a browser flow; returns that browser's Cookie header (with its session)."""
    browser = requests.Session()
    flow = browser.get(stack.public_url + "/self-service/registration/browser", headers=JSON).json()
    answer = browser.post(flow["ui"]["action"], headers=JSON, data={
        "csrf_token": csrf_of(flow), "traits.email": EMAIL, "password": PASSWORD, "method": "password"})
    answer.raise_for_status()
    return cookie_header(browser)


def make_login_flow(stack: Stack) -> tuple[str, str]:
    """An anonymous browser's login flow: (flow id, Cookie header with its CSRF cookie)."""
    browser = requests.Session()
    flow = browser.get(stack.public_url + "/self-service/login/browser", headers=JSON).json()
    return flow["id"], cookie_header(browser)


class SignIn:
    """Scenario F: a new browser fetches the sign-in form through the UI and submits it."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.local = threading.local()

    def __call__(self) -> bool:
        browser = getattr(self.local, "browser", None)
        if browser is None:
            browser = self.local.browser = requests.Session()
        browser.cookies.clear()
        try:
            form = browser.get(self.stack.ui_url + "/login", timeout=30)
            action = re.search(r'<form method="post" action="([^"]+)"', form.text).group(1).replace("&amp;", "&")
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
            done = browser.post(self.stack.ui_url + action, allow_redirects=False, timeout=30, data={
                "csrf_token": fields["csrf_token"], "identifier": EMAIL, "password": PASSWORD,
                "method": "password"})
            return done.status_code == 303 and "ory_kratos_session" in browser.cookies
        except (requests.RequestException, AttributeError, KeyError):
            return False


def kratos_requests_logged(stack: Stack) -> int:
    """Requests Kratos's public API has logged as completed (its own count of calls)."""
    log = (stack.workdir / "kratos.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines()
               if "completed handling request" in line and f":{stack.ports.public} " in line)


def kratos_errors_logged(stack: Stack) -> int:
    log = (stack.workdir / "kratos.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines() if "level=error" in line and "handling a request" in line)


def kratos_calls_per_request(stack: Stack, request, n: int = 50) -> float:
    before = kratos_requests_logged(stack)
    for _ in range(n):
        request()
    time.sleep(0.5)  # let Kratos finish writing its log
    return (kratos_requests_logged(stack) - before) / n


def page_weight(url: str) -> dict:
    """Bytes of HTML, CSS and JS a new browser fetches for `url` (after its redirects), and how many requests."""
    page = requests.get(url)
    weight = {"html": len(page.content), "css": 0, "js": 0, "requests": 1}
    for ref in re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', page.text):
        weight["css" if ref.endswith(".css") else "js"] += len(requests.get(urljoin(page.url, ref)).content)
        weight["requests"] += 1
    weight["total"] = weight["html"] + weight["css"] + weight["js"]
    return weight


def worker_peak_rss(stack: Stack) -> list[float]:
    """Peak resident memory (VmHWM, MB) of each gunicorn worker process."""
    master = stack.procs["ui"].pid
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M):
            peaks.append(int(re.search(r"^VmHWM:\s+(\d+) kB", text, re.M).group(1)) / 1024)
    return sorted(peaks)


def profile_hot_path(stack: Stack, login: tuple[str, str], session_cookie: str) -> str:
    """pyinstrument over scenarios A and C, run in-process against the live Kratos."""
    from pyinstrument import Profiler

    os.environ.update({"KRATOS_PUBLIC_URL": stack.public_url, "KRATOS_ADMIN_URL": stack.admin_url,
                       "ALLOWED_RETURN_URLS": stack.ui_url})
    sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app()
    # The test client sends its own cookie jar, never a hand-set Cookie header.
    anonymous, signed_in = app.test_client(), app.test_client()
    for client, header in ((anonymous, login[1]), (signed_in, session_cookie)):
        for pair in header.split("; "):
            name, value = pair.split("=", 1)
            client.set_cookie(name, value)
    for _ in range(20):  # warm: templates compiled, connections open
        anonymous.get(f"/login?flow={login[0]}")
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(300):
            assert anonymous.get(f"/login?flow={login[0]}").status_code == 200
            assert b"Signed in as" in signed_in.get("/").data
    return profiler.output_text(unicode=False, color=False, show_all=False)


def run(quick: bool, profile: bool) -> dict:
    n_fast = 150 if quick else 600
    n_signin = 20 if quick else 80
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(workdir=Path(tmp), ports=Ports.free(), server="gunicorn",
                      kratos_env={"HASHERS_BCRYPT_COST": "4"},
                      # F signs one user in again and again.
                      ui_env={**LOOPBACK_CROWD, "RATE_LIMIT_SIGN_IN": "100000 per minute"}).start()
        try:
            session_cookie = make_user(stack)
            flow_id, csrf_cookie = make_login_flow(stack)
            scenarios = {
                "A": Target(f"{stack.ui_url}/login?flow={flow_id}", {"Cookie": csrf_cookie}),
                "B": Target(f"{stack.public_url}/self-service/login/flows?id={flow_id}",
                            {"Cookie": csrf_cookie, **JSON}),
                "C": Target(f"{stack.ui_url}/", {"Cookie": session_cookie}),
                "D": Target(f"{stack.public_url}/sessions/whoami", {"Cookie": session_cookie, **JSON}),
                "E": Target(f"{stack.ui_url}/", {}),
                "F": SignIn(stack),
            }
            calls = {name: kratos_calls_per_request(stack, scenarios[name]) for name in "ACE"}
            results = {}
            for concurrency in CONCURRENCY:
                for name, request in scenarios.items():
                    total = n_signin if name == "F" else n_fast
                    load(name, request, concurrency, max(10, total // 10))  # warm-up
                    before = kratos_errors_logged(stack)
                    results[(name, concurrency)] = result = load(name, request, concurrency, total)
                    time.sleep(0.3)
                    result.kratos_errors = kratos_errors_logged(stack) - before
                    print(f"  {name} at concurrency {concurrency}: done", file=sys.stderr, flush=True)
            return {
                "results": results, "calls": calls, "rss": worker_peak_rss(stack),
                "weights": {"login (passkey offered)": page_weight(stack.ui_url + "/login"),
                            "registration, first step": page_weight(stack.ui_url + "/registration")},
                "profile": profile_hot_path(stack, (flow_id, csrf_cookie), session_cookie) if profile else None,
            }
        finally:
            stack.stop()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, Kratos {kratos_version()}"


def floor(results: dict, kratos: str, concurrency: int) -> float:
    """The least a UI page that waits for one Kratos answer can cost, relative to that answer."""
    own, answer = results[("E", concurrency)].pct(50), results[(kratos, concurrency)].pct(50)
    return (own + answer) / answer


def report(data: dict) -> tuple[str, list[tuple[str, bool, str]]]:
    results = data["results"]
    lines = ["| scenario | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | Kratos errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    labels = {"A": "A. UI: GET /login?flow=ID", "B": "B. Kratos: GET login flow",
              "C": "C. UI: GET / signed in", "D": "D. Kratos: whoami",
              "E": "E. UI: GET / anonymous", "F": "F. UI: full sign-in"}
    for (name, concurrency), r in results.items():
        lines.append(f"| {labels[name]} | {concurrency} | {r.rps:.0f} | {r.pct(50):.2f} | {r.pct(95):.2f} | "
                     f"{r.pct(99):.2f} | {r.errors} | {r.kratos_errors} |")
    ratio = {c: (results[("A", c)].pct(50) / results[("B", c)].pct(50),
                 results[("C", c)].pct(50) / results[("D", c)].pct(50)) for c in CONCURRENCY}
    lines += ["", "| ratio of p50 | concurrency 1 | concurrency 16 |", "|---|---:|---:|",
              f"| A/B (UI flow page / Kratos flow) | {ratio[1][0]:.2f} | {ratio[16][0]:.2f} |",
              f"| C/D (UI home / Kratos whoami) | {ratio[1][1]:.2f} | {ratio[16][1]:.2f} |",
              f"| floor for A/B: (E + B) / B | {floor(results, 'B', 1):.2f} | {floor(results, 'B', 16):.2f} |",
              f"| floor for C/D: (E + D) / D | {floor(results, 'D', 1):.2f} | {floor(results, 'D', 16):.2f} |",
              "",
              "E is a UI page that calls Kratos not at all: its p50 is what serving any page through "
              "gunicorn and Flask costs here. A page that also waits for Kratos costs at least that "
              "plus Kratos's own time, so A/B and C/D cannot go below the floors above.",
              "",
              "\"errors\" are responses the load generator did not expect; \"Kratos errors\" are "
              "requests Kratos itself logged as failed meanwhile (for example SQLite's \"database table "
              "is locked\"), which the UI shows as its 502 page.",
              "", "| Kratos calls per request | A | C | E |", "|---|---:|---:|---:|",
              "| counted in Kratos's request log | " + " | ".join(f"{data['calls'][n]:.2f}" for n in "ACE") + " |",
              "", "| page | HTML bytes | CSS bytes | JS bytes | total | requests |", "|---|---:|---:|---:|---:|---:|"]
    for page, w in data["weights"].items():
        lines.append(f"| {page} | {w['html']} | {w['css']} | {w['js']} | {w['total']} | {w['requests']} |")
    rss = data["rss"]
    lines += ["", f"Peak RSS per gunicorn worker: {', '.join(f'{m:.1f} MB' for m in rss)}"]
    login, registration = data["weights"]["login (passkey offered)"], data["weights"]["registration, first step"]
    errors16 = sum(r.errors for (name, c), r in results.items() if c == 16)
    targets = [
        ("A/B p50 at concurrency 1 <= 1.25", ratio[1][0] <= 1.25, f"{ratio[1][0]:.2f}"),
        ("C/D p50 <= 1.3 (concurrency 1)", ratio[1][1] <= 1.3, f"{ratio[1][1]:.2f}"),
        ("E makes 0 Kratos calls", data["calls"]["E"] == 0, f"{data['calls']['E']:.2f}"),
        ("login page <= 25 KB in total", login["total"] <= 25 * 1024, f"{login['total'] / 1024:.1f} KB"),
        ("no JS without WebAuthn/passkey nodes", registration["js"] == 0, f"{registration['js']} bytes"),
        ("<= 80 MB RSS per worker", bool(rss) and max(rss) <= 80, f"{max(rss) if rss else 0:.1f} MB"),
        ("0 errors at concurrency 16", errors16 == 0, str(errors16)),
    ]
    lines += ["", "| target | met | measured |", "|---|---|---|"]
    lines += [f"| {t} | {'yes' if ok else 'NO'} | {m} |" for t, ok, m in targets]
    return "\n".join(lines), targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, for a smoke run")
    parser.add_argument("--profile", action="store_true", help="also profile scenarios A and C with pyinstrument")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    data = run(args.quick, args.profile)
    table, targets = report(data)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\nMachine: {machine()}\nRun: {stamp}\n\n{table}")
    if data["profile"]:
        print("\n" + data["profile"])
    if not args.no_write:
        doc = ROOT / "docs" / "benchmarks.md"
        doc.parent.mkdir(exist_ok=True)
        doc.write_text(
            "# Benchmarks\n\nWritten by `make bench` (scripts/bench.py): the UI under gunicorn "
            "(gunicorn.conf.py) against Kratos with in-memory SQLite and bcrypt cost 4, the load generator, "
            "Kratos and the UI all on the same machine.\n\n"
            f"Machine: {machine()}\nRun: {stamp}\n\n{table}\n")
        print(f"\nwritten to {doc.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
