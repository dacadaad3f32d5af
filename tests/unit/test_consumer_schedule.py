"""The consumer kit's pure parts: the retry schedule, the dead-letter reason and the
event model lookup (no servers; the broker behaviour is in
tests/integration/test_consumer_kit.py)."""
import pytest
from nameko.events import EventHandlerConfigurationError
from pydantic import ValidationError

from shared.infrastructure.consumer import backoff_ms, describe, event_model, retry_queue_name, work_queue_name
from shared.contracts.events import TicketCompleted, TicketIssued


def test_the_retry_delay_doubles_per_try_up_to_the_cap():
    """Checks the backoff schedule: delay, 2×, 4×, … never above max_delay."""
    assert [backoff_ms(n, 0.2, 300) for n in (1, 2, 3, 4)] == [200, 400, 800, 1600]
    assert backoff_ms(20, 1.0, 300) == 300_000


def test_queue_names_say_whose_and_what():
    assert work_queue_name("notify", "queue", "ticket_called") == "notify.queue.ticket_called"
    assert retry_queue_name("notify", 1600) == "notify.retry.1600ms"


def test_the_reason_names_the_fields_without_echoing_their_values():
    """Broke: pydantic's message repeats the input, which a dead-letter header must
    not carry. Checks: field paths and messages only, one line, bounded."""
    with pytest.raises(ValidationError) as caught:
        TicketIssued.model_validate({"site": "x", "number": "081234567890"})
    reason = describe(caught.value)
    assert reason.startswith("ValidationError: ") and "ticket_id: Field required" in reason
    assert "081234567890" not in reason and "\n" not in reason
    assert describe(RuntimeError("first line\nsecond line")) == "RuntimeError: first line"
    assert len(describe(RuntimeError("x" * 5000))) <= 300


def test_an_event_model_is_found_by_source_and_type_and_an_unknown_one_is_refused():
    assert event_model("queue", "ticket_completed") is TicketCompleted
    with pytest.raises(EventHandlerConfigurationError):
        event_model("queue", "ticket_teleported")
