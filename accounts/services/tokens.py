"""API tokens (issue 14): creating, revoking, and recognising one on a request.

The secret is 32 random bytes (`secrets.token_urlsafe`), so its SHA-256 is all that is stored:
a password hasher (PBKDF2, Argon2) is slow on purpose to make guessing a *low-entropy* secret
expensive, and nobody guesses 256 random bits; a slow hash would only cost ~100 ms on every
API request. SHA-256 also makes the lookup a unique-index equality on `key_hash`.

Recognising a token (`api_token_authenticate`) reads a cache entry keyed by that hash, never by
the secret, holding the token's own fields; a miss reads the row and fills the entry. Revoking
deletes the entry (at once and after commit), so a revoked token is refused on the next request;
the entry also lives only `CACHE_SECONDS`, the bound on staleness should the cache have been
unreachable when a token was revoked. `last_used_at` is written at most every
`LAST_USED_EVERY`, not on every request (a write per request would cost more than the rest).
"""

import hashlib
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, is_platform
from accounts.models import (
    API_TOKEN_MAX_DAYS,
    ApiToken,
    ApiTokenScope,
    Organisation,
    OrganisationKind,
    User,
)
from accounts.selectors import api_tokens_revocable_by, organisations_of

TOKEN_PREFIX = "lc_"  # noqa: S105 (not a secret: what every token starts with)
# What a token looks like: anything else is refused before the database or the cache is asked.
TOKEN_FORMAT = re.compile(r"lc_[A-Za-z0-9_-]{43}")
SHOWN_CHARACTERS = 8  # after "lc_": enough to tell tokens apart, far too few to guess the rest
CACHE_SECONDS = 60
LAST_USED_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class ApiTokenIdentity:
    """What a request made with a token knows of it (`request.auth`); also the cache entry."""

    id: int
    user_id: int
    name: str
    scope: str
    organisation_id: int | None
    service: bool
    expires_at: datetime
    last_used_at: datetime | None

    @property
    def read_only(self) -> bool:
        return self.scope == ApiTokenScope.READ


def api_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return f"api-token:{key_hash}"


def _person(actor: Actor | AnonymousUser) -> User:
    if is_platform(actor) or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to manage API tokens."))
    return actor


@transaction.atomic
def api_token_create(
    *,
    actor: Actor | AnonymousUser,
    name: str,
    scope: str,
    expires_at: datetime,
    organisation: Organisation | None = None,
    service: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token acting as `actor`; return it and its secret, which is not kept.

    `organisation` must be one of the actor's (None: all of them). A `service` token is the
    intercommunality's: `organisation` must be an intercommunality the actor belongs to.
    PermissionDenied otherwise; ValidationError for a bad name, scope or expiry."""
    user = _person(actor)
    if organisation is not None and not organisations_of(user).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("You do not act for this organisation."))
    if service and (organisation is None or organisation.kind != OrganisationKind.EPCI):
        raise PermissionDenied(
            _("Only the intercommunality's people create its service tokens, for it.")
        )
    now = timezone.now()
    if expires_at <= now or expires_at > now + timedelta(days=API_TOKEN_MAX_DAYS, hours=1):
        raise ValidationError(
            {
                "expires_at": _("A token expires within %(days)s days.")
                % {"days": API_TOKEN_MAX_DAYS}
            }
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        organisation=organisation,
        service=service,
        expires_at=expires_at,
        prefix=secret[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS],
        key_hash=api_token_hash(secret),
    )
    token.full_clean()
    token.save()
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Actor | AnonymousUser, token: ApiToken) -> bool:
    """Revoke `token` (its owner; any of the intercommunality's people for a service token).
    False if it was already revoked. PermissionDenied for anyone else (a 404 to them)."""
    user = _person(actor)
    locked = api_tokens_revocable_by(user).select_for_update().filter(pk=token.pk).first()
    if locked is None:
        raise PermissionDenied
    if locked.revoked_at is not None:
        return False
    locked.revoked_at = timezone.now()
    locked.revoked_by = user
    locked.save(update_fields=["revoked_at", "revoked_by"])
    key = _cache_key(locked.key_hash)
    cache.delete(key)
    # Again once committed: a request that read the row before the commit may have cached it.
    transaction.on_commit(lambda: cache.delete(key))
    return True


def api_token_authenticate(*, raw: str) -> tuple[User, ApiTokenIdentity] | None:
    """The active user and token a request's bearer secret names, or None (malformed, unknown,
    expired, revoked, or its user deactivated or erased). Touches `last_used_at` at most every
    LAST_USED_EVERY."""
    if not TOKEN_FORMAT.fullmatch(raw):
        return None
    key_hash = api_token_hash(raw)
    key = _cache_key(key_hash)
    now = timezone.now()
    cached = cache.get(key)
    identity = ApiTokenIdentity(**cached) if isinstance(cached, dict) else None
    if identity is None:
        row = (
            ApiToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=now)
            .values(*ApiTokenIdentity.__dataclass_fields__)
            .first()
        )
        if row is None:
            return None
        identity = ApiTokenIdentity(**row)
        cache.set(key, asdict(identity), CACHE_SECONDS)
    if identity.expires_at <= now:
        return None
    user = User.objects.filter(pk=identity.user_id, is_active=True, erased_at__isnull=True).first()
    if user is None:
        return None
    if identity.last_used_at is None or now - identity.last_used_at >= LAST_USED_EVERY:
        identity = _touch(identity, key=key, now=now)
    return user, identity


def _touch(identity: ApiTokenIdentity, *, key: str, now: datetime) -> ApiTokenIdentity:
    """Record the use; the condition makes concurrent requests write once."""
    ApiToken.objects.filter(pk=identity.id, revoked_at__isnull=True).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
    ).update(last_used_at=now)
    touched = ApiTokenIdentity(**{**asdict(identity), "last_used_at": now})
    # Only over an entry still there: a revocation in between deleted it, and must win.
    if cache.touch(key, CACHE_SECONDS):
        cache.set(key, asdict(touched), CACHE_SECONDS)
    return touched
