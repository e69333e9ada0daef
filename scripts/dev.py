"""`make dev`: Kratos, the mail sink and the UI in the foreground until Ctrl-C.

Your environment passes through to Kratos, so its env overrides work, e.g.
`SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE=3s make dev`.
Accounts persist in .data/kratos.sqlite; delete it to start afresh.
"""

from __future__ import annotations

import signal
import sys
import time

from stack import ROOT, Stack, StackError


def main() -> int:
    data = ROOT / ".data"
    data.mkdir(exist_ok=True)
    stack = Stack(workdir=data, dsn=f"sqlite://{data / 'kratos.sqlite'}?_fk=true&mode=rwc",
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
