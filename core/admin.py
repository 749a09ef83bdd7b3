from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.mail import outbox_retry
from core.models import OutboxMail

HistoryViewerRule = Callable[[AbstractBaseUser | AnonymousUser], bool]

# Who may read the History pages. The kernel knows no roles: accounts names the rule in
# AccountsConfig.ready (history_viewer_set). Until then nobody may: a missing rule fails closed.
_history_viewer: HistoryViewerRule | None = None


def history_viewer_set(rule: HistoryViewerRule) -> None:
    """Make `rule(user)` decide who may read the History pages of HistoryAdmin."""
    global _history_viewer  # one rule per process, set once at start-up
    _history_viewer = rule


def history_viewer_allows(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the rule named by history_viewer_set lets `user` read History pages."""
    return _history_viewer is not None and _history_viewer(user)


class ScopedAdminMixin:
    """Admin pages list only what the permission selector gives the signed-in user."""

    scope: Callable[..., QuerySet]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scoped = type(self).scope(request.user)
        return super().get_queryset(request).filter(pk__in=scoped.values("pk"))


class HistoryAdmin(SimpleHistoryAdmin):
    """The "History" page of a record (who changed which field, old → new), only for the users
    the rule of history_viewer_set allows (accounts: the intercommunality), since other staff
    would see values of records outside their scope.
    Nothing is reverted from there (SIMPLE_HISTORY_REVERT_DISABLED): changes go through the
    services."""

    def has_view_history_or_change_history_permission(self, request, obj=None) -> bool:
        return history_viewer_allows(request.user)

    def has_view_history_permission(self, request, obj=None) -> bool:
        return history_viewer_allows(request.user)

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Related rows shown on a read-only record: nothing added, changed or deleted from there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class StatusLogInline(ReadOnlyInline):
    """The rows of a `core.models.StatusLog` (set `model`): who moved the record, when, why."""

    fields = ["from_status", "to_status", "actor", "reason", "created_at"]
    readonly_fields = fields


admin.site.site_header = "Locaux Communs"
admin.site.site_title = "Locaux Communs"


OUTBOX_DELIVERY_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "claimed_at",
    "claim_token",
    "sent_at",
]


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    """The mail outbox, read only, for the intercommunality (the rule of history_viewer_set:
    the messages name people of every organisation). Failed mail is retried from here."""

    list_display = ["created_at", "about", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["about", "subject"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    # The message first, then its delivery (the queue's columns come first in _meta.fields, being
    # inherited from QueuedRow).
    readonly_fields = [
        *(
            field.name
            for field in OutboxMail._meta.fields
            if field.name not in OUTBOX_DELIVERY_FIELDS
        ),
        *OUTBOX_DELIVERY_FIELDS,
    ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return history_viewer_allows(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return history_viewer_allows(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written by the notification modules, in the change's transaction

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return history_viewer_allows(request.user)

    @admin.action(description=_("Retry the selected failed e-mails"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = outbox_retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d e-mail queued again.", "%(count)d e-mails queued again.", count)
            % {"count": count},
        )
