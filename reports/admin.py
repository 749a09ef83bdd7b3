from django.contrib import admin

from core.admin import ScopedAdminMixin
from reports.models import CashSubsidy
from reports.selectors import cash_subsidies_editable_by


@admin.register(CashSubsidy)
class CashSubsidyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: subsidies are recorded on the reports pages (reports.services checks who)."""

    scope = cash_subsidies_editable_by
    list_display = ["structure", "granted_by", "year", "amount_cents", "label", "entered_at"]
    list_filter = ["year"]
    search_fields = ["structure__name", "granted_by__name", "label", "decision_reference"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
