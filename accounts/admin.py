from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import (
    ApiToken,
    Invitation,
    Membership,
    Organisation,
    OrganisationDocument,
    OrganisationLog,
    ReminderSent,
    User,
)
from accounts.selectors import organisations_visible_to
from accounts.services.tokens import api_token_revoke
from core.admin import HistoryAdmin, ScopedAdminMixin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "last_login",
        "erased_at",
    ]
    list_filter = [
        "is_staff",
        "is_superuser",
        "is_active",
        ("erased_at", admin.EmptyFieldListFilter),
        "memberships__organisation__kind",
    ]
    search_fields = ["email", "first_name", "last_name"]
    # An address is confirmed by its owner through the link (or a password reset), not here.
    readonly_fields = ["last_login", "date_joined", "email_confirmed_at", "erased_at"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (
            _("Important dates"),
            {"fields": ("last_login", "date_joined", "email_confirmed_at", "erased_at")},
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    # Deleting an account erases it instead (accounts.services.erasure.user_erase): bookings,
    # payments, invoices and logs point at it and must stay, so a real deletion would fail on
    # them (ProtectedError) or, worse, take them along. The confirmation page lists nothing to
    # delete, and says what happens.
    def get_deleted_objects(self, objs, request):
        summary = [
            _("%(user)s: erased (anonymised), not deleted; what they took part in stays.")
            % {"user": obj}
            for obj in objs
        ]
        return summary, {}, set(), []

    def delete_model(self, request, obj) -> None:
        services.user_erase(user=obj, actor=request.user)
        self.message_user(
            request,
            _("The account was erased: its bookings, payments and logs stay, anonymised."),
            messages.SUCCESS,
        )

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset.order_by("pk"):
            services.user_erase(user=user, actor=request.user)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


class DocumentInline(admin.TabularInline):
    model = OrganisationDocument
    extra = 0
    readonly_fields = ["uploaded_by", "uploaded_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # documents are added by the structure, through the service's checks


class VerificationLogInline(admin.TabularInline):
    """Verification events, read only: written by the services, never by hand."""

    model = OrganisationLog
    extra = 0
    fields = ["created_at", "kind", "actor", "reason", "changes"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdminMixin, HistoryAdmin):
    scope = organisations_visible_to
    list_display = ["name", "kind", "ess_family", "siret", "rna", "verified_at"]
    list_filter = ["kind", "ess_family", "siae_kind", ("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "siren", "siret", "rna"]
    readonly_fields = ["verified_at", "verified_by", "created_at"]
    inlines = [MembershipInline, DocumentInline, VerificationLogInline]
    # Django 6 default; saying it silences a RemovedInDjango60Warning on every form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change) -> None:
        if change:  # an identity change sends a verified structure back to verification
            services.organisation_update(organisation=obj, actor=request.user)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    readonly_fields = ["created_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "invited_by", "created_at", "accepted_at"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "organisation__name"]
    readonly_fields = ["token", "invited_by", "created_at", "accepted_at"]


@admin.register(OrganisationDocument)
class OrganisationDocumentAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "expires_on", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["organisation__name"]
    readonly_fields = ["uploaded_by", "uploaded_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens, for the platform's operators: who holds which, when it was last used, and
    revoking one reported leaked. Read-only: a token is created by its owner (the secret is
    shown to them once) and only its hash is stored, never shown."""

    list_display = [
        "prefix",
        "name",
        "user",
        "organisation",
        "scope",
        "service",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", "service", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__email", "organisation__name"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser  # staff of a commune see no one else's tokens

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, not deleted: the row tells who held it and until when

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["view"])
    def revoke(self, request, queryset) -> None:
        revoked = sum(api_token_revoke(actor=request.user, token=token) for token in queryset)
        self.message_user(
            request, _("%(count)d token(s) revoked.") % {"count": revoked}, messages.SUCCESS
        )


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    """The log of expiry reminders, to answer "was I told?"."""

    list_display = ["kind", "organisation", "expires_on", "threshold_days", "sent_at"]
    list_filter = ["kind", "threshold_days"]
    search_fields = ["organisation__name", "object_key"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
