"""Messages about calls for applications, through `accounts.messaging` (an e-mail in each
person's language and an entry in their notifications list), in the transaction of the change
they report: they leave after commit, and only if it commits.

Who hears what:
- an application sent: the call's managers (to examine it) and the applicant (a receipt: the
  person who sent it and the structure's administrators);
- an application withdrawn after it was sent: the call's managers;
- an application accepted or refused: the applicant structure's members, with the lot or the
  reasons (and how to contest a refusal);
- a reviewer assigned: the reviewer (declare interests first);
- a call published: the structures on the waiting list whose need one of its lots fits;
- a call closed (by its manager or at its deadline): the applicants whose application is under
  review, those whose draft was never sent, and the reviewers (applications to score);
- a call's deliberation recorded: the applicants it decided on (the decision's reference);
- a message in an application's conversation: the other side (`application_comment_notify`).

The call's managers are the members of the organisation that published it (who run it on
their pages: `calls_manageable_by`), or the intercommunality's people if it has none.
Applicants' replies go to the publisher's contact address (else the call's author).
"""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.urls import reverse

from accounts.messaging import notify_addresses, notify_users
from accounts.models import MembershipRole, Organisation, User
from accounts.selectors import territory_admins, territory_people_q
from bookings.models import CommentSide
from calls.models import (
    Application,
    ApplicationComment,
    ApplicationStatus,
    Call,
    CallLot,
    CallStatus,
    ReviewerAssignment,
)
from calls.selectors import waiting_entries_fitting_call


def _members(
    organisations: Iterable[Organisation] | QuerySet, *, admins_only: bool = False
) -> QuerySet[User]:
    """The active accounts of `organisations` (their administrators only, if `admins_only`)."""
    membership = Q(memberships__organisation__in=organisations)
    if admins_only:
        membership &= Q(memberships__role=MembershipRole.ADMIN)
    return User.objects.filter(membership, is_active=True).distinct().order_by("email")


def _managers(call: Call) -> QuerySet[User]:
    """Who runs `call`: the publisher's members, else the intercommunality's people."""
    managers = _members([call.owner_id])
    return managers if managers.exists() else territory_admins()


def _contact(call: Call) -> list[str]:
    """Where an applicant's reply goes: the publisher's contact address, else the call's
    author (the sender is a no-reply address)."""
    if call.owner.email:
        return [call.owner.email]
    return [call.created_by.email] if call.created_by.is_active else []


def _application(application: Application) -> Application:
    return Application.objects.select_related(
        "call__owner",
        "call__created_by",
        "structure",
        "submitted_by",
        "allocated_lot__space__site",
    ).get(pk=application.pk)


def application_submitted_notify(application: Application, *, actor: User) -> None:
    """An application was sent: the call's managers get it to examine, the applicant (`actor`,
    who sent it, and the structure's administrators) a receipt. Call it in the transaction of
    the submission."""
    application = _application(application)
    call = application.call
    context = {
        "application": application,
        "call": call,
        "sender": actor,
        "preferences": list(
            application.preferences.select_related("lot__space__site").order_by("rank")
        ),
        "documents": list(application.documents.order_by("kind", "pk")),
    }
    about = f"application {application.pk}, submitted"
    link = application.get_absolute_url()
    notify_users(
        _managers(call),
        message="application_received",
        context=context,
        link=link,
        reply_to=[actor.email],
        about=about,
    )
    applicant = [actor, *_members([application.structure_id], admins_only=True)]
    notify_users(
        applicant,
        message="application_receipt",
        context=context,
        link=link,
        reply_to=_contact(call),
        about=about,
    )


def application_withdrawn_notify(application: Application, *, actor: User, reason: str) -> None:
    """An application the call's managers received was withdrawn: tell them (a draft withdrawn
    unsent is the applicant's business). Call it in the transaction of the withdrawal."""
    application = _application(application)
    if application.submitted_at is None:
        return
    notify_users(
        _managers(application.call),
        message="application_withdrawn",
        context={"application": application, "call": application.call, "reason": reason},
        link=reverse("calls:call-manage", args=[application.call_id]),
        reply_to=[actor.email],
        about=f"application {application.pk}, withdrawn",
    )


def application_decided_notify(application: Application) -> None:
    """Tell the applicant structure's members the decision on its application: the lot it was
    given, or the reasons of the refusal and how to contest it. Call it in the transaction of
    the decision."""
    application = _application(application)
    message = (
        "application_accepted"
        if application.status == ApplicationStatus.ACCEPTED
        else "application_refused"
    )
    notify_users(
        _members([application.structure_id]),
        message=message,
        context={
            "application": application,
            "call": application.call,
            "waiting_list_url": reverse("calls:waiting-create"),
        },
        link=application.get_absolute_url(),
        reply_to=_contact(application.call),
        about=f"application {application.pk}, {application.status}",
    )


def reviewer_assigned_notify(assignment: ReviewerAssignment, *, actor: User) -> None:
    """Tell a new reviewer of a call what is expected of them, starting with the declaration
    of interests. Call it in the transaction of the assignment."""
    assignment = ReviewerAssignment.objects.select_related("call__owner", "reviewer").get(
        pk=assignment.pk
    )
    call = assignment.call
    reviewable = call.status != CallStatus.DRAFT
    notify_users(
        [assignment.reviewer],
        message="reviewer_assigned",
        context={"call": call, "reviewable": reviewable},
        link=reverse("calls:review-call", args=[call.pk])
        if reviewable
        else reverse("calls:review-list"),
        reply_to=[actor.email],
        about=f"call {call.pk}, reviewer {assignment.reviewer_id} assigned",
    )


def call_published_notify(call: Call) -> None:
    """A call opened: tell the members of each structure on the waiting list whose need one of
    its lots fits, with those lots and the deadline. Call it in the transaction of the
    publication."""
    call = Call.objects.select_related("owner", "created_by").get(pk=call.pk)
    lots_of: dict[int, dict[int, CallLot]] = {}
    for entry, lots in waiting_entries_fitting_call(call):
        lots_of.setdefault(entry.structure_id, {}).update({lot.pk: lot for lot in lots})
    for structure_id, lots in lots_of.items():
        notify_users(
            _members([structure_id]),
            message="call_published_waiting",
            context={"call": call, "lots": sorted(lots.values(), key=lambda lot: lot.position)},
            link=call.get_absolute_url(),
            reply_to=_contact(call),
            about=f"call {call.pk}, published",
        )


def call_closed_notify(call: Call) -> None:
    """A call closed (by its manager or at its deadline): tell the applicants whose application
    is under review, those whose draft was never sent, and the reviewers. Call it in the
    transaction of the closing."""
    call = Call.objects.select_related("owner", "created_by").get(pk=call.pk)
    about = f"call {call.pk}, closed"
    applications = call.applications.all()
    submitted = applications.filter(status=ApplicationStatus.SUBMITTED)
    notify_users(
        _members(submitted.values("structure")),
        message="call_closed_applicant",
        context={"call": call},
        link=reverse("calls:application-list"),
        reply_to=_contact(call),
        about=about,
    )
    drafts = applications.filter(status=ApplicationStatus.DRAFT)
    notify_users(
        _members(drafts.values("structure")),
        message="call_closed_draft",
        context={"call": call},
        link=reverse("calls:call-list"),
        reply_to=_contact(call),
        about=about,
    )
    if submitted.exists():
        # Not those who declared a conflict of interest: they do not score.
        reviewers = ReviewerAssignment.objects.filter(call=call).exclude(conflict_of_interest=True)
        notify_users(
            User.objects.filter(pk__in=reviewers.values("reviewer"), is_active=True),
            message="call_closed_reviewer",
            context={"call": call, "count": submitted.count()},
            link=reverse("calls:review-call", args=[call.pk]),
            reply_to=[call.created_by.email],
            about=about,
        )


def call_decided_notify(call: Call) -> None:
    """The call's deliberation was recorded: tell the applicants it decided on its reference and
    date (the legal act behind the decision they were told). Call it in the transaction."""
    call = Call.objects.select_related("owner", "created_by").get(pk=call.pk)
    decided = call.applications.filter(
        status__in=[ApplicationStatus.ACCEPTED, ApplicationStatus.REFUSED]
    ).select_related("structure", "allocated_lot__space__site")
    for application in decided:
        notify_users(
            _members([application.structure_id]),
            message="call_decided",
            context={"call": call, "application": application},
            link=application.get_absolute_url(),
            reply_to=_contact(call),
            about=f"call {call.pk}, decided",
        )


def application_comment_recipients(*, comment: ApplicationComment) -> list[User]:
    """Who hears of `comment`: the other side. For the applicant's message, the call's
    managers (`_managers`: the publisher's members, else the intercommunality's people); for a
    manager's, the applicant structure's members (as for the decision). Plus whoever already
    wrote on that side and still stands on it (one of the intercommunality who answered once
    hears the reply). Never the author; never a reviewer who does not decide."""
    application = comment.application
    call = application.call
    if comment.side == CommentSide.REQUESTER:
        other = CommentSide.MANAGER
        people = _managers(call)
        still_there = Q(memberships__organisation=call.owner_id) | territory_people_q()
    else:
        other = CommentSide.REQUESTER
        people = _members([application.structure_id])
        still_there = Q(memberships__organisation=application.structure_id)
    earlier = (
        User.objects.filter(
            still_there,
            is_active=True,
            pk__in=ApplicationComment.objects.filter(application=application, side=other).values(
                "author"
            ),
        )
        .distinct()
        .order_by("email")
    )
    found: dict[int, User] = {}
    for user in [*people, *earlier]:
        if user.pk != comment.author_id:
            found.setdefault(user.pk, user)
    return list(found.values())


def application_comment_notify(comment: ApplicationComment) -> int:
    """Tell the other side of `comment`'s conversation that a message awaits them
    (`application_comment_recipients`): an entry in their notifications list and an e-mail
    that quotes it, linking to the conversation. An applicant's message that nobody can read
    goes to the publisher's contact address. No Reply-To: the answer belongs in the
    conversation. Call it in the transaction that writes the message. Returns how many
    e-mails were queued."""
    application = _application(comment.application)
    comment.application = application
    context = {
        "application": application,
        "call": application.call,
        "comment": comment,
        "author": comment.author,
    }
    link = application.get_absolute_url() + "#messages"
    about = f"application {application.pk}, comment {comment.pk}"
    people = application_comment_recipients(comment=comment)
    if people:
        return notify_users(
            people, message="application_comment", context=context, about=about, link=link
        )
    if comment.side == CommentSide.REQUESTER and (contact := _contact(application.call)):
        return notify_addresses(
            contact, message="application_comment", context=context, about=about, link=link
        )
    return 0
