"""Reads of booking on behalf (issue 16): whom an agent may book a space for."""

from django.db.models import Exists, QuerySet

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_of, structures_bookable_on_behalf
from spaces.selectors import spaces_manageable_by


def user_may_book_on_behalf(user: AnyUser, *, space_id: int) -> bool:
    """Whether the user may book `space_id` for a structure they do not belong to: they manage
    its site (its facilities managers, the owner's staff, the intercommunality)."""
    return spaces_manageable_by(user).filter(pk=space_id).exists()


def structures_bookable_on_behalf_by(user: AnyUser, *, space_id: int) -> QuerySet[Organisation]:
    """The structures the user may book `space_id` for on their behalf: every verified
    structure they do not belong to if they manage its site, none otherwise (one query; the
    service checks the same, `bookings.services.behalf.booking_behalf`)."""
    manages = Exists(spaces_manageable_by(user).filter(pk=space_id))
    return (
        structures_bookable_on_behalf()
        .filter(manages)
        .exclude(pk__in=organisations_of(user).values("pk"))
    )
