"""The development SMTP sink: ``python -m services.notify.smtp_sink``.

Accepts every message on 127.0.0.1:1025 (``--host``/``--port``, or
NOTIFY_SINK_HOST / NOTIFY_SINK_PORT) and keeps each one as a file under var/mail/
(``--dir`` or NOTIFY_SINK_DIR): ``<UTC time>-<random>.eml``, written to a temporary
name and renamed, so a reader never sees half a message. Nothing is relayed.

It runs in a process of its own (aiosmtpd is asyncio; the services are eventlet).
Log lines name the masked recipients only.
"""
import argparse
import asyncio
import logging
import os
import signal
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

from aiosmtpd.controller import Controller

from services.notify.masking import mask

log = logging.getLogger("services.notify.smtp_sink")

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


class MaildirHandler:
    """aiosmtpd handler: one .eml file per accepted message."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def store(self, content: bytes) -> Path:
        name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}.eml"
        final = self.directory / name
        partial = self.directory / f".{name}.tmp"
        with open(partial, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)   # atomic on one file system
        return final

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        path = await asyncio.get_running_loop().run_in_executor(None, self.store, content)
        log.info("kept %s for %s", path.name, ", ".join(mask(r) for r in envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def make_controller(directory, host="127.0.0.1", port=1025) -> Controller:
    return Controller(MaildirHandler(directory), hostname=host, port=port)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("NOTIFY_SINK_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("NOTIFY_SINK_PORT", "1025")))
    parser.add_argument("--dir", default=os.environ.get("NOTIFY_SINK_DIR", str(REPO_ROOT / "var" / "mail")))
    args = parser.parse_args(argv)
    # Lines start with the process name, like the services' (config.yml's format).
    process = os.environ.get("PTSP_PROCESS", "smtp-sink").replace("%", "%%")
    logging.basicConfig(level=logging.INFO, format=process + " | %(asctime)s %(levelname)s %(name)s %(message)s")
    # aiosmtpd's own logger writes every sender and recipient in the clear at INFO.
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    controller = make_controller(args.dir, args.host, args.port)
    controller.start()
    log.info("SMTP sink on %s:%d keeping mail in %s", args.host, args.port, args.dir)
    done = {"flag": False}

    def stop(_signum, _frame):
        done["flag"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not done["flag"]:
            signal.pause()
    finally:
        controller.stop()
        log.info("SMTP sink stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
