"""The equipment race (issue 16): 50 requests at once for the same chairs, in 50 rooms of one
site (so that no room clash hides what the equipment lock does), on PostgreSQL.

Every request locks its room, then the chairs' row, and checks the peak of their use under that
lock: exactly as many succeed as the stock allows, and the stock is never exceeded. SQLite
serialises writers with its IMMEDIATE transactions; its behaviour is the one the plain tests of
test_equipment.py check.
"""

from collections import Counter

import pytest
from django.db import connection

from bookings.models import Equipment, EquipmentUse
from tests.factories import SpaceFactory, booking_request_for, paris
from tests.helpers import race, requesters

pytestmark = pytest.mark.usefixtures("frozen_clock")

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: row locks (select_for_update)"
)
@pytest.mark.django_db(transaction=True)
def test_50_simultaneous_requests_never_book_more_chairs_than_the_stock(site):
    chairs = Equipment.objects.create(site=site, name="Chaises", stock=100)
    users = requesters(50)
    rooms = [SpaceFactory(site=site) for _ in users]

    def attempt(room, user):
        def book() -> str:
            booking_request_for(
                space=room, requested_by=user, start=START, end=END, equipment=((chairs.pk, 3),)
            )
            return "booked"

        return book

    outcomes = race([attempt(room, user) for room, user in zip(rooms, users, strict=True)])

    # 33 × 3 = 99 chairs: the 34th request would need 102.
    assert outcomes == Counter({"booked": 33, "BookingConflict": 17})
    held = EquipmentUse.objects.filter(equipment=chairs, occupancy__active=True)
    assert sum(held.values_list("quantity", flat=True)) == 99
