"""What the queue's operations metrics read from PostgreSQL: figures that change
with time alone (the age of the oldest waiting ticket and of the oldest unpublished
event) and the wait targets the calls are measured against. Plain functions of a
cursor; QueueMetrics turns them into gauges."""


def wait_targets(cur, site_code=None):
    """``{site: {service: target_wait_s}}`` for the active services."""
    cur.execute(
        """SELECT si.code AS site, s.code AS service, s.target_wait_s
           FROM queue.services s JOIN queue.sites si ON si.id = s.site_id
           WHERE s.active AND (%(site)s::text IS NULL OR si.code = %(site)s)""", {"site": site_code})
    targets = {}
    for row in cur.fetchall():
        targets.setdefault(row["site"], {})[row["service"]] = row["target_wait_s"]
    return targets


def oldest_waiting(cur):
    """``{site: {service: seconds}}``: how long the longest-waiting ticket of each
    active service has waited (0 when nobody waits)."""
    cur.execute(
        """SELECT si.code AS site, s.code AS service,
                  COALESCE(EXTRACT(EPOCH FROM now() - min(t.queued_at)), 0)::float AS oldest_s
           FROM queue.services s JOIN queue.sites si ON si.id = s.site_id
           LEFT JOIN queue.tickets t
                  ON t.site_id = s.site_id AND t.service_code = s.code AND t.status = 'waiting'
           WHERE s.active GROUP BY si.code, s.code""")
    oldest = {}
    for row in cur.fetchall():
        oldest.setdefault(row["site"], {})[row["service"]] = max(row["oldest_s"], 0.0)
    return oldest


def outbox_backlog(cur):
    """``(pending, oldest_age_s)`` of the events committed but not yet published."""
    cur.execute(
        """SELECT count(*) AS pending,
                  COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS oldest_s
           FROM queue.outbox WHERE published_at IS NULL""")
    row = cur.fetchone()
    return row["pending"], max(row["oldest_s"], 0.0)


def sample(cur, metrics):
    """Read every time-driven figure once (the reconcile timer calls this)."""
    metrics.set_outbox(*outbox_backlog(cur))
    for site, targets in wait_targets(cur).items():
        metrics.set_targets(site, targets)
    for site, ages in oldest_waiting(cur).items():
        metrics.set_oldest_waiting(site, ages)
