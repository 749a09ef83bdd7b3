"""A deleted closure is not lost: its field history keeps it, with who created and deleted it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from bookings import services
from bookings.models import Closure
from bookings.rules import Period

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.django_db
def test_a_closure_deleted_on_its_page_stays_in_the_history_with_who_deleted_it(
    client, facilities_manager, commune_staff, site, space
):
    closure = services.closure_create(
        actor=commune_staff,
        site=site,
        period=Period(datetime(2027, 2, 1, tzinfo=PARIS), datetime(2027, 2, 2, tzinfo=PARIS)),
        reason="Inventaire",
    )
    client.force_login(facilities_manager)

    client.post(reverse("bookings:closure-delete", args=[closure.pk]))

    assert not Closure.objects.filter(pk=closure.pk).exists()
    versions = Closure.history.filter(id=closure.pk).order_by("history_id")
    assert [(v.history_type, v.history_user, v.reason) for v in versions] == [
        ("+", commune_staff, "Inventaire"),
        ("-", facilities_manager, "Inventaire"),
    ]
    assert versions.last().start == datetime(2027, 2, 1, tzinfo=PARIS)
