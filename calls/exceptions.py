"""Domain errors of calls; api/exceptions.py maps InvalidTransition to 409."""

from django.utils.translation import gettext as _

from bookings.exceptions import InvalidTransition
from calls.models import ApplicationStatus, CallStatus


class CallInvalidTransition(InvalidTransition):
    """The call's status does not allow that change (e.g. publishing a closed call)."""

    def message(self) -> str:
        return _("This call is “%(status)s”: that change is not possible.") % {
            "status": CallStatus(self.from_status).label
        }


class ApplicationInvalidTransition(InvalidTransition):
    """The application's status does not allow that change (e.g. withdrawing after a decision)."""

    def message(self) -> str:
        return _("This application is “%(status)s”: that change is not possible.") % {
            "status": ApplicationStatus(self.from_status).label
        }
