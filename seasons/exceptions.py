"""Domain errors of the season; api/exceptions.py maps InvalidTransition to 409."""

from django.utils.translation import gettext as _

from bookings.exceptions import InvalidTransition
from seasons.models import CampaignStatus


class CampaignInvalidTransition(InvalidTransition):
    """The campaign's status does not allow that change (e.g. opening a closed campaign)."""

    def message(self) -> str:
        return _("This campaign is “%(status)s”: that change is not possible.") % {
            "status": CampaignStatus(self.from_status).label
        }
