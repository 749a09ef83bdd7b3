"""Conflicts of interest: nobody decides on anything that concerns an organisation they belong
to — agreements (offer, signature for the owner, renewal, early end), decisions on booking
requests, refunds, deposits kept or released, call decisions. Every deciding service calls
`decision_check_impartial` with the actor, whatever the caller (page, API, admin, command); the
intercommunality's people are no exception: a colleague who does not belong to it decides.
The decision matrix is in docs/decisions.md.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.exceptions import ConflictOfInterest
from accounts.models import Membership, Organisation, User


def _interested(organisation: Organisation) -> QuerySet[Membership]:
    """Who has an interest in what concerns `organisation`: its members."""
    return Membership.objects.filter(organisation=organisation)


def user_has_conflict_with(user: User | None, organisation: Organisation) -> bool:
    """True if `user` belongs to `organisation`. No user (a scheduled job of the platform
    applying a rule) has no interest."""
    if user is None or not user.is_authenticated:
        return False
    return _interested(organisation).filter(user=user).exists()


def users_impartial_on(organisation: Organisation) -> QuerySet[User]:
    """The users with no conflict of interest with `organisation` (the same rule as
    `user_has_conflict_with`, for routing a decision to people who may take it)."""
    return User.objects.exclude(pk__in=_interested(organisation).values("user"))


def decision_check_impartial(*, actor: User | None, organisation: Organisation) -> None:
    """Raise ConflictOfInterest (403) if `actor` belongs to `organisation`, the one the decision
    concerns."""
    if user_has_conflict_with(actor, organisation):
        raise ConflictOfInterest(
            _(
                "You are a member of %(name)s: you may not decide on what concerns it. "
                "A colleague who is not a member must take this decision."
            )
            % {"name": organisation.name}
        )
