"""What the display boards show, projected from PostgreSQL into Redis.

The state is a pure function of the database, and its ``version`` is the id of
the site's latest journal entry, so a state rebuilt after Redis lost it is the
same state with the same version (and the same ETag). Boards and the gateway read
``<namespace>:display:<site>``; every newer state is also published on the site's channel
(``shared.infrastructure.redis_store.display_channel``) for the Server-Sent Events stream. No personal data is ever part of it.
"""
import json

from shared.infrastructure.redis_store import display_channel, display_key
from services.queue.handlers import today
from services.queue.views import service_colours

RECENT_CALLS = 10


def build_state(uow):
    """The display state of the unit of work's site, from the record."""
    cur, site = uow.cur, uow.site
    cur.execute("SELECT COALESCE(max(id), 0) AS version FROM queue.journal WHERE site_id = %s", (site["id"],))
    version = cur.fetchone()["version"]
    cur.execute(
        """SELECT c.number, c.name, t.number AS ticket, t.service_code, t.called_at
           FROM queue.counters c
           LEFT JOIN queue.tickets t ON t.id = c.current_ticket_id
           WHERE c.site_id = %s AND c.opened_by IS NOT NULL ORDER BY c.number""", (site["id"],))
    counters = [{"counter": r["number"], "name": r["name"], "number": r["ticket"],
                 "service": r["service_code"], "called_at": iso(r["called_at"])} for r in cur.fetchall()]
    cur.execute(
        """SELECT j.id, j.action, j.at, j.counter, t.number, t.service_code
           FROM queue.journal j JOIN queue.tickets t ON t.id = j.ticket_id
           WHERE j.site_id = %s AND j.action IN ('call', 'recall') ORDER BY j.id DESC LIMIT %s""",
        (site["id"], RECENT_CALLS))
    recent = [{"call_id": r["id"], "kind": r["action"], "number": r["number"], "service": r["service_code"],
               "counter": r["counter"], "called_at": iso(r["at"])} for r in cur.fetchall()]
    cur.execute(
        """SELECT t.number, t.service_code, o.service_code AS from_service
           FROM queue.tickets t JOIN queue.tickets o ON o.id = t.transferred_from
           WHERE t.site_id = %s AND t.status = 'waiting' AND t.local_date = %s
           ORDER BY o.finished_at DESC, t.number LIMIT %s""", (site["id"], today(uow), RECENT_CALLS))
    transfers = [{"number": r["number"], "service": r["service_code"], "from": r["from_service"]}
                 for r in cur.fetchall()]
    colours = service_colours(uow)
    services = uow.services.rows(only_active=True)
    counts = uow.tickets.waiting_counts(today(uow))
    return {
        "site": site["code"], "site_name": site["name"], "timezone": site["timezone"],
        "day": today(uow).isoformat(), "version": version, "running_text": site["running_text"],
        "counters": counters, "recent": recent, "transfers": transfers,
        "waiting": {s["code"]: counts.get(s["code"], 0) for s in services},
        "services": [{"code": s["code"], "prefix": s["prefix"], "name": s["name"], "name_en": s["name_en"],
                      "colour": colours[s["code"]]} for s in services],
    }


def iso(value):
    return value.isoformat() if value else None


# Store only if newer than what is there (or if the day changed), then publish:
# two workers finishing out of order never put an older state on the boards.
_STORE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local old = cjson.decode(current)
  if tonumber(old['version']) > tonumber(ARGV[2]) and old['day'] == ARGV[3] then return 0 end
  if current == ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
"""


class DisplayStore:
    def __init__(self, redis_client, namespace):
        self.redis = redis_client
        self.namespace = namespace
        self._store = redis_client.register_script(_STORE_IF_NEWER)

    def save(self, state) -> bool:
        body = json.dumps(state, separators=(",", ":"), sort_keys=True)
        site = state["site"]
        return bool(self._store(
            keys=[display_key(self.namespace, site)],
            args=[body, state["version"], state["day"], display_channel(self.redis, self.namespace, site)]))

    def load(self, site_code):
        body = self.redis.get(display_key(self.namespace, site_code))
        return json.loads(body) if body else None
