"""The deployment files: one supervised process list, restarted on exit, and a
restart policy for every long-running Docker service."""
import configparser
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def programs():
    parser = configparser.RawConfigParser()
    parser.read(REPO / "deploy" / "supervisord.conf")
    return {section.split(":", 1)[1]: dict(parser.items(section))
            for section in parser.sections() if section.startswith("program:")}


def test_every_supervised_process_is_restarted_and_logs_to_the_terminal():
    """Checked: each program of deploy/supervisord.conf is restarted when it exits,
    keeps being retried (with supervisord's back-off) rather than given up, is
    stopped with its children, logs to supervisord's stdout, and tells config.yml's
    log format its name. Every program runs a nameko service but the development
    SMTP sink, which starts only where PTSP_MAIL_SINK says (development)."""
    found = programs()
    assert {"queue", "gateway", "notify", "smtp-sink"} <= set(found)
    assert found["smtp-sink"]["command"] == "sh -c 'exec python -m services.notify.smtp_sink'"
    assert found["smtp-sink"]["autostart"] == "%(ENV_PTSP_MAIL_SINK)s"
    for name, program in found.items():
        assert program["autorestart"] == "true", name
        assert int(program["startretries"]) >= 100, name
        assert program["stopasgroup"] == program["killasgroup"] == "true", name
        assert program["stdout_logfile"] == "/dev/stdout" and program["redirect_stderr"] == "true", name
        assert 'PTSP_PROCESS="%(program_name)s"' in program["environment"], name
        if name != "smtp-sink":
            assert "exec nameko run --config config.yml services." in program["command"], name
    assert "${PTSP_PROCESS:" in (REPO / "config.yml").read_text()


def test_docker_restarts_every_long_running_service():
    """Checked: every service in docker-compose.yml but the one-shot migration has a
    restart policy, the servers included, and runs the same programs as `make up`."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for name, service in compose.items():
        if name == "migrate":
            assert service["restart"] == "no"
        else:
            assert service.get("restart") in ("always", "unless-stopped"), name
    assert {name for name in programs()} <= set(compose)
