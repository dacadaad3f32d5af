"""argon2 hashing and verification, off the eventlet hub.

argon2 takes tens of milliseconds of CPU and 64 MiB by design. Run on the hub it
stalls every other request of the process (30 wrong logins at once held ticket issue
for seconds), so in a green process it runs in eventlet's thread pool, at most
``CONCURRENCY`` at a time (the rest wait as greenthreads) to bound CPU and memory.
argon2-cffi releases the GIL while it hashes. Waiting checks hold RPC workers, which
ticket issue needs too: past ``MAX_WAITING`` a login is turned away at once (``busy``)."""
import eventlet
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore

CONCURRENCY = 2
MAX_WAITING = 6

hasher = PasswordHasher()
_slots = Semaphore(CONCURRENCY)


_in_use = 0


def busy():
    """True when a password check now would only queue behind too many others."""
    return _in_use >= CONCURRENCY + MAX_WAITING


def _off_hub(function, *args):
    global _in_use
    if not eventlet.patcher.is_monkey_patched("thread"):
        return function(*args)  # a plain command-line process (seed): nothing to stall
    _in_use += 1
    try:
        with _slots:
            return tpool.execute(function, *args)
    finally:
        _in_use -= 1


def hash_password(password):
    return _off_hub(hasher.hash, password)


def _verify(password_hash, password):
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash, password):
    return bool(_off_hub(_verify, password_hash, password))


# Verified against when the username is unknown, so both cases take as long.
UNKNOWN_USER_HASH = hasher.hash("unknown-user")
