"""Domain errors of bookings; api/exceptions.py maps them to HTTP statuses."""

from django.utils.translation import gettext_lazy as _

from bookings.rules import Period


class BookingConflict(Exception):
    """The requested time clashes with existing occupancy (409)."""

    def __init__(
        self,
        clashes: list[tuple[Period, Period]],
        message: str | None = None,
        reasons: list[str] | None = None,
        spaces: list[int] | None = None,
    ) -> None:
        super().__init__(message or _("The space is already in use at that time."))
        self.message = message or _("The space is already in use at that time.")
        self.clashes = clashes  # (requested period, occupied period)
        # Why each clash blocks, in plain words (a closure's name, the booked slot), in the
        # order of `clashes`; empty when the writer did not say.
        self.reasons = reasons or []
        # A request for several rooms (issue 16): the room of each clash, in the same order;
        # empty for a request for one room.
        self.spaces = spaces or []


class InvalidTransition(Exception):
    """The status change is not allowed from the current status (409)."""

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"{from_status} → {to_status}")
        self.from_status = from_status
        self.to_status = to_status

    def message(self) -> str:
        from bookings.models import BookingStatus

        return _("This booking is %(status)s: that change is no longer possible.") % {
            "status": BookingStatus(self.from_status).label.lower()
        }


class ConditionsUnmet(InvalidTransition):
    """A request that may not be approved yet: a condition of the space is missing (the
    event's insurance certificate, a required file). 409, with the reasons in plain words."""

    def __init__(self, from_status: str, to_status: str, reasons: list[str]) -> None:
        super().__init__(from_status, to_status)
        self.reasons = reasons

    def message(self) -> str:
        return _("This request cannot be approved yet: %(missing)s") % {
            "missing": " ".join(str(reason) for reason in self.reasons)
        }


class OfferLost(BookingConflict):
    """A slot offered to a waiting structure was taken before the offer was accepted (409):
    the wait is back in line (bookings.services.waits)."""


class CheckInClosed(InvalidTransition):
    """A date that cannot be checked in now: outside its window, released as a no-show, or a
    booking not confirmed (409, with the reason in plain words)."""

    def __init__(self, status: str, text: str) -> None:
        super().__init__(status, status)
        self.text = text

    def message(self) -> str:
        return self.text


class SeriesClashes(Exception):
    """Series placed at once by their owner (a season's publication,
    `bookings.services.placements`) clash with what is booked, or with each other: `clashes`
    lists every clashing date (`PlacementClash`); nothing was written."""

    def __init__(self, clashes: list) -> None:
        super().__init__(f"{len(clashes)} clashing dates")
        self.clashes = clashes
