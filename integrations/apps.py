from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from core import panels
        from integrations import receivers  # noqa: F401  (connects the listeners)
        from integrations.panels import organisation_webhooks

        panels.register("structure_detail.sections", organisation_webhooks)
