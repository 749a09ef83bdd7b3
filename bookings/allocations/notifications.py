"""Telling both sides of an occupancy agreement each of its steps (accounts.messaging).

The structure's members hear of the offer (an administrator answers it), of the signature, the
first day, the end approaching (60 and 30 days before, `allocations_remind_ending`), a renewal
and the end, at term or early with its reason. The owner's side — the owner's staff and the
managers of the agreement's sites — hears of the answer (accepted: to sign; declined, with the
reason), the signature, the first day, the end approaching, a renewal offered and the end.

Each message names the agreement's page (`link`), where the person acts, and who can answer:
the sites' managers (else the owner's contact address, else its staff) for the structure, the
structure's administrators (else its contact address) for the owner's side. Called by the
services of this package inside the transaction of the change they report.

How the fee is paid depends on payments, which sits above bookings: payments registers a
source of payment terms (`allocation_payment_terms_register`, in its AppConfig.ready) that the
offer and the signature show to the structure.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.formats import number_format

from accounts.messaging import notify_users
from accounts.models import MembershipRole, User
from bookings.models import Allocation, SharingWindow

STRUCTURE = "structure"
OWNER = "owner"

# The messages of each step, and who gets them.
STEPS: dict[str, tuple[str, ...]] = {
    "offered": (STRUCTURE,),
    "accepted": (OWNER, STRUCTURE),
    "declined": (OWNER,),
    "signed": (OWNER, STRUCTURE),
    "started": (OWNER, STRUCTURE),
    "ending_soon": (OWNER, STRUCTURE),
    "renewed": (OWNER,),  # the structure gets the renewal's offer ("offered")
    "ended": (OWNER, STRUCTURE),
    "terminated": (OWNER, STRUCTURE),
}

# What payments tells about how an agreement's fee is paid: a source returns a context for
# the templates (`payment_terms`), or None when it has nothing to say.
PaymentTermsSource = Callable[[Allocation], dict[str, Any] | None]
_payment_terms_sources: list[PaymentTermsSource] = []


def allocation_payment_terms_register(source: PaymentTermsSource) -> None:
    """Add a source of payment terms (idempotent: registering twice adds it once)."""
    if source not in _payment_terms_sources:
        _payment_terms_sources.append(source)


class Euros:
    """An amount written in the language of the message it is rendered in: « 1 200,00 € » in
    French, « 1,200.00 € » in English (messages are rendered in each recipient's language)."""

    def __init__(self, cents: int) -> None:
        self.cents = cents

    def __str__(self) -> str:
        amount = number_format(Decimal(self.cents) / 100, decimal_pos=2, force_grouping=True)
        return f"{amount} €"

    def __bool__(self) -> bool:
        return bool(self.cents)


def _active(users: QuerySet[User]) -> QuerySet[User]:
    return users.filter(is_active=True, erased_at__isnull=True).distinct().order_by("email")


def _structure_users(allocation: Allocation) -> QuerySet[User]:
    """The structure's members."""
    return _active(User.objects.filter(memberships__organisation=allocation.structure_id))


def _owner_users(allocation: Allocation) -> QuerySet[User]:
    """The owner's staff and the managers of the agreement's sites."""
    sites = allocation.spaces.values("site_id")
    return _active(
        User.objects.filter(
            Q(memberships__organisation=allocation.owner_id) | Q(managed_sites__in=sites)
        )
    )


def _emails(users: QuerySet[User]) -> list[str]:
    return list(users.values_list("email", flat=True))


def _owner_reply_to(allocation: Allocation) -> list[str]:
    """Who answers the structure: the sites' managers, else the owner's contact address, else
    its staff."""
    managers = _emails(_active(User.objects.filter(managed_sites__spaces__allocations=allocation)))
    if managers:
        return managers
    if allocation.owner.email:
        return [allocation.owner.email]
    return _emails(_active(User.objects.filter(memberships__organisation=allocation.owner_id)))


def _structure_reply_to(allocation: Allocation) -> list[str]:
    """Who answers the owner's side: the structure's administrators, else its contact
    address."""
    admins = _emails(
        _active(
            User.objects.filter(
                memberships__organisation=allocation.structure_id,
                memberships__role=MembershipRole.ADMIN,
            )
        )
    )
    return admins or ([allocation.structure.email] if allocation.structure.email else [])


def _payment_terms(allocation: Allocation) -> dict[str, Any] | None:
    for source in _payment_terms_sources:
        terms = source(allocation)
        if terms:
            return terms
    return None


def allocation_notify(allocation: Allocation, step: str, **extra: Any) -> int:
    """Tell each side of `allocation` that `step` happened (`STEPS`); `extra` goes to the
    templates (`reason`, `on`, `days_before`). Call it in the transaction of the change.
    Returns how many e-mails were queued."""
    allocation = (
        Allocation.objects.select_related("structure", "owner", "renews")
        .prefetch_related("spaces__site__commune")
        .get(pk=allocation.pk)
    )
    spaces = list(allocation.spaces.all())
    context = {
        "allocation": allocation,
        "spaces": spaces,
        "sites": sorted({space.site.name for space in spaces}),
        "fee": Euros(allocation.annual_fee_cents),
        "monthly_fee": Euros(round(allocation.annual_fee_cents / 12)),
        "deposit": Euros(allocation.deposit_cents),
        "last_day": allocation.end - timedelta(days=1),
        "payment_terms": None,
        **extra,
    }
    link = allocation.get_absolute_url()
    queued = 0
    for side in STEPS[step]:
        if side == STRUCTURE:
            users, reply_to = _structure_users(allocation), _owner_reply_to(allocation)
            if step in ("offered", "signed") and allocation.annual_fee_cents:
                context["payment_terms"] = _payment_terms(allocation)
        else:
            users, reply_to = _owner_users(allocation), _structure_reply_to(allocation)
        queued += notify_users(
            users,
            message=f"allocation_{step}",
            context={**context, "side": side},
            about=f"agreement {allocation.pk}, {step} ({side})",
            link=link,
            reply_to=reply_to,
        )
    return queued


# Shared use of the agreement's rooms (issue 17, bookings/allocations/sharing.py).
SHARING_PROPOSED = "proposed"
SHARING_CONSENTED = "consented"
SHARING_WITHDRAWN = "withdrawn"


def _owner_deciders(allocation: Allocation, site_id: int) -> QuerySet[User]:
    """Who may consent for the owner to a shared time in a room of `site_id` — the people
    `allocation_check_decider` accepts: the owner's staff and the site's facilities managers it
    delegated, not members of the occupant."""
    return _active(
        User.objects.filter(
            Q(memberships__organisation=allocation.owner_id)
            | Q(sitemanager__site=site_id, sitemanager__may_commit_owner=True)
        ).exclude(memberships__organisation=allocation.structure_id)
    )


def sharing_window_notify(window: SharingWindow, event: str, *, by_occupant: bool = False) -> int:
    """Tell who must hear of a shared time's `event`: a proposal to the people who may consent
    for the owner; a consent to the occupant's members; a withdrawal to the occupant's members
    and, when the occupant withdrew it, to the owner's side as well. Call it in the transaction
    of the change (the e-mails leave after commit). Returns how many e-mails were queued."""
    window = SharingWindow.objects.select_related(
        "space", "allocation__structure", "allocation__owner"
    ).get(pk=window.pk)  # as written, with its consent or withdrawal
    allocation, space = window.allocation, window.space
    owners = _owner_deciders(allocation, space.site_id)
    if event == SHARING_PROPOSED:
        sides = [(OWNER, owners, _structure_reply_to(allocation))]
    else:
        sides = [(STRUCTURE, _structure_users(allocation), _owner_reply_to(allocation))]
        if event == SHARING_WITHDRAWN and by_occupant:
            sides.append((OWNER, owners, _structure_reply_to(allocation)))
    context = {
        "allocation": allocation,
        "window": window,
        "space": space,
        "weekday": window.get_weekday_display(),
        "by_occupant": by_occupant,
    }
    queued = 0
    for side, users, reply_to in sides:
        queued += notify_users(
            users,
            message=f"sharing_{event}",
            context={**context, "side": side},
            about=f"agreement {allocation.pk}, shared time {window.pk} {event} ({side})",
            link=allocation.get_absolute_url(),
            reply_to=reply_to,
        )
    return queued
