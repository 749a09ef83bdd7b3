from django.contrib import admin

from bookings.models import (
    Allocation,
    AllocationLog,
    Booking,
    BookingLog,
    CalendarFeed,
    Closure,
    Inventory,
    InventoryPhoto,
    KeyHandover,
    Occupancy,
)
from bookings.selectors import allocations_visible_to, bookings_visible_to
from core.admin import HistoryAdmin, ScopedAdminMixin


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
        "change",
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
class ClosureAdmin(HistoryAdmin):
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
        return False  # only bookings.services.occupancy writes occupancy

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
        "change",
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


# --- Occupancy agreements (appended) ---


class AllocationScopedMixin:
    """Rows of the agreements the signed-in user sees (allocations_visible_to)."""

    allocation_path = "allocation"

    def get_queryset(self, request):
        visible = allocations_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(**{f"{self.allocation_path}__in": visible})


class AllocationLogInline(admin.TabularInline):
    model = AllocationLog
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class KeyHandoverInline(admin.TabularInline):
    model = KeyHandover
    extra = 0
    can_delete = False
    readonly_fields = ["label", "issued_on", "returned_on"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # through the agreement page, which checks the insurance


class InventoryInline(admin.StackedInline):
    model = Inventory
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "done_on", "notes", "created_by"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Allocation)
class AllocationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: agreements change through their workflow (pages and API), never by hand."""

    scope = allocations_visible_to
    list_display = ["__str__", "owner", "start", "end", "legal_regime", "status"]
    list_filter = ["status", "legal_regime", "free_use_basis"]
    search_fields = ["structure__name", "structure__siret", "owner__name"]
    date_hierarchy = "start"
    inlines = [AllocationLogInline, KeyHandoverInline, InventoryInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AllocationLog)
class AllocationLogAdmin(AllocationScopedMixin, admin.ModelAdmin):
    list_display = ["allocation", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    readonly_fields = ["allocation", "from_status", "to_status", "actor", "reason", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InventoryPhotoInline(admin.TabularInline):
    model = InventoryPhoto
    extra = 0
    can_delete = False
    readonly_fields = ["image", "alt_text"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # uploads go through the agreement page (re-encoded, EXIF dropped)


@admin.register(Inventory)
class InventoryAdmin(AllocationScopedMixin, admin.ModelAdmin):
    list_display = ["__str__", "kind", "done_on", "created_by"]
    list_filter = ["kind"]
    readonly_fields = ["allocation", "kind", "done_on", "notes", "created_by"]
    inlines = [InventoryPhotoInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(KeyHandover)
class KeyHandoverAdmin(AllocationScopedMixin, admin.ModelAdmin):
    list_display = ["label", "allocation", "issued_on", "returned_on"]
    readonly_fields = ["allocation", "label", "issued_on", "returned_on"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
