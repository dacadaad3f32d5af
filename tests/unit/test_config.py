import os
import stat
import threading

import pytest

from shared.infrastructure.config import FORMER_PUBLIC_SECRET, load_config, load_or_create_secret, settings_from

BASE = {"AMQP_URI": "pyamqp://x", "DATABASE_URL": "postgresql://x/ptsp_unit", "REDIS_URL": "redis://x"}


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("secret", [FORMER_PUBLIC_SECRET, "too-short"])
def test_no_mode_runs_with_the_former_public_or_a_weak_secret(mode, secret):
    """Broke: development signed tokens with a public default secret, so anyone could
    forge an admin token. Checks: that secret (and any short one) is refused in every mode."""
    with pytest.raises(RuntimeError, match="PTSP_SECRET"):
        settings_from(dict(BASE, PTSP_MODE=mode, PTSP_SECRET=secret))


def test_an_explicit_strong_secret_is_used():
    """Checks: PTSP_SECRET, when set to a strong value, is taken as it is."""
    settings = settings_from(dict(BASE, PTSP_MODE="production", PTSP_SECRET="k" * 40))
    assert settings.production and settings.PTSP_SECRET == "k" * 40


def test_without_a_secret_the_first_start_generates_one_per_installation(tmp_path, monkeypatch):
    """Broke: every installation shared one public secret. Checks: with nothing set, the
    first start writes a random secret (mode 0600) under the state dir, named by the
    database, outside the repository; later starts read the same one; another database
    gets another secret; config.yml carries no secret of its own."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.delenv("PTSP_SECRET", raising=False)
    config = load_config()
    assert not config["PTSP_SECRET"]
    first = settings_from(dict(BASE, PTSP_SECRET=config["PTSP_SECRET"]))
    path = tmp_path / "ptsp" / "ptsp_unit" / "secret"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.PTSP_SECRET == path.read_text().strip() and len(first.PTSP_SECRET) >= 32
    assert settings_from(dict(BASE)).PTSP_SECRET == first.PTSP_SECRET
    other = settings_from(dict(BASE, DATABASE_URL="postgresql://x/other"))
    assert other.PTSP_SECRET != first.PTSP_SECRET
    explicit_file = settings_from(dict(BASE, PTSP_SECRET_FILE=str(tmp_path / "mine" / "secret")))
    assert (tmp_path / "mine" / "secret").read_text().strip() == explicit_file.PTSP_SECRET


def test_concurrent_first_starts_agree_on_one_secret(tmp_path):
    """Checks: processes starting at once (queue and gateway) all end up with the one
    secret that was written first, never a half-written file."""
    path = tmp_path / "state" / "secret"
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_or_create_secret(path))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0] == path.read_text().strip()
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary files left


def test_a_secret_file_others_can_read_is_refused(tmp_path):
    """Checks: a secret file readable by group or others stops the start-up."""
    path = tmp_path / "secret"
    path.write_text("s" * 48)
    os.chmod(path, 0o644)
    with pytest.raises(RuntimeError, match="chmod 600"):
        load_or_create_secret(path)


def test_config_yml_takes_every_value_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("PRIORITY_HEAD_START_S", "600")
    monkeypatch.setenv("PTSP_SECRET", "e" * 40)
    config = load_config()
    assert config["DATABASE_URL"] == "postgresql://elsewhere/db"
    assert settings_from(config).PRIORITY_HEAD_START_S == 600
