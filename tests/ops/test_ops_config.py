"""The operations configuration checked by Debian's own tools, no system needed:
promtool on the Prometheus configuration, the alert rules and their unit tests,
amtool on the Alertmanager route, and the Grafana provisioning and dashboard."""
import json

import pytest
import yaml

from tests.ops.prometheus_support import (
    ALERTMANAGER_CONFIG, DASHBOARDS, DEPLOY, GRAFANA_PROVISIONING, PROMETHEUS_CONFIGS, RULE_FILES, RULE_TESTS,
    alert_rules, dashboard_targets, run_tool,
)


@pytest.mark.parametrize("config", PROMETHEUS_CONFIGS, ids=lambda path: path.name)
def test_promtool_accepts_the_prometheus_configuration(config):
    """A typo in a scrape job or a rule file path would stop Prometheus from
    starting: promtool checks each configuration and the rule files it loads."""
    code, output = run_tool("promtool", "check", "config", str(config))
    assert code == 0, output
    assert "SUCCESS" in output


def test_promtool_accepts_the_rules_and_every_alert_is_labelled_and_bilingual():
    """A broken expression, an alert without severity or a summary missing in one
    language: promtool checks the syntax, the test the conventions."""
    code, output = run_tool("promtool", "check", "rules", *map(str, RULE_FILES))
    assert code == 0, output
    rules = alert_rules()
    assert {"PtspServiceDown", "PtspWaitsOverTarget", "PtspCallsOverTarget", "PtspOutboxLag",
            "PtspEventsDeadLettered", "PtspDisplayStale"} <= set(rules)
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert {"summary", "summary_id", "description"} <= set(rule["annotations"]), name
    assert rules["PtspWaitsOverTarget"]["for"] == "15m"


def test_promtool_unit_tests_cover_every_alert_firing_and_not_firing():
    """An alert whose threshold or `for:` is wrong fires too early, too late or on
    the wrong series: each alert has a promtool unit test with one series that
    must fire and one that must not, and they all pass."""
    code, output = run_tool("promtool", "test", "rules", *map(str, RULE_TESTS))
    assert code == 0, output
    tested = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            checks = case["alert_rule_test"]
            names = {check["alertname"] for check in checks}
            assert any(not check.get("exp_alerts") for check in checks), case["name"]
            assert any(check.get("exp_alerts") for check in checks), case["name"]
            tested |= names
    assert tested == set(alert_rules())


def test_amtool_accepts_the_alertmanager_route_and_routes_as_documented():
    """The route must load, send info alerts to the null receiver and everything
    else to the (placeholder) webhook."""
    code, output = run_tool("amtool", "check-config", str(ALERTMANAGER_CONFIG))
    assert code == 0 and "SUCCESS" in output, output
    for labels, receiver in ((["severity=info"], "null"),
                             (["severity=warning", "alertname=PtspOutboxLag"], "ops-webhook"),
                             (["severity=critical", "alertname=PtspServiceDown"], "ops-webhook")):
        code, output = run_tool("amtool", "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}", *labels)
        assert code == 0 and output.split()[0] == receiver, (labels, output)


def test_grafana_provisioning_points_every_panel_at_the_provisioned_datasource():
    """A dashboard referring to a datasource uid that provisioning does not create
    shows "datasource not found" on every panel; duplicate panel ids or a panel
    without a query break the dashboard's import."""
    datasources = yaml.safe_load((GRAFANA_PROVISIONING / "datasources" / "ptsp-prometheus.yml").read_text())
    uids = {source["uid"] for source in datasources["datasources"]}
    provider = yaml.safe_load((GRAFANA_PROVISIONING / "dashboards" / "ptsp.yml").read_text())
    assert provider["providers"][0]["type"] == "file"
    assert DASHBOARDS
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path.name
        rows = [panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"]
        assert [title.split(" / ")[0] for title in rows] == [
            "Hall overview", "Per service", "Per counter", "Events and notifications", "HTTP, RPC and processes"]
        for panel in dashboard["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] in uids, panel["title"]
                assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        for variable in dashboard["templating"]["list"]:
            assert variable["datasource"]["uid"] in uids
        assert len(list(dashboard_targets(dashboard))) >= 20


def test_the_compose_ops_profile_mounts_the_files_it_names():
    """A renamed file under deploy/ would leave the compose Prometheus, Alertmanager
    or Grafana without its configuration: each mounted host path exists, the
    configuration named on each command line is in a mounted directory, and the
    services stay out of a plain `docker compose up` (profile ops)."""
    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    for name in ("prometheus", "alertmanager", "grafana"):
        service = compose["services"][name]
        assert service["profiles"] == ["ops"], name
        mounts = {}
        for volume in service["volumes"]:
            host, inside = volume.split(":")[:2]
            if host.startswith("./"):
                assert (DEPLOY.parent / host).exists(), volume
                mounts[inside] = DEPLOY.parent / host
        for argument in service.get("command", []):
            if argument.startswith("--config.file="):
                path = argument.split("=", 1)[1]
                inside = next(m for m in mounts if path.startswith(m + "/"))
                assert (mounts[inside] / path[len(inside) + 1:]).is_file(), argument
    assert compose["services"]["grafana"]["environment"]["PTSP_PROMETHEUS_URL"] == "http://prometheus:9090"
