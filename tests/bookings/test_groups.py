"""Several rooms at once (issue 16): one request for rooms of one site, all or nothing, one
answer listing every clash of every room, decided together or room by room, one message for
the group. The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.exceptions import DecisionNotAllowed
from accounts.models import Notification
from bookings import signals
from bookings.exceptions import BookingConflict, ConditionsUnmet
from bookings.models import (
    Booking,
    BookingGroup,
    BookingQuota,
    BookingStatus,
    Equipment,
    EquipmentUse,
    Occupancy,
)
from bookings.rules import Period
from bookings.services import BookingRequest, booking_approve, booking_cancel, booking_refuse
from bookings.services.groups import (
    booking_group_approve,
    booking_group_cancel,
    booking_group_refuse,
    booking_request_several,
)
from core.models import OutboxMail
from tests.factories import SpaceFactory, booking_request_for, paris
from tests.helpers import race, requesters

pytestmark = pytest.mark.usefixtures("frozen_clock")

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)


def _request(organisation, **fields) -> BookingRequest:
    return BookingRequest(
        space=0,
        organisation=organisation,
        purpose=fields.pop("purpose", "Forum des associations"),
        attendees=fields.pop("attendees", 10),
        first=Period(fields.pop("start", START), fields.pop("end", END)),
        **fields,
    )


def _several(user, rooms, **fields) -> BookingGroup:
    return booking_request_several(
        request=_request(user.memberships.first().organisation, **fields),
        spaces=[room.pk for room in rooms],
        requested_by=user,
    )


@pytest.fixture
def hall(site):
    return SpaceFactory(site=site, name="Grande salle", instant_confirmation=False)


@pytest.fixture
def kitchen(site):
    return SpaceFactory(site=site, name="Cuisine", instant_confirmation=False)


@pytest.fixture
def annex(site):
    return SpaceFactory(site=site, name="Salle annexe", instant_confirmation=False)


@pytest.mark.django_db
def test_a_group_request_books_every_room_in_one_group(hall, kitchen, annex, requester):
    group = _several(requester, [hall, kitchen, annex])

    bookings = list(group.bookings.order_by("pk"))
    assert [booking.space for booking in bookings] == [hall, kitchen, annex]
    assert {booking.status for booking in bookings} == {BookingStatus.PENDING}
    assert Occupancy.objects.filter(booking__group=group, active=True).count() == 3


@pytest.mark.django_db
def test_one_clash_books_nothing_and_the_answer_lists_every_clash_of_every_room(
    hall, kitchen, annex, requester, other_requester
):
    booking_request_for(space=kitchen, requested_by=other_requester, start=START, end=END)
    booking_request_for(
        space=annex, requested_by=other_requester, start=paris(2027, 1, 12, 19), end=END
    )

    with pytest.raises(BookingConflict) as refused:
        _several(requester, [hall, kitchen, annex])

    assert refused.value.spaces == [kitchen.pk, annex.pk]
    assert [occupied for _requested, occupied in refused.value.clashes] == [
        Period(START, END),
        Period(paris(2027, 1, 12, 19), END),
    ]
    assert refused.value.reasons[0].startswith("Cuisine : ")
    assert refused.value.reasons[1].startswith("Salle annexe : ")
    assert "Cuisine, Salle annexe" in str(refused.value.message)
    assert not BookingGroup.objects.exists()
    assert not Booking.objects.filter(space=hall).exists()


@pytest.mark.django_db
def test_a_room_chosen_twice_is_refused(hall, kitchen, requester):
    with pytest.raises(ValidationError) as refused:
        _several(requester, [hall, kitchen, hall])

    assert "spaces" in refused.value.message_dict
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_rooms_of_two_buildings_are_refused(hall, other_site, requester):
    elsewhere = SpaceFactory(site=other_site)

    with pytest.raises(ValidationError) as refused:
        _several(requester, [hall, elsewhere])

    assert refused.value.message_dict["spaces"] == [
        "Les salles demandées ensemble doivent être dans le même bâtiment."
    ]
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_one_room_or_more_than_ten_are_refused(site, hall, requester):
    rooms = [SpaceFactory(site=site) for _ in range(11)]

    for chosen in ([hall], rooms):
        with pytest.raises(ValidationError):
            _several(requester, chosen)

    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_a_room_refused_by_its_rules_names_it_and_books_nothing(hall, kitchen, requester):
    kitchen.min_booking_minutes = 180
    kitchen.save()

    with pytest.raises(ValidationError) as refused:
        _several(requester, [hall, kitchen])

    assert refused.value.message_dict["end"] == [
        "Cuisine : Ici, une réservation dure au moins 180 minutes."
    ]
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_the_first_room_holds_the_attendees_and_a_small_one_beside_it_its_own(
    hall, kitchen, requester
):
    kitchen.capacity = 6
    kitchen.save()

    group = _several(requester, [hall, kitchen], attendees=15)

    assert list(group.bookings.order_by("pk").values_list("attendees", flat=True)) == [15, 6]
    with pytest.raises(ValidationError) as refused:
        _several(
            requester,
            [kitchen, hall],
            attendees=15,
            start=paris(2027, 1, 13, 18),
            end=paris(2027, 1, 13, 20),
        )
    assert "attendees" in refused.value.message_dict


@pytest.mark.django_db
def test_the_equipment_goes_with_the_first_room(site, hall, kitchen, requester):
    chairs = Equipment.objects.create(site=site, name="Chaises", stock=50)

    group = _several(requester, [kitchen, hall], equipment=((chairs.pk, 30),))

    use = EquipmentUse.objects.get()
    assert use.booking.space == kitchen
    assert use.booking.group == group


@pytest.mark.django_db
def test_the_quota_counts_the_hours_of_every_room(site, hall, kitchen, requester, commune_staff):
    BookingQuota.objects.create(site=site, max_hours_per_week=3)

    with pytest.raises(ValidationError) as refused:
        _several(requester, [hall, kitchen])  # 2 h + 2 h

    assert "Quota" in " ".join(refused.value.messages)
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_one_message_for_the_group_to_the_structure_and_to_the_managers(
    hall, kitchen, requester, facilities_manager
):
    _several(requester, [hall, kitchen])

    subjects = sorted(OutboxMail.objects.values_list("subject", flat=True))
    assert subjects == [
        "[Locaux Communs] Demande de 2 salles à traiter — Les Grands Bureaux",
        "[Locaux Communs] Demande de réservation de 2 salles reçue — Les Grands Bureaux",
    ]
    body = next(row.body for row in OutboxMail.objects.all() if requester.email in row.recipients)
    assert "- Grande salle : en attente de validation (" in body
    assert "- Cuisine : en attente de validation (" in body
    assert Notification.objects.filter(user=requester).count() == 1


@pytest.mark.django_db
def test_approve_all_confirms_every_pending_room_with_one_message(
    hall, kitchen, requester, facilities_manager
):
    group = _several(requester, [hall, kitchen])
    OutboxMail.objects.all().delete()

    approved = booking_group_approve(group=group, actor=facilities_manager)

    assert approved == 2
    assert set(group.bookings.values_list("status", flat=True)) == {BookingStatus.CONFIRMED}
    assert list(OutboxMail.objects.values_list("subject", flat=True)) == [
        "[Locaux Communs] 2 salles acceptées — Les Grands Bureaux"
    ]


@pytest.mark.django_db
def test_rooms_are_still_decided_one_by_one_and_the_structure_may_cancel_the_rest(
    hall, kitchen, requester, facilities_manager
):
    group = _several(requester, [hall, kitchen])
    first, second = group.bookings.order_by("pk")

    booking_approve(booking=first, actor=facilities_manager)
    booking_group_refuse(group=group, actor=facilities_manager, reason="Cuisine en travaux")
    booking_cancel(booking=first, actor=requester, reason="Sans cuisine, pas de repas")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (BookingStatus.CANCELLED, BookingStatus.REFUSED)


@pytest.mark.django_db
def test_approve_all_is_refused_to_the_requester_and_to_outsiders(
    hall, kitchen, requester, outsider
):
    group = _several(requester, [hall, kitchen])

    for actor in (requester, outsider):
        with pytest.raises(PermissionDenied):
            booking_group_approve(group=group, actor=actor)

    assert set(group.bookings.values_list("status", flat=True)) == {BookingStatus.PENDING}


@pytest.mark.django_db
def test_approve_all_approves_none_when_one_room_awaits_a_file(
    hall, kitchen, requester, facilities_manager
):
    kitchen.insurance_required = True
    kitchen.save()
    group = _several(requester, [hall, kitchen])

    with pytest.raises(ConditionsUnmet):
        booking_group_approve(group=group, actor=facilities_manager)

    assert set(group.bookings.values_list("status", flat=True)) == {BookingStatus.PENDING}


# --- Concurrency ---


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: row locks (select_for_update)"
)
@pytest.mark.django_db(transaction=True)
def test_two_groups_overlapping_on_one_room_exactly_one_wins_and_never_half(site):
    rooms = [SpaceFactory(site=site, instant_confirmation=False) for _ in range(5)]
    first, second = requesters(2)
    # Overlapping on rooms[2] only.
    wanted = {first: rooms[:3], second: rooms[2:]}

    outcomes = race(
        [lambda user=user: _several(user, wanted[user]) and "booked" for user in wanted]
    )

    assert outcomes == Counter({"booked": 1, "BookingConflict": 1})
    group = BookingGroup.objects.get()
    assert group.bookings.count() == 3
    assert Booking.objects.count() == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: row locks (select_for_update)"
)
@pytest.mark.django_db(transaction=True)
def test_groups_naming_their_rooms_in_opposite_orders_do_not_deadlock(site):
    rooms = [SpaceFactory(site=site, instant_confirmation=False) for _ in range(4)]
    users = requesters(6)
    # Same rooms, opposite orders, different times for each pair: without the rooms locked in
    # id order first, two of them would each hold one room and wait for the other's.
    attempts = []
    for n, user in enumerate(users):
        ordered = rooms if n % 2 else list(reversed(rooms))
        hour = 8 + 2 * (n // 2)
        attempts.append(
            lambda user=user, ordered=ordered, hour=hour: (
                _several(
                    user, ordered, start=paris(2027, 1, 12, hour), end=paris(2027, 1, 12, hour + 1)
                )
                and "booked"
            )
        )

    outcomes = race(attempts)

    assert outcomes == Counter({"booked": 3, "BookingConflict": 3})
    assert Booking.objects.count() == 12


@pytest.mark.django_db(transaction=True)
def test_two_groups_overlapping_on_one_room_on_sqlite_too(site):
    # The same race as above, whatever the database: SQLite's IMMEDIATE transactions
    # serialise the writers, PostgreSQL's row locks do the same.
    rooms = [SpaceFactory(site=site, instant_confirmation=False) for _ in range(3)]
    first, second = requesters(2)
    wanted = {first: rooms[:2], second: rooms[1:]}

    outcomes = race(
        [lambda user=user: _several(user, wanted[user]) and "booked" for user in wanted]
    )

    assert outcomes == Counter({"booked": 1, "BookingConflict": 1})
    assert Booking.objects.count() == 2


@pytest.mark.django_db
def test_the_group_message_is_in_the_requesters_language(hall, kitchen, requester):
    requester.language = "en"
    requester.save()

    _several(requester, [hall, kitchen])

    row = next(row for row in OutboxMail.objects.all() if requester.email in row.recipients)
    assert (
        row.subject == "[Locaux Communs] Booking request for 2 rooms received — Les Grands Bureaux"
    )
    assert "- Cuisine: awaiting approval (" in row.body


# --- Cancel all (the group's page, POST /booking-groups/{id}/cancel/) ---


def _statuses(group) -> list[str]:
    return list(group.bookings.order_by("pk").values_list("status", flat=True))


@pytest.mark.django_db
def test_cancel_all_frees_every_booked_room_skips_the_refused_and_tells_once(
    hall, kitchen, annex, requester, facilities_manager, django_capture_on_commit_callbacks
):
    group = _several(requester, [hall, kitchen, annex])
    first, _second, third = group.bookings.order_by("pk")
    booking_approve(booking=first, actor=facilities_manager)
    booking_refuse(booking=third, actor=facilities_manager, reason="Salle annexe en travaux")
    OutboxMail.objects.all().delete()
    refunds_asked = []

    def refund(sender, booking_id, whole, as_manager, **kwargs):
        refunds_asked.append((booking_id, whole, as_manager))

    signals.booking_cancelled.connect(refund, dispatch_uid="test_group_cancel")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            cancelled = booking_group_cancel(
                group=group, actor=facilities_manager, reason="Dégât des eaux"
            )
    finally:
        signals.booking_cancelled.disconnect(dispatch_uid="test_group_cancel")

    assert cancelled == 2
    assert _statuses(group) == [
        BookingStatus.CANCELLED,
        BookingStatus.CANCELLED,
        BookingStatus.REFUSED,
    ]
    assert not Occupancy.objects.filter(booking__group=group, active=True).exists()
    # payments refunds each room on this signal (payments.receivers), on the manager's terms.
    assert sorted(refunds_asked) == [(first.pk, True, True), (_second.pk, True, True)]
    mails = list(OutboxMail.objects.all())
    assert [mail.subject for mail in mails] == [
        "[Locaux Communs] 2 salles annulées — Les Grands Bureaux"
    ]
    assert "- Cuisine : annulée (" in mails[0].body
    assert "Salle annexe" not in mails[0].body


@pytest.mark.django_db
def test_the_structure_cancels_all_and_the_managers_hear_of_it_once(
    hall, kitchen, requester, facilities_manager
):
    group = _several(requester, [hall, kitchen])
    OutboxMail.objects.all().delete()

    booking_group_cancel(group=group, actor=requester, reason="Repas reporté")

    assert _statuses(group) == [BookingStatus.CANCELLED] * 2
    assert sorted(OutboxMail.objects.values_list("subject", flat=True)) == [
        "[Locaux Communs] 2 salles annulées par la structure — Les Grands Bureaux",
        "[Locaux Communs] 2 salles annulées — Les Grands Bureaux",
    ]


@pytest.mark.django_db
def test_cancel_all_cancels_none_when_one_room_is_past_its_notice(hall, kitchen, requester):
    kitchen.cancellation_notice_hours = 24 * 30
    kitchen.save()
    group = _several(requester, [hall, kitchen])

    with pytest.raises(ValidationError) as refused:
        booking_group_cancel(group=group, actor=requester, reason="Repas reporté")

    assert any(message.startswith("Cuisine : ") for message in refused.value.messages)
    assert _statuses(group) == [BookingStatus.PENDING] * 2
    assert Occupancy.objects.filter(booking__group=group, active=True).count() == 2


@pytest.mark.django_db
def test_cancel_all_is_refused_to_outsiders_and_to_a_manager_of_one_room_only(
    hall, kitchen, other_site, requester, other_requester, facilities_manager
):
    group = _several(requester, [hall, kitchen])
    # The kitchen moved to another building since: its manager is not this one.
    kitchen.site = other_site
    kitchen.save()

    with pytest.raises(PermissionDenied) as outsider:
        booking_group_cancel(group=group, actor=other_requester, reason="Non")
    with pytest.raises(DecisionNotAllowed):
        booking_group_cancel(group=group, actor=facilities_manager, reason="Non")

    assert not isinstance(outsider.value, DecisionNotAllowed)  # a 404, not a 403
    assert _statuses(group) == [BookingStatus.PENDING] * 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: row locks (select_for_update)"
)
@pytest.mark.django_db(transaction=True)
def test_cancel_all_against_approve_all_never_leaves_half_a_group(site, facilities_manager):
    rooms = [SpaceFactory(site=site, instant_confirmation=False) for _ in range(3)]
    (member,) = requesters(1)
    for _ in range(3):
        group = _several(member, rooms)

        outcomes = race(
            [
                lambda group=group: (
                    booking_group_cancel(group=group, actor=member, reason="Non") and "cancelled"
                ),
                lambda group=group: (
                    booking_group_approve(group=group, actor=facilities_manager) and "approved"
                ),
            ]
        )

        # Approved then cancelled, or cancelled first (approve-all then finds nothing pending,
        # or the rooms cancelled under it and approves none): every room cancelled, each once.
        assert outcomes["cancelled"] == 1
        assert outcomes["approved"] + outcomes["InvalidTransition"] + outcomes[False] == 1
        assert _statuses(group) == [BookingStatus.CANCELLED] * 3
        assert not Occupancy.objects.filter(booking__group=group, active=True).exists()
