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

from stack import ROOT, Hydra, Ports, Postgres, Stack, StackError, kratos_db

# The demo OAuth2 client: a fixed id, so its authorize URL stays the same across restarts.
DEMO_CLIENT_ID = "demo-app"
DEMO_CLIENT_SECRET = "demo-app-secret"  # development only, like the servers' dev secrets
# Nothing listens here (yet): the browser's address bar shows the code.
DEMO_CALLBACK = "http://127.0.0.1:4446/callback"


def ports_from_env() -> Ports:
    defaults = Ports()
    named = {"SERVE_PUBLIC_PORT": "public", "SERVE_ADMIN_PORT": "admin", "UI_PORT": "ui", "SMTP_PORT": "smtp",
             "HYDRA_PUBLIC_PORT": "hydra_public", "HYDRA_ADMIN_PORT": "hydra_admin"}
    for variable, field in named.items():
        value = os.environ.get(variable)
        if value:
            if not value.isdigit():
                raise StackError(f"{variable}={value!r} is not a port number")
            setattr(defaults, field, int(value))
    return defaults


def sqlite(path: Path) -> str:
    return f"sqlite://{path}?_fk=true&mode=rwc"


def register_demo_client(hydra: Hydra) -> str:
    """Create or update the demo client through Hydra's admin API; return an authorize URL for it."""
    client = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "client_name": "Demo app",
              "redirect_uris": [DEMO_CALLBACK], "grant_types": ["authorization_code", "refresh_token"],
              "response_types": ["code"], "scope": "openid offline_access email"}
    url = f"{hydra.admin_url}/admin/clients"
    try:
        exists = requests.get(f"{url}/{DEMO_CLIENT_ID}", timeout=5).status_code == 200
        answer = (requests.put(f"{url}/{DEMO_CLIENT_ID}", json=client, timeout=5) if exists
                  else requests.post(url, json=client, timeout=5))
    except requests.RequestException as exc:
        raise StackError(f"could not register the demo OAuth2 client: {type(exc).__name__}") from None
    if answer.status_code not in (200, 201):
        raise StackError(f"Hydra refused the demo OAuth2 client: HTTP {answer.status_code}")
    query = urlencode({"client_id": DEMO_CLIENT_ID, "response_type": "code", "scope": "openid offline_access email",
                       "redirect_uri": DEMO_CALLBACK, "state": secrets.token_urlsafe(12)})
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
        postgres = Postgres(data / "postgres", port=int(os.environ.get("POSTGRES_PORT") or 5432)) \
            if kratos_db() == "postgres" else None
    except (StackError, ValueError) as exc:
        print(f"make dev: {exc}", file=sys.stderr)
        return 1
    stack = Stack(workdir=data, ports=ports, host=host, dsn=sqlite(data / "kratos.sqlite"), output=sys.stdout,
                  with_hydra=True, hydra_dsn=sqlite(data / "hydra.sqlite"), inherit_env=True)

    def stop(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if postgres:
            postgres.start()
            if not postgres.has_database("kratos"):
                postgres.create_database("kratos")
            stack.dsn = postgres.dsn("kratos")
        stack.start()
        hydra = stack.hydra
        authorize = register_demo_client(hydra)
        print(f"\n  UI:           {stack.ui_url}\n  Kratos:       {stack.public_url} (admin {stack.admin_url})\n"
              f"  Hydra:        {hydra.public_url} (admin {hydra.admin_url}), discovery at "
              f"{hydra.public_url}/.well-known/openid-configuration\n"
              f"  Mail sink:    smtp://127.0.0.1:{stack.ports.smtp}, mails in {stack.maildir}\n"
              f"  Demo app:     OAuth2 client {DEMO_CLIENT_ID} (its secret is in scripts/dev.py); sign in to it at\n"
              f"                {authorize}\n"
              "  Ctrl-C stops everything.\n", flush=True)
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
