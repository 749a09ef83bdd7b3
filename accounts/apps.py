from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        from accounts.selectors import user_is_territory_admin
        from core.admin import history_viewer_set

        # Field history shows old values of records outside other staff's scope.
        history_viewer_set(user_is_territory_admin)
