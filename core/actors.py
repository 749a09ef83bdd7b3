"""The platform as an actor: who acts when no person does.

Scheduled jobs (the lapse of undecided requests, the expiry of unpaid pay links, the start and
end of agreements at term) and reactions to payments (signal receivers, Stripe webhooks) apply a
rule; nobody clicked. They pass `PLATFORM` as the actor of the services they call, so that
"no actor" never means "allowed": a service accepts `PLATFORM` only where it names the rule the
platform applies, and refuses it elsewhere like any outsider (it is not authenticated, so every
permission queryset gives it nothing). Log rows store it as no user, shown as "the platform".
"""

from typing import Any, Final


class PlatformActor:
    """The platform itself (one instance: `PLATFORM`). Quacks like an anonymous user for the
    permission querysets, so it sees and may do nothing unless a service lets it in."""

    __slots__ = ()
    is_authenticated: Final = False
    is_anonymous: Final = False
    is_active: Final = False
    is_superuser: Final = False
    pk: Final = None

    def __repr__(self) -> str:
        return "PLATFORM"

    def __str__(self) -> str:
        return "the platform"

    def __reduce__(self) -> str:
        return "PLATFORM"  # one instance, even through copy and pickle


PLATFORM: Final = PlatformActor()


def is_platform(actor: object) -> bool:
    return actor is PLATFORM


def logged_actor(actor: Any) -> Any:
    """The user to store in a log row's `actor`: the person, or None for the platform."""
    return None if actor is PLATFORM else actor
