"""`make bench`: how much the UI adds on top of Kratos, measured.

Starts Kratos (fresh in-memory SQLite), the mail sink and the UI under its production
server (python -m app.serve: granian) on free ports, creates a user and flows, then runs each
scenario at concurrency 1 and 16 and prints a table; also writes it to
docs/benchmarks.md. Load comes from `hey` (a compiled load generator, $HEY or
on PATH; `make bench` installs it), except for F, which needs a new flow and a
POST per request and is driven by Python threads. Around every run the CPU time
of the UI's processes (the server's main process and workers) and of Kratos is read from
/proc. Every load is bounded in count and sent only to loopback.

    python scripts/bench.py [--quick] [--profile] [--no-write] [--samples N] [--bcrypt-cost N]
                            [--journey-seconds S] [--fault-seconds S]

  A  GET /login?flow=ID through the UI          B  the same flow straight from Kratos
  C  GET / signed in (whoami + render)          D  /sessions/whoami straight from Kratos
  E  GET / anonymous, no cookies                F  a full sign-in: fetch the form, submit it
  G  GET /settings?flow=ID signed in            H  the same settings flow straight from Kratos
                                                   (G's Kratos work is D + H)

Then, on a second stack whose Kratos hashes with kratos/kratos.yml's bcrypt
cost, the timing of answers that should not tell accounts apart: sign-in with
a wrong password for an existing account against an unknown account, recovery
for an existing against an unknown address, registration of a taken against a
new address.

Last, scripts/bench_prod.py: 50 browsers doing whole sign-in journeys for 60 s on PostgreSQL,
through nginx and two UI replicas (a Go generator, scripts/journeys, $JOURNEYS), then the same
load while Kratos is killed and restarted, frozen, and while PostgreSQL restarts.
KRATOS_DB=postgres runs the scenario tables above on PostgreSQL too.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

import bench_instructions
import bench_prod
from stack import KRATOS_DIR, NO_RATE_LIMITS, ROOT, Ports, Postgres, Stack, free_port, kratos_db, kratos_version

sys.path.insert(0, str(ROOT / "tests"))
from formclient import FormClient, Page  # noqa: E402  (a browser without JavaScript)

EMAIL = "bench@example.com"
PASSWORD = "a-Bench-passw0rd"
JSON = {"Accept": "application/json"}
CONCURRENCY = (1, 16)
LOAD_BCRYPT_COST = "4"  # the load scenarios measure the UI, not bcrypt
LABELS = {
    "A": "A. UI: GET /login?flow=ID",
    "B": "B. Kratos: GET login flow",
    "C": "C. UI: GET / signed in",
    "D": "D. Kratos: whoami",
    "E": "E. UI: GET / anonymous",
    "F": "F. UI: full sign-in",
    "G": "G. UI: GET /settings?flow=ID",
    "H": "H. Kratos: GET settings flow",
}
# (UI page, the Kratos scenarios doing the same Kratos work)
COUNTERPARTS = (("A", ("B",)), ("C", ("D",)), ("G", ("D", "H")))


@dataclass
class Result:
    name: str
    concurrency: int
    driver: str = "hey"
    latencies: list = field(default_factory=list)  # seconds
    errors: int = 0
    kratos_errors: int = 0  # errors Kratos itself logged meanwhile
    wall: float = 0.0
    requests: int = 0
    cpu_ui: float = 0.0  # CPU seconds of the server's main process + workers during the run
    cpu_kratos: float = 0.0

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    @property
    def ui_ms(self) -> float:
        return self.cpu_ui / self.requests * 1000 if self.requests else 0.0

    @property
    def kratos_ms(self) -> float:
        return self.cpu_kratos / self.requests * 1000 if self.requests else 0.0


# Each scenario runs this many times, interleaved with the others. The CPU per request the tables
# give is the median round's: one round's can be a quarter off on a shared machine.
ROUNDS = 3


@dataclass
class Rounds(Result):
    """A scenario's rounds pooled: latencies, wall time, requests and errors added up (so Result's
    percentiles and req/s read all of them); CPU per request the median round's."""

    runs: list[Result] = field(default_factory=list)

    def add(self, run: Result) -> None:
        self.runs.append(run)
        self.driver = run.driver
        self.latencies += run.latencies
        self.errors += run.errors
        self.kratos_errors += run.kratos_errors
        self.wall += run.wall
        self.requests += run.requests

    @property
    def ui_ms(self) -> float:
        return statistics.median(run.ui_ms for run in self.runs)

    @property
    def ui_ms_least(self) -> float:
        return min(run.ui_ms for run in self.runs)

    @property
    def kratos_ms(self) -> float:
        return statistics.median(run.kratos_ms for run in self.runs)


def percentile(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# -- CPU from /proc --------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name, which may hold spaces."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(proc_stat(int(stat.parent.name))[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and its live children, plus the reaped children it counted (cutime, cstime)."""
    total = 0
    for i, one in enumerate([pid, *children(pid)]):
        try:
            fields = proc_stat(one)
        except OSError:
            continue
        # After the name: state=0 ... utime=11 stime=12 cutime=13 cstime=14.
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if i == 0 else 0)
    return total / CLOCK_TICKS


def measured(stack: Stack, result: Result, run) -> Result:
    """Call run(result) with the CPU of the UI's and Kratos's processes read before and after."""
    ui, kratos = stack.procs["ui"].pid, stack.procs["kratos"].pid
    before = cpu_seconds(ui), cpu_seconds(kratos), kratos_errors_logged(stack)
    run(result)
    time.sleep(0.3)  # let Kratos finish writing its log
    result.cpu_ui = cpu_seconds(ui) - before[0]
    result.cpu_kratos = cpu_seconds(kratos) - before[1]
    result.kratos_errors = kratos_errors_logged(stack) - before[2]
    return result


# -- load: hey, or Python threads for F ---------------------------------------------------------


def hey_binary() -> str:
    return bench_prod.load_generator(
        "HEY",
        shutil.which("hey"),
        "no `hey` load generator (set HEY=/path/to/hey, or run `make bench`, which installs it)",
    )


@dataclass
class Target:
    """A GET of one URL with fixed headers, sent by hey."""

    url: str
    headers: dict
    expect: int = 200

    def run(self, result: Result, total: int) -> None:
        total = -(-total // result.concurrency) * result.concurrency  # hey sends n // c per worker
        argv = [hey_binary(), "-n", str(total), "-c", str(result.concurrency), "-o", "csv", "-disable-redirects"]
        for name, value in self.headers.items():
            argv += ["-H", f"{name}: {value}"]
        done = subprocess.run([*argv, self.url], capture_output=True, text=True, timeout=600)
        if done.returncode:
            sys.exit(f"bench: hey failed ({done.returncode}): {done.stderr.strip()[:300]}")
        # One row per answered request; hey leaves out requests that failed outright.
        rows = list(csv.DictReader(io.StringIO(done.stdout)))
        result.requests = total
        result.latencies = [float(row["response-time"]) for row in rows]
        result.errors = total - len(rows) + sum(1 for row in rows if int(row["status-code"]) != self.expect)
        result.wall = max((float(row["offset"]) + float(row["response-time"]) for row in rows), default=0.0)


def login_form(page: Page):
    """The flow's form on a UI flow page (not the sign-out form)."""
    return next(form for form in page.forms if "flow=" in form.action)


def post_form(page: Page, values: dict) -> requests.Response:
    """Submit the page's flow form with `values` (hidden fields as the page has them), redirects not followed."""
    form = login_form(page)
    data = [(n, v) for n, v in form.fields if n not in values] + list(values.items())
    return page.client.http.post(urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=60)


class SignIn:
    """Scenario F: a new browser fetches the sign-in form through the UI and submits it.

    hey cannot drive this: every request needs its own flow, CSRF cookie and POST.
    """

    def __init__(self, stack: Stack):
        self.stack = stack
        self.local = threading.local()

    def __call__(self) -> bool:
        browser = getattr(self.local, "browser", None)
        if browser is None:
            browser = self.local.browser = FormClient("bench")
        browser.http.cookies.clear()
        try:
            done = post_form(
                browser.get(self.stack.ui_url + "/login"),
                {"identifier": EMAIL, "password": PASSWORD, "method": "password"},
            )
            return done.status_code == 303 and "ory_kratos_session" in browser.http.cookies
        except (requests.RequestException, StopIteration):
            return False

    def run(self, result: Result, total: int) -> None:
        """`total` sign-ins spread over `result.concurrency` threads."""
        result.driver, result.requests = "Python threads", total
        lock = threading.Lock()
        remaining = [total]

        def worker():
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                ok = self()
                took = time.perf_counter() - started
                with lock:
                    result.latencies.append(took)
                    result.errors += 0 if ok else 1

        threads = [threading.Thread(target=worker) for _ in range(result.concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        result.wall = time.perf_counter() - started


# -- setup and counts -----------------------------------------------------------------


def csrf_of(flow: dict) -> str:
    return next(n["attributes"]["value"] for n in flow["ui"]["nodes"] if n["attributes"].get("name") == "csrf_token")


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def make_user(stack: Stack, email: str = EMAIL) -> str:
    """Register `email` through a browser flow; returns that browser's Cookie header (with its session)."""
    browser = requests.Session()
    flow = browser.get(stack.public_url + "/self-service/registration/browser", headers=JSON).json()
    answer = browser.post(
        flow["ui"]["action"],
        headers=JSON,
        data={"csrf_token": csrf_of(flow), "traits.email": email, "password": PASSWORD, "method": "password"},
    )
    answer.raise_for_status()
    return cookie_header(browser)


def make_flow(stack: Stack, kind: str, cookie: str = "") -> tuple[str, str]:
    """A browser's new `kind` flow: (flow id, its Cookie header, with the CSRF cookie Kratos set)."""
    browser = requests.Session()
    for pair in filter(None, cookie.split("; ")):
        browser.cookies.set(*pair.split("=", 1))
    flow = browser.get(f"{stack.public_url}/self-service/{kind}/browser", headers=JSON)
    flow.raise_for_status()
    return flow.json()["id"], cookie_header(browser)


def kratos_requests_logged(stack: Stack) -> int:
    """Requests Kratos's public API has logged as completed (its own count of calls)."""
    log = (stack.workdir / "kratos.log").read_text(errors="replace")
    return sum(
        1 for line in log.splitlines() if "completed handling request" in line and f":{stack.ports.public} " in line
    )


def kratos_errors_logged(stack: Stack) -> int:
    log = (stack.workdir / "kratos.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines() if "level=error" in line and "handling a request" in line)


def kratos_calls_per_request(stack: Stack, target: Target, n: int = 50) -> float:
    before = kratos_requests_logged(stack)
    target.run(Result("calls", 1), n)
    time.sleep(0.5)  # let Kratos finish writing its log
    return (kratos_requests_logged(stack) - before) / n


def fetched(url: str) -> tuple[requests.Response, int, bytes]:
    """A GET as a browser sends it (gzip accepted): the response, its bytes over the wire, its body."""
    resp = requests.get(url, stream=True, timeout=30)
    wire = resp.raw.read(decode_content=False)
    body = gzip.decompress(wire) if resp.headers.get("Content-Encoding") == "gzip" else wire
    return resp, len(wire), body


def page_weight(url: str) -> dict:
    """Bytes of HTML, CSS and JS a new browser downloads for `url` (after its redirects), over the wire
    (compressed where the server compresses) and decoded, and how many requests."""
    page, wire, body = fetched(url)
    weight = {"html": wire, "css": 0, "js": 0, "decoded": len(body), "requests": 1}
    for ref in re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', body.decode()):
        _, wire, body = fetched(urljoin(page.url, ref.replace("&amp;", "&")))
        weight["css" if urlsplit(ref).path.endswith(".css") else "js"] += wire
        weight["decoded"] += len(body)
        weight["requests"] += 1
    weight["total"] = weight["html"] + weight["css"] + weight["js"]
    return weight


def worker_peak_rss(stack: Stack) -> list[float]:
    """Peak resident memory (VmHWM, MB) of each worker process of the server."""
    peaks = []
    for pid in children(stack.procs["ui"].pid):
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks.append(int(re.search(r"^VmHWM:\s+(\d+) kB", text, re.M).group(1)) / 1024)
    return sorted(peaks)


def profile_hot_path(stack: Stack, login: tuple[str, str], session_cookie: str) -> str:
    """pyinstrument over scenarios A and C, run in-process against the live Kratos."""
    from pyinstrument import Profiler

    os.environ.update(
        {
            "KRATOS_PUBLIC_URL": stack.public_url,
            "KRATOS_ADMIN_URL": stack.admin_url,
            "ALLOWED_RETURN_URLS": stack.ui_url,
            "UI_URL": stack.ui_url,
        }
    )
    sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app()
    # The test client sends its own cookie jar, never a hand-set Cookie header.
    anonymous, signed_in = app.test_client(), app.test_client()
    for client, header in ((anonymous, login[1]), (signed_in, session_cookie)):
        for pair in header.split("; "):
            name, value = pair.split("=", 1)
            client.set_cookie(name, value, domain="127.0.0.1")
    ui = stack.ui_url  # requests must arrive at UI_URL's host
    for _ in range(20):  # warm: templates compiled, connections open
        anonymous.get(f"/login?flow={login[0]}", base_url=ui)
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(300):
            assert anonymous.get(f"/login?flow={login[0]}", base_url=ui).status_code == 200
            assert b"Signed in as" in signed_in.get("/", base_url=ui).data
    return profiler.output_text(unicode=False, color=False, show_all=False)


def start_stack(tmp: str, name: str, kratos_env: dict) -> Stack:
    """On in-memory SQLite, or with KRATOS_DB=postgres on a database of the bench's PostgreSQL cluster."""
    dsn = bench_postgres(tmp).create_database(name) if kratos_db() == "postgres" else "memory"
    return Stack(
        workdir=Path(tmp) / name,
        ports=Ports.free(),
        server="production",
        kratos_env=kratos_env,
        dsn=dsn,
        ui_env=NO_RATE_LIMITS,
    ).start()


_postgres: list = []


def bench_postgres(tmp: str) -> Postgres:
    if not _postgres:
        _postgres.append(Postgres(Path(tmp) / "pg-tables" / "data", port=free_port()).start())
    return _postgres[0]


def run_load(stack: Stack, quick: bool, profile: bool) -> dict:
    n_fast = 150 if quick else 1000  # per round
    n_signin = 20 if quick else 60
    session_cookie = make_user(stack)
    flow_id, csrf_cookie = make_flow(stack, "login")
    settings_id, settings_cookie = make_flow(stack, "settings", session_cookie)
    scenarios = {
        "A": Target(f"{stack.ui_url}/login?flow={flow_id}", {"Cookie": csrf_cookie}),
        "B": Target(f"{stack.public_url}/self-service/login/flows?id={flow_id}", {"Cookie": csrf_cookie, **JSON}),
        "C": Target(f"{stack.ui_url}/", {"Cookie": session_cookie}),
        "D": Target(f"{stack.public_url}/sessions/whoami", {"Cookie": session_cookie, **JSON}),
        "E": Target(f"{stack.ui_url}/", {}),
        "F": SignIn(stack),
        "G": Target(f"{stack.ui_url}/settings?flow={settings_id}", {"Cookie": settings_cookie}),
        "H": Target(
            f"{stack.public_url}/self-service/settings/flows?id={settings_id}", {"Cookie": settings_cookie, **JSON}
        ),
    }
    calls = {name: kratos_calls_per_request(stack, scenarios[name]) for name in "ACEG"}
    rounds = 1 if quick else ROUNDS
    results: dict[tuple[str, int], Rounds] = {}
    for round_ in range(1, rounds + 1):  # interleaved: a slow spell of the machine hits every scenario alike
        for name, scenario in scenarios.items():
            for concurrency in CONCURRENCY:
                total = n_signin if name == "F" else n_fast
                scenario.run(Result(name, concurrency), max(16, total // 10))  # warm-up
                run = measured(
                    stack,
                    Result(name, concurrency),
                    lambda result, scenario=scenario, total=total: scenario.run(result, total),
                )
                results.setdefault((name, concurrency), Rounds(name, concurrency)).add(run)
                print(f"  round {round_}: {name} at concurrency {concurrency}: done", file=sys.stderr, flush=True)
    pages = (
        ("A", f"/login?flow={flow_id}", csrf_cookie),
        ("E", "/", ""),
        ("G", f"/settings?flow={settings_id}", settings_cookie),
    )
    instructions = (
        {name: bench_instructions.per_page(stack, path, cookie) for name, path, cookie in pages}
        if shutil.which("valgrind") and not quick
        else {}
    )
    return {
        "results": results,
        "instructions": instructions,
        "calls": calls,
        "rss": worker_peak_rss(stack),
        "weights": {
            "login (passkey offered)": page_weight(stack.ui_url + "/login"),
            "registration, first step": page_weight(stack.ui_url + "/registration"),
        },
        "profile": profile_hot_path(stack, (flow_id, csrf_cookie), session_cookie) if profile else None,
    }


# -- account enumeration by timing (issue 12, part 5) -----------------------------------------


@dataclass
class Probe:
    flow: str
    cases: tuple[str, str]  # what tells them apart: (an account exists, it does not)
    values: object  # case index, sample number -> form values

    def answer(self, stack: Stack, values: dict) -> tuple[float, str]:
        """Time (s) of the UI's answer to one submission from a new browser, and what the user sees."""
        page = FormClient("bench").get(f"{stack.ui_url}/{self.flow}")
        resp = post_form(page, values)
        seen = (
            f"{resp.status_code} to {urlsplit(resp.headers['Location']).path}"
            if resp.is_redirect
            else f"{resp.status_code}: " + " ".join(text for _, text in Page(page.client, resp).messages)
        )
        return resp.elapsed.total_seconds(), seen


PROBES = (
    Probe(
        "login",
        ("existing account, wrong password", "unknown account"),
        lambda case, i: {
            "identifier": EMAIL if case == 0 else f"nobody-{uuid.uuid4().hex}@example.com",
            "password": "not-the-password-1",
            "method": "password",
        },
    ),
    Probe(
        "recovery",
        ("existing address", "unknown address"),
        lambda case, i: {"email": EMAIL if case == 0 else f"nobody-{uuid.uuid4().hex}@example.com", "method": "code"},
    ),
    Probe(
        "registration",
        ("address taken", "new address"),
        lambda case, i: {
            "traits.email": EMAIL if case == 0 else f"new-{uuid.uuid4().hex}@example.com",
            "password": PASSWORD,
            "method": "password",
        },
    ),
)


def config_bcrypt_cost() -> str:
    match = re.search(r"^hashers:\n(?:[ \t].*\n)*?[ \t]+cost:\s*(\d+)", (KRATOS_DIR / "kratos.yml").read_text(), re.M)
    return match.group(1) if match else "default"


def run_enumeration(stack: Stack, samples: int, probes=PROBES, label: str = "") -> list[dict]:
    """Each probe's two cases, sampled alternately so that a busy machine slows both alike."""
    make_user(stack)
    rows = []
    for probe in probes:
        for i in range(3):  # warm-up, unmeasured
            probe.answer(stack, probe.values(i % 2, -1))
        times, seen = ([], []), ([], [])
        for i in range(samples):
            for case in (0, 1):
                took, what = probe.answer(stack, probe.values(case, i))
                times[case].append(took * 1000)
                seen[case].append(what)
        rows.append({"probe": probe, "times": times, "seen": seen, "label": probe.flow + label})
        print(f"  timing of {probe.flow}: done", file=sys.stderr, flush=True)
    return rows


def timing(tmp: str, samples: int, bcrypt_cost: str | None) -> list[dict]:
    """The probes at the config's bcrypt cost; then sign-in again with Kratos's delay for unknown
    accounts (hashers.argon2.expected_duration, used whatever the algorithm) set to the bcrypt time."""
    cost = {"HASHERS_BCRYPT_COST": bcrypt_cost} if bcrypt_cost else {}
    stack = start_stack(tmp, "timing", cost)
    try:
        rows = run_enumeration(stack, samples)
    finally:
        stack.stop()
    matched = f"{statistics.median(rows[0]['times'][0]):.0f}ms"
    stack = start_stack(
        tmp,
        "matched",
        {**cost, "HASHERS_ARGON2_EXPECTED_DURATION": matched, "HASHERS_ARGON2_EXPECTED_DEVIATION": "5ms"},
    )
    try:
        label = f", Kratos's delay for unknown accounts set to {matched} ± 5ms"
        return rows + run_enumeration(stack, samples, PROBES[:1], label)
    finally:
        stack.stop()


def shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def enumeration_report(rows: list[dict], cost: str, samples: int) -> str:
    lines = [
        f"### What Kratos leaks through timing (bcrypt cost {cost}, {samples} samples per case)",
        "",
        "| flow | case 1 | case 2 | median 1 / 2, ms | p95 1 / 2, ms | difference of medians | "
        "case-2 answers outside case 1's range | what the user sees, 1 / 2 | verdict |",
        "|---|---|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        (one, two), probe = row["times"], row["probe"]
        m1, m2 = statistics.median(one), statistics.median(two)
        # An attacker times their own account (case 1); one answer outside that range gives case 2 away.
        outside = sum(1 for t in two if not min(one) <= t <= max(one)) / len(two)
        # Two samples of one distribution put about 2 / (samples + 1) outside; noise adds some more.
        if outside >= 0.5:
            verdict = "one answer usually tells them apart"
        elif outside >= 0.2:
            verdict = "repeated answers tell them apart"
        else:
            verdict = "no difference beyond noise"
        seen = [" / ".join(shorten(s) for s in sorted(set(case))) for case in row["seen"]]
        if not set(row["seen"][0]) & set(row["seen"][1]):
            verdict = f"the answer itself tells them apart; timing: {verdict}"
        lines.append(
            f"| {row['label']} | {probe.cases[0]} | {probe.cases[1]} | {m1:.1f} / {m2:.1f} | "
            f"{percentile(one, 95):.1f} / {percentile(two, 95):.1f} | {m1 - m2:+.1f} ms | "
            f"{outside:.0%} | {seen[0]} / {seen[1]} | {verdict} |"
        )
    lines += [
        "",
        "Times are the UI's answer to the form's POST (request sent to response headers read), "
        "each from a new browser with a new flow, the two cases alternating. The UI does the same work "
        "in both cases of a flow, so a difference is Kratos's. These are loopback figures: over a network, "
        "jitter hides a difference of a millisecond or so from one answer, though not from many.",
    ]
    return "\n".join(lines)


# -- report ------------------------------------------------------------------------------


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )
    mem = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    memory = f"{int(mem.group(1)) / 1024 / 1024:.1f} GB memory" if mem else "memory unknown"
    return f"{os.cpu_count()} cores ({cpu}), {memory}, Python {platform.python_version()}, Kratos {kratos_version()}"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def floor(results: dict, kratos: str, concurrency: int) -> float:
    """The least a UI page that waits for one Kratos answer can cost, relative to that answer."""
    own, answer = results[("E", concurrency)].pct(50), results[(kratos, concurrency)].pct(50)
    return (own + answer) / answer


def own_time(results: dict, page: str, kratos: tuple, concurrency: int) -> tuple[float, float]:
    """(UI p50, the matching Kratos p50s summed), ms."""
    return results[(page, concurrency)].pct(50), sum(results[(k, concurrency)].pct(50) for k in kratos)


def report(data: dict) -> tuple[str, list[tuple[str, bool, str]]]:
    results = data["results"]
    lines = [
        "| scenario | load from | concurrency | req/s | p50 ms | p95 ms | p99 ms | UI CPU ms/req (least round) | "
        "Kratos CPU ms/req | errors | Kratos errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (name, concurrency), r in results.items():
        lines.append(
            f"| {LABELS[name]} | {r.driver} | {concurrency} | {r.rps:.0f} | {r.pct(50):.1f} | "
            f"{r.pct(95):.1f} | {r.pct(99):.1f} | {r.ui_ms:.2f} ({r.ui_ms_least:.2f}) | {r.kratos_ms:.2f} | "
            f"{r.errors} | {r.kratos_errors} |"
        )
    lines += [
        "",
        f"Each scenario ran {len(next(iter(results.values())).runs)} times, interleaved with the others; "
        "latencies, req/s and errors pool the rounds. CPU per request is the user+system time of the UI's "
        "processes (the server's main process and workers) and of Kratos, read from `/proc/<pid>/stat` "
        "before and after each round and divided by the requests sent: the median round's, with the least "
        "in brackets. hey's own CPU is not in it, but it shares the same cores. hey writes each "
        "response time to 0.1 ms, so latencies here are to 0.1 ms. F needs a new "
        "flow, CSRF cookie and POST per request, which hey cannot send, so Python threads drive it.",
        "",
        "| our own time over Kratos (p50, ms) | Kratos work | c=1: UI − Kratos | c=16: UI − Kratos |",
        "|---|---|---:|---:|",
    ]
    own = {}
    for page, kratos in COUNTERPARTS:
        cells = []
        for c in CONCURRENCY:
            ui, k = own_time(results, page, kratos, c)
            own[(page, c)] = round(ui - k, 1)  # hey times to 0.1 ms
            cells.append(f"{ui:.1f} − {k:.1f} = **{ui - k:.1f}**")
        lines.append(f"| {LABELS[page]} | {' + '.join(LABELS[k] for k in kratos)} | {cells[0]} | {cells[1]} |")
    ratio = {
        c: (
            results[("A", c)].pct(50) / results[("B", c)].pct(50),
            results[("C", c)].pct(50) / results[("D", c)].pct(50),
        )
        for c in CONCURRENCY
    }
    lines += [
        "",
        "| ratio of p50 | concurrency 1 | concurrency 16 |",
        "|---|---:|---:|",
        f"| A/B (UI flow page / Kratos flow) | {ratio[1][0]:.2f} | {ratio[16][0]:.2f} |",
        f"| C/D (UI home / Kratos whoami) | {ratio[1][1]:.2f} | {ratio[16][1]:.2f} |",
        f"| floor for A/B: (E + B) / B | {floor(results, 'B', 1):.2f} | {floor(results, 'B', 16):.2f} |",
        f"| floor for C/D: (E + D) / D | {floor(results, 'D', 1):.2f} | {floor(results, 'D', 16):.2f} |",
        "",
        "E is a UI page that calls Kratos not at all: its p50 is what serving any page through "
        "the server and Flask costs here. A page that also waits for Kratos costs at least that "
        "plus Kratos's own time, so A/B and C/D cannot go below the floors above.",
        "",
        '"errors" are responses the load generator did not expect; "Kratos errors" are '
        "requests Kratos itself logged as failed meanwhile (for example SQLite's \"database table "
        'is locked"), which the UI shows as its 502 page.',
        "",
        "| Kratos calls per request | A | C | E | G |",
        "|---|---:|---:|---:|---:|",
        "| counted in Kratos's request log | " + " | ".join(f"{data['calls'][n]:.2f}" for n in "ACEG") + " |",
        "",
        "| page | HTML bytes | CSS bytes | JS bytes | total over the wire | total decoded | requests |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for page, w in data["weights"].items():
        lines.append(
            f"| {page} | {w['html']} | {w['css']} | {w['js']} | {w['total']} | {w['decoded']} | {w['requests']} |"
        )
    lines += [
        "",
        "Bytes are what a new browser downloads, as it asks (gzip accepted): the UI sends its stylesheet and "
        "scripts gzipped, and its HTML as it is (a proxy in front may compress that too); Kratos's webauthn.js "
        'comes from Kratos. "Total decoded" is the same files uncompressed.',
    ]
    if data["instructions"]:
        lines += ["", "| page | UI instructions per request (cachegrind, in-process) |", "|---|---:|"]
        lines += [f"| {LABELS[name]} | {count:.2f} million |" for name, count in data["instructions"].items()]
    lines += [
        "",
        "The CPU milliseconds above move by up to a quarter between runs of the same code on this shared "
        "machine; instructions barely move, so they are the figure to compare two versions of the code by. "
        "Counted by scripts/bench_instructions.py: the page served in-process by Flask's test client against "
        "the same Kratos, the HTTP calls to Kratos included, the production server's own work not."
        if data["instructions"]
        else "Instructions per request: not counted (no valgrind, or --quick).",
    ]
    rss = data["rss"]
    lines += ["", f"Peak RSS per worker: {', '.join(f'{m:.1f} MB' for m in rss)}"]
    login, registration = data["weights"]["login (passkey offered)"], data["weights"]["registration, first step"]
    errors16 = sum(r.errors for (name, c), r in results.items() if c == 16)
    cpu_a, cpu_g = results[("A", 16)].ui_ms, results[("G", 16)].ui_ms
    targets = [
        ("UI CPU per request, login flow page (A, c=16) <= 1.5 ms", cpu_a <= 1.5, f"{cpu_a:.2f} ms"),
        ("UI CPU per request, settings page (G, c=16) <= 2.2 ms", cpu_g <= 2.2, f"{cpu_g:.2f} ms"),
        (
            "own time over Kratos, login flow page (A − B, c=1 p50) <= 1.5 ms",
            own[("A", 1)] <= 1.5,
            f"{own[('A', 1)]:.1f} ms",
        ),
        (
            "own time over Kratos, settings (G − (D + H), c=1 p50) <= 2.5 ms",
            own[("G", 1)] <= 2.5,
            f"{own[('G', 1)]:.1f} ms",
        ),
        ("A/B p50 at concurrency 1 <= 1.25", ratio[1][0] <= 1.25, f"{ratio[1][0]:.2f}"),
        ("C/D p50 <= 1.3 (concurrency 1)", ratio[1][1] <= 1.3, f"{ratio[1][1]:.2f}"),
        ("E makes 0 Kratos calls", data["calls"]["E"] == 0, f"{data['calls']['E']:.2f}"),
        (
            "login page <= 25 KB in total (over the wire)",
            login["total"] <= 25 * 1024,
            f"{login['total'] / 1024:.1f} KB ({login['decoded'] / 1024:.1f} KB decoded)",
        ),
        ("no JS without WebAuthn/passkey nodes", registration["js"] == 0, f"{registration['js']} bytes"),
        ("<= 80 MB RSS per worker", bool(rss) and max(rss) <= 80, f"{max(rss) if rss else 0:.1f} MB"),
        ("0 errors at concurrency 16", errors16 == 0, str(errors16)),
    ]
    lines += ["", "| target | met | measured |", "|---|---|---|"]
    lines += [f"| {t} | {'yes' if ok else 'NO'} | {m} |" for t, ok, m in targets]
    lines += [
        "",
        "The throughput goal (2× Ory's Node UI at c=16) needs the Node UI beside this one, which `make bench` "
        "cannot fetch: `scripts/bench_node_ui.py /path/to/kratos-selfservice-ui-node` runs both on one Kratos "
        "(see the README, Benchmark).",
    ]
    return "\n".join(lines), targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, for a smoke run")
    parser.add_argument("--profile", action="store_true", help="also profile scenarios A and C with pyinstrument")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--samples", type=int, default=30, help="timing samples per enumeration case (0: skip)")
    parser.add_argument("--bcrypt-cost", help="bcrypt cost for the enumeration stack (default: kratos.yml's)")
    parser.add_argument(
        "--journey-seconds",
        type=float,
        help="seconds of whole journeys on PostgreSQL "
        "behind nginx (default 60, --quick 15; 0: skip them and the faults)",
    )
    parser.add_argument(
        "--fault-seconds",
        type=float,
        default=20,
        help="seconds of load around each fault (at least what the fault needs: 20-32 s)",
    )
    args = parser.parse_args()
    journey_seconds = args.journey_seconds if args.journey_seconds is not None else 15 if args.quick else 60
    hey_binary()
    if journey_seconds:
        bench_prod.journeys_binary()
    machine_line, load_before = machine(), load_average()
    cost = args.bcrypt_cost or config_bcrypt_cost()
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(tmp, "load", {"HASHERS_BCRYPT_COST": LOAD_BCRYPT_COST})
        try:
            data = run_load(stack, args.quick, args.profile)
        finally:
            stack.stop()
        enumeration = (
            enumeration_report(timing(tmp, args.samples, args.bcrypt_cost), cost, args.samples) if args.samples else ""
        )
        while _postgres:
            _postgres.pop().stop()
        production = (
            bench_prod.run_production(tmp, journey_seconds, args.fault_seconds, make_user) if journey_seconds else None
        )
    table, targets = report(data)
    production_table, production_targets = (
        bench_prod.report(production, journey_seconds) if production else ("Not run (--journey-seconds 0).", [])
    )
    production_table += "\n\n| target | met | measured |\n|---|---|---|\n" + "\n".join(
        f"| {t} | {'yes' if ok else 'NO'} | {m} |" for t, ok, m in production_targets
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = f"Machine: {machine_line}\nLoad average before / after: {load_before} / {load_average()}\nRun: {stamp}\n"
    print(f"\n{header}\n{table}\n\n{enumeration}\n\n{production_table}")
    if data["profile"]:
        print("\n" + data["profile"])
    if not args.no_write:
        doc = ROOT / "docs" / "benchmarks.md"
        doc.parent.mkdir(exist_ok=True)
        doc.write_text(
            "# Benchmarks\n\nWritten by `make bench` (scripts/bench.py): the UI under its production "
            "server (python -m app.serve: granian) against Kratos with "
            f"{'PostgreSQL' if kratos_db() == 'postgres' else 'in-memory SQLite'} (KRATOS_DB), "
            "the load generator (`hey`), "
            f"Kratos and the UI all on the same machine. The load scenarios run with bcrypt cost "
            f"{LOAD_BCRYPT_COST}, so that F measures the UI rather than bcrypt; the timing table runs with "
            f"cost {cost}.\n\n{header}\n## Load\n\n{table}\n\n## Account enumeration by timing\n\n"
            f"{enumeration or 'Not run (--samples 0).'}\n\n## Production: PostgreSQL, nginx, two replicas, "
            f"faults\n\n{production_table}\n"
        )
        print(f"\nwritten to {doc.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
