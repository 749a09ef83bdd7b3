"""Spaces (rooms, offices, workshops, desks), their equipment, opening hours and photos."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.history import history
from core.validators import MAX_SMALL_INTEGER, bounded
from spaces.models.bounds import (
    MAX_DAYS,
    MAX_DEPOSIT_CENTS,
    MAX_HOURS,
    MAX_MINUTES,
    MAX_PEOPLE,
    MAX_RENT_PER_M2,
    MAX_SURFACE_M2,
)
from spaces.models.sites import Site
from spaces.validators import (
    default_booking_kinds,
    validate_organisation_kinds,
)


class ChangeApproval(models.TextChoices):
    """Whether a change to an approved booking goes back to the managers (issue 16)."""

    ALWAYS = "always", _("Always")
    TIME_OR_ROOM = "time_or_room", _("Only when the time or the room changes")
    NEVER = "never", _("Never")


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
    # The identifier the owner's own inventory gives the space (an SCDL EQUIP_UID): the stable
    # key of the inventory import (spaces.imports), kept when the space is renamed.
    inventory_id = SingleLineCharField(
        _("inventory identifier"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("The space's identifier in the owner's own inventory (optional)."),
    )
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
    # Issue 16: a confirmed booking that is changed (bookings.services.changes) goes back to
    # pending when this says so; a change made by an impartial manager never does.
    change_approval = SingleLineCharField(
        _("changes to an approved booking need approval again"),
        max_length=12,
        choices=ChangeApproval,
        default=ChangeApproval.TIME_OR_ROOM,
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
    # Booking conditions (issue 16), checked by bookings.services.conditions.
    house_rules = MultiLineTextField(
        _("house rules"),
        blank=True,
        max_length=5000,
        help_text=_("Requesters must accept them to send a request; empty: none."),
    )
    insurance_required = models.BooleanField(
        _("insurance certificate required"),
        default=False,
        help_text=_(
            "A request can only be approved once the requester has attached an insurance "
            "certificate for the event."
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

    @property
    def booking_kind_labels(self) -> list[str]:
        """The kinds of organisation that may book the space, as people read them."""
        from accounts.models import OrganisationKind

        return [
            str(kind.label)
            for kind in OrganisationKind
            if kind.value in (self.allowed_organisation_kinds or [])
        ]


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
