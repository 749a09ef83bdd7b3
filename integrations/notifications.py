"""Messages about webhooks: an endpoint paused after repeated failures. Sent through
`accounts.messaging`, in the transaction that pauses it."""

from django.db.models import QuerySet

from accounts.messaging import notify_users
from accounts.models import MembershipRole, User
from integrations.models import WebhookEndpoint


def _admins(endpoint: WebhookEndpoint) -> QuerySet[User]:
    return (
        User.objects.filter(
            memberships__organisation_id=endpoint.organisation_id,
            memberships__role=MembershipRole.ADMIN,
            is_active=True,
        )
        .distinct()
        .order_by("email")
    )


def endpoint_paused_notify(endpoint: WebhookEndpoint) -> None:
    """Tell the organisation's administrators that `endpoint` was paused and how to resume."""
    notify_users(
        _admins(endpoint),
        message="webhook_paused",
        context={"endpoint": endpoint, "organisation": endpoint.organisation},
        link=endpoint.get_absolute_url(),
        about=f"webhook endpoint {endpoint.pk} paused",
    )
