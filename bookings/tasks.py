"""Periodic jobs of bookings, sent by Celery beat (config/schedule.py).

Each calls the service of the management command of the same name (kept for operators and cron
users). None needs a lock: each booking, reminder and agreement is claimed under a row lock or
a conditional UPDATE, so a second run at once finds nothing left (docs/architecture.md, "Jobs").
"""

from celery import shared_task

from bookings.allocations import allocations_activate_and_end, allocations_remind_ending
from bookings.notifications import (
    booking_messages_sweep,
    booking_messages_write,
    booking_messages_write_new,
)
from bookings.services import (
    bookings_expire_lapsed,
    bookings_release_no_shows,
    bookings_send_lapse_reminders,
    bookings_send_reminders,
    slot_waits_offer,
    slot_waits_sweep,
)
from core.periodic import DAILY_JOB, FREQUENT_JOB


@shared_task(name="bookings.tasks.write_booking_messages", ignore_result=True, **FREQUENT_JOB)
def write_booking_messages(ids: list[int]) -> int:
    """Write the notifications and e-mails of the booking events `ids` (jobs queued before
    `write_new_booking_messages` took their place are still taken)."""
    return booking_messages_write(ids=ids)


@shared_task(name="bookings.tasks.write_new_booking_messages", ignore_result=True, **FREQUENT_JOB)
def write_new_booking_messages() -> int:
    """Write the messages of the booking events recorded since the last run (nudged after
    the commits that record them, at most once a second)."""
    return booking_messages_write_new()


@shared_task(name="bookings.tasks.sweep_booking_messages", **FREQUENT_JOB)
def sweep_booking_messages() -> int:
    """Write the booking messages whose job was lost or whose attempt is due again."""
    return booking_messages_sweep()


@shared_task(name="bookings.tasks.expire_lapsed_bookings", **FREQUENT_JOB)
def expire_lapsed_bookings() -> dict[str, int]:
    """Lapse the requests nobody decided in time."""
    return {"lapsed": bookings_expire_lapsed()}


@shared_task(name="bookings.tasks.release_no_shows", **FREQUENT_JOB)
def release_no_shows() -> dict[str, int]:
    """Release the rest of the slot of the dates nobody checked in by the end of their grace
    period, and record the no-shows (issue 16)."""
    return {"released": bookings_release_no_shows()}


@shared_task(name="bookings.tasks.send_lapse_reminders", **FREQUENT_JOB)
def send_lapse_reminders() -> dict[str, int]:
    """Remind the people who decide of the requests about to lapse."""
    return {"reminded": bookings_send_lapse_reminders()}


@shared_task(name="bookings.tasks.send_booking_reminders", **DAILY_JOB)
def send_booking_reminders() -> dict[str, int]:
    """Remind each requester the day before a confirmed date."""
    return {"sent": bookings_send_reminders()}


@shared_task(name="bookings.tasks.allocations_daily", **DAILY_JOB)
def allocations_daily() -> dict[str, int]:
    """Start the signed agreements whose first day has come; end those past their term; remind
    both sides of the agreements that end in 60 and 30 days."""
    started, ended = allocations_activate_and_end()
    return {"started": started, "ended": ended, "reminded": allocations_remind_ending()}


@shared_task(name="bookings.tasks.offer_freed_slots", ignore_result=True, **FREQUENT_JOB)
def offer_freed_slots(space_ids: list[int]) -> int:
    """Offer the slots just freed on these spaces to the first structures waiting for them
    (sent after the commit that freed them; `offer_waited_slots` catches a lost one)."""
    return sum(slot_waits_offer(space_id=space_id) for space_id in space_ids)


@shared_task(name="bookings.tasks.offer_waited_slots", **FREQUENT_JOB)
def offer_waited_slots() -> dict[str, int]:
    """Expire the offers of freed slots nobody accepted in time and offer those slots to the
    next in line (and any slot freed whose job was lost)."""
    return {"offered": slot_waits_sweep()}
