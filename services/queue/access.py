"""Who may do what: officers' server-side sessions, the login lockout, registered
kiosks, and the citizen's ticket access key. Plain functions of the caller's unit of
work (its transaction: the access tables' SQL lives here); no nameko here.

Secrets are never stored: a session or kiosk key is kept as its SHA-256, and a
ticket's access key is derived (HMAC with the installation's secret) from the id
of the ticket the citizen was issued, so a retried issue and a transferred ticket
give the same key without storing it.
"""
import base64
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from shared.contracts.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from shared.contracts.changes import Change
from services.queue import passwords


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class _Now:
    """The unit of work's site and time, as the queries below name them."""

    def __init__(self, uow):
        self.site_id, self.now = uow.site["id"], uow.now


# --- the citizen's ticket access key ------------------------------------------------------

def ticket_access_key(secret: str, row) -> str:
    root = row["access_root"] or row["id"]
    mac = hmac.new(secret.encode(), f"ticket-access:{root}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()  # 24 characters, 144 bits


def check_ticket_key(secret: str, row, given):
    if not given:
        raise Unauthorized("Kunci tiket diperlukan.", "The ticket's key is required.",
                           {"X-Ticket-Key": "missing"}, code="ticket_key_required")
    if not hmac.compare_digest(ticket_access_key(secret, row).encode(), str(given).encode()):
        raise Forbidden("Kunci tiket tidak cocok.", "The ticket's key does not match.",
                        {"X-Ticket-Key": "wrong key"}, code="wrong_ticket_key")


# --- login lockout ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginPolicy:
    account_failures: int = 5
    address_failures: int = 30
    lock_s: int = 30
    lock_max_s: int = 900


def admit_login(uow, policy: LoginPolicy, username, address):
    """Count this attempt against the account and the client address before the
    password is checked (so concurrent attempts cannot slip past the limit), or
    return the refusal if either is locked; a refused attempt counts nowhere. A
    success takes the count back. Rows are locked account first, then address."""
    keys = [("account", username, policy.account_failures)]
    if address:
        keys.append(("address", digest(address), policy.address_failures))
    for kind, key, limit in keys:
        wait = _lock_if_over(uow, policy, kind, key, limit)
        if wait:
            return locked_out(kind, wait)
    for kind, key, _limit in keys:
        uow.cur.execute("""UPDATE queue.login_throttle SET failures = failures + 1, last_attempt_at = %s
                           WHERE site_id = %s AND kind = %s AND key = %s""", (uow.now, uow.site["id"], kind, key))
    return None


def _lock_if_over(uow, policy, kind, key, limit):
    """Seconds left if (key) is locked, locking it now if it reached the limit."""
    cur, ctx = uow.cur, _Now(uow)
    cur.execute("""INSERT INTO queue.login_throttle (site_id, kind, key) VALUES (%s, %s, %s)
                   ON CONFLICT DO NOTHING""", (ctx.site_id, kind, key))
    cur.execute("SELECT * FROM queue.login_throttle WHERE site_id = %s AND kind = %s AND key = %s FOR UPDATE",
                (ctx.site_id, kind, key))
    row = cur.fetchone()
    if row["locked_until"] and row["locked_until"] > ctx.now:
        return math.ceil((row["locked_until"] - ctx.now).total_seconds())
    failures, level = row["failures"], row["lock_level"]
    if row["last_attempt_at"] and ctx.now - row["last_attempt_at"] > timedelta(seconds=policy.lock_max_s):
        failures, level = 0, 0  # quiet for long enough: start afresh
    locked_until, wait = None, 0
    if failures >= limit:  # the lock starts, and its count with it
        level += 1
        wait = min(policy.lock_max_s, policy.lock_s * 2 ** (level - 1))
        locked_until, failures = ctx.now + timedelta(seconds=wait), 0
    cur.execute("""UPDATE queue.login_throttle SET failures = %s, lock_level = %s, locked_until = %s
                   WHERE site_id = %s AND kind = %s AND key = %s""",
                (failures, level, locked_until, ctx.site_id, kind, key))
    return wait


def locked_out(kind, wait):
    if kind == "account":
        return TooManyRequests(
            f"Terlalu banyak kata sandi salah untuk nama pengguna ini. Coba lagi dalam {wait} detik.",
            f"Too many wrong passwords for this username. Try again in {wait} seconds.",
            {"username": f"locked for {wait} s after repeated wrong passwords"}, code="login_locked",
            retry_after=wait)
    return TooManyRequests(
        f"Terlalu banyak percobaan masuk yang salah dari perangkat/jaringan ini. Coba lagi dalam {wait} detik.",
        f"Too many wrong logins from this device or network. Try again in {wait} seconds.",
        {"password": f"too many wrong logins from this address; locked for {wait} s"}, code="login_locked",
        retry_after=wait)


def login_succeeded(uow, username, address):
    """The account starts afresh; the address gets its counted attempt back."""
    cur, ctx = uow.cur, _Now(uow)
    cur.execute("""UPDATE queue.login_throttle SET failures = 0, lock_level = 0, locked_until = NULL
                   WHERE site_id = %s AND kind = 'account' AND key = %s""", (ctx.site_id, username))
    if address:
        cur.execute("""UPDATE queue.login_throttle SET failures = GREATEST(failures - 1, 0)
                       WHERE site_id = %s AND kind = 'address' AND key = %s""", (ctx.site_id, digest(address)))


# --- sessions -----------------------------------------------------------------------------------

def open_session(uow, officer_id, ttl_s):
    """A new session; returns its secret (goes into the token, never stored) and expiry."""
    cur, ctx = uow.cur, _Now(uow)
    secret = secrets.token_urlsafe(32)
    expires = ctx.now + timedelta(seconds=ttl_s)
    cur.execute("""DELETE FROM queue.sessions WHERE officer_id = %s
                   AND (expires_at < %s OR ended_at < %s)""",
                (officer_id, ctx.now - timedelta(days=1), ctx.now - timedelta(days=1)))
    cur.execute("""INSERT INTO queue.sessions (site_id, officer_id, secret_hash, created_at, expires_at)
                   VALUES (%s, %s, %s, %s, %s)""", (ctx.site_id, officer_id, digest(secret), ctx.now, expires))
    return secret, expires


def session_officer(uow, secret):
    """The officer of a live session (401 if it ended, expired, or the officer is inactive).
    The role is the account's current one."""
    cur, ctx = uow.cur, _Now(uow)
    cur.execute(
        """SELECT o.username, o.role, o.full_name FROM queue.sessions s JOIN queue.officers o ON o.id = s.officer_id
           WHERE s.site_id = %s AND s.secret_hash = %s AND s.ended_at IS NULL AND s.expires_at > %s AND o.active""",
        (ctx.site_id, digest(secret or ""), ctx.now))
    row = cur.fetchone()
    if row is None:
        raise Unauthorized("Sesi Anda sudah berakhir; silakan masuk lagi.", "Your session has ended; log in again.",
                           {"Authorization": "session ended or unknown"}, code="session_ended")
    return {"username": row["username"], "role": row["role"]}


def end_session(uow, secret):
    cur, ctx = uow.cur, _Now(uow)
    cur.execute("""UPDATE queue.sessions SET ended_at = %s, ended_reason = 'logout'
                   WHERE site_id = %s AND secret_hash = %s AND ended_at IS NULL RETURNING officer_id""",
                (ctx.now, ctx.site_id, digest(secret or "")))
    return cur.fetchone() is not None


def end_officer_sessions(uow, username, reason):
    """Every live session of the officer ends now (deactivation, role or password change)."""
    cur, ctx = uow.cur, _Now(uow)
    cur.execute(
        """UPDATE queue.sessions s SET ended_at = %s, ended_reason = %s FROM queue.officers o
           WHERE o.id = s.officer_id AND o.site_id = %s AND o.username = %s AND s.ended_at IS NULL""",
        (ctx.now, reason, ctx.site_id, username))
    return cur.rowcount


# --- registered kiosks ----------------------------------------------------------------------------

def kiosk_view(row):
    return {"id": row["id"], "name": row["name"], "created_by": row["created_by"],
            "created_at": row["created_at"].isoformat(), "active": row["revoked_at"] is None}


def register_kiosk(uow, name, key=None):
    """A new kiosk and its key (returned once; only its hash is kept)."""
    cur, ctx, actor = uow.cur, _Now(uow), uow.actor
    cur.execute("SELECT 1 FROM queue.kiosks WHERE site_id = %s AND name = %s", (ctx.site_id, name))
    if cur.fetchone():
        raise Conflict(f"Kios {name} sudah terdaftar.", f"Kiosk {name} is already registered.",
                       {"name": "already registered"}, code="kiosk_exists")
    key = key or secrets.token_urlsafe(24)
    cur.execute("""INSERT INTO queue.kiosks (site_id, name, key_hash, created_by, created_at)
                   VALUES (%s, %s, %s, %s, %s) RETURNING *""", (ctx.site_id, name, digest(key), actor, ctx.now))
    row = cur.fetchone()
    uow.record(Change("register_kiosk", journal_data={"kiosk": name}))
    return dict(kiosk_view(row), key=key)


def list_kiosks(uow):
    cur, ctx = uow.cur, _Now(uow)
    cur.execute("SELECT * FROM queue.kiosks WHERE site_id = %s ORDER BY name", (ctx.site_id,))
    return [kiosk_view(row) for row in cur.fetchall()]


def revoke_kiosk(uow, kiosk_id):
    cur, ctx = uow.cur, _Now(uow)
    cur.execute("""UPDATE queue.kiosks SET revoked_at = COALESCE(revoked_at, %s)
                   WHERE site_id = %s AND id = %s RETURNING *""", (ctx.now, ctx.site_id, kiosk_id))
    row = cur.fetchone()
    if row is None:
        raise NotFound("Kios tidak ada.", "There is no such kiosk.", {"kiosk": "unknown"})
    uow.record(Change("revoke_kiosk", journal_data={"kiosk": row["name"]}))
    return kiosk_view(row)


def kiosk_by_key(uow, key):
    """The registered, unrevoked kiosk holding ``key`` (401 otherwise)."""
    cur, ctx = uow.cur, _Now(uow)
    cur.execute("SELECT * FROM queue.kiosks WHERE site_id = %s AND key_hash = %s AND revoked_at IS NULL",
                (ctx.site_id, digest(key or "")))
    row = cur.fetchone()
    if row is None:
        raise Unauthorized("Kunci kios tidak dikenal atau sudah dicabut.", "Unknown or revoked kiosk key.",
                           {"X-Kiosk-Key": "unknown or revoked"}, code="kiosk_unknown")
    return row


# --- login -----------------------------------------------------------------------------------------

def login(store, site, settings, username, password, address):
    """The whole login: admitted under the lockout (the attempt is counted and
    committed first), the password checked off the event loop, and a session opened
    only if the account is unchanged since its password was checked."""
    username = (username or "").strip().lower()
    if passwords.busy():  # before counting: a refusal for load is nobody's failure
        raise TooManyRequests("Server sedang sibuk memeriksa kata sandi. Coba lagi sebentar lagi.",
                              "The server is busy checking passwords. Try again in a moment.",
                              {"password": "server busy; try again in 1 s"}, code="login_busy", retry_after=1)
    policy = LoginPolicy(settings.LOGIN_MAX_FAILURES, settings.LOGIN_ADDRESS_MAX_FAILURES,
                         settings.LOGIN_LOCK_S, settings.LOGIN_LOCK_MAX_S)
    with store(site) as uow:
        refused = admit_login(uow, policy, username, address)  # counted, committed
        officer = uow.officers.by_username(username)
    if refused:
        raise refused
    ok = passwords.verify_password(officer["password_hash"] if officer else passwords.UNKNOWN_USER_HASH,
                                   password or "")
    if not (ok and officer["active"]):
        raise wrong_login()
    with store(site) as uow:
        # The account as it is now, locked against a concurrent change: a password
        # changed or an account deactivated while we checked gets no session.
        current = uow.officers.by_username(username, lock=True)
        if current is None or current["password_hash"] != officer["password_hash"] or not current["active"]:
            raise wrong_login()
        login_succeeded(uow, username, address)
        secret, expires = open_session(uow, current["id"], settings.TOKEN_TTL_S)
    return {"username": current["username"], "role": current["role"], "full_name": current["full_name"],
            "session": secret, "expires_at": expires.isoformat()}


def wrong_login():
    return Unauthorized("Nama pengguna atau kata sandi salah.", "Wrong username or password.",
                        {"password": "wrong username or password"})
