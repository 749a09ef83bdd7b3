from django.contrib import admin

from bookings.models import Booking, BookingLog, CalendarFeed, Closure, Occupancy
from bookings.selectors import bookings_visible_to
from core.admin import ScopedAdminMixin


class BookingLogInline(admin.TabularInline):
    model = BookingLog
    extra = 0
    can_delete = False
    readonly_fields = [
        "from_status",
        "to_status",
        "occurrence_start",
        "actor",
        "reason",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OccupancyInline(admin.TabularInline):
    model = Occupancy
    extra = 0
    can_delete = False
    fields = ["start", "end", "active", "cancelled_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Booking)
class BookingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: bookings change through their workflow (pages and API), never by hand."""

    scope = bookings_visible_to
    list_display = ["purpose", "space", "organisation", "start", "frequency", "status"]
    list_filter = ["status", "frequency", "space__site"]
    search_fields = ["purpose", "organisation__name", "space__name"]
    date_hierarchy = "start"
    inlines = [OccupancyInline, BookingLogInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["reason", "site", "space", "start", "end", "created_by"]
    list_filter = ["site"]
    search_fields = ["reason"]
    readonly_fields = ["site", "space", "start", "end", "reason", "created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # closures are created through the closure pages, which check bookings


@admin.register(Occupancy)
class OccupancyAdmin(admin.ModelAdmin):
    list_display = ["space", "start", "end", "kind", "active"]
    list_filter = ["kind", "active"]
    date_hierarchy = "start"
    readonly_fields = [
        "space",
        "start",
        "end",
        "blocked_until",
        "kind",
        "booking",
        "closure",
        "active",
        "cancelled_at",
        "reminder_sent_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # only the booking and allocation services write occupancy

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BookingLog)
class BookingLogAdmin(admin.ModelAdmin):
    list_display = ["booking", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    readonly_fields = [
        "booking",
        "from_status",
        "to_status",
        "occurrence_start",
        "actor",
        "reason",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = [
        "scope",
        "space",
        "site",
        "organisation",
        "created_by",
        "created_at",
        "revoked_at",
    ]
    list_filter = ["scope"]
    readonly_fields = ["token", "created_at"]
