"""Changing a booking instead of cancelling and booking again (issue 16): the service
`booking_reschedule`, on both databases, and its race on PostgreSQL."""

from datetime import UTC

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import Notification
from bookings.exceptions import BookingConflict
from bookings.models import (
    Booking,
    BookingLog,
    BookingQuota,
    BookingStatus,
    Equipment,
    EquipmentUse,
    Occupancy,
)
from bookings.rules import Period
from bookings.services import BookingChange, booking_approve, booking_reschedule
from core.models import OutboxMail
from spaces.models import ChangeApproval
from tests.factories import SpaceFactory, booking_request_for, paris
from tests.helpers import race, requesters

pytestmark = pytest.mark.usefixtures("frozen_clock")

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)
LATER = Period(paris(2027, 1, 14, 18), paris(2027, 1, 14, 20))


def _active(booking: Booking) -> list[tuple]:
    return list(
        Occupancy.objects.filter(booking=booking, active=True).values_list("space_id", "start")
    )


def _confirmed(space, requester, manager, start=START, end=END) -> Booking:
    booking = booking_request_for(space=space, requested_by=requester, start=start, end=end)
    booking_approve(booking=booking, actor=manager)
    booking.refresh_from_db()
    return booking


@pytest.mark.django_db
def test_booking_reschedule_moves_the_slot_and_frees_the_old_one(space, requester):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)

    booking.refresh_from_db()
    assert (booking.start, booking.end, _active(booking)) == (
        LATER.start,
        LATER.end,
        [(space.pk, LATER.start)],
    )


@pytest.mark.django_db
def test_booking_reschedule_may_overlap_its_own_old_slot(space, requester):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    shifted = Period(paris(2027, 1, 12, 19), paris(2027, 1, 12, 21))

    booking_reschedule(booking=booking, change=BookingChange(period=shifted), actor=requester)

    assert _active(booking) == [(space.pk, shifted.start)]


@pytest.mark.django_db
def test_booking_reschedule_onto_a_taken_slot_changes_nothing(space, requester, other_requester):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    booking_request_for(space=space, requested_by=other_requester, start=LATER.start, end=LATER.end)

    with pytest.raises(BookingConflict) as caught:
        booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)

    booking.refresh_from_db()
    assert "Already booked" in caught.value.message or "Déjà réservé" in caught.value.message
    assert (booking.start, _active(booking), booking.log.count()) == (
        START,
        [(space.pk, START)],
        1,
    )


@pytest.mark.django_db
def test_booking_reschedule_to_another_room_checks_that_room(site, space, requester):
    other = SpaceFactory(site=site, name="Salle Jean Macé", capacity=5)

    with pytest.raises(ValidationError) as caught:
        booking_reschedule(
            booking=booking_request_for(
                space=space, requested_by=requester, start=START, end=END, attendees=10
            ),
            change=BookingChange(space=other.pk),
            actor=requester,
        )

    assert "attendees" in caught.value.message_dict


@pytest.mark.django_db
def test_booking_reschedule_to_another_room_moves_it(site, space, requester):
    other = SpaceFactory(site=site, name="Salle Jean Macé")
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    booking_reschedule(booking=booking, change=BookingChange(space=other.pk), actor=requester)

    booking.refresh_from_db()
    assert (booking.space_id, _active(booking)) == (other.pk, [(other.pk, START)])


@pytest.mark.django_db
def test_booking_reschedule_refuses_a_date_within_the_notice(space, requester):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    tomorrow = Period(paris(2027, 1, 4, 18), paris(2027, 1, 4, 20))

    with pytest.raises(ValidationError) as caught:
        booking_reschedule(booking=booking, change=BookingChange(period=tomorrow), actor=requester)

    assert "start" in caught.value.message_dict
    assert _active(booking) == [(space.pk, START)]


@pytest.mark.django_db
def test_booking_reschedule_moves_the_equipment_checked_at_the_new_time(
    site, space, requester, other_requester
):
    chairs = Equipment.objects.create(site=site, name="Chaises", stock=10)
    booking = booking_request_for(
        space=space, requested_by=requester, start=START, end=END, equipment=((chairs.pk, 6),)
    )
    booking_request_for(
        space=SpaceFactory(site=site),
        requested_by=other_requester,
        start=LATER.start,
        end=LATER.end,
        equipment=((chairs.pk, 5),),
    )

    with pytest.raises(BookingConflict):
        booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)

    held = EquipmentUse.objects.filter(booking=booking, occupancy__active=True)
    assert list(held.values_list("quantity", "occupancy__start")) == [(6, START)]


@pytest.mark.django_db
def test_booking_reschedule_keeps_the_equipment_with_the_booking(site, space, requester):
    chairs = Equipment.objects.create(site=site, name="Chaises", stock=10)
    booking = booking_request_for(
        space=space, requested_by=requester, start=START, end=END, equipment=((chairs.pk, 6),)
    )

    booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)

    held = EquipmentUse.objects.filter(booking=booking, occupancy__active=True)
    assert list(held.values_list("quantity", "occupancy__start")) == [(6, LATER.start)]


@pytest.mark.django_db
def test_booking_reschedule_respects_the_quota_of_the_new_week(site, space, requester):
    BookingQuota.objects.create(site=site, max_hours_per_week=3)
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 20, 9),
        end=paris(2027, 1, 20, 11),
    )

    with pytest.raises(ValidationError) as caught:
        booking_reschedule(
            booking=booking,
            change=BookingChange(period=Period(paris(2027, 1, 21, 9), paris(2027, 1, 21, 11))),
            actor=requester,
        )

    assert caught.value.code == "quota"
    assert _active(booking) == [(space.pk, START)]


@pytest.mark.django_db
def test_booking_reschedule_within_the_same_week_does_not_count_the_old_slot(
    site, space, requester
):
    BookingQuota.objects.create(site=site, max_hours_per_week=3)
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)

    assert _active(booking) == [(space.pk, LATER.start)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "change", "status"),
    [
        (ChangeApproval.TIME_OR_ROOM, BookingChange(period=LATER), BookingStatus.PENDING),
        (ChangeApproval.TIME_OR_ROOM, BookingChange(attendees=12), BookingStatus.CONFIRMED),
        (ChangeApproval.ALWAYS, BookingChange(attendees=12), BookingStatus.PENDING),
        (ChangeApproval.NEVER, BookingChange(period=LATER), BookingStatus.CONFIRMED),
    ],
)
def test_booking_reschedule_asks_approval_again_as_the_space_says(
    space, requester, facilities_manager, setting, change, status
):
    space.change_approval = setting
    space.save(update_fields=["change_approval"])
    booking = _confirmed(space, requester, facilities_manager)

    booking_reschedule(booking=booking, change=change, actor=requester)

    booking.refresh_from_db()
    assert booking.status == status


@pytest.mark.django_db
def test_booking_reschedule_by_a_manager_needs_no_approval(space, requester, facilities_manager):
    booking = _confirmed(space, requester, facilities_manager)

    booking_reschedule(
        booking=booking, change=BookingChange(period=LATER), actor=facilities_manager
    )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


@pytest.mark.django_db
def test_booking_reschedule_back_to_pending_holds_the_new_slot(
    space, requester, facilities_manager
):
    booking = _confirmed(space, requester, facilities_manager)

    booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)

    booking.refresh_from_db()
    assert (booking.status, _active(booking), booking.lapses_at is not None) == (
        BookingStatus.PENDING,
        [(space.pk, LATER.start)],
        True,
    )


@pytest.mark.django_db
def test_booking_reschedule_logs_before_and_after(site, space, requester):
    other = SpaceFactory(site=site, name="Salle Jean Macé")
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    booking_reschedule(
        booking=booking,
        change=BookingChange(period=LATER, space=other.pk, reason="Salle plus calme"),
        actor=requester,
    )

    log = BookingLog.objects.filter(booking=booking).exclude(change={}).get()
    assert log.change["before"] == {
        "space": space.pk,
        "space_name": "Salle Usinor",
        "start": START.astimezone(UTC).isoformat(),
        "end": END.astimezone(UTC).isoformat(),
    }
    assert log.change["after"]["space_name"] == "Salle Jean Macé"
    assert (log.actor, log.reason) == (requester, "Salle plus calme")


@pytest.mark.django_db
def test_booking_reschedule_by_the_structure_tells_the_managers_in_french(
    space, requester, facilities_manager
):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)

    sent = OutboxMail.objects.get(about=f"booking {booking.pk}, changed_by_requester")
    assert sent.recipients == [facilities_manager.email]
    assert "Réservation modifiée par la structure" in sent.subject
    assert "Avant : Salle Usinor, le mardi 12 janvier 2027 de 18:00 à 20:00" in sent.body
    assert Notification.objects.filter(user=facilities_manager, link__contains="/").exists()


@pytest.mark.django_db
def test_booking_reschedule_by_a_manager_tells_the_structure(space, requester, facilities_manager):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    booking_reschedule(
        booking=booking, change=BookingChange(period=LATER), actor=facilities_manager
    )

    sent = OutboxMail.objects.get(about=f"booking {booking.pk}, changed")
    assert (sent.recipients, sent.subject) == (
        [requester.email],
        "[Locaux Communs] Réservation modifiée — Salle Usinor",
    )
    assert "Maintenant : Salle Usinor, le jeudi 14 janvier 2027 de 18:00 à 20:00" in sent.body


@pytest.mark.django_db
def test_booking_reschedule_by_another_structure_is_refused_as_not_found(
    space, requester, other_requester
):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    with pytest.raises(PermissionDenied):
        booking_reschedule(
            booking=booking, change=BookingChange(period=LATER), actor=other_requester
        )

    assert _active(booking) == [(space.pk, START)]


@pytest.mark.django_db
def test_booking_reschedule_to_a_room_the_manager_does_not_manage_is_refused(
    space, requester, facilities_manager, other_site
):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    with pytest.raises(ValidationError) as caught:
        booking_reschedule(
            booking=booking,
            change=BookingChange(space=SpaceFactory(site=other_site).pk),
            actor=facilities_manager,
        )

    assert "space" in caught.value.message_dict


@pytest.mark.django_db
def test_booking_reschedule_moves_no_series(space, requester):
    """A series' slot changes from a date (`booking_series_reschedule`); its attendees change
    here (tests/bookings/test_series_changes.py)."""
    booking = booking_request_for(
        space=space,
        requested_by=requester,
        start=START,
        end=END,
        frequency="weekly",
        repeat_count=3,
    )

    with pytest.raises(ValidationError):
        booking_reschedule(booking=booking, change=BookingChange(period=LATER), actor=requester)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: row locks (select_for_update)"
)
@pytest.mark.django_db(transaction=True)
def test_two_reschedules_and_a_request_racing_for_one_slot_one_wins(
    site, space, requester, other_requester
):
    """Two bookings moved to the same new slot (one within its room, one from another room)
    while a third structure requests it: exactly one gets it, and the losers keep their slots
    and status. SQLite serialises the three with IMMEDIATE transactions: the plain tests above
    check what the second and third then find."""
    third = requesters(1)[0]
    first = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    elsewhere = SpaceFactory(site=site)
    second = booking_request_for(
        space=elsewhere, requested_by=other_requester, start=START, end=END
    )

    def move(booking, actor, change):
        def attempt() -> str:
            booking_reschedule(booking=booking, change=change, actor=actor)
            return "moved"

        return attempt

    def request() -> str:
        booking_request_for(space=space, requested_by=third, start=LATER.start, end=LATER.end)
        return "booked"

    outcomes = race(
        [
            move(first, requester, BookingChange(period=LATER)),
            move(second, other_requester, BookingChange(period=LATER, space=space.pk)),
            request,
        ]
    )

    assert outcomes["BookingConflict"] == 2
    assert outcomes["moved"] + outcomes["booked"] == 1
    assert Occupancy.objects.filter(space=space, active=True, start=LATER.start).count() == 1
    kept = {
        booking.pk: (booking.space_id, booking.start, _active(booking))
        for booking in Booking.objects.filter(pk__in=[first.pk, second.pk])
    }
    losers = [pk for pk, (space_id, start, _rows) in kept.items() if start == START]
    assert len(losers) == 2 - outcomes["moved"]
    for pk in losers:
        space_id, _start, rows = kept[pk]
        assert rows == [(space_id, START)]


@pytest.mark.django_db
def test_booking_reschedule_to_a_room_with_house_rules_wants_them_accepted(site, space, requester):
    strict = SpaceFactory(site=site, name="Salle des fêtes", house_rules="Pas de musique.")
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    with pytest.raises(ValidationError) as caught:
        booking_reschedule(booking=booking, change=BookingChange(space=strict.pk), actor=requester)
    booking_reschedule(
        booking=booking,
        change=BookingChange(space=strict.pk, house_rules_accepted=True),
        actor=requester,
    )

    booking.refresh_from_db()
    assert "house_rules_accepted" in caught.value.message_dict
    assert (booking.space_id, booking.house_rules_accepted_at is not None) == (strict.pk, True)


@pytest.mark.django_db
def test_booking_reschedule_by_a_manager_may_come_within_the_notice(
    space, requester, facilities_manager
):
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)
    tonight = Period(paris(2027, 1, 4, 18), paris(2027, 1, 4, 20))

    booking_reschedule(
        booking=booking, change=BookingChange(period=tonight), actor=facilities_manager
    )

    assert _active(booking) == [(space.pk, tonight.start)]
