"""Reads of calls: permission querysets, missing items of an application, the ranking."""

from fractions import Fraction

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import DocumentKind, EssFamily, OrganisationDocument
from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from calls import rules
from calls.models import (
    Application,
    ApplicationStatus,
    Call,
    CallLot,
    CallStatus,
    ReviewerAssignment,
    Score,
)

PUBLIC_STATUSES = [CallStatus.PUBLISHED, CallStatus.CLOSED, CallStatus.DECIDED]
_NEEDS_REPUBLICAN_COMMITMENT = frozenset({EssFamily.ASSOCIATION, EssFamily.FOUNDATION})


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
            ~Q(status=ApplicationStatus.DRAFT)
            & (Q(call__in=calls_manageable_by(user).values("pk")) | Q(call__in=scoring))
        )
    )


def applications_of_applicant(user: AnyUser) -> QuerySet[Application]:
    return Application.objects.filter(structure__in=organisations_of(user))


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
    attached = {document.kind: document for document in application.documents.all()}
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


def documents_attachable_to(application: Application) -> QuerySet[OrganisationDocument]:
    return OrganisationDocument.objects.filter(organisation=application.structure)


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
