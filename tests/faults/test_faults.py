"""Invariants 4 and 8 under faults, with kiosk and counter traffic running: each
test breaks one thing on the private servers (tests/faults/servers.py) or in the
supervised system, then checks what the hall promised. Traffic records every
answer; the checks after each fault:

- no acknowledged ticket lost or made twice (201 answers against the record; the
  kiosks' retries with one Idempotency-Key give one ticket), and no ticket the
  kiosks were not given (nothing carried out behind a 503);
- no ticket claimed twice (journal and call-next answers);
- every committed event reached the broker once it was back (outbox against a
  durable queue bound to queue.events);
- every process alive (same pid: nothing exited because a server went away) or,
  after SIGKILL, restarted by supervisord;
- answers during the outage are 503 `unavailable` with Retry-After within 2 s,
  never 500; requests started 5 s after the server's return succeed.
"""
import os
import signal
import time

import requests

from tests.faults.traffic import Traffic


def pids(hall):
    return {name: hall.pid(name) for name in hall.states()}


def check_alive(hall, before):
    states = hall.states()
    assert states and all(state == "RUNNING" for state in states.values()), states
    assert pids(hall) == before, "a process exited because a server went away"


def issue(hall, key, timeout=15):
    return requests.post(f"{hall.base_url}/api/tickets", json={"service": "SIM"},
                         headers={"Idempotency-Key": key}, timeout=timeout)


def test_rabbitmq_stopped_for_20_seconds(hall, servers, event_log):
    """Broke: `rabbitmqctl stop_app` for 20 s under traffic, then `start_app`.
    Checked: no process exits; requests meanwhile answer 503 `unavailable` with
    Retry-After within 2 s; within 5 s of the broker's return tickets are issued
    again; no ticket lost, doubled or carried out behind a 503; no double claim;
    the events committed during the outage are published once it is back."""
    before = pids(hall)
    traffic = Traffic(hall.base_url).start()
    try:
        traffic.wait_for_successes(since=0, count=5)
        down_at = time.monotonic()
        servers.stop_rabbit_app()
        traffic.wait_for_failures(since=down_at, count=5)
        health = requests.get(f"{hall.base_url}/healthz", timeout=5)
        assert health.status_code == 503 and health.json()["checks"]["rabbitmq"] == "down"
        while time.monotonic() < down_at + 20:
            time.sleep(0.2)
        servers.start_rabbit_app()
        back_at = time.monotonic()
        traffic.wait_for_successes(since=back_at, count=5, timeout=15)
        # stay a while past the 5 s mark, so "afterwards" is observed under traffic
        while time.monotonic() < back_at + 8:
            time.sleep(0.2)
    finally:
        traffic.stop()
    check_after_outage(hall, traffic, event_log, before, back_at)


def check_after_outage(hall, traffic, event_log, before, back_at):
    """What every outage must leave: answers as promised (503 with Retry-After within
    2 s while down, success soon after), no ticket lost or doubled, none claimed
    twice, every committed event published, every process alive or restarted."""
    traffic.check_answers(outage_end=back_at)
    traffic.check_tickets(hall.database_url)
    traffic.check_claims(hall.database_url)
    event_log.check_published(hall.database_url)
    check_alive(hall, before)


def test_postgresql_restarted(hall, servers, event_log):
    """Broke: PostgreSQL stopped (fast shutdown) under traffic, then started again.
    Checked: no process exits; requests meanwhile answer 503 `unavailable` with
    Retry-After within 2 s (the pool does not wait 30 s); within 5 s of the
    database's return everything works; no ticket lost or doubled, no double claim;
    every committed event is published."""
    before = pids(hall)
    traffic = Traffic(hall.base_url).start()
    try:
        traffic.wait_for_successes(since=0, count=5)
        down_at = time.monotonic()
        servers.stop_postgres()
        traffic.wait_for_failures(since=down_at, count=5)
        servers.start_postgres()
        back_at = time.monotonic()
        traffic.wait_for_successes(since=back_at, count=5, timeout=15)
        while time.monotonic() < back_at + 8:
            time.sleep(0.2)
    finally:
        traffic.stop()
    check_after_outage(hall, traffic, event_log, before, back_at)


def test_redis_restarted(hall, servers, event_log):
    """Broke: Redis stopped under traffic (its display state lost), then started
    empty. Checked: tickets are still issued and called meanwhile (PostgreSQL is
    the record) with no 500; the board is served from the record while Redis is
    down; once it is back the reconcile rebuilds the display state and a board's
    stream connects again; no process exits."""
    before = pids(hall)
    traffic = Traffic(hall.base_url).start()
    try:
        traffic.wait_for_successes(since=0, count=5)
        servers.stop_redis()
        down_at = time.monotonic()
        traffic.wait_for_successes(since=down_at, count=5)
        board = requests.get(f"{hall.base_url}/api/display", timeout=5)
        assert board.status_code == 200 and "counters" in board.json()
        servers.start_redis()
        back_at = time.monotonic()
        traffic.wait_for_successes(since=back_at, count=5, timeout=15)
    finally:
        traffic.stop()
    traffic.check_answers(outage_end=back_at)
    traffic.check_tickets(hall.database_url)
    traffic.check_claims(hall.database_url)
    event_log.check_published(hall.database_url)
    import redis

    client = redis.Redis.from_url(servers.redis_url)
    namespace = hall.env["REDIS_NAMESPACE"]
    hall.wait_for(lambda: client.exists(f"{namespace}:display:polres-demo"), 15,
                  "the display state was not rebuilt in Redis")
    assert first_stream_event(hall)["site"] == "polres-demo"  # a board's stream connects again
    check_alive(hall, before)


def first_stream_event(hall):
    """The first message of /api/display/stream (what a board gets on connecting)."""
    import json

    with requests.get(f"{hall.base_url}/api/display/stream", stream=True, timeout=10) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines(decode_unicode=True):
            if line and line.startswith("data:"):
                return json.loads(line[5:])
    raise AssertionError("the stream ended without an event")


def test_service_process_killed(hall, event_log):
    """Broke: the queue service's process killed with SIGKILL under traffic.
    Checked: supervisord starts it again (new pid) and leaves the gateway alone;
    meanwhile answers are 503 `unavailable` (within the RPC timeout) or successes,
    never 500; afterwards tickets are issued again; no ticket lost or doubled, no
    double claim; every committed event is published."""
    before = pids(hall)
    traffic = Traffic(hall.base_url).start()
    try:
        traffic.wait_for_successes(since=0, count=5)
        os.kill(before["queue"], signal.SIGKILL)
        hall.wait_for(lambda: hall.pid("queue") not in (0, before["queue"]), 30, "queue was not restarted")
        hall.wait_for(lambda: hall.states().get("queue") == "RUNNING", 30, "queue did not come back up")
        back_at = time.monotonic()
        traffic.wait_for_successes(since=back_at, count=5, timeout=20)
    finally:
        traffic.stop()
    # A request the dead process had taken waits for the gateway's RPC timeout (8 s).
    traffic.check_answers(unavailable_within=9.5)
    traffic.check_tickets(hall.database_url)
    traffic.check_claims(hall.database_url)
    event_log.check_published(hall.database_url)
    after = pids(hall)
    assert after["gateway"] == before["gateway"], "the gateway was restarted too"
    assert after["queue"] not in (0, before["queue"])


def test_a_command_nobody_waits_for_is_never_carried_out(hall):
    """Broke: the queue service stopped (supervisorctl stop), so a ticket request
    waits in the broker; the gateway gives up and answers 503. Checked: when the
    service comes back, the stale request has expired and is never carried out: no
    ticket exists for its Idempotency-Key, and the kiosk's retry with that key gets
    exactly one ticket."""
    key = f"faults-stale-{time.time_ns()}"
    hall.stop("queue")
    try:
        started = time.monotonic()
        answer = issue(hall, key)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "unavailable" and answer.headers["Retry-After"]
        assert time.monotonic() - started < 10
    finally:
        hall.start("queue")
    hall.wait_for(lambda: hall.states().get("queue") == "RUNNING", 30, "queue did not start")
    # The service consumes its queue again: a fresh request is served...
    fresh = issue(hall, f"{key}-fresh")
    assert fresh.status_code == 201, fresh.text
    # ...and the stale one was dropped, not carried out late.
    import psycopg

    with psycopg.connect(hall.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM queue.idempotency_keys WHERE key = %s",
                            (key,)).fetchone()[0] == 0
    retried = issue(hall, key)
    again = issue(hall, key)
    assert retried.status_code == again.status_code == 201
    assert retried.json()["id"] == again.json()["id"]
