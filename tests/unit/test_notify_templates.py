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
    "ticket_completed": {"number": "B012", "service": "SKCK"},
    "application_submitted": {"type": "SKCK_NEW", "step": "registration", "in_hall": True},
    "application_advanced": {"type": "SIM_A_NEW", "step": "theory_test", "from_step": "health_check",
                             "resumed": False},
    "application_failed": {"type": "SIM_A_NEW", "step": "practical_test", "reason": "failed",
                           "retake_after": "2026-12-10"},
    "application_ready": {"type": "SKCK_NEW", "document_number": "SKCK/YANMAS/123/XI/2026",
                          "valid_until": "2027-05-26"},
    "application_missed": {"type": "SIM_A_NEW", "step": "theory_test", "why": "no_show"},
    "application_status": {"type": "CROWD_PERMIT", "status": "expired", "reason": "registration_lapsed"},
}


# What documents answers with the contact (services/notify/contacts.py application_details).
DETAILS = {
    "online": False, "type_name": "SIM A Baru", "type_name_en": "New SIM A",
    "steps": {"registration": {"name": "Pendaftaran", "name_en": "Registration", "service": "SIM"},
              "theory_test": {"name": "Ujian teori", "name_en": "Theory test", "service": "SIM"},
              "practical_test": {"name": "Ujian praktik", "name_en": "Practical test", "service": "SIM"}},
    "current_step": "theory_test",
    "ticket": {"number": "C007", "service": "SIM", "service_name": "Layanan SIM", "service_name_en": "SIM services"},
    "last": {"step": "practical_test", "outcome": "failed", "note": "belum lancar parkir mundur", "missing": []},
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
    evil = Contact(details={"type_name": "<script>alert(1)</script>"})
    out = Renderer().render(message("application_status"), evil, "id")
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert "<script>alert(1)</script>" in out.text
    note = Contact(details={**DETAILS, "last": {**DETAILS["last"], "note": "<b>parkir</b>"}})
    out = Renderer().render(message("application_failed"), note, "id")
    assert "&lt;b&gt;parkir&lt;/b&gt;" in out.html and "<b>parkir" not in out.html


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


def test_application_messages_say_where_to_go_why_and_when():
    """Broke: an application message that names codes instead of steps, does not say
    which queue and number come next, or hides the officer's reason. Checks: with the
    documents service's details the names are the citizen's language's, advanced names
    the next queue and number, failed gives the reason and the retake date, incomplete
    lists what is missing, an online report says issued/returned, expired says so."""
    renderer, contact = Renderer(), Contact(details=DETAILS)
    advanced = renderer.render(message("application_advanced"), contact, "id")
    assert advanced.subject == "Langkah berikutnya: Ujian teori"
    assert "antrean layanan Layanan SIM; nomor antrean Anda C007" in advanced.text
    assert "C007" in advanced.short
    english = renderer.render(message("application_advanced"), contact, "en")
    assert "Next step: Theory test. Please go to the SIM services queue; your number is C007" in english.text
    failed = renderer.render(message("application_failed"), contact, "en")
    assert failed.subject == "New SIM A application: Practical test not passed"
    assert "The reason: belum lancar parkir mundur." in failed.text and "10 December 2026" in failed.text
    missing = {**DETAILS, "last": {"step": "practical_test", "outcome": "incomplete", "note": None,
                                  "missing": [{"name": "Surat keterangan sehat", "name_en": "Health certificate"}]}}
    incomplete = renderer.render(message("application_failed", reason="incomplete", retake_after=None),
                                 Contact(details=missing), "en")
    assert "Still missing: Health certificate." in incomplete.text
    online = {**DETAILS, "online": True, "type_name": "Izin keramaian", "type_name_en": "Crowd permit",
              "steps": {"review": {"name": "Pemeriksaan berkas oleh petugas", "name_en": "Review by an officer"}},
              "last": {"step": "review", "outcome": "failed", "note": "jumlah peserta tidak diisi", "missing": []}}
    returned = renderer.render(message("application_failed", step="review", retake_after=None),
                               Contact(details=online), "id")
    assert returned.subject == "Permohonan Izin keramaian dikembalikan"
    assert "Alasannya: jumlah peserta tidak diisi." in returned.text
    issued = renderer.render(message("application_ready"), Contact(details=online), "en")
    assert issued.subject == "Your Crowd permit has been issued" and "download it" in issued.text
    ready = renderer.render(message("application_ready"), contact, "id")
    assert ready.subject == "SIM A Baru Anda siap diambil" and "26 Mei 2027" in ready.text
    expired = renderer.render(message("application_status"), Contact(details=online), "en")
    assert expired.subject == "Crowd permit application expired" and "register again" in expired.text


def test_a_missed_call_tells_how_to_come_back_with_the_tracking_code_in_both_languages():
    """Broke: a citizen whose step's number was called while they were away was told
    nothing. Checks: application_missed names the type and the step, says to come back
    and check in at the kiosk with the tracking code (shown) for a new number at the
    same step, in Indonesian and English, in text, HTML and SMS, with the status link;
    a ticket closed with the day says so and asks for the next service day."""
    renderer = Renderer()
    details = {**DETAILS, "current_step": "theory_test", "ticket": None, "tracking_code": "ABCD-EFGH-JKMN"}
    contact = Contact(details=details, track_url="http://ptsp.test/a/ABCD-EFGH-JKMN")
    by_id = renderer.render(message("application_missed"), contact, "id")
    assert by_id.subject == "Permohonan SIM A Baru: Anda tidak hadir saat dipanggil"
    assert "langkah Ujian teori permohonan SIM A Baru sudah dipanggil, tetapi Anda tidak berada di loket" in by_id.text
    assert "check-in di kios dengan kode permohonan ABCD-EFGH-JKMN" in by_id.text
    assert "nomor antrean baru untuk langkah Ujian teori" in by_id.text
    assert "hari layanan berikutnya" not in by_id.text
    assert "http://ptsp.test/a/ABCD-EFGH-JKMN" in by_id.text and "ABCD-EFGH-JKMN" in by_id.html
    assert "check-in di kios dengan kode ABCD-EFGH-JKMN" in by_id.short
    assert by_id.short.endswith("http://ptsp.test/a/ABCD-EFGH-JKMN")
    by_en = renderer.render(message("application_missed"), contact, "en")
    assert by_en.subject == "New SIM A application: you were not at the counter when called"
    assert "Theory test step of your New SIM A application was called, but you were not at the counter" in by_en.text
    assert "check in at the kiosk with your tracking code ABCD-EFGH-JKMN" in by_en.text
    assert "new queue number for the Theory test step" in by_en.text
    assert "check in at the kiosk with code ABCD-EFGH-JKMN for a new number" in by_en.short
    closed = renderer.render(message("application_missed", why="ticket_cancelled"), contact, "en")
    assert closed.subject == "New SIM A application: your Theory test number is no longer valid"
    assert "on the next service day" in closed.text and "ABCD-EFGH-JKMN" in closed.text
    closed_id = renderer.render(message("application_missed", why="ticket_cancelled"), contact, "id")
    assert "pada hari layanan berikutnya" in closed_id.text and "tidak berlaku lagi" in closed_id.subject


def test_a_ticket_link_carries_the_holders_key_and_the_thanks_points_to_the_survey():
    """Broke: a mailed status link that cannot cancel, or thanks without the link to the
    survey. Checks: the track_url with #k= is in text, HTML and SMS of ticket_completed,
    which thanks in both languages."""
    link = "http://ptsp.test/t/abc#k=AbC-123_xyz"
    for language, thanks in (("id", "Terima kasih"), ("en", "Thank you")):
        out = Renderer().render(message("ticket_completed"), Contact(track_url=link), language)
        assert out.subject.startswith(thanks) and "B012" in out.subject
        assert all(link in part for part in (out.text, out.html, out.short))
        assert ("survei" if language == "id" else "survey") in out.text
