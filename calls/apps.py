from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Calls for applications")

    def ready(self) -> None:
        from calls.panels import panels_register

        # The space page shows the calls offering a space and, to its managers, the
        # waiting-list candidates of a vacant space.
        panels_register()
