"""Writes of integrations: endpoints (their owner's actions) and deliveries (the platform's)."""

from integrations.services.deliveries import (
    deliveries_send,
    deliveries_sweep,
    delivery_replay,
    events_record,
)
from integrations.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_pause,
    endpoint_resume,
    endpoint_secret_rotate,
    endpoint_update,
)

__all__ = [
    "deliveries_send",
    "deliveries_sweep",
    "delivery_replay",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_pause",
    "endpoint_resume",
    "endpoint_secret_rotate",
    "endpoint_update",
    "events_record",
]
