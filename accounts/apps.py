from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.memo import forget


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Membership, Organisation, User
        from accounts.selectors import user_is_territory_admin
        from core.admin import history_viewer_set

        # Field history shows old values of records outside other staff's scope.
        history_viewer_set(user_is_territory_admin)

        # A request that changes who belongs where asks its permission questions afresh.
        for model in (Membership, Organisation, User):
            post_save.connect(_forget, sender=model, dispatch_uid=f"memo-{model.__name__}")
            post_delete.connect(_forget, sender=model, dispatch_uid=f"memo-del-{model.__name__}")


def _forget(**_kwargs) -> None:
    forget()
