"""Writes on memberships and invitations: who acts for an organisation."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import notifications
from accounts.models import Invitation, Membership, MembershipRole, Organisation, User
from accounts.services.organisations import _check_manages


def invitation_create(
    *, organisation: Organisation, email: str, role: str, invited_by: User
) -> Invitation:
    """Invite a colleague by e-mail; the e-mail leaves once the invitation is saved. Only the
    organisation's administrators (and the intercommunality) invite (else PermissionDenied)."""
    _check_manages(actor=invited_by, organisation=organisation)
    if Organisation.objects.filter(pk=organisation.pk, erased_at__isnull=False).exists():
        raise ValidationError(_("This structure's data were erased: it takes no new member."))
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role, invited_by=invited_by
    )
    notifications.invitation_notify(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    """Withdraw an invitation not accepted yet: its link stops working (the row goes). Only the
    organisation's administrators and the intercommunality (else PermissionDenied, or
    DecisionNotAllowed for its other members); an accepted invitation is a membership now
    (ValidationError: remove the member instead)."""
    _check_manages(actor=actor, organisation=invitation.organisation)
    invitation = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if invitation is None:  # revoked meanwhile
        return
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation was already accepted: remove the member instead."))
    invitation.delete()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the organisation. The signed-in account must use the invited e-mail address."""
    if not user.is_authenticated:
        raise PermissionDenied
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable():
        raise ValidationError(_("This invitation has expired or has already been used."))
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s: sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


# --- Members: roles, removal, leaving (issue 12) ---------------------------------------------------
#
# The rule: a structure never loses its last administrator silently. While it has members, one
# of them at least is an administrator: the last administrator can be neither demoted nor
# removed, nor leave, until they have named another one (ValidationError saying so). When its
# last member goes (leaves, is removed, or has their account erased) the structure has nobody:
# the intercommunality's people are told, and invite a new administrator from its page. When
# the last administrator's account is erased while members remain, the longest-standing member
# becomes administrator and is told (accounts.services.erasure).
#
# Each change locks the structure's row, then reads its memberships and checks the actor: two
# administrators demoting each other at once are serialised (PostgreSQL: the second waits, then
# reads the first's commit; SQLite: the IMMEDIATE transaction already serialises writers), so
# the second, no longer an administrator, is refused, and one administrator remains.


def _memberships_locked(organisation_id: int) -> list[Membership]:
    """The organisation's memberships, oldest first, with the organisation locked. Must run
    inside `transaction.atomic()`."""
    list(Organisation.objects.select_for_update().filter(pk=organisation_id).values_list("pk"))
    return list(
        Membership.objects.select_for_update(of=("self",))
        .filter(organisation_id=organisation_id)
        .select_related("user", "organisation")
        .order_by("created_at", "pk")
    )


def _admins_among(memberships: list[Membership], *, excluding: int) -> int:
    return sum(1 for m in memberships if m.role == MembershipRole.ADMIN and m.pk != excluding)


def _refuse_losing_last_admin(memberships: list[Membership], membership: Membership) -> None:
    others = [m for m in memberships if m.pk != membership.pk]
    if others and _admins_among(memberships, excluding=membership.pk) == 0:
        raise ValidationError(
            _(
                "%(name)s must keep an administrator while it has members: first make another "
                "member an administrator."
            )
            % {"name": membership.organisation.name}
        )


def _current(memberships: list[Membership], membership: Membership) -> Membership | None:
    return next((m for m in memberships if m.pk == membership.pk), None)


def _end(membership: Membership, memberships: list[Membership]) -> bool:
    """Delete `membership`; True if the structure is left with nobody (then the
    intercommunality is told)."""
    membership.delete()
    if len(memberships) == 1:
        notifications.structure_without_members_notify(organisation=membership.organisation)
        return True
    return False


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str, actor: User) -> bool:
    """Make a member an administrator, or an administrator a member, and tell them. Only the
    structure's administrators and the intercommunality (else PermissionDenied, a 404). Refuses
    (ValidationError) to leave a structure that has members without an administrator. Returns
    False if the member already had that role."""
    # Locked first, then checked: an administrator demoted by a concurrent change (committed
    # while this one waited for the lock) no longer manages the structure.
    memberships = _memberships_locked(membership.organisation_id)
    _check_manages(actor=actor, organisation=membership.organisation)
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Choose administrator or member.")})
    current = _current(memberships, membership)
    if current is None:
        raise ValidationError(_("This person is no longer a member of the structure."))
    if current.role == role:
        return False
    if role == MembershipRole.MEMBER:
        _refuse_losing_last_admin(memberships, current)
    current.role = role
    current.save(update_fields=["role"])
    notifications.membership_role_changed_notify(membership=current, actor=actor)
    return True


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> bool:
    """Remove a member from the structure and tell them. Only the structure's administrators
    and the intercommunality (else PermissionDenied); the last administrator is not removed
    while others remain (ValidationError). An administrator removing themselves leaves (the
    other administrators are told). Returns False if they were already gone."""
    memberships = _memberships_locked(membership.organisation_id)
    _check_manages(actor=actor, organisation=membership.organisation)  # once locked, as above
    if getattr(actor, "pk", None) == membership.user_id:
        return membership_leave(organisation=membership.organisation, actor=actor)
    current = _current(memberships, membership)
    if current is None:
        return False
    _refuse_losing_last_admin(memberships, current)
    _end(current, memberships)
    notifications.membership_removed_notify(
        user=current.user, organisation=current.organisation, actor=actor
    )
    return True


@transaction.atomic
def membership_leave(*, organisation: Organisation, actor: User) -> bool:
    """Leave a structure one belongs to (else PermissionDenied, a 404); its administrators are
    told, or the intercommunality when nobody is left. The last administrator does not leave
    while other members remain (ValidationError)."""
    if not actor.is_authenticated:
        raise PermissionDenied
    memberships = _memberships_locked(organisation.pk)
    current = next((m for m in memberships if m.user_id == actor.pk), None)
    if current is None:  # not (or no longer) a member: nothing of theirs to leave
        raise PermissionDenied
    _refuse_losing_last_admin(memberships, current)
    if not _end(current, memberships):
        notifications.membership_left_notify(user=actor, organisation=current.organisation)
    return True


def _membership_end_for_erasure(*, user: User, organisation_id: int) -> None:
    """Remove an erased person's membership. The last administrator's place goes to the
    longest-standing member, who is told; a structure left with nobody is reported to the
    intercommunality. Must run inside the erasure's transaction."""
    memberships = _memberships_locked(organisation_id)
    current = next((m for m in memberships if m.user_id == user.pk), None)
    if current is None:
        return
    if _end(current, memberships):
        return
    others = [m for m in memberships if m.pk != current.pk]
    if not any(m.role == MembershipRole.ADMIN for m in others):
        successor = others[0]  # oldest first
        successor.role = MembershipRole.ADMIN
        successor.save(update_fields=["role"])
        notifications.membership_promoted_notify(membership=successor)
