"""Messages about premises: a person made facilities manager of a site. They go through
`accounts.messaging` (an e-mail in the person's language and an entry in their notifications
list), in the transaction of the change they report."""

from accounts.messaging import notify_users
from accounts.models import User
from spaces.models import SiteManager


def site_manager_assigned_notify(*, assignment: SiteManager, actor: User) -> None:
    """Tell the new facilities manager which site they manage, who assigned them, and whether
    they may commit the owner to agreements."""
    notify_users(
        [assignment.user],
        message="site_manager_assigned",
        context={
            "site": assignment.site,
            "owner": assignment.site.owner,
            "assigned_by": actor,
            "may_commit_owner": assignment.may_commit_owner,
        },
        link=assignment.site.get_absolute_url(),
        about=f"site {assignment.site_id}: user {assignment.user_id} made facilities manager",
    )
