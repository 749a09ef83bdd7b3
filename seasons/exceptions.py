"""Domain errors of the season; api/exceptions.py maps InvalidTransition to 409."""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bookings.exceptions import InvalidTransition
from seasons.models import CampaignStatus


class CampaignInvalidTransition(InvalidTransition):
    """The campaign's status does not allow that change (e.g. opening a closed campaign)."""

    def message(self) -> str:
        return _("This campaign is “%(status)s”: that change is not possible.") % {
            "status": CampaignStatus(self.from_status).label
        }


@dataclass(frozen=True)
class Clash:
    """A slot of the plan that cannot be published: the assignment, where and whose it is, the
    dates that clash (local days) and why, in the user's language."""

    assignment_id: int
    space_name: str
    structure_name: str
    dates: list[date] = field(default_factory=list)
    reason: str = ""

    def message(self) -> str:
        shown = ", ".join(date_format(day, "SHORT_DATE_FORMAT") for day in self.dates[:5])
        if len(self.dates) > 5:
            shown += " " + _("and %(count)s more") % {"count": len(self.dates) - 5}
        return _("%(space)s, %(structure)s (%(dates)s): %(reason)s") % {
            "space": self.space_name,
            "structure": self.structure_name,
            "dates": shown,
            "reason": self.reason,
        }


class PlanClashes(ValidationError):
    """The plan cannot be published: some of its slots clash with what was booked meanwhile
    (or with each other). `clashes` lists every one; nothing was written."""

    def __init__(self, clashes: list[Clash]) -> None:
        self.clashes = list(clashes)
        summary = ngettext(
            "%(count)s slot of the plan clashes with what is already booked: nothing was "
            "published.",
            "%(count)s slots of the plan clash with what is already booked: nothing was published.",
            len(self.clashes),
        ) % {"count": len(self.clashes)}
        super().__init__([summary, *(clash.message() for clash in self.clashes)])
