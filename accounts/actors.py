"""Who may act in a service: a person (`User`) or the platform (`core.actors.PLATFORM`)."""

from accounts.models import User
from core.actors import PLATFORM, PlatformActor, is_platform, logged_actor

Actor = User | PlatformActor

__all__ = ["PLATFORM", "Actor", "PlatformActor", "is_platform", "logged_actor"]
