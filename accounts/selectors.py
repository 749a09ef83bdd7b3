"""Reads of organisations and memberships; permission-scoped querysets live here."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import (
    Invitation,
    Membership,
    MembershipRole,
    Notification,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
    User,
)

AnyUser = User | AnonymousUser


def territory_memberships() -> QuerySet[Membership]:
    """Memberships of an intercommunality: their people steer the whole territory."""
    return Membership.objects.filter(organisation__kind=OrganisationKind.EPCI)


def user_is_territory_admin(user: AnyUser) -> bool:
    """True for superusers and members of an intercommunality: they steer the whole territory."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return territory_memberships().filter(user=user).exists()


def territory_people_q() -> Q:
    """The intercommunality's people, as a condition on users (`user_is_territory_admin` without
    the superusers, the platform's operators)."""
    return Q(pk__in=territory_memberships().values("user"))


def territory_admin_emails() -> QuerySet[User]:
    """E-mail addresses of the intercommunality's people (active accounts), who verify structures."""
    return (
        User.objects.filter(is_active=True, memberships__organisation__kind=OrganisationKind.EPCI)
        .values_list("email", flat=True)
        .distinct()
    )


def organisations_of(user: AnyUser) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user)


def organisations_visible_to(user: AnyUser) -> QuerySet[Organisation]:
    if user_is_territory_admin(user):
        return Organisation.objects.all()
    return organisations_of(user)


def organisations_manageable_by(user: AnyUser) -> QuerySet[Organisation]:
    """Organisations whose details, members and documents the user may change."""
    if user_is_territory_admin(user):
        return Organisation.objects.all()
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user, memberships__role=MembershipRole.ADMIN
    )


def structures_awaiting_verification() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.ESS, verified_at__isnull=True)


def structures_verifiable_by(user: AnyUser) -> QuerySet[Organisation]:
    if not user_is_territory_admin(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(kind=OrganisationKind.ESS)


def documents_visible_to(user: AnyUser) -> QuerySet[OrganisationDocument]:
    return OrganisationDocument.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation")


def invitation_get_usable(*, token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("organisation").filter(token=token).first()
    if invitation is None or not invitation.is_usable():
        return None
    return invitation


def user_get_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def structures_allowed_to_request_for(user: AnyUser) -> QuerySet[Organisation]:
    """The user's structures that may request space: only once the intercommunality verified them."""
    return organisations_of(user).filter(kind=OrganisationKind.ESS, verified_at__isnull=False)


def organisations_allowed_to_book_for(user: AnyUser) -> QuerySet[Organisation]:
    """The user's organisations that may request space: ESS structures once verified."""
    return organisations_of(user).exclude(kind=OrganisationKind.ESS, verified_at__isnull=True)


def notifications_of(user: AnyUser) -> QuerySet[Notification]:
    """The user's notifications, newest first; nobody else's."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notifications_unread_count(user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
