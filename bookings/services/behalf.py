"""Booking on behalf of a structure (issue 16): an association calls the town hall and the agent
books for it.

The agents are the people who manage the space's site (`spaces.selectors.sites_manageable_by`:
its facilities managers, the owner's staff, the intercommunality's people); they may book for
any verified ESS structure they do not belong to, under the same rules as the structure itself
except the minimum notice and the maximum advance, which they may waive (`Waiver`), and they may
approve the request at once (they decide on the site's requests anyway). The booking is the
structure's: its members see it, are told by e-mail and may cancel it; `requested_by` is the
agent, `on_behalf` and the waivers are recorded on the booking and in its first log row.

`booking_behalf` is called by `bookings.services.requests.booking_request` inside its
transaction, after the locked read of the space; it checks the agent itself.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, User
from accounts.selectors import structures_bookable_on_behalf
from bookings.models import Waiver
from spaces.models import Space
from spaces.selectors import sites_manageable_by


@dataclass(frozen=True)
class Behalf:
    """How a request is made: for one of the requester's own organisations (`organisation`
    None, nothing waived), or by an agent for `organisation`."""

    organisation: Organisation | None = None
    waive: frozenset[str] = field(default_factory=frozenset)
    approve: bool = False

    @property
    def on_behalf(self) -> bool:
        return self.organisation is not None

    def booking_fields(self) -> dict[str, bool]:
        """What the booking records of it."""
        return {
            "on_behalf": self.on_behalf,
            "waived_min_notice": Waiver.MIN_NOTICE in self.waive,
            "waived_max_advance": Waiver.MAX_ADVANCE in self.waive,
        }

    def log_reason(self, agent: User) -> str:
        """The creation's log row: who booked for whom, what was waived, approved at once."""
        if not self.on_behalf:
            return ""
        parts = [
            _("Booked by %(agent)s on behalf of %(structure)s.")
            % {"agent": agent, "structure": self.organisation.name}
        ]
        if self.waive:
            parts.append(
                _("Waived: %(rules)s.")
                % {
                    "rules": ", ".join(
                        str(Waiver(code).label).lower() for code in sorted(self.waive)
                    )
                }
            )
        if self.approve:
            parts.append(_("Approved at once by the agent."))
        return " ".join(parts)


OWN = Behalf()


def booking_behalf(
    *,
    organisation_id: int,
    waive: frozenset[str],
    approve: bool,
    agent: User,
    space: Space,
    own: Organisation | None,
) -> Behalf:
    """How `agent` requests `space` for `organisation_id`: `OWN` when it is one of their own
    organisations (`own`, read by the request's locked read) or when they may not book for it
    at all (the request then refuses the organisation, as for anyone); a `Behalf` when they
    manage the space's site, do not belong to the structure, and the intercommunality verified
    it. Raises ValidationError for waivers or an approval asked for one's own organisation, and
    for an unknown waiver."""
    unknown = sorted(set(waive) - set(Waiver.values))
    if unknown:
        raise ValidationError(
            {"waive": _("Unknown rule to waive: %(codes)s.") % {"codes": unknown}}
        )
    if own is not None:
        if waive or approve:
            raise ValidationError(
                {
                    "waive" if waive else "approve": _(
                        "Only a manager booking for a structure they do not belong to may "
                        "waive rules or approve at once."
                    )
                }
            )
        return OWN
    if not getattr(agent, "is_authenticated", False):
        return OWN
    # One query: the structure if verified, whether the agent manages the site, and whether
    # they belong to the structure (then it is theirs, refused as such if not allowed).
    structure = (
        structures_bookable_on_behalf()
        .filter(pk=organisation_id)
        .annotate(
            agent_manages=Exists(sites_manageable_by(agent).filter(pk=space.site_id)),
            agent_is_member=Exists(
                Membership.objects.filter(user=agent.pk, organisation=OuterRef("pk"))
            ),
        )
        .only("id", "name", "kind", "verified_at")
        .first()
    )
    if structure is None or not structure.agent_manages or structure.agent_is_member:
        return OWN
    return Behalf(organisation=structure, waive=frozenset(waive), approve=approve)
