from collections.abc import Callable

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.selectors import user_is_territory_admin


class ScopedAdminMixin:
    """Admin pages list only what the permission selector gives the signed-in user."""

    scope: Callable[..., QuerySet]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scoped = type(self).scope(request.user)
        return super().get_queryset(request).filter(pk__in=scoped.values("pk"))


class HistoryAdmin(SimpleHistoryAdmin):
    """The "History" page of a record (who changed which field, old → new), for the
    intercommunality only: other staff would see values of records outside their scope.
    Nothing is reverted from there (SIMPLE_HISTORY_REVERT_DISABLED): changes go through the
    services."""

    def has_view_history_or_change_history_permission(self, request, obj=None) -> bool:
        return user_is_territory_admin(request.user)

    def has_view_history_permission(self, request, obj=None) -> bool:
        return user_is_territory_admin(request.user)

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False


admin.site.site_header = "Locaux Communs"
admin.site.site_title = "Locaux Communs"
