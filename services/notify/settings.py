"""The notify service's settings (NOTIFY_* in config.yml), validated at start-up.

A site lists its channels in NOTIFY_CHANNELS ("email", "sms", "whatsapp", "log",
comma-separated). The webhook channels need their URL and NOTIFY_WEBHOOK_SECRET
(no default: a gateway must not accept a signature anyone could make).
"""
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.infrastructure.config import settings_from
from services.notify.domain import CHANNELS, TurnNearRule


class NotifySettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    PTSP_SECRET: str  # the installation's (shared.infrastructure.config), keys the recipient hashes
    PTSP_SITE: str = "polres-demo"
    # The citizens' address of the gateway: messages carry the status
    # links <PTSP_PUBLIC_URL>/t/<ticket id>#k=<key> and <PTSP_PUBLIC_URL>/a/<tracking code>.
    PTSP_PUBLIC_URL: str = "http://127.0.0.1:8000"
    PRIORITY_HEAD_START_S: int = Field(900, ge=0)
    NOTIFY_CHANNELS: str = "email"
    NOTIFY_SITE_NAME: str = "PTSP"
    NOTIFY_SMTP_HOST: str = "127.0.0.1"
    NOTIFY_SMTP_PORT: int = Field(1025, gt=0, lt=65536)
    NOTIFY_SMTP_FROM: str = "PTSP <no-reply@ptsp.local>"
    NOTIFY_SMTP_STARTTLS: bool = False
    NOTIFY_SMTP_USER: Optional[str] = None
    NOTIFY_SMTP_PASSWORD: Optional[str] = None
    NOTIFY_SMTP_TIMEOUT_S: float = Field(10.0, gt=0)
    NOTIFY_SMS_WEBHOOK_URL: Optional[str] = None
    NOTIFY_WHATSAPP_WEBHOOK_URL: Optional[str] = None
    NOTIFY_WEBHOOK_SECRET: Optional[str] = None
    NOTIFY_WEBHOOK_TIMEOUT_S: float = Field(10.0, gt=0)
    NOTIFY_MAX_ATTEMPTS: int = Field(6, ge=1)
    NOTIFY_RETRY_BASE_S: float = Field(5.0, gt=0)
    NOTIFY_RETRY_MAX_S: float = Field(600.0, gt=0)
    NOTIFY_RATE_LIMIT_PER_HOUR: int = Field(20, ge=1)
    NOTIFY_TURN_NEAR_AHEAD: int = Field(3, ge=0)
    NOTIFY_TURN_NEAR_BY_SERVICE: Optional[str] = None

    @field_validator("NOTIFY_SMTP_USER", "NOTIFY_SMTP_PASSWORD", "NOTIFY_SMS_WEBHOOK_URL",
                     "NOTIFY_WHATSAPP_WEBHOOK_URL", "NOTIFY_WEBHOOK_SECRET", "NOTIFY_TURN_NEAR_BY_SERVICE",
                     mode="before")
    @classmethod
    def empty_is_none(cls, value):
        return value or None

    @property
    def channels(self) -> list[str]:
        return [c.strip() for c in self.NOTIFY_CHANNELS.split(",") if c.strip()]

    @property
    def turn_near(self) -> TurnNearRule:
        return TurnNearRule.parse(self.NOTIFY_TURN_NEAR_AHEAD, self.NOTIFY_TURN_NEAR_BY_SERVICE or "")

    @model_validator(mode="after")
    def check(self):
        unknown = [c for c in self.channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"NOTIFY_CHANNELS: unknown channel(s) {', '.join(unknown)}; "
                             f"choose from {', '.join(CHANNELS)}")
        for channel, url in (("sms", self.NOTIFY_SMS_WEBHOOK_URL), ("whatsapp", self.NOTIFY_WHATSAPP_WEBHOOK_URL)):
            if channel in self.channels and not url:
                raise ValueError(f"NOTIFY_CHANNELS has {channel}: set NOTIFY_{channel.upper()}_WEBHOOK_URL")
            if channel in self.channels and (not self.NOTIFY_WEBHOOK_SECRET or len(self.NOTIFY_WEBHOOK_SECRET) < 32):
                raise ValueError("the webhook channels need NOTIFY_WEBHOOK_SECRET, at least 32 characters")
        self.turn_near  # noqa: B018 - a malformed NOTIFY_TURN_NEAR_BY_SERVICE fails at start-up
        return self


def notify_settings(config: dict) -> NotifySettings:
    # The installation's secret as every service resolves it: given, or generated once
    # and kept outside the repository. There is no default.
    if not config.get("PTSP_SECRET"):
        config = dict(config, PTSP_SECRET=settings_from(config).PTSP_SECRET)
    return NotifySettings.model_validate(config)
