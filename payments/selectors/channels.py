"""Reads of payment channels: the organisations whose channel a user may set up."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_manageable_by
from spaces.models import Site


def channel_owners_for(user: AnyUser) -> QuerySet[Organisation]:
    """Organisations whose payment channel `user` may set up (their administrators, the
    intercommunality): those that own or run a building, or already have a channel."""
    runs_a_site = Exists(
        Site.objects.filter(Q(owner=OuterRef("pk")) | Q(managing_organisation=OuterRef("pk")))
    )
    return (
        organisations_manageable_by(user)
        .filter(runs_a_site | Q(payment_channel__isnull=False))
        .select_related("payment_channel")
        .distinct()
        .order_by("name", "pk")
    )
