"""The vocabularies every part of the system shares, stated once: commands, HTTP
schemas, events and the OpenAPI document all use these."""
from typing import Literal

PRIORITIES = ("regular", "elderly", "disabled", "pregnant")
TICKET_STATUSES = ("waiting", "called", "serving", "done", "no_show", "cancelled", "transferred")
OUTCOMES = ("passed", "failed", "incomplete")
ROLES = ("officer", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")
LANGUAGES = ("id", "en")
NO_SHOW_REASONS = ("officer", "recalls")
CALL_KINDS = ("call", "recall")

Priority = Literal[PRIORITIES]
TicketStatus = Literal[TICKET_STATUSES]
Outcome = Literal[OUTCOMES]
Role = Literal[ROLES]
Language = Literal[LANGUAGES]
NoShowReason = Literal[NO_SHOW_REASONS]
CallKind = Literal[CALL_KINDS]
