"""Configuration: nameko's config.yml with ``${VAR:default}``, read into a
validated settings object. Command-line tools (migrations, seeding) load the same
file so every process agrees."""
from pathlib import Path
from typing import Literal, Optional

import yaml
from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config.yml"

DEFAULT_SECRET = "dev-insecure-secret"
DEFAULT_DEMO_PASSWORD = "ptsp-demo"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    AMQP_URI: str
    DATABASE_URL: str
    REDIS_URL: str
    METRICS_PORT: int = 0
    PTSP_MODE: Literal["development", "production"] = "development"
    PTSP_SECRET: str = DEFAULT_SECRET
    PTSP_SITE: str = "polres-demo"
    PTSP_PUBLIC_URL: str = "http://127.0.0.1:8000"
    PTSP_DEMO_PASSWORD: str = DEFAULT_DEMO_PASSWORD
    REDIS_NAMESPACE: str = Field("ptsp", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    KIOSK_PRINTERS: Optional[str] = None
    PRIORITY_HEAD_START_S: int = Field(900, ge=0)
    MAX_RECALLS: int = Field(3, ge=0)
    TOKEN_TTL_S: int = Field(43200, gt=0)

    @property
    def production(self) -> bool:
        return self.PTSP_MODE == "production"

    def check_safe_for_production(self):
        """Production refuses to run with the development secret."""
        if self.production and (self.PTSP_SECRET in ("", DEFAULT_SECRET) or len(self.PTSP_SECRET) < 32):
            raise RuntimeError(
                "PTSP_MODE=production needs PTSP_SECRET set to a random value of at least 32 characters"
            )


def settings_from(config: dict) -> Settings:
    settings = Settings.model_validate(config)
    settings.check_safe_for_production()
    return settings


def load_config(path=None) -> dict:
    """Read config.yml the way ``nameko run --config`` does (env substitution)."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path or DEFAULT_CONFIG) as handle:
        return yaml.safe_load(handle)


def load_settings(path=None) -> Settings:
    return settings_from(load_config(path))



class SettingsProvider(DependencyProvider):
    """The validated settings. A production process configured with the
    development secret fails here, at start-up, instead of running insecurely."""

    def setup(self):
        self.settings = settings_from(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
