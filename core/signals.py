"""Signals of the kernel, sent by the apps that change a status, for apps above them to react
without being imported (ARCHITECTURE.md: the lower app signals, the higher app listens)."""

from django.dispatch import Signal

# Sent INSIDE the transaction that changes a status (a booking, an agreement, a payment, a
# call), right where its app schedules its own after-commit signal (booking_status_changed…):
# what a receiver writes commits or rolls back with the change, so nothing is lost between the
# commit and a listener (the transactional outbox; integrations records its webhook deliveries
# so). Sent with `send`: a receiver runs in the caller's transaction and must never break it.
# It writes in a savepoint (a nested transaction.atomic()), logs a failure instead of raising
# it, leaves anything outside the database (a job, a call) to after commit, and returns before
# any query when it has nothing to do (the booking request's hot path).
# Arguments: sender (the model), pk (int), from_status (str, "" for a new row), to_status (str).
status_changed_in_transaction = Signal()
