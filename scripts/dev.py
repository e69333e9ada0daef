"""`make dev`: Kratos, the mail sink and the UI in the foreground until Ctrl-C.

Your environment passes through to Kratos, so its env overrides work, e.g.
`SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE=3s make dev`.
Accounts persist in .data/kratos.sqlite (DEV_DATA_DIR moves it); delete it to
start afresh. Ports: SERVE_PUBLIC_PORT and SERVE_ADMIN_PORT (Kratos's own
settings), UI_PORT and SMTP_PORT. DEV_HOST=localhost serves everything on
localhost, which WebAuthn and passkeys need (they refuse an IP address).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from stack import ROOT, Ports, Stack, StackError


def ports_from_env() -> Ports:
    defaults = Ports()
    named = {"SERVE_PUBLIC_PORT": "public", "SERVE_ADMIN_PORT": "admin", "UI_PORT": "ui", "SMTP_PORT": "smtp"}
    for variable, field in named.items():
        value = os.environ.get(variable)
        if value:
            if not value.isdigit():
                raise StackError(f"{variable}={value!r} is not a port number")
            setattr(defaults, field, int(value))
    return defaults


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
    stack = Stack(workdir=data, ports=ports, host=host, dsn=f"sqlite://{data / 'kratos.sqlite'}?_fk=true&mode=rwc",
                  output=sys.stdout)

    def stop(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
        print(f"\n  UI:           {stack.ui_url}\n  Kratos:       {stack.public_url} (admin {stack.admin_url})\n"
              f"  Mail sink:    smtp://127.0.0.1:{stack.ports.smtp}, mails in {stack.maildir}\n"
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


if __name__ == "__main__":
    sys.exit(main())
