"""Reads of bookings, closures, agreements and occupancy, one module per sub-domain:

- `overlap`: which active Occupancy rows overlap a period (buffers included): the one
  spelling of the no-double-booking test, used by every check and by the search;
- `availability`: the availability search (`spaces_available`), one query;
- `bookings`: permission querysets of bookings and what a booking's page shows;
- `comments`: a booking's conversation and who hears of a new message;
- `calendars`: what calendars, the week view and the site timeline show;
- `day_grid`: a site's day as a grid of rooms × hours;
- `closures`: closures of a site, public holidays, what a closure would hit;
- `allocations`: permission querysets and lists of agreements, what signing one would hit;
- `door`: a room's planning for its door, its weeks or its typical school-year week;
- `local_time`: the sites' time zone.

The public names are re-exported here: `from bookings.selectors import local_zone` works.
"""

from bookings.selectors.allocations import (
    allocation_detail,
    allocation_list,
    allocations_answerable_by,
    allocations_manageable_by,
    allocations_visible_to,
    occupancies_allocated,
    occupancies_blocking_allocation,
    spaces_allocatable_by,
    structures_eligible_for_allocation,
)
from bookings.selectors.availability import (
    Slot,
    spaces_available,
    spaces_bookable_by,
    spaces_free,
)
from bookings.selectors.behalf import structures_bookable_on_behalf_by, user_may_book_on_behalf
from bookings.selectors.bookings import (
    ROUTING_TIERS,
    Routing,
    booking_dates_of,
    booking_detail,
    booking_occupancies,
    booking_requesters,
    booking_routing,
    bookings_decidable_by,
    bookings_for_list,
    bookings_manageable_by,
    bookings_of_member,
    bookings_of_organisations_of,
    bookings_of_requester,
    bookings_pending_count,
    bookings_pending_count_known,
    bookings_pending_for,
    bookings_pending_rows,
    bookings_pending_table,
    bookings_visible_to,
    routing_of,
)
from bookings.selectors.calendars import (
    CALENDAR_MAX_DAYS,
    CalendarEntry,
    CalendarHours,
    TimelineEntry,
    TimelineRow,
    busy_periods,
    calendar_entries,
    calendar_entries_of_user,
    calendar_hours,
    occupancies_in_window,
    site_timeline,
    space_occupancy,
)
from bookings.selectors.closures import (
    closure_targets_and_hits,
    closures_manageable_by,
    closures_of_site,
    public_holidays_not_closed,
)
from bookings.selectors.comments import booking_comment_recipients, booking_comments
from bookings.selectors.day_grid import DayGrid, site_day_grid
from bookings.selectors.local_time import local_zone
from bookings.selectors.overlap import (
    occupancies_overlapping,
    occupancy_clash_rows,
    occupancy_clashes,
    occupancy_overlap_q,
)
from bookings.selectors.quotas import (
    quota_dates_held,
    quota_of,
    quota_on_site,
    quota_pending_count,
    quotas_applying,
    quotas_manageable_by,
    quotas_of_site,
)
from bookings.selectors.waits import (
    slot_wait_recipients,
    slot_wait_setting_of,
    slot_waits_line,
    slot_waits_listed,
    slot_waits_of_member,
    slot_waits_spaces_to_look_at,
    slot_waits_visible_to,
)

__all__ = [
    "CALENDAR_MAX_DAYS",
    "ROUTING_TIERS",
    "CalendarEntry",
    "CalendarHours",
    "DayGrid",
    "Routing",
    "Slot",
    "TimelineEntry",
    "TimelineRow",
    "allocation_detail",
    "allocation_list",
    "allocations_answerable_by",
    "allocations_manageable_by",
    "allocations_visible_to",
    "booking_comment_recipients",
    "booking_comments",
    "booking_dates_of",
    "booking_detail",
    "booking_occupancies",
    "booking_requesters",
    "booking_routing",
    "bookings_decidable_by",
    "bookings_for_list",
    "bookings_manageable_by",
    "bookings_of_member",
    "bookings_of_organisations_of",
    "bookings_of_requester",
    "bookings_pending_count",
    "bookings_pending_count_known",
    "bookings_pending_for",
    "bookings_pending_rows",
    "bookings_pending_table",
    "bookings_visible_to",
    "busy_periods",
    "calendar_entries",
    "calendar_entries_of_user",
    "calendar_hours",
    "closure_targets_and_hits",
    "closures_manageable_by",
    "closures_of_site",
    "local_zone",
    "occupancies_allocated",
    "occupancies_blocking_allocation",
    "occupancies_in_window",
    "occupancies_overlapping",
    "occupancy_clash_rows",
    "occupancy_clashes",
    "occupancy_overlap_q",
    "public_holidays_not_closed",
    "quota_dates_held",
    "quota_of",
    "quota_on_site",
    "quota_pending_count",
    "quotas_applying",
    "quotas_manageable_by",
    "quotas_of_site",
    "routing_of",
    "site_day_grid",
    "site_timeline",
    "slot_wait_recipients",
    "slot_wait_setting_of",
    "slot_waits_line",
    "slot_waits_listed",
    "slot_waits_of_member",
    "slot_waits_spaces_to_look_at",
    "slot_waits_visible_to",
    "space_occupancy",
    "spaces_allocatable_by",
    "spaces_available",
    "spaces_bookable_by",
    "spaces_free",
    "structures_bookable_on_behalf_by",
    "structures_eligible_for_allocation",
    "user_may_book_on_behalf",
]
