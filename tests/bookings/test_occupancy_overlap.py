"""The overlap selector (`bookings.selectors.overlap`) and the Occupancy writer
(`bookings.services.occupancy`): buffers on both sides, the caller's own rows, series, and the
refusal by the PostgreSQL exclusion constraint turned into a conflict naming what it hit."""

from datetime import date, timedelta

import pytest
from django.db import connection

from accounts.actors import PLATFORM
from bookings.allocations import allocation_end
from bookings.exceptions import BookingConflict
from bookings.models import Occupancy, OccupancyKind
from bookings.rules import Period
from bookings.selectors import occupancies_overlapping, occupancy_clashes
from bookings.services import booking_cancel
from bookings.services.occupancy import occupancies_book
from tests.factories import agreement_signed, booking_request_for, paris

pytestmark = pytest.mark.usefixtures("frozen_clock")

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
HOUR, WEEK = timedelta(hours=1), timedelta(weeks=1)


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def test_occupancies_overlapping_counts_the_buffer_after_a_row(space, requester):
    space.buffer_minutes = 30
    space.save()
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    within_buffer = Period(END + _minutes(15), END + HOUR)

    assert list(occupancies_overlapping(spaces=space, periods=within_buffer)) == list(
        booking.occupancies.all()
    )
    # What a calendar shows: the time of use, without the buffer.
    assert not occupancies_overlapping(spaces=space, periods=within_buffer, buffers=False).exists()
    after_buffer = Period(END + _minutes(30), END + HOUR)
    assert not occupancies_overlapping(spaces=space, periods=after_buffer).exists()


def test_occupancies_overlapping_counts_the_buffer_of_the_period_asked(space, requester):
    booking_request_for(space=space, requested_by=requester, start=START, end=END)
    before = Period(START - HOUR, START - _minutes(10))

    assert not occupancies_overlapping(spaces=space, periods=before).exists()
    # Back to back once its buffer is added: end exclusive.
    assert not occupancies_overlapping(spaces=space, periods=before, buffer=_minutes(10)).exists()
    assert occupancies_overlapping(spaces=space, periods=before, buffer=_minutes(15)).exists()


def test_occupancies_overlapping_leaves_out_the_callers_own_and_inactive_rows(space, requester):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    asked = Period(START + HOUR, END + HOUR)

    assert occupancies_overlapping(spaces=[space], periods=asked).exists()
    assert not occupancies_overlapping(
        spaces=space, periods=asked, exclude_booking=booking
    ).exists()
    assert occupancies_overlapping(spaces=space.site.spaces.all(), periods=asked).exists()
    booking_cancel(booking=booking, actor=requester, reason="Annulé")
    assert not occupancies_overlapping(spaces=space, periods=asked).exists()


def test_occupancies_overlapping_of_a_series_finds_only_the_dates_it_hits(space, requester):
    booking_request_for(space=space, requested_by=requester, start=START, end=END)
    week_before = Period(START - WEEK, END - WEEK)
    week_after = Period(START + WEEK, END + WEEK)
    hitting = Period(START + HOUR, END + HOUR)

    # The envelope of the two dates covers the booking; neither date does.
    assert not occupancies_overlapping(spaces=space, periods=[week_before, week_after]).exists()
    assert occupancy_clashes(space=space, periods=[week_before, hitting, week_after]) == [
        (hitting, Period(START, END))
    ]
    assert occupancies_overlapping(spaces=space, periods=[]).count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's"
)
def test_occupancies_book_turns_the_constraints_refusal_into_a_conflict_naming_the_clash(
    space, requester
):
    booking_request_for(space=space, requested_by=requester, start=START, end=END)
    other = booking_request_for(
        space=space, requested_by=requester, start=START + WEEK, end=END + WEEK
    )
    asked = Period(START + HOUR, END + HOUR)

    # Straight to the writer, as a writer that skipped the check and the space lock would.
    with pytest.raises(BookingConflict) as caught:
        occupancies_book(booking=other, periods=[asked])

    assert caught.value.clashes == [(asked, Period(START, END))]
    assert Occupancy.objects.filter(space=space).count() == 2  # the transaction goes on


def test_agreement_rows_carry_no_buffer_even_on_a_space_with_one(office, verified, occupant):
    """Why an offer may compare agreement rows by their end: it is their blocked_until."""
    office.buffer_minutes = 60
    office.save()
    allocation = agreement_signed(
        actor=occupant,
        structure=verified,
        spaces=[office],
        start=date(2027, 2, 1),
        end=date(2028, 2, 1),
    )
    rows = Occupancy.objects.filter(kind=OccupancyKind.ALLOCATION, allocation=allocation)
    assert [(row.end, row.blocked_until) for row in rows] == [(paris(2028, 2, 1),) * 2]

    allocation_end(allocation=allocation, actor=PLATFORM, reason="Départ", on=date(2027, 6, 1))

    assert [(row.end, row.blocked_until) for row in rows.filter(active=True)] == [
        (paris(2027, 6, 1),) * 2
    ]
