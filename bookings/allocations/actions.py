"""What a person may do to an agreement, and when: the one place of these rules.

`RULES` says, for each action, who may take it (the structure's administrators answer an offer;
the managers of the spaces follow keys and inventories; only those who may commit the owner,
and do not belong to the structure, sign, renew and end) and in which statuses (derived from
`ALLOCATION_TRANSITIONS` where the action is a status change). The services check the actor with
`allocation_check_actor`; the agreement's page asks `allocation_actions_for` what to offer, so
neither re-derives the state machine. The platform (`PLATFORM`) only ends agreements at term.
"""

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform
from accounts.conflicts import decision_check_impartial
from accounts.exceptions import DecisionNotAllowed
from accounts.models import Organisation
from bookings.models import (
    ALLOCATION_TRANSITIONS,
    Allocation,
    AllocationStatus,
    InventoryKind,
)
from bookings.models.allocations import ALLOCATION_OCCUPYING
from bookings.selectors import (
    allocations_answerable_by,
    allocations_manageable_by,
    allocations_visible_to,
)
from spaces.models import Space
from spaces.selectors import sites_committable_by


class AllocationAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    SIGN = "sign"
    END = "end"
    RENEW = "renew"
    KEY_ISSUE = "key_issue"
    KEY_RETURN = "key_return"
    INVENTORY = "inventory"


class Who(Enum):
    ANSWERER = "answerer"  # an administrator of the structure (allocations_answerable_by)
    MANAGER = "manager"  # a manager of the spaces (allocations_manageable_by)
    DECIDER = "decider"  # a manager who may commit the owner and is impartial


def _statuses_towards(target: str) -> frozenset[str]:
    """The statuses from which the state machine allows moving to `target`."""
    return frozenset(
        status for status, targets in ALLOCATION_TRANSITIONS.items() if target in targets
    )


# Inventories of fixtures: the entry one once signed; the exit one until after the end.
INVENTORY_STATUSES: dict[str, frozenset[str]] = {
    InventoryKind.ENTRY: ALLOCATION_OCCUPYING,
    InventoryKind.EXIT: ALLOCATION_OCCUPYING | {AllocationStatus.ENDED},
}


@dataclass(frozen=True)
class Rule:
    who: Who
    statuses: frozenset[str]  # the agreement's statuses in which the action may be taken
    by_platform: bool = False  # the platform takes it when a rule says so


RULES: dict[AllocationAction, Rule] = {
    AllocationAction.ACCEPT: Rule(Who.ANSWERER, _statuses_towards(AllocationStatus.ACCEPTED)),
    AllocationAction.DECLINE: Rule(Who.ANSWERER, _statuses_towards(AllocationStatus.DECLINED)),
    AllocationAction.SIGN: Rule(Who.DECIDER, _statuses_towards(AllocationStatus.SIGNED)),
    AllocationAction.END: Rule(
        Who.DECIDER, _statuses_towards(AllocationStatus.ENDED), by_platform=True
    ),
    AllocationAction.RENEW: Rule(Who.DECIDER, ALLOCATION_OCCUPYING),
    AllocationAction.KEY_ISSUE: Rule(Who.MANAGER, ALLOCATION_OCCUPYING),
    # Keys are handed over once signed, and come back until after the end.
    AllocationAction.KEY_RETURN: Rule(Who.MANAGER, ALLOCATION_OCCUPYING | {AllocationStatus.ENDED}),
    AllocationAction.INVENTORY: Rule(Who.MANAGER, frozenset().union(*INVENTORY_STATUSES.values())),
}


def allocation_check_decider(*, actor: Actor, spaces: list[Space], structure: Organisation) -> None:
    """Refuse (403) a decision that commits the owner of `spaces` towards `structure` — offer,
    signature, renewal, early end — unless `actor` may commit that owner (its staff, or a
    facilities manager it delegated) and does not belong to the structure
    (docs/decisions.md, decision matrix)."""
    site_ids = {space.site_id for space in spaces}
    committable = sites_committable_by(actor).filter(pk__in=site_ids).count()
    if committable != len(site_ids):
        raise DecisionNotAllowed(
            _(
                "Only the owner's staff, or a facilities manager to whom the owner has "
                "delegated it, may commit the owner to an agreement, free use or a fee."
            )
        )
    decision_check_impartial(actor=actor, organisation=structure)


def allocation_may_decide(*, actor: Actor, allocation: Allocation) -> bool:
    """Whether `actor` may commit the owner of `allocation` (allocation_check_decider)."""
    try:
        allocation_check_decider(
            actor=actor, spaces=list(allocation.spaces.all()), structure=allocation.structure
        )
    except DecisionNotAllowed:
        return False
    return True


def _refuse(actor: Actor, allocation: Allocation) -> NoReturn:
    """DecisionNotAllowed (403) if `actor` sees the agreement, else PermissionDenied (404)."""
    if allocations_visible_to(actor).filter(pk=allocation.pk).exists():
        raise DecisionNotAllowed(_("You are not allowed to do this."))
    raise PermissionDenied


def allocation_check_actor(*, actor: Actor, allocation: Allocation, action: str) -> None:
    """Refuse `action` on `allocation` unless `actor` is who `RULES` names for it. Raises
    PermissionDenied (the actor does not see the agreement, or the platform where no rule lets
    it act), DecisionNotAllowed or ConflictOfInterest (both 403). The status is the service's
    business (idempotent transitions, InvalidTransition)."""
    rule = RULES[AllocationAction(action)]
    if is_platform(actor):
        if rule.by_platform:
            return
        raise PermissionDenied
    scope = allocations_answerable_by if rule.who == Who.ANSWERER else allocations_manageable_by
    if not scope(actor).filter(pk=allocation.pk).exists():
        _refuse(actor, allocation)
    if rule.who == Who.DECIDER:
        allocation_check_decider(
            actor=actor, spaces=list(allocation.spaces.all()), structure=allocation.structure
        )


@dataclass(frozen=True)
class AllocationActions:
    """What a user may do to an agreement now (who they are, and its status)."""

    is_manager: bool
    can_answer: bool
    allowed: frozenset[AllocationAction]
    inventory_kinds: tuple[str, ...]  # the inventories that may be recorded now

    def __contains__(self, action: object) -> bool:
        return action in self.allowed


def allocation_actions_for(*, user: Actor, allocation: Allocation) -> AllocationActions:
    """The actions `RULES` gives `user` on `allocation` in its present status."""
    if is_platform(user):
        return AllocationActions(False, False, frozenset(), ())
    is_manager = allocations_manageable_by(user).filter(pk=allocation.pk).exists()
    can_answer = allocations_answerable_by(user).filter(pk=allocation.pk).exists()
    roles = {Who.MANAGER} if is_manager else set()
    if can_answer:
        roles.add(Who.ANSWERER)
    if is_manager and allocation_may_decide(actor=user, allocation=allocation):
        roles.add(Who.DECIDER)
    allowed = {
        action
        for action, rule in RULES.items()
        if rule.who in roles and allocation.status in rule.statuses
    }
    if hasattr(allocation, "renewal"):
        allowed.discard(AllocationAction.RENEW)  # renewed once already
    done = {inventory.kind for inventory in allocation.inventories.all()}
    kinds = tuple(
        kind
        for kind in InventoryKind
        if kind not in done and allocation.status in INVENTORY_STATUSES[kind]
    )
    if not kinds:
        allowed.discard(AllocationAction.INVENTORY)
    if AllocationAction.INVENTORY not in allowed:
        kinds = ()
    return AllocationActions(is_manager, can_answer, frozenset(allowed), kinds)
