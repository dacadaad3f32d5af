"""A real Prometheus (Debian's package) for the operations tests: the scrape
configuration generated from deploy/prometheus/prometheus.yml for a running
system's metrics ports, a private server on a free port with temporary storage,
and its HTTP API."""
import contextlib
import glob
import os
import shutil
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from tests.support.system import free_port
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS_CONFIGS = [DEPLOY / "prometheus" / "prometheus.yml", DEPLOY / "prometheus" / "prometheus-compose.yml"]
RULE_FILES = sorted(Path(p) for p in glob.glob(str(DEPLOY / "prometheus" / "rules" / "*.yml")))
RULE_TESTS = sorted(Path(p) for p in glob.glob(str(DEPLOY / "prometheus" / "tests" / "*.yml")))
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
DASHBOARDS = sorted(Path(p) for p in glob.glob(str(DEPLOY / "grafana" / "dashboards" / "*.json")))
GRAFANA_PROVISIONING = DEPLOY / "grafana" / "provisioning"

# Metrics other branches are building; the rules and panels over them must
# evaluate, but nothing returns a series for them until those branches are merged.
PENDING = {
    "ptsp_notifications_total": "counted by the notify service, not merged yet",
    "ptsp_events_retried_total": "counted by the event consumer kit, not merged yet",
    "ptsp_events_dead_lettered_total": "counted by the event consumer kit, not merged yet",
}


def tool(name):
    """The path of a Prometheus tool; `make test` installs them (deploy/local/prometheus.sh)."""
    path = shutil.which(name)
    assert path, f"{name} is missing: run deploy/local/prometheus.sh (make test does)"
    return path


def run_tool(*args, timeout=60):
    result = subprocess.run([tool(args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout,
                            cwd=REPO)
    return result.returncode, result.stdout + result.stderr


def pending_reason(expr):
    """Why ``expr`` may return nothing yet (None when it must return series)."""
    return next((reason for metric, reason in PENDING.items() if metric in expr), None)


def alert_rules():
    """Every alerting rule of deploy/prometheus/rules as {name: rule}."""
    rules = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rules[rule["alert"]] = rule
    return rules


def dashboard_targets(dashboard):
    """(panel title, expr) of every query of a dashboard's panels."""
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                yield inner["title"], target["expr"]


def grafana_expr(expr, site, service=".*"):
    """A panel query as Grafana sends it, for one site and all services."""
    return (expr.replace("$__rate_interval", "1m").replace("$__range", "1h")
            .replace("$site", site).replace("$service", service))


def scrape_config(metrics_urls, interval="1s"):
    """deploy/prometheus/prometheus.yml pointed at a running system: each ptsp-<name>
    job scrapes that process's port; a process the system does not run gets a port
    nobody listens on (so its `up` is 0, as in a real installation without it)."""
    config = yaml.safe_load(PROMETHEUS_CONFIGS[0].read_text())
    config["global"].update(scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval)
    config.pop("alerting", None)
    config["rule_files"] = [str(path) for path in RULE_FILES]
    for job in config["scrape_configs"]:
        name = job["job_name"].removeprefix("ptsp-")
        url = metrics_urls.get(name)
        target = urlsplit(url).netloc if url else f"127.0.0.1:{free_port()}"
        job["static_configs"] = [{"targets": [target]}]
    return config


class Prometheus:
    def __init__(self, workdir, config):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = self.workdir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.process = None

    def start(self, timeout=30):
        log = open(self.workdir / "prometheus.log", "wb")
        self.process = subprocess.Popen(
            [tool("prometheus"), f"--config.file={self.config_path}",
             f"--storage.tsdb.path={self.workdir / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
             "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self._ready(), timeout, f"Prometheus ready (log: {self.workdir / 'prometheus.log'})")

    def _ready(self):
        assert self.process.poll() is None, (self.workdir / "prometheus.log").read_text()
        try:
            return requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def api(self, path, **params):
        answer = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = answer.json()
        assert answer.status_code == 200 and body["status"] == "success", (path, params, body)
        return body["data"]

    def query(self, expr):
        """An instant query; fails the test when Prometheus reports an error."""
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", (expr, data)
        return data["result"]

    def values(self, expr, *labels):
        """{label values: float} of an instant query."""
        return {tuple(row["metric"].get(label) for label in labels) if len(labels) != 1
                else row["metric"].get(labels[0]): float(row["value"][1]) for row in self.query(expr)}

    def alerts(self):
        return self.api("alerts")["alerts"]


@contextlib.contextmanager
def running_prometheus(workdir, config):
    server = Prometheus(workdir, config)
    try:
        server.start()
        yield server
    finally:
        server.stop()

