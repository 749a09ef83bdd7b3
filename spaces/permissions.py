"""Who may change a site or a space: the one place of this rule.

A site (and every space in it) is managed by the intercommunality, the owner commune's staff and
the site's facilities managers (`spaces.selectors.sites_manageable_by`). The services of every
app that changes what belongs to a site or a space (its spaces, photos, closures, tariffs,
equipment, quotas, request questions) check it through these two functions, whatever the caller.
The platform (`PLATFORM`) is not authenticated, so the querysets give it nothing: it manages no
site. An actor who does not manage the site gets PermissionDenied, shown as a 404.
"""

from django.core.exceptions import PermissionDenied

from accounts.actors import Actor
from spaces.selectors import sites_manageable_by, spaces_manageable_by


def site_check_manager(*, actor: Actor, site_id: int | None) -> None:
    """Refuse (PermissionDenied, a 404) unless `actor` manages the site."""
    if site_id is None or not sites_manageable_by(actor).filter(pk=site_id).exists():
        raise PermissionDenied


def space_check_manager(*, actor: Actor, space_id: int | None) -> None:
    """Refuse (PermissionDenied, a 404) unless `actor` manages the space's site."""
    if space_id is None or not spaces_manageable_by(actor).filter(pk=space_id).exists():
        raise PermissionDenied
