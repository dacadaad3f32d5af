import pytest

from shared.config import DEFAULT_SECRET, load_config, settings_from

BASE = {"AMQP_URI": "pyamqp://x", "DATABASE_URL": "postgresql://x", "REDIS_URL": "redis://x"}


def test_development_runs_with_the_development_secret():
    assert settings_from(dict(BASE)).PTSP_SECRET == DEFAULT_SECRET


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "", "too-short"])
def test_production_refuses_a_default_or_weak_secret(secret):
    with pytest.raises(RuntimeError, match="PTSP_SECRET"):
        settings_from(dict(BASE, PTSP_MODE="production", PTSP_SECRET=secret))


def test_production_accepts_a_real_secret():
    settings = settings_from(dict(BASE, PTSP_MODE="production", PTSP_SECRET="k" * 40))
    assert settings.production


def test_config_yml_takes_every_value_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("PRIORITY_HEAD_START_S", "600")
    config = load_config()
    assert config["DATABASE_URL"] == "postgresql://elsewhere/db"
    assert settings_from(config).PRIORITY_HEAD_START_S == 600
