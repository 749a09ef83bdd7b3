from collections.abc import Callable

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class ScopedAdminMixin:
    """Admin pages list only what the permission selector gives the signed-in user."""

    scope: Callable[..., QuerySet]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scoped = type(self).scope(request.user)
        return super().get_queryset(request).filter(pk__in=scoped.values("pk"))


admin.site.site_header = "Locaux Communs"
admin.site.site_title = "Locaux Communs"
