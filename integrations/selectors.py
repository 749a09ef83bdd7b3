"""Reads of webhook endpoints and their deliveries: the permission querysets."""

from django.db.models import QuerySet

from accounts.models import Organisation
from accounts.selectors import AnyUser, organisations_manageable_by
from integrations.models import WebhookDelivery, WebhookEndpoint


def endpoints_manageable_by(user: AnyUser) -> QuerySet[WebhookEndpoint]:
    """The endpoints of the organisations the user administers (all for the intercommunality):
    they see, change, replay, pause and delete them. Outsiders get none (a 404)."""
    return WebhookEndpoint.objects.filter(
        organisation__in=organisations_manageable_by(user).values("pk")
    ).select_related("organisation")


def endpoints_of(*, organisation: Organisation, user: AnyUser) -> QuerySet[WebhookEndpoint]:
    return endpoints_manageable_by(user).filter(organisation=organisation).order_by("pk")


def deliveries_manageable_by(user: AnyUser) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        endpoint__in=endpoints_manageable_by(user).values("pk")
    ).select_related("endpoint", "endpoint__organisation")


def deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The delivery log of `endpoint`, newest first (the payload is not read)."""
    return endpoint.deliveries.defer("payload").order_by("-created_at", "-pk")
