"""The season (issue 17): a yearly campaign of weekly slots, the structures' wishes, and the
optimised plan with its explanations."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.fields import MultiLineTextField, SingleLineCharField
from core.validators import MAX_SMALL_INTEGER, bounded
from spaces.models import MAX_PEOPLE, SpaceKind, Weekday


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for wishes")
    CLOSED = "closed", _("Closed, plan to make")
    PLANNED = "planned", _("Plan proposed")
    DECIDED = "decided", _("Decided by the committee")
    PUBLISHED = "published", _("Published")


# The whole life of a campaign, in one place: a proposed plan may be run again (planned stays
# planned) until the committee decides on it; the decided plan is then published as bookings.
CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.OPEN}),
    CampaignStatus.OPEN: frozenset({CampaignStatus.CLOSED}),
    CampaignStatus.CLOSED: frozenset({CampaignStatus.PLANNED}),
    CampaignStatus.PLANNED: frozenset({CampaignStatus.DECIDED}),
    CampaignStatus.DECIDED: frozenset({CampaignStatus.PUBLISHED}),
}


class ActivityKind(models.TextChoices):
    """What a weekly slot is for: the kinds of activity a campaign's rules may favour."""

    SPORT = "sport", _("Sport")
    CULTURE = "culture", _("Culture and arts")
    SOCIAL = "social", _("Social action and solidarity")
    EDUCATION = "education", _("Education and youth")
    HEALTH = "health", _("Health")
    CITIZENSHIP = "citizenship", _("Citizenship and community life")
    EMPLOYMENT = "employment", _("Employment and integration")
    OTHER = "other", _("Other")


class SeasonPeriod(models.TextChoices):
    """How long a weekly slot runs: the school year or one of its terms (seasons.dates)."""

    YEAR = "year", _("Whole school year")
    TERM_1 = "term_1", _("First term (September to Christmas)")
    TERM_2 = "term_2", _("Second term (January to the spring holidays)")
    TERM_3 = "term_3", _("Third term (spring holidays to the summer)")


MAX_HOURS_PER_WEEK = 168
MAX_RULE_WEIGHT = 10
MAX_WISHES_PER_STRUCTURE = 20
MAX_ALTERNATIVES = 3


class Campaign(models.Model):
    """A yearly campaign: structures ask for weekly slots in the spaces of a commune (or the
    intercommunality) for a school year; the rules below are frozen when it opens."""

    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        related_name="season_campaigns",
        help_text=_("The commune or the intercommunality."),
    )
    title = SingleLineCharField(_("title"), max_length=200)
    school_year = models.PositiveSmallIntegerField(
        _("school year (first year)"),
        validators=bounded(2000, 2100),
        help_text=_("2027 for the school year 2027–2028."),
    )
    opens_on = models.DateField(_("wishes open on"))
    deadline = models.DateTimeField(_("deadline for wishes"))
    status = SingleLineCharField(
        _("status"), max_length=10, choices=CampaignStatus, default=CampaignStatus.DRAFT
    )
    # The rules, editable while the campaign is a draft, frozen in `published_rules` at opening.
    hours_per_week = models.PositiveSmallIntegerField(
        _("hours per week per structure at most"),
        null=True,
        blank=True,
        validators=bounded(1, MAX_HOURS_PER_WEEK),
        help_text=_("Empty: no cap."),
    )
    local_first = models.BooleanField(_("the commune's structures first"), default=False)
    local_structures = models.ManyToManyField(
        "accounts.Organisation",
        verbose_name=_("the commune's structures"),
        blank=True,
        related_name="+",
    )
    # {family: weight 1–10} and {activity: weight 1–10}.
    favoured_families = models.JSONField(_("favoured ESS families"), default=dict, blank=True)
    favoured_activities = models.JSONField(_("favoured activities"), default=dict, blank=True)
    holders_keep = models.BooleanField(
        _("last year's holders keep their slots"),
        default=False,
        help_text=_("Unless someone with a higher priority asks for the same slot."),
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("last year's campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_rules = models.JSONField(default=dict, blank=True, editable=False)
    opened_at = models.DateTimeField(_("opened on"), null=True, blank=True, editable=False)
    # The committee's decision on the plan (issue 17, arbitration): when, and its reference.
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    deliberation_reference = SingleLineCharField(
        _("deliberation reference"), max_length=100, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("season campaign")
        verbose_name_plural = _("season campaigns")
        ordering = ["-school_year", "-created_at"]

    def __str__(self) -> str:
        return self.title


class CampaignLog(models.Model):
    """One row per status change of a campaign: who, when (no actor: the platform)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="log")
    from_status = SingleLineCharField(max_length=10, choices=CampaignStatus, blank=True)
    to_status = SingleLineCharField(max_length=10, choices=CampaignStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = MultiLineTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.from_status or '∅'} → {self.to_status}"


class CampaignSpace(models.Model):
    """A space offered in a campaign, with its season setting: whether it closes during the
    school holidays (zone B) for weekly slots (docs/decisions.md, issue 17)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="spaces")
    space = models.ForeignKey("spaces.Space", on_delete=models.PROTECT, related_name="+")
    closed_in_school_holidays = models.BooleanField(
        _("closed during the school holidays"), default=True
    )

    class Meta:
        ordering = ["space__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "space"], name="campaignspace_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.space_id}"


class WishStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Wish(models.Model):
    """A structure's wish for one weekly slot, with its ranked options (first choice first)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="wishes")
    structure = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="season_wishes"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveSmallIntegerField(
        _("rank among the structure's wishes"),
        validators=bounded(1, MAX_WISHES_PER_STRUCTURE),
    )
    attendees = models.PositiveIntegerField(_("attendees"), validators=bounded(1, MAX_PEOPLE))
    purpose = SingleLineCharField(_("purpose"), max_length=200)
    activity = SingleLineCharField(_("activity"), max_length=20, choices=ActivityKind)
    period = SingleLineCharField(
        _("period"), max_length=10, choices=SeasonPeriod, default=SeasonPeriod.YEAR
    )
    amenities = models.ManyToManyField(
        "spaces.Amenity", verbose_name=_("equipment needed"), blank=True, related_name="+"
    )
    status = SingleLineCharField(
        _("status"), max_length=10, choices=WishStatus, default=WishStatus.SUBMITTED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["campaign", "structure", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "structure", "rank"],
                condition=Q(status="submitted"),
                name="wish_unique_rank",
                violation_error_message=_("Your structure already has a wish of this rank."),
            ),
            models.CheckConstraint(condition=Q(attendees__gte=1), name="wish_attendees_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.structure} #{self.rank} — {self.purpose}"


class WishOption(models.Model):
    """One way to satisfy a wish: position 1 is the first choice, then ranked alternatives.
    A given space, or any space of a kind in the campaign (optionally on one site)."""

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(
        _("choice"), validators=bounded(1, 1 + MAX_ALTERNATIVES)
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))
    space = models.ForeignKey(
        "spaces.Space",
        verbose_name=_("space"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    space_kind = SingleLineCharField(
        _("kind of space"), max_length=20, choices=SpaceKind, blank=True
    )

    class Meta:
        ordering = ["wish", "position"]
        constraints = [
            models.UniqueConstraint(fields=["wish", "position"], name="wishoption_unique_position"),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="wishoption_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(space__isnull=False) | ~Q(space_kind=""),
                name="wishoption_space_or_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wish_id}.{self.position}"


class PlanStatus(models.TextChoices):
    OPTIMAL = "optimal", _("Optimal")
    TIME_LIMIT = "time_limit", _("Best plan found in the time limit")
    EMPTY = "empty", _("Nothing to place")
    FAILED = "failed", _("The solver failed")


class PlanRun(models.Model):
    """One run of the optimiser on a closed campaign: its inputs (hash), seed and outcome."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="plan_runs")
    inputs_hash = SingleLineCharField(max_length=64, db_index=True)
    seed = models.PositiveIntegerField(default=0, validators=bounded(0, MAX_SMALL_INTEGER))
    status = SingleLineCharField(max_length=12, choices=PlanStatus)
    seconds = models.FloatField()
    objective = models.FloatField()
    wishes_count = models.PositiveIntegerField(default=0)
    met_count = models.PositiveIntegerField(default=0)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan run")
        verbose_name_plural = _("plan runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id} run {self.pk} ({self.status})"


class PlanAssignment(models.Model):
    """The plan's answer to one wish: the option and space it got, or none, and why."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="assignments")
    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="assignments")
    option = models.ForeignKey(
        WishOption, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    space = models.ForeignKey(
        "spaces.Space", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    explanation = MultiLineTextField(_("explanation"))
    # Arbitration: who last moved the wish by hand (another option, space, or off the plan).
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moved_at = models.DateTimeField(null=True, blank=True)
    # Publication: the weekly booking series the slot became; the first date given back.
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="season_assignments",
    )
    given_back_from = models.DateField(_("given back from"), null=True, blank=True)

    class Meta:
        ordering = ["run", "wish"]
        constraints = [
            models.UniqueConstraint(fields=["run", "wish"], name="planassignment_unique_wish"),
            models.CheckConstraint(
                condition=Q(option__isnull=True, space__isnull=True)
                | Q(option__isnull=False, space__isnull=False),
                name="planassignment_option_and_space_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.wish_id} → {self.space_id or '∅'}"
