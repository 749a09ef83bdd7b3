"""What calls lets go when a structure's data are erased (registered in accounts.dependents)."""

from accounts.models import Organisation, User
from calls.models import WaitingListEntry
from calls.services.waiting import waiting_entry_close


def structure_erasure_step(*, organisation: Organisation, actor: User) -> None:
    """Close the structure's open waiting-list entries (the intercommunality closes them)."""
    for entry in WaitingListEntry.objects.filter(structure=organisation, closed_at__isnull=True):
        waiting_entry_close(actor=actor, entry=entry)
