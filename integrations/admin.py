"""Webhooks in the admin: endpoints without their secret, deliveries read-only."""

from django.contrib import admin

from integrations.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["organisation", "url", "paused_at", "consecutive_failures", "created_at"]
    list_filter = ["paused_at"]
    list_select_related = ["organisation"]
    search_fields = ["url", "organisation__name"]
    # The secret is never shown here: its owner sees it once, and rotates it on their page.
    exclude = ["secret"]

    # Registered and changed by its owner through the services (address checks included); the
    # intercommunality's people reach every organisation's webhook pages.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "response_ms",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint", "endpoint__organisation"]
    # The event, then its delivery (the queue's columns, inherited from QueuedRow, would come
    # first); never the claim token.
    fields = [
        "endpoint",
        "event_id",
        "event_type",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "response_ms",
        "last_error",
        "last_attempt_at",
        "delivered_at",
        "claimed_at",
    ]
    exclude = ["claim_token"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
