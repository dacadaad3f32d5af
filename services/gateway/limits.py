"""Per-address limits: anonymous ticket issue (registered kiosks don't pass through
here) and tracking-code lookups. Fixed window counters in Redis, shared by every
gateway process of the installation."""
import hashlib
import logging
import math
import time

log = logging.getLogger(__name__)


def ticket_allowance(redis, namespace, site, address, limit, window_s, now=None):
    """Count one ticket request from ``address``; the seconds to wait if it is over
    ``limit`` in the current window, else None. Redis being down lets it through:
    the limit is a brake on abuse and must not take the kiosks down with Redis."""
    return allowance(redis, namespace, "tickets", site, address, limit, window_s, now)


def tracking_allowance(redis, namespace, site, address, limit, window_s, now=None):
    """The same for one lookup by tracking code (status, check-in, files, letter,
    cancel): a brake on guessing codes."""
    return allowance(redis, namespace, "tracking", site, address, limit, window_s, now)


def allowance(redis, namespace, kind, site, address, limit, window_s, now=None):
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    window = int(now // window_s)
    # The address is hashed: no client address sits in Redis in the clear.
    who = hashlib.sha256((address or "unknown").encode()).hexdigest()[:32]
    key = f"{namespace}:ratelimit:{kind}:{site}:{who}:{window}"
    try:
        pipe = redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_s + 5)
        count, _ = pipe.execute()
    except Exception as exc:  # noqa: BLE001
        log.warning("%s rate limit not applied: redis %s", kind, type(exc).__name__)
        return None
    if count > limit:
        return max(1, math.ceil((window + 1) * window_s - now))
    return None
