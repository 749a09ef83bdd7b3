"""The messages of a booking event, written by a worker after the commit that caused it.

A request is the platform's hottest write, and telling people about it (who decides it, each
recipient's notification and e-mail rendered in their language) cost as much as the request
itself. `bookings.notifications.notify_after_commit` writes one row here instead, in the
request's transaction: the event cannot be lost (it commits or rolls back with the booking),
and a Celery job writes its notifications and e-mails right after the commit
(`booking_messages_write`). If the broker is down the job is not sent and the sweep takes the
row (every minute, config/schedule.py), as it does for the outbox.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.models import QueuedRow, QueueStatus, queue_indexes


class BookingMessageStatus(models.TextChoices):
    PENDING = QueueStatus.PENDING, _("Pending")
    SENDING = QueueStatus.SENDING, _("Being written")
    WRITTEN = "written", _("Written")
    FAILED = QueueStatus.FAILED, _("Failed")


class BookingMessage(QueuedRow):
    """Event `event` of `booking` ("requested", "confirmed"), whose messages are to be written.
    The row is kept once written (status "written"), as the outbox keeps sent mail."""

    status = SingleLineCharField(
        _("status"),
        max_length=10,
        choices=BookingMessageStatus,
        default=BookingMessageStatus.PENDING,
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, related_name="messages"
    )
    event = SingleLineCharField(_("event"), max_length=30)
    # The request's service had just checked that the requester is a member of the booking's
    # organisation: the messages go to them (not to the organisation's administrators).
    requester_is_member = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    written_at = models.DateTimeField(_("written at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking message")
        verbose_name_plural = _("booking messages")
        ordering = ["-created_at", "-pk"]
        indexes = queue_indexes("bookingmessage")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=BookingMessageStatus.values),
                name="booking_message_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"booking {self.booking_id}, {self.event} ({self.get_status_display()})"
