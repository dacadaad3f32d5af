"""The ways a message leaves the system: e-mail over SMTP, a signed webhook to an SMS
or WhatsApp gateway, and a log line for development.

Every channel has ``send(address, rendered, meta)`` and either returns (handed off)
or raises :class:`TransientFailure` (try again later: the server is down, busy or
said 4xx) or :class:`PermanentFailure` (trying again cannot help: SMTP 5xx, the
gateway refused the request). Error texts never contain the address.
"""
import hashlib
import hmac
import json
import logging
import smtplib
import socket
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Mapping, Optional

import requests

from services.notify.masking import mask
from services.notify.rendering import Rendered

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-PTSP-Signature"
TIMESTAMP_HEADER = "X-PTSP-Timestamp"
DELIVERY_HEADER = "X-PTSP-Delivery"
REPLAY_WINDOW_S = 300


class DeliveryFailure(Exception):
    transient = True


class TransientFailure(DeliveryFailure):
    transient = True


class PermanentFailure(DeliveryFailure):
    transient = False


@dataclass(frozen=True)
class Meta:
    """What a channel may say about a message besides its words (no personal data)."""
    delivery_id: str
    kind: str
    site: str
    language: str


# --- e-mail -----------------------------------------------------------------------------------

class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout_s: float = 10.0,
                 starttls: bool = False, username: Optional[str] = None, password: Optional[str] = None):
        self.host, self.port, self.sender = host, port, sender
        self.timeout_s, self.starttls = timeout_s, starttls
        self.username, self.password = username, password

    def build(self, address: str, rendered: Rendered, meta: Meta) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        # One Message-ID per delivery record: a receiving server (or person) can tell a
        # retry of the same message from a new one.
        message["Message-ID"] = make_msgid(idstring=meta.delivery_id.replace("-", ""), domain="ptsp.local")
        message["Content-Language"] = rendered.language
        message["X-PTSP-Kind"] = meta.kind
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message

    def send(self, address: str, rendered: Rendered, meta: Meta) -> None:
        message = self.build(address, rendered, meta)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise classify_smtp(min(codes) if codes else 550, "recipient refused") from None
        except smtplib.SMTPResponseException as exc:
            raise classify_smtp(exc.smtp_code, type(exc).__name__) from None
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            # Connection refused or reset, timeout, server went away: try again later.
            raise TransientFailure(f"smtp {self.host}:{self.port}: {type(exc).__name__}") from None


def classify_smtp(code: int, what: str) -> DeliveryFailure:
    text = f"smtp {code} {what}"
    return TransientFailure(text) if 400 <= code < 500 else PermanentFailure(text)


# --- webhook (SMS / WhatsApp gateways) -------------------------------------------------------------

def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, timestamp + "." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: Optional[float] = None,
           window_s: int = REPLAY_WINDOW_S) -> bool:
    """What a gateway does (docs/notify-webhook.md): the timestamp is recent, and the
    signature over exactly these bytes matches (compared in constant time)."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    if not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > window_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), headers.get(SIGNATURE_HEADER, ""))


class WebhookChannel:
    """JSON POST to a gateway that sends the SMS or WhatsApp message."""

    def __init__(self, name: str, url: str, secret: str, timeout_s: float = 10.0, clock=time.time):
        if not url or not secret:
            raise ValueError(f"the {name} channel needs a webhook URL and secret")
        self.name, self.url, self.secret, self.timeout_s, self.clock = name, url, secret, timeout_s, clock

    def body(self, address: str, rendered: Rendered, meta: Meta) -> bytes:
        return json.dumps({
            "id": meta.delivery_id, "channel": self.name, "to": address, "text": rendered.short,
            "language": rendered.language, "kind": meta.kind, "site": meta.site,
        }, separators=(",", ":"), ensure_ascii=False).encode()

    def send(self, address: str, rendered: Rendered, meta: Meta) -> None:
        body = self.body(address, rendered, meta)
        timestamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json; charset=utf-8", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(self.secret, timestamp, body), DELIVERY_HEADER: meta.delivery_id}
        try:
            response = requests.post(self.url, data=body, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise TransientFailure(f"{self.name} webhook: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        # HTTP is the other way round from SMTP: 5xx, 408 and 429 mean "later";
        # any other 4xx means the gateway will never take this request.
        if status >= 500 or status in (408, 429):
            raise TransientFailure(f"{self.name} webhook: HTTP {status}")
        raise PermanentFailure(f"{self.name} webhook: HTTP {status}")


# --- development ------------------------------------------------------------------------------

class LogChannel:
    """Development: logs that a message would have gone out — kind, language and the
    masked recipient, never the words (they can carry the ticket's access link)."""
    name = "log"

    def __init__(self, logger: logging.Logger = log):
        self.logger = logger

    def send(self, address: str, rendered: Rendered, meta: Meta) -> None:
        self.logger.info("notify %s (%s) to %s [delivery %s]", meta.kind, rendered.language, mask(address),
                         meta.delivery_id)


def build_channels(settings) -> dict:
    """The channels a site configured (NOTIFY_CHANNELS), built from NotifySettings."""
    built = {}
    for name in settings.channels:
        if name == "email":
            built[name] = EmailChannel(settings.NOTIFY_SMTP_HOST, settings.NOTIFY_SMTP_PORT,
                                       settings.NOTIFY_SMTP_FROM, settings.NOTIFY_SMTP_TIMEOUT_S,
                                       settings.NOTIFY_SMTP_STARTTLS, settings.NOTIFY_SMTP_USER or None,
                                       settings.NOTIFY_SMTP_PASSWORD or None)
        elif name == "sms":
            built[name] = WebhookChannel("sms", settings.NOTIFY_SMS_WEBHOOK_URL, settings.NOTIFY_WEBHOOK_SECRET,
                                         settings.NOTIFY_WEBHOOK_TIMEOUT_S)
        elif name == "whatsapp":
            built[name] = WebhookChannel("whatsapp", settings.NOTIFY_WHATSAPP_WEBHOOK_URL,
                                         settings.NOTIFY_WEBHOOK_SECRET, settings.NOTIFY_WEBHOOK_TIMEOUT_S)
        elif name == "log":
            built[name] = LogChannel()
    return built
