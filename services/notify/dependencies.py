"""The notify service's own resources for nameko: its settings and channels, built
once per process. The worker gets a :class:`NotifyKit`; the entrypoints make an
:class:`~services.notify.delivery.Outlet` from it with the worker's contact lookup
(the owners' RPC proxies) and metrics (docs/notify.md, "Wiring")."""
from nameko.extensions import DependencyProvider

from services.notify.channels import build_channels
from services.notify.delivery import Outlet
from services.notify.settings import NotifySettings, notify_settings


class NotifyKit:
    def __init__(self, settings: NotifySettings, channels: dict):
        self.settings, self.channels = settings, channels

    @property
    def turn_near(self):
        return self.settings.turn_near

    @property
    def head_start_s(self) -> int:
        return self.settings.PRIORITY_HEAD_START_S

    def outlet(self, lookup, metrics=None) -> Outlet:
        return Outlet.from_settings(self.settings, self.channels, lookup, metrics)


class Notify(DependencyProvider):
    """Validated NOTIFY_* settings (a bad channel list fails the start, not the first
    send) and the configured channels."""

    def setup(self):
        settings = notify_settings(self.container.config)
        self.kit = NotifyKit(settings, build_channels(settings))

    def get_dependency(self, worker_ctx):
        return self.kit
