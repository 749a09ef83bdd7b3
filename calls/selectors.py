"""Reads of calls: permission querysets, missing items of an application, the ranking."""

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    DocumentKind,
    EssFamily,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
)
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from calls import rules
from calls.models import (
    Application,
    ApplicationComment,
    ApplicationStatus,
    Call,
    CallLot,
    CallStatus,
    Criterion,
    ReviewerAssignment,
    Score,
    WaitingListEntry,
)
from spaces.models import Space
from spaces.selectors import spaces_manageable_by

PUBLIC_STATUSES = [CallStatus.PUBLISHED, CallStatus.CLOSED, CallStatus.DECIDED]
_NEEDS_REPUBLICAN_COMMITMENT = frozenset({EssFamily.ASSOCIATION, EssFamily.FOUNDATION})


def call_accepts_applications(call: Call, *, now: datetime | None = None) -> bool:
    """Published and before its deadline (a rolling call has none)."""
    now = now or timezone.now()
    return call.status == CallStatus.PUBLISHED and (call.deadline is None or now < call.deadline)


def call_terms(call: Call) -> dict[str, object]:
    """A call's terms as `call_update` takes them (its lots' spaces as ids, in order): what the
    management form starts from, and what an API PATCH changes only in part."""
    return {
        "owner": call.owner_id,
        "title": call.title,
        "presentation": call.presentation,
        "eligibility": call.eligibility,
        "spaces": [lot.space_id for lot in call.lots.all()],
        "required_documents": call.required_documents,
        "deadline": call.deadline,
    }


def calls_manageable_by(user: AnyUser) -> QuerySet[Call]:
    """Calls the user runs: the intercommunality all of them, others their organisation's."""
    if user_is_territory_admin(user):
        return Call.objects.all()
    if not user.is_authenticated:
        return Call.objects.none()
    return Call.objects.filter(owner__in=organisations_of(user))


def calls_visible_to(user: AnyUser) -> QuerySet[Call]:
    """Published (and later) calls for everyone; drafts for those who run them."""
    return Call.objects.filter(
        Q(status__in=PUBLIC_STATUSES) | Q(pk__in=calls_manageable_by(user).values("pk"))
    )


def calls_reviewable_by(user: AnyUser) -> QuerySet[Call]:
    """Calls the user is assigned to review (conflicted or not: the page says which)."""
    if not user.is_authenticated:
        return Call.objects.none()
    return Call.objects.filter(reviewers__reviewer=user, status__in=PUBLIC_STATUSES)


def applications_visible_to(user: AnyUser) -> QuerySet[Application]:
    """Applicants see their own; call managers and reviewers without conflict see submitted ones."""
    if not user.is_authenticated:
        return Application.objects.none()
    scoring = ReviewerAssignment.objects.filter(reviewer=user, conflict_of_interest=False).values(
        "call"
    )
    return Application.objects.filter(
        Q(structure__in=organisations_of(user))
        | (
            # Submitted at some point: a draft withdrawn unsent stays the applicant's business.
            Q(submitted_at__isnull=False)
            & (Q(call__in=calls_manageable_by(user).values("pk")) | Q(call__in=scoring))
        )
    )


def applications_of_applicant(user: AnyUser) -> QuerySet[Application]:
    """The applications of the user's structures: theirs to edit, submit and withdraw."""
    return Application.objects.filter(structure__in=organisations_of(user))


def applications_decidable_by(user: AnyUser) -> QuerySet[Application]:
    """Applications sent to the calls the user runs: theirs to accept or refuse."""
    return Application.objects.filter(
        call__in=calls_manageable_by(user).values("pk"), submitted_at__isnull=False
    )


def applications_reviewable_by(user: AnyUser) -> QuerySet[Application]:
    """Sent applications of the calls the user is assigned to, conflicted or not.

    The scoring service refuses a reviewer who has not declared that they have no conflict;
    reading the application itself takes `applications_visible_to`.
    """
    return Application.objects.filter(
        call__in=calls_reviewable_by(user).values("pk"), submitted_at__isnull=False
    ).exclude(status=ApplicationStatus.WITHDRAWN)


def calls_listed() -> QuerySet[Call]:
    """The public list: published, closed and decided calls, open ones first, soonest deadline
    first (rolling calls after dated ones)."""
    return (
        Call.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("owner")
        .prefetch_related("lots__space__site__commune")
        .annotate(
            open_first=Case(
                When(status=CallStatus.PUBLISHED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", F("deadline").asc(nulls_last=True), "-published_at", "pk")
    )


def call_detail(*, user: AnyUser) -> QuerySet[Call]:
    """Calls the user may read, with their lots (and spaces) and their grid."""
    return (
        calls_visible_to(user)
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "lots",
                queryset=CallLot.objects.select_related("space__site__commune").order_by(
                    "position", "pk"
                ),
            ),
            Prefetch("criteria", queryset=Criterion.objects.order_by("position", "pk")),
        )
    )


def calls_offering(space: Space) -> QuerySet[Call]:
    """Open calls with a lot on `space` (for the space's page)."""
    return (
        Call.objects.filter(status=CallStatus.PUBLISHED, lots__space=space)
        .distinct()
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )


def calls_managed_listing(user: AnyUser) -> QuerySet[Call]:
    """The calls the user runs, drafts included, with how many applications each received."""
    return (
        calls_manageable_by(user)
        .select_related("owner")
        .annotate(
            sent_count=Count(
                "applications",
                filter=Q(applications__submitted_at__isnull=False)
                & ~Q(applications__status=ApplicationStatus.WITHDRAWN),
            )
        )
        .order_by("-created_at", "-pk")
    )


def structures_able_to_apply(user: AnyUser) -> QuerySet[Organisation]:
    """The user's ESS structures (verification is one of the items checked before sending)."""
    return organisations_of(user).filter(kind=OrganisationKind.ESS).order_by("name")


def reviewer_assignment_get(*, call: Call, user: AnyUser) -> ReviewerAssignment | None:
    if not user.is_authenticated:
        return None
    return ReviewerAssignment.objects.filter(call=call, reviewer=user).first()


def applications_to_review(call: Call) -> QuerySet[Application]:
    """What the committee examines: sent and not withdrawn."""
    return (
        call.applications.filter(submitted_at__isnull=False)
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .select_related("structure")
        .order_by("structure__name", "pk")
    )


def scores_given(*, application: Application, reviewer: AnyUser) -> dict[int, Score]:
    """The reviewer's scores of the application, by criterion id."""
    return {
        score.criterion_id: score
        for score in Score.objects.filter(application=application, reviewer=reviewer)
    }


def application_missing_items(application: Application) -> list[str]:
    """What must be done before the application can be submitted, in the applicant's words."""
    structure, call = application.structure, application.call
    missing = []
    if not structure.is_verified:
        missing.append(_("The intercommunality must first verify your structure."))
    if not structure.siret:
        missing.append(_("A SIRET is required for any aid in kind, including free premises."))
    if not application.project.strip():
        missing.append(_("Describe your project."))
    if not application.preferences.exists():
        missing.append(_("Rank at least one lot."))
    if (
        structure.ess_family in _NEEDS_REPUBLICAN_COMMITMENT
        and application.republican_commitment_at is None
    ):
        missing.append(
            _("Acknowledge the republican commitment contract (associations and foundations).")
        )
    attached: dict[str, OrganisationDocument] = {}
    for document in application.documents.all():
        # Of two documents of a kind, the one valid longest counts (no expiry date: for ever).
        best = attached.get(document.kind)
        if best is None or _valid_until(document) > _valid_until(best):
            attached[document.kind] = document
    today = timezone.localdate()
    for kind in call.required_documents:
        document = attached.get(kind)
        label = DocumentKind(kind).label
        if document is None:
            missing.append(_("Attach this document: %(kind)s.") % {"kind": label})
        elif document.expires_on is not None and document.expires_on < (
            application.wanted_start or today
        ):
            missing.append(_("This document has expired: %(kind)s.") % {"kind": label})
    return missing


def _valid_until(document: OrganisationDocument) -> date:
    return document.expires_on or date.max


def documents_attachable_to(application: Application) -> QuerySet[OrganisationDocument]:
    return OrganisationDocument.objects.filter(organisation=application.structure)


# Sent and still standing, or decided: what the people who run or review the call work on.
# A draft is the applicant's own business; a withdrawn application no longer asks for anything.
_DOCUMENTS_OPEN_STATUSES = [
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.REFUSED,
]


def application_documents_visible_to(
    user: AnyUser, *, application_pk: int
) -> QuerySet[OrganisationDocument]:
    """The documents attached to one application that the user may open.

    Those who may read the application (`applications_visible_to`: its call's managers, the
    intercommunality, reviewers who declared no conflict) open them once it is submitted or
    decided; the applicant structure's members in any status. Only the applicant's own
    documents count, should another organisation's ever be attached. Empty otherwise.
    """
    readable = (
        applications_visible_to(user)
        .filter(pk=application_pk)
        .filter(
            Q(status__in=_DOCUMENTS_OPEN_STATUSES)
            | Q(pk__in=applications_of_applicant(user).values("pk"))
        )
    )
    # `Application.documents` has no reverse accessor (related_name="+"): go through its table.
    attached = Application.documents.through.objects.filter(
        application__in=readable.values("pk")
    ).values("organisationdocument")
    return OrganisationDocument.objects.filter(
        pk__in=attached, organisation__in=readable.values("structure")
    ).select_related("organisation")


def call_ranking(call: Call) -> list[dict]:
    """Per lot, the applications that asked for it, ranked by weighted total (ties flagged).

    Only reviewers who declared no conflict of interest count. Three queries in all.
    """
    criteria = {criterion.pk: criterion.weight for criterion in call.criteria.all()}
    allowed = set(
        ReviewerAssignment.objects.filter(call=call, conflict_of_interest=False).values_list(
            "reviewer_id", flat=True
        )
    )
    marks: dict[int, dict[int, list[int]]] = {}
    for application_id, reviewer_id, criterion_id, mark in Score.objects.filter(
        application__call=call
    ).values_list("application_id", "reviewer_id", "criterion_id", "mark"):
        if reviewer_id in allowed:
            marks.setdefault(application_id, {}).setdefault(criterion_id, []).append(mark)
    applications = {
        application.pk: application
        for application in call.applications.exclude(
            status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN]
        )
        .select_related("structure")
        .prefetch_related("preferences")
    }
    totals: dict[int, Fraction | None] = {
        pk: rules.weighted_total(weights=criteria, marks=marks.get(pk, {})) for pk in applications
    }
    lots = []
    for lot in CallLot.objects.filter(call=call).select_related("space", "space__site"):
        asking = {
            application.pk: preference.rank
            for application in applications.values()
            for preference in application.preferences.all()
            if preference.lot_id == lot.pk
        }
        ranked = rules.rank((pk, totals[pk]) for pk in asking)
        lots.append(
            {
                "lot": lot,
                "rows": [
                    {
                        "application": applications[entry.key],
                        "total": entry.total,
                        "rank": entry.rank,
                        "tied": entry.tied,
                        "preference": asking[entry.key],
                    }
                    for entry in ranked
                ],
            }
        )
    return lots


def needs_republican_commitment(structure: Organisation) -> bool:
    """Associations and foundations subscribe to the republican commitment contract."""
    return structure.ess_family in _NEEDS_REPUBLICAN_COMMITMENT


def application_scores(application: Application) -> dict:
    """Each criterion with every reviewer's mark and comment, and the weighted total.

    Marks of reviewers who declared a conflict of interest (or have not declared yet) are
    listed with `counts` False and left out of the means and of the total, as in the ranking.
    """
    allowed = set(
        ReviewerAssignment.objects.filter(
            call=application.call_id, conflict_of_interest=False
        ).values_list("reviewer_id", flat=True)
    )
    given: dict[int, list[dict]] = {}
    for score in (
        Score.objects.filter(application=application)
        .select_related("reviewer")
        .order_by("reviewer__email")
    ):
        given.setdefault(score.criterion_id, []).append(
            {
                "reviewer": score.reviewer,
                "mark": score.mark,
                "comment": score.comment,
                "counts": score.reviewer_id in allowed,
            }
        )
    rows, weights, marks = [], {}, {}
    for criterion in application.call.criteria.all():
        counted = [entry["mark"] for entry in given.get(criterion.pk, []) if entry["counts"]]
        weights[criterion.pk] = criterion.weight
        marks[criterion.pk] = counted
        rows.append(
            {
                "criterion": criterion,
                "scores": given.get(criterion.pk, []),
                "mean": Fraction(sum(counted), len(counted)) if counted else None,
            }
        )
    return {"rows": rows, "total": rules.weighted_total(weights=weights, marks=marks)}


# --- Waiting list ---


def waiting_entries_of(user: AnyUser) -> QuerySet[WaitingListEntry]:
    """The waiting-list entries of the user's structures: theirs to read and close."""
    return WaitingListEntry.objects.filter(structure__in=organisations_of(user).values("pk"))


@dataclass(frozen=True)
class SpaceCandidates:
    space: Space
    entries: list[WaitingListEntry]


def _entry_fits(entry: WaitingListEntry, space: Space, commune_codes: set[str]) -> bool:
    return (
        entry.kind == space.kind
        and (entry.min_surface_m2 is None or space.surface_m2 >= entry.min_surface_m2)
        and (entry.max_surface_m2 is None or space.surface_m2 <= entry.max_surface_m2)
        and (not commune_codes or space.site.commune_id in commune_codes)
    )


def waiting_entries_fitting_call(call: Call) -> list[tuple[WaitingListEntry, list[CallLot]]]:
    """The open waiting-list entries that a lot of `call` fits, each with those lots (same rule
    as the managers' candidates page, whatever the date the need starts: a call is a chance to
    plan ahead). Three queries."""
    lots = list(call.lots.select_related("space__site").order_by("position", "pk"))
    entries = (
        WaitingListEntry.objects.filter(
            closed_at__isnull=True, kind__in={lot.space.kind for lot in lots}
        )
        .select_related("structure")
        .prefetch_related("communes")
        .order_by("created_at", "pk")
    )
    fitting = []
    for entry in entries:
        codes = {commune.pk for commune in entry.communes.all()}
        lots_fit = [lot for lot in lots if _entry_fits(entry, lot.space, codes)]
        if lots_fit:
            fitting.append((entry, lots_fit))
    return fitting


def waiting_list_candidates_for(
    user: AnyUser, *, space_pk: int | None = None, today: date | None = None
) -> list[SpaceCandidates]:
    """For each vacant allocatable space the user manages, the open waiting-list entries it fits.

    An entry fits a space of its kind, within its surface bounds, in one of its communes (any if
    it names none), once the need has started (`wanted_from` empty or past). Four queries,
    whatever the number of spaces and entries.
    """
    today = today or timezone.localdate()
    spaces = (
        spaces_manageable_by(user)
        .filter(allocatable=True, vacant_since__isnull=False)
        .select_related("site", "site__commune")
        .order_by("site__commune__name", "site__name", "name")
    )
    if space_pk is not None:
        spaces = spaces.filter(pk=space_pk)
    spaces = list(spaces)
    if not spaces:
        return []
    entries = list(
        WaitingListEntry.objects.filter(
            closed_at__isnull=True, kind__in={space.kind for space in spaces}
        )
        .filter(Q(wanted_from__isnull=True) | Q(wanted_from__lte=today))
        .select_related("structure")
        .prefetch_related("communes")
        .order_by("created_at", "pk")
    )
    codes = {entry.pk: {commune.pk for commune in entry.communes.all()} for entry in entries}
    return [
        SpaceCandidates(
            space=space,
            entries=[entry for entry in entries if _entry_fits(entry, space, codes[entry.pk])],
        )
        for space in spaces
    ]


def document_labels(kinds: list[str]) -> list[str]:
    """The names of the required document kinds, in the user's language."""
    return [str(DocumentKind(kind).label) for kind in kinds if kind in DocumentKind.values]


def call_close_summary(*, call: Call, now: datetime | None = None) -> dict:
    """What closing `call` now means: its deadline (and whether it is still ahead), its
    applications sent and in draft, and its reviewers — all of whom are told."""
    now = now or timezone.now()
    counts = call.applications.aggregate(
        submitted=Count("pk", filter=Q(status=ApplicationStatus.SUBMITTED)),
        drafts=Count("pk", filter=Q(status=ApplicationStatus.DRAFT)),
    )
    return {
        "call": call,
        "before_deadline": call.deadline is not None and call.deadline > now,
        "submitted": counts["submitted"],
        "drafts": counts["drafts"],
        "reviewers": call.reviewers.count(),
    }


def application_comments(*, application: Application) -> QuerySet[ApplicationComment]:
    """The messages of `application`, oldest first, each with its author. The caller has
    checked that the reader stands on a side of it (`permissions.application_comment_side`)."""
    return ApplicationComment.objects.filter(application=application).select_related("author")
