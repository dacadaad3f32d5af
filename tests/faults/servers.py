"""Private PostgreSQL, Redis and RabbitMQ servers for the fault tests.

The fault tests stop and restart servers; the machine's shared ones (5432, 6379,
5672) serve other people's tests and are never touched. These run on free ports
under a temporary directory, are started and stopped by the tests, and are removed
afterwards. Every wait is bounded.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from tests.support.waiting import free_port, port_open, wait_for

PG_BIN = Path(os.environ.get("PTSP_PG_BIN", "/usr/lib/postgresql/15/bin"))
RABBIT_BIN = Path(os.environ.get("PTSP_RABBIT_BIN", "/usr/lib/rabbitmq/bin"))


class PrivateServers:
    """``start()`` all three, then ``stop_*``/``start_*`` one at a time in a test."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="ptsp-faults-"))
        self.root.chmod(0o755)
        self.pg_port, self.redis_port = free_port(), free_port()
        self.amqp_port, self.dist_port = free_port(), free_port()
        self.node = f"ptsp-faults-{os.getpid()}@localhost"
        self.redis_process = None
        self.rabbit_process = None

    # --- addresses ---------------------------------------------------------------

    @property
    def postgres(self):
        """Base URL (no database), as tests.support.system.System takes it."""
        return f"postgresql://ptsp@127.0.0.1:{self.pg_port}"

    @property
    def redis_url(self):
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def amqp_uri(self):
        return f"pyamqp://guest:guest@127.0.0.1:{self.amqp_port}/%2F"

    def start(self):
        self._init_postgres()
        self.start_postgres()
        self.start_redis()
        self._init_rabbit()
        self.start_rabbit()

    def close(self):
        for stop in (self._shutdown_rabbit, self.stop_redis, self.stop_postgres):
            try:
                stop()
            except Exception:  # noqa: BLE001 - remove the rest anyway
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    # --- PostgreSQL ----------------------------------------------------------------------

    def _as_postgres(self, *command, **kwargs):
        # initdb and the server refuse to run as root.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *map(str, command)], check=True, capture_output=True, timeout=60, **kwargs)

    def _init_postgres(self):
        self.pg_data = self.root / "pg"
        self.pg_data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.pg_data, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", self.pg_data, "-U", "ptsp", "--auth=trust", "-E", "UTF8",
                          "--no-sync")

    def start_postgres(self):
        options = (f"-p {self.pg_port} -k {self.pg_data} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.pg_data, "-o", options, "-l", self.pg_data / "log",
                          "-w", "-t", "30", "start")

    def stop_postgres(self):
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.pg_data, "-m", "fast", "-w", "-t", "30", "stop")

    # --- Redis ---------------------------------------------------------------------

    def start_redis(self):
        self.redis_process = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: port_open(self.redis_port), 20, "redis to listen")

    def stop_redis(self):
        if self.redis_process is not None:
            self.redis_process.terminate()
            self.redis_process.wait(timeout=20)
            self.redis_process = None

    # --- RabbitMQ ----------------------------------------------------------------------

    def _rabbit_env(self):
        base = self.root / "rabbit"
        return dict(
            os.environ,
            HOME=str(base),  # its own Erlang cookie
            RABBITMQ_NODENAME=self.node, RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.amqp_port), RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"), RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(base / "rabbitmq.conf"),
            RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"),
            RABBITMQ_PID_FILE=str(base / "rabbit.pid"),
            RABBITMQ_LOGS="-",
            ERL_CRASH_DUMP=str(base / "erl_crash.dump"),  # not in the working directory
        )

    def _init_rabbit(self):
        base = self.root / "rabbit"
        (base / "mnesia").mkdir(parents=True)
        (base / "log").mkdir()
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n")
        (base / "rabbitmq-env.conf").write_text("")

    def rabbitmqctl(self, *args, timeout=90):
        return subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args], env=self._rabbit_env(),
                              cwd=self.root, check=True, capture_output=True, timeout=timeout)

    def start_rabbit(self):
        self.rabbit_process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")], env=self._rabbit_env(), cwd=self.root,
            stdout=open(self.root / "rabbit" / "server.log", "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        # await_startup fails at once while the node is not yet reachable: ask again.
        wait_for(self._rabbit_started, 120, f"rabbitmq node {self.node} (see {self.root}/rabbit/server.log)")
        wait_for(lambda: port_open(self.amqp_port), 30, "rabbitmq to listen")

    def _rabbit_started(self):
        if self.rabbit_process.poll() is not None:
            raise RuntimeError(f"rabbitmq-server exited {self.rabbit_process.returncode}; "
                               f"see {self.root}/rabbit/server.log")
        try:
            self.rabbitmqctl("await_startup", "--timeout", "20", timeout=30)
            return True
        except subprocess.CalledProcessError:
            time.sleep(0.5)
            return False

    def stop_rabbit_app(self):
        """``rabbitmqctl stop_app``: the node stays up, the broker closes every connection."""
        self.rabbitmqctl("stop_app")

    def start_rabbit_app(self):
        self.rabbitmqctl("start_app")
        wait_for(lambda: port_open(self.amqp_port), 30, "rabbitmq to listen again")

    def _shutdown_rabbit(self):
        if self.rabbit_process is None:
            return
        try:
            self.rabbitmqctl("shutdown", timeout=60)
        except Exception:  # noqa: BLE001
            pass
        try:
            self.rabbit_process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.rabbit_process.pid, signal.SIGKILL)
            self.rabbit_process.wait()
        self.rabbit_process = None
