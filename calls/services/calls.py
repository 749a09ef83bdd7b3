"""Writes on calls for applications: draft, criteria grid, publish, close, deliberation."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import PLATFORM, Actor, logged_actor
from accounts.models import Organisation, User
from calls import notifications, rules, signals
from calls.exceptions import CallInvalidTransition
from calls.models import (
    CALL_TRANSITIONS,
    ApplicationStatus,
    Call,
    CallLog,
    CallLot,
    CallStatus,
    Criterion,
)
from calls.permissions import call_check_manager
from core.history import history_actor
from core.signals import status_changed_in_transaction
from core.validators import bounds_of
from core.workflow import status_change
from spaces.models import Space
from spaces.selectors import site_owners_for, spaces_manageable_by


def _check_call_terms(
    *, actor: User, owner: Organisation, spaces: list[Space], deadline: datetime | None
) -> None:
    if not site_owners_for(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied
    errors = {}
    if not spaces:
        errors["spaces"] = _("Choose at least one vacant space.")
    elif spaces_manageable_by(actor).filter(pk__in=[s.pk for s in spaces]).count() != len(spaces):
        raise PermissionDenied
    elif any(not space.allocatable for space in spaces):
        errors["spaces"] = _("Some of these spaces are not offered for long-term occupancy.")
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    if errors:
        raise ValidationError(errors)


def _lots_set(call: Call, spaces: list[Space]) -> None:
    call.lots.all().delete()
    CallLot.objects.bulk_create(
        [
            CallLot(call=call, space=space, position=index)
            for index, space in enumerate(spaces, start=1)
        ]
    )


@transaction.atomic
def call_create(
    *,
    actor: User,
    owner: Organisation,
    title: str,
    presentation: str,
    eligibility: str,
    spaces: list[Space],
    required_documents: list[str],
    deadline: datetime | None,
    criteria: list[tuple[str, int, str]] | None = None,
) -> Call:
    """Draft a call over spaces the actor manages, with the default grid unless given one."""
    _check_call_terms(actor=actor, owner=owner, spaces=spaces, deadline=deadline)
    call = Call.objects.create(
        owner=owner,
        title=title.strip(),
        presentation=presentation.strip(),
        eligibility=eligibility.strip(),
        required_documents=required_documents,
        deadline=deadline,
        created_by=actor,
    )
    _lots_set(call, spaces)
    criteria_set(call=call, criteria=criteria or rules.DEFAULT_CRITERIA, actor=actor)
    return call


@transaction.atomic
def call_update(
    *,
    call: Call,
    actor: User,
    owner: Organisation,
    title: str,
    presentation: str,
    eligibility: str,
    spaces: list[Space],
    required_documents: list[str],
    deadline: datetime | None,
) -> Call:
    """Change a draft call. Once published, the call binds its authority: any change is refused."""
    call = _draft_locked(call, actor, frozen=_call_frozen())
    _check_call_terms(actor=actor, owner=owner, spaces=spaces, deadline=deadline)
    call.owner = owner
    call.title = title.strip()
    call.presentation = presentation.strip()
    call.eligibility = eligibility.strip()
    call.required_documents = required_documents
    call.deadline = deadline
    call.save(
        update_fields=[
            "owner",
            "title",
            "presentation",
            "eligibility",
            "required_documents",
            "deadline",
        ]
    )
    if [lot.space_id for lot in call.lots.all()] != [space.pk for space in spaces]:
        _lots_set(call, spaces)
    return call


def _draft_locked(call: Call, actor: User, *, frozen: dict | str) -> Call:
    """`call` locked for a change of its draft (the actor runs it); once published, refused
    with `frozen` (the ValidationError's message, or its messages by field)."""
    call_check_manager(actor=actor, call=call)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.status != CallStatus.DRAFT:
        raise ValidationError(frozen)
    return call


def _criteria_frozen() -> dict:
    return {"criteria": _("The criteria were published: they can no longer change.")}


def _call_frozen() -> str:
    return _("The call was published: it can no longer change.")


@transaction.atomic
def criteria_set(*, call: Call, criteria: list[tuple[str, int, str]], actor: User) -> None:
    """Replace the grid of a draft call. Once published, the grid is frozen: refused.

    Criteria are deleted and created one by one (not in bulk) so that the field history keeps
    each removed and added criterion, signed by `actor`.
    """
    call = _draft_locked(call, actor, frozen=_criteria_frozen())
    if not criteria or any(
        weight < 1 or not name.strip() for name, weight, _description in criteria
    ):
        raise ValidationError(
            {
                "criteria": _(
                    "Give at least one criterion, each with a name and a weight of at least 1."
                )
            }
        )
    with history_actor(actor):
        call.criteria.all().delete()
        for index, (name, weight, description) in enumerate(criteria, start=1):
            Criterion.objects.create(
                call=call,
                name=name.strip(),
                weight=weight,
                description=description.strip(),
                position=index,
            )


def _check_criterion(name: str, weight: int) -> None:
    errors = {}
    if not name.strip():
        errors["name"] = _("Give the criterion a name.")
    bounds = bounds_of(Criterion, "weight")
    if not bounds["min_value"] <= weight <= bounds["max_value"]:
        errors["weight"] = _("Give a weight from %(min)s to %(max)s points.") % {
            "min": bounds["min_value"],
            "max": bounds["max_value"],
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def criterion_add(
    *, call: Call, actor: User, name: str, weight: int, description: str = ""
) -> Criterion:
    """Add a criterion at the end of a draft call's grid. Once published, refused."""
    call = _draft_locked(call, actor, frozen=_criteria_frozen())
    _check_criterion(name, weight)
    last = call.criteria.order_by("-position").values_list("position", flat=True).first() or 0
    with history_actor(actor):
        return Criterion.objects.create(
            call=call,
            name=name.strip(),
            weight=weight,
            description=description.strip(),
            position=last + 1,
        )


def _criterion_locked(criterion: Criterion, actor: User) -> Criterion:
    _draft_locked(Call(pk=criterion.call_id), actor, frozen=_criteria_frozen())
    current = Criterion.objects.filter(pk=criterion.pk).first()
    if current is None:  # removed meanwhile
        raise PermissionDenied
    return current


@transaction.atomic
def criterion_update(
    *, criterion: Criterion, actor: User, name: str, weight: int, description: str
) -> Criterion:
    """Change a criterion of a draft call (its name, weight, description). Once published,
    refused: the grid binds the authority."""
    criterion = _criterion_locked(criterion, actor)
    _check_criterion(name, weight)
    criterion.name = name.strip()
    criterion.weight = weight
    criterion.description = description.strip()
    with history_actor(actor):
        criterion.save(update_fields=["name", "weight", "description"])
    return criterion


@transaction.atomic
def criterion_delete(*, criterion: Criterion, actor: User) -> None:
    """Remove a criterion from a draft call's grid, unless it is the last one. Once published,
    refused."""
    criterion = _criterion_locked(criterion, actor)
    if not Criterion.objects.filter(call=criterion.call_id).exclude(pk=criterion.pk).exists():
        raise ValidationError(_("A call needs at least one lot and one criterion."))
    with history_actor(actor):
        criterion.delete()


@transaction.atomic
def lot_add(*, call: Call, actor: User, space: Space) -> CallLot:
    """Offer one more vacant space the actor manages as a lot of a draft call, last."""
    call = _draft_locked(call, actor, frozen=_call_frozen())
    if not spaces_manageable_by(actor).filter(pk=space.pk).exists():
        raise PermissionDenied
    if not space.allocatable:
        raise ValidationError({"space": _("This space is not offered for long-term occupancy.")})
    if call.lots.filter(space=space).exists():
        raise ValidationError({"space": _("This space is already a lot of the call.")})
    last = call.lots.order_by("-position").values_list("position", flat=True).first() or 0
    return CallLot.objects.create(call=call, space=space, position=last + 1)


@transaction.atomic
def lot_delete(*, lot: CallLot, actor: User) -> None:
    """Withdraw a lot from a draft call, unless it is the last one."""
    _draft_locked(Call(pk=lot.call_id), actor, frozen=_call_frozen())
    if not CallLot.objects.filter(call=lot.call_id).exclude(pk=lot.pk).exists():
        raise ValidationError(_("A call needs at least one lot and one criterion."))
    CallLot.objects.filter(pk=lot.pk).delete()


def _call_transition(call: Call, to: str, actor: Actor, reason: str = "") -> bool:
    """Change the call's status and log it (CallLog) in the same transaction."""
    from_status = status_change(
        call, to=to, transitions=CALL_TRANSITIONS, error=CallInvalidTransition
    )
    if from_status is None:
        return False
    CallLog.objects.create(
        call=call, from_status=from_status, to_status=to, actor=logged_actor(actor), reason=reason
    )
    status_changed_in_transaction.send(
        sender=Call, pk=call.pk, from_status=from_status, to_status=to
    )
    # robust: the change is committed; a listener failing now is logged, never a lying 500.
    transaction.on_commit(
        lambda: signals.call_status_changed.send(
            sender=Call, call_id=call.pk, from_status=from_status, to_status=to
        ),
        robust=True,
    )
    return True


@transaction.atomic
def call_publish(*, call: Call, actor: User) -> bool:
    """Open the call; its criteria and weights are frozen from now on (a snapshot is kept).
    The structures on the waiting list whose need a lot fits are told."""
    call_check_manager(actor=actor, call=call)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.deadline is not None and call.deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})
    if not call.lots.exists() or not call.criteria.exists():
        raise ValidationError(_("A call needs at least one lot and one criterion."))
    changed = _call_transition(call, CallStatus.PUBLISHED, actor)
    if changed:
        Call.objects.filter(pk=call.pk).update(
            published_at=timezone.now(),
            published_criteria=[
                {"name": c.name, "weight": c.weight, "description": c.description}
                for c in call.criteria.all()
            ],
        )
        notifications.call_published_notify(call)
    return changed


@transaction.atomic
def call_close(*, call: Call, actor: User) -> bool:
    """Close the call before its deadline; applicants and reviewers are told."""
    call_check_manager(actor=actor, call=call)
    changed = _call_transition(call, CallStatus.CLOSED, actor)
    if changed:
        notifications.call_closed_notify(call)
    return changed


def calls_close_past_deadline(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    closed = 0
    for call in Call.objects.filter(status=CallStatus.PUBLISHED, deadline__lte=now):
        with transaction.atomic():
            if _call_transition(call, CallStatus.CLOSED, PLATFORM):
                notifications.call_closed_notify(call)
                closed += 1
    return closed


@transaction.atomic
def call_decide(*, call: Call, actor: User, reference: str, decided_on: date) -> bool:
    """Record the deliberation; every submitted application must have been decided."""
    call_check_manager(actor=actor, call=call)
    if not reference.strip():
        raise ValidationError({"deliberation_reference": _("Give the decision number.")})
    call = Call.objects.select_for_update().get(pk=call.pk)  # no decision slips in meanwhile
    if call.applications.filter(status=ApplicationStatus.SUBMITTED).exists():
        raise ValidationError(_("Decide on every application first."))
    reference = reference.strip()
    changed = _call_transition(
        call, CallStatus.DECIDED, actor, f"{reference} ({decided_on.isoformat()})"
    )
    if changed:  # a repeated decision never overwrites the recorded deliberation
        Call.objects.filter(pk=call.pk).update(
            deliberation_reference=reference, deliberation_date=decided_on
        )
        notifications.call_decided_notify(call)
    return changed
