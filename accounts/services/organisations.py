"""Writes on users, organisations, memberships, invitations and documents."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.fr import siret as stdnum_siret

from accounts import notifications
from accounts.actors import Actor
from accounts.exceptions import DecisionNotAllowed
from accounts.files import document_check, document_stored_name
from accounts.models import (
    IDENTIFYING_FIELDS,
    DocumentKind,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
    OrganisationLog,
    OrganisationLogKind,
    User,
)
from accounts.selectors import (
    organisations_manageable_by,
    organisations_visible_to,
    structure_verification_documents_missing,
    user_is_territory_admin,
)
from accounts.validators import compact_identifier
from core.storage import storage_write


def _organisation_check_identifiers(organisation: Organisation) -> None:
    """Refuse a second structure with the same SIRET or RNA, with the message on the field."""
    others = Organisation.objects.exclude(pk=organisation.pk)
    errors = {}
    if organisation.siret and others.filter(siret=organisation.siret).exists():
        errors["siret"] = _("A structure with this SIRET is already registered.")
    if organisation.rna and others.filter(rna=organisation.rna).exists():
        errors["rna"] = _("A structure with this RNA number is already registered.")
    if errors:
        raise ValidationError(errors)


def _organisation_save(organisation: Organisation) -> None:
    organisation.siren = compact_identifier(organisation.siren)
    organisation.siret = compact_identifier(organisation.siret)
    organisation.rna = compact_identifier(organisation.rna)
    # The SIREN is the SIRET's first 9 digits, taken from a valid SIRET only (a mistyped SIRET
    # must not also report a SIREN error); a changed SIRET brings its new SIREN.
    if organisation.siret and stdnum_siret.is_valid(organisation.siret):
        organisation.siren = organisation.siret[:9]
    errors: dict[str, list[str]] = {}
    # The unique constraints are checked below, with their message on the field.
    for check in (
        lambda: organisation.full_clean(validate_constraints=False),
        lambda: _organisation_check_identifiers(organisation),
    ):
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as exc:  # a concurrent registration with the same identifiers
        raise ValidationError(
            {"siret": _("A structure with this SIRET is already registered.")}
        ) from exc


def _check_manages(*, actor: Actor, organisation: Organisation) -> None:
    """Refuse a change to an organisation the actor does not manage (its administrators, and
    the intercommunality manage it): DecisionNotAllowed (a 403) for one of its members, who
    sees it, PermissionDenied (a 404) for anyone else."""
    if not organisations_manageable_by(actor).filter(pk=organisation.pk).exists():
        if organisations_visible_to(actor).filter(pk=organisation.pk).exists():
            raise DecisionNotAllowed(_("You are not allowed to do this."))
        raise PermissionDenied


@transaction.atomic
def structure_register(*, organisation: Organisation, user: User) -> Organisation:
    """Declare an ESS structure; its declarer becomes its administrator. Unverified at first:
    the intercommunality's people are told there is a structure to verify. Raises
    PermissionDenied for anyone but an active signed-in person."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    organisation.kind = OrganisationKind.ESS
    organisation.verified_at = None
    organisation.verified_by = None
    _organisation_save(organisation)
    Membership.objects.create(user=user, organisation=organisation, role=MembershipRole.ADMIN)
    notifications.structure_registered_notify(organisation, declarer=user)
    return organisation


def _identity_value(value: object) -> object:
    """A field's value as JSON for the log: dates as ISO strings, empty as ""."""
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


@transaction.atomic
def organisation_update(*, organisation: Organisation, actor: User) -> Organisation:
    """Save changed details of an organisation the actor manages (else PermissionDenied).

    A verified structure whose identity changes (any of IDENTIFYING_FIELDS: name, identifiers,
    legal form, ESS family, SIAE kind, ESUS approval) goes back to verification: what it already
    booked stays, new requests and aid wait for the intercommunality; the intercommunality and
    the structure's administrators are told; the old and new values are logged. Raises ValidationError naming the field.
    """
    _check_manages(actor=actor, organisation=organisation)
    before = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _organisation_save(organisation)
    changes = {
        field: [
            _identity_value(getattr(before, field)),
            _identity_value(getattr(organisation, field)),
        ]
        for field in IDENTIFYING_FIELDS
        if getattr(before, field) != getattr(organisation, field)
    }
    if before.verified_at is not None and changes:
        organisation.verified_at = None
        organisation.verified_by = None
        organisation.save(update_fields=["verified_at", "verified_by"])
        log = OrganisationLog.objects.create(
            organisation=organisation,
            kind=OrganisationLogKind.VERIFICATION_WITHDRAWN,
            actor=actor,
            reason=_("Identifying details changed."),
            changes=changes,
        )
        notifications.verification_withdrawn_notify(log)
    return organisation


@transaction.atomic
def structure_verify(*, structure: Organisation, actor: User) -> bool:
    """Record that the intercommunality checked the structure, and tell its members they may
    now request space. Returns False if already done."""
    if not user_is_territory_admin(actor):
        raise PermissionDenied
    structure = Organisation.objects.select_for_update().get(pk=structure.pk)
    if structure.kind != OrganisationKind.ESS:
        raise ValidationError(_("Only ESS structures are verified."))
    if structure.verified_at is not None:
        return False
    missing = structure_verification_documents_missing(structure=structure)
    if missing:
        raise ValidationError(
            _("The structure cannot be verified without these documents: %(documents)s.")
            % {"documents": ", ".join(str(DocumentKind(kind).label) for kind in missing)}
        )
    structure.verified_at = timezone.now()
    structure.verified_by = actor
    structure.save(update_fields=["verified_at", "verified_by"])
    OrganisationLog.objects.create(
        organisation=structure, kind=OrganisationLogKind.VERIFIED, actor=actor
    )
    notifications.structure_verified_notify(structure, actor=actor)
    return True


@transaction.atomic
def document_add(
    *,
    organisation: Organisation,
    kind: str,
    upload: UploadedFile,
    expires_on: date | None,
    actor: User,
) -> OrganisationDocument:
    """Store a supporting document under the extension of the type its content proves.

    Raises PermissionDenied unless the actor manages the organisation, ValidationError naming
    the field at fault.
    """
    _check_manages(actor=actor, organisation=organisation)
    try:
        kind_of_file = document_check(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    upload.name = document_stored_name(upload.name, kind_of_file)
    document = OrganisationDocument(
        organisation=organisation, kind=kind, file=upload, expires_on=expires_on, uploaded_by=actor
    )
    document.full_clean()
    # The file first, outside the row's save(): a storage that fails leaves no row, and no
    # failed statement in the caller's transaction.
    with storage_write("file"):
        document.file.save(upload.name, upload, save=False)
    document.save()
    return document


@transaction.atomic
def document_delete(*, document: OrganisationDocument, actor: User) -> None:
    """Delete a supporting document of an organisation the actor manages (else PermissionDenied,
    or DecisionNotAllowed for its other members); its file goes once the deletion is committed
    (core.storage.files_delete_with_row). A verification already made stays: it is the record
    of what the intercommunality checked then (OrganisationLog), as when a document expires."""
    _check_manages(actor=actor, organisation=document.organisation)
    document.delete()
