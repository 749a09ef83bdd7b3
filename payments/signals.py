"""Signals sent by payments after commit, for apps above it (integrations) to react without
payments importing them (ARCHITECTURE.md: the lower app signals, the higher app listens)."""

from django.dispatch import Signal

# Sent once the transaction that changed a payment's status has committed.
# Arguments: payment_id (int), from_status (str), to_status (str).
payment_status_changed = Signal()
