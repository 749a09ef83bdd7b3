"""Signals sent by calls after commit, for apps above it (integrations) to react without calls
importing them (ARCHITECTURE.md: the lower app signals, the higher app listens)."""

from django.dispatch import Signal

# Sent once the transaction that changed a call's status has committed.
# Arguments: call_id (int), from_status (str), to_status (str).
call_status_changed = Signal()
