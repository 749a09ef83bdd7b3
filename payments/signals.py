"""Signals of payments, for the parts of payments that react to a status change (receipts)."""

from django.dispatch import Signal

# Sent once the transaction that changed a payment's status has committed.
# Arguments: payment_id (int), from_status (str), to_status (str).
payment_status_changed = Signal()
