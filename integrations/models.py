"""Outgoing webhooks: an organisation's endpoints and one delivery row per endpoint and event."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.models import QueuedRow, QueueStatus, queue_indexes
from core.validators import MAX_SMALL_INTEGER, bounded


class EventType(models.TextChoices):
    BOOKING_REQUESTED = "booking.requested", _("Booking requested")
    BOOKING_CONFIRMED = "booking.confirmed", _("Booking confirmed")
    BOOKING_REFUSED = "booking.refused", _("Booking refused")
    BOOKING_CANCELLED = "booking.cancelled", _("Booking cancelled")
    AGREEMENT_SIGNED = "agreement.signed", _("Agreement signed")
    AGREEMENT_ENDED = "agreement.ended", _("Agreement ended")
    PAYMENT_CAPTURED = "payment.captured", _("Payment received")
    PAYMENT_REFUNDED = "payment.refunded", _("Payment refunded")
    CALL_PUBLISHED = "call.published", _("Call for applications published")
    CALL_DECIDED = "call.decided", _("Call for applications decided")


class WebhookEndpoint(models.Model):
    """An HTTPS address of an organisation that receives the events it picked, signed with
    `secret`.

    The secret must be readable by the server (it signs every delivery), so it is stored as is:
    it is shown to the owner once (creation, rotation), never in a list, the admin, an API or
    the log; the database is the platform's other secrets' (Stripe keys' webhooks) protection.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    description = SingleLineCharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = SingleLineCharField(_("signing secret"), max_length=100, editable=False)
    # Paused (after WEBHOOK_PAUSE_AFTER failures, or by its owner): events are still recorded,
    # and sent once it is resumed.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(
        _("consecutive failures"), default=0, validators=bounded(0, MAX_SMALL_INTEGER)
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["organisation", "pk"]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.url}"

    def get_absolute_url(self) -> str:
        return reverse("integrations:endpoint-detail", args=[self.pk])


class DeliveryStatus(models.TextChoices):
    PENDING = QueueStatus.PENDING, _("Pending")
    SENDING = QueueStatus.SENDING, _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = QueueStatus.FAILED, _("Failed")


class WebhookDelivery(QueuedRow):
    """One event for one endpoint: written after the change committed, sent by a job, retried
    with backoff (at least once: a receiver deduplicates on `event_id`, the same on every
    attempt and on a replay). Holds what the owner may already see: ids and links. The claim,
    the attempts, the backoff and the stale claims are the queue's (`core.models.QueuedRow`);
    `next_attempt_at` is None while the endpoint is paused and once the delivery failed."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"))
    event_type = SingleLineCharField(_("event"), max_length=40, choices=EventType)
    payload = models.JSONField(_("payload"))
    status = SingleLineCharField(
        _("status"), max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    response_status = models.PositiveSmallIntegerField(
        _("response status"), null=True, blank=True, validators=bounded(0, 999)
    )
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    # (last_error: the error's class or the first bytes of the answer: never a header, never the
    # secret.)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweep: due deliveries (webhook_due) and stale claims (webhook_claimed).
            *queue_indexes("webhook"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_log"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.get_status_display()})"
