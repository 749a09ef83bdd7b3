"""Models of bookings: occupancy and room bookings, long-term allocations (agreements)."""

from bookings.models.allocations import (
    ALLOCATION_TRANSITIONS,
    Allocation,
    AllocationLog,
    AllocationReminder,
    AllocationStatus,
    FreeUseBasis,
    Inventory,
    InventoryKind,
    InventoryPhoto,
    KeyHandover,
    LegalRegime,
)
from bookings.models.messages import BookingMessage, BookingMessageStatus
from bookings.models.occupancy import (
    OCCUPYING,
    REASON_REQUIRED,
    TRANSITIONS,
    Booking,
    BookingLog,
    BookingStatus,
    CalendarFeed,
    Closure,
    Frequency,
    Occupancy,
    OccupancyKind,
)
from bookings.models.quotas import BookingQuota, Waiver

__all__ = [
    "ALLOCATION_TRANSITIONS",
    "OCCUPYING",
    "REASON_REQUIRED",
    "TRANSITIONS",
    "Allocation",
    "AllocationLog",
    "AllocationReminder",
    "AllocationStatus",
    "Booking",
    "BookingLog",
    "BookingMessage",
    "BookingMessageStatus",
    "BookingQuota",
    "BookingStatus",
    "CalendarFeed",
    "Closure",
    "FreeUseBasis",
    "Frequency",
    "Inventory",
    "InventoryKind",
    "InventoryPhoto",
    "KeyHandover",
    "LegalRegime",
    "Occupancy",
    "OccupancyKind",
    "Waiver",
]
