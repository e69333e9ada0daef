"""`make bench`, production part: whole sign-in journeys on PostgreSQL through nginx and two UI
replicas, then the same load while Kratos is killed, while it is frozen, and while PostgreSQL restarts.

The journeys come from scripts/journeys (a small Go program, $JOURNEYS; `make bench` builds it):
each of 50 browsers signs in (sign-in page, submit, signed-in page) and out, again and again.
Every figure comes from what the browsers saw, nginx's access log (the UI's answers) and Kratos's
own log (its 5xx).
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from stack import KRATOS_DIR, NO_RATE_LIMITS, Ports, Postgres, Stack, free_port, start_replicas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from formclient import FormClient  # noqa: E402

PASSWORD = "a-Bench-passw0rd"
CONCURRENCY = 50
KRATOS_TIMEOUT = 5  # the UI's default
WORKERS = min(len(os.sched_getaffinity(0)), 4)  # what app/serve.py starts per replica
THREADS = 8  # app/serve.py's default, which the replicas run
USERS = 50
SIGNED_IN_BEFORE = 10  # browsers signed in before each fault, checked after it


def load_generator(variable: str, found: str | None, missing: str) -> str:
    """$variable, else `found`: an executable, or the bench stops saying what is `missing`."""
    found = os.environ.get(variable) or found
    if not found or not os.access(found, os.X_OK):
        sys.exit(f"bench: {missing}")
    return found


def journeys_binary() -> str:
    return load_generator(
        "JOURNEYS", None, "no journeys load generator (set JOURNEYS=..., or run `make bench`, which builds it)"
    )


@dataclass
class Request:
    start: float
    duration: float
    status: int
    server: str  # "ui" (through nginx) or "kratos" (the browser's own redirect through Kratos)
    step: str
    error: str

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass
class Run:
    requests: list = field(default_factory=list)
    started: float = 0.0
    wall: float = 0.0
    ui_5xx: Counter = field(default_factory=Counter)  # nginx: what the UI answered (or nginx, for it)
    kratos_5xx: int = 0  # Kratos's own log
    events: dict = field(default_factory=dict)  # name -> time.time()

    def ui(self, start: float = 0.0, end: float = float("inf")) -> list:
        return [r for r in self.requests if r.server == "ui" and start <= r.start < end]

    @property
    def journeys(self) -> int:
        return sum(1 for r in self.requests if r.step == "sign out" and r.status == 303)


def pct(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def read_from(path: Path, offset: int) -> str:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def nginx_5xx(text: str) -> Counter:
    """UI 5xx in nginx's log (deploy format: msec status upstream_status upstream_addr ...), by status."""
    found = Counter()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1].isdigit() and int(parts[1]) >= 500:
            found[int(parts[1])] += 1
    return found


KRATOS_STATUS = re.compile(r" status:(\d{3}) text_status:")  # in http_response=map[...]


def kratos_5xx(text: str) -> int:
    return sum(
        1
        for line in text.splitlines()
        if "completed handling request" in line and (m := KRATOS_STATUS.search(line)) and int(m.group(1)) >= 500
    )


def load(stack: Stack, users: Path, seconds: float, concurrency: int, during=None) -> Run:
    """The journeys for `seconds`; `during(run)` runs meanwhile in a thread (a fault) and notes its events."""
    access, kratos_log = stack.workdir / "nginx-access.log", stack.workdir / "kratos.log"
    offsets = log_size(access), log_size(kratos_log)
    run = Run(started=time.time())
    argv = [
        journeys_binary(),
        "-ui",
        stack.ui_url,
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "-users",
        str(users),
        "-password",
        PASSWORD,
        "-timeout",
        "30s",
    ]
    failed: list = []

    def fault_thread():
        try:
            during(run)
        except BaseException as exc:  # reported once the load is over
            failed.append(exc)

    fault = threading.Thread(target=fault_thread) if during else None
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if fault:
        fault.start()
    try:
        out, err = proc.communicate(timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    if fault:
        fault.join()
    if failed:
        raise failed[0]
    if proc.returncode:
        sys.exit(f"bench: journeys failed ({proc.returncode}): {err.strip()[:300]}")
    run.wall = time.time() - run.started
    # The browsers' raw record, beside the logs it is counted against.
    (stack.workdir / f"journeys-{int(run.started)}.csv").write_text(out)
    for row in csv.DictReader(io.StringIO(out)):
        run.requests.append(
            Request(
                float(row["start"]),
                float(row["duration"]),
                int(row["status"]),
                row["server"],
                row["step"],
                row["error"],
            )
        )
    time.sleep(0.5)  # let the logs be written
    # The UI's 5xx are nginx's lines after the offset: nginx logs each request as it ends.
    run.ui_5xx = nginx_5xx(read_from(access, offsets[0]))
    # A restarted Kratos appends to the same kratos.log.
    run.kratos_5xx = kratos_5xx(read_from(kratos_log, offsets[1]))
    return run


def sign_in_browsers(stack: Stack, emails: list) -> list:
    browsers = []
    for email in emails:
        browser = FormClient("bench-kept-session")
        page = browser.get(stack.ui_url + "/login")
        home = page.submit({"identifier": email, "password": PASSWORD}, button="Sign in")
        assert f"Signed in as {email}" in home.text, home.text[:300]
        browsers.append((browser, email))
    return browsers


def still_signed_in(stack: Stack, browsers: list) -> int:
    return sum(1 for browser, email in browsers if f"Signed in as {email}" in browser.get(stack.ui_url + "/").text)


def make_users(stack: Stack, count: int, path: Path, make_user) -> list:
    """`count` accounts, made with make_user(stack, email) (bench.py's registration through Kratos)."""
    emails = [f"journey-{i}@example.com" for i in range(count)]
    for email in emails:
        make_user(stack, email)
    path.write_text("\n".join(emails) + "\n")
    return emails


# -- faults -----------------------------------------------------------------------------


def kill_kratos(stack: Stack, at: float, down: float):
    def fault(run: Run):
        time.sleep(at)
        old = stack.procs["kratos"]
        run.events["fault"] = time.time()
        old.send_signal(signal.SIGKILL)
        old.wait()
        time.sleep(down)
        run.events["back"] = time.time()
        stack._spawn("kratos", old.args, stack.kratos_environment(), cwd=KRATOS_DIR)  # same argv, same DB
        stack.wait_http("kratos", stack.public_url_internal + "/health/ready", 60)
        run.events["ready"] = time.time()

    return fault


def freeze_kratos(stack: Stack, at: float, frozen: float):
    def fault(run: Run):
        time.sleep(at)
        pid = stack.procs["kratos"].pid
        run.events["fault"] = time.time()
        os.kill(pid, signal.SIGSTOP)
        time.sleep(frozen)
        os.kill(pid, signal.SIGCONT)
        run.events["back"] = run.events["ready"] = time.time()

    return fault


def restart_postgres(postgres: Postgres, at: float):
    def fault(run: Run):
        time.sleep(at)
        run.events["fault"] = time.time()
        postgres.restart()  # fast shutdown (connections cut), then pg_ctl start: back when it accepts
        run.events["back"] = run.events["ready"] = time.time()

    return fault


def fault_figures(run: Run) -> dict:
    fault, back, ready = run.events["fault"], run.events["back"], run.events["ready"]
    # Requests in flight at any moment of the outage: those cut at the signal and those held by it too.
    overlapping = [r for r in run.requests if r.start < ready and r.end > fault]
    during = [r for r in overlapping if r.server == "ui"]
    statuses = Counter(r.status for r in during)
    kratos_direct = Counter(r.error or str(r.status) for r in overlapping if r.server == "kratos")
    first_ok = min(
        (r.end for r in run.requests if r.server == "ui" and r.status == 200 and r.end >= back), default=None
    )
    ui_after = [r for r in run.ui(run.events["ready"]) if r.status >= 500 or r.error]
    return {
        "outage": ready - fault,
        "statuses": statuses,
        "kratos_direct": kratos_direct,
        "longest_ui": max((r.duration for r in during), default=0.0),
        "ui_503_times": [r.duration for r in during if r.status == 503],
        "first_ok": (first_ok - back) if first_ok else None,
        "ready": run.events["ready"] - back,
        "errors_after": len(ui_after),
        "ui_5xx": run.ui_5xx,
        "kratos_5xx": run.kratos_5xx,
    }


def run_production(tmp: str, seconds: float, fault_seconds: float, make_user) -> dict:
    """Everything of the production part on one stack; `seconds` of plain load, then the faults."""
    postgres = Postgres(Path(tmp) / "pg" / "data", port=free_port()).start()
    stack = Stack(
        workdir=Path(tmp) / "prod",
        ports=Ports.free(),
        dsn=postgres.create_database("kratos"),
        server="production",
        kratos_env={"HASHERS_BCRYPT_COST": "4"},
        ui_env={**NO_RATE_LIMITS, "KRATOS_TIMEOUT": str(KRATOS_TIMEOUT)},
    )
    try:
        stack.start(with_ui=False)
        start_replicas(stack, 2)
        users = Path(tmp) / "users.txt"
        emails = make_users(stack, USERS, users, make_user)
        load(stack, users, 5, 10)  # warm: connections opened, templates compiled
        print(f"  journeys: {seconds:.0f}s of load", file=sys.stderr, flush=True)
        steady = load(stack, users, seconds, CONCURRENCY)
        faults = {}
        at = min(8.0, fault_seconds / 4)
        plans = (
            ("Kratos killed (SIGKILL), restarted 10 s later", kill_kratos(stack, at, 10), 10 + 17),
            ("Kratos frozen (SIGSTOP 8 s, then SIGCONT)", freeze_kratos(stack, at, 8), 8 + 12),
            ("PostgreSQL restarted (fast shutdown, then pg_ctl start)", restart_postgres(postgres, at), 12),
        )
        for name, fault, tail in plans:
            print(f"  fault: {name}", file=sys.stderr, flush=True)
            kept = sign_in_browsers(stack, emails[:SIGNED_IN_BEFORE])
            run = load(stack, users, max(fault_seconds, at + tail), CONCURRENCY, during=fault)
            figures = fault_figures(run)
            figures["sessions_kept"] = (still_signed_in(stack, kept), len(kept))
            faults[name] = figures
        return {"steady": steady, "faults": faults, "postgres": postgres_version(postgres)}
    finally:
        stack.stop()
        postgres.stop()


def postgres_version(postgres: Postgres) -> str:
    return postgres.bindir.parent.name


# -- report -----------------------------------------------------------------------------


def report(data: dict, seconds: float) -> tuple[str, list]:
    steady: Run = data["steady"]
    ui = [r for r in steady.requests if r.server == "ui"]
    allreq = steady.requests
    lat = [r.duration * 1000 for r in allreq]
    ui_lat = [r.duration * 1000 for r in ui]
    failed = sum(1 for r in allreq if r.error or r.status >= 400)
    ui5 = sum(steady.ui_5xx.values())
    lines = [
        f"{CONCURRENCY} browsers for {seconds:.0f} s, each signing in and out again and again (sign-in page "
        "with its redirects through Kratos, submit, signed-in page, sign-out), through nginx and two UI "
        f"replicas (python -m app.serve: granian) to one Kratos on PostgreSQL {data['postgres']}.",
        "",
        "| requests | req/s | journeys/s | p50 ms | p95 ms | p99 ms | UI requests p50 / p95 / p99 ms | "
        "failed | UI 5xx (nginx log) | Kratos 5xx (its log) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(allreq)} | {len(allreq) / steady.wall:.0f} | {steady.journeys / steady.wall:.1f} | "
        f"{pct(lat, 50):.1f} | {pct(lat, 95):.1f} | {pct(lat, 99):.1f} | "
        f"{pct(ui_lat, 50):.1f} / {pct(ui_lat, 95):.1f} / {pct(ui_lat, 99):.1f} | {failed} | "
        f"{ui5}{fmt_counter(steady.ui_5xx)} | {steady.kratos_5xx} |",
        "",
        "Requests are every HTTP request the browsers sent, the redirect through Kratos's "
        '/self-service/login/browser included; "UI requests" are those nginx served. '
        "Load comes from scripts/journeys (Go, one cookie jar per browser), on the same 2 cores.",
        "",
        "| fault | outage s | UI answers during it, by status | browsers' own requests to Kratos during it | "
        "longest UI answer s | 503 answers: median / max s | first UI 200 after it s | "
        "Kratos ready after s | UI errors after it | UI 5xx / Kratos 5xx in the run | "
        "sessions kept |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    targets = [
        ("UI 5xx under load", ui5 == 0, str(ui5)),
        ("Kratos 5xx under load", steady.kratos_5xx == 0, str(steady.kratos_5xx)),
    ]
    for name, f in data["faults"].items():
        times = f["ui_503_times"]
        statuses = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(f["statuses"].items()))
        direct = ", ".join(f"{s}: {n}" for s, n in sorted(f["kratos_direct"].items())) or "none"
        first = f"{f['first_ok']:.2f}" if f["first_ok"] is not None else "never"
        lines.append(
            f"| {name} | {f['outage']:.1f} | {statuses or 'none'} | {direct} | {f['longest_ui']:.2f} | "
            f"{(statistics.median(times) if times else 0):.2f} / {(max(times) if times else 0):.2f} | {first} | "
            f"{f['ready']:.2f} | {f['errors_after']} | {sum(f['ui_5xx'].values())}{fmt_counter(f['ui_5xx'])} / "
            f"{f['kratos_5xx']} | {f['sessions_kept'][0]} of {f['sessions_kept'][1]} |"
        )
        ui_500, ui_502 = f["ui_5xx"].get(500, 0), f["ui_5xx"].get(502, 0)
        if name.startswith("PostgreSQL"):
            # Kratos answers 500 while its database is away; the UI shows that as its 502 page.
            targets.append(
                (
                    f"{name}: no UI 500; each UI 502 is one of Kratos's own 5xx",
                    ui_500 == 0 and ui_502 <= f["kratos_5xx"],
                    f"500: {ui_500}, 502: {ui_502}, Kratos 5xx: {f['kratos_5xx']}",
                )
            )
        else:
            other = sum(n for s, n in f["ui_5xx"].items() if s != 503)
            targets.append((f"{name}: the UI's only 5xx is the 503 page", other == 0, f"{other} other"))
        targets += [
            (
                f"{name}: no UI answer slower than KRATOS_TIMEOUT ({KRATOS_TIMEOUT} s) + 1 s",
                f["longest_ui"] <= KRATOS_TIMEOUT + 1,
                f"{f['longest_ui']:.2f} s",
            ),
            (f"{name}: a 200 again after it", f["first_ok"] is not None, first),
            (
                f"{name}: no session lost",
                f["sessions_kept"][0] == f["sessions_kept"][1],
                f"{f['sessions_kept'][0]} of {f['sessions_kept'][1]}",
            ),
        ]
    lines += [
        "",
        f"KRATOS_TIMEOUT={KRATOS_TIMEOUT} s on the UIs, with the server's default threads: 2 replicas x {WORKERS} "
        f"workers x {THREADS} threads = {2 * WORKERS * THREADS} for {CONCURRENCY} browsers, so while Kratos is "
        "frozen the other requests queue for a thread. nginx dates each request (X-Request-Start), and a "
        "request's calls to Kratos end by KRATOS_TIMEOUT after that: time queued counts, and a request whose "
        "time ran out in the queue gets the 503 page without asking Kratos. "
        'Answers "during" the outage are those of requests in '
        "flight at any moment of it (cut by the signal, held by it, or sent during it). The outage runs "
        "from the signal (or the shutdown) until Kratos answers again (restarted and ready, SIGCONT, or "
        'pg_ctl start returned); "first UI 200 after it" counts from the restart, SIGCONT or pg_ctl\'s '
        "return to the end of the first "
        'request answered 200 through nginx; "Kratos ready after" from the restart to /health/ready. '
        "\"Browsers' own requests to Kratos\" are the sign-in redirect through Kratos's public API, which "
        'no UI can answer for: refused while Kratos is dead, held while it is frozen. "UI errors after '
        'it" are UI requests started once Kratos was ready again that got a 5xx or no answer. "Sessions '
        "kept\": browsers signed in before the fault that are still signed in after it (Kratos's sessions "
        "live in PostgreSQL)."
        " During a PostgreSQL restart Kratos itself answers 500 (its connections are cut, and the first use of a "
        "pooled connection after the restart fails too: the UI errors after it), which the UI shows as its 502 "
        "page; a few sign-ins that Kratos was completing meanwhile got its 400 (the form again).",
    ]
    return "\n".join(lines), targets


def fmt_counter(counter: Counter) -> str:
    return f" ({', '.join(f'{s}: {n}' for s, n in sorted(counter.items()))})" if counter else ""
