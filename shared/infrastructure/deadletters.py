"""Operator's tool for a service's dead letters (the ``<service>.dead`` queue that
``shared.infrastructure.consumer`` fills after an event handler's last try).

    python -m shared.infrastructure.deadletters list <service> [--json]
    python -m shared.infrastructure.deadletters replay <service> (--id EVENT_ID | --all)
    python -m shared.infrastructure.deadletters purge <service> (--id EVENT_ID | --all)

``replay`` sends a message back to its work queue once, with the attempt count reset;
the dead copy is removed only after the broker confirmed the replayed one. ``list``
leaves the queue as it was. AMQP_URI comes from config.yml (or ``--amqp-uri``).

Exit codes: 0 done; 1 the broker could not be reached or refused; 2 bad arguments;
3 no dead message matched ``--id``.
Output: one line per message (``--json``: one JSON object per line), then a summary
line on stderr.
"""
import argparse
import json
import sys

import pika
import pika.exceptions

from shared.infrastructure.consumer import (
    ATTEMPTS, DEAD_AT, ERROR, ERROR_TYPE, EVENT_ID, EVENT_TYPE, KIT_HEADERS, QUEUE, REPLAYED, dead_queue_name,
)

EXIT_OK, EXIT_BROKER, EXIT_USAGE, EXIT_NOT_FOUND = 0, 1, 2, 3


class DeadLetters:
    """The dead-letter queue of one service, over a plain pika connection."""

    def __init__(self, amqp_uri, service):
        params = pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://", 1))
        params.connection_attempts = 1
        params.socket_timeout = 5
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.queue = dead_queue_name(service)

    def close(self):
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _count(self):
        try:
            return self.channel.queue_declare(self.queue, passive=True).method.message_count
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code != 404:
                raise
            # No handler of this service ever dead-lettered anything.
            self.channel = self.connection.channel()
            self.channel.confirm_delivery()
            return 0

    def _fetch(self):
        """Take (unacked) the messages present now; a message replayed meanwhile that
        fails again arrives later and is not seen twice."""
        taken = []
        for _ in range(self._count()):
            method, props, body = self.channel.basic_get(self.queue, auto_ack=False)
            if method is None:
                break
            taken.append((method, props, body))
        return taken

    def _give_back(self, taken):
        for method, _props, _body in taken:
            self.channel.basic_nack(method.delivery_tag, requeue=True)

    def list(self):
        taken = self._fetch()
        try:
            return [describe(props, body) for _method, props, body in taken]
        finally:
            self._give_back(taken)

    def replay(self, event_id=None):
        """Back to the work queue: returns (replayed, failed) entries."""
        return self._act(event_id, self._replay_one)

    def purge(self, event_id=None):
        return self._act(event_id, lambda method, props, body: None)

    def _act(self, event_id, action):
        taken, done, failed, keep = self._fetch(), [], [], []
        try:
            for method, props, body in taken:
                entry = describe(props, body)
                if event_id is not None and entry["event_id"] != event_id:
                    keep.append((method, props, body))
                    continue
                try:
                    action(method, props, body)
                except (pika.exceptions.UnroutableError, pika.exceptions.NackError) as exc:
                    entry["error"] = type(exc).__name__
                    failed.append(entry)
                    keep.append((method, props, body))
                    continue
                self.channel.basic_ack(method.delivery_tag)
                done.append(entry)
        finally:
            self._give_back(keep)
        return done, failed

    def _replay_one(self, _method, props, body):
        headers = dict(props.headers or {})
        work_queue = headers.get(QUEUE)
        if not work_queue:
            raise pika.exceptions.UnroutableError([])
        replayed = int(headers.get(REPLAYED) or 0) + 1
        clean = {k: v for k, v in headers.items() if k not in KIT_HEADERS and k != "x-death"}
        clean[REPLAYED] = replayed
        # mandatory + confirms: raises unless the work queue took it.
        self.channel.basic_publish(
            "", work_queue, body, mandatory=True,
            properties=pika.BasicProperties(
                content_type=props.content_type, content_encoding=props.content_encoding,
                delivery_mode=2, headers=clean))


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def describe(props, body):
    headers = props.headers or {}
    event_id = _text(headers.get(EVENT_ID))
    if event_id is None:
        try:
            event_id = json.loads(body).get("event_id")
        except (ValueError, AttributeError):
            event_id = None
    return {
        "event_type": _text(headers.get(EVENT_TYPE)),
        "event_id": event_id,
        "attempts": headers.get(ATTEMPTS),
        "reason": _text(headers.get(ERROR)) or _text(headers.get(ERROR_TYPE)),
        "dead_at": _text(headers.get(DEAD_AT)),
        "queue": _text(headers.get(QUEUE)),
        "replayed": headers.get(REPLAYED, 0),
    }


def _print(entries, as_json, out):
    for entry in entries:
        if as_json:
            print(json.dumps(entry, sort_keys=True), file=out)
        else:
            print(f"{entry['dead_at'] or '-'}  {entry['event_type'] or '-'}  {entry['event_id'] or '-'}  "
                  f"attempts={entry['attempts']}  {entry['reason'] or '-'}", file=out)


def main(argv=None, out=sys.stdout, err=sys.stderr):
    parser = argparse.ArgumentParser(prog="python -m shared.infrastructure.deadletters", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--amqp-uri", help="defaults to AMQP_URI from config.yml")
    parser.add_argument("--config", help="path of config.yml")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "replay", "purge"):
        command = commands.add_parser(name)
        command.add_argument("service")
        command.add_argument("--json", action="store_true", help="one JSON object per line")
        if name != "list":
            which = command.add_mutually_exclusive_group(required=True)
            which.add_argument("--id", dest="event_id", help="only the message of this event id")
            which.add_argument("--all", action="store_true")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK

    amqp_uri = args.amqp_uri
    if not amqp_uri:
        from shared.infrastructure.config import load_config

        amqp_uri = load_config(args.config)["AMQP_URI"]
    try:
        with DeadLetters(amqp_uri, args.service) as dead:
            if args.command == "list":
                entries = dead.list()
                _print(entries, args.json, out)
                print(f"{len(entries)} dead message(s) in {dead.queue}", file=err)
                return EXIT_OK
            act = dead.replay if args.command == "replay" else dead.purge
            done, failed = act(args.event_id)
    except pika.exceptions.AMQPError as exc:
        print(f"broker error: {type(exc).__name__}", file=err)
        return EXIT_BROKER
    _print(done, args.json, out)
    verb = "replayed" if args.command == "replay" else "purged"
    print(f"{len(done)} {verb}, {len(failed)} failed", file=err)
    if failed:
        return EXIT_BROKER
    if args.event_id and not done:
        return EXIT_NOT_FOUND
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
