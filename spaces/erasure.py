"""What spaces lets go when an account is erased (registered in accounts.dependents)."""

from accounts.actors import Actor
from accounts.models import User
from core.history import history_actor
from spaces.models import SiteManager


def user_erasure_step(*, user: User, actor: Actor) -> None:
    """The person no longer manages any site: their site-manager links (and the delegations
    they carried) go; the history of those links keeps who managed what, and when."""
    with history_actor(actor):
        for link in SiteManager.objects.filter(user=user):
            link.delete()  # one by one, so that each leaves its history row
