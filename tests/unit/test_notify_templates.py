"""The notify templates: every kind of message renders in Indonesian and English
from the facts the domain gives, with no missing variable; HTML is escaped."""
import email
import uuid
from datetime import datetime, timezone

import pytest
from jinja2 import UndefinedError

from services.notify import domain
from services.notify.domain import KINDS, Contact, Message
from services.notify.rendering import Renderer

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)

# The facts each kind carries, as domain.on_queue_event / on_application_event make them.
FACTS = {
    "ticket_issued": {"number": "B012", "service": "SKCK", "ahead": 4},
    "turn_near": {"number": "B012", "service": "SKCK", "ahead": 2},
    "ticket_called": {"number": "B012", "service": "SKCK", "counter": 3},
    "ticket_no_show": {"number": "B012", "service": "SKCK"},
    "application_submitted": {"type": "SKCK_NEW", "type_name": "SKCK Baru", "type_name_en": "New SKCK",
                              "step": "registration", "step_name": "Pendaftaran", "step_name_en": "Registration",
                              "in_hall": True},
    "application_advanced": {"type": "SIM_A_NEW", "type_name": "SIM A Baru", "type_name_en": "New SIM A",
                             "step": "theory", "step_name": "Ujian Teori", "step_name_en": "Theory test",
                             "service": "SIM", "hall": True},
    "application_failed": {"type": "SIM_A_NEW", "type_name": "SIM A Baru", "type_name_en": "New SIM A",
                           "step": "practice", "step_name": "Ujian Praktik", "step_name_en": "Practical test",
                           "reason": "failed", "retake_after": "2026-12-10"},
    "application_ready": {"type": "SKCK_NEW", "type_name": "SKCK Baru", "type_name_en": "New SKCK",
                          "online": False, "valid_until": "2027-05-26"},
    "application_status": {"type": "CROWD_PERMIT", "type_name": "Izin Keramaian", "type_name_en": "Crowd permit",
                           "status": "returned"},
}


def message(kind, **facts):
    subject = "ticket" if kind in domain.TICKET_KINDS else "application"
    return Message(event_id=uuid.uuid4(), kind=kind, site="polres-test", subject=subject,
                   subject_id=uuid.uuid4(), occurred_at=T0, facts={**FACTS[kind], **facts})


def test_every_kind_has_facts_here():
    """Broke: a kind added without a template test. Checks: FACTS covers every kind."""
    assert set(FACTS) == set(KINDS)


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(kind, language):
    """Broke: a template missing, or using a variable the message lacks (StrictUndefined
    raises). Checks: subject, text, HTML and SMS text are all non-empty, the SMS is
    short, and the status link appears in text, HTML and SMS."""
    contact = Contact(email="warga@example.id", track_url="http://ptsp.test/t/abc?k=SECRET", estimated_wait_s=900)
    out = Renderer("Polres Demo").render(message(kind), contact, language)
    assert out.language == language
    assert out.subject and out.text and out.short and "<html" in out.html
    assert "\n" not in out.subject
    assert len(out.short.replace(" http://ptsp.test/t/abc?k=SECRET", "")) <= 160
    for part in (out.text, out.short, out.html):
        assert "http://ptsp.test/t/abc?k=SECRET" in part
    if "number" in FACTS[kind]:
        assert "B012" in out.subject + out.text


@pytest.mark.parametrize("kind", KINDS)
def test_renders_without_contact_extras(kind):
    """Broke: templates needing a status link or an estimate that the owner may not
    give. Checks: rendering with no contact at all works in both languages."""
    for language in ("id", "en"):
        out = Renderer().render(message(kind), None, language)
        assert out.text and "None" not in out.text and "None" not in out.short


def test_language_follows_the_citizen():
    """Broke: English speakers written to in Indonesian. Checks: the contact's language
    wins over the message's; no choice gives Indonesian."""
    renderer = Renderer()
    assert renderer.render(message("ticket_called"), Contact(language="en")).text.startswith("Queue number")
    assert renderer.render(message("ticket_called"), None).text.startswith("Nomor antrean")
    en_message = Message(**{**message("ticket_called").__dict__, "language": "en"})
    assert renderer.render(en_message, Contact(email="x@y.z")).language == "en"


def test_html_is_escaped_and_text_is_not():
    """Broke: a fact that looks like markup injected into the HTML e-mail. Checks: the
    HTML escapes it; the plain text keeps it as written."""
    evil = message("application_status", type_name="<script>alert(1)</script>")
    out = Renderer().render(evil, None, "id")
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert "<script>alert(1)</script>" in out.text


def test_a_missing_fact_is_an_error():
    """Broke: a missing fact rendered as an empty string. Checks: StrictUndefined
    raises for a message without its counter."""
    broken = message("ticket_called")
    del broken.facts["counter"]
    with pytest.raises(UndefinedError):
        Renderer().render(broken, None, "id")


def test_dates_in_the_citizens_language():
    """Broke: ISO dates in a citizen's message. Checks: the retake date in words."""
    assert "10 Desember 2026" in Renderer().render(message("application_failed"), None, "id").text
    assert "10 December 2026" in Renderer().render(message("application_failed"), None, "en").text


def test_email_channel_builds_text_and_html_parts():
    """Broke: e-mail without the HTML alternative or with the wrong headers. Checks: a
    multipart/alternative message with both parts, UTF-8 subject round-trips."""
    from services.notify.channels import EmailChannel, Meta

    out = Renderer("Polres Demo").render(message("ticket_issued"), Contact(track_url="http://t"), "id")
    built = EmailChannel("127.0.0.1", 1, "PTSP <no-reply@ptsp.local>").build(
        "warga@example.id", out, Meta(delivery_id=str(uuid.uuid4()), kind="ticket_issued", site="s", language="id"))
    parsed = email.message_from_bytes(bytes(built))
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.get_payload()] == ["text/plain", "text/html"]
    assert str(email.header.make_header(email.header.decode_header(parsed["Subject"]))) == out.subject
