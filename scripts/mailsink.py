"""A local SMTP sink for Kratos's courier.

Keeps every mail as an .eml file in --maildir (tests read them there) and
prints the recipient, subject and any one-time code to the console, so a
developer can copy recovery and verification codes.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import signal
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def mail_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def read_mails(maildir: Path) -> list[email.message.EmailMessage]:
    """Every mail kept in `maildir`, oldest first."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(maildir.glob("*.eml"))
    ]


def wait_for_code(maildir: Path, recipient: str, seen: int = 0, timeout: float = 20) -> tuple[str, int]:
    """The one-time code in the newest mail to `recipient` beyond the first `seen` of them.

    Returns (code, number of mails to them so far), so a caller can wait for the next one.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = [m for m in read_mails(maildir) if recipient in str(m["to"])]
        if len(mails) > seen:
            code = CODE.search(mail_text(mails[-1]))
            if code:
                return code.group(1), len(mails)
        time.sleep(0.1)
    raise TimeoutError(f"no new mail with a code reached {recipient} within {timeout:.0f}s")


class MailDirHandler:
    def __init__(self, maildir: Path):
        self.maildir = maildir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.count += 1
            name = f"{time.time_ns()}-{self.count:05d}.eml"
        tmp = self.maildir / (name + ".tmp")
        tmp.write_bytes(envelope.content)
        tmp.rename(self.maildir / name)  # readers never see half a mail
        code = CODE.search(mail_text(message))
        print(
            f"mail to {', '.join(envelope.rcpt_tos)}: {message['subject']}"
            + (f"  [code {code.group(1)}]" if code else ""),
            flush=True,
        )
        return "250 Message accepted for delivery"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    args.maildir.mkdir(parents=True, exist_ok=True)
    controller = Controller(MailDirHandler(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink listening on {args.host}:{args.port}, keeping mail in {args.maildir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
