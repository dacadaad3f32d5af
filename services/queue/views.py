"""What the queue shows its callers: tickets with their position and estimated
wait, services with their queues, counters with their current ticket. Read
models over the unit of work's repositories; they change nothing."""
from datetime import timedelta

from services.queue import access
from services.queue.domain import UNDO_WINDOW_S, UNDOABLE, mean_service_time, rules_of, wait_estimate
from services.queue.handlers import today


def iso(value):
    return value.isoformat() if value else None


def ticket_view(uow, ticket_id, with_access_key=False):
    """The ticket as anyone holding its id sees it; ``with_access_key`` adds the
    holder's secret, only for the answer to the kiosk that issued it."""
    row = uow.tickets.row(ticket_id)
    view = view_of(uow, row)
    if with_access_key:
        view["access_key"] = access.ticket_access_key(uow.rules.secret, row)
    return view


def view_of(uow, row):
    service = uow.services.row(row["service_code"])
    position = estimated = reason = None
    if row["status"] == "waiting":
        ahead = uow.tickets.count_ahead(row, uow.rules.priority_head_start_s)
        position = ahead + 1
        estimated, reason = wait_estimate(
            ahead, mean_service_time(uow.tickets.recent_service_times(service["code"]),
                                     service["default_service_s"]),
            uow.counters.open_counts().get(service["code"], 0))
    return {
        "id": str(row["id"]), "number": row["number"], "service": row["service_code"],
        "service_name": service["name"], "service_name_en": service["name_en"],
        "priority": row["priority"], "status": row["status"], "position": position,
        "estimated_wait_s": estimated, "estimated_wait_reason": reason, "counter": row["counter"], "recall_count": row["recall_count"],
        "issued_at": iso(row["issued_at"]), "called_at": iso(row["called_at"]),
        "started_at": iso(row["started_at"]), "finished_at": iso(row["finished_at"]),
        "outcome": row["outcome"], "language": row["language"],
        "transferred_to": str(row["transferred_to"]) if row["transferred_to"] else None,
        "transferred_from": str(row["transferred_from"]) if row["transferred_from"] else None,
    }


SERVICE_COLOURS = 6  # --svc-0 … --svc-5 in base.css


def service_colours(uow):
    """One colour per service, the same on every page: its place among all the
    site's services (active or not), so hiding one does not repaint the others."""
    return {row["code"]: i % SERVICE_COLOURS for i, row in enumerate(uow.services.rows())}


def list_services(uow):
    day = today(uow)
    counts = uow.tickets.waiting_counts(day)
    counters = uow.counters.open_counts()
    issued = uow.numbers.issued_on(day)
    colours = service_colours(uow)
    result = []
    for row in uow.services.rows(only_active=True):
        rules = rules_of(row)
        reason = rules.closed_reason(uow.now, uow.site["timezone"]) or rules.quota_reached(issued.get(row["code"], 0))
        waiting = counts.get(row["code"], 0)
        estimated, wait_reason = wait_estimate(
            waiting, mean_service_time(uow.tickets.recent_service_times(row["code"]), row["default_service_s"]),
            counters.get(row["code"], 0))
        result.append({
            "code": row["code"], "prefix": row["prefix"], "name": row["name"], "name_en": row["name_en"],
            "open": reason is None, "waiting": waiting, "colour": colours[row["code"]],
            "estimated_wait_s": estimated, "estimated_wait_reason": wait_reason,
            "open_counters": counters.get(row["code"], 0),
            "target_wait_s": row["target_wait_s"],
            "daily_quota": row["daily_quota"],
            "closed_reason": None if reason is None else {"id": reason.message_id, "en": reason.message_en,
                                                         "code": reason.error_code},
        })
    return result


def counter_view(uow, row, with_queues=False):
    view = {"counter": row["number"], "name": row["name"], "services": row["services"],
            "open": row["opened_by"] is not None, "open_services": row["open_services"] or [],
            "opened_by": row["opened_by"], "opened_at": iso(row["opened_at"]), "current": None,
            "retired": row["retired_at"] is not None}
    if row["current_ticket_id"]:
        called = uow.tickets.row(row["current_ticket_id"])
        current = view_of(uow, called)
        current["waited_s"] = (called["called_at"] - called["queued_at"]).total_seconds()
        current["served_s"] = ((uow.now - called["started_at"]).total_seconds() if called["started_at"] else None)
        view["current"] = current
    if with_queues:
        services = row["open_services"] or row["services"]
        queues = {code: [] for code in services}
        for t in uow.tickets.waiting_in_order(services, today(uow), uow.rules.priority_head_start_s):
            # No ticket ids here: an officer's screen has no business with them.
            queues[t["service_code"]].append({
                "number": t["number"], "priority": t["priority"],
                "waited_s": round((uow.now - t["queued_at"]).total_seconds())})
        view["queues"] = queues
        view["max_recalls"] = uow.rules.max_recalls
        view["undo"] = undo_offer(uow, row)
    return view


def undo_offer(uow, row):
    """What the officer may still undo at this counter, and until when (or None)."""
    if row["current_ticket_id"] or row["opened_by"] is None:
        return None
    last = uow.journal.last_at_counter(row["number"])
    if last is None or last["action"] not in UNDOABLE or last["actor"] != row["opened_by"]:
        return None
    until = last["at"] + timedelta(seconds=UNDO_WINDOW_S)
    if uow.now > until:
        return None
    ticket = uow.tickets.row(last["ticket_id"])
    if uow.tickets.issued_by(ticket["access_root"] or ticket["id"]):
        return None   # an application step's ticket (handlers.undo refuses it)
    if last["action"] == "complete" and ticket["outcome"] is not None:
        return None   # an application step's outcome stays (handlers.undo refuses it too)
    if last["action"] == "transfer" and uow.tickets.row(ticket["transferred_to"])["status"] != "waiting":
        return None   # already called in its new service
    return {"action": last["action"], "number": ticket["number"], "until": iso(until)}


def counters(uow, with_queues=False):
    return [counter_view(uow, row, with_queues) for row in uow.counters.rows()]


def counter(uow, number):
    return counter_view(uow, uow.counters.row(number), with_queues=True)
