"""The calls blocks of a space's page, registered in `CallsConfig.ready`.

Spaces sits below calls and never imports it: its page names slots (see core.panels) that the
panels below fill, reading through calls' selectors.
"""

from django.http import HttpRequest

from accounts.selectors import structures_allowed_to_request_for
from calls.selectors import calls_offering, waiting_list_candidates_for
from core import panels
from core.panels import Panel
from spaces.models import Space


def calls_offering_panel(request: HttpRequest | None, space: Space, /) -> Panel:
    """How to obtain `space` long-term: apply to each open call with a lot on it, or, for an
    office let only long-term without an open call, join the waiting list (nothing shown for
    a space booked by the hour without a call).

    The waiting list's button is for who may register a need: a visitor (asked to sign in) or a
    member of a structure; commune staff without one would reach a 404."""
    offering = list(calls_offering(space))
    waiting_list = not offering and space.allocatable and not space.bookable
    user = getattr(request, "user", None)
    may_join = waiting_list and (
        user is None
        or not user.is_authenticated
        or structures_allowed_to_request_for(user).exists()
    )
    return Panel(
        "calls/_offering.html",
        {"offering_calls": offering, "waiting_list": waiting_list, "may_join": may_join},
    )


def waiting_candidates_panel(request: HttpRequest | None, space: Space, /) -> Panel | None:
    """The open waiting-list needs a vacant allocatable space fits, for its managers only."""
    if request is None or not (space.is_vacant and space.allocatable):
        return None
    rows = waiting_list_candidates_for(request.user, space_pk=space.pk)
    if not rows:  # the user does not manage the space
        return None
    return Panel(
        "calls/waiting_space_candidates.html", {"space": space, "entries": rows[0].entries}
    )


def panels_register() -> None:
    """Fill the slots of the space page (called by `CallsConfig.ready`)."""
    panels.register("space_detail.offers", calls_offering_panel)
    panels.register("space_detail.management", waiting_candidates_panel)
