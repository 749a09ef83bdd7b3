"""Admin of the season: read-only, because every change goes through seasons.services (the
rules are frozen at opening, wishes are checked against the campaign, the plan is re-checked
move by move and published in one transaction). Lists are scoped to what the staff member runs."""

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyInline, ScopedAdminMixin, StatusLogInline
from seasons.models import (
    Campaign,
    CampaignLog,
    CampaignSpace,
    PlanAssignment,
    PlanRun,
    Wish,
    WishOption,
)
from seasons.selectors import campaigns_manageable_by, wishes_visible_to


class _ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CampaignSpaceInline(ReadOnlyInline):
    model = CampaignSpace
    fields = ["space", "closed_in_school_holidays"]


class CampaignLogInline(StatusLogInline):
    model = CampaignLog


@admin.register(Campaign)
class CampaignAdmin(_ReadOnlyAdmin):
    """Campaigns change through their pages (/saisons/) and the API."""

    scope = campaigns_manageable_by
    list_display = ["title", "owner", "school_year", "status", "deadline", "decided_on"]
    list_filter = ["status", "school_year"]
    search_fields = ["title", "owner__name", "deliberation_reference"]
    inlines = [CampaignSpaceInline, CampaignLogInline]


class WishOptionInline(ReadOnlyInline):
    model = WishOption
    fields = ["position", "weekday", "start", "end", "space", "space_kind"]


@admin.register(Wish)
class WishAdmin(_ReadOnlyAdmin):
    scope = wishes_visible_to
    list_display = ["structure", "campaign", "rank", "purpose", "period", "status"]
    list_filter = ["status", "period", "activity"]
    search_fields = ["structure__name", "purpose", "campaign__title"]
    list_select_related = ["structure", "campaign"]
    inlines = [WishOptionInline]


class PlanAssignmentInline(ReadOnlyInline):
    model = PlanAssignment
    fields = ["wish", "space", "option", "moved_by", "booking", "explanation"]
    readonly_fields = fields


@admin.register(PlanRun)
class PlanRunAdmin(_ReadOnlyAdmin):
    @staticmethod
    def scope(user):
        return PlanRun.objects.filter(campaign__in=campaigns_manageable_by(user).values("pk"))

    list_display = ["campaign", "created_at", "status", "seconds", "met_count", "wishes_count"]
    list_filter = ["status"]
    search_fields = ["campaign__title"]
    inlines = [PlanAssignmentInline]
