#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and RabbitMQ (with its management plugin) run on this
# machine and answer on their default local ports, installing them with apt-get when
# missing, and that PostgreSQL has the role and database `ptsp`.
# Idempotent, and quick when everything already answers.
# PTSP_MANAGE_SERVERS=0 skips all of it (bring your own servers through the URLs).
# RabbitMQ's management API (guest/guest) is kept on loopback: the script sets
# `management.tcp.ip = 127.0.0.1` in RABBITMQ_CONF (default /etc/rabbitmq/rabbitmq.conf).
# When RabbitMQ already runs, a changed setting takes effect at its next restart: the
# script says so, and restarts it only with PTSP_RESTART_RABBITMQ=1.
# PTSP_DRY_RUN=1 shows that configuration change instead of making it.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PTSP_ROOT"

if [[ "${PTSP_MANAGE_SERVERS:-1}" == "0" ]]; then
    log "PTSP_MANAGE_SERVERS=0: leaving PostgreSQL, Redis and RabbitMQ alone"
    exit 0
fi

# The role and database to create come from DATABASE_URL (default as in config.yml).
DATABASE_URL="${DATABASE_URL:-postgresql://ptsp:ptsp@127.0.0.1:5432/ptsp}"
url_re='^postgres(ql)?(\+[a-z0-9]+)?://([A-Za-z0-9_]+):([^@/]*)@([^/:]+)(:[0-9]+)?/([A-Za-z0-9_]+)([?].*)?$'
[[ "$DATABASE_URL" =~ $url_re ]] ||
    die "DATABASE_URL is not of the form postgresql://USER:PASSWORD@HOST:PORT/DB (or set PTSP_MANAGE_SERVERS=0)"
DB_USER="${BASH_REMATCH[3]}" DB_PASSWORD="${BASH_REMATCH[4]}" DB_NAME="${BASH_REMATCH[7]}"
[[ "$DB_PASSWORD" != *"'"* ]] || die "DATABASE_URL: a password with a quote is not supported here"
case "${BASH_REMATCH[5]}" in
    127.0.0.1|localhost|::1) ;;
    *) warn "DATABASE_URL points at ${BASH_REMATCH[5]}, but this script manages the local servers (PTSP_MANAGE_SERVERS=0 skips it)" ;;
esac

# start_server NAME INIT-SCRIPT CHECK FALLBACK...: start a server that does not answer.
# Prefer the system's service manager (systemd, or SysV init scripts through `service`);
# when that is unavailable or does not bring the server up, run FALLBACK directly.
start_server() {
    local name="$1" init="$2" check="$3"; shift 3
    local managed=1
    log "starting $name"
    if systemd_running; then
        as_root systemctl start "$init" || managed=0
    elif have service && [[ -x "/etc/init.d/$init" ]]; then
        as_root service "$init" start >/dev/null 2>&1 || managed=0
    else
        managed=0
    fi
    if (( managed == 0 )) || ! PTSP_WAIT_S=15 wait_for "$name" "$check"; then
        log "starting $name directly: $*"
        "$@" || warn "'$*' failed"
    fi
    wait_for "$name" "$check" ||
        die "$name does not answer ${PTSP_WAIT_S}s after starting it; see its log under /var/log"
}

# --- install what is missing ------------------------------------------------------
missing=()
# (postgresql-client brings pg_ctlcluster too, so look for the server binary itself)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && have pg_ctlcluster || missing+=(postgresql)
have psql && have pg_isready || missing+=(postgresql-client)
have redis-server || missing+=(redis-server)
have redis-cli || missing+=(redis-tools)
have rabbitmq-server || missing+=(rabbitmq-server)
if (( ${#missing[@]} )); then
    apt_install "${missing[@]}"
fi

# --- PostgreSQL -------------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 -t 2; }

pg_cluster_version() {
    # The newest cluster configured under /etc/postgresql; create one if there is none.
    local v
    # shellcheck disable=SC2012  # version directories: plain names like 15
    v="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)"
    if [[ -z "$v" || ! -d "/etc/postgresql/$v/main" ]]; then
        # shellcheck disable=SC2012
        v="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
        log "creating PostgreSQL cluster $v/main"
        as_root pg_createcluster "$v" main >/dev/null
    fi
    echo "$v"
}

pg_start_direct() {
    as_root pg_ctlcluster --skip-systemctl-redirect "$(pg_cluster_version)" main start
}

if ! pg_up; then
    pg_cluster_version >/dev/null
    start_server PostgreSQL postgresql pg_up pg_start_direct
fi

# Run the SQL on stdin as the postgres superuser: over TCP when the server trusts
# local connections, otherwise through the local socket as the postgres OS user (peer
# auth, Debian's default).
pg_super() {
    local psql_opts='-X -q -v ON_ERROR_STOP=1 -d postgres'
    if PGCONNECT_TIMEOUT=3 psql -X -w -q -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
        # shellcheck disable=SC2086
        PGCONNECT_TIMEOUT=3 psql -w -h 127.0.0.1 -U postgres $psql_opts
    elif [[ "$(id -u)" -eq 0 ]]; then
        (cd / && su postgres -s /bin/sh -c "psql $psql_opts")
    else
        # shellcheck disable=SC2086
        (cd / && sudo -u postgres psql $psql_opts)
    fi
}

# The role and database are there when the application's own URL logs in and may
# create databases (tests create their own).
app_db_ready() {
    [[ "$(PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=3 psql -X -w -A -t -h 127.0.0.1 \
        -U "$DB_USER" -d "$DB_NAME" -c 'select rolcreatedb from pg_roles where rolname = current_user' \
        2>/dev/null)" == "t" ]]
}

if ! app_db_ready; then
    log "creating PostgreSQL role and database '$DB_NAME'"
    pg_super <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
    ELSE
        ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
    app_db_ready || die "cannot log in as $DB_USER to database $DB_NAME on 127.0.0.1:5432 (check pg_hba.conf allows password logins from 127.0.0.1)"
fi

# --- Redis ------------------------------------------------------------------------
redis_up() { [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == "PONG" ]]; }

redis_start_direct() {
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
        --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

if ! redis_up; then
    start_server Redis redis-server redis_up redis_start_direct
fi
# Redis holds projections rebuilt from PostgreSQL: nothing to keep on disk. A Redis
# started by its init script uses the packaged config, whose snapshots may fail (and
# then refuse every write); switch persistence off on the running server.
redis-cli -h 127.0.0.1 -p 6379 config set save "" >/dev/null &&
    redis-cli -h 127.0.0.1 -p 6379 config set appendonly no >/dev/null &&
    redis-cli -h 127.0.0.1 -p 6379 config set stop-writes-on-bgsave-error no >/dev/null ||
    warn "could not switch Redis persistence off (CONFIG SET refused)"

# --- RabbitMQ ---------------------------------------------------------------------
amqp_up() { tcp_open 127.0.0.1 5672; }
# nameko's pytest fixtures create a vhost per test through the management API.
mgmt_up() { tcp_open 127.0.0.1 15672; }

rabbit_start_direct() { as_root rabbitmq-server -detached; }

RABBITMQ_CONF="${RABBITMQ_CONF:-/etc/rabbitmq/rabbitmq.conf}"
MGMT_IP_LINE="management.tcp.ip = 127.0.0.1"

# Put the management listener on loopback in RABBITMQ_CONF; true when the file changed.
rabbit_mgmt_loopback() {
    local ip_re='^[[:space:]]*management\.tcp\.ip[[:space:]]*='
    if grep -qsE "${ip_re}[[:space:]]*127\.0\.0\.1[[:space:]]*$" "$RABBITMQ_CONF"; then
        return 1
    fi
    if [[ "${PTSP_DRY_RUN:-0}" == "1" ]]; then
        if grep -qsE "$ip_re" "$RABBITMQ_CONF"; then
            log "dry run: would replace '$(grep -E "$ip_re" "$RABBITMQ_CONF" | head -n1)' with '$MGMT_IP_LINE' in $RABBITMQ_CONF"
        else
            log "dry run: would add '$MGMT_IP_LINE' to $RABBITMQ_CONF"
        fi
        return 1
    fi
    log "RabbitMQ management API on loopback only: '$MGMT_IP_LINE' in $RABBITMQ_CONF"
    as_root mkdir -p "$(dirname "$RABBITMQ_CONF")"
    if grep -qsE "$ip_re" "$RABBITMQ_CONF"; then
        as_root sed -i -E "s/${ip_re}.*/${MGMT_IP_LINE}/" "$RABBITMQ_CONF"
    else
        printf '# PTSP: the management API (guest/guest) is not for the network\n%s\n' "$MGMT_IP_LINE" |
            as_root tee -a "$RABBITMQ_CONF" >/dev/null
    fi
}

mgmt_changed=0
rabbit_mgmt_loopback && mgmt_changed=1

# A RabbitMQ this run has just installed serves nobody yet: restart it at once.
installed_rabbit=0
[[ " ${missing[*]:-} " == *" rabbitmq-server "* ]] && installed_rabbit=1

if amqp_up && (( mgmt_changed )); then
    if [[ "${PTSP_RESTART_RABBITMQ:-0}" == "1" ]] || (( installed_rabbit )); then
        log "restarting RabbitMQ to apply $RABBITMQ_CONF"
        if systemd_running; then
            as_root systemctl restart rabbitmq-server
        elif have service && [[ -x /etc/init.d/rabbitmq-server ]]; then
            as_root service rabbitmq-server restart >/dev/null
        else
            as_root rabbitmqctl stop >/dev/null 2>&1 || true
        fi
    else
        warn "RabbitMQ runs with its old settings: restart it to move the management API to loopback (PTSP_RESTART_RABBITMQ=1 lets this script do it)"
    fi
fi

if ! amqp_up; then
    # Enabling the plugin offline first means the node starts with it already on.
    if ! grep -qs rabbitmq_management /etc/rabbitmq/enabled_plugins; then
        as_root rabbitmq-plugins enable --offline rabbitmq_management >/dev/null ||
            warn "could not enable rabbitmq_management offline"
    fi
    start_server RabbitMQ rabbitmq-server amqp_up rabbit_start_direct
fi

if ! mgmt_up; then
    log "enabling the RabbitMQ management plugin"
    as_root rabbitmq-plugins enable rabbitmq_management >/dev/null
    wait_for "RabbitMQ management (port 15672)" mgmt_up ||
        die "RabbitMQ management API does not answer on 127.0.0.1:15672"
fi

log "PostgreSQL, Redis and RabbitMQ answer"
