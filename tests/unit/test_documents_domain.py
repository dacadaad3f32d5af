"""The documents service's rules on their own: NIK checks, renewals, and each
application type's journey step by step."""
import re
import zlib
from datetime import date, datetime, timedelta, timezone

import pytest

from shared.contracts import events
from shared.contracts.errors import Conflict, InvalidInput
from services.documents.catalog import TYPES_BY_CODE
from services.documents.domain import Application, add_months, check_applicant, check_renewal, document_number

UTC = timezone.utc
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
MAN = ("3174051708900001", date(1990, 8, 17))     # Jakarta, born 17-08-1990
WOMAN = ("3174055708900002", date(1990, 8, 17))   # day + 40


def numbers():
    seq = iter(range(1, 100))
    return lambda: f"DOC-{next(seq)}"


def walk(app, steps, now=T0, **extra):
    """Pass each of ``steps`` in order, checking the application is at it."""
    numbering = numbers()
    for code in steps:
        assert app.step == code
        fields = {"payment_reference": "PNBP-123"} if app.current_step.records_payment else {}
        app.record_outcome("passed", now, officer="petugas1", number_for=numbering, **fields, **extra)
    return app


# --- the applicant -----------------------------------------------------------------------

@pytest.mark.parametrize("nik, born", [MAN, WOMAN])
def test_a_plausible_nik_for_men_and_women_is_accepted(nik, born):
    check_applicant(TYPES_BY_CODE["SKCK_NEW"], nik, born, T0.date())


@pytest.mark.parametrize("nik, field_message", [
    ("317405170890001", "16 digits"),
    ("31740517089000AB", "16 digits"),
    ("9974051708900001", "province"),
    ("3174051808900001", "does not match"),   # day 18 instead of 17
    ("3174051709900001", "does not match"),   # September
    ("3174051708910001", "does not match"),   # 1991
    ("3174051708900000", "not valid"),        # serial 0000
])
def test_an_implausible_nik_names_the_field_in_both_languages(nik, field_message):
    with pytest.raises(InvalidInput) as refused:
        check_applicant(TYPES_BY_CODE["SKCK_NEW"], nik, MAN[1], T0.date())
    assert list(refused.value.fields) == ["applicant.nik"]
    assert field_message in refused.value.message_en
    assert refused.value.message_id != refused.value.message_en


def test_a_future_birth_date_is_refused():
    with pytest.raises(InvalidInput) as refused:
        check_applicant(TYPES_BY_CODE["SKCK_NEW"], "3174051712300001", date(2030, 12, 17), T0.date())
    assert "applicant.birth_date" in refused.value.fields


def test_a_driving_licence_needs_seventeen_years():
    born = date(2010, 1, 5)
    with pytest.raises(InvalidInput) as refused:
        check_applicant(TYPES_BY_CODE["SIM_C_NEW"], "3174050501100001", born, T0.date())
    assert list(refused.value.fields) == ["applicant.birth_date"]
    check_applicant(TYPES_BY_CODE["SKCK_NEW"], "3174050501100001", born, T0.date())


def test_an_skck_renewal_needs_the_old_one_at_most_a_year_past_expiry():
    renewal = TYPES_BY_CODE["SKCK_RENEWAL"]
    check_renewal(renewal, T0.date() - timedelta(days=365), T0.date())
    for previous in (None, T0.date() - timedelta(days=366)):
        with pytest.raises(InvalidInput) as refused:
            check_renewal(renewal, previous, T0.date())
        assert list(refused.value.fields) == ["previous_valid_until"]
    check_renewal(TYPES_BY_CODE["SKCK_NEW"], None, T0.date())


# --- the catalog -------------------------------------------------------------------------

def test_fees_are_the_pp_76_2020_figures():
    fees = {code: kind.fee for code, kind in TYPES_BY_CODE.items()}
    assert fees == {"SKCK_NEW": 30_000, "SKCK_RENEWAL": 30_000, "SIM_A_NEW": 120_000, "SIM_A_RENEWAL": 80_000,
                    "SIM_C_NEW": 100_000, "SIM_C_RENEWAL": 75_000, "LOST_ITEM_REPORT": 0, "CROWD_PERMIT": 0}


def test_renewals_skip_what_they_need_not_repeat():
    assert "fingerprints" not in [s.code for s in TYPES_BY_CODE["SKCK_RENEWAL"].steps]
    sim_renewal = [s.code for s in TYPES_BY_CODE["SIM_A_RENEWAL"].steps]
    assert "theory_test" not in sim_renewal and "practical_test" not in sim_renewal


# --- journeys --------------------------------------------------------------------------------

def test_a_whole_skck_journey_in_the_hall():
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=True)
    assert (app.status, app.step) == ("in_progress", "registration")
    walk(app, ["registration", "document_check", "fingerprints", "records_check", "payment", "printing"])
    assert app.status == "ready" and app.step == "collection"
    assert app.document_number == "DOC-1" and app.valid_until == date(2027, 5, 24)
    app.record_outcome("passed", T0, officer="petugas1")
    assert (app.status, app.step) == ("collected", None)
    kinds = [kind for kind, _ in app.events]
    assert kinds.count("application_step_completed") == 7 and kinds[-2:] == ["application_step_completed",
                                                                              "application_collected"]
    assert "application_ready" in kinds and kinds[0] == "application_submitted"


def test_a_fingerprint_card_skips_the_fingerprints():
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=True,
                            facts={"has_fingerprint_card": True})
    walk(app, ["registration", "document_check", "records_check"])


def test_passing_a_step_names_the_next_steps_queue():
    app = Application.start("a1", TYPES_BY_CODE["SIM_A_NEW"], "Asia/Jakarta", T0, in_hall=True)
    nxt = app.record_outcome("passed", T0)
    assert (nxt.code, nxt.service) == ("health_check", "SIM")
    assert app.events[-1] == ("application_advanced", {"application_id": "a1", "type": "SIM_A_NEW",
                                                       "from_step": "registration", "step": "health_check"})


def test_a_failed_theory_test_sets_the_retake_date_and_ends_the_visit():
    app = Application.start("a1", TYPES_BY_CODE["SIM_A_NEW"], "Asia/Jakarta", T0, in_hall=True)
    walk(app, ["registration", "health_check", "psychology_test"])
    assert app.record_outcome("failed", T0, note="nilai 60 dari 70") is None
    assert app.status == "failed" and app.step == "theory_test"
    assert app.history[-1].retake_after == date(2026, 12, 8)
    with pytest.raises(Conflict) as early:
        app.resume(T0 + timedelta(days=13))
    assert early.value.error_code == "too_early"
    assert app.resume(T0 + timedelta(days=14)).code == "theory_test"
    walk(app, ["theory_test", "practical_test"], now=T0 + timedelta(days=14))


def test_a_failure_needs_its_reason_and_incomplete_its_missing_documents():
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=True)
    with pytest.raises(InvalidInput) as no_reason:
        app.record_outcome("failed", T0)
    assert list(no_reason.value.fields) == ["note"]
    with pytest.raises(InvalidInput) as no_list:
        app.record_outcome("incomplete", T0)
    assert list(no_list.value.fields) == ["missing"]
    assert app.history == [] and app.status == "in_progress"


def test_incomplete_documents_close_the_visit_until_the_citizen_returns():
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=True)
    walk(app, ["registration"])
    assert app.record_outcome("incomplete", T0, missing=["kk"]) is None
    assert (app.status, app.step, app.history[-1].missing) == ("incomplete", "document_check", ("kk",))
    assert app.resume(T0).code == "document_check"


def test_payment_needs_the_officers_reference():
    app = Application.start("a1", TYPES_BY_CODE["SIM_C_RENEWAL"], "Asia/Jakarta", T0, in_hall=True,
                            facts={"psychology_certificate": "2026-10-01"})
    walk(app, ["health_check", "biometrics"])   # a recent psychology certificate stands in for the test
    with pytest.raises(InvalidInput) as refused:
        app.record_outcome("passed", T0)
    assert list(refused.value.fields) == ["payment_reference"]


def test_an_old_psychology_certificate_does_not_skip_the_test():
    app = Application.start("a1", TYPES_BY_CODE["SIM_C_RENEWAL"], "Asia/Jakarta", T0, in_hall=True,
                            facts={"psychology_certificate": "2026-01-01"})
    walk(app, ["health_check", "psychology_test"])


def test_an_online_registration_checks_in_within_three_days():
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=False)
    assert (app.status, app.step) == ("registered", "registration")
    assert app.check_in(T0 + timedelta(days=2)).code == "document_check"
    assert app.status == "in_progress" and app.history[0].note == "online"


def test_an_online_registration_lapses_after_three_days():
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=False)
    with pytest.raises(Conflict) as lapsed:
        app.check_in(T0 + timedelta(days=3, minutes=1))
    assert lapsed.value.error_code == "registration_lapsed" and app.status == "expired"


def test_an_online_lost_item_report_is_reviewed_then_downloaded():
    app = Application.start("a1", TYPES_BY_CODE["LOST_ITEM_REPORT"], "Asia/Jakarta", T0, in_hall=False)
    assert (app.status, app.step) == ("submitted", "review")
    nxt = app.record_outcome("passed", T0, officer="petugas5", number_for=lambda: "SKTLK/1")
    assert nxt.code == "collection" and app.status == "ready" and app.valid_until is None
    app.collect_by_download(T0)
    assert app.status == "collected"


def test_a_returned_crowd_permit_can_be_resubmitted():
    app = Application.start("a1", TYPES_BY_CODE["CROWD_PERMIT"], "Asia/Jakarta", T0, in_hall=False)
    app.record_outcome("failed", T0, note="surat kelurahan tidak ada")
    assert app.status == "returned"
    app.resume(T0)
    assert (app.status, app.step) == ("submitted", "review")


def test_cancel_ends_an_open_application_once():
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=True)
    app.cancel(T0)
    assert app.status == "cancelled"
    with pytest.raises(Conflict):
        app.cancel(T0)
    with pytest.raises(Conflict):
        app.record_outcome("passed", T0)


def test_validity_and_document_numbers():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 24), 60) == date(2031, 11, 24)
    assert document_number(TYPES_BY_CODE["SKCK_NEW"], 123, date(2026, 11, 24), "polres-demo") == \
        "SKCK/000123/XI/2026/POLRES-DEMO"


def test_each_event_is_recorded_as_a_change_with_its_contract_model():
    """Broke: the application's events were tuples the unit of work could not journal
    or publish. Checks: every raised event is also a Change naming its pydantic model,
    whose fields validate against it (ids and codes only)."""
    from uuid import uuid4

    from shared.contracts.events import DOCUMENTS_EVENTS

    app = Application.start(uuid4(), TYPES_BY_CODE["SIM_A_NEW"], "Asia/Jakarta", T0, in_hall=True)
    walk(app, ["registration", "health_check"])
    app.record_outcome("failed", T0, note="tidak lulus")
    assert [c.event_class.event_type for c in app.changes] == [kind for kind, _ in app.events]
    for change in app.changes:
        assert change.event_class is DOCUMENTS_EVENTS[change.event_class.event_type]
        change.event_class(site="t-site", occurred_at=T0, **change.fields)
    assert app.changes[-1].journal_data == {"step": "psychology_test", "reason": "failed",
                                            "retake_after": "2026-12-01"}


# --- lapse, missed calls, coming back, letters ---------------------------------------------

def test_a_lapsed_registration_expires_once_and_only_after_three_days():
    """Broke: a lapsed online registration stayed "registered" for ever. Checks:
    before three days expire() does nothing; after, it closes the application as
    expired with application_cancelled (reason registration_lapsed), once; a second
    sweep records nothing; check-in is then refused with registration_lapsed; an
    application checked in is never expired."""
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=False)
    assert app.expire(T0 + timedelta(days=2, hours=23)) is False and app.status == "registered"
    app.events.clear()
    assert app.expire(T0 + timedelta(days=3, seconds=1)) is True
    assert (app.status, app.step) == ("expired", None)
    assert app.events == [("application_cancelled", {"application_id": "a1", "type": "SKCK_NEW",
                                                     "reason": "registration_lapsed"})]
    assert app.expire(T0 + timedelta(days=4)) is False and len(app.events) == 1
    with pytest.raises(Conflict) as refused:
        app.check_in(T0 + timedelta(days=4))
    assert refused.value.error_code == "registration_lapsed"

    checked_in = Application.start("a2", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=False)
    checked_in.check_in(T0 + timedelta(days=1))
    assert checked_in.expire(T0 + timedelta(days=10)) is False and checked_in.status == "in_progress"


def test_a_missed_call_waits_at_the_same_step_until_check_in():
    """Broke: a no-show lost the citizen's application. Checks: a missed call at the
    current step makes the application "missed" (journaled missed_call, one
    application_missed event with the step and why) and keeps the
    step; check-in puts it back in progress at that step; a no-show of a step the
    application has left changes nothing."""
    app = Application.start("a1", TYPES_BY_CODE["SKCK_NEW"], "Asia/Jakarta", T0, in_hall=True)
    walk(app, ["registration"])
    app.events.clear()
    assert app.missed_call(T0, "registration") is False and app.status == "in_progress"
    assert app.missed_call(T0, "document_check") is True
    assert (app.status, app.step) == ("missed", "document_check")
    assert app.events == [("application_missed", {"application_id": "a1", "type": "SKCK_NEW",
                                                  "step": "document_check", "why": "no_show"})]
    assert app.changes[-1].action == "missed_call" and app.changes[-1].event_class is events.ApplicationMissed
    assert app.changes[-1].fields == {"application_id": "a1", "type": "SKCK_NEW", "step": "document_check",
                                      "why": "no_show"}
    assert app.changes[-1].journal_data == {"type": "SKCK_NEW", "step": "document_check", "why": "no_show"}
    assert app.check_in(T0).code == "document_check" and app.status == "in_progress"
    assert app.changes[-1].action == "returned_after_no_show"
    with pytest.raises(Conflict):
        app.check_in(T0)  # nothing to check in for now


def test_resume_waits_for_the_retake_date_and_returns_to_the_same_step():
    """Broke: nothing brought a citizen back after a failed step. Checks: before the
    retake date resume is refused (too_early, naming retake_after); on that day the
    application is in progress at the failed step again with application_advanced;
    after incomplete it resumes at once."""
    app = Application.start("a1", TYPES_BY_CODE["SIM_A_NEW"], "Asia/Jakarta", T0, in_hall=True)
    walk(app, ["registration", "health_check", "psychology_test"])
    app.record_outcome("failed", T0, note="nilai 60")
    with pytest.raises(Conflict) as early:
        app.resume(T0 + timedelta(days=13))
    assert early.value.error_code == "too_early" and "retake_after" in early.value.fields
    app.events.clear()
    assert app.resume(T0 + timedelta(days=14)).code == "theory_test"
    assert app.status == "in_progress"
    assert app.events == [("application_advanced", {"application_id": "a1", "type": "SIM_A_NEW",
                                                    "from_step": "theory_test", "step": "theory_test"})]
    app.record_outcome("incomplete", T0 + timedelta(days=14), missing=["ktp"])
    assert app.resume(T0 + timedelta(days=14)).code == "theory_test"
    with pytest.raises(Conflict):
        app.resume(T0 + timedelta(days=14))  # in progress: nothing to resume


def test_the_letter_is_a_pdf_with_the_nik_masked():
    """Broke: an online report ended with no document to download. Checks: the
    letter is a PDF (by its bytes) of a few KB; the NIK is masked to its first six
    and last four digits; a name outside Latin-1 is printed without failing."""
    from services.documents.letters import latin1, letter_pdf, masked_nik

    assert masked_nik("3174051708900001") == "317405******0001"
    assert latin1("Ṣiti Nurhaliza — Ōno") == "Siti Nurhaliza ? Ono"
    pdf = letter_pdf(type_name="Laporan kehilangan", type_name_en="Lost-item report",
                     document_number="SKTLK/000001/XI/2026/POLRES-DEMO", issued_on=date(2026, 11, 24),
                     valid_until=None, site_code="polres-demo", applicant_name="Ṣiti Nurhaliza",
                     nik="3174051708900001", tracking_code="ABCDEFGHJKMN", note="Dompet hilang di pasar",
                     officer="petugas5", generated_at=T0)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and 1000 < len(pdf) < 100_000
    text = b"".join(zlib.decompress(stream) for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S))
    assert b"317405******0001" in text and b"SKTLK/000001/XI/2026/POLRES-DEMO" in text
    assert b"3174051708900001" not in text and b"3174051708900001" not in pdf
