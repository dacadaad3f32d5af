"""What a domain object did, as it records it: the journal line and the event.

Domain objects append a ``Change`` to their ``changes`` list as they change; the
unit of work (shared/infrastructure/unit_of_work.py) journals each one and writes its event to
the outbox in the same transaction. Plain data, no I/O: domains import it freely.
"""
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class Change:
    action: str                          # the journal's action, e.g. "call"
    event_class: Optional[type] = None   # the event it publishes (site and time are added later)
    fields: dict = field(default_factory=dict)
    journal_data: dict = field(default_factory=dict)
    ticket_id: Any = None
    counter: Optional[int] = None
