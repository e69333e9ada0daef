"""`make dev`: Kratos, Hydra, the mail sink and the UI in the foreground until Ctrl-C.

Your environment passes through to Kratos (not to Hydra, whose settings share
Kratos's names), so Kratos env overrides work, e.g.
`SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE=3s make dev`.
Accounts persist in .data/kratos.sqlite, OAuth2 clients and grants in
.data/hydra.sqlite (DEV_DATA_DIR moves them); delete them to start afresh.
KRATOS_DB=postgres runs Kratos on PostgreSQL instead: a cluster of its own in
.data/postgres, on POSTGRES_PORT (5432), database "kratos".
Ports: SERVE_PUBLIC_PORT and SERVE_ADMIN_PORT (Kratos's own settings), UI_PORT,
SMTP_PORT, HYDRA_PUBLIC_PORT and HYDRA_ADMIN_PORT. DEV_HOST=localhost serves
everything on localhost, which WebAuthn and passkeys need (they refuse an IP address).
The demo OAuth2 app (scripts/demo_app.py) listens on DEMO_APP_PORT (4446); DEMO_PROVIDER=1
adds a demo social sign-in provider (scripts/demo_provider.py, ports 4447-4449).
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

from demo_app import DemoApp
from demo_provider import Upstream
from stack import ROOT, Hydra, Ports, Postgres, Stack, StackError, check_free, kratos_db

# The demo OAuth2 client: a fixed id, so its authorize URL stays the same across restarts.
DEMO_CLIENT_ID = "demo-app"
DEMO_CLIENT_SECRET = "demo-app-secret"  # development only, like the servers' dev secrets
# scripts/demo_app.py serves the demo app here: it exchanges the code and shows the id_token.
DEMO_PORT = 4446  # DEMO_APP_PORT moves it
DEMO_CALLBACK = f"http://127.0.0.1:{DEMO_PORT}/callback"


# DEMO_PROVIDER=1: the demo social provider's Hydra (public, admin) and its login app.
DEMO_PROVIDER_PORTS = (4447, 4448, 4449)


def demo_callback(port: int) -> str:
    return f"http://127.0.0.1:{port}/callback"


def ports_from_env() -> Ports:
    defaults = Ports()
    named = {
        "SERVE_PUBLIC_PORT": "public",
        "SERVE_ADMIN_PORT": "admin",
        "UI_PORT": "ui",
        "SMTP_PORT": "smtp",
        "HYDRA_PUBLIC_PORT": "hydra_public",
        "HYDRA_ADMIN_PORT": "hydra_admin",
    }
    for variable, field in named.items():
        value = os.environ.get(variable)
        if value:
            if not value.isdigit():
                raise StackError(f"{variable}={value!r} is not a port number")
            setattr(defaults, field, int(value))
    return defaults


def sqlite(path: Path) -> str:
    return f"sqlite://{path}?_fk=true&mode=rwc"


def register_demo_client(hydra: Hydra, callback: str = DEMO_CALLBACK) -> str:
    """Create or update the demo client through Hydra's admin API; return an authorize URL for it."""
    client = {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "client_name": "Demo app",
        "redirect_uris": [callback],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid offline_access email",
    }
    url = f"{hydra.admin_url}/admin/clients"
    try:
        exists = requests.get(f"{url}/{DEMO_CLIENT_ID}", timeout=5).status_code == 200
        answer = (
            requests.put(f"{url}/{DEMO_CLIENT_ID}", json=client, timeout=5)
            if exists
            else requests.post(url, json=client, timeout=5)
        )
    except requests.RequestException as exc:
        raise StackError(f"could not register the demo OAuth2 client: {type(exc).__name__}") from None
    if answer.status_code not in (200, 201):
        raise StackError(f"Hydra refused the demo OAuth2 client: HTTP {answer.status_code}")
    query = urlencode(
        {
            "client_id": DEMO_CLIENT_ID,
            "response_type": "code",
            "scope": "openid offline_access email",
            "redirect_uri": callback,
            "state": secrets.token_urlsafe(12),
        }
    )
    return f"{hydra.public_url}/oauth2/auth?{query}"


def main() -> int:
    data = Path(os.environ.get("DEV_DATA_DIR") or ROOT / ".data")
    data.mkdir(parents=True, exist_ok=True)
    try:
        ports = ports_from_env()
    except StackError as exc:
        print(f"make dev: {exc}", file=sys.stderr)
        return 1
    host = os.environ.get("DEV_HOST", "127.0.0.1")
    if host not in ("127.0.0.1", "localhost"):
        print(f"make dev: DEV_HOST={host!r} must be 127.0.0.1 or localhost", file=sys.stderr)
        return 1
    try:
        postgres = (
            Postgres(data / "postgres", port=int(os.environ.get("POSTGRES_PORT") or 5432))
            if kratos_db() == "postgres"
            else None
        )
    except (StackError, ValueError) as exc:
        print(f"make dev: {exc}", file=sys.stderr)
        return 1
    provider, overlays = None, ()
    if os.environ.get("DEMO_PROVIDER", "").lower() in ("1", "true", "yes"):
        # A social sign-in button backed by a second Hydra that takes any email (dev tooling).
        provider = Upstream.create(DEMO_PROVIDER_PORTS, provider_id="demo", label="Demo provider (development only)")
        provider.app.email = None  # ask
        overlays = (data / "demo-provider.yml",)
        provider.write_kratos_overlay(overlays[0])
    stack = Stack(
        workdir=data,
        ports=ports,
        host=host,
        dsn=sqlite(data / "kratos.sqlite"),
        output=sys.stdout,
        kratos_overlays=overlays,
        with_hydra=True,
        hydra_dsn=sqlite(data / "hydra.sqlite"),
        inherit_env=True,
    )

    def stop(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        demo_port = int(os.environ.get("DEMO_APP_PORT") or DEMO_PORT)
        check_free({"demo app": demo_port})
        if postgres:
            postgres.start()
            if not postgres.has_database("kratos"):
                postgres.create_database("kratos")
            stack.dsn = postgres.dsn("kratos")
        stack.start()
        hydra = stack.hydra
        authorize = register_demo_client(hydra, demo_callback(demo_port))
        demo = DemoApp(hydra.public_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, demo_port).start()
        if provider:
            provider.start(stack)
        print(
            f"\n  UI:           {stack.ui_url}\n  Kratos:       {stack.public_url} (admin {stack.admin_url})\n"
            f"  Hydra:        {hydra.public_url} (admin {hydra.admin_url}), discovery at "
            f"{hydra.public_url}/.well-known/openid-configuration\n"
            f"  Mail sink:    smtp://127.0.0.1:{stack.ports.smtp}, mails in {stack.maildir}\n"
            f"  Demo app:     {demo.url}/ : sign in there (register, consent) and see the id_token it gets.\n"
            f"                OAuth2 client {DEMO_CLIENT_ID} (its secret is in scripts/dev.py); authorize URL:\n"
            f"                {authorize}\n"
            + (
                f"  Demo provider: a social sign-in button on the sign-in page ({provider.hydra.public_url}, "
                "takes any email, development only)\n"
                if provider
                else ""
            )
            + "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while True:
            for name, proc in list(stack.procs.items()):
                if proc.poll() is not None:
                    raise StackError(f"{name} exited with status {proc.returncode}")
            time.sleep(0.5)
    except StackError as exc:
        print(f"make dev: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()
        if postgres:
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
