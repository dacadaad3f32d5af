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


def tracking_misses_wait(redis, namespace, site, address, limit, window_s, now=None):
    """The seconds ``address`` must wait before its next lookup by tracking code
    (status, check-in, files, letter, cancel) once it has had ``limit`` misses in the
    current window, else None. Only misses count (see count_tracking_miss): the brake
    is on guessing codes, and the status pages of many phones behind one hall Wi-Fi
    address poll known codes all day."""
    return allowance(redis, namespace, "tracking", site, address, limit, window_s, now, count=False)


def count_tracking_miss(redis, namespace, site, address, limit, window_s, now=None):
    """Count one lookup of a code that names no application."""
    allowance(redis, namespace, "tracking", site, address, limit, window_s, now)


def allowance(redis, namespace, kind, site, address, limit, window_s, now=None, count=True):
    """Count one request (or, with count=False, only read the count) and give the
    seconds to wait when the window's count is over ``limit``."""
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    window = int(now // window_s)
    # The address is hashed: no client address sits in Redis in the clear.
    who = hashlib.sha256((address or "unknown").encode()).hexdigest()[:32]
    key = f"{namespace}:ratelimit:{kind}:{site}:{who}:{window}"
    try:
        if count:
            pipe = redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, window_s + 5)
            so_far, _ = pipe.execute()
        else:
            so_far = int(redis.get(key) or 0) + 1  # as if this one were counted
    except Exception as exc:  # noqa: BLE001
        log.warning("%s rate limit not applied: redis %s", kind, type(exc).__name__)
        return None
    if so_far > limit:
        return max(1, math.ceil((window + 1) * window_s - now))
    return None
