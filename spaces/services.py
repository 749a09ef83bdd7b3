"""Writes on the premises inventory: sites, spaces, opening hours and photos."""

from datetime import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import User
from core.history import history_actor
from core.storage import storage_write
from spaces.images import photo_reencode
from spaces.models import Amenity, OpeningHours, Photo, Site, Space
from spaces.selectors import (
    communes_in_territory,
    photos_manageable_by,
    site_owners_for,
    sites_manageable_by,
)


def _check_manages(*, actor: Actor, site_id: int | None) -> None:
    """Refuse (PermissionDenied, a 404) a change to a site the actor does not manage."""
    if not sites_manageable_by(actor).filter(pk=site_id).exists():
        raise PermissionDenied


def site_validate(*, site: Site, actor: User) -> None:
    """Check what a single row cannot: territory, postcode, owner. Raises ValidationError."""
    errors: dict[str, str] = {}
    if site.commune_id is not None:
        if not communes_in_territory().filter(pk=site.commune_id).exists():
            errors["commune"] = _(
                "This commune is not part of the territory covered by the platform."
            )
        elif site.postcode and not site.commune.postcodes.filter(code=site.postcode).exists():
            codes = ", ".join(site.commune.postcodes.values_list("code", flat=True))
            errors["postcode"] = _("The postcode of %(commune)s is %(codes)s.") % {
                "commune": site.commune.name,
                "codes": codes,
            }
    # Only a new or changed owner is checked: facilities managers edit sites of other bodies.
    owner_kept = Site.objects.filter(pk=site.pk, owner_id=site.owner_id).exists()
    if (
        site.owner_id is not None
        and not owner_kept
        and not site_owners_for(actor).filter(pk=site.owner_id).exists()
    ):
        errors["owner"] = _("You cannot list premises on behalf of this organisation.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def site_save(*, site: Site, actor: User, managers: list[User] | None = None) -> Site:
    """Create or update a site after full validation; nothing is saved if anything is wrong.
    Raises PermissionDenied for a site the actor does not manage (a new one is checked on its
    owner: site_validate)."""
    if site.pk is not None:
        _check_manages(actor=actor, site_id=site.pk)
    site.full_clean()
    site_validate(site=site, actor=actor)
    with history_actor(actor):
        site.save()
    if managers is not None:
        site.managers.set(managers)
    return site


@transaction.atomic
def space_save(*, space: Space, actor: User, amenities: list[Amenity] | None = None) -> Space:
    """Create or update a space of a site the actor manages (else PermissionDenied); `actor`
    signs the field history."""
    _check_manages(actor=actor, site_id=space.site_id)
    space.full_clean()
    with history_actor(actor):
        space.save()
    if amenities is not None:
        space.amenities.set(amenities)
    return space


def photo_add(
    *, site: Site, actor: User, upload: UploadedFile, alt_text: str, space: Space | None = None
) -> Photo:
    """Re-encode and store a photo of a site the actor manages, or of one of its spaces."""
    _check_manages(actor=actor, site_id=site.pk)
    if space is not None and space.site_id != site.pk:
        raise PermissionDenied
    try:
        content = photo_reencode(upload)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from exc
    photo = Photo(site=site, space=space, alt_text=alt_text.strip())
    photo.full_clean(exclude=["image"])
    # The file first: a storage that fails leaves no row (a form error on the image).
    with storage_write("image"):
        photo.image.save(content.name, content, save=False)
    photo.save()
    return photo


def photo_delete(*, photo: Photo, actor: User) -> None:
    """Delete a photo of a site the actor manages (else PermissionDenied); its file goes once the
    deletion is committed (core.storage.files_delete_with_row)."""
    if not photos_manageable_by(actor).filter(pk=photo.pk).exists():
        raise PermissionDenied
    photo.delete()


@transaction.atomic
def space_set_opening_hours(
    *, space: Space, actor: User, windows: list[tuple[int, time, time]]
) -> None:
    """Replace the opening hours of `space` by `windows` (weekday, opens, closes). Only for a
    space of a site the actor manages (else PermissionDenied)."""
    _check_manages(actor=actor, site_id=space.site_id)
    rows = [
        OpeningHours(space=space, weekday=weekday, opens=opens, closes=closes)
        for weekday, opens, closes in windows
    ]
    for row in rows:
        row.full_clean()
    space.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(rows)
