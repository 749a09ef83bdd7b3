"""Keys and inventories of fixtures (états des lieux) of signed occupancy agreements."""

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from bookings.allocations.actions import (
    INVENTORY_STATUSES,
    RULES,
    AllocationAction,
    allocation_check_actor,
)
from bookings.allocations.lifecycle import InvalidAllocationTransition
from bookings.models import (
    Allocation,
    Inventory,
    InventoryPhoto,
    KeyHandover,
)
from core.storage import storage_write
from spaces.images import photo_reencode


@transaction.atomic
def key_issue(*, allocation: Allocation, actor: User, label: str, issued_on: date) -> KeyHandover:
    """Record a key or badge given to the occupant of a signed or active agreement.

    Refused while the insurance certificate does not cover that day (DOMAIN §3.5). Raises
    ValidationError naming the field, InvalidTransition if the agreement is not signed.
    """
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    allocation_check_actor(actor=actor, allocation=allocation, action=AllocationAction.KEY_ISSUE)
    if allocation.status not in RULES[AllocationAction.KEY_ISSUE].statuses:
        raise InvalidAllocationTransition(allocation.status, allocation.status)
    if not label.strip():
        raise ValidationError({"label": _("Name the key or badge.")})
    if allocation.insurance_valid_until is None or allocation.insurance_valid_until < issued_on:
        raise ValidationError(
            {
                "issued_on": _(
                    "The occupant's insurance certificate has expired: ask for the new one "
                    "before handing over keys."
                )
            }
        )
    return KeyHandover.objects.create(
        allocation=allocation, label=label.strip(), issued_on=issued_on
    )


@transaction.atomic
def key_return(*, key: KeyHandover, actor: User, returned_on: date) -> bool:
    """Record that a key came back; idempotent (already returned → False)."""
    key = KeyHandover.objects.select_for_update().select_related("allocation").get(pk=key.pk)
    allocation_check_actor(
        actor=actor, allocation=key.allocation, action=AllocationAction.KEY_RETURN
    )
    if key.returned_on is not None:
        return False
    if returned_on < key.issued_on:
        raise ValidationError({"returned_on": _("A key comes back after it was handed over.")})
    key.returned_on = returned_on
    key.save(update_fields=["returned_on"])
    return True


@transaction.atomic
def inventory_record(
    *,
    allocation: Allocation,
    actor: User,
    kind: str,
    done_on: date,
    notes: str,
    photos: Sequence[tuple[UploadedFile, str]] = (),
) -> Inventory:
    """Record the entry or exit inventory of fixtures, with photos (each with its description).

    One of each kind per agreement. Photos are re-encoded (EXIF dropped). Raises
    ValidationError naming the field, InvalidTransition if the agreement is not signed yet.
    """
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    allocation_check_actor(actor=actor, allocation=allocation, action=AllocationAction.INVENTORY)
    if allocation.status not in INVENTORY_STATUSES.get(kind, frozenset()):
        raise InvalidAllocationTransition(allocation.status, allocation.status)
    if not notes.strip():
        raise ValidationError({"notes": _("Describe the state of the premises.")})
    if Inventory.objects.filter(allocation=allocation, kind=kind).exists():
        raise ValidationError(
            {"kind": _("This inventory is already recorded; add photos to it instead.")}
        )
    inventory = Inventory.objects.create(
        allocation=allocation, kind=kind, done_on=done_on, notes=notes.strip(), created_by=actor
    )
    for upload, alt_text in photos:
        inventory_photo_add(inventory=inventory, actor=actor, upload=upload, alt_text=alt_text)
    return inventory


@transaction.atomic
def inventory_photo_add(
    *, inventory: Inventory, actor: User, upload: UploadedFile, alt_text: str
) -> InventoryPhoto:
    """Add a photo to an inventory; its text alternative is required (RGAA 1.1). Only the
    managers of the agreement's spaces may."""
    allocation_check_actor(
        actor=actor, allocation=inventory.allocation, action=AllocationAction.INVENTORY
    )
    if not alt_text.strip():
        raise ValidationError({"alt_text": _("Describe the photo for people who cannot see it.")})
    try:
        image = photo_reencode(upload)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from exc
    photo = InventoryPhoto(inventory=inventory, alt_text=alt_text.strip())
    with storage_write("photo"):  # the file first: a storage that fails leaves no row
        photo.image.save(image.name, image, save=False)
    photo.save()
    return photo
