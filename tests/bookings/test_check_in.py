"""Check-in at the door and no-shows (issue 16): the check-in window, who may check in, the
job that releases the rest of a no-show's slot (after the grace period only, once, not for a
date checked in nor on a space without the setting), the freed part bookable by another
structure, the monthly summary kept right. The races on PostgreSQL are at the end.

The clock starts on Monday 4 January 2027, 09:00 in Paris; the booked date is Tuesday 12
January, 18:00–22:00, on a space requiring check-in with 15 minutes' grace.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from accounts.exceptions import ConflictOfInterest, DecisionNotAllowed
from accounts.models import Notification
from bookings.exceptions import BookingConflict, CheckInClosed
from bookings.models import (
    BookingLog,
    BookingStatus,
    CheckInSetting,
    Equipment,
    EquipmentUse,
    Frequency,
    Occupancy,
    OccupancyMonth,
    SlotWaitStatus,
)
from bookings.rules import Period, release_moment
from bookings.selectors.checkin import no_shows_by_organisation
from bookings.services import (
    booking_arrival_record,
    booking_check_in,
    booking_no_show_undo,
    bookings_release_no_shows,
    check_in_settings_set,
    check_in_token_rotate,
    slot_wait_join,
)
from bookings.services.occupancy import occupancy_summary_rebuild
from tests.factories import MembershipFactory, SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 22)


@pytest.fixture
def door_space(site, facilities_manager, frozen_clock):
    space = SpaceFactory(site=site, name="Salle Usinor", instant_confirmation=True)
    space.min_notice_hours = 0
    space.save(update_fields=["min_notice_hours"])
    check_in_settings_set(space=space, actor=facilities_manager, required=True, grace_minutes=15)
    return space


@pytest.fixture
def booking(door_space, requester, frozen_clock):
    booking = booking_request_for(space=door_space, requested_by=requester, start=START, end=END)
    assert booking.status == BookingStatus.CONFIRMED
    return booking


def _row(booking) -> Occupancy:
    return booking.occupancies.get()


def _summary(space) -> timedelta:
    return sum(
        OccupancyMonth.objects.filter(space=space).values_list("booked", flat=True), timedelta()
    )


# --- Pure rules ---


def test_release_moment_rounds_up_to_the_next_five_minutes():
    assert release_moment(paris(2027, 1, 12, 18, 16)) == paris(2027, 1, 12, 18, 20)
    assert release_moment(paris(2027, 1, 12, 18, 20)) == paris(2027, 1, 12, 18, 20)
    assert release_moment(paris(2027, 1, 12, 18, 20) + timedelta(seconds=1)) == paris(
        2027, 1, 12, 18, 25
    )


# --- The setting ---


def test_settings_refuse_a_grace_period_out_of_bounds(door_space, facilities_manager):
    for minutes in (4, 121, -1):
        with pytest.raises(ValidationError) as error:
            check_in_settings_set(
                space=door_space, actor=facilities_manager, required=True, grace_minutes=minutes
            )
        assert "grace_minutes" in error.value.message_dict


def test_settings_are_refused_to_who_does_not_manage_the_space(door_space, requester, outsider):
    for user in (requester, outsider):
        with pytest.raises(PermissionDenied):
            check_in_settings_set(space=door_space, actor=user, required=False, grace_minutes=15)

    assert CheckInSetting.objects.get(space=door_space).required


def test_rotating_the_door_link_changes_its_secret(door_space, facilities_manager, outsider):
    before = CheckInSetting.objects.get(space=door_space).token

    after = check_in_token_rotate(space=door_space, actor=facilities_manager).token

    assert after != before
    assert len(after) >= 40
    with pytest.raises(PermissionDenied):
        check_in_token_rotate(space=door_space, actor=outsider)


# --- Checking in ---


def test_check_in_inside_the_window_marks_the_date(booking, requester):
    with time_machine.travel(START - timedelta(minutes=30), tick=False):
        row = booking_check_in(booking=booking, actor=requester)

    stored = _row(booking)
    assert stored.pk == row.pk
    assert stored.checked_in_at == START - timedelta(minutes=30)
    assert stored.checked_in_by == requester


def test_check_in_before_the_window_is_refused(booking, requester):
    with (
        time_machine.travel(START - timedelta(minutes=31), tick=False),
        pytest.raises(CheckInClosed) as error,
    ):
        booking_check_in(booking=booking, actor=requester, occurrence_start=START)

    assert "17:30" in error.value.message()
    assert _row(booking).checked_in_at is None


def test_check_in_after_the_grace_period_is_refused(booking, requester):
    with (
        time_machine.travel(START + timedelta(minutes=15), tick=False),
        pytest.raises(CheckInClosed),
    ):
        booking_check_in(booking=booking, actor=requester)

    assert _row(booking).checked_in_at is None


def test_check_in_by_another_structure_or_a_manager_is_not_found(
    booking, other_requester, facilities_manager, outsider
):
    with time_machine.travel(START, tick=False):
        for user in (other_requester, facilities_manager, outsider):
            with pytest.raises(PermissionDenied):
                booking_check_in(booking=booking, actor=user)

    assert _row(booking).checked_in_at is None


def test_check_in_twice_keeps_the_first_time(booking, requester):
    with time_machine.travel(START - timedelta(minutes=5), tick=False):
        booking_check_in(booking=booking, actor=requester)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        again = booking_check_in(booking=booking, actor=requester)

    assert again.checked_in_at == START - timedelta(minutes=5)
    assert _row(booking).checked_in_at == START - timedelta(minutes=5)


def test_check_in_on_a_space_without_the_setting_is_refused(space, requester, frozen_clock):
    space.instant_confirmation = True
    space.save(update_fields=["instant_confirmation"])
    plain = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    with time_machine.travel(START, tick=False), pytest.raises(CheckInClosed):
        booking_check_in(booking=plain, actor=requester)


def test_an_unknown_date_is_a_validation_error(booking, requester):
    with time_machine.travel(START, tick=False), pytest.raises(ValidationError):
        booking_check_in(
            booking=booking, actor=requester, occurrence_start=START + timedelta(days=1)
        )


# --- The no-show job ---


def test_the_job_releases_the_rest_of_the_slot_after_the_grace_period(
    booking, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(START + timedelta(minutes=16), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        released = bookings_release_no_shows()

    row = _row(booking)
    assert released == 1
    assert row.active
    assert row.no_show_at == START + timedelta(minutes=16)
    assert (row.end, row.blocked_until, row.booked_end) == (
        START + timedelta(minutes=20),
        START + timedelta(minutes=20),
        END,
    )
    [mail] = mailoutbox
    assert mail.to == [requester.email]
    assert mail.subject.startswith("[Locaux Communs] Absence constatée — Salle Usinor")
    assert "de 18:20 à 22:00, est libéré" in mail.body
    notice = Notification.objects.get(user=facilities_manager, topic="booking_no_show")
    assert "Les Amis du Vélo" in notice.subject
    assert no_shows_by_organisation(
        organisation_ids=[booking.organisation_id], now=START + timedelta(days=1)
    ) == {booking.organisation_id: 1}


def test_the_job_keeps_the_monthly_summary_equal_to_the_rows(booking, door_space):
    assert _summary(door_space) == timedelta(hours=4)

    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        bookings_release_no_shows()

    assert _summary(door_space) == timedelta(minutes=20)
    occupancy_summary_rebuild()
    assert _summary(door_space) == timedelta(minutes=20)


def test_the_job_does_nothing_before_the_end_of_the_grace_period(booking):
    with time_machine.travel(START + timedelta(minutes=14, seconds=59), tick=False):
        assert bookings_release_no_shows() == 0

    row = _row(booking)
    assert (row.end, row.no_show_at) == (END, None)


def test_the_job_leaves_a_checked_in_date_alone(booking, requester):
    with time_machine.travel(START + timedelta(minutes=14), tick=False):
        booking_check_in(booking=booking, actor=requester)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert bookings_release_no_shows() == 0

    assert _row(booking).end == END


def test_the_job_ignores_spaces_without_the_setting(space, requester, frozen_clock):
    space.instant_confirmation = True
    space.save(update_fields=["instant_confirmation"])
    plain = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert bookings_release_no_shows() == 0

    assert _row(plain).end == END


def test_the_job_ignores_a_space_whose_check_in_was_switched_off(
    booking, door_space, facilities_manager
):
    check_in_settings_set(
        space=door_space, actor=facilities_manager, required=False, grace_minutes=15
    )

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert bookings_release_no_shows() == 0


def test_the_job_ignores_pending_requests(door_space, requester, frozen_clock):
    door_space.instant_confirmation = False
    door_space.save(update_fields=["instant_confirmation"])
    pending = booking_request_for(space=door_space, requested_by=requester, start=START, end=END)

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert bookings_release_no_shows() == 0

    assert _row(pending).no_show_at is None


def test_the_job_run_twice_releases_once(
    booking, door_space, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(START + timedelta(minutes=16), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = bookings_release_no_shows()
    with (
        time_machine.travel(START + timedelta(minutes=21), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = bookings_release_no_shows()

    assert (first, second) == (1, 0)
    assert _row(booking).end == START + timedelta(minutes=20)
    assert _summary(door_space) == timedelta(minutes=20)
    assert len(mailoutbox) == 1


def test_a_date_that_ended_before_the_job_ran_is_only_marked(booking, door_space):
    with time_machine.travel(END + timedelta(hours=1), tick=False):
        assert bookings_release_no_shows() == 1

    row = _row(booking)
    assert (row.end, row.booked_end) == (END, None)
    assert row.no_show_at is not None
    assert _summary(door_space) == timedelta(hours=4)


def test_check_in_after_the_release_says_it_is_too_late(booking, requester):
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        bookings_release_no_shows()
        with pytest.raises(CheckInClosed) as error:
            booking_check_in(booking=booking, actor=requester)

    assert "Trop tard" in error.value.message() or "Too late" in error.value.message()


def test_the_released_part_gives_its_equipment_back(door_space, requester, site):
    chairs = Equipment.objects.create(site=site, name="Chaises", stock=10)
    with time_machine.travel(paris(2027, 1, 4, 9), tick=False):
        booked = booking_request_for(
            space=door_space,
            requested_by=requester,
            start=START,
            end=END,
            equipment=((chairs.pk, 10),),
        )
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        bookings_release_no_shows()

    use = EquipmentUse.objects.get(booking=booked)
    assert use.occupancy.blocked_until == START + timedelta(minutes=20)


# --- The freed part can be booked (the constraint on PostgreSQL, the check on SQLite) ---


def test_the_released_part_can_be_booked_by_another_structure(booking, door_space, other_requester):
    with (
        time_machine.travel(START + timedelta(minutes=5), tick=False),
        pytest.raises(BookingConflict),
    ):
        booking_request_for(
            space=door_space,
            requested_by=other_requester,
            start=START + timedelta(minutes=30),
            end=END,
        )

    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        bookings_release_no_shows()
        taken = booking_request_for(
            space=door_space,
            requested_by=other_requester,
            start=START + timedelta(minutes=20),
            end=END,
        )

    assert taken.status == BookingStatus.CONFIRMED
    assert Occupancy.objects.filter(space=door_space, active=True).count() == 2


# --- Races (PostgreSQL: real row locks) ---

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real row locks"
)


def _at_once(count: int, action) -> list:
    barrier = threading.Barrier(count)

    def attempt(index: int):
        barrier.wait()
        try:
            return action(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(attempt, range(count)))


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_release_a_date_once(booking, door_space):
    moment = START + timedelta(minutes=16)

    released = _at_once(4, lambda _index: bookings_release_no_shows(now=moment))

    assert sum(released) == 1
    assert _row(booking).end == START + timedelta(minutes=20)
    assert _summary(door_space) == timedelta(minutes=20)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_in_and_the_job_at_once_one_wins(booking, requester):
    moment = START + timedelta(minutes=15)  # the check-in's window has just closed for it…

    def act(index: int) -> str:
        if index == 0:
            return f"released {bookings_release_no_shows(now=moment)}"
        try:
            booking_check_in(booking=booking, actor=requester, now=moment - timedelta(seconds=1))
        except CheckInClosed:
            return "too late"
        return "checked in"

    outcome = sorted(_at_once(2, act))

    row = _row(booking)
    assert outcome in (["checked in", "released 0"], ["released 1", "too late"])
    assert (row.checked_in_at is None) != (row.no_show_at is None)


def test_a_series_checks_in_the_date_whose_window_is_open(door_space, requester, frozen_clock):
    series = booking_request_for(
        space=door_space,
        requested_by=requester,
        start=START,
        end=END,
        frequency=Frequency.WEEKLY,
        repeat_count=2,
    )
    second = START + timedelta(weeks=1)
    with time_machine.travel(START, tick=False):
        booking_check_in(booking=series, actor=requester)

    with time_machine.travel(second - timedelta(hours=1), tick=False), pytest.raises(CheckInClosed):
        booking_check_in(booking=series, actor=requester)
    with time_machine.travel(second, tick=False):
        row = booking_check_in(booking=series, actor=requester)

    assert row.start == second
    assert series.occupancies.filter(checked_in_at__isnull=False).count() == 2


# --- Follow-ups: a manager's word on a date, the freed part offered to the line ---

RELEASED = START + timedelta(minutes=20)  # where the job cuts the date at START + 16 minutes


def _released(booking) -> Occupancy:
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        assert bookings_release_no_shows() == 1
    return _row(booking)


def test_a_manager_records_the_arrival_and_the_job_leaves_the_date(booking, facilities_manager):
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        row = booking_arrival_record(
            booking=booking, actor=facilities_manager, occurrence_start=START
        )
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert bookings_release_no_shows() == 0

    assert (row.checked_in_at, row.checked_in_by) == (
        START + timedelta(minutes=10),
        facilities_manager,
    )
    entry = BookingLog.objects.filter(booking=booking).latest("pk")
    assert (entry.actor, entry.occurrence_start) == (facilities_manager, START)
    assert _row(booking).end == END


def test_only_an_impartial_manager_records_an_arrival(booking, requester, outsider, site):
    member_manager = MembershipFactory(organisation=booking.organisation).user
    site.managers.add(member_manager)

    with time_machine.travel(START, tick=False):
        for user, refusal in (
            (outsider, PermissionDenied),
            (requester, DecisionNotAllowed),
            (member_manager, ConflictOfInterest),
        ):
            with pytest.raises(refusal):
                booking_arrival_record(booking=booking, actor=user, occurrence_start=START)
            with pytest.raises(refusal):
                booking_no_show_undo(booking=booking, actor=user, occurrence_start=START)

    assert _row(booking).checked_in_at is None


def test_an_arrival_on_a_no_show_date_asks_to_cancel_the_no_show(booking, facilities_manager):
    _released(booking)

    with (
        time_machine.travel(START + timedelta(minutes=30), tick=False),
        pytest.raises(CheckInClosed) as error,
    ):
        booking_arrival_record(booking=booking, actor=facilities_manager, occurrence_start=START)

    assert "annulez plutôt l’absence" in error.value.message()


def test_cancelling_a_no_show_takes_the_free_time_back(
    booking, door_space, facilities_manager, site
):
    chairs = Equipment.objects.create(site=site, name="Chaises", stock=10)
    EquipmentUse.objects.create(
        equipment=chairs, occupancy=_row(booking), booking=booking, quantity=4
    )
    _released(booking)
    assert _summary(door_space) == timedelta(minutes=20)

    with time_machine.travel(START + timedelta(minutes=40), tick=False):
        undone = booking_no_show_undo(
            booking=booking, actor=facilities_manager, occurrence_start=START
        )

    row = _row(booking)
    assert (undone.released, undone.taken_back) == (True, True)
    assert (row.end, row.blocked_until, row.booked_end, row.no_show_at) == (END, END, None, None)
    assert row.checked_in_by == facilities_manager
    assert EquipmentUse.objects.get(booking=booking).occupancy.blocked_until == END
    assert _summary(door_space) == timedelta(hours=4)
    occupancy_summary_rebuild()
    assert _summary(door_space) == timedelta(hours=4)
    assert (
        no_shows_by_organisation(
            organisation_ids=[booking.organisation_id], now=START + timedelta(days=1)
        )
        == {}
    )
    assert BookingLog.objects.latest("pk").reason.startswith("L’absence est annulée")
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert bookings_release_no_shows() == 0  # not marked again


def test_cancelling_a_no_show_whose_time_was_booked_keeps_the_row_short(
    booking, door_space, facilities_manager, other_requester
):
    _released(booking)
    with time_machine.travel(START + timedelta(minutes=17), tick=False):
        booking_request_for(space=door_space, requested_by=other_requester, start=RELEASED, end=END)

    with time_machine.travel(START + timedelta(minutes=40), tick=False):
        undone = booking_no_show_undo(
            booking=booking, actor=facilities_manager, occurrence_start=START
        )

    row = _row(booking)
    assert (undone.released, undone.taken_back) == (True, False)
    assert "réservé entre-temps" in undone.message
    assert (row.end, row.booked_end, row.no_show_at) == (RELEASED, END, None)
    assert row.checked_in_at is not None
    occupancy_summary_rebuild()
    assert _summary(door_space) == timedelta(minutes=20) + (END - RELEASED)


def test_cancelling_a_no_show_whose_equipment_was_lent_keeps_the_row_short(
    booking, door_space, facilities_manager, other_requester, site
):
    chairs = Equipment.objects.create(site=site, name="Chaises", stock=10)
    EquipmentUse.objects.create(
        equipment=chairs, occupancy=_row(booking), booking=booking, quantity=6
    )
    _released(booking)
    other_room = SpaceFactory(
        site=site, name="Salle Arbed", instant_confirmation=True, min_notice_hours=0
    )
    with time_machine.travel(START + timedelta(minutes=17), tick=False):
        booking_request_for(
            space=other_room,
            requested_by=other_requester,
            start=RELEASED,
            end=END,
            equipment=((chairs.pk, 5),),
        )

    with time_machine.travel(START + timedelta(minutes=40), tick=False):
        undone = booking_no_show_undo(
            booking=booking, actor=facilities_manager, occurrence_start=START
        )

    assert (undone.taken_back, _row(booking).end) == (False, RELEASED)
    assert "Chaises" in undone.message


def test_a_released_slot_is_offered_to_the_line_after_commit(
    booking, door_space, other_requester, django_capture_on_commit_callbacks
):
    wait = slot_wait_join(
        space=door_space,
        organisation=other_requester.memberships.first().organisation,
        period=Period(RELEASED, END),
        purpose="Atelier vélo",
        attendees=8,
        requested_by=other_requester,
    )

    with (
        time_machine.travel(START + timedelta(minutes=16), tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        bookings_release_no_shows()

    assert callbacks  # the offer job, not the periodic one
    wait.refresh_from_db()
    assert wait.status == SlotWaitStatus.OFFERED


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_an_undo_and_a_request_for_the_freed_part_at_once_one_holds_it(
    booking, door_space, facilities_manager, other_requester
):
    _released(booking)

    def act(index: int) -> str:
        if index == 0:
            undone = booking_no_show_undo(
                booking=booking, actor=facilities_manager, occurrence_start=START
            )
            return f"undo {undone.taken_back}"
        try:
            booking_request_for(
                space=door_space, requested_by=other_requester, start=RELEASED, end=END
            )
        except BookingConflict:
            return "conflict"
        return "booked"

    with time_machine.travel(START + timedelta(minutes=17), tick=False):
        outcome = sorted(_at_once(2, act))

    assert outcome in (["booked", "undo False"], ["conflict", "undo True"])
    holders = Occupancy.objects.filter(
        space=door_space, active=True, start__lt=END, blocked_until__gt=RELEASED
    )
    assert holders.count() == 1
