"""Who manages the premises an organisation occupies: accounts' expiry reminders (insurance,
ESUS) tell them too. Registered in `BookingsConfig.ready`, since accounts cannot import
bookings."""

from accounts.models import Organisation
from bookings.models import AllocationStatus
from spaces.models import Site

CURRENT_AGREEMENTS = (AllocationStatus.SIGNED, AllocationStatus.ACTIVE)


def managers_of_occupied_sites(organisation: Organisation) -> dict[str, list[Site]]:
    """Each active manager of a site where `organisation` holds a current agreement, with
    those sites (by name)."""
    sites = (
        Site.objects.filter(
            spaces__allocations__structure=organisation,
            spaces__allocations__status__in=CURRENT_AGREEMENTS,
        )
        .distinct()
        .prefetch_related("managers")
        .order_by("name")
    )
    managers: dict[str, list[Site]] = {}
    for site in sites:
        for manager in site.managers.all():
            if manager.is_active:
                managers.setdefault(manager.email, []).append(site)
    return managers
