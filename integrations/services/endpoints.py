"""An organisation's webhook endpoints: registered, changed, paused, resumed and deleted by its
administrators (or the intercommunality), each service checking its actor."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import Organisation, User
from accounts.selectors import organisations_manageable_by
from core.jobs import job_after_commit
from integrations.addresses import url_validate
from integrations.events import routes_changed
from integrations.models import DeliveryStatus, EventType, WebhookEndpoint
from integrations.signing import secret_generate

MAX_ENDPOINTS_PER_ORGANISATION = 10


def _check_manager(actor: Actor, organisation_id: int) -> None:
    """PermissionDenied (a 404) unless `actor` administers the organisation."""
    if not isinstance(actor, User) or not (
        organisations_manageable_by(actor).filter(pk=organisation_id).exists()
    ):
        raise PermissionDenied


def _clean(url: str, events: Iterable[str]) -> list[str]:
    errors: dict[str, str] = {}
    try:
        url_validate(url)
    except ValidationError as error:
        errors["url"] = error.messages[0]
    chosen = [value for value in EventType.values if value in set(events)]
    if not chosen or set(events) - set(EventType.values):
        # fr: Choisissez au moins un événement parmi ceux proposés.
        errors["events"] = _("Pick at least one of the events offered.")
    if errors:
        raise ValidationError(errors)
    return chosen


def _changed() -> None:
    transaction.on_commit(routes_changed, robust=True)


def endpoint_create(
    *,
    actor: Actor,
    organisation: Organisation,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> WebhookEndpoint:
    """Register `url` for `events` of `organisation`, with a new signing secret (shown once).
    The address is checked (and resolved) before the transaction: no DNS wait under a lock."""
    _check_manager(actor, organisation.pk)
    chosen = _clean(url, list(events))
    with transaction.atomic():
        return _endpoint_save(actor, organisation, url, chosen, description)


def _endpoint_save(
    actor: User, organisation: Organisation, url: str, chosen: list[str], description: str
) -> WebhookEndpoint:
    if WebhookEndpoint.objects.filter(organisation=organisation).count() >= (
        MAX_ENDPOINTS_PER_ORGANISATION
    ):
        # fr: Une organisation a au plus %(count)s webhooks.
        raise ValidationError(
            _("An organisation has at most %(count)s webhooks.")
            % {"count": MAX_ENDPOINTS_PER_ORGANISATION}
        )
    endpoint = WebhookEndpoint(
        organisation=organisation,
        url=url,
        events=chosen,
        description=description.strip(),
        secret=secret_generate(),
        created_by=actor,
    )
    endpoint.full_clean()
    endpoint.save()
    _changed()
    return endpoint


def endpoint_update(
    *, actor: Actor, endpoint: WebhookEndpoint, url: str, events: Iterable[str], description: str
) -> WebhookEndpoint:
    """Change the address, events and description of `endpoint` (its secret stays)."""
    _check_manager(actor, endpoint.organisation_id)
    endpoint.events = _clean(url, list(events))
    endpoint.url, endpoint.description = url, description.strip()
    endpoint.full_clean()
    with transaction.atomic():
        endpoint.save(update_fields=["url", "events", "description"])
        _changed()
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(*, actor: Actor, endpoint: WebhookEndpoint) -> str:
    """Give `endpoint` a new signing secret and return it (shown once). Deliveries sent from now
    on, retries included, are signed with it."""
    _check_manager(actor, endpoint.organisation_id)
    endpoint.secret = secret_generate()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=endpoint.secret)
    return endpoint.secret


@transaction.atomic
def endpoint_pause(*, actor: Actor, endpoint: WebhookEndpoint) -> bool:
    """Stop sending to `endpoint`; events are still recorded. False if already paused."""
    _check_manager(actor, endpoint.organisation_id)
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=True).update(
        paused_at=timezone.now()
    )
    endpoint.refresh_from_db(fields=["paused_at"])
    return bool(changed)


@transaction.atomic
def endpoint_resume(*, actor: Actor, endpoint: WebhookEndpoint) -> bool:
    """Send again to `endpoint`: its waiting deliveries leave now, its failure count restarts.
    False if it was not paused."""
    from integrations.tasks import webhooks_deliver  # tasks imports the services

    _check_manager(actor, endpoint.organisation_id)
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=False).update(
        paused_at=None, consecutive_failures=0
    )
    endpoint.refresh_from_db(fields=["paused_at", "consecutive_failures"])
    if changed:
        waiting = endpoint.deliveries.filter(status=DeliveryStatus.PENDING)
        ids = list(waiting.values_list("pk", flat=True))
        waiting.update(next_attempt_at=timezone.now())
        if ids:
            job_after_commit(webhooks_deliver, ids)
    return bool(changed)


@transaction.atomic
def endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Delete `endpoint` and its delivery log."""
    _check_manager(actor, endpoint.organisation_id)
    endpoint.delete()
    _changed()
