"""The supervisor's use cases: the site's services, counters, officers and the
running text of the display boards. Each change is journaled (so the boards'
version moves on) in the transaction that makes it."""
from datetime import time

from psycopg import errors as pg_errors

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.queue import access, catalog
from services.queue import repository as repo
from services.queue.commands import (
    CounterSettings, NewCounter, NewOfficer, NewService, OfficerSettings, RunningText, ServiceSettings,
)
from services.queue.passwords import hash_password

SERVICE_COLUMNS = ("code", "prefix", "name", "name_en", "daily_quota", "opens_at", "closes_at", "open_days",
                   "target_wait_s", "default_service_s", "active", "sort_order")


def service_view(row):
    view = {name: row[name] for name in SERVICE_COLUMNS}
    for name in ("opens_at", "closes_at"):
        view[name] = row[name].strftime("%H:%M") if row[name] else None
    return view


def list_services(cur, ctx):
    return [service_view(row) for row in repo.service_rows(cur, ctx.site_id)]


def check_hours(values):
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if (opens is None) != (closes is None):
        missing = "closes_at" if closes is None else "opens_at"
        raise InvalidInput("Jam buka dan jam tutup harus diisi keduanya atau dikosongkan keduanya.",
                           "Set both opening and closing time, or neither.", {missing: "set both or neither"})
    if opens is not None and opens >= closes:
        raise InvalidInput("Jam tutup harus setelah jam buka.", "Closing time must be after opening time.",
                           {"closes_at": "must be after opens_at"})


def as_time(value):
    if isinstance(value, str):
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    return value


def save_service(cur, ctx, code, values, actor, action):
    values = dict(values)
    for name in ("opens_at", "closes_at"):
        values[name] = as_time(values.get(name))
    check_hours(values)
    try:
        with cur.connection.transaction():  # a savepoint: a clash must not poison the transaction
            catalog.upsert_service(cur, ctx.site_id, code, **{k: v for k, v in values.items() if k != "code"})
    except pg_errors.UniqueViolation:
        raise Conflict(f"Huruf awalan {values['prefix']} sudah dipakai layanan lain.",
                       f"Prefix {values['prefix']} is already used by another service.",
                       {"prefix": "already used"}, code="prefix_taken") from None
    repo.journal(cur, ctx.site_id, ctx.now, actor, action, data={"service": code})
    return service_view(repo.service_row(cur, ctx.site_id, code))


def create_service(cur, ctx, cmd: NewService, actor):
    if repo.service_row(cur, ctx.site_id, cmd.code) is not None:
        raise Conflict(f"Layanan {cmd.code} sudah ada.", f"Service {cmd.code} already exists.",
                       {"code": "already exists"}, code="service_exists")
    values = cmd.model_dump(exclude_none=True)
    return save_service(cur, ctx, cmd.code, values, actor, "create_service")


def update_service(cur, ctx, code, cmd: ServiceSettings, actor):
    row = repo.service_row(cur, ctx.site_id, code)
    if row is None:
        raise NotFound(f"Layanan {code} tidak ada.", f"There is no service {code}.", {"code": "unknown"})
    values = service_view(row)
    values.update(cmd.model_dump(exclude_unset=True))
    return save_service(cur, ctx, code, values, actor, "update_service")


def counter_admin_view(row):
    return {"counter": row["number"], "name": row["name"], "services": row["services"],
            "open": row["opened_by"] is not None, "opened_by": row["opened_by"]}


def check_services_exist(cur, ctx, codes):
    for code in codes:
        if repo.service_row(cur, ctx.site_id, code) is None:
            raise InvalidInput(f"Layanan {code} tidak dikenal.", f"Unknown service {code}.",
                               {"services": f"unknown service {code}"})


def create_counter(cur, ctx, cmd: NewCounter, actor):
    cur.execute("SELECT 1 FROM queue.counters WHERE site_id = %s AND number = %s", (ctx.site_id, cmd.number))
    if cur.fetchone():
        raise Conflict(f"Loket {cmd.number} sudah ada.", f"Counter {cmd.number} already exists.",
                       {"number": "already exists"}, code="counter_exists")
    check_services_exist(cur, ctx, cmd.services)
    catalog.upsert_counter(cur, ctx.site_id, cmd.number, cmd.name, list(dict.fromkeys(cmd.services)))
    repo.journal(cur, ctx.site_id, ctx.now, actor, "create_counter", counter=cmd.number)
    return counter_admin_view(repo.counter_row(cur, ctx.site_id, cmd.number))


def update_counter(cur, ctx, number, cmd: CounterSettings, actor):
    row = repo.counter_row(cur, ctx.site_id, number, lock=True)
    services = list(dict.fromkeys(cmd.services)) if cmd.services is not None else row["services"]
    check_services_exist(cur, ctx, services)
    if row["open_services"] and not set(row["open_services"]) <= set(services):
        raise Conflict(f"Loket {number} sedang dibuka untuk layanan yang akan dihapus; tutup dulu.",
                       f"Counter {number} is open for a service being removed; close it first.",
                       {"services": "counter open for a removed service"}, code="counter_busy")
    catalog.upsert_counter(cur, ctx.site_id, number, cmd.name or row["name"], services)
    repo.journal(cur, ctx.site_id, ctx.now, actor, "update_counter", counter=number)
    return counter_admin_view(repo.counter_row(cur, ctx.site_id, number))


def officer_view(row):
    return {"username": row["username"], "full_name": row["full_name"], "role": row["role"], "active": row["active"]}


def list_officers(cur, ctx):
    cur.execute("SELECT username, full_name, role, active FROM queue.officers WHERE site_id = %s ORDER BY username",
                (ctx.site_id,))
    return [officer_view(row) for row in cur.fetchall()]


def may_manage(actor_role, target_role):
    """Supervisors manage officers; only an admin grants or changes supervisor and admin accounts."""
    if actor_role != "admin" and target_role in ("supervisor", "admin"):
        raise Forbidden("Hanya admin yang dapat mengatur akun supervisor atau admin.",
                        "Only an admin can manage supervisor or admin accounts.", {"role": target_role})


def create_officer(cur, ctx, cmd: NewOfficer, actor, actor_role):
    may_manage(actor_role, cmd.role)
    if repo.officer_by_username(cur, ctx.site_id, cmd.username):
        raise Conflict(f"Nama pengguna {cmd.username} sudah dipakai.", f"Username {cmd.username} is taken.",
                       {"username": "already taken"}, code="username_taken")
    catalog.upsert_officer(cur, ctx.site_id, cmd.username, cmd.role, cmd.password, cmd.full_name or "")
    repo.journal(cur, ctx.site_id, ctx.now, actor, "create_officer", data={"username": cmd.username})
    return officer_view(repo.officer_by_username(cur, ctx.site_id, cmd.username))


def update_officer(cur, ctx, username, cmd: OfficerSettings, actor, actor_role):
    row = repo.officer_by_username(cur, ctx.site_id, username)
    if row is None:
        raise NotFound(f"Petugas {username} tidak ada.", f"There is no officer {username}.", {"username": "unknown"})
    may_manage(actor_role, row["role"])
    if cmd.role is not None:
        may_manage(actor_role, cmd.role)
    if username == actor and (cmd.active is False or (cmd.role and cmd.role != row["role"])):
        raise Conflict("Anda tidak dapat menonaktifkan atau mengubah peran akun sendiri.",
                       "You cannot deactivate your own account or change its role.", {"username": "yourself"})
    cur.execute(
        """UPDATE queue.officers SET full_name = COALESCE(%s, full_name), role = COALESCE(%s, role),
               password_hash = COALESCE(%s, password_hash), active = COALESCE(%s, active)
           WHERE site_id = %s AND username = %s""",
        (cmd.full_name, cmd.role, hash_password(cmd.password) if cmd.password else None, cmd.active,
         ctx.site_id, username))
    changed = sorted(k for k in cmd.model_dump(exclude_unset=True) if k != "password") + (
        ["password"] if cmd.password else [])
    # Access ends at once: a deactivated, re-roled or re-passworded officer's tokens stop working.
    reasons = [reason for reason, happened in (
        ("deactivated", cmd.active is False and row["active"]),
        ("role_changed", cmd.role is not None and cmd.role != row["role"]),
        ("password_changed", bool(cmd.password))) if happened]
    ended = access.end_officer_sessions(cur, ctx, username, ",".join(reasons)) if reasons else 0
    repo.journal(cur, ctx.site_id, ctx.now, actor, "update_officer",
                 data={"username": username, "changed": changed, "sessions_ended": ended})
    return officer_view(repo.officer_by_username(cur, ctx.site_id, username))


def set_running_text(cur, ctx, cmd: RunningText, actor):
    cur.execute("UPDATE queue.sites SET running_text = %s WHERE id = %s", (cmd.text, ctx.site_id))
    repo.journal(cur, ctx.site_id, ctx.now, actor, "running_text")
    return {"running_text": cmd.text}
