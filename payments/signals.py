"""Signals sent by payments after commit, for apps above it to react without payments
importing them (ARCHITECTURE.md: the lower app signals, the higher app listens). What must
commit with the change (the webhook deliveries of integrations) listens to
`core.signals.status_changed_in_transaction`, sent beside this one inside the transaction."""

from django.dispatch import Signal

# Sent once the transaction that changed a payment's status has committed.
# Arguments: payment_id (int), from_status (str), to_status (str).
payment_status_changed = Signal()
