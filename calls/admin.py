"""Admin of calls: mostly read-only, because every change goes through calls.services (a
published grid is frozen, decisions are logged and e-mailed)."""

from django.contrib import admin
from django.http import HttpRequest

from calls.models import (
    Application,
    ApplicationLog,
    Call,
    CallLog,
    CallLot,
    Criterion,
    Preference,
    ReviewerAssignment,
    Score,
    WaitingListEntry,
)
from calls.selectors import applications_visible_to, calls_manageable_by
from core.admin import HistoryAdmin, ReadOnlyInline, ScopedAdminMixin, StatusLogInline


class CallLotInline(ReadOnlyInline):
    model = CallLot
    fields = ["position", "space"]


class CriterionInline(ReadOnlyInline):
    model = Criterion
    fields = ["position", "name", "weight", "description"]


class ReviewerAssignmentInline(ReadOnlyInline):
    model = ReviewerAssignment
    fields = ["reviewer", "conflict_of_interest", "conflict_note", "declared_at"]


class CallLogInline(StatusLogInline):
    model = CallLog


@admin.register(Call)
class CallAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: calls change through their pages (call_update refuses any change once
    published, and checks the owner, the spaces and the deadline)."""

    scope = calls_manageable_by
    list_display = ["title", "owner", "status", "deadline", "published_at"]
    list_filter = ["status", "owner"]
    search_fields = ["title", "presentation", "owner__name", "deliberation_reference"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "title",
        "presentation",
        "eligibility",
        "required_documents",
        "deadline",
        "owner",
        "status",
        "published_at",
        "published_criteria",
        "deliberation_reference",
        "deliberation_date",
        "created_by",
        "created_at",
    ]
    inlines = [CallLotInline, CriterionInline, ReviewerAssignmentInline, CallLogInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created through the calls pages, which check the owner and the spaces

    def has_change_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return False


@admin.register(CallLot)
class CallLotAdmin(admin.ModelAdmin):
    list_display = ["call", "position", "space"]
    list_filter = ["call__status"]
    search_fields = ["call__title", "space__name"]
    readonly_fields = ["call", "space", "position"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Criterion)
class CriterionAdmin(HistoryAdmin):
    list_display = ["name", "call", "weight", "position"]
    list_filter = ["call__status"]
    search_fields = ["name", "call__title"]
    readonly_fields = ["call", "name", "description", "weight", "position"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the grid is set by criteria_set, which refuses once published


class PreferenceInline(ReadOnlyInline):
    model = Preference
    fields = ["rank", "lot"]


class ApplicationLogInline(StatusLogInline):
    model = ApplicationLog


class ScoreInline(ReadOnlyInline):
    model = Score
    fields = ["criterion", "reviewer", "mark", "comment", "updated_at"]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: applications change through their workflow (pages and API), never by hand."""

    scope = applications_visible_to
    list_display = ["structure", "call", "status", "submitted_at", "allocated_lot"]
    list_filter = ["status", "call"]
    search_fields = ["structure__name", "structure__siret", "call__title", "project"]
    date_hierarchy = "created_at"
    inlines = [PreferenceInline, ScoreInline, ApplicationLogInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ApplicationLog)
class ApplicationLogAdmin(admin.ModelAdmin):
    list_display = ["application", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["application__structure__name", "application__call__title", "reason"]
    readonly_fields = ["application", "from_status", "to_status", "actor", "reason", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ReviewerAssignment)
class ReviewerAssignmentAdmin(HistoryAdmin):
    """A reviewer may be removed here; the declaration itself belongs to the reviewer."""

    list_display = ["reviewer", "call", "conflict_of_interest", "declared_at"]
    list_filter = ["conflict_of_interest", "call__status"]
    search_fields = ["reviewer__email", "call__title"]
    readonly_fields = ["call", "reviewer", "conflict_of_interest", "conflict_note", "declared_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # assigned from the call's reviewers page


@admin.register(Score)
class ScoreAdmin(HistoryAdmin):
    list_display = ["application", "criterion", "reviewer", "mark", "updated_at"]
    list_filter = ["application__call"]
    search_fields = ["application__structure__name", "reviewer__email", "criterion__name"]
    readonly_fields = ["application", "criterion", "reviewer", "mark", "comment", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(admin.ModelAdmin):
    list_display = ["structure", "kind", "min_surface_m2", "max_surface_m2", "created_at"]
    list_filter = ["kind", "communes"]
    search_fields = ["structure__name", "notes"]
    readonly_fields = ["created_at", "closed_at"]
