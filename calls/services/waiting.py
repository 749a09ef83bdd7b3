"""Writes on the waiting list: a structure without premises registers its need, then closes it."""

import logging
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.selectors import (
    organisations_of,
    structures_allowed_to_request_for,
    user_is_territory_admin,
)
from calls.models import WaitingListEntry
from spaces.models import Commune, SpaceKind

logger = logging.getLogger(__name__)


@transaction.atomic
def waiting_entry_register(
    *,
    actor: User,
    structure: Organisation,
    kind: str,
    min_surface_m2: int | None = None,
    max_surface_m2: int | None = None,
    communes: list[Commune] | None = None,
    wanted_from: date | None = None,
    notes: str = "",
) -> WaitingListEntry:
    """Put a structure's need on the waiting list. Raises PermissionDenied unless the actor acts
    for the structure and the intercommunality verified it; ValidationError naming the field."""
    if not structures_allowed_to_request_for(actor).filter(pk=structure.pk).exists():
        raise PermissionDenied
    errors = {}
    if kind not in SpaceKind.values:
        errors["kind"] = _("Choose a kind of space.")
    if (
        min_surface_m2 is not None
        and max_surface_m2 is not None
        and min_surface_m2 > max_surface_m2
    ):
        errors["max_surface_m2"] = _("The maximum surface cannot be below the minimum.")
    if errors:
        raise ValidationError(errors)
    entry = WaitingListEntry.objects.create(
        structure=structure,
        kind=kind,
        min_surface_m2=min_surface_m2,
        max_surface_m2=max_surface_m2,
        wanted_from=wanted_from,
        notes=notes.strip(),
    )
    entry.communes.set(communes or [])
    logger.info("waiting list entry %s registered by user %s", entry.pk, actor.pk)
    return entry


@transaction.atomic
def waiting_entry_close(*, actor: User, entry: WaitingListEntry) -> bool:
    """Close a need (found premises, gave up): the structure's members, or the intercommunality
    (which erases a structure's data on request). Idempotent: False if it was already closed."""
    if not (
        organisations_of(actor).filter(pk=entry.structure_id).exists()
        or user_is_territory_admin(actor)
    ):
        raise PermissionDenied
    closed = WaitingListEntry.objects.filter(pk=entry.pk, closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
    if closed:
        logger.info("waiting list entry %s closed by user %s", entry.pk, actor.pk)
    return bool(closed)
