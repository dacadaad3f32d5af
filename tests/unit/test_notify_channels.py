"""Channel rules that need no server: the webhook signature (checked with an
independent implementation), replay refusal, SMTP failure classes, retry backoff,
and the channel settings."""
import hashlib
import hmac
import json
import uuid

import pytest

from services.notify.channels import (
    PermanentFailure, TransientFailure, Meta, WebhookChannel, classify_smtp, sign, verify,
)
from services.notify.delivery import RetryPolicy
from services.notify.rendering import Rendered
from services.notify.settings import NotifySettings

SECRET = "x" * 40


def independent_signature(secret, timestamp, body):
    # Written from docs/notify-webhook.md, not from channels.sign.
    digest = hmac.new(bytes(secret, "utf-8"), msg=f"{timestamp}.".encode("ascii") + body,
                      digestmod=hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def test_signature_matches_an_independent_implementation():
    """Broke: a signature a gateway following the documentation could not verify.
    Checks: the header value equals HMAC-SHA256 over "timestamp.body" computed
    independently, for a body with non-ASCII text."""
    channel = WebhookChannel("sms", "http://127.0.0.1:1/hook", SECRET, clock=lambda: 1_800_000_000)
    rendered = Rendered(language="id", subject="s", text="t", html="h", short="Giliran Anda — loket 2")
    body = channel.body("+6281234567789", rendered, Meta(str(uuid.uuid4()), "turn_near", "site", "id"))
    assert json.loads(body)["text"] == "Giliran Anda — loket 2"
    assert sign(SECRET, "1800000000", body) == independent_signature(SECRET, "1800000000", body)


def test_verify_refuses_tampering_and_replays():
    """Broke: a gateway helper accepting a changed body, a wrong secret or an old
    request. Checks: verify() accepts the fresh original only."""
    body = b'{"to":"+62812","text":"hi"}'
    headers = {"X-PTSP-Timestamp": "1800000000", "X-PTSP-Signature": independent_signature(SECRET, 1800000000, body)}
    assert verify(SECRET, headers, body, now=1_800_000_010)
    assert not verify(SECRET, headers, body + b" ", now=1_800_000_010)
    assert not verify("y" * 40, headers, body, now=1_800_000_010)
    assert not verify(SECRET, headers, body, now=1_800_000_000 + 301)      # replayed later
    assert not verify(SECRET, {**headers, "X-PTSP-Timestamp": "abc"}, body, now=1_800_000_000)


def test_smtp_codes():
    """Broke: a full mailbox (4xx) given up on, or a bad address (5xx) retried for
    ever. Checks: 4xx transient, 5xx permanent."""
    assert isinstance(classify_smtp(421, "busy"), TransientFailure)
    assert isinstance(classify_smtp(452, "full"), TransientFailure)
    assert isinstance(classify_smtp(550, "no such user"), PermanentFailure)


def test_backoff_is_exponential_and_capped():
    """Broke: retries hammering a server that is down. Checks: 5, 10, 20 … seconds,
    never more than the cap."""
    policy = RetryPolicy(max_attempts=10, base_s=5, max_s=60)
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [5, 10, 20, 40, 60]


def test_settings_refuse_a_webhook_without_secret():
    """Broke: an SMS gateway accepting signatures made with a public default.
    Checks: sms without URL or secret, an unknown channel, a malformed per-service
    threshold are refused at start-up; the defaults are e-mail to the local sink."""
    with pytest.raises(ValueError):  # no default secret: the installation's is always given
        NotifySettings()
    defaults = NotifySettings(PTSP_SECRET=SECRET)
    assert defaults.channels == ["email"] and (defaults.NOTIFY_SMTP_HOST, defaults.NOTIFY_SMTP_PORT) == ("127.0.0.1", 1025)
    with pytest.raises(ValueError):
        NotifySettings(PTSP_SECRET=SECRET, NOTIFY_CHANNELS="email,sms", NOTIFY_SMS_WEBHOOK_URL="http://gw")
    with pytest.raises(ValueError):
        NotifySettings(PTSP_SECRET=SECRET, NOTIFY_CHANNELS="email,sms", NOTIFY_WEBHOOK_SECRET=SECRET)
    with pytest.raises(ValueError):
        NotifySettings(PTSP_SECRET=SECRET, NOTIFY_CHANNELS="pigeon")
    with pytest.raises(ValueError):
        NotifySettings(PTSP_SECRET=SECRET, NOTIFY_TURN_NEAR_BY_SERVICE="SIM")
    ok = NotifySettings(PTSP_SECRET=SECRET, NOTIFY_CHANNELS="email, whatsapp, log", NOTIFY_WHATSAPP_WEBHOOK_URL="http://gw",
                        NOTIFY_WEBHOOK_SECRET=SECRET, NOTIFY_TURN_NEAR_BY_SERVICE="SIM=5", NOTIFY_SMTP_USER="")
    assert ok.channels == ["email", "whatsapp", "log"] and ok.turn_near.at("SIM") == 5 and ok.NOTIFY_SMTP_USER is None


def test_metrics_labels_hold_no_recipient():
    """Broke: a recipient in a metric label. Checks: the notify instruments' label
    names are channel, site and kind only."""
    from prometheus_client import CollectorRegistry

    from services.notify.metrics import LABELS, NotifyMetrics

    registry = CollectorRegistry()
    metrics = NotifyMetrics(registry)
    metrics.record_sent("email", "polres-demo", "ticket_called", 1.5)
    metrics.record_failed("sms", "polres-demo", "turn_near", retry=False)
    assert LABELS == ["channel", "site", "kind"]
    assert registry.get_sample_value("ptsp_notify_sent_total", {"channel": "email", "site": "polres-demo",
                                                                 "kind": "ticket_called"}) == 1
    assert registry.get_sample_value("ptsp_notify_dead_lettered_total", {"channel": "sms", "site": "polres-demo",
                                                                           "kind": "turn_near"}) == 1


def test_config_yml_gives_safe_notify_defaults():
    """Broke: config.yml's NOTIFY_* entries not parsing into the notify settings.
    Checks: the shipped config.yml gives e-mail to the local sink on 127.0.0.1:1025,
    turn-near at 3, no webhook secret, and builds exactly the e-mail channel."""
    from shared.infrastructure.config import load_config
    from services.notify.channels import EmailChannel, build_channels
    from services.notify.settings import notify_settings

    settings = notify_settings(load_config())
    assert settings.channels == ["email"] and settings.NOTIFY_WEBHOOK_SECRET is None
    assert (settings.NOTIFY_SMTP_HOST, settings.NOTIFY_SMTP_PORT, settings.turn_near.at("SIM")) == ("127.0.0.1", 1025, 3)
    [(name, channel)] = build_channels(settings).items()
    assert name == "email" and isinstance(channel, EmailChannel)


def test_the_dependency_provider_builds_the_outlet():
    """Broke: the notify service failing to start with a bad channel list only at the
    first send, or an outlet missing its policy. Checks: the Notify provider turns
    the container's config into settings, channels and an Outlet with the configured
    retry policy and rate limit; a bad NOTIFY_CHANNELS fails in setup()."""
    from types import SimpleNamespace

    from services.notify.dependencies import Notify

    provider = Notify()
    provider.container = SimpleNamespace(config={"NOTIFY_CHANNELS": "email,log", "NOTIFY_MAX_ATTEMPTS": 3,
                                                 "NOTIFY_RATE_LIMIT_PER_HOUR": 7, "PTSP_SECRET": "k" * 40})
    provider.setup()
    kit = provider.get_dependency(None)
    outlet = kit.outlet(lookup=lambda subject, subject_id, site: None)
    assert list(outlet.channels) == ["email", "log"] and outlet.policy.max_attempts == 3
    assert outlet.rate_limit_per_hour == 7 and outlet.secret == "k" * 40 and kit.turn_near.at("SIM") == 3
    provider.container = SimpleNamespace(config={"NOTIFY_CHANNELS": "email,fax"})
    with pytest.raises(ValueError):
        provider.setup()
