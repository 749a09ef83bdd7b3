"""Long-term allocations: occupancy agreements (conventions d'occupation) for months or years."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import private_storage
from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import MAX_MONEY_CENTS, MAX_SMALL_INTEGER, bounded


class AllocationStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


ALLOCATION_TRANSITIONS: dict[str, frozenset[str]] = {  # the whole state machine, in one place
    AllocationStatus.OFFERED: frozenset({AllocationStatus.ACCEPTED, AllocationStatus.DECLINED}),
    AllocationStatus.ACCEPTED: frozenset({AllocationStatus.SIGNED, AllocationStatus.DECLINED}),
    AllocationStatus.SIGNED: frozenset({AllocationStatus.ACTIVE, AllocationStatus.ENDED}),
    AllocationStatus.ACTIVE: frozenset({AllocationStatus.ENDED}),
}
# From signature on, the spaces are reserved for the agreement's whole period.
ALLOCATION_OCCUPYING = frozenset({AllocationStatus.SIGNED, AllocationStatus.ACTIVE})


class LegalRegime(models.TextChoices):
    PUBLIC_DOMAIN = "public_domain", _("Temporary occupation of the public domain (AOT)")
    PRIVATE_DOMAIN = "private_domain", _("Occupation agreement on the private domain")


class FreeUseBasis(models.TextChoices):
    """Why no fee is charged (CG3P). Only a commune may use L2125-1-2."""

    NONE = "", _("A fee is charged")
    L2125_1 = "L2125-1", _("L2125-1 — non-profit association of general interest")
    L2125_1_2 = "L2125-1-2", _("L2125-1-2 — association, by decision of the municipal council")
    OTHER = "other", _("Other exemption (to be stated)")


class Allocation(models.Model):
    """An occupancy agreement: spaces, a structure, a period, a legal regime, a fee or free use."""

    structure = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="granted_allocations",
    )
    spaces = models.ManyToManyField(
        "spaces.Space", verbose_name=_("spaces"), related_name="allocations"
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end (exclusive)"))
    legal_regime = SingleLineCharField(_("legal regime"), max_length=20, choices=LegalRegime)
    annual_fee_cents = models.PositiveIntegerField(
        _("annual fee (cents)"), default=0, validators=bounded(0, MAX_MONEY_CENTS)
    )
    free_use_basis = SingleLineCharField(
        _("legal basis of free use"), max_length=12, choices=FreeUseBasis, blank=True
    )
    free_use_reference = SingleLineCharField(
        _("deliberation or justification"),
        max_length=200,
        blank=True,
        help_text=_("E.g. municipal council decision no. 2027-045 of 12 March 2027."),
    )
    deposit_cents = models.PositiveIntegerField(
        _("deposit (cents)"), default=0, validators=bounded(0, MAX_MONEY_CENTS)
    )
    insurance_valid_until = models.DateField(_("insurance valid until"), null=True, blank=True)
    house_rules_accepted_at = models.DateTimeField(
        _("house rules accepted on"), null=True, blank=True
    )
    direct_reason = MultiLineTextField(
        _("why without a call for applications"),
        blank=True,
        help_text=_(
            "Required when the agreement does not follow a call (CG3P L2122-1-2 and -1-3)."
        ),
    )
    status = SingleLineCharField(
        _("status"), max_length=10, choices=AllocationStatus, default=AllocationStatus.OFFERED
    )
    renews = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewal"
    )
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("occupancy agreement")
        verbose_name_plural = _("occupancy agreements")
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="allocation_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(free_use_basis="") | Q(annual_fee_cents=0),
                name="allocation_free_use_has_no_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.structure} — {self.start:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("bookings:allocation-detail", args=[self.pk])

    @property
    def is_free(self) -> bool:
        return self.annual_fee_cents == 0


class AllocationLog(models.Model):
    """One row per status change of an agreement: who, from, to, why, when."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="log")
    from_status = SingleLineCharField(max_length=10, choices=AllocationStatus, blank=True)
    to_status = SingleLineCharField(max_length=10, choices=AllocationStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = MultiLineTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.allocation_id}: {self.from_status or '∅'} → {self.to_status}"


class AllocationReminder(models.Model):
    """One row per reminder that an agreement is about to end: the daily job sends a reminder
    only when it creates its row, in the transaction that queues its messages.

    The key is (allocation, end, days_before): each step (60 and 30 days before the end) leaves
    once, however often the job runs, and two runs at once meet the unique constraint.
    """

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="end_reminders"
    )
    end = models.DateField(_("end (exclusive)"))
    days_before = models.PositiveSmallIntegerField(
        _("days before the end"), validators=bounded(0, MAX_SMALL_INTEGER)
    )
    sent_at = models.DateTimeField(_("sent on"))

    class Meta:
        verbose_name = _("reminder of an agreement's end")
        verbose_name_plural = _("reminders of agreements' end")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "end", "days_before"],
                name="allocationreminder_once_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id} J-{self.days_before}"


class KeyHandover(models.Model):
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="keys")
    label = SingleLineCharField(_("key or badge"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    returned_on = models.DateField(_("returned on"), null=True, blank=True)

    class Meta:
        verbose_name = _("key handover")
        verbose_name_plural = _("key handovers")
        ordering = ["issued_on", "pk"]

    def __str__(self) -> str:
        return self.label


class InventoryKind(models.TextChoices):
    ENTRY = "entry", _("Entry inventory")
    EXIT = "exit", _("Exit inventory")


class Inventory(models.Model):
    """An inventory of fixtures (état des lieux) at entry or exit."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="inventories")
    kind = SingleLineCharField(_("kind"), max_length=5, choices=InventoryKind)
    done_on = models.DateField(_("done on"))
    notes = MultiLineTextField(_("notes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("inventory of fixtures")
        verbose_name_plural = _("inventories of fixtures")
        constraints = [
            models.UniqueConstraint(fields=["allocation", "kind"], name="inventory_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.allocation}"


class InventoryPhoto(models.Model):
    inventory = models.ForeignKey(Inventory, on_delete=models.CASCADE, related_name="photos")
    # Photos of the inside of occupied premises: private storage, served after a permission check.
    image = models.ImageField(_("image"), upload_to="inventories/%Y/", storage=private_storage)
    alt_text = SingleLineCharField(_("description of the photo"), max_length=250)

    def __str__(self) -> str:
        return self.alt_text
