"""Writes on applications: start, fill, submit, withdraw."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, logged_actor
from accounts.models import Organisation, OrganisationDocument, OrganisationKind, User
from accounts.selectors import organisations_of
from calls import notifications
from calls.exceptions import ApplicationInvalidTransition
from calls.models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationLog,
    ApplicationStatus,
    Call,
    CallLot,
    Preference,
)
from calls.permissions import application_check_applicant
from calls.selectors import application_missing_items, call_accepts_applications
from core.workflow import status_change


@transaction.atomic
def application_start(*, call: Call, structure: Organisation, actor: User) -> Application:
    """Open a draft application of `structure` (one of the actor's ESS structures)."""
    if not organisations_of(actor).filter(pk=structure.pk, kind=OrganisationKind.ESS).exists():
        raise PermissionDenied
    if not call_accepts_applications(call):
        raise ValidationError(_("This call is not open for applications."))
    try:
        with transaction.atomic():
            return Application.objects.create(
                call=call, structure=structure, submitted_by=actor, project=""
            )
    except IntegrityError as exc:
        raise ValidationError(_("Your structure has already applied to this call.")) from exc


@transaction.atomic
def application_update(
    *,
    application: Application,
    actor: User,
    project: str,
    needed_surface_m2: int | None,
    needed_kind: str,
    wanted_start: date | None,
    duration_months: int | None,
    lots_ranked: list[CallLot],
    documents: list[OrganisationDocument],
    republican_commitment_signatory: str,
) -> Application:
    """Save a draft: its details, ranked lots, attached documents and the republican commitment.

    Raises PermissionDenied unless `actor` belongs to the applicant structure."""
    application_check_applicant(actor=actor, application=application)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.DRAFT:
        raise ValidationError(_("A submitted application can no longer change."))
    if any(lot.call_id != application.call_id for lot in lots_ranked):
        raise ValidationError({"lots": _("Choose lots of this call.")})
    if len({lot.pk for lot in lots_ranked}) != len(lots_ranked):
        raise ValidationError({"lots": _("Rank each lot only once.")})
    if any(document.organisation_id != application.structure_id for document in documents):
        raise PermissionDenied
    application.project = project.strip()
    application.needed_surface_m2 = needed_surface_m2
    application.needed_kind = needed_kind
    application.wanted_start = wanted_start
    application.duration_months = duration_months
    signatory = republican_commitment_signatory.strip()
    if signatory != application.republican_commitment_signatory or not signatory:
        # The acknowledgement is dated when given (or given by someone else), not at every save.
        application.republican_commitment_at = timezone.now() if signatory else None
    application.republican_commitment_signatory = signatory
    application.save()
    application.preferences.all().delete()
    Preference.objects.bulk_create(
        [
            Preference(application=application, lot=lot, rank=rank)
            for rank, lot in enumerate(lots_ranked, start=1)
        ]
    )
    application.documents.set(documents)
    return application


@transaction.atomic
def application_create(
    *,
    call: Call,
    structure: Organisation,
    actor: User,
    project: str,
    needed_surface_m2: int | None,
    needed_kind: str,
    wanted_start: date | None,
    duration_months: int | None,
    lots_ranked: list[CallLot],
    documents: list[OrganisationDocument],
    republican_commitment_signatory: str,
) -> Application:
    """Start and fill a draft in one go (the API's create): both happen, or neither."""
    application = application_start(call=call, structure=structure, actor=actor)
    return application_update(
        application=application,
        actor=actor,
        project=project,
        needed_surface_m2=needed_surface_m2,
        needed_kind=needed_kind,
        wanted_start=wanted_start,
        duration_months=duration_months,
        lots_ranked=lots_ranked,
        documents=documents,
        republican_commitment_signatory=republican_commitment_signatory,
    )


def _application_transition(
    application: Application, to: str, actor: Actor, reason: str = ""
) -> bool:
    from_status = status_change(
        application, to=to, transitions=APPLICATION_TRANSITIONS, error=ApplicationInvalidTransition
    )
    if from_status is None:
        return False
    ApplicationLog.objects.create(
        application=application,
        from_status=from_status,
        to_status=to,
        actor=logged_actor(actor),
        reason=reason,
    )
    return True


@transaction.atomic
def application_submit(*, application: Application, actor: User) -> bool:
    """Submit; refused with the list of what is missing (ValidationError). The call's managers
    are told, and the applicant gets a receipt."""
    application_check_applicant(actor=actor, application=application)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call")
        .get(pk=application.pk)
    )
    if application.status == ApplicationStatus.SUBMITTED:
        return False
    if application.status != ApplicationStatus.DRAFT:
        raise ApplicationInvalidTransition(application.status, ApplicationStatus.SUBMITTED)
    call = application.call
    if not call_accepts_applications(call):
        raise ValidationError(_("This call is not open for applications."))
    missing = application_missing_items(application)
    if missing:
        raise ValidationError(missing)
    changed = _application_transition(application, ApplicationStatus.SUBMITTED, actor)
    if changed:
        Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now())
        notifications.application_submitted_notify(application, actor=actor)
    return changed


@transaction.atomic
def application_withdraw(*, application: Application, actor: User, reason: str = "") -> bool:
    """Withdraw a draft or a sent application; the call's managers are told if it was sent."""
    application_check_applicant(actor=actor, application=application)
    changed = _application_transition(application, ApplicationStatus.WITHDRAWN, actor, reason)
    if changed:
        notifications.application_withdrawn_notify(application, actor=actor, reason=reason)
    return changed
