"""Calls for applications for vacant premises, applications, reviews and the waiting list."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bookings.models import Comment, comment_constraints
from core.fields import MultiLineTextField, SingleLineCharField
from core.history import history
from core.models import StatusLog
from core.validators import MAX_SMALL_INTEGER, bounded
from spaces.models import MAX_SURFACE_M2


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Open for applications")
    CLOSED = "closed", _("Closed, under review")
    DECIDED = "decided", _("Decided")


CALL_TRANSITIONS: dict[str, frozenset[str]] = {
    CallStatus.DRAFT: frozenset({CallStatus.PUBLISHED}),
    CallStatus.PUBLISHED: frozenset({CallStatus.CLOSED}),
    CallStatus.CLOSED: frozenset({CallStatus.DECIDED}),
}


class Call(models.Model):
    """A call for applications (appel à candidatures) for one or more vacant spaces ("lots")."""

    owner = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="calls",
    )
    title = SingleLineCharField(_("title"), max_length=200)
    presentation = MultiLineTextField(_("presentation"))
    eligibility = MultiLineTextField(_("eligibility rules"))
    required_documents = models.JSONField(
        _("required documents"),
        default=list,
        blank=True,
        help_text=_("Kinds of documents each applicant must provide."),
    )
    deadline = models.DateTimeField(
        _("deadline"), null=True, blank=True, help_text=_("Empty: applications on a rolling basis.")
    )
    status = SingleLineCharField(
        _("status"), max_length=10, choices=CallStatus, default=CallStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    # The criteria as published (name, weight, description), frozen: the grid that binds.
    published_criteria = models.JSONField(default=list, blank=True, editable=False)
    deliberation_reference = SingleLineCharField(
        _("decision reference"),
        max_length=100,
        blank=True,
        help_text=_("Council decision number."),
    )
    deliberation_date = models.DateField(_("decision date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("calls:call-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == CallStatus.PUBLISHED


class CallLog(StatusLog):
    """One row per status change of a call (published, closed, decided): who, when, and the
    deliberation behind a decision. No actor: the platform (a call closed at its deadline)."""

    LOGGED = "call"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="log")
    from_status = SingleLineCharField(max_length=10, choices=CallStatus, blank=True)
    to_status = SingleLineCharField(max_length=10, choices=CallStatus)

    class Meta(StatusLog.Meta):
        verbose_name = _("call event")
        verbose_name_plural = _("call events")


class CallLot(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="lots")
    space = models.ForeignKey("spaces.Space", on_delete=models.PROTECT, related_name="call_lots")
    position = models.PositiveSmallIntegerField(default=1, validators=bounded(0, MAX_SMALL_INTEGER))

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "space"], name="calllot_unique_space")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.space}"


class Criterion(models.Model):
    """A selection criterion with its weight (points out of the grid's total)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    name = SingleLineCharField(_("criterion"), max_length=200)
    description = MultiLineTextField(_("what is assessed"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), validators=bounded(1, 1000))
    position = models.PositiveSmallIntegerField(default=1, validators=bounded(0, MAX_SMALL_INTEGER))

    history = history()

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    ApplicationStatus.DRAFT: frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN}),
    ApplicationStatus.SUBMITTED: frozenset(
        {ApplicationStatus.WITHDRAWN, ApplicationStatus.ACCEPTED, ApplicationStatus.REFUSED}
    ),
}


class Application(models.Model):
    """An ESS structure's application to a call."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    structure = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="applications"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    project = MultiLineTextField(_("project"))
    needed_surface_m2 = models.PositiveIntegerField(
        _("surface needed (m²)"), null=True, blank=True, validators=bounded(1, MAX_SURFACE_M2)
    )
    needed_kind = SingleLineCharField(_("kind of space needed"), max_length=20, blank=True)
    wanted_start = models.DateField(_("wanted from"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        _("duration (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(144)],
    )
    documents = models.ManyToManyField(
        "accounts.OrganisationDocument", verbose_name=_("documents"), blank=True, related_name="+"
    )
    republican_commitment_at = models.DateTimeField(
        _("republican commitment contract acknowledged on"), null=True, blank=True
    )
    republican_commitment_signatory = SingleLineCharField(
        _("signed by"), max_length=200, blank=True
    )
    status = SingleLineCharField(
        _("status"), max_length=10, choices=ApplicationStatus, default=ApplicationStatus.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_reason = MultiLineTextField(_("reasons of the decision"), blank=True)
    allocated_lot = models.ForeignKey(
        CallLot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allocation = models.OneToOneField(
        "bookings.Allocation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "structure"],
                condition=~Q(status="withdrawn"),
                name="application_one_live_per_structure",
                violation_error_message=_("Your structure has already applied to this call."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.structure} → {self.call}"

    def get_absolute_url(self) -> str:
        return reverse("calls:application-detail", args=[self.pk])


class Preference(models.Model):
    """The applicant's ranking of the lots (1 = first choice)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="preferences"
    )
    lot = models.ForeignKey(CallLot, on_delete=models.CASCADE, related_name="preferences")
    rank = models.PositiveSmallIntegerField(_("rank"), validators=bounded(1, MAX_SMALL_INTEGER))

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "lot"], name="preference_unique_lot"),
            models.UniqueConstraint(fields=["application", "rank"], name="preference_unique_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.lot}"


class ApplicationLog(StatusLog):
    LOGGED = "application"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="log")
    from_status = SingleLineCharField(max_length=10, choices=ApplicationStatus, blank=True)
    to_status = SingleLineCharField(max_length=10, choices=ApplicationStatus)


# Past this many messages an application's conversation is closed, as a booking's
# (bookings.models.COMMENTS_PER_BOOKING): an application is not a forum.
COMMENTS_PER_APPLICATION = 500


class ApplicationComment(Comment):
    """One message of an application's conversation, between the applicant structure
    (`CommentSide.REQUESTER`) and the people who decide on the call's applications
    (`CommentSide.MANAGER`); the committee's reviewers do not take part. `side` is the
    author's side when they wrote it. The sibling of `bookings.BookingComment`, same rules."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="comments",
    )

    class Meta(Comment.Meta):
        verbose_name = _("message on an application")
        verbose_name_plural = _("messages on applications")
        indexes = [
            models.Index(fields=["application", "created_at"], name="application_comment_thread"),
        ]
        constraints = comment_constraints("application_comment")

    def __str__(self) -> str:
        return f"application {self.application_id}, message {self.pk} ({self.side})"


class ReviewerAssignment(models.Model):
    """A reviewer of a call; one who declares a conflict of interest is excluded from scoring."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="reviewers")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    conflict_of_interest = models.BooleanField(_("conflict of interest"), null=True, blank=True)
    conflict_note = MultiLineTextField(_("details"), blank=True)
    declared_at = models.DateTimeField(null=True, blank=True)

    history = history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "reviewer"], name="reviewerassignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} — {self.call}"

    @property
    def may_score(self) -> bool:
        return self.conflict_of_interest is False


class Score(models.Model):
    """One reviewer's mark (0–10) for one criterion of one application, with a comment."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    mark = models.PositiveSmallIntegerField(_("mark (0–10)"), validators=bounded(0, 10))
    comment = MultiLineTextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = history()  # a changed mark keeps the previous one here

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer", "criterion"], name="score_unique"
            ),
            models.CheckConstraint(condition=Q(mark__lte=10), name="score_mark_at_most_10"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.mark}"


class WaitingListEntry(models.Model):
    """A structure without premises registers its need; managers see it when a space fits."""

    structure = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="waiting_list"
    )
    kind = SingleLineCharField(_("kind of space"), max_length=20)
    min_surface_m2 = models.PositiveIntegerField(
        _("minimum surface (m²)"), null=True, blank=True, validators=bounded(1, MAX_SURFACE_M2)
    )
    max_surface_m2 = models.PositiveIntegerField(
        _("maximum surface (m²)"), null=True, blank=True, validators=bounded(1, MAX_SURFACE_M2)
    )
    communes = models.ManyToManyField("spaces.Commune", verbose_name=_("communes"), blank=True)
    wanted_from = models.DateField(_("wanted from"), null=True, blank=True)
    notes = MultiLineTextField(_("needs"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.structure} — {self.kind}"
