"""Writes on bookings, closures and occupancy.

One module per concern:

- `occupancy`: the one writer of Occupancy rows (insert, free, trim, lift), which the
  booking, closure and agreement services (`bookings.allocations`) call;
- `requests`: booking requests (a slot or a series) checked against the rules of the space,
  their rolled-back preview, the lapse of pending requests nobody decided in time;
- `decisions`: the one status-change helper of a booking, approve, refuse, cancel (whole,
  one date, following);
- `comments`: messages between the requesting structure and the people who decide;
- `closures`: closures of a site or a space, and the French public holidays;
- `reminders`: reminders the day before each confirmed date, and to the people who decide
  before a pending request lapses;
- `feeds`: calendar subscriptions (ICS feeds behind secret URLs);
- `conditions`: a space's request questions, house rules and insurance setting, the answers
  of a request, files attached to a booking, what blocks an approval (issue 16).
- `behalf`: booking on behalf of a structure (who may, what they may waive);
- `changes`: a booking moved to another time or room, or its attendees or purpose changed;
- `series`: a series changed from a date (time, room, end date);
- `checkin`: check-in at the door, the release of no-shows' slots (issue 16);
- `quotas`: booking quotas of a site, set by its managers and checked at request time;
- `waits`: waiting for a slot that is taken, its offer when it frees, acceptance (issue 16).

The public names are re-exported here: `from bookings.services import booking_cancel` works.
"""

from bookings.services.changes import BookingChange, booking_reschedule
from bookings.services.checkin import (
    booking_arrival_record,
    booking_check_in,
    booking_no_show_undo,
    bookings_release_no_shows,
    check_in_settings_set,
    check_in_token_rotate,
)
from bookings.services.closures import closure_create, closure_delete, closures_add_public_holidays
from bookings.services.comments import booking_comment_post
from bookings.services.conditions import (
    booking_file_attach,
    booking_file_remove,
    request_question_delete,
    request_question_move,
    request_question_save,
    space_conditions_set,
)
from bookings.services.decisions import booking_approve, booking_cancel, booking_refuse
from bookings.services.feeds import calendar_feed_create, calendar_feed_revoke
from bookings.services.quotas import quota_delete, quota_save
from bookings.services.reminders import (
    LAPSE_REMINDER_BEFORE,
    bookings_send_lapse_reminders,
    bookings_send_reminders,
)
from bookings.services.requests import (
    PENDING_LAPSE,
    BookingRequest,
    booking_request,
    booking_request_preview,
    bookings_expire_lapsed,
)
from bookings.services.series import SeriesChange, booking_series_reschedule
from bookings.services.waits import (
    slot_wait_accept,
    slot_wait_join,
    slot_wait_setting_set,
    slot_wait_withdraw,
    slot_waits_offer,
    slot_waits_sweep,
)

__all__ = [
    "LAPSE_REMINDER_BEFORE",
    "PENDING_LAPSE",
    "BookingChange",
    "BookingRequest",
    "SeriesChange",
    "booking_approve",
    "booking_arrival_record",
    "booking_cancel",
    "booking_check_in",
    "booking_comment_post",
    "booking_file_attach",
    "booking_file_remove",
    "booking_no_show_undo",
    "booking_refuse",
    "booking_request",
    "booking_request_preview",
    "booking_reschedule",
    "booking_series_reschedule",
    "bookings_expire_lapsed",
    "bookings_release_no_shows",
    "bookings_send_lapse_reminders",
    "bookings_send_reminders",
    "calendar_feed_create",
    "calendar_feed_revoke",
    "check_in_settings_set",
    "check_in_token_rotate",
    "closure_create",
    "closure_delete",
    "closures_add_public_holidays",
    "quota_delete",
    "quota_save",
    "request_question_delete",
    "request_question_move",
    "request_question_save",
    "slot_wait_accept",
    "slot_wait_join",
    "slot_wait_setting_set",
    "slot_wait_withdraw",
    "slot_waits_offer",
    "slot_waits_sweep",
    "space_conditions_set",
]
