"""Start and stop the whole stack: Kratos, the mail sink and the UI.

Used by `make dev` (scripts/dev.py, on the default ports), by the tests (on
free ports, with a fresh in-memory SQLite) and by the fixture recorder. All of
them use the same kratos/kratos.yml and identity schema; only ports, URLs and
the DSN are overridden, through Kratos's environment variables.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
KRATOS_DIR = ROOT / "kratos"
FLOW_PAGES = ("error", "login", "registration", "settings", "recovery", "verification")
# The tests and the benchmark send every browser from 127.0.0.1, so the UI's per-IP
# rate limits (sized for one person) are lifted there; the per-identifier ones stay.
LOOPBACK_CROWD = {f"RATE_LIMIT_{action}_IP": "100000 per minute"
                  for action in ("SIGN_IN", "REGISTRATION", "EMAIL", "CODE")}


class StackError(Exception):
    """The stack could not start; the message is one line."""


def kratos_version() -> str:
    """The Kratos version, read from the one place it is written: kratos/go.mod."""
    match = re.search(r"^require github\.com/ory/kratos (\S+)", (KRATOS_DIR / "go.mod").read_text(), re.M)
    if not match:
        raise StackError("kratos/go.mod does not require github.com/ory/kratos")
    return match.group(1)


def kratos_binary() -> Path:
    """$KRATOS_BIN, or the cached build for this version (made by `make kratos`)."""
    if os.environ.get("KRATOS_BIN"):
        return Path(os.environ["KRATOS_BIN"])
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kratos-selfservice-ui"
    return cache / f"kratos-{kratos_version()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@dataclass
class Ports:
    public: int = 4433
    admin: int = 4434
    ui: int = 4455
    smtp: int = 1025

    @classmethod
    def free(cls) -> "Ports":
        return cls(free_port(), free_port(), free_port(), free_port())


@dataclass
class Stack:
    workdir: Path
    ports: Ports = field(default_factory=Ports)
    # The host browsers use. WebAuthn and passkeys need a domain: "localhost".
    host: str = "127.0.0.1"
    dsn: str = "memory"
    # Extra Kratos settings (env form), e.g. {"SELFSERVICE_FLOWS_LOGIN_LIFESPAN": "3s"}.
    kratos_env: dict = field(default_factory=dict)
    ui_env: dict = field(default_factory=dict)
    # Config files layered over kratos/kratos.yml (Kratos merges -c files in order).
    kratos_overlays: tuple = ()
    # "flask" (the development server) or "gunicorn" (production, gunicorn.conf.py).
    server: str = "flask"
    # None: write each process's output to workdir/<name>.log; else e.g. sys.stdout.
    output: object = None
    procs: dict = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        """Kratos's public API, as browsers reach it."""
        return f"http://{self.host}:{self.ports.public}"

    @property
    def public_url_internal(self) -> str:
        """Kratos's public API, as the UI server reaches it."""
        return f"http://127.0.0.1:{self.ports.public}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.admin}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ports.ui}"

    @property
    def maildir(self) -> Path:
        return self.workdir / "mail"

    def kratos_environment(self) -> dict:
        ui = self.ui_url
        env = {
            "SERVE_PUBLIC_PORT": str(self.ports.public),
            "SERVE_ADMIN_PORT": str(self.ports.admin),
            "SERVE_PUBLIC_BASE_URL": self.public_url + "/",
            "SERVE_ADMIN_BASE_URL": self.admin_url + "/",
            "SELFSERVICE_DEFAULT_BROWSER_RETURN_URL": ui + "/",
            "SELFSERVICE_ALLOWED_RETURN_URLS": ui,
            "SERVE_PUBLIC_CORS_ALLOWED_ORIGINS": f"http://127.0.0.1:{self.ports.ui},http://localhost:{self.ports.ui}",
            "SELFSERVICE_FLOWS_LOGOUT_AFTER_DEFAULT_BROWSER_RETURN_URL": ui + "/login",
            "COURIER_SMTP_CONNECTION_URI": f"smtp://127.0.0.1:{self.ports.smtp}/?disable_starttls=true",
            # The relying party stays "localhost"; its origin follows the UI's port.
            "SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGINS": f"http://localhost:{self.ports.ui}",
            "SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ORIGINS": f"http://localhost:{self.ports.ui}",
            "DSN": self.dsn,
        }
        for page in FLOW_PAGES:
            env[f"SELFSERVICE_FLOWS_{page.upper()}_UI_URL"] = f"{ui}/{page}"
        # The caller's own environment passes through, so Kratos env overrides work.
        return {**env, **os.environ, **self.kratos_env}

    def ui_environment(self) -> dict:
        return {**os.environ, "KRATOS_PUBLIC_URL": self.public_url_internal, "KRATOS_BROWSER_URL": self.public_url,
                "KRATOS_ADMIN_URL": self.admin_url, "ALLOWED_RETURN_URLS": self.ui_url,
                "PYTHONUNBUFFERED": "1", **self.ui_env}

    # -- processes -----------------------------------------------------------

    def _spawn(self, name: str, argv: list, env: dict, cwd: Path = ROOT) -> subprocess.Popen:
        out = self.output or open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.procs[name] = proc
        return proc

    def check_ports(self, with_ui: bool = True) -> None:
        named = {"Kratos public API": self.ports.public, "Kratos admin API": self.ports.admin,
                 "mail sink (SMTP)": self.ports.smtp}
        if with_ui:
            named["UI"] = self.ports.ui
        for what, port in named.items():
            if port_in_use(port):
                raise StackError(f"port {port} is already in use (needed for the {what})")

    def start(self, with_ui: bool = True, timeout: float = 60) -> "Stack":
        binary = kratos_binary()
        if not binary.exists():
            raise StackError(f"no Kratos binary at {binary}: run `make kratos` or set KRATOS_BIN")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.maildir.mkdir(exist_ok=True)
        self.check_ports(with_ui)
        try:
            self._spawn("mailsink", [sys.executable, str(ROOT / "scripts" / "mailsink.py"),
                                     "--port", str(self.ports.smtp), "--maildir", str(self.maildir)],
                        os.environ.copy())
            kratos_env = self.kratos_environment()
            if not self.dsn.startswith("memory"):
                migrated = subprocess.run([str(binary), "migrate", "sql", "-e", "--yes"], env=kratos_env,
                                          cwd=KRATOS_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                          text=True)
                if migrated.returncode:
                    last = (migrated.stderr.strip().splitlines() or ["no output"])[-1]
                    raise StackError(f"Kratos could not migrate its database: {last[:300]}")
            configs = [arg for path in (KRATOS_DIR / "kratos.yml", *self.kratos_overlays)
                       for arg in ("-c", str(path))]
            self._spawn("kratos", [str(binary), "serve", "--dev", "--watch-courier", "--sqa-opt-out", *configs],
                        kratos_env, cwd=KRATOS_DIR)
            self.wait_http("kratos", self.public_url_internal + "/health/ready", timeout)
            self.wait_port("mailsink", self.ports.smtp, timeout)
            if with_ui:
                self.start_ui(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def start_ui(self, timeout: float = 30) -> None:
        if self.server == "gunicorn":
            argv = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                    "--bind", f"127.0.0.1:{self.ports.ui}"]
        else:
            argv = [sys.executable, "-m", "app", "--port", str(self.ports.ui)]
        self._spawn("ui", argv, self.ui_environment())
        self.wait_port("ui", self.ports.ui, timeout)

    def stop_process(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        for name in ("ui", "kratos", "mailsink"):
            self.stop_process(name)

    def _alive(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is not None:
            raise StackError(f"{name} exited with status {proc.returncode}"
                             + ("" if self.output else f"; see {self.workdir / (name + '.log')}"))

    def wait_http(self, name: str, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._alive(name)
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise StackError(f"{name} was not ready at {url} after {timeout:.0f}s")

    def wait_port(self, name: str, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._alive(name)
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise StackError(f"{name} did not listen on port {port} after {timeout:.0f}s")
