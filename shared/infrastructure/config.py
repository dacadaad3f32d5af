"""Configuration: nameko's config.yml with ``${VAR:default}``, read into a
validated settings object. Command-line tools (migrations, seeding) load the same
file so every process agrees."""
import logging
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Literal, Optional
from urllib.parse import urlsplit

import yaml
from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config.yml"

# The public default secret of earlier versions: refused everywhere, because anyone
# could sign tokens with it.
FORMER_PUBLIC_SECRET = "dev-insecure-secret"
MIN_SECRET_LENGTH = 32
DEFAULT_DEMO_PASSWORD = "ptsp-demo"

log = logging.getLogger(__name__)


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    AMQP_URI: str
    DATABASE_URL: str
    REDIS_URL: str
    METRICS_PORT: int = 0
    METRICS_HOST: str = "127.0.0.1"
    PTSP_MODE: Literal["development", "production"] = "development"
    # Empty: read (or, on the first start, create) the installation's secret file.
    PTSP_SECRET: Optional[str] = None
    PTSP_SECRET_FILE: Optional[str] = None
    PTSP_SITE: str = "polres-demo"
    PTSP_PUBLIC_URL: str = "http://127.0.0.1:8000"
    PTSP_DEMO_PASSWORD: str = DEFAULT_DEMO_PASSWORD
    REDIS_NAMESPACE: str = Field("ptsp", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    KIOSK_PRINTERS: Optional[str] = None
    PRIORITY_HEAD_START_S: int = Field(900, ge=0)
    MAX_RECALLS: int = Field(3, ge=0)
    TOKEN_TTL_S: int = Field(43200, gt=0)
    # Login lockout: after LOGIN_MAX_FAILURES wrong passwords for one account it is
    # locked for LOGIN_LOCK_S, doubling with each further lock up to LOGIN_LOCK_MAX_S;
    # a client address is locked the same way after LOGIN_ADDRESS_MAX_FAILURES.
    LOGIN_MAX_FAILURES: int = Field(5, ge=1)
    LOGIN_ADDRESS_MAX_FAILURES: int = Field(30, ge=1)
    LOGIN_LOCK_S: int = Field(30, ge=1)
    LOGIN_LOCK_MAX_S: int = Field(900, ge=1)
    # Anonymous ticket issue: at most TICKET_RATE_LIMIT tickets per client address per
    # TICKET_RATE_WINDOW_S (0 = no limit); registered kiosks are exempt.
    TICKET_RATE_LIMIT: int = Field(10, ge=0)
    TICKET_RATE_WINDOW_S: int = Field(600, ge=1)
    # Guessing tracking codes: at most TRACKING_LOOKUP_LIMIT codes naming no application
    # per client address per TRACKING_LOOKUP_WINDOW_S (0 = no limit); real codes never count.
    TRACKING_LOOKUP_LIMIT: int = Field(120, ge=0)
    TRACKING_LOOKUP_WINDOW_S: int = Field(60, ge=1)

    @property
    def production(self) -> bool:
        return self.PTSP_MODE == "production"

    def check_secret(self):
        """No mode runs with a public or weak secret."""
        secret = self.PTSP_SECRET or ""
        if secret == FORMER_PUBLIC_SECRET or len(secret) < MIN_SECRET_LENGTH:
            raise RuntimeError(
                f"PTSP_SECRET must be a random value of at least {MIN_SECRET_LENGTH} characters (and never the "
                "former public default); leave it unset to use the installation's generated secret file")

    def secret_file(self) -> Path:
        return Path(self.PTSP_SECRET_FILE) if self.PTSP_SECRET_FILE else default_secret_file(self.DATABASE_URL)


def settings_from(config: dict) -> Settings:
    settings = Settings.model_validate(config)
    if not settings.PTSP_SECRET:
        settings = settings.model_copy(update={"PTSP_SECRET": load_or_create_secret(settings.secret_file())})
    settings.check_secret()
    return settings


def default_secret_file(database_url) -> Path:
    """``$XDG_STATE_HOME/ptsp/<database>/secret`` (``~/.local/state`` by default): outside
    the repository, one per installation (its database), shared by its processes."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    database = urlsplit(database_url).path.lstrip("/") or "ptsp"
    return Path(state) / "ptsp" / re.sub(r"[^A-Za-z0-9_.-]", "_", database)[:60] / "secret"


def load_or_create_secret(path: Path) -> str:
    """The installation's secret: read from ``path``, or generated there on the first
    start. The new secret is written to a private temporary file and then hard-linked
    into place, which fails if another process got there first: concurrent first
    starts all end up with the one secret that won, never with a half-written file."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)
                log.warning("generated a new secret for this installation in %s", path)
            except FileExistsError:
                pass  # another process created it first: use theirs
        finally:
            os.unlink(tmp)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise RuntimeError(f"{path} is readable by others; chmod 600 it")
    value = path.read_text().strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise RuntimeError(f"{path} holds no usable secret (at least {MIN_SECRET_LENGTH} characters)")
    return value


def load_config(path=None) -> dict:
    """Read config.yml the way ``nameko run --config`` does (env substitution)."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path or DEFAULT_CONFIG) as handle:
        return yaml.safe_load(handle)


def load_settings(path=None) -> Settings:
    return settings_from(load_config(path))



class SettingsProvider(DependencyProvider):
    """The validated settings. A process configured with a public or weak secret
    fails here, at start-up, instead of running insecurely."""

    def setup(self):
        self.settings = settings_from(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
