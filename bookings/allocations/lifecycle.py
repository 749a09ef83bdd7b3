"""Offer, acceptance or refusal by the structure, and signature of occupancy agreements; the
status changes of agreements (`_transition`), which every service of this package goes through.
"""

from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.actors import Actor, logged_actor
from accounts.models import EssFamily, Organisation, OrganisationKind, User
from bookings import signals
from bookings.allocations.actions import (
    AllocationAction,
    allocation_check_actor,
    allocation_check_decider,
)
from bookings.allocations.notifications import allocation_notify
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.models import (
    ALLOCATION_TRANSITIONS,
    Allocation,
    AllocationLog,
    AllocationStatus,
    FreeUseBasis,
    LegalRegime,
    Occupancy,
    OccupancyKind,
)
from bookings.models.allocations import ALLOCATION_OCCUPYING
from bookings.rules import Period
from bookings.selectors import local_zone, occupancies_allocated, occupancies_blocking_allocation
from bookings.services.occupancy import occupancies_allocate, occupancies_lift_closures
from core.signals import status_changed_in_transaction
from core.workflow import status_change
from spaces.models import Domain, Space
from spaces.selectors import spaces_manageable_by

REASON_REQUIRED = frozenset({AllocationStatus.DECLINED, AllocationStatus.ENDED})


class InvalidAllocationTransition(InvalidTransition):
    """A refused status change of an agreement (409); its message names agreement statuses."""

    def message(self) -> str:
        return _("This agreement is %(status)s: that change is not possible.") % {
            "status": AllocationStatus(self.from_status).label.lower()
        }


# Associations and foundations may get free use under L2125-1 (non-profit, general interest).
_NON_PROFIT = frozenset({EssFamily.ASSOCIATION, EssFamily.FOUNDATION})
_REGIME_OF_DOMAIN = {
    Domain.PUBLIC: LegalRegime.PUBLIC_DOMAIN,
    Domain.PRIVATE: LegalRegime.PRIVATE_DOMAIN,
}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def allocation_period(allocation: Allocation) -> Period:
    """The agreement's days as a period, from local midnight to local midnight."""
    return Period(_midnight(allocation.start), _midnight(allocation.end))


def _check_terms(
    *,
    structure: Organisation,
    owner: Organisation,
    spaces: list[Space],
    start: date,
    end: date,
    legal_regime: str,
    annual_fee_cents: int,
    free_use_basis: str,
    free_use_reference: str,
    direct_reason: str,
    from_call: bool,
) -> None:
    errors: dict[str, str] = {}
    if not spaces:
        errors["spaces"] = _("Choose at least one space.")
    elif any(space.site.owner_id != owner.pk for space in spaces):
        errors["spaces"] = _("All the spaces of an agreement belong to the same owner.")
    elif any(not space.allocatable for space in spaces):
        errors["spaces"] = _("Some of these spaces are not offered for long-term occupancy.")
    if start >= end:
        errors["end"] = _("The end must be after the start.")
    if spaces and any(_REGIME_OF_DOMAIN[space.site.domain] != legal_regime for space in spaces):
        # The domain of the building decides the regime: an AOT on the public domain, a
        # precarious agreement on the private domain.
        errors["legal_regime"] = _("The legal regime must follow the domain of the building.")
    if structure.kind == OrganisationKind.ESS and not structure.is_verified:
        errors["structure"] = _("The intercommunality has not verified this structure yet.")
    if not free_use_basis and not annual_fee_cents:
        errors["annual_fee_cents"] = _("Give the annual fee, or the legal basis of free use.")
    if free_use_basis:
        if annual_fee_cents:
            errors["annual_fee_cents"] = _("Free use means no fee.")
        if (
            free_use_basis in (FreeUseBasis.L2125_1, FreeUseBasis.L2125_1_2)
            and legal_regime != LegalRegime.PUBLIC_DOMAIN
        ):
            # Both articles derogate from the fee due for the public domain (CG3P L2125-1).
            errors["legal_regime"] = _(
                "L2125-1 and L2125-1-2 concern the public domain; on the private domain, state "
                "the justification of free use (other exemption)."
            )
        if not structure.siret:
            # In-kind aid is a subsidy: the beneficiary needs a SIRET (associations.gouv.fr).
            errors["structure"] = _("Free use is an in-kind subsidy: the structure needs a SIRET.")
        if free_use_basis == FreeUseBasis.L2125_1_2 and owner.kind != OrganisationKind.COMMUNE:
            errors["free_use_basis"] = _(
                "Only a commune may grant free use under L2125-1-2; an intercommunality is "
                "limited to L2125-1."
            )
        elif (
            free_use_basis == FreeUseBasis.L2125_1_2
            and structure.ess_family != EssFamily.ASSOCIATION
        ):
            errors["free_use_basis"] = _("L2125-1-2 applies to associations only.")
        elif free_use_basis == FreeUseBasis.L2125_1 and structure.ess_family not in _NON_PROFIT:
            errors["free_use_basis"] = _(
                "L2125-1 applies to non-profit associations (and foundations) of general interest."
            )
        if (
            free_use_basis in (FreeUseBasis.L2125_1_2, FreeUseBasis.OTHER)
            and not free_use_reference.strip()
        ):
            errors["free_use_reference"] = _("Give the deliberation or the justification.")
    if not from_call and not direct_reason.strip():
        errors["direct_reason"] = _(
            "Without a call for applications, say why the law allows it (e.g. urgency, one "
            "possible occupant, short occupation)."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def allocation_offer(
    *,
    actor: User,
    structure: Organisation,
    spaces: list[Space],
    start: date,
    end: date,
    legal_regime: str | None = None,
    annual_fee_cents: int = 0,
    free_use_basis: str = "",
    free_use_reference: str = "",
    deposit_cents: int = 0,
    direct_reason: str = "",
    from_call: bool = False,
    renews: Allocation | None = None,
) -> Allocation:
    """Offer an agreement to a structure. Raises ValidationError naming the field at fault,
    PermissionDenied if the actor does not manage every space, BookingConflict if a space is
    already allocated over the period.

    The legal regime follows the domain of the spaces' building when not given.
    """
    spaces = list(
        Space.objects.select_related("site", "site__owner").filter(pk__in=[s.pk for s in spaces])
    )
    if not spaces:
        raise ValidationError({"spaces": _("Choose at least one space.")})
    manageable = set(
        spaces_manageable_by(actor)
        .filter(pk__in=[s.pk for s in spaces])
        .values_list("pk", flat=True)
    )
    if len(manageable) != len(spaces):
        raise PermissionDenied
    owner = spaces[0].site.owner
    legal_regime = legal_regime or _REGIME_OF_DOMAIN[spaces[0].site.domain]
    _check_terms(
        structure=structure,
        owner=owner,
        spaces=spaces,
        start=start,
        end=end,
        legal_regime=legal_regime,
        annual_fee_cents=annual_fee_cents,
        free_use_basis=free_use_basis,
        free_use_reference=free_use_reference,
        direct_reason=direct_reason,
        from_call=from_call or renews is not None,
    )
    # After the terms: spaces of two owners are a mistake in the request, said as such.
    allocation_check_decider(actor=actor, spaces=spaces, structure=structure)
    period = Period(_midnight(start), _midnight(end))
    clashes = [
        (period, Period(row.start, row.end))
        for row in occupancies_allocated(spaces=spaces, period=period)
    ]
    if clashes:
        raise BookingConflict(clashes, message=_("A space is already allocated over that period."))
    allocation = Allocation.objects.create(
        structure=structure,
        owner=owner,
        start=start,
        end=end,
        legal_regime=legal_regime,
        annual_fee_cents=annual_fee_cents,
        free_use_basis=free_use_basis,
        free_use_reference=free_use_reference.strip(),
        deposit_cents=deposit_cents,
        direct_reason=direct_reason.strip(),
        renews=renews,
        created_by=actor,
    )
    allocation.spaces.set(spaces)
    AllocationLog.objects.create(
        allocation=allocation,
        to_status=allocation.status,
        actor=actor,
        reason=_offer_terms(allocation),
    )
    allocation_notify(allocation, "offered")
    return allocation


def _offer_terms(allocation: Allocation) -> str:
    """What the owner is committed to, and why, for the log: fee or free use with its basis
    and justification, the reason for doing without a call, the agreement renewed."""
    # Stored text: written in the platform's language, not the caller's.
    with translation.override(settings.LANGUAGE_CODE):
        if allocation.free_use_basis:
            parts = [_("Free use: %(basis)s.") % {"basis": allocation.get_free_use_basis_display()}]
            if allocation.free_use_reference:
                parts.append(_("Justification: %(text)s") % {"text": allocation.free_use_reference})
        else:
            euros = number_format(allocation.annual_fee_cents / 100, 2)
            parts = [_("Annual fee: %(amount)s €.") % {"amount": euros}]
        if allocation.direct_reason:
            parts.append(
                _("Without a call for applications: %(text)s") % {"text": allocation.direct_reason}
            )
        if allocation.renews_id:
            parts.append(_("Renewal of agreement no. %(id)s.") % {"id": allocation.renews_id})
        return "\n".join(parts)


def _transition(*, allocation: Allocation, to: str, actor: Actor, reason: str = "") -> bool:
    """Change the status (core.workflow.status_change) and log it; False if already there.
    Checks no permission: its callers did."""

    def reason_given() -> None:
        if to in REASON_REQUIRED and not reason.strip():
            raise ValidationError({"reason": _("Give a reason.")})

    from_status = status_change(
        allocation,
        to=to,
        transitions=ALLOCATION_TRANSITIONS,
        error=InvalidAllocationTransition,
        check=reason_given,
    )
    if from_status is None:
        return False
    AllocationLog.objects.create(
        allocation=allocation,
        from_status=from_status,
        to_status=to,
        actor=logged_actor(actor),
        reason=reason.strip(),
    )
    status_changed_in_transaction.send(
        sender=Allocation, pk=allocation.pk, from_status=from_status, to_status=to
    )
    # robust: the change is committed; a listener failing now is logged, never a lying 500.
    transaction.on_commit(
        lambda: signals.allocation_status_changed.send(
            sender=Allocation, allocation_id=allocation.pk, from_status=from_status, to_status=to
        ),
        robust=True,
    )
    return True


@transaction.atomic
def allocation_accept(
    *,
    allocation: Allocation,
    actor: User,
    house_rules_accepted: bool,
    insurance_valid_until: date | None,
) -> bool:
    """The structure accepts the offer and the house rules, and gives its insurance's validity.
    Only an administrator of the structure answers (allocation_check_actor)."""
    allocation_check_actor(actor=actor, allocation=allocation, action=AllocationAction.ACCEPT)
    errors = {}
    if not house_rules_accepted:
        errors["house_rules_accepted"] = _("Accept the house rules to go on.")
    if insurance_valid_until is None or insurance_valid_until < allocation.start:
        errors["insurance_valid_until"] = _(
            "The insurance certificate must cover the start of the occupation."
        )
    if errors:
        raise ValidationError(errors)
    changed = _transition(allocation=allocation, to=AllocationStatus.ACCEPTED, actor=actor)
    if changed:
        Allocation.objects.filter(pk=allocation.pk).update(
            house_rules_accepted_at=timezone.now(), insurance_valid_until=insurance_valid_until
        )
        allocation_notify(allocation, "accepted")
    return changed


@transaction.atomic
def allocation_decline(*, allocation: Allocation, actor: User, reason: str) -> bool:
    """The structure declines the offer (before signature), with a reason."""
    allocation_check_actor(actor=actor, allocation=allocation, action=AllocationAction.DECLINE)
    changed = _transition(
        allocation=allocation, to=AllocationStatus.DECLINED, actor=actor, reason=reason
    )
    if changed:
        allocation_notify(allocation, "declined", reason=reason.strip())
    return changed


def _bookings_cancel(rows: list[Occupancy], *, actor: User, reason: str) -> None:
    """Cancel the booking dates in `rows`: a booking's dates in one go when they are its last
    ones (one e-mail per booking rather than one per date), else date by date."""
    from bookings.services import booking_cancel  # a sibling service module

    by_booking: dict[int, list[Occupancy]] = {}
    for row in rows:
        by_booking.setdefault(row.booking_id, []).append(row)
    for hit in by_booking.values():
        booking = hit[0].booking
        first = min(row.start for row in hit)
        following = set(
            booking.occupancies.filter(active=True, start__gte=first).values_list("pk", flat=True)
        )
        if following == {row.pk for row in hit}:
            booking_cancel(
                booking=booking,
                actor=actor,
                reason=reason,
                occurrence_start=first,
                and_following=True,
            )
            continue
        for row in sorted(hit, key=lambda row: row.start):
            booking_cancel(
                booking=booking,
                actor=actor,
                reason=reason,
                occurrence_start=row.start,
            )


@transaction.atomic
def allocation_sign(
    *,
    allocation: Allocation,
    actor: User,
    cancel_bookings: bool = False,
    reason: str = "",
    today: date | None = None,
) -> bool:
    """Record the signature and reserve the spaces for the whole period.

    Bookings in the period are listed (BookingConflict; `occupancies_blocking_allocation`
    gives the rows) unless `cancel_bookings`, which cancels those dates with `reason` (the
    organisations are e-mailed after commit). Closures of the spaces no longer apply during the
    period. Raises ValidationError if the insurance does not cover the start,
    InvalidTransition unless the agreement was accepted.
    """
    today = today or timezone.localdate()
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    allocation_check_actor(actor=actor, allocation=allocation, action=AllocationAction.SIGN)
    if allocation.status in ALLOCATION_OCCUPYING:
        return False  # already signed (and perhaps already active): a repeated request
    if AllocationStatus.SIGNED not in ALLOCATION_TRANSITIONS.get(allocation.status, frozenset()):
        raise InvalidAllocationTransition(allocation.status, AllocationStatus.SIGNED)
    structure = allocation.structure
    if structure.kind == OrganisationKind.ESS and not structure.is_verified:
        # Its identity changed since the offer (accounts.services.organisation_update).
        raise ValidationError(
            {"structure": _("The intercommunality has not verified this structure yet.")}
        )
    if (
        allocation.insurance_valid_until is None
        or allocation.insurance_valid_until < allocation.start
    ):
        raise ValidationError(
            {
                "insurance_valid_until": _(
                    "The insurance certificate must cover the start of the occupation."
                )
            }
        )
    spaces = list(Space.objects.select_for_update().filter(allocations=allocation).order_by("pk"))
    period = allocation_period(allocation)
    overlapping = occupancies_blocking_allocation(allocation=allocation)
    # Closures stop bookings; an allocated space is its occupant's under the agreement, so the
    # closure no longer applies to it during the agreement.
    occupancies_lift_closures(
        rows=list(overlapping.filter(kind=OccupancyKind.CLOSURE)), period=period
    )
    hit = list(overlapping.exclude(kind=OccupancyKind.CLOSURE))
    if hit and not (cancel_bookings and all(row.kind == OccupancyKind.BOOKING for row in hit)):
        raise BookingConflict(
            [(period, Period(row.start, row.end)) for row in hit],
            message=_("Bookings or other agreements use these spaces during the period."),
        )
    if hit and not reason.strip():
        raise ValidationError(
            {"reason": _("Give the reason sent to the people whose bookings are cancelled.")}
        )
    _bookings_cancel(hit, actor=actor, reason=reason)
    changed = _transition(allocation=allocation, to=AllocationStatus.SIGNED, actor=actor)
    occupancies_allocate(allocation=allocation, spaces=spaces, period=period)
    Space.objects.filter(pk__in=[space.pk for space in spaces]).update(vacant_since=None)
    if allocation.start <= today:
        _transition(allocation=allocation, to=AllocationStatus.ACTIVE, actor=actor)
    if changed:
        # One message: an agreement signed on or after its first day says it has begun.
        allocation_notify(allocation, "signed", started=allocation.start <= today)
    return changed
