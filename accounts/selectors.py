"""Reads of organisations and memberships; permission-scoped querysets live here."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    VERIFICATION_DOCUMENTS,
    ApiToken,
    Invitation,
    Membership,
    MembershipRole,
    Notification,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
    User,
)
from accounts.tokens import EMAIL_CHANGE_SALT, EMAIL_CONFIRM_SALT, EMAIL_LINK_MAX_AGE
from core.memo import remembered

AnyUser = User | AnonymousUser


def territory_memberships() -> QuerySet[Membership]:
    """Memberships of an intercommunality: their people steer the whole territory."""
    return Membership.objects.filter(organisation__kind=OrganisationKind.EPCI)


def token_organisation_id(user: AnyUser) -> int | None:
    """The organisation a request's API token is scoped to, None for a browser session or a
    token for all the user's organisations (api.authentication puts the token on the user).

    What it narrows (docs/api.md, "Authentication"): `organisations_of` (and so every
    permission queryset built on it: bookings, agreements, calls, payments…),
    `organisations_manageable_by`, `memberships_of`, the owner-staff sites of
    `spaces.selectors.sites_manageable_by`, and `user_is_territory_admin` (true only when the
    organisation is an intercommunality the user belongs to, superusers included)."""
    token = getattr(user, "api_token", None)
    return getattr(token, "organisation_id", None)


def user_is_territory_admin(user: AnyUser) -> bool:
    """True for superusers and members of an intercommunality: they steer the whole territory.
    Asked by every permission queryset: answered once per request (core.memo)."""
    if not user.is_authenticated:
        return False
    scoped = token_organisation_id(user)
    if scoped is not None:
        return remembered(
            ("user_is_territory_admin", user.pk, scoped),
            lambda: territory_memberships().filter(user=user, organisation_id=scoped).exists(),
        )
    if user.is_superuser:
        return True
    return remembered(
        ("user_is_territory_admin", user.pk),
        lambda: territory_memberships().filter(user=user).exists(),
    )


def territory_people_q() -> Q:
    """The intercommunality's people, as a condition on users (`user_is_territory_admin` without
    the superusers, the platform's operators)."""
    return Q(pk__in=territory_memberships().values("user"))


def territory_admins() -> QuerySet[User]:
    """The intercommunality's people (active accounts): they look after every structure."""
    return User.objects.filter(territory_people_q(), is_active=True, erased_at__isnull=True)


def organisations_of(user: AnyUser) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    organisations = Organisation.objects.filter(memberships__user=user)
    scoped = token_organisation_id(user)
    return organisations if scoped is None else organisations.filter(pk=scoped)


def memberships_of(user: AnyUser) -> QuerySet[Membership]:
    """The user's memberships (only the token's organisation for a scoped API token)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    memberships = Membership.objects.filter(user=user)
    scoped = token_organisation_id(user)
    return memberships if scoped is None else memberships.filter(organisation_id=scoped)


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
    managed = Organisation.objects.filter(
        memberships__user=user, memberships__role=MembershipRole.ADMIN
    )
    scoped = token_organisation_id(user)
    return managed if scoped is None else managed.filter(pk=scoped)


def memberships_manageable_by(user: AnyUser) -> QuerySet[Membership]:
    """Memberships whose role the user may change, and that they may end: those of the
    organisations they manage."""
    return Membership.objects.filter(
        organisation__in=organisations_manageable_by(user)
    ).select_related("user", "organisation")


def memberships_visible_to(user: AnyUser) -> QuerySet[Membership]:
    """Memberships of the organisations the user sees (their members see each other, as the
    structure's page shows them)."""
    return Membership.objects.filter(organisation__in=organisations_visible_to(user))


def invitations_manageable_by(user: AnyUser) -> QuerySet[Invitation]:
    """Invitations of the organisations the user manages (their administrators, the
    intercommunality): only they see them, and revoke them."""
    return Invitation.objects.filter(organisation__in=organisations_manageable_by(user))


def invitations_pending_of(organisation: Organisation) -> QuerySet[Invitation]:
    """An organisation's invitations not yet accepted (its page and the API list them to its
    managers), newest first."""
    return organisation.invitations.filter(accepted_at__isnull=True).order_by("-created_at", "-pk")


def organisations_erasable_by(user: AnyUser) -> QuerySet[Organisation]:
    """Structures whose personal data the user may erase on their request: the
    intercommunality's people only, and only structures (not public bodies)."""
    if not user_is_territory_admin(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(kind__in=[OrganisationKind.ESS, OrganisationKind.OTHER])


def structures_awaiting_verification() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.ESS, verified_at__isnull=True)


def structures_verifiable_by(user: AnyUser) -> QuerySet[Organisation]:
    if not user_is_territory_admin(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(kind=OrganisationKind.ESS)


def structure_verification_documents_missing(*, structure: Organisation) -> list[str]:
    """The kinds of VERIFICATION_DOCUMENTS of which the structure has no current document."""
    today = timezone.localdate()
    present = set(
        structure.documents.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .filter(kind__in=VERIFICATION_DOCUMENTS)
        .values_list("kind", flat=True)
    )
    return [kind for kind in VERIFICATION_DOCUMENTS if kind not in present]


def documents_visible_to(user: AnyUser) -> QuerySet[OrganisationDocument]:
    return OrganisationDocument.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation")


def invitation_get_usable(*, token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("organisation").filter(token=token).first()
    if invitation is None or not invitation.is_usable():
        return None
    return invitation


def users_unconfirmed_since(*, before: datetime) -> QuerySet[User]:
    """Accounts whose address was never confirmed (so that never signed in), created before
    `before`. Accounts older than address confirmation were marked confirmed by migration 0007;
    one that has signed in is not abandoned."""
    return User.objects.filter(
        email_confirmed_at__isnull=True,
        erased_at__isnull=True,
        last_login__isnull=True,
        date_joined__lt=before,
    )


def user_get_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def structures_allowed_to_request_for(user: AnyUser) -> QuerySet[Organisation]:
    """The user's structures that may request space: only once the intercommunality verified them."""
    return organisations_of(user).filter(
        kind=OrganisationKind.ESS, verified_at__isnull=False, erased_at__isnull=True
    )


def organisations_allowed_to_book_for(user: AnyUser) -> QuerySet[Organisation]:
    """The user's organisations that may request space: ESS structures once verified."""
    return (
        organisations_of(user)
        .exclude(kind=OrganisationKind.ESS, verified_at__isnull=True)
        .filter(erased_at__isnull=True)
    )


def structures_bookable_on_behalf() -> QuerySet[Organisation]:
    """The structures an agent (a manager of a site, the owner's staff, the intercommunality)
    may book a space for, on their behalf: every ESS structure the intercommunality verified
    (issue 16)."""
    return Organisation.objects.filter(
        kind=OrganisationKind.ESS, verified_at__isnull=False, erased_at__isnull=True
    )


def notifications_of(user: AnyUser) -> QuerySet[Notification]:
    """The user's notifications, newest first; nobody else's."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notifications_unread_count(user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- API tokens (issue 14) ---


def api_tokens_of(user: AnyUser) -> QuerySet[ApiToken]:
    """The user's own tokens (service tokens included), newest first."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).select_related("organisation")


def service_api_tokens_visible_to(user: AnyUser) -> QuerySet[ApiToken]:
    """The service tokens of the intercommunalities the user belongs to, whoever made them."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    epcis = territory_memberships().filter(user=user).values("organisation_id")
    return ApiToken.objects.filter(service=True, organisation__in=epcis).select_related(
        "organisation", "user"
    )


def api_tokens_revocable_by(user: AnyUser) -> QuerySet[ApiToken]:
    """Tokens the user may revoke: their own, and their intercommunality's service tokens; every
    token for the platform's operators (superusers, in the admin: a token reported leaked)."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    if user.is_superuser:
        return ApiToken.objects.all()
    epcis = territory_memberships().filter(user=user).values("organisation_id")
    return ApiToken.objects.filter(Q(user=user) | Q(service=True, organisation__in=epcis))


# --- Links sent by e-mail to prove an address (sign-up confirmation, change of address) ---


@dataclass(frozen=True)
class PendingConfirmation:
    user: User
    next_url: str  # where the person goes once confirmed ("" for the default)


@dataclass(frozen=True)
class PendingEmailChange:
    user: User
    new_email: str


def _link_error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _link_payload(token: str, *, salt: str) -> dict:
    """The signed payload of a link of `salt`; ValidationError "expired" or "invalid"."""
    try:
        payload = signing.loads(token, salt=salt, max_age=EMAIL_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise _link_error(
            _("This link has expired: links sent by e-mail are valid for 3 days."), "expired"
        ) from exc
    except signing.BadSignature as exc:
        raise _link_error(_("This link is not valid: it may be incomplete."), "invalid") from exc
    if not isinstance(payload, dict):
        raise _link_error(_("This link is not valid: it may be incomplete."), "invalid")
    return payload


def email_confirmation_pending(*, token: str) -> PendingConfirmation:
    """The account a sign-up confirmation link (`email_confirmation_token`) is for, while the
    link is still usable: signed by us, under 3 days old, for the account's current address,
    which is not confirmed yet. Otherwise ValidationError, code "invalid", "expired" or "used"
    (a confirmation link works once)."""
    payload = _link_payload(token, salt=EMAIL_CONFIRM_SALT)
    try:
        user_id, email, next_url = int(payload["u"]), str(payload["e"]), str(payload.get("n", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise _link_error(_("This link is not valid: it may be incomplete."), "invalid") from exc
    user = User.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
    if user is None or user.email.lower() != email.lower():
        raise _link_error(_("This link is no longer valid for this account."), "invalid")
    if user.email_confirmed:
        raise _link_error(
            _("This link was already used: your address is confirmed. Sign in."), "used"
        )
    return PendingConfirmation(user=user, next_url=next_url)


def email_change_pending(*, token: str) -> PendingEmailChange:
    """The account and new address of a change-of-address link (`email_change_token`): signed
    by us, under 3 days old, and the account still has the address it had when the change was
    asked (so the link works once, and not after another change). Otherwise ValidationError,
    code "invalid", "expired" or "used"."""
    payload = _link_payload(token, salt=EMAIL_CHANGE_SALT)
    try:
        user_id, old, new = int(payload["u"]), str(payload["o"]), str(payload["n"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _link_error(_("This link is not valid: it may be incomplete."), "invalid") from exc
    user = User.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
    if user is None:
        raise _link_error(_("This link is no longer valid for this account."), "invalid")
    if user.email.lower() == new.lower():
        raise _link_error(
            _("This link was already used: your account already uses this address."), "used"
        )
    if user.email.lower() != old.lower():
        raise _link_error(
            _("This link is no longer valid: the account's address changed since."), "used"
        )
    return PendingEmailChange(user=user, new_email=new)
