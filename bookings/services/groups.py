"""Several rooms at once (issue 16): one request for rooms of one site, all or nothing, and
the decisions on the whole group.

Each room is requested by `booking_request` itself, so every rule of a single request holds
per room (period rules, answers and house rules, clashes, quotas, equipment). What this module
adds: every room is locked first, in id order (then the structure, then the equipment items,
as every booking writer does: no two writers wait for each other in opposite orders); each
room is tried in its own savepoint, so a refused room does not stop the others from being
checked and every clash of every room is reported at once; and one refusal rolls back the
whole transaction, so a group is written whole or not at all.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import Actor, is_platform
from accounts.exceptions import DecisionNotAllowed
from accounts.models import User
from bookings import notifications
from bookings.exceptions import BookingConflict
from bookings.models import (
    MAX_GROUP_SPACES,
    OCCUPYING,
    Booking,
    BookingGroup,
    BookingStatus,
    RequestQuestion,
)
from bookings.permissions import CancelAs, booking_cancel_terms, booking_check_decider
from bookings.selectors.groups import booking_groups_visible_to
from bookings.services.conditions import _approval_check
from bookings.services.decisions import _booking_transition, booking_cancel
from bookings.services.requests import BookingRequest, booking_request
from spaces.models import Space
from spaces.selectors import spaces_visible_to


def _check_rooms(request: BookingRequest, spaces: Sequence[int]) -> list[int]:
    ids = list(spaces)
    if len(ids) < 2:
        raise ValidationError({"spaces": _("Choose at least two rooms to book them together.")})
    if len(ids) > MAX_GROUP_SPACES:
        raise ValidationError(
            {
                "spaces": _("At most %(n)s rooms may be requested together.")
                % {"n": MAX_GROUP_SPACES}
            }
        )
    if len(set(ids)) != len(ids):
        raise ValidationError({"spaces": _("Each room may be chosen only once.")})
    if request.skip_conflicts:
        # Dropping different dates in different rooms would not be the request asked for.
        raise ValidationError(
            {
                "skip_conflicts": _(
                    "Several rooms are booked together or not at all: the taken dates cannot "
                    "be skipped."
                )
            }
        )
    return ids


def _rooms_locked(ids: list[int], user: User) -> dict[int, Space]:
    """Lock every room the user may see among `ids`, in id order (the order every booking
    writer takes space locks in), and return them by id."""
    rows = (
        spaces_visible_to(user)
        .select_for_update(of=("self",))
        .select_related("site")
        .filter(pk__in=ids)
        .order_by("pk")
        .only("pk", "name", "capacity", "site_id", "site__max_occupancy")
    )
    return {space.pk: space for space in rows}


def _answers_by_room(request: BookingRequest, ids: list[int]) -> dict[int, dict[int, object]]:
    """The answers given, split by the room whose question they answer (no query when there
    are none); an answer to no room's question goes to the first room, which refuses it."""
    if not request.answers:
        return {}
    owner = dict(
        RequestQuestion.objects.filter(space_id__in=ids, pk__in=list(request.answers)).values_list(
            "pk", "space_id"
        )
    )
    split: dict[int, dict[int, object]] = {}
    for question, value in request.answers.items():
        split.setdefault(owner.get(question, ids[0]), {})[question] = value
    return split


def _attendees_in(room: Space, attendees: int) -> int:
    """The event's attendees, at most as many as `room` holds: the first room must hold them
    all (its capacity rule applies); a kitchen for 6 beside a hall for 300 is booked with it
    for its 6."""
    limits = [limit for limit in (room.capacity, room.site.max_occupancy) if limit]
    return min([attendees, *limits])


def _room_errors(name: str, exc: ValidationError) -> dict[str, list[str]]:
    """`exc`'s messages by field, each prefixed with the room it is about."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {"spaces": exc.messages}
    return {
        field: [
            _("%(room)s: %(message)s") % {"room": name, "message": message} for message in messages
        ]
        for field, messages in by_field.items()
    }


@transaction.atomic
def booking_request_several(
    *,
    request: BookingRequest,
    spaces: Sequence[int],
    requested_by: User,
    now: datetime | None = None,
) -> BookingGroup:
    """Request the same slot or series in several rooms of one site (`spaces`, ids, 2 to
    `MAX_GROUP_SPACES`, no room twice): one booking per room, in one group, all or nothing.
    `request.space` is ignored (the rooms are `spaces`); the first room must hold the
    attendees, the others are booked for at most their own capacity; the equipment asked is
    held with the first room's booking; each answer goes to the room whose question it
    answers.

    Raises ValidationError (every room's errors, each message naming its room) or, when the
    only problems are clashes, one BookingConflict listing every clash of every room (with its
    room in `spaces`). Nothing is written then. The people are told once for the group."""
    now = now or timezone.now()
    ids = _check_rooms(request, spaces)
    rooms = _rooms_locked(ids, requested_by)
    missing = [pk for pk in ids if pk not in rooms]
    if missing:
        raise ValidationError(
            {
                "spaces": _("These rooms do not exist: %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in missing)}
            }
        )
    if len({room.site_id for room in rooms.values()}) > 1:
        raise ValidationError(
            {"spaces": _("Rooms requested together must be in the same building.")}
        )
    answers = _answers_by_room(request, ids)
    bookings: list[Booking] = []
    errors: dict[str, list[str]] = {}
    clashes, reasons, clash_rooms, clashing_names = [], [], [], []
    for position, pk in enumerate(ids):
        room = replace(
            request,
            space=pk,
            answers=answers.get(pk),
            equipment=request.equipment if position == 0 else (),
            attendees=(
                request.attendees
                if position == 0 or request.attendees < 1
                else _attendees_in(rooms[pk], request.attendees)
            ),
        )
        name = rooms[pk].name
        # booking_request is atomic: nested here, a savepoint, so a refused room leaves
        # nothing and the next rooms are still checked.
        try:
            bookings.append(
                booking_request(request=room, requested_by=requested_by, now=now, grouped=True)
            )
        except BookingConflict as exc:
            clashes += exc.clashes
            room_reasons = exc.reasons or [str(exc.message)] * len(exc.clashes)
            reasons += [
                _("%(room)s: %(message)s") % {"room": name, "message": reason}
                for reason in room_reasons
            ]
            clash_rooms += [pk] * len(exc.clashes)
            clashing_names.append(name)
        except ValidationError as exc:
            for field, messages in _room_errors(name, exc).items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if clashes:
        message = ngettext(
            "Nothing was booked: this room is taken at that time: %(rooms)s.",
            "Nothing was booked: these rooms are taken at that time: %(rooms)s.",
            len(clashing_names),
        ) % {"rooms": ", ".join(clashing_names)}
        raise BookingConflict(clashes, message=message, reasons=reasons, spaces=clash_rooms)
    first = bookings[0]
    # Written once every room is booked (a refused requester never gets a group row).
    group = BookingGroup.objects.create(
        site_id=rooms[ids[0]].site_id,
        organisation_id=first.organisation_id,
        requested_by=requested_by,
    )
    Booking.objects.filter(pk__in=[booking.pk for booking in bookings]).update(group=group)
    for booking in bookings:
        booking.group = group
    pending = any(booking.status == BookingStatus.PENDING for booking in bookings)
    # One message for the group, to the structure and (if a room awaits a decision) to the
    # people who decide, not one per room.
    notifications.notify(
        first,
        "group_requested" if pending else "group_confirmed",
        loaded=True,
        requester_is_member=not first.on_behalf,
        rooms=bookings,
    )
    group.bookings_written = bookings
    return group


def _group_pending(group: BookingGroup) -> list[Booking]:
    return list(
        group.bookings.filter(status=BookingStatus.PENDING)
        .select_related("space", "space__site", "organisation")
        .order_by("pk")
    )


@transaction.atomic
def booking_group_approve(*, group: BookingGroup, actor: Actor) -> int:
    """Approve every room of `group` still awaiting a decision, all or none: the same checks
    as `booking_approve` per room (an impartial manager of the site; the files the approval
    waits for). Returns how many were approved; one message to the structure for them all.
    Raises PermissionDenied, DecisionNotAllowed, ConditionsUnmet (nothing approved then)."""
    pending = _group_pending(group)
    for booking in pending:
        booking_check_decider(actor=actor, booking=booking)
        _approval_check(booking)
    approved = [
        booking
        for booking in pending
        if _booking_transition(booking=booking, to=BookingStatus.CONFIRMED, actor=actor)
    ]
    if approved:
        notifications.notify(approved[0], "group_approved", rooms=approved)
    return len(approved)


@transaction.atomic
def booking_group_refuse(*, group: BookingGroup, actor: Actor, reason: str) -> int:
    """Refuse every room of `group` still awaiting a decision, with one reason (required):
    refused to the same people as `booking_group_approve`. Returns how many were refused."""
    pending = _group_pending(group)
    for booking in pending:
        booking_check_decider(actor=actor, booking=booking)
    refused = [
        booking
        for booking in pending
        if _booking_transition(
            booking=booking, to=BookingStatus.REFUSED, actor=actor, reason=reason
        )
    ]
    if refused:
        notifications.notify(refused[0], "group_refused", rooms=refused, reason=reason.strip())
    return len(refused)


def _group_locked(group: BookingGroup) -> list[Booking]:
    """Lock the group's rooms (spaces, in id order), then its bookings (in id order), as every
    booking writer takes them, and return the bookings read under their lock."""
    spaces = group.bookings.values("space_id")
    list(Space.objects.select_for_update().filter(pk__in=spaces).order_by("pk").values_list("pk"))
    return list(
        group.bookings.select_for_update(of=("self",))
        .select_related("space", "space__site", "organisation")
        .order_by("pk")
    )


@transaction.atomic
def booking_group_cancel(
    *, group: BookingGroup, actor: Actor, reason: str, now: datetime | None = None
) -> int:
    """Cancel every room of `group` still booked or awaiting a decision, with one reason
    (required), all or none. Each room is cancelled by `booking_cancel`, on the terms it
    decides for the actor (a manager of the site, or a member of the structure within each
    room's cancellation notice), so each room's slots are freed, its equipment returned, the
    structures waiting offered the slots and its fee refunded (`signals.booking_cancelled`,
    per booking); the people are told once for the group. Rooms already cancelled, refused
    or lapsed are left as they are. Returns how many rooms were cancelled.

    Raises ValidationError (no reason; a room past its notice, naming it: nothing cancelled),
    DecisionNotAllowed (the actor sees the group but may not cancel every room of it),
    PermissionDenied (anyone else)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the cancellation.")})
    now = now or timezone.now()
    booked = [booking for booking in _group_locked(group) if booking.status in OCCUPYING]
    try:
        terms = {booking_cancel_terms(actor=actor, booking=booking) for booking in booked}
    except PermissionDenied:
        # One room is not theirs to cancel (moved to a site they do not manage): all or none.
        if not is_platform(actor) and booking_groups_visible_to(actor).filter(pk=group.pk).exists():
            raise DecisionNotAllowed(
                _("You may not cancel every room of this request: cancel yours from its page.")
            ) from None
        raise
    errors: dict[str, list[str]] = {}
    for booking in booked:
        try:
            booking_cancel(booking=booking, actor=actor, reason=reason, now=now, grouped=True)
        except ValidationError as exc:
            for field, messages in _room_errors(booking.space.name, exc).items():
                errors.setdefault(field, []).extend(messages)
        booking.status = BookingStatus.CANCELLED
    if errors:
        raise ValidationError(errors)
    if booked:
        as_manager = terms == {CancelAs.MANAGER}
        # One message for the group: to the structure and, when the structure cancelled, to
        # the people who decide (the slots they planned for are free).
        notifications.notify(
            booked[0],
            "group_cancelled" if as_manager else "group_cancelled_by_requester",
            actor=actor,
            rooms=booked,
            reason=reason.strip(),
            by_requester=not as_manager,
            cancelled_by="" if is_platform(actor) else str(actor),
        )
    return len(booked)
