"""Start and stop the whole stack: Kratos, the mail sink, the UI and (optionally) Hydra.

Used by `make dev` (scripts/dev.py, on the default ports), by the tests (on
free ports, with a fresh in-memory SQLite) and by the fixture recorder. All of
them use the same kratos/kratos.yml, identity schema and hydra/hydra.yml; only
ports, URLs and the DSN are overridden, through the servers' environment variables.

The processes' environment is built from nothing but the basics (PATH, HOME,
locale, ...) plus what the stack sets, so a developer's exported DSN or .env
cannot change what the tests run against. Only `make dev` (inherit_env=True)
passes the caller's environment through, to Kratos and the UI.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
KRATOS_DIR = ROOT / "kratos"
HYDRA_DIR = ROOT / "hydra"
FLOW_PAGES = ("error", "login", "registration", "settings", "recovery", "verification")
# The tests and the benchmark send every browser from 127.0.0.1, so the UI's per-IP
# rate limits (sized for one person) are lifted there; the per-identifier ones stay.
LOOPBACK_CROWD = {
    f"RATE_LIMIT_{action}_IP": "100000 per minute" for action in ("SIGN_IN", "REGISTRATION", "EMAIL", "CODE")
}
# `make bench` signs the same users in again and again, from one address: no limit at all.
NO_RATE_LIMITS = {
    **LOOPBACK_CROWD,
    **{f"RATE_LIMIT_{action}": "100000 per minute" for action in ("SIGN_IN", "REGISTRATION", "EMAIL", "CODE")},
}


class StackError(Exception):
    """The stack could not start; the message is one line."""


def _required_version(directory: Path, module: str) -> str:
    """A server's version, read from the one place it is written: its wrapper's go.mod."""
    match = re.search(rf"^require {re.escape(module)} (\S+)", (directory / "go.mod").read_text(), re.M)
    if not match:
        raise StackError(f"{directory.name}/go.mod does not require {module}")
    return match.group(1)


def kratos_version() -> str:
    return _required_version(KRATOS_DIR, "github.com/ory/kratos")


def hydra_version() -> str:
    return _required_version(HYDRA_DIR, "github.com/ory/hydra/v2")


def _binary(name: str, version: str) -> Path:
    """$<NAME>_BIN, or the cached build for this version (made by `make <name>`)."""
    if os.environ.get(f"{name.upper()}_BIN"):
        return Path(os.environ[f"{name.upper()}_BIN"])
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kratos-selfservice-ui"
    return cache / f"{name}-{version}"


def kratos_binary() -> Path:
    return _binary("kratos", kratos_version())


def hydra_binary() -> Path:
    return _binary("hydra", hydra_version())


# What every process may inherit from the caller: enough to run, nothing that configures it.
_BASE_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP")


def base_environment() -> dict:
    return {k: v for k, v in os.environ.items() if k in _BASE_ENV or k.startswith("LC_")}


_handed_out: set[int] = set()


def outgoing_ports() -> tuple[int, int]:
    """The kernel's range for the source ports of outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


# Above every port browsers refuse to connect to (the highest, 10080, is Chromium's and Firefox's).
LOWEST_PORT = 10100


@functools.cache
def _port_candidates() -> tuple[int, ...]:
    low, high = outgoing_ports()
    outside = [r for r in (range(LOWEST_PORT, low), range(high + 1, 65536)) if len(r) >= 1000]
    ranges = outside or [range(LOWEST_PORT, 65536)]  # a kernel that takes nearly all: no way around it
    return tuple(port for ports in ranges for port in ports)


def free_port() -> int:
    """A port nothing listens on, never handed out before by this process, outside the kernel's range
    for outgoing connections and above the ports browsers refuse: a port from bind(0) can be taken as
    some client's source port, or handed out twice, before the server that was given it binds it."""
    for _ in range(1000):
        port = secrets.choice(_port_candidates())
        if port not in _handed_out and not port_in_use(port):
            _handed_out.add(port)
            return port
    raise StackError("found no free port")


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _tail(log: Path, lines: int = 8) -> str:
    """The end of a server's log, so a failure on CI says why without the file."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(line[:400] for line in text.splitlines()[-lines:]) or "(empty log)"


def check_free(named: dict) -> None:
    """named: what the port is for -> port."""
    for what, port in named.items():
        if port_in_use(port):
            raise StackError(f"port {port} is already in use (needed for the {what})")


def hydra_ports(hydra: Hydra) -> dict:
    label = "Hydra" if hydra.name == "hydra" else f"Hydra {hydra.name!r}"
    return {f"{label} public API": hydra.public_port, f"{label} admin API": hydra.admin_port}


def migrate(what: str, argv: list, env: dict, cwd: Path) -> None:
    """Run a server's SQL migrations (argv ends in `-e --yes`: the DSN comes from env)."""
    migrated = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if migrated.returncode:
        last = (migrated.stderr.strip().splitlines() or ["no output"])[-1]
        raise StackError(f"{what} could not migrate its database: {last[:300]}")


@dataclass
class Ports:
    public: int = 4433
    admin: int = 4434
    ui: int = 4455
    smtp: int = 1025
    hydra_public: int = 4444
    hydra_admin: int = 4445

    @classmethod
    def free(cls) -> Ports:
        return cls(*(free_port() for _ in range(6)))


@dataclass
class Hydra:
    """One Hydra server: the stack's own, or another one a test starts (an upstream OIDC provider)."""

    name: str
    public_port: int
    admin_port: int
    host: str = "127.0.0.1"
    dsn: str = "memory"
    # Settings in env form, e.g. {"URLS_LOGIN": ...}, over hydra/hydra.yml.
    env: dict = field(default_factory=dict)
    configs: tuple = (HYDRA_DIR / "hydra.yml",)

    @property
    def public_url(self) -> str:
        """The public API (and issuer), as browsers reach it."""
        return f"http://{self.host}:{self.public_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def environment(self) -> dict:
        # Never the caller's environment: Hydra and Kratos share names such as SERVE_PUBLIC_PORT.
        return {
            **base_environment(),
            "DSN": self.dsn,
            "SERVE_PUBLIC_PORT": str(self.public_port),
            "SERVE_ADMIN_PORT": str(self.admin_port),
            "URLS_SELF_ISSUER": self.public_url + "/",
            **self.env,
        }

    def argv(self, binary: Path) -> list:
        return [
            str(binary),
            "serve",
            "all",
            "--dev",
            "--sqa-opt-out",
            *(arg for path in self.configs for arg in ("-c", str(path))),
        ]


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
    # "flask" (the development server) or "production" (python -m app.serve: granian).
    server: str = "flask"
    # Run Hydra too, as the OAuth2 server whose login, consent and logout app is the UI.
    with_hydra: bool = False
    hydra_dsn: str = "memory"
    hydra_env: dict = field(default_factory=dict)
    # Turns on Hydra's oauth2.token_hook to the UI (refreshes extend the Kratos session) with this secret.
    token_hook_secret: str | None = None
    # Pass the caller's environment (and .env) to Kratos and the UI: `make dev` only.
    inherit_env: bool = False
    # None: write each process's output to workdir/<name>.log; else e.g. sys.stdout.
    output: object = None
    procs: dict = field(default_factory=dict)
    # Signs the UI's form tokens; one per stack.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))

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

    @property
    def hydra(self) -> Hydra | None:
        """The stack's own Hydra, when with_hydra."""
        if not self.with_hydra:
            return None
        ui = self.ui_url
        return Hydra(
            "hydra",
            self.ports.hydra_public,
            self.ports.hydra_admin,
            host=self.host,
            dsn=self.hydra_dsn,
            env={
                "URLS_LOGIN": ui + "/login",
                "URLS_REGISTRATION": ui + "/registration",
                "URLS_CONSENT": ui + "/consent",
                "URLS_LOGOUT": ui + "/oauth2/logout",
                "URLS_ERROR": ui + "/error",
                "URLS_IDENTITY_PROVIDER_URL": self.admin_url,
                **self.hydra_env,
            },
            configs=(HYDRA_DIR / "hydra.yml", *self.token_hook_configs()),
        )

    def token_hook_configs(self) -> tuple:
        """hydra.yml's commented-out oauth2.token_hook, as a config file layered over it, when
        token_hook_secret is set (Hydra v2.3.0 reads the hook's auth only from a file, not from env)."""
        if not self.token_hook_secret:
            return ()
        path = self.workdir / "hydra-token-hook.yml"
        path.write_text(
            json.dumps(
                {
                    "oauth2": {
                        "token_hook": {
                            "url": self.ui_url + "/oauth2/token-hook",
                            "auth": {
                                "type": "api_key",
                                "config": {
                                    "in": "header",
                                    "name": "X-Token-Hook-Secret",
                                    "value": self.token_hook_secret,
                                },
                            },
                        }
                    }
                }
            )
        )
        return (path,)

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
        if self.hydra:
            env["OAUTH2_PROVIDER_URL"] = self.hydra.admin_url
        # In `make dev` the caller's own environment passes through, so Kratos env overrides work.
        return {**base_environment(), **env, **(os.environ if self.inherit_env else {}), **self.kratos_env}

    def ui_environment(self) -> dict:
        # Outside `make dev` the UI reads no .env either (python-dotenv honours this variable).
        caller = os.environ if self.inherit_env else {**base_environment(), "PYTHON_DOTENV_DISABLED": "1"}
        hydra = (
            {
                "HYDRA_ADMIN_URL": self.hydra.admin_url,
                "HYDRA_PUBLIC_URL": self.hydra.public_url,
                # The consent and logout forms' tokens (a caller's own SECRET_KEY wins in `make dev`).
                "SECRET_KEY": caller.get("SECRET_KEY") or self.secret_key,
            }
            if self.hydra
            else {}
        )
        if self.hydra and self.token_hook_secret:
            hydra["TOKEN_HOOK_SECRET"] = self.token_hook_secret
        return {
            **caller,
            "KRATOS_PUBLIC_URL": self.public_url_internal,
            "KRATOS_BROWSER_URL": self.public_url,
            "KRATOS_ADMIN_URL": self.admin_url,
            "ALLOWED_RETURN_URLS": self.ui_url,
            "UI_URL": self.ui_url,
            **hydra,
            "PYTHONUNBUFFERED": "1",
            **self.ui_env,
        }

    # -- processes -----------------------------------------------------------

    def _spawn(self, name: str, argv: list, env: dict, cwd: Path = ROOT) -> subprocess.Popen:
        out = self.output or open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs[name] = proc
        return proc

    def check_ports(self, with_ui: bool = True) -> None:
        named = {
            "Kratos public API": self.ports.public,
            "Kratos admin API": self.ports.admin,
            "mail sink (SMTP)": self.ports.smtp,
        }
        if with_ui:
            named["UI"] = self.ports.ui
        if self.hydra:
            named.update(hydra_ports(self.hydra))
        check_free(named)

    def start(self, with_ui: bool = True, timeout: float = 60) -> Stack:
        binary = kratos_binary()
        if not binary.exists():
            raise StackError(f"no Kratos binary at {binary}: run `make kratos` or set KRATOS_BIN")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.maildir.mkdir(exist_ok=True)
        self.check_ports(with_ui)
        try:
            self._spawn(
                "mailsink",
                [
                    sys.executable,
                    str(ROOT / "scripts" / "mailsink.py"),
                    "--port",
                    str(self.ports.smtp),
                    "--maildir",
                    str(self.maildir),
                ],
                base_environment(),
            )
            if self.hydra:
                self.spawn_hydra(self.hydra)
            kratos_env = self.kratos_environment()
            if not self.dsn.startswith("memory"):
                migrate("Kratos", [str(binary), "migrate", "sql", "-e", "--yes"], kratos_env, KRATOS_DIR)
            configs = [arg for path in (KRATOS_DIR / "kratos.yml", *self.kratos_overlays) for arg in ("-c", str(path))]
            self._spawn(
                "kratos",
                [str(binary), "serve", "--dev", "--watch-courier", "--sqa-opt-out", *configs],
                kratos_env,
                cwd=KRATOS_DIR,
            )
            self.wait_http("kratos", self.public_url_internal + "/health/ready", timeout)
            if self.hydra:
                self.wait_http(self.hydra.name, self.hydra.admin_url + "/health/ready", timeout)
            self.wait_port("mailsink", self.ports.smtp, timeout)
            if with_ui:
                self.start_ui(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def start_ui(self, timeout: float = 30, name: str = "ui", port: int | None = None, env: dict | None = None) -> None:
        """The UI on ports.ui; or, behind a proxy that serves ports.ui (UI_URL), a replica `name` on `port`."""
        port = port or self.ports.ui
        if self.server == "production":
            argv = [sys.executable, "-m", "app.serve"]
            env = {"BIND": f"127.0.0.1:{port}", **(env or {})}
        else:
            argv = [sys.executable, "-m", "app", "--port", str(port)]
        self._spawn(name, argv, {**self.ui_environment(), **(env or {})})
        self.wait_port(name, port, timeout)

    def spawn_hydra(self, hydra: Hydra) -> None:
        """Start a Hydra (migrated first unless in memory); ready once its admin /health/ready answers."""
        binary = hydra_binary()
        if not binary.exists():
            raise StackError(f"no Hydra binary at {binary}: run `make hydra` or set HYDRA_BIN")
        env = hydra.environment()
        if not hydra.dsn.startswith("memory"):
            # Hydra v2.3 deprecates plain `migrate sql`.
            migrate("Hydra", [str(binary), "migrate", "sql", "up", "-e", "--yes"], env, HYDRA_DIR)
        self._spawn(hydra.name, hydra.argv(binary), env, cwd=HYDRA_DIR)

    def start_hydra(self, hydra: Hydra, timeout: float = 60) -> Hydra:
        """Another Hydra next to the stack (e.g. an upstream OIDC provider); stop() stops it too.
        Its env should set its own URLS_LOGIN, URLS_CONSENT, ...: hydra/hydra.yml's point at the UI."""
        check_free(hydra_ports(hydra))
        self.spawn_hydra(hydra)
        self.wait_http(hydra.name, hydra.admin_url + "/health/ready", timeout)
        return hydra

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
        # The UI first, then the servers, in the reverse order of starting.
        for name in reversed(list(self.procs)):
            self.stop_process(name)

    def _alive(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is not None:
            log = self.workdir / (name + ".log")
            raise StackError(
                f"{name} exited with status {proc.returncode}"
                + ("" if self.output else f"; see {log}; it ended:\n{_tail(log)}")
            )

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


# -- PostgreSQL (KRATOS_DB=postgres) ---------------------------------------------------


def postgres_bindir() -> Path | None:
    """Debian's PostgreSQL server programs (the `postgresql` package), newest version first."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    return found[0].parent if found else None


def kratos_db() -> str:
    """KRATOS_DB: "sqlite" (the default) or "postgres"."""
    value = os.environ.get("KRATOS_DB", "sqlite").strip().lower() or "sqlite"
    if value not in ("sqlite", "postgres"):
        raise StackError(f"KRATOS_DB={value!r} is not sqlite or postgres")
    return value


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster in `datadir` (initdb, pg_ctl), its unix socket inside it.

    PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the `postgres`
    system user (Debian's package creates it), and every directory above `datadir`
    that user could not pass through gets search permission for others (o+x: no listing).
    The clients (createdb, psql) and the shutdown run as the caller, who can always reach
    the socket and postmaster.pid (a pytest elsewhere may take the o+x back meanwhile).
    """

    datadir: Path
    port: int = 5432
    user: str = "kratos"
    password: str = "kratos"  # loopback only; the unix socket trusts local users
    log: Path | None = None

    @property
    def socket_dir(self) -> Path:
        return self.datadir / "socket"

    @property
    def bindir(self) -> Path:
        found = postgres_bindir()
        if found is None:
            raise StackError("no PostgreSQL server under /usr/lib/postgresql: apt-get install postgresql")
        return found

    def dsn(self, database: str) -> str:
        return (
            f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"
            "?sslmode=disable&max_conns=20&max_idle_conns=4"
        )

    def _owner(self) -> tuple[int, int] | None:
        """(uid, gid) to run as, when we are root."""
        if os.geteuid() != 0:
            return None
        import pwd

        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise StackError("running as root needs the `postgres` system user (apt-get install postgresql)") from None
        return entry.pw_uid, entry.pw_gid

    def _run(self, program: str, *args: str, check: bool = True, as_owner: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bindir / program), *args]
        owner = self._owner() if as_owner else None
        if owner:
            argv = ["setpriv", f"--reuid={owner[0]}", f"--regid={owner[1]}", "--clear-groups", *argv]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=self.datadir.parent,
            env={
                **base_environment(),
                "PGHOST": str(self.socket_dir),
                "PGPORT": str(self.port),
                "PGUSER": self.user,
                "HOME": str(self.datadir.parent),
            },
        )
        if check and done.returncode:
            last = ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1]
            raise StackError(f"PostgreSQL {program} failed: {last[:300]}")
        return done

    def _make_reachable(self, uid: int, gid: int) -> None:
        for parent in self.datadir.parents:
            mode = parent.stat().st_mode
            if parent.stat().st_uid != uid and not mode & 0o001:
                parent.chmod(mode | 0o001)

    def start(self, timeout: float = 60) -> Postgres:
        check_free({"PostgreSQL": self.port})
        self.datadir.mkdir(parents=True, exist_ok=True)
        owner = self._owner()
        if owner:
            self._make_reachable(*owner)
            os.chown(self.datadir, *owner)
        self.datadir.chmod(0o700)
        if not (self.datadir / "PG_VERSION").exists():
            pwfile = self.datadir.parent / f".{self.datadir.name}-password"
            pwfile.write_text(self.password + "\n")
            if owner:
                os.chown(pwfile, *owner)
            try:
                self._run(
                    "initdb",
                    "-D",
                    str(self.datadir),
                    "-U",
                    self.user,
                    f"--pwfile={pwfile}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--no-sync",
                )
            finally:
                pwfile.unlink()
        self.socket_dir.mkdir(exist_ok=True)
        if owner:
            os.chown(self.socket_dir, *owner)
        self.log = self.log or self.datadir.parent / f"{self.datadir.name}.log"
        self.log.touch()
        if owner:
            os.chown(self.log, *owner)
        self._pg_ctl_start(timeout)
        return self

    def _pg_ctl_start(self, timeout: float) -> None:
        owner = self._owner()
        if owner:
            self._make_reachable(*owner)
        # Only loopback TCP and the socket inside the data dir; fsync off: the data is throwaway.
        # -l: the server's output goes to its log, never to our pipe (which would never close).
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.datadir),
            "-w",
            "-t",
            str(int(timeout)),
            "-l",
            str(self.log),
            "-o",
            options,
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (copied from `template`, if given); returns its DSN."""
        self._run("createdb", *(("-T", template) if template else ()), name, as_owner=False)
        return self.dsn(name)

    def has_database(self, name: str) -> bool:
        done = self._run(
            "psql", "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'", as_owner=False
        )
        return done.stdout.strip() == "1"

    @property
    def pid(self) -> int | None:
        """The running postmaster's, from postmaster.pid (checked: a stale file may name another process)."""
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().split()[0])
            return pid if self._running(pid) else None
        except (OSError, ValueError, IndexError):
            return None

    def _running(self, pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            return False
        return state != "Z" and str(self.datadir).encode() in argv

    def restart(self, timeout: float = 60) -> None:
        """Fast shutdown (every connection cut), then up again on the same data."""
        self.stop()
        self._pg_ctl_start(timeout)

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (what `pg_ctl stop -m fast` sends: SIGINT), waited for."""
        pid = self.pid
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + timeout
            while self._running(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if self._running(pid):
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown
        except ProcessLookupError:
            pass


# -- nginx in front of UI replicas -------------------------------------------------------

NGINX_PROXY = ROOT / "deploy" / "nginx-proxy.conf"
# One line per request: when, status, the replica's status and address, times (s).
NGINX_LOG_FORMAT = "$msec $status $upstream_status $upstream_addr $request_time $upstream_response_time $request_method"


@dataclass
class Nginx:
    """Debian's nginx as a round-robin proxy on `port` over `upstreams` (ports), everything in `workdir`.

    It sends deploy/nginx-proxy.conf's headers, the same as docker compose's nginx. With
    `expose_upstream` (tests only) each response names its replica in X-Upstream.
    """

    workdir: Path
    port: int
    upstreams: tuple
    expose_upstream: bool = False

    @property
    def access_log(self) -> Path:
        return self.workdir / "nginx-access.log"

    def config(self) -> str:
        temp = "\n".join(
            f"    {kind}_temp_path {self.workdir / ('nginx-' + kind)};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        servers = "\n".join(f"        server 127.0.0.1:{port};" for port in self.upstreams)
        upstream_header = "        add_header X-Upstream $upstream_addr always;\n" if self.expose_upstream else ""
        return f"""daemon off;
master_process on;
worker_processes 1;
pid {self.workdir / "nginx.pid"};
error_log {self.workdir / "nginx-error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    log_format upstreams '{NGINX_LOG_FORMAT}';
    access_log {self.access_log} upstreams;
{temp}
    upstream ui {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://ui;
            include {NGINX_PROXY};
{upstream_header}        }}
    }}
}}
"""

    def argv(self) -> list:
        conf = self.workdir / "nginx.conf"
        conf.write_text(self.config())
        # -e: the startup error log too, before the config's error_log applies.
        return [nginx_binary(), "-c", str(conf), "-p", str(self.workdir), "-e", str(self.workdir / "nginx-error.log")]


def nginx_binary() -> str:
    return "/usr/sbin/nginx"


def start_replicas(
    stack: Stack, count: int = 2, expose_upstream: bool = False, env: dict | None = None, timeout: float = 30
) -> Nginx:
    """`count` UI processes (ui-1, ui-2, ...) behind nginx on ports.ui, which is UI_URL; the stack
    must have been started without its UI. stop() stops them all."""
    ports = [free_port() for _ in range(count)]
    for i, port in enumerate(ports, 1):
        stack.start_ui(timeout, name=f"ui-{i}", port=port, env={"TRUSTED_PROXIES": "1", **(env or {})})
    nginx = Nginx(stack.workdir, stack.ports.ui, tuple(ports), expose_upstream)
    check_free({"nginx": nginx.port})
    stack._spawn("nginx", nginx.argv(), base_environment())
    stack.wait_port("nginx", nginx.port, timeout)
    return nginx
