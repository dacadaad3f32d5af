"""A plain AMQP listener (pika) for what a service publishes: it binds an
exclusive queue to ``<service>.events`` and hands back the decoded events."""
import json
import time

import pika


class EventListener:
    def __init__(self, amqp_uri, exchange="queue.events", routing_key="#"):
        params = pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://", 1))
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, exchange, routing_key=routing_key)

    def collect(self, count, timeout=10.0):
        """Wait for ``count`` events (or the timeout); returns (routing_key, body) pairs."""
        received = []
        deadline = time.monotonic() + timeout
        while len(received) < count and time.monotonic() < deadline:
            method, _props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.connection.sleep(0.05)
                continue
            received.append((method.routing_key, json.loads(body)))
        return received

    def close(self):
        if self.connection.is_open:
            self.connection.close()
