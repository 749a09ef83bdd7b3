"""Reads of equipment (issue 16): a site's stock, what a request form offers, what a booking
holds."""

from django.db.models import Max, QuerySet

from accounts.selectors import AnyUser
from bookings.models import Booking, Equipment
from spaces.models import Site
from spaces.selectors import sites_manageable_by


def equipment_of_site(*, site: Site | int) -> QuerySet[Equipment]:
    """Every item of the site, stock 0 included (its managers' list), by name."""
    return Equipment.objects.filter(site=site).order_by("name", "pk")


def equipment_offered(*, space_id: int) -> QuerySet[Equipment]:
    """What a request for the space may ask for: its site's items in stock, by name."""
    return Equipment.objects.filter(site__spaces=space_id, stock__gt=0).order_by("name", "pk")


def booking_equipment(*, booking: Booking) -> list[dict]:
    """What the booking asked for, by name: `{"id", "name", "quantity"}` (the same on each of
    its dates); one query."""
    rows = (
        booking.equipment_uses.values("equipment_id", "equipment__name")
        .annotate(quantity=Max("quantity"))
        .order_by("equipment__name", "equipment_id")
    )
    return [
        {"id": row["equipment_id"], "name": row["equipment__name"], "quantity": row["quantity"]}
        for row in rows
    ]


def equipment_manageable_by(user: AnyUser) -> QuerySet[Equipment]:
    """Items of the sites `user` manages (the others do not exist for them), with their site."""
    return Equipment.objects.filter(site__in=sites_manageable_by(user)).select_related("site")
