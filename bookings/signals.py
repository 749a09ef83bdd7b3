"""Signals sent by bookings after commit, for apps above it (payments) to react without bookings
importing them (ARCHITECTURE.md: the lower app signals, the higher app listens). What must
commit with the change (the webhook deliveries of integrations) listens to
`core.signals.status_changed_in_transaction`, sent beside the status signals inside the
transaction."""

from django.dispatch import Signal

# Sent once the transaction that changed a booking's status has committed.
# Arguments: booking_id (int), from_status (str, "" for a new request), to_status (str).
booking_status_changed = Signal()

# Sent once a cancellation has committed, whole or for some dates, so that fees paid for those
# dates may be refunded under the space's policy.
# Arguments: booking_id (int), occurrences (list of (start, end) cancelled), whole (bool: the
# booking itself is cancelled), actor_id (int | None), as_manager (bool).
booking_cancelled = Signal()

# Sent once a change of a booking (issue 16: another time or room, attendees, purpose) has
# committed, so that its price may follow. Arguments: booking_id (int), before and after
# ((start ISO, end ISO, space id)), moved (bool: time or room changed), actor_id (int),
# as_manager (bool); series (bool, optional: a series changed from a date, `before` being the
# first date given up and `after` the first new one).
booking_changed = Signal()

# Sent once the transaction that changed an agreement's (Allocation's) status has committed.
# Arguments: allocation_id (int), from_status (str), to_status (str).
allocation_status_changed = Signal()
