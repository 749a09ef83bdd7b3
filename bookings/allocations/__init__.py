"""Writes on long-term allocations (occupancy agreements); their Occupancy rows are written by
`bookings.services.occupancy`.

An agreement is offered, accepted (house rules accepted) or declined, signed — from then on its
spaces are reserved for its whole period in Occupancy, so nobody can book an allocated office by
the hour —, active from its first day, and ended at its term or early (reason required).

One module per sub-domain: `actions` (who may do what, and when: the rules the services
check and the pages offer), `lifecycle` (offer, answer, signature, and the status changes every
module goes through), `ending` (end, renewal, the daily job), `handover` (keys, inventories of
fixtures), `sharing` (shared times of the rooms, issue 17), `valuation` (in-kind aid). The
services are imported from here.
"""

from bookings.allocations.actions import (
    AllocationAction,
    AllocationActions,
    allocation_actions_for,
    allocation_check_actor,
    allocation_may_decide,
)
from bookings.allocations.ending import (
    allocation_end,
    allocation_renew,
    allocations_activate_and_end,
    allocations_remind_ending,
)
from bookings.allocations.handover import (
    inventory_photo_add,
    inventory_record,
    key_issue,
    key_return,
)
from bookings.allocations.lifecycle import (
    REASON_REQUIRED,
    InvalidAllocationTransition,
    allocation_accept,
    allocation_decline,
    allocation_offer,
    allocation_period,
    allocation_sign,
)
from bookings.allocations.sharing import (
    sharing_window_consent,
    sharing_window_propose,
    sharing_window_withdraw,
)
from bookings.allocations.valuation import (
    allocation_annual_value_cents,
    allocation_value_cents,
)

__all__ = [
    "REASON_REQUIRED",
    "AllocationAction",
    "AllocationActions",
    "InvalidAllocationTransition",
    "allocation_accept",
    "allocation_actions_for",
    "allocation_annual_value_cents",
    "allocation_check_actor",
    "allocation_decline",
    "allocation_end",
    "allocation_may_decide",
    "allocation_offer",
    "allocation_period",
    "allocation_renew",
    "allocation_sign",
    "allocation_value_cents",
    "allocations_activate_and_end",
    "allocations_remind_ending",
    "inventory_photo_add",
    "inventory_record",
    "key_issue",
    "key_return",
    "sharing_window_consent",
    "sharing_window_propose",
    "sharing_window_withdraw",
]
