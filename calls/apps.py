from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Calls for applications")

    def ready(self) -> None:
        from accounts.dependents import structure_erasure_step_register
        from calls.erasure import structure_erasure_step
        from calls.panels import panels_register

        # The space page shows the calls offering a space and, to its managers, the
        # waiting-list candidates of a vacant space.
        panels_register()
        # Erasing a structure's data closes its waiting-list entries.
        structure_erasure_step_register(structure_erasure_step)
