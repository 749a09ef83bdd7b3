"""Reads of the documents rendered in the background: who may open which."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.selectors import AnyUser
from reports.models import DocumentKind, DocumentStatus, GeneratedDocument
from reports.selectors.aid import communes_reportable_by
from spaces.models import Commune

# A ready document this recent answers an identical request: the data it shows is a few
# minutes old at most, and a second click does not render the same annex again.
REUSE_READY_FOR = timedelta(minutes=10)


def documents_visible_to(user: AnyUser) -> QuerySet[GeneratedDocument]:
    """Documents the user asked for and may still read: an annex only while the user still
    reports on its commune (a user who left the commune loses it at once)."""
    if not user.is_authenticated:
        return GeneratedDocument.objects.none()
    return GeneratedDocument.objects.filter(
        requested_by=user,
        kind=DocumentKind.ANNEX,
        commune__in=communes_reportable_by(user).values("pk"),
    ).select_related("commune")


def document_reusable(
    *, user: AnyUser, kind: str, commune: Commune, year: int
) -> GeneratedDocument | None:
    """The user's document that answers the same request: one being prepared, or one ready
    within REUSE_READY_FOR."""
    recent = timezone.now() - REUSE_READY_FOR
    same = documents_visible_to(user).filter(kind=kind, commune=commune, year=year)
    pending = same.filter(status=DocumentStatus.PENDING).first()
    if pending is not None:
        return pending
    return same.filter(status=DocumentStatus.READY, finished_at__gte=recent).first()
