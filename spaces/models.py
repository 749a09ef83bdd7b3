from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.history import history
from core.validators import MAX_SMALL_INTEGER, bounded
from spaces.validators import (
    default_booking_kinds,
    validate_erp_types,
    validate_organisation_kinds,
)

insee_code_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$",
    _("An INSEE commune code has 5 characters: 5 digits, or 2A/2B and 3 digits for Corsica."),
    code="insee_invalid",
)
postcode_validator = RegexValidator(
    r"^\d{5}$", _("A postcode has exactly 5 digits."), code="postcode_invalid"
)
# 100,000 €, as payments.rules.MAX_AMOUNT_CENTS (spaces sits below payments and cannot import it).
MAX_DEPOSIT_CENTS = 10_000_000
# Domain bounds of what managers type (a larger number is a typing error, and 10**20 overflowed
# the integer columns); bookings and calls use the same ones.
MAX_PEOPLE = 100_000
MAX_SURFACE_M2 = 100_000
MAX_RENT_PER_M2 = 10_000  # euros per m² and per year
MAX_MINUTES = 366 * 24 * 60  # a booking's duration: a year at most
MAX_HOURS = 366 * 24  # notices: a year at most
MAX_DAYS = 10 * 366  # how far ahead: ten years at most


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


class SpaceKind(models.TextChoices):
    MEETING_ROOM = "meeting_room", _("Meeting room")
    OFFICE = "office", _("Office")
    WORKSHOP = "workshop", _("Workshop")
    HALL = "hall", _("Hall")
    STORAGE = "storage", _("Storage")
    KITCHEN = "kitchen", _("Kitchen")
    DESK = "desk", _("Desk in a shared office")
    OTHER = "other", _("Other")


class SpaceStatus(models.TextChoices):
    AVAILABLE = "available", _("In service")
    UNAVAILABLE = "unavailable", _("Unavailable")


class BufferMinutes(models.IntegerChoices):
    """A few fixed values, so the availability search stays one indexed query."""

    NONE = 0, _("None")
    QUARTER = 15, _("15 minutes")
    HALF_HOUR = 30, _("30 minutes")
    HOUR = 60, _("1 hour")
    TWO_HOURS = 120, _("2 hours")


class Amenity(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = SingleLineCharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Space(models.Model):
    """A room, office, workshop or desk that can be booked by the hour or allocated long-term."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="spaces"
    )
    name = SingleLineCharField(_("name"), max_length=200)
    kind = SingleLineCharField(_("kind"), max_length=20, choices=SpaceKind)
    floor = models.SmallIntegerField(
        _("floor"),
        default=0,
        validators=bounded(-10, 200),
        help_text=_("0 for the ground floor, -1 for the basement."),
    )
    surface_m2 = models.DecimalField(
        _("surface (m²)"), max_digits=8, decimal_places=2, validators=bounded(1, MAX_SURFACE_M2)
    )
    capacity = models.PositiveIntegerField(
        _("capacity (people)"), validators=bounded(1, MAX_PEOPLE)
    )
    amenities = models.ManyToManyField(
        Amenity, verbose_name=_("equipment"), related_name="spaces", blank=True
    )
    description = MultiLineTextField(_("description"), blank=True)
    bookable = models.BooleanField(_("bookable by the hour or day"), default=False)
    allocatable = models.BooleanField(_("allocatable long-term"), default=False)
    status = SingleLineCharField(
        _("status"), max_length=12, choices=SpaceStatus, default=SpaceStatus.AVAILABLE
    )
    vacant_since = models.DateField(
        _("vacant since"),
        null=True,
        blank=True,
        help_text=_("Leave empty if the space is occupied or shared."),
    )
    reference_rent = models.DecimalField(
        _("reference rental value (€/m²/year)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=bounded(0, MAX_RENT_PER_M2),
        help_text=_("Market-equivalent rent, used to value free or discounted use."),
    )
    # Booking rules (short-term use); checked by bookings.services through spaces.rules.
    instant_confirmation = models.BooleanField(
        _("instant confirmation"),
        default=False,
        help_text=_("Bookings are confirmed at once, without a manager's approval."),
    )
    min_booking_minutes = models.PositiveIntegerField(
        _("minimum duration (minutes)"), default=30, validators=bounded(15, MAX_MINUTES)
    )
    max_booking_minutes = models.PositiveIntegerField(
        _("maximum duration (minutes)"), default=720, validators=bounded(15, MAX_MINUTES)
    )
    min_notice_hours = models.PositiveIntegerField(
        _("minimum notice (hours)"), default=24, validators=bounded(0, MAX_HOURS)
    )
    max_advance_days = models.PositiveIntegerField(
        _("maximum advance (days)"), default=365, validators=bounded(1, MAX_DAYS)
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between bookings (minutes)"), choices=BufferMinutes, default=0
    )
    cancellation_notice_hours = models.PositiveIntegerField(
        _("cancellation notice (hours)"),
        default=48,
        validators=bounded(0, MAX_HOURS),
        help_text=_("Requesters may cancel until this many hours before the start."),
    )
    deposit_cents = models.PositiveIntegerField(
        _("deposit (cents)"),
        default=0,
        validators=[
            MinValueValidator(0),
            MaxValueValidator(
                MAX_DEPOSIT_CENTS,
                message=_("A deposit may not exceed 100,000 €: check the amount."),
            ),
        ],
        help_text=_(
            "Held on the requester's card before the booking, released after it unless damage "
            "is found; 0: no deposit."
        ),
    )
    allowed_organisation_kinds = models.JSONField(
        _("organisations that may book"),
        default=default_booking_kinds,
        blank=True,
        validators=[validate_organisation_kinds],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = history()

    class Meta:
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        ordering = ["site__name", "floor", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="space_capacity_positive"),
            models.CheckConstraint(condition=Q(surface_m2__gt=0), name="space_surface_positive"),
            models.CheckConstraint(
                condition=Q(reference_rent__isnull=True) | Q(reference_rent__gte=0),
                name="space_reference_rent_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(deposit_cents__lte=MAX_DEPOSIT_CENTS),
                name="space_deposit_at_most_100000_eur",
                violation_error_message=_("A deposit may not exceed 100,000 €: check the amount."),
            ),
            models.CheckConstraint(
                condition=Q(min_booking_minutes__lte=F("max_booking_minutes")),
                name="space_min_duration_not_above_max",
                violation_error_message=_(
                    "The minimum duration cannot be longer than the maximum duration."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"

    def get_absolute_url(self) -> str:
        return reverse("spaces:space-detail", args=[self.pk])

    @property
    def is_vacant(self) -> bool:
        return self.vacant_since is not None


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """A window in which a space may be booked, in the site's local time. None: always open."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday)
    opens = models.TimeField(_("opens at"))
    closes = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")),
                name="openinghours_opens_before_closes",
                violation_error_message=_("The closing time must be after the opening time."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Photo(models.Model):
    """A photo of a site, or of one of its spaces; re-encoded without metadata on upload."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="photos")
    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, related_name="photos", null=True, blank=True
    )
    image = models.ImageField(_("image"), upload_to="photos/%Y/%m/")
    alt_text = SingleLineCharField(
        _("description of the photo"),
        max_length=250,
        help_text=_("What the photo shows, for people who cannot see it."),
    )
    position = models.PositiveSmallIntegerField(
        _("order"), default=0, validators=bounded(0, MAX_SMALL_INTEGER)
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.alt_text
