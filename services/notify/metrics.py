"""The notify service's Prometheus instruments (``Metrics(NotifyMetrics)``).

Labels are the channel, the site and the kind of message only — never a
recipient, masked or hashed."""
from prometheus_client import Counter, Gauge, Histogram

LABELS = ["channel", "site", "kind"]
LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)


class NotifyMetrics:
    def __init__(self, registry):
        def counter(name, doc):
            return Counter(name, doc, LABELS, registry=registry)

        self.sent = counter("ptsp_notify_sent_total", "Messages handed off to a channel")
        self.failed = counter("ptsp_notify_failed_total", "Delivery attempts that failed (transient or not)")
        self.retried = counter("ptsp_notify_retried_total", "Failed attempts scheduled to be tried again")
        self.dead = counter("ptsp_notify_dead_lettered_total",
                            "Deliveries given up on (dead letter: listed for a supervisor, re-sendable)")
        self.latency = Histogram("ptsp_notify_delivery_latency_seconds",
                                 "Time from the event to the hand-off to the channel", LABELS,
                                 buckets=LATENCY_BUCKETS, registry=registry)
        # The operations view (deploy/prometheus/rules, PtspNotificationsFailing; the
        # Grafana hall dashboard): every attempt's outcome per channel.
        self.outcomes = Counter("ptsp_notifications_total",
                                "Delivery attempts by outcome (sent, failed: will retry, dead_lettered)",
                                ["channel", "outcome"], registry=registry)
        self.dead_letters = Gauge("ptsp_notify_dead_letters",
                                  "Deliveries and messages in the dead-letter state now", ["site"], registry=registry)
        self._dead_sites = set()

    def record_sent(self, channel, site, kind, latency_s):
        self.sent.labels(channel, site, kind).inc()
        self.outcomes.labels(channel, "sent").inc()
        self.latency.labels(channel, site, kind).observe(max(0.0, latency_s))

    def record_failed(self, channel, site, kind, retry: bool):
        self.failed.labels(channel, site, kind).inc()
        if retry:
            self.retried.labels(channel, site, kind).inc()
        else:
            self.dead.labels(channel, site, kind).inc()
        self.outcomes.labels(channel, "failed" if retry else "dead_lettered").inc()

    def set_dead_letters(self, counts: dict):
        """Per site; a site whose dead letters were all re-sent goes back to 0."""
        self._dead_sites |= set(counts)
        for site in self._dead_sites:
            self.dead_letters.labels(site).set(counts.get(site, 0))
