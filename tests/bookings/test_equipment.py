"""Equipment with quantities (issue 16): the stock is never exceeded, at any moment, on every
date of a series and over the space's buffer; what frees a date frees its equipment; the stock
is not lowered below what is booked. The 50-way race is in test_equipment_race.py.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bookings.exceptions import BookingConflict
from bookings.models import Booking, Equipment, EquipmentUse, Frequency
from bookings.selectors.equipment import booking_equipment, equipment_offered
from bookings.services import (
    booking_approve,
    booking_cancel,
    booking_refuse,
    bookings_expire_lapsed,
)
from bookings.services.equipment import equipment_create, equipment_peak, equipment_update
from tests.factories import SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)


@pytest.fixture
def chairs(site):
    return Equipment.objects.create(site=site, name="Chaises", stock=50)


@pytest.fixture
def projector(site):
    return Equipment.objects.create(site=site, name="Vidéoprojecteur", stock=1)


@pytest.fixture
def hall(site):
    """A second room of the same site: its bookings share the site's equipment."""
    return SpaceFactory(site=site, name="Salle des fêtes")


def _book(space, user, *equipment, start=START, end=END, **extra) -> Booking:
    return booking_request_for(
        space=space,
        requested_by=user,
        start=start,
        end=end,
        equipment=tuple((item.pk, quantity) for item, quantity in equipment),
        **extra,
    )


def _held(item: Equipment) -> int:
    return sum(
        EquipmentUse.objects.filter(equipment=item, occupancy__active=True).values_list(
            "quantity", flat=True
        )
    )


# --- The sweep ---


def test_equipment_peak_adds_only_uses_that_overlap_each_other():
    a, b, c, d = (paris(2027, 1, 12, hour) for hour in (10, 12, 14, 16))
    # 10–12 and 12–14 never meet (half-open); 11–15 meets both.
    uses = [(a, b, 30), (b, c, 30), (a + timedelta(hours=1), d - timedelta(hours=1), 15)]

    assert equipment_peak(uses, a, d)[0] == 45
    assert equipment_peak(uses, c, d) == (15, c)
    assert equipment_peak([], a, d) == (0, None)


# --- Requests ---


def test_booking_request_holds_the_equipment_on_the_booking(space, requester, chairs, projector):
    booking = _book(space, requester, (chairs, 20), (projector, 1))

    assert booking_equipment(booking=booking) == [
        {"id": chairs.pk, "name": "Chaises", "quantity": 20},
        {"id": projector.pk, "name": "Vidéoprojecteur", "quantity": 1},
    ]
    assert booking.equipment_booked == booking_equipment(booking=booking)


def test_booking_request_refuses_more_than_the_stock_left_at_that_time(
    space, hall, requester, other_requester, chairs
):
    _book(space, requester, (chairs, 40))

    with pytest.raises(BookingConflict) as conflict:
        _book(hall, other_requester, (chairs, 11))

    assert (
        "Il ne reste que 10 « Chaises » à ce moment-là (vous en demandez 11)"
        in conflict.value.message
    )
    assert Booking.objects.count() == 1  # nothing of the second request was kept
    assert _book(hall, other_requester, (chairs, 10)).equipment_uses.count() == 1
    assert _held(chairs) == 50


def test_booking_request_adds_only_uses_at_the_same_moment(
    space, hall, requester, other_requester, chairs
):
    # 40 chairs 14:00–16:00 and 40 chairs 18:00–20:00 never meet: 40, not 80, are in use.
    _book(space, requester, (chairs, 40), start=paris(2027, 1, 12, 14), end=paris(2027, 1, 12, 16))
    _book(space, requester, (chairs, 40))

    _book(hall, other_requester, (chairs, 10), start=paris(2027, 1, 12, 14), end=END)

    with pytest.raises(BookingConflict):
        _book(hall, other_requester, (chairs, 1), start=paris(2027, 1, 12, 15), end=END)


def test_booking_request_counts_the_space_buffer(site, requester, other_requester, projector):
    buffered = SpaceFactory(site=site, buffer_minutes=30)
    other = SpaceFactory(site=site)
    _book(buffered, requester, (projector, 1))

    # The projector comes back with the room, 30 minutes after the end.
    with pytest.raises(BookingConflict):
        _book(
            other,
            other_requester,
            (projector, 1),
            start=END + timedelta(minutes=15),
            end=END + timedelta(hours=1),
        )
    _book(
        other,
        other_requester,
        (projector, 1),
        start=END + timedelta(minutes=30),
        end=END + timedelta(hours=1),
    )


def test_booking_request_checks_every_date_of_a_series(
    space, hall, requester, other_requester, projector
):
    # The projector is taken on the third Tuesday only.
    _book(
        hall,
        other_requester,
        (projector, 1),
        start=START + timedelta(weeks=2),
        end=END + timedelta(weeks=2),
    )

    with pytest.raises(BookingConflict) as conflict:
        _book(space, requester, (projector, 1), frequency=Frequency.WEEKLY, repeat_count=4)

    assert [requested.start for requested, _held in conflict.value.clashes] == [
        START + timedelta(weeks=2)
    ]
    series = _book(space, requester, frequency=Frequency.WEEKLY, repeat_count=4)
    assert series.equipment_uses.count() == 0


def test_a_series_holds_the_equipment_on_each_date(space, requester, chairs):
    series = _book(space, requester, (chairs, 5), frequency=Frequency.WEEKLY, repeat_count=3)

    assert series.equipment_uses.count() == 3
    assert booking_equipment(booking=series) == [
        {"id": chairs.pk, "name": "Chaises", "quantity": 5}
    ]


@pytest.mark.parametrize(
    ("quantity", "error"),
    [
        (-1, "entre 0 et 10000"),
        (10**20, "entre 0 et 10000"),
        (51, "que 50 « Chaises »"),
        ("3", "nombre entier"),
    ],
)
def test_booking_request_refuses_a_bad_quantity(space, requester, chairs, quantity, error):
    with pytest.raises(ValidationError) as refused:
        booking_request_for(
            space=space,
            requested_by=requester,
            start=START,
            end=END,
            equipment=((chairs.pk, quantity),),
        )

    assert error in " ".join(refused.value.message_dict["equipment"])
    assert not Booking.objects.exists()


def test_booking_request_refuses_equipment_of_another_site(space, requester, other_site):
    elsewhere = Equipment.objects.create(site=other_site, name="Chaises", stock=50)

    with pytest.raises(ValidationError) as refused:
        _book(space, requester, (elsewhere, 1))

    assert refused.value.message_dict == {
        "equipment": ["Ce matériel n’est pas prêté avec cet espace."]
    }


def test_a_zero_quantity_is_no_request(space, requester, chairs):
    booking = _book(space, requester, (chairs, 0))

    assert booking.equipment_uses.count() == 0


# --- What frees equipment ---


def test_cancelling_refusing_or_lapsing_gives_the_equipment_back(
    space, requester, projector, commune_staff
):
    first = _book(space, requester, (projector, 1))
    booking_refuse(booking=first, actor=commune_staff, reason="Salle en travaux")
    second = _book(space, requester, (projector, 1))
    booking_approve(booking=second, actor=commune_staff)
    booking_cancel(booking=second, actor=commune_staff, reason="Annulé")
    third = _book(space, requester, (projector, 1))
    assert _held(projector) == 1

    bookings_expire_lapsed(now=third.lapses_at)

    assert _held(projector) == 0
    _book(space, requester, (projector, 1))


def test_cancelling_one_date_of_a_series_frees_its_equipment_only(
    space, hall, requester, other_requester, projector, commune_staff
):
    series = _book(space, requester, (projector, 1), frequency=Frequency.WEEKLY, repeat_count=3)
    booking_cancel(
        booking=series,
        actor=commune_staff,
        reason="Férié",
        occurrence_start=START + timedelta(weeks=1),
    )

    _book(
        hall,
        other_requester,
        (projector, 1),
        start=START + timedelta(weeks=1),
        end=END + timedelta(weeks=1),
    )
    with pytest.raises(BookingConflict):
        _book(hall, other_requester, (projector, 1))


# --- The stock ---


def test_the_site_manager_adds_and_changes_equipment(site, commune_staff):
    item = equipment_create(actor=commune_staff, site=site, name=" Tables ", stock=12)

    equipment_update(actor=commune_staff, equipment=item, name="Tables pliantes", stock=20)

    item.refresh_from_db()
    assert (item.name, item.stock) == ("Tables pliantes", 20)
    assert list(equipment_offered(space_id=SpaceFactory(site=site).pk)) == [item]


def test_the_stock_cannot_go_below_what_is_booked_at_one_moment(
    space, hall, requester, other_requester, chairs, commune_staff
):
    _book(space, requester, (chairs, 30))
    _book(
        hall,
        other_requester,
        (chairs, 15),
        start=END - timedelta(hours=1),
        end=END + timedelta(hours=1),
    )

    with pytest.raises(ValidationError) as refused:
        equipment_update(actor=commune_staff, equipment=chairs, name="Chaises", stock=44)

    (message,) = refused.value.message_dict["stock"]
    assert "utilisent 45 « Chaises » en même temps" in message
    assert "ne peut pas descendre sous 45" in message
    equipment_update(actor=commune_staff, equipment=chairs, name="Chaises", stock=45)
    chairs.refresh_from_db()
    assert chairs.stock == 45


def test_equipment_names_are_unique_per_site_and_bounded(site, commune_staff, chairs):
    for name, stock, field in [
        ("chaises", 3, "name"),
        ("", 3, "name"),
        ("Ligne\nbrisée", 3, "name"),
        ("x" * 101, 3, "name"),
        ("Tables", 10**20, "stock"),
        ("Tables", -1, "stock"),
    ]:
        with pytest.raises(ValidationError) as refused:
            equipment_create(actor=commune_staff, site=site, name=name, stock=stock)
        assert field in refused.value.message_dict


def test_only_those_who_manage_the_site_manage_its_stock(site, requester, chairs):
    with pytest.raises(PermissionDenied):
        equipment_create(actor=requester, site=site, name="Tables", stock=3)
    with pytest.raises(PermissionDenied):
        equipment_update(actor=requester, equipment=chairs, name="Chaises", stock=0)
