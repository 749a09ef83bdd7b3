"""The territory: postcodes, communes (INSEE code) and their dated membership of the EPCI."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField
from core.validators import bounded

insee_code_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$",
    _("An INSEE commune code has 5 characters: 5 digits, or 2A/2B and 3 digits for Corsica."),
    code="insee_invalid",
)
postcode_validator = RegexValidator(
    r"^\d{5}$", _("A postcode has exactly 5 digits."), code="postcode_invalid"
)


class PostalCode(models.Model):
    code = SingleLineCharField(
        _("postcode"), max_length=5, primary_key=True, validators=[postcode_validator]
    )

    class Meta:
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Commune(models.Model):
    """A commune of the official geographic code (COG); postcodes map to communes many-to-many."""

    insee_code = SingleLineCharField(
        _("INSEE code"), max_length=5, primary_key=True, validators=[insee_code_validator]
    )
    name = SingleLineCharField(_("name"), max_length=100)
    postcodes = models.ManyToManyField(
        PostalCode, verbose_name=_("postcodes"), related_name="communes"
    )
    population = models.PositiveIntegerField(
        _("population"), null=True, blank=True, validators=bounded(0, 10_000_000)
    )
    town_hall_address = SingleLineCharField(_("town hall address"), max_length=200, blank=True)
    organisation = models.OneToOneField(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commune",
        limit_choices_to={"kind": "commune"},
        help_text=_("The commune as an organisation: its staff list its premises."),
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EpciMembership(models.Model):
    """A commune belongs to an intercommunality for a period (communes join and leave)."""

    epci = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("intercommunality"),
        on_delete=models.PROTECT,
        related_name="epci_memberships",
        limit_choices_to={"kind": "epci"},
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="epci_memberships",
    )
    start = models.DateField(_("member since"))
    end = models.DateField(_("member until"), null=True, blank=True, help_text=_("Exclusive."))

    class Meta:
        verbose_name = _("intercommunality membership")
        verbose_name_plural = _("intercommunality memberships")
        ordering = ["commune__name", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="epcimembership_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.commune} ∈ {self.epci}"
