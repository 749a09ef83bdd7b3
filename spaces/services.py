"""Writes on the premises inventory: sites, spaces, opening hours and photos; who manages and
runs a site (facilities managers, their delegation, the managing organisation)."""

import logging
from collections.abc import Callable
from datetime import time
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.actors import Actor
from accounts.models import Organisation, User
from accounts.selectors import user_is_territory_admin
from core.history import history_actor
from core.storage import private_storage, storage_write
from spaces import notifications
from spaces.images import photo_reencode
from spaces.imports import (
    IMPORT_FILES_DIR,
    IMPORT_FILES_KEPT_FOR,
    Plan,
    communes_importable_by,
    inventory_plan,
    inventory_read,
)
from spaces.models import (
    MAX_WIDGET_ORIGINS,
    Amenity,
    Commune,
    OpeningHours,
    Photo,
    Site,
    SiteManager,
    Space,
    WidgetOrigin,
)
from spaces.permissions import site_check_manager
from spaces.selectors import (
    communes_in_territory,
    managing_organisation_choices,
    photos_manageable_by,
    site_owners_for,
    sites_delegable_by,
    widget_organisations_manageable_by,
    widget_origins_manageable_by,
)
from spaces.validators import origin_normalise

# Rows per INSERT/UPDATE statement of the import: well under SQLite's 32,766 variables.
IMPORT_BATCH = 500


logger = logging.getLogger(__name__)


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
        site_check_manager(actor=actor, site_id=site.pk)
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
    site_check_manager(actor=actor, site_id=space.site_id)
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
    site_check_manager(actor=actor, site_id=site.pk)
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
    site_check_manager(actor=actor, site_id=space.site_id)
    rows = [
        OpeningHours(space=space, weekday=weekday, opens=opens, closes=closes)
        for weekday, opens, closes in windows
    ]
    for row in rows:
        # The space is the one just checked, and the check constraint (opens before closes) is
        # the database's, at the insert below: validating either here cost queries per window.
        row.full_clean(exclude=["space"], validate_constraints=False)
    space.opening_hours.all().delete()
    try:
        with transaction.atomic():  # a savepoint: the refusal rolls back the deletion too
            OpeningHours.objects.bulk_create(rows)
    except IntegrityError as exc:
        (constraint,) = OpeningHours._meta.constraints
        raise ValidationError(constraint.get_violation_error_message()) from exc


# --- Delegation: facilities managers and the managing organisation of a site ---


def _check_delegates(*, actor: Actor, site: Site) -> None:
    """Refuse (PermissionDenied, a 404) unless the actor administers the site's owner or is the
    intercommunality: a facilities manager does not appoint managers."""
    if not sites_delegable_by(actor).filter(pk=site.pk).exists():
        raise PermissionDenied


@transaction.atomic
def site_manager_add(
    *, site: Site, email: str, may_commit_owner: bool = False, actor: User
) -> SiteManager:
    """Make the person with account `email` a facilities manager of `site`, told by a message.

    Raises PermissionDenied (see `_check_delegates`), ValidationError on `email` when no
    active account has that address (the person is invited into an organisation first) or
    the person already manages the site."""
    _check_delegates(actor=actor, site=site)
    user = User.objects.filter(
        email__iexact=email.strip(), is_active=True, erased_at__isnull=True
    ).first()
    if user is None:
        raise ValidationError(
            {
                "email": _(
                    "No account uses the address %(email)s. Invite this person into your "
                    "organisation first (its members page); once they have signed up, assign "
                    "them here."
                )
                % {"email": email.strip()}
            }
        )
    if SiteManager.objects.filter(site=site, user=user).exists():
        raise ValidationError(
            {
                "email": _("%(name)s already manages this site.")
                % {"name": user.get_full_name() or user.email}
            }
        )
    with history_actor(actor):
        assignment = SiteManager.objects.create(
            site=site, user=user, may_commit_owner=may_commit_owner
        )
    notifications.site_manager_assigned_notify(assignment=assignment, actor=actor)
    return assignment


@transaction.atomic
def site_manager_set_delegation(
    *, assignment: SiteManager, may_commit_owner: bool, actor: User
) -> SiteManager:
    """Delegate (or withdraw) the commitment of the owner to a facilities manager: offering,
    signing, renewing and ending agreements, free use or a fee. Raises PermissionDenied."""
    _check_delegates(actor=actor, site=assignment.site)
    assignment = SiteManager.objects.select_for_update().get(pk=assignment.pk)
    if assignment.may_commit_owner != may_commit_owner:
        assignment.may_commit_owner = may_commit_owner
        with history_actor(actor):
            assignment.save(update_fields=["may_commit_owner"])
    return assignment


@transaction.atomic
def site_manager_remove(*, assignment: SiteManager, actor: User) -> None:
    """Take a facilities manager off a site (the history keeps who did, and when).
    Raises PermissionDenied."""
    _check_delegates(actor=actor, site=assignment.site)
    with history_actor(actor):
        assignment.delete()


@transaction.atomic
def site_managing_organisation_set(
    *, site: Site, organisation: Organisation | None, actor: User
) -> Site:
    """Let another organisation run the building (it then collects its fees), or take it back
    (None). Raises PermissionDenied, ValidationError (an organisation that may not run it)."""
    _check_delegates(actor=actor, site=site)
    site = Site.objects.select_for_update().get(pk=site.pk)
    if organisation is not None and not (
        managing_organisation_choices(site).filter(pk=organisation.pk).exists()
    ):
        raise ValidationError(
            {
                "managing_organisation": _(
                    "Only a public body or a verified structure may run a building."
                )
            }
        )
    new_id = organisation.pk if organisation is not None else None
    if site.managing_organisation_id != new_id:
        site.managing_organisation = organisation
        with history_actor(actor):
            site.save(update_fields=["managing_organisation", "updated_at"])
    return site


# --- The list of equipment managers tick on spaces (the intercommunality keeps it) ---


def _check_territory(actor: Actor) -> None:
    if not user_is_territory_admin(actor):
        raise PermissionDenied


@transaction.atomic
def amenity_add(*, name: str, actor: User) -> Amenity:
    """Add an item of equipment to the list managers tick on their spaces. Raises
    PermissionDenied unless the actor is the intercommunality, ValidationError (empty name, or
    an item of that name already listed)."""
    _check_territory(actor)
    name = name.strip()
    if Amenity.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("“%(name)s” is already listed.") % {"name": name}})
    base = slugify(name)[:36] or "equipement"
    code, number = base, 2
    while Amenity.objects.filter(code=code).exists():
        code, number = f"{base}-{number}", number + 1
    amenity = Amenity(code=code, name=name)
    amenity.full_clean()
    amenity.save()
    return amenity


@transaction.atomic
def amenity_rename(*, amenity: Amenity, name: str, actor: User) -> Amenity:
    """Rename an item of equipment (every space that has it shows the new name). Raises
    PermissionDenied unless the actor is the intercommunality, ValidationError."""
    _check_territory(actor)
    name = name.strip()
    if Amenity.objects.filter(name__iexact=name).exclude(pk=amenity.pk).exists():
        raise ValidationError({"name": _("“%(name)s” is already listed.") % {"name": name}})
    amenity = Amenity.objects.select_for_update().get(pk=amenity.pk)
    amenity.name = name
    amenity.full_clean()
    amenity.save(update_fields=["name"])
    return amenity


@transaction.atomic
def widget_origin_add(*, organisation: Organisation, origin: str, actor: Actor) -> WidgetOrigin:
    """Allow a website to frame the organisation's availability widget. Raises PermissionDenied
    (a 404) unless the actor administers the organisation (or is the intercommunality's), and
    ValidationError for an address that is not a website's origin, one already registered, or
    one too many."""
    if not widget_organisations_manageable_by(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied
    try:
        normalised = origin_normalise(origin)
    except ValidationError as exc:
        raise ValidationError({"origin": exc.messages}) from exc
    # Serialises two administrators adding at once (the count below, and the unique constraint).
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    existing = WidgetOrigin.objects.filter(organisation=organisation)
    if existing.filter(origin=normalised).exists():
        raise ValidationError(
            {"origin": _("%(origin)s is already registered.") % {"origin": normalised}}
        )
    if existing.count() >= MAX_WIDGET_ORIGINS:
        raise ValidationError(
            {
                "origin": _("At most %(count)d websites may show the widget.")
                % {"count": MAX_WIDGET_ORIGINS}
            }
        )
    return WidgetOrigin.objects.create(
        organisation=organisation,
        origin=normalised,
        created_by=actor if isinstance(actor, User) else None,
    )


def widget_origin_remove(*, widget_origin: WidgetOrigin, actor: Actor) -> None:
    """Stop a website from framing the widget (PermissionDenied unless the actor may manage it)."""
    if not widget_origins_manageable_by(actor).filter(pk=widget_origin.pk).exists():
        raise PermissionDenied
    widget_origin.delete()


# --- The inventory import (spaces.imports reads and plans; this writes) ---


def inventory_import(
    *,
    actor: User,
    file: IO[bytes],
    dry_run: bool,
    progress: Callable[[int, int], object] | None = None,
) -> Plan:
    """Import sites and spaces from a CSV or XLSX inventory, all or nothing.

    Returns the plan: each line created, updated, unchanged or refused, and why. With
    `dry_run`, or when any line is refused, nothing is written. Raises PermissionDenied (a 404)
    for someone who may import into no commune, ImportRefused for a file that cannot be read.
    `progress(done, total)` is told as lines are checked (the command's progress bar).
    """
    if not communes_importable_by(actor).exists():
        raise PermissionDenied
    table = inventory_read(file)
    if dry_run:  # no transaction: on SQLite it would hold the write lock while planning
        return inventory_plan(actor=actor, table=table, progress=progress)
    with transaction.atomic():
        # Two imports of the same communes run one after the other (PostgreSQL; SQLite's
        # BEGIN IMMEDIATE already does): each plans against what the other wrote, so neither
        # creates a site the other has just created.
        codes = {row.get("code_insee", "").upper() for row in table.rows}
        list(Commune.objects.select_for_update().filter(pk__in=codes).values_list("pk"))
        plan = inventory_plan(actor=actor, table=table, progress=progress)
        if plan.refused:
            return plan
        with history_actor(actor):
            bulk_create_with_history(
                plan.sites_to_create, Site, batch_size=IMPORT_BATCH, default_user=actor
            )
            for space in plan.spaces_to_create:
                space.site_id = space.site.pk  # the new sites have their ids now
            _update_with_history(
                Site, list(plan.sites_to_update.values()), plan.site_fields, actor=actor
            )
            bulk_create_with_history(
                plan.spaces_to_create, Space, batch_size=IMPORT_BATCH, default_user=actor
            )
            _update_with_history(
                Space, list(plan.spaces_to_update.values()), plan.space_fields, actor=actor
            )
    return plan


def import_files_sweep() -> int:
    """Delete the inventory files kept for a confirmation (spaces.import_views) that never came:
    those in the private storage's `imports/` older than IMPORT_FILES_KEPT_FOR (a day).

    Returns how many were deleted. Idempotent; a file deleted meanwhile (confirmed, or by
    another run) is skipped. A confirmation arriving after the sweep is told to upload again.
    """
    limit = timezone.now() - IMPORT_FILES_KEPT_FOR
    try:
        _folders, names = private_storage.listdir(IMPORT_FILES_DIR)
    except FileNotFoundError:  # nothing was ever kept (the folder is made by the first file)
        return 0
    deleted = 0
    for name in names:
        path = f"{IMPORT_FILES_DIR}/{name}"
        try:
            if private_storage.get_modified_time(path) >= limit:
                continue
            private_storage.delete(path)
        except FileNotFoundError:
            continue
        deleted += 1
    if deleted:
        logger.info("import files sweep: %s deleted", deleted)
    return deleted


def _update_with_history(
    model: type[Site] | type[Space], rows: list, fields: set[str], *, actor: User
) -> None:
    """Write `fields` of `rows`, one UPDATE per set of values, and their history rows.

    Django's bulk_update writes a CASE WHEN per row and field, about 1 ms of Python a row
    (measured: 10,000 surfaces took longer than the rest of the import). Rows given the same
    values (a surface corrected on many lines, the columns every space of a site repeats) share
    one UPDATE here; a file where every row differs costs one short UPDATE a row.
    """
    if not rows:
        return
    now = timezone.now()
    names = sorted(fields)
    groups: dict[str, tuple[dict, list[int]]] = {}
    for row in rows:
        row.updated_at = now
        values = {name: getattr(row, name) for name in names}
        groups.setdefault(repr(values), (values, []))[1].append(row.pk)
    for values, pks in groups.values():
        for start in range(0, len(pks), IMPORT_BATCH):
            model.objects.filter(pk__in=pks[start : start + IMPORT_BATCH]).update(
                **values, updated_at=now
            )
    model.history.bulk_history_create(
        rows, batch_size=IMPORT_BATCH, update=True, default_user=actor
    )
