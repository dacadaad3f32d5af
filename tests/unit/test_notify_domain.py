"""The notify domain on its own: which messages each event gives, turn-near once per
ticket, no contact no message, the citizen's language."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from shared.contracts import events as ev
from services.notify import domain
from services.notify.domain import Contact, TurnNearRule, Waiting

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
SITE = "polres-test"


class Line:
    """The projection in memory, applied the way repository.apply_change does."""

    def __init__(self, rule=TurnNearRule(), head_start_s=900):
        self.tickets = {}
        self.rule, self.head_start_s = rule, head_start_s
        self.messages = []

    def apply(self, event):
        lines = {s: [t for t in self.tickets.values() if t.service == s and t.waiting]
                 for s in domain.services_touched(event)}
        lines = {s: [t.ticket for t in line] for s, line in lines.items()}
        original = self.tickets[event.ticket_id].ticket \
            if isinstance(event, (ev.TicketTransferred, ev.TicketCompleted)) and event.ticket_id in self.tickets else None
        change = domain.on_queue_event(event, lines, self.rule, self.head_start_s, known=original)
        for t in change.added:
            self.tickets.setdefault(t.ticket_id, Row(t))
        for ticket_id in change.removed:
            self.tickets[ticket_id].waiting = False
        for ticket_id in change.marked_near:
            row = self.tickets[ticket_id]
            row.ticket = Waiting(**{**row.ticket.__dict__, "near_sent": True})
        self.messages.extend(change.messages)
        return change.messages

    def near(self):
        return [m for m in self.messages if m.kind == "turn_near"]


class Row:
    def __init__(self, ticket):
        self.ticket, self.waiting = ticket, True

    @property
    def service(self):
        return self.ticket.service


def issued(n, service="SIM", priority="regular", has_contact=True, language="id", minutes=None):
    at = T0 + timedelta(minutes=n if minutes is None else minutes)
    return ev.TicketIssued(site=SITE, occurred_at=at, ticket_id=uuid.uuid4(), number=f"A{n:03d}", service=service,
                           priority=priority, issued_at=at, has_contact=has_contact, language=language)


def called(ticket, counter=1):
    return ev.TicketCalled(site=SITE, occurred_at=T0 + timedelta(hours=1), ticket_id=ticket.ticket_id,
                           number=ticket.number, service=ticket.service, priority=ticket.priority,
                           counter=counter, wait_s=60)


def cancelled(ticket):
    return ev.TicketCancelled(site=SITE, occurred_at=T0 + timedelta(hours=1), ticket_id=ticket.ticket_id,
                              number=ticket.number, service=ticket.service, priority=ticket.priority)


def test_issue_gives_the_number_and_people_ahead():
    """Broke: the issued message missing or wrong position. Checks: a ticket issued
    behind two others gives one ticket_issued message with its number, ahead=2, and
    the language the citizen chose at the kiosk."""
    line = Line()
    for n in (1, 2):
        line.apply(issued(n))
    third = issued(3, language="en")
    [message] = line.apply(third)
    assert message.kind == "ticket_issued"
    assert message.facts == {"number": "A003", "service": "SIM", "ahead": 2}
    assert message.language == "en" and message.subject == "ticket" and message.subject_id == third.ticket_id


def test_turn_near_once_when_several_ahead_finish_at_once():
    """Broke: a ticket told twice, or never, when the people ahead leave together.
    Checks: with N=3, the tickets 5th and 6th in line are each told exactly once
    when three ahead are called one after another and the same events arrive again
    (redelivery), and the messages say how many are still ahead."""
    line = Line(TurnNearRule(ahead=3))
    tickets = [issued(n) for n in range(1, 7)]
    for t in tickets:
        line.apply(t)
    assert line.near() == []        # the first four were never further than three
    for t in tickets[:3]:
        line.apply(called(t))
    for t in tickets[:3]:           # redelivered
        line.apply(called(t))
    near = line.near()
    assert sorted(m.subject_id for m in near) == sorted(t.ticket_id for t in tickets[4:])
    assert {m.subject_id: m.facts["ahead"] for m in near} == {tickets[4].ticket_id: 3, tickets[5].ticket_id: 3}


def test_turn_near_when_the_line_drops_past_the_threshold_in_one_step():
    """Broke: turn-near sent only when "ahead" equals N exactly. Checks: a ticket with
    four ahead (N=3) whose line is shortened by a cancellation and a call still gets
    one message, and a later drop sends nothing more."""
    line = Line(TurnNearRule(ahead=3))
    tickets = [issued(n) for n in range(1, 6)]
    for t in tickets:
        line.apply(t)
    line.apply(cancelled(tickets[1]))
    line.apply(called(tickets[0]))
    line.apply(called(tickets[2]))
    assert [m.subject_id for m in line.near()] == [tickets[4].ticket_id]


def test_a_priority_ticket_pushing_back_does_not_send_again():
    """Broke: a ticket told twice after an elderly citizen's ticket moves ahead of it.
    Checks: the ticket told at three ahead, pushed back to four by a priority ticket,
    is not told again when it drops to three once more."""
    line = Line(TurnNearRule(ahead=3), head_start_s=900)
    tickets = [issued(n) for n in range(1, 6)]
    for t in tickets:
        line.apply(t)
    line.apply(called(tickets[0]))
    assert [m.subject_id for m in line.near()] == [tickets[4].ticket_id]
    line.apply(issued(9, priority="elderly", minutes=9))   # counts as queued 15 min earlier
    line.apply(called(tickets[1]))
    assert len(line.near()) == 1


def test_turn_near_threshold_per_service():
    """Broke: one threshold for all services. Checks: SKCK configured at 1 tells the
    third ticket only when one is ahead; SIM keeps the default 3."""
    rule = TurnNearRule.parse(3, "SKCK=1, SIM_A_NEW=5")
    assert rule.at("SKCK") == 1 and rule.at("SIM_A_NEW") == 5 and rule.at("SIM") == 3
    line = Line(rule)
    tickets = [issued(n, service="SKCK") for n in range(1, 4)]
    for t in tickets:
        line.apply(t)
    assert line.near() == []
    line.apply(called(tickets[0]))
    assert [(m.subject_id, m.facts["ahead"]) for m in line.near()] == [(tickets[2].ticket_id, 1)]
    with pytest.raises(ValueError):
        TurnNearRule.parse(3, "SKCK=many")


def test_no_contact_gets_nothing():
    """Broke: messages made for a citizen who left no contact. Checks: a ticket issued
    without contact gives no issued, turn-near, called or no-show message, yet still
    counts as ahead of others; an empty contact has no address on any channel."""
    line = Line(TurnNearRule(ahead=1))
    silent = [issued(n, has_contact=False) for n in range(1, 4)]
    for t in silent:
        assert line.apply(t) == []
    line.apply(called(silent[0]))   # a called message is made; the owner's lookup says "no contact"
    assert {m.kind for m in line.messages} == {"ticket_called"}
    assert domain.addresses(None, ["email", "sms"]) == []
    assert domain.addresses(Contact(), ["email", "sms", "log"]) == []
    assert domain.addresses(Contact(phone="0812"), ["email", "sms", "whatsapp", "log"]) == [
        ("sms", "0812"), ("whatsapp", "0812"), ("log", "0812")]


def test_transferred_ticket_keeps_its_place_and_contact_flag():
    """Broke: a transferred citizen losing notifications or their place. Checks: the
    new ticket joins the target line at its original queue time, with the original's
    contact flag, and is not told turn-near on arrival."""
    line = Line(TurnNearRule(ahead=1))
    first = issued(1, service="SIM")
    line.apply(first)
    line.apply(called(first))
    later = [issued(n, service="SKCK") for n in (2, 3, 4)]
    for t in later:
        line.apply(t)
    new_id = uuid.uuid4()
    line.apply(ev.TicketTransferred(site=SITE, occurred_at=T0 + timedelta(hours=2), ticket_id=first.ticket_id,
                                    number=first.number, service="SIM", priority="regular", counter=1,
                                    to_service="SKCK", new_ticket_id=new_id))
    moved = line.tickets[new_id].ticket
    assert moved.queued_at == first.issued_at and moved.has_contact and moved.service == "SKCK"
    assert moved.near_sent and line.near() == []      # first in line on arrival: told at the counter
    line.apply(called(moved))
    line.apply(called(later[0]))
    assert [m.subject_id for m in line.near()] == [later[2].ticket_id]


def test_called_and_no_show_messages():
    """Broke: called without its counter, no-show not told. Checks: the facts each
    message carries."""
    line = Line()
    t = issued(1)
    line.apply(t)
    [m] = line.apply(called(t, counter=4))
    assert m.kind == "ticket_called" and m.facts == {"number": "A001", "service": "SIM", "counter": 4}
    [m] = line.apply(ev.TicketNoShow(site=SITE, occurred_at=T0, ticket_id=t.ticket_id, number=t.number,
                                     service="SIM", priority="regular", counter=4, reason="recalls"))
    assert m.kind == "ticket_no_show"


def test_message_ids_are_stable_for_a_redelivered_event():
    """Broke: a redelivered event making a new message. Checks: the same event gives
    the same message id; another event for the same ticket another id."""
    t = issued(1)
    a = domain.on_queue_event(t, {}, TurnNearRule(), 900).messages[0]
    b = domain.on_queue_event(t, {}, TurnNearRule(), 900).messages[0]
    assert a.id == b.id
    c = domain.on_queue_event(called(t), {"SIM": []}, TurnNearRule(), 900).messages[0]
    assert c.id != a.id


def test_language_choice():
    """Broke: a citizen written to in a language they did not choose. Checks: the first
    supported choice wins; anything else is Indonesian."""
    assert domain.choose_language("en", "id") == "en"
    assert domain.choose_language(None, "en") == "en"
    assert domain.choose_language("fr", None) == "id"
    assert domain.choose_language() == "id"


def test_calling_order_matches_the_queue():
    """Broke: notify counting "ahead" in another order than the queue calls. Checks:
    notify's copy of the calling-order key equals the queue's for every priority."""
    from services.queue.domain import call_order_key

    for priority in ("regular", "elderly", "disabled", "pregnant"):
        for head_start in (0, 900):
            assert domain.call_order_key(priority, T0, head_start) == call_order_key(priority, T0, head_start)


def completed(ticket, counter=1):
    return ev.TicketCompleted(site=SITE, occurred_at=T0 + timedelta(hours=2), ticket_id=ticket.ticket_id,
                              number=ticket.number, service=ticket.service, priority=ticket.priority,
                              counter=counter, service_time_s=300)


def test_a_completed_ticket_with_contact_is_thanked_once_without_contact_not():
    """Broke: no thanks (and no survey link) after the service, or a message planned for
    a ticket that left no contact. Checks: completing a ticket with a contact gives one
    ticket_completed message with its number; one without contact gives none; a ticket
    notify never saw is still thanked (its contact is asked at send time)."""
    line = Line()
    with_contact, without = issued(1), issued(2, has_contact=False)
    for t in (with_contact, without):
        line.apply(t)
        line.apply(called(t))
    [thanks] = line.apply(completed(with_contact))
    assert thanks.kind == "ticket_completed" and thanks.subject_id == with_contact.ticket_id
    assert thanks.facts == {"number": "A001", "service": "SIM"}
    assert line.apply(completed(without)) == []
    unseen = issued(3)
    assert [m.kind for m in line.apply(completed(unseen))] == ["ticket_completed"]


def test_application_events_give_their_messages():
    """Broke: an application change the citizen is not told about. Checks: each
    documents event the applicant should hear of (shared/contracts/events.py) gives
    one message with its codes and dates; a lapsed online registration is "expired",
    a citizen's cancellation "cancelled"; step completed and collected give none."""
    application_id = uuid.uuid4()
    base = {"site": SITE, "occurred_at": T0, "application_id": application_id, "type": "SIM_A_NEW"}
    cases = [
        (ev.ApplicationSubmitted(**base, step="registration", in_hall=True),
         "application_submitted", {"type": "SIM_A_NEW", "step": "registration", "in_hall": True}),
        (ev.ApplicationAdvanced(**base, from_step="health_check", step="theory_test"),
         "application_advanced", {"type": "SIM_A_NEW", "step": "theory_test", "from_step": "health_check",
                                  "resumed": False}),
        (ev.ApplicationAdvanced(**base, from_step="theory_test", step="theory_test"),
         "application_advanced", {"type": "SIM_A_NEW", "step": "theory_test", "from_step": "theory_test",
                                  "resumed": True}),
        (ev.ApplicationFailed(**base, step="practical_test", reason="failed", retake_after=date(2026, 12, 10)),
         "application_failed", {"type": "SIM_A_NEW", "step": "practical_test", "reason": "failed",
                                "retake_after": "2026-12-10"}),
        (ev.ApplicationReady(**base, document_number="SIM/1/2026", valid_until=date(2031, 11, 26)),
         "application_ready", {"type": "SIM_A_NEW", "document_number": "SIM/1/2026", "valid_until": "2031-11-26"}),
        (ev.ApplicationMissed(**base, step="theory_test", why="no_show"),
         "application_missed", {"type": "SIM_A_NEW", "step": "theory_test", "why": "no_show"}),
        (ev.ApplicationMissed(**base, step="theory_test", why="ticket_cancelled"),
         "application_missed", {"type": "SIM_A_NEW", "step": "theory_test", "why": "ticket_cancelled"}),
        (ev.ApplicationCancelled(**base, reason="registration_lapsed"),
         "application_status", {"type": "SIM_A_NEW", "status": "expired", "reason": "registration_lapsed"}),
        (ev.ApplicationCancelled(**base, reason="citizen"),
         "application_status", {"type": "SIM_A_NEW", "status": "cancelled", "reason": "citizen"}),
    ]
    for event, kind, facts in cases:
        [message] = domain.on_application_event(event)
        assert (message.kind, message.subject, message.subject_id) == (kind, "application", application_id)
        assert message.facts == facts and message.event_id == event.event_id
    assert domain.on_application_event(ev.ApplicationStepCompleted(**base, step="payment", outcome="passed")) == []
    assert domain.on_application_event(ev.ApplicationCollected(**base)) == []
