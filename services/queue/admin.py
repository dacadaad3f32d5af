"""The supervisor's use cases: the site's services, counters, officers and the
running text of the display boards. Each change is journaled (so the boards'
version moves on) in the transaction that makes it."""
from datetime import time

from shared.contracts.changes import Change
from shared.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.queue import access
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


def list_services(uow):
    from services.queue.views import SERVICE_COLOURS
    return [{**service_view(row), "colour": i % SERVICE_COLOURS} for i, row in enumerate(uow.services.rows())]


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


def save_service(uow, code, values, action):
    values = dict(values)
    for name in ("opens_at", "closes_at"):
        values[name] = as_time(values.get(name))
    check_hours(values)
    if not uow.catalog.save_service(code, **{k: v for k, v in values.items() if k != "code"}):
        raise Conflict(f"Huruf awalan {values['prefix']} sudah dipakai layanan lain.",
                       f"Prefix {values['prefix']} is already used by another service.",
                       {"prefix": "already used"}, code="prefix_taken")
    uow.record(Change(action, journal_data={"service": code}))
    return service_view(uow.services.row(code))


def create_service(uow, cmd: NewService):
    if uow.services.row(cmd.code) is not None:
        raise Conflict(f"Layanan {cmd.code} sudah ada.", f"Service {cmd.code} already exists.",
                       {"code": "already exists"}, code="service_exists")
    values = cmd.model_dump(exclude_none=True)
    return save_service(uow, cmd.code, values, "create_service")


def update_service(uow, code, cmd: ServiceSettings):
    row = uow.services.row(code)
    if row is None:
        raise NotFound(f"Layanan {code} tidak ada.", f"There is no service {code}.", {"code": "unknown"})
    values = service_view(row)
    values.update(cmd.model_dump(exclude_unset=True))
    return save_service(uow, code, values, "update_service")


def counter_admin_view(row):
    return {"counter": row["number"], "name": row["name"], "services": row["services"],
            "open": row["opened_by"] is not None, "opened_by": row["opened_by"],
            "retired": row["retired_at"] is not None}


def check_services_exist(uow, codes):
    for code in codes:
        if uow.services.row(code) is None:
            raise InvalidInput(f"Layanan {code} tidak dikenal.", f"Unknown service {code}.",
                               {"services": f"unknown service {code}"})


def create_counter(uow, cmd: NewCounter):
    if uow.counters.exists(cmd.number):
        raise Conflict(f"Loket {cmd.number} sudah ada.", f"Counter {cmd.number} already exists.",
                       {"number": "already exists"}, code="counter_exists")
    check_services_exist(uow, cmd.services)
    uow.catalog.save_counter(cmd.number, cmd.name, list(dict.fromkeys(cmd.services)))
    uow.record(Change("create_counter", counter=cmd.number))
    return counter_admin_view(uow.counters.row(cmd.number))


def update_counter(uow, number, cmd: CounterSettings):
    row = uow.counters.row(number, lock=True)
    services = list(dict.fromkeys(cmd.services)) if cmd.services is not None else row["services"]
    check_services_exist(uow, services)
    if row["open_services"] and not set(row["open_services"]) <= set(services):
        raise Conflict(f"Loket {number} sedang dibuka untuk layanan yang akan dihapus; tutup dulu.",
                       f"Counter {number} is open for a service being removed; close it first.",
                       {"services": "counter open for a removed service"}, code="counter_busy")
    uow.catalog.save_counter(number, cmd.name or row["name"], services)
    uow.record(Change("update_counter", counter=number))
    return counter_admin_view(uow.counters.row(number))


def officer_view(row):
    return {"username": row["username"], "full_name": row["full_name"], "role": row["role"], "active": row["active"]}


def list_officers(uow):
    return [officer_view(row) for row in uow.officers.rows()]


def may_manage(actor_role, target_role):
    """Supervisors manage officers; only an admin grants or changes supervisor and admin accounts."""
    if actor_role != "admin" and target_role in ("supervisor", "admin"):
        raise Forbidden("Hanya admin yang dapat mengatur akun supervisor atau admin.",
                        "Only an admin can manage supervisor or admin accounts.", {"role": target_role})


def create_officer(uow, cmd: NewOfficer, actor_role):
    may_manage(actor_role, cmd.role)
    if uow.officers.by_username(cmd.username):
        raise Conflict(f"Nama pengguna {cmd.username} sudah dipakai.", f"Username {cmd.username} is taken.",
                       {"username": "already taken"}, code="username_taken")
    uow.catalog.add_officer(cmd.username, cmd.role, cmd.password, cmd.full_name or "")
    uow.record(Change("create_officer", journal_data={"username": cmd.username}))
    return officer_view(uow.officers.by_username(cmd.username))


def update_officer(uow, username, cmd: OfficerSettings, actor_role):
    actor = uow.actor
    row = uow.officers.by_username(username)
    if row is None:
        raise NotFound(f"Petugas {username} tidak ada.", f"There is no officer {username}.", {"username": "unknown"})
    may_manage(actor_role, row["role"])
    if cmd.role is not None:
        may_manage(actor_role, cmd.role)
    if username == actor and (cmd.active is False or (cmd.role and cmd.role != row["role"])):
        raise Conflict("Anda tidak dapat menonaktifkan atau mengubah peran akun sendiri.",
                       "You cannot deactivate your own account or change its role.", {"username": "yourself"})
    uow.officers.update(username, cmd.full_name, cmd.role,
                        hash_password(cmd.password) if cmd.password else None, cmd.active)
    changed = sorted(k for k in cmd.model_dump(exclude_unset=True) if k != "password") + (
        ["password"] if cmd.password else [])
    # Access ends at once: a deactivated, re-roled or re-passworded officer's tokens stop working.
    reasons = [reason for reason, happened in (
        ("deactivated", cmd.active is False and row["active"]),
        ("role_changed", cmd.role is not None and cmd.role != row["role"]),
        ("password_changed", bool(cmd.password))) if happened]
    ended = access.end_officer_sessions(uow, username, ",".join(reasons)) if reasons else 0
    uow.record(Change("update_officer", journal_data={"username": username, "changed": changed,
                                                      "sessions_ended": ended}))
    return officer_view(uow.officers.by_username(username))


def set_running_text(uow, cmd: RunningText):
    uow.catalog.set_running_text(cmd.text)
    uow.record(Change("running_text"))
    return {"running_text": cmd.text}
