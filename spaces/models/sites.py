"""Sites (buildings) and their facilities managers."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.history import history
from core.validators import bounded
from spaces.models.bounds import (
    MAX_PEOPLE,
)
from spaces.models.territory import Commune, postcode_validator
from spaces.validators import (
    validate_erp_types,
)


class Domain(models.TextChoices):
    PUBLIC = "public", _("Public domain")
    PRIVATE = "private", _("Private domain")


class ErpType(models.TextChoices):
    J = "J", _("J — care homes for elderly or disabled people")
    L = "L", _("L — meeting, conference and multi-purpose halls")
    M = "M", _("M — shops")
    N = "N", _("N — restaurants and bars")
    O = "O", _("O — hotels")  # noqa: E741 (the official letter)
    P = "P", _("P — dance and games halls")
    R = "R", _("R — education, training, leisure centres")
    S = "S", _("S — libraries")
    T = "T", _("T — exhibitions")
    U = "U", _("U — health care")
    V = "V", _("V — places of worship")
    W = "W", _("W — administrations, banks, offices")
    X = "X", _("X — indoor sports")
    Y = "Y", _("Y — museums")


class ErpCategory(models.IntegerChoices):
    FIRST = 1, _("1st category (over 1,500 people)")
    SECOND = 2, _("2nd category (701 to 1,500 people)")
    THIRD = 3, _("3rd category (301 to 700 people)")
    FOURTH = 4, _("4th category (up to 300 people)")
    FIFTH = 5, _("5th category (below the threshold of the type)")


class SiteStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WORKS = "works", _("Under works")
    CLOSED = "closed", _("Closed")


class Site(models.Model):
    """A building (or a group of buildings at one address) that holds spaces."""

    name = SingleLineCharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_sites",
    )
    managing_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("managing organisation"),
        on_delete=models.PROTECT,
        related_name="managed_sites",
        null=True,
        blank=True,
        help_text=_("If another body runs the building (e.g. a SCIC)."),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("facilities managers"),
        related_name="managed_sites",
        blank=True,
        through="SiteManager",
    )
    description = MultiLineTextField(_("description"), blank=True)
    # Structured address (Base Adresse Nationale fields).
    street_number = models.PositiveSmallIntegerField(
        _("number"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9999)],
    )
    street_number_suffix = SingleLineCharField(
        _("suffix"), max_length=10, blank=True, help_text=_("bis, ter, A…")
    )
    street_name = SingleLineCharField(_("street"), max_length=200)
    address_complement = SingleLineCharField(
        _("address complement"), max_length=200, blank=True, help_text=_("Building B, 2nd floor…")
    )
    postcode = SingleLineCharField(_("postcode"), max_length=5, validators=[postcode_validator])
    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="sites"
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    domain = SingleLineCharField(_("domain"), max_length=10, choices=Domain, default=Domain.PUBLIC)
    # Fire-safety classification of buildings that receive the public (ERP).
    is_erp = models.BooleanField(_("receives the public (ERP)"), default=True)
    erp_types = models.JSONField(
        _("ERP types"), default=list, blank=True, validators=[validate_erp_types]
    )
    erp_category = models.PositiveSmallIntegerField(
        _("ERP category"), choices=ErpCategory, null=True, blank=True
    )
    max_occupancy = models.PositiveIntegerField(
        _("maximum occupancy"),
        null=True,
        blank=True,
        validators=bounded(1, MAX_PEOPLE),
        help_text=_("Maximum number of people admitted in the building (ERP effectif)."),
    )
    # Accessibility, in the acceslibre vocabulary; empty means "not known".
    step_free_entrance = models.BooleanField(_("step-free entrance"), null=True, blank=True)
    entrance_width_cm = models.PositiveSmallIntegerField(
        _("entrance door width (cm)"), null=True, blank=True, validators=bounded(1, 1_000)
    )
    has_lift = models.BooleanField(_("lift"), null=True, blank=True)
    accessible_toilets = models.BooleanField(_("accessible toilets"), null=True, blank=True)
    accessible_parking = models.BooleanField(_("disabled parking space"), null=True, blank=True)
    hearing_loop = models.BooleanField(_("hearing loop"), null=True, blank=True)
    public_transport_nearby = models.BooleanField(
        _("public transport stop within 200 m"), null=True, blank=True
    )
    accessibility_notes = MultiLineTextField(_("accessibility notes"), blank=True)
    status = SingleLineCharField(
        _("status"), max_length=10, choices=SiteStatus, default=SiteStatus.OPEN
    )
    is_published = models.BooleanField(_("published in the public catalogue"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = history()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["commune__name", "name"]
        indexes = [models.Index(fields=["commune", "status"], name="site_commune_status_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("spaces:site-detail", args=[self.pk])

    @property
    def address_line(self) -> str:
        number = f"{self.street_number or ''}{(' ' + self.street_number_suffix) if self.street_number_suffix else ''}"
        return " ".join(part for part in [number.strip(), self.street_name] if part)

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class SiteManager(models.Model):
    """A facilities manager assigned to a site. Managing a building is not committing its owner:
    only if the owner delegates it (`may_commit_owner`, set by the owner's staff or the
    intercommunality in the admin) may the manager offer, sign, renew or end agreements, grant
    free use or set a fee for the owner (docs/decisions.md, decision matrix)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("facilities manager"), on_delete=models.CASCADE
    )
    may_commit_owner = models.BooleanField(
        _("may commit the owner to agreements"),
        default=False,
        help_text=_(
            "Delegation by the owner: offer, sign, renew and end occupancy agreements, and grant "
            "free use or a fee, on the owner's behalf."
        ),
    )

    # Who assigned a manager, or delegated (or withdrew) the commitment of the owner, and when.
    history = history()

    class Meta:
        # The table of the former automatic many-to-many: the assignments are kept as they were.
        db_table = "spaces_site_managers"
        verbose_name = _("facilities manager assignment")
        verbose_name_plural = _("facilities managers")
        constraints = [
            models.UniqueConstraint(fields=["site", "user"], name="site_manager_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.site}"
