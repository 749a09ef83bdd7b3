from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpacesConfig(AppConfig):
    name = "spaces"
    verbose_name = _("Premises")

    def ready(self) -> None:
        from accounts.dependents import user_erasure_step_register
        from spaces.erasure import user_erasure_step

        # An erased account no longer manages any site.
        user_erasure_step_register(user_erasure_step)
