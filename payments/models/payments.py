"""Card payments (a booking's fee, a deposit, a month of an agreement), their refunds,
history and the Stripe events received."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import MAX_MONEY_CENTS, bounded
from payments.rules import CURRENCY, MAX_AMOUNT_CENTS


class PaymentStatus(models.TextChoices):
    REQUIRES_AUTHORISATION = "requires_authorisation", _("Awaiting card payment")
    AUTHORISED = "authorised", _("Card authorised")
    CAPTURED = "captured", _("Paid")
    RELEASED = "released", _("Cancelled, nothing taken")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


class PaymentPurpose(models.TextChoices):
    BOOKING_FEE = "booking_fee", _("Booking fee")
    DEPOSIT = "deposit", _("Deposit (card hold)")
    AGREEMENT_FEE = "agreement_fee", _("Monthly fee of an agreement")
    SUPPLEMENT = "supplement", _("Supplement after a change")


# What a booking's fee is paid by: its first payment and the supplements asked when a change
# raised its price (issue 16). Every reader of "what is paid for this booking" sums these.
BOOKING_CHARGES = (PaymentPurpose.BOOKING_FEE, PaymentPurpose.SUPPLEMENT)
# A supplement still to pay (a pay link opened, or a card awaiting its bank's check).
UNPAID = ("requires_authorisation", "authorised")


FINAL = frozenset({PaymentStatus.RELEASED, PaymentStatus.REFUNDED, PaymentStatus.FAILED})
# A payment in these states no longer stands for its booking or month: another may be made.
ENDED = ("failed", "released")
# Forward only: a late or repeated webhook that reads an older state changes nothing.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.REQUIRES_AUTHORISATION: frozenset(
        {
            PaymentStatus.AUTHORISED,
            PaymentStatus.CAPTURED,
            PaymentStatus.RELEASED,
            PaymentStatus.FAILED,
        }
    ),
    PaymentStatus.AUTHORISED: frozenset(
        {PaymentStatus.CAPTURED, PaymentStatus.RELEASED, PaymentStatus.FAILED}
    ),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.REFUNDED}),
}


class Payment(models.Model):
    """One attempt to collect money by card: a booking's fee or deposit, or one month of an
    agreement's fee. Saved before any call to Stripe, its id gives the idempotency keys.

    `hold_first`: the card is authorised and captured later (a booking's fee on approval, a
    deposit only if damage is found); otherwise it is charged at once (pay links, monthly fees).
    `due_by`: a pay link's deadline, after which the payment and what it holds are released.
    """

    purpose = SingleLineCharField(
        _("purpose"), max_length=20, choices=PaymentPurpose, default=PaymentPurpose.BOOKING_FEE
    )
    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    allocation = models.ForeignKey(
        "bookings.Allocation",
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to (exclusive)"), null=True, blank=True)
    hold_first = models.BooleanField(_("card held before capture"), default=True)
    due_by = models.DateTimeField(_("to be paid by"), null=True, blank=True)
    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("collected by"),
        on_delete=models.PROTECT,
        related_name="payments_collected",
    )
    amount_cents = models.PositiveIntegerField(
        _("amount (cents)"), validators=bounded(1, MAX_MONEY_CENTS)
    )
    currency = SingleLineCharField(_("currency"), max_length=3, default=CURRENCY)
    price_rule = MultiLineTextField(_("how the price was computed"), blank=True)
    status = SingleLineCharField(
        _("status"),
        max_length=24,
        choices=PaymentStatus,
        default=PaymentStatus.REQUIRES_AUTHORISATION,
    )
    stripe_intent_id = SingleLineCharField(max_length=255, blank=True)
    # What Stripe actually took: the amount, or less when a deposit is kept only in part.
    captured_cents = models.PositiveIntegerField(
        _("collected (cents)"), default=0, validators=bounded(0, MAX_MONEY_CENTS)
    )
    refunded_cents = models.PositiveIntegerField(
        _("refunded (cents)"), default=0, validators=bounded(0, MAX_MONEY_CENTS)
    )
    failure_message = SingleLineCharField(_("failure"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["stripe_intent_id"], name="payment_intent_idx"),
            models.Index(fields=["status", "created_at"], name="payment_status_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "purpose"],
                condition=~Q(status__in=ENDED) & ~Q(purpose="supplement"),
                name="payment_one_live_per_booking",
            ),
            # Supplements add up (paid ones stay), but one at most is asked at a time: a
            # change delivered twice, or two changes at once, never ask twice.
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(purpose="supplement", status__in=UNPAID),
                name="payment_one_unpaid_supplement_per_booking",
            ),
            models.UniqueConstraint(
                fields=["allocation", "period_start"],
                condition=~Q(status__in=ENDED),
                name="payment_one_live_per_agreement_month",
            ),
            models.CheckConstraint(
                condition=(
                    Q(purpose="agreement_fee", booking__isnull=True, allocation__isnull=False)
                    & Q(period_start__isnull=False, period_end__isnull=False)
                )
                | Q(
                    ~Q(purpose="agreement_fee"),
                    booking__isnull=False,
                    allocation__isnull=True,
                ),
                name="payment_for_booking_or_agreement_month",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0) & Q(amount_cents__lte=MAX_AMOUNT_CENTS * 100),
                name="payment_amount_positive",
            ),
            models.CheckConstraint(condition=Q(currency=CURRENCY), name="payment_currency_eur"),
            models.CheckConstraint(
                condition=Q(captured_cents__lte=models.F("amount_cents")),
                name="payment_capture_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=models.F("captured_cents")),
                name="payment_refund_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.status} {self.amount_cents}"

    def get_absolute_url(self) -> str:
        return reverse("payments:payment-detail", args=[self.pk])

    @property
    def payer(self) -> Organisation:
        return self.booking.organisation if self.booking_id else self.allocation.structure

    @property
    def title(self) -> str:
        """What the payment is for, in one line (pages, e-mails, invoices)."""
        if self.purpose == PaymentPurpose.AGREEMENT_FEE:
            return _("Agreement no. %(n)s, fee from %(start)s to %(end)s") % {
                "n": self.allocation_id,
                "start": date_format(self.period_start, "SHORT_DATE_FORMAT"),
                "end": date_format(self.period_end - timedelta(days=1), "SHORT_DATE_FORMAT"),
            }
        label = {
            PaymentPurpose.DEPOSIT: _("Card deposit"),
            PaymentPurpose.SUPPLEMENT: _("Supplement after a change, booking"),
        }.get(self.purpose, _("Booking"))
        return _("%(label)s no. %(n)s — %(space)s") % {
            "label": label,
            "n": self.booking_id,
            "space": self.booking.space.name,
        }

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    def payable_at(self, now: datetime) -> bool:
        """Awaiting payment and, for a booking's pay link, not past its deadline (the slot is
        released then); a month of an agreement stays owed after its deadline."""
        return self.status == PaymentStatus.REQUIRES_AUTHORISATION and (
            self.due_by is None
            or self.due_by >= now
            or self.purpose == PaymentPurpose.AGREEMENT_FEE
        )

    @property
    def refundable_cents(self) -> int:
        return self.captured_cents - self.refunded_cents if self.status in REFUNDABLE else 0


REFUNDABLE = frozenset({PaymentStatus.CAPTURED})


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("In progress")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """One refund of part or all of a captured payment (a cancelled date, the whole booking).

    Saved, under the payment's lock, before Stripe is called: its id gives the idempotency key
    and the sum of refunds not failed can never exceed what was paid, even when two managers
    refund at the same moment.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField(
        _("amount (cents)"), validators=bounded(1, MAX_MONEY_CENTS)
    )
    reason = MultiLineTextField(_("reason"))
    status = SingleLineCharField(
        _("status"), max_length=10, choices=RefundStatus, default=RefundStatus.PENDING
    )
    stripe_refund_id = SingleLineCharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} −{self.amount_cents} {self.status}"


class PaymentLog(models.Model):
    """One row per status change of a payment: from, to, who or which event, why, when."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="log")
    from_status = SingleLineCharField(max_length=24, choices=PaymentStatus, blank=True)
    to_status = SingleLineCharField(max_length=24, choices=PaymentStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stripe_event_id = SingleLineCharField(max_length=255, blank=True)
    reason = MultiLineTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment history entry")
        verbose_name_plural = _("payment history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status or '∅'} → {self.to_status}"


class StripeEvent(models.Model):
    """A webhook event received once; Stripe delivers at least once, so the id is unique."""

    stripe_id = SingleLineCharField(max_length=255, unique=True)
    owner = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="stripe_events"
    )
    type = SingleLineCharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"


# --- Invoices and credit notes of card payments ---
