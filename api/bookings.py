"""Bookings API: availability search, requests, decisions, cancellations, occupancy."""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Min, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.models import User
from accounts.selectors import AnyUser, token_organisation_id, user_is_territory_admin
from api.conditions import (
    AnswersInputField,
    BookingAnswerSerializer,
    BookingFileSerializer,
    answers_represented,
)
from api.fields import IdField, LocalDateTimeField, MultiLineField, SingleLineField
from api.pagination import TOTAL, PaginatedListMixin
from api.plain import converter
from api.schema import CONFLICT, CONFLICT_OR_TRANSITION_REFUSED, TRANSITION_REFUSED
from api.spaces import SpaceOutputSerializer, space_rows, spaces_represented
from api.throttles import BookingCreateRateThrottle
from bookings import selectors, services
from bookings.models import MAX_STOCK, Booking, BookingStatus, Frequency, Occupancy, Waiver
from bookings.rules import Period
from bookings.selectors.equipment import booking_equipment
from core.compiled import CompiledQueries
from core.links import url_of
from core.validators import bounds_of
from spaces.filters import SpaceFilter
from spaces.models import Space
from spaces.selectors import spaces_manageable_by, spaces_visible_to


class PeriodInputSerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField(help_text="Exclusive; after `start`, at most 31 days later.")

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        if attrs["end"] - attrs["start"] > timedelta(days=31):
            raise serializers.ValidationError({"end": _("Ask for at most 31 days at a time.")})
        return attrs


class AvailabilityApi(generics.ListAPIView):
    """Spaces free for a slot (with the catalogue's filters): GET ?start=…&end=…"""

    serializer_class = SpaceOutputSerializer
    filterset_class = SpaceFilter

    @extend_schema(
        parameters=[PeriodInputSerializer],
        responses=SpaceOutputSerializer(many=True),
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def period(self) -> Period:
        """The slot asked for (400 unless valid), read once per request."""
        if not hasattr(self, "_period"):
            params = PeriodInputSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            self._period = Period(params.validated_data["start"], params.validated_data["end"])
        return self._period

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no query string
            return Space.objects.none()
        return selectors.spaces_available(user=self.request.user, period=self.period())

    def list(self, request: Request, *args, **kwargs) -> Response:
        compiled = _compiled_availability_page(request, self.period())

        def spaces() -> QuerySet[Space]:
            return self.filter_queryset(self.get_queryset())

        page = self.paginator.paginate_rows(
            spaces if compiled else spaces(), request, space_rows, view=self, compiled=compiled
        )
        return self.get_paginated_response(spaces_represented(page))


# The availability search's page for visitors who have not signed in (the widget's and the
# open data's callers) compiled once per process on PostgreSQL (core.compiled: building and
# compiling it took ~6 ms of the search's ~18), for each page's bounds and whether the slot
# stays within one local day (the opening hours' test then compares the day and the times);
# at most `_COMPILED_PAGES` of them besides the first page. A signed-in user's search (the
# spaces they may see and book depend on them), one with the catalogue's filters, and SQLite
# (which spells the buffers one branch per value, computed from the slot) build the queryset
# as usual.
_SLOT_PLACEHOLDERS = {
    "start": datetime,
    "end": datetime,
    "reach": datetime,
    "minutes": int,
    "notice_hours": int,
    "advance_days": int,
}
_SAME_DAY_PLACEHOLDERS = {"weekday": int, "opens_by": str, "closes_after": str}


def _availability_page(same_day: bool, bottom: int, top: int) -> Callable[..., QuerySet]:
    def build(**values) -> QuerySet:
        if not same_day:  # not compared: the slot's times of day are not in the SQL
            values.update(weekday=0, opens_by="00:00:00", closes_after="00:00:00")
        slot = selectors.Slot(same_day=same_day, **values)
        spaces = selectors.spaces_free(user=AnonymousUser(), slot=slot)
        return space_rows(spaces).annotate(**{TOTAL: Window(Count("*"))})[bottom:top]

    return build


def _compiled_availability_page(
    request: Request, period: Period
) -> Callable[[int, int], list[dict] | None] | None:
    """The availability search's `compiled` reader (api.pagination), or None where the search
    is not compiled (see `_compiled_availability`)."""
    if (
        request.user.is_authenticated
        or connection.vendor != "postgresql"
        or any(name in request.query_params for name in SpaceFilter.base_filters)
    ):
        return None
    slot = selectors.Slot.of(period, timezone.now())
    values = {name: getattr(slot, name) for name in _SLOT_PLACEHOLDERS}
    placeholders = dict(_SLOT_PLACEHOLDERS)
    if slot.same_day:
        values.update({name: getattr(slot, name) for name in _SAME_DAY_PLACEHOLDERS})
        placeholders.update(_SAME_DAY_PLACEHOLDERS)

    def read(bottom: int, top: int) -> list[dict] | None:
        query = _AVAILABILITY_PAGES.get((slot.same_day, bottom, top), **placeholders)
        return None if query is None else query.run(**values)

    return read


class OccurrenceSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(
        help_text="Exclusive. After a no-show, the moment the rest of the slot was released."
    )
    active = serializers.BooleanField()
    # Check-in (issue 16): POST /bookings/{id}/check-in/ on a space that requires it.
    checked_in_at = serializers.DateTimeField(
        allow_null=True, help_text="When a member of the structure checked in; null if not."
    )
    no_show_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When nobody had checked in by the end of the grace period and the rest of "
        "the slot was released; null if not.",
    )
    booked_end = serializers.DateTimeField(
        allow_null=True, help_text="The end as booked, when a no-show released the rest."
    )


class BookingLogSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    occurrence_start = serializers.DateTimeField(allow_null=True)
    actor = serializers.CharField(source="actor.email", allow_null=True, default=None)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


# What a booking's detail and a booking in a list both show, before their dates and `url`.
BOOKING_FIELDS = [
    "id",
    "space",
    "organisation",
    "purpose",
    "attendees",
    "status",
    "start",
    "end",
    "frequency",
    "repeat_until",
    "repeat_count",
    "lapses_at",
    "created_at",
    "on_behalf",
    "waived_min_notice",
    "waived_max_advance",
]


class BookedEquipmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The item (GET /spaces/{id}/equipment/).")
    name = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Held on each date of the booking.")


class EquipmentAskedSerializer(serializers.Serializer):
    equipment = IdField(help_text="An item of the space's site (GET /spaces/{id}/equipment/).")
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK)

    class Meta:
        ref_name = "EquipmentAsked"


class BookingOutputSerializer(serializers.ModelSerializer):
    space = serializers.IntegerField(source="space_id")
    organisation = serializers.CharField(source="organisation.name")
    occurrences = OccurrenceSerializer(many=True, source="occupancies")
    log = BookingLogSerializer(many=True)
    # Issue 16 (api/conditions.py): the answers, the files, the house rules' acceptance.
    answers = BookingAnswerSerializer(many=True)
    files = BookingFileSerializer(many=True)
    equipment = serializers.SerializerMethodField()
    # Issue 16: requested with other rooms (GET /booking-groups/{id}/), else null.
    group = serializers.IntegerField(source="group_id", allow_null=True)
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Booking
        fields = [
            *BOOKING_FIELDS,
            "occurrences",
            "log",
            "answers",
            "files",
            "house_rules_accepted_at",
            "equipment",
            "group",
            "url",
        ]

    @extend_schema_field(BookedEquipmentSerializer(many=True))
    def get_equipment(self, booking: Booking) -> list[dict]:
        return booking_equipment(booking=booking)


class NextOccurrenceSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class BookingListItemSerializer(serializers.ModelSerializer):
    """A booking in a list: its dates summarised (the detail gives each date and the log)."""

    space = serializers.IntegerField(source="space_id")
    organisation = serializers.CharField(source="organisation.name")
    occurrence_count = serializers.IntegerField(help_text="Its dates still held (active).")
    next_occurrence = NextOccurrenceSerializer(
        allow_null=True,
        help_text="The first active date not yet over (under way or to come); null if none.",
    )
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Booking
        fields = [*BOOKING_FIELDS, "occurrence_count", "next_occurrence", "url"]


# The list's order, newest first.
BOOKING_ORDER = ("-start", "pk")

# The same fields as `values()` columns: the space's id, the organisation's name.
BOOKING_COLUMNS = tuple(
    {"space": "space_id", "organisation": "organisation__name"}.get(field, field)
    for field in BOOKING_FIELDS
)


def booking_rows(bookings: QuerySet[Booking], *, now: datetime | None = None) -> QuerySet:
    """The columns `bookings_represented` needs, each booking's dates summarised in the same
    query: its active dates' count and the first active date not yet over (the one under way or
    the next). Dates of one booking never overlap (one space, the no-overlap constraint), so the
    earliest start and the earliest end among the dates not yet over belong to the same date."""
    now = now or timezone.now()
    dates = Occupancy.objects.filter(booking=OuterRef("pk"), active=True).order_by()
    not_over = dates.filter(end__gt=now).values("booking")
    return (
        bookings.select_related(None)
        .prefetch_related(None)
        .values(*BOOKING_COLUMNS)
        .annotate(
            occurrence_count=Coalesce(
                Subquery(dates.values("booking").annotate(count=Count("pk")).values("count")), 0
            ),
            next_start=Subquery(not_over.annotate(first=Min("start")).values("first")),
            next_end=Subquery(not_over.annotate(first=Min("end")).values("first")),
        )
    )


# The bookings list's page compiled once per process (core.compiled: building and compiling
# it took ~4 ms of the list's ~15), for each shape of `bookings_visible_to` it has (a member's
# bookings, with the user's id; everyone's, for the territory) and each page's bounds (LIMIT
# and OFFSET are the SQL's text); at most `_COMPILED_PAGES` of them besides the first page (a
# client asking for many bounds fills no more memory), the others built as usual.
_COMPILED_PAGES = 32


def _first_page(_shape: bool, bottom: int, top: int) -> bool:
    """The page most asked for, compiled even when others took the places."""
    return bottom == 0 and top == api_settings.PAGE_SIZE


def _booking_page(everyone: bool, bottom: int, top: int) -> Callable[..., QuerySet]:
    def build(now: datetime, user: int | None = None) -> QuerySet:
        bookings = (
            Booking.objects.all() if everyone else selectors.bookings_of_member(User(pk=user))
        )
        return booking_rows(bookings.order_by(*BOOKING_ORDER), now=now).annotate(
            **{TOTAL: Window(Count("*"))}
        )[bottom:top]

    return build


_BOOKING_PAGES = CompiledQueries(_booking_page, most=_COMPILED_PAGES, always=_first_page)
# The availability search's pages (see `_compiled_availability_page`).
_AVAILABILITY_PAGES = CompiledQueries(_availability_page, most=_COMPILED_PAGES, always=_first_page)


def _compiled_booking_page(user: AnyUser) -> Callable[[int, int], list[dict] | None] | None:
    """The bookings list's `compiled` reader for `user` (api.pagination), or None for a shape
    not compiled (a token scoped to one organisation)."""
    if token_organisation_id(user) is not None:
        return None
    everyone = user_is_territory_admin(user)
    now = timezone.now()

    def read(bottom: int, top: int) -> list[dict] | None:
        if everyone:
            query = _BOOKING_PAGES.get((everyone, bottom, top), now=datetime)
            return None if query is None else query.run(now=now)
        query = _BOOKING_PAGES.get((everyone, bottom, top), now=datetime, user=int)
        return None if query is None else query.run(now=now, user=user.pk)

    return read


def bookings_represented(rows: Sequence[dict]) -> list[dict]:
    """What `BookingListItemSerializer(bookings, many=True).data` gives, from `booking_rows()`."""
    moment = converter(BookingListItemSerializer, "start")
    day = converter(BookingListItemSerializer, "repeat_until")
    url = url_of("bookings:booking-detail")
    items = []
    for row in rows:
        following = None
        if row["next_start"] is not None:
            following = {"start": moment(row["next_start"]), "end": moment(row["next_end"])}
        items.append(
            {
                "id": row["id"],
                "space": row["space_id"],
                "organisation": row["organisation__name"],
                "purpose": row["purpose"],
                "attendees": row["attendees"],
                "status": row["status"],
                "start": moment(row["start"]),
                "end": moment(row["end"]),
                "frequency": row["frequency"],
                "repeat_until": day(row["repeat_until"]),
                "repeat_count": row["repeat_count"],
                "lapses_at": moment(row["lapses_at"]),
                "created_at": moment(row["created_at"]),
                "on_behalf": row["on_behalf"],
                "waived_min_notice": row["waived_min_notice"],
                "waived_max_advance": row["waived_max_advance"],
                "occurrence_count": row["occurrence_count"],
                "next_occurrence": following,
                "url": url(row["id"]),
            }
        )
    return items


def booking_represented(booking: Booking, occupancies: Iterable, log: Iterable) -> dict:
    """What `BookingOutputSerializer(booking).data` gives, for a booking carrying its
    organisation, with its dates (by start) and its log (each carrying its actor) as given: the
    201 of a creation answers from the rows it wrote."""
    moment = converter(BookingOutputSerializer, "start")
    day = converter(BookingOutputSerializer, "repeat_until")
    return {
        "id": booking.pk,
        "space": booking.space_id,
        "organisation": booking.organisation.name,
        "purpose": str(booking.purpose),
        "attendees": booking.attendees,
        "status": str(booking.status),
        "start": moment(booking.start),
        "end": moment(booking.end),
        "frequency": str(booking.frequency),
        "repeat_until": day(booking.repeat_until),
        "repeat_count": booking.repeat_count,
        "lapses_at": moment(booking.lapses_at),
        "created_at": moment(booking.created_at),
        "on_behalf": booking.on_behalf,
        "waived_min_notice": booking.waived_min_notice,
        "waived_max_advance": booking.waived_max_advance,
        "occurrences": [
            {
                "start": moment(row.start),
                "end": moment(row.end),
                "active": row.active,
                "checked_in_at": moment(row.checked_in_at),
                "no_show_at": moment(row.no_show_at),
                "booked_end": moment(row.booked_end),
            }
            for row in occupancies
        ],
        "log": [
            {
                "from_status": entry.from_status,
                "to_status": entry.to_status,
                "occurrence_start": moment(entry.occurrence_start),
                "actor": entry.actor.email if entry.actor_id is not None else None,
                "reason": entry.reason,
                "created_at": moment(entry.created_at),
            }
            for entry in log
        ],
        "answers": answers_represented(getattr(booking, "answers_written", [])),
        "files": [BookingFileSerializer(row).data for row in getattr(booking, "files_written", [])],
        "house_rules_accepted_at": moment(booking.house_rules_accepted_at),
        "equipment": getattr(booking, "equipment_booked", []),
        "group": booking.group_id,
        "url": booking.get_absolute_url(),
    }


def _booking_queryset(user):
    return selectors.booking_detail(user=user).prefetch_related(
        "occupancies", "log__actor", "answers", "files"
    )


def booking_request_of(values: dict, *, space: int) -> services.BookingRequest:
    """The request a creation body describes (`BookingListCreateApi.InputSerializer`'s
    validated data), for `space`. Ids: the service reads the space and the organisation under
    its lock, within what the user may see and book for (400 naming the field otherwise)."""
    return services.BookingRequest(
        space=space,
        organisation=values["organisation"],
        purpose=values["purpose"],
        attendees=values["attendees"],
        first=Period(values["start"], values["end"]),
        frequency=values["frequency"],
        repeat_until=values.get("repeat_until"),
        repeat_count=values.get("repeat_count"),
        skip_conflicts=values["skip_conflicts"],
        answers=values.get("answers"),
        house_rules_accepted=values["house_rules_accepted"],
        equipment=tuple(
            (item["equipment"], item["quantity"]) for item in values.get("equipment", [])
        ),
        waive=frozenset(values.get("waive", ())),
        approve=values["approve"],
    )


class BookingListCreateApi(PaginatedListMixin, APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [*APIView.throttle_classes, BookingCreateRateThrottle]

    class InputSerializer(PeriodInputSerializer):
        space = IdField()
        organisation = IdField()
        purpose = SingleLineField(max_length=200)
        attendees = serializers.IntegerField(**bounds_of(Booking, "attendees"))
        frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.ONCE)
        repeat_until = serializers.DateField(required=False, allow_null=True)
        repeat_count = serializers.IntegerField(
            required=False, allow_null=True, **bounds_of(Booking, "repeat_count")
        )
        skip_conflicts = serializers.BooleanField(default=False)
        answers = AnswersInputField()
        house_rules_accepted = serializers.BooleanField(
            default=False, help_text="Required true when the space has house rules."
        )
        equipment = EquipmentAskedSerializer(
            many=True,
            required=False,
            max_length=100,
            help_text="Equipment of the space's site held with each date (issue 16).",
        )
        # Booking on behalf of a structure (issue 16): an agent who manages the space's site
        # gives a verified structure they do not belong to as `organisation`.
        waive = serializers.MultipleChoiceField(
            choices=Waiver.choices,
            required=False,
            help_text="Booking on behalf only: the rules of the space the agent waives.",
        )
        approve = serializers.BooleanField(
            default=False,
            help_text="Booking on behalf only: the agent approves the request at once.",
        )

        class Meta:
            ref_name = "BookingRequestInput"  # one schema component name per input serializer

    @extend_schema(responses=BookingListItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        def bookings() -> QuerySet[Booking]:
            return selectors.bookings_visible_to(request.user).order_by(*BOOKING_ORDER)

        compiled = _compiled_booking_page(request.user)
        return self.paginated_rows(
            bookings if compiled else bookings(),
            booking_rows,
            bookings_represented,
            compiled=compiled,
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: BookingOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        booking = services.booking_request(
            request=booking_request_of(values, space=values["space"]),
            requested_by=request.user,
        )
        # Answered from the rows the service wrote (dates by start, then the log): nothing is
        # read back.
        written = booking.written
        return Response(
            booking_represented(booking, written.occupancies, written.log),
            status=status.HTTP_201_CREATED,
        )


class BookingDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BookingOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(_booking_queryset(request.user), pk=pk)
        return Response(BookingOutputSerializer(booking).data)


class ReasonSerializer(serializers.Serializer):
    reason = MultiLineField(max_length=2000, required=False, allow_blank=True, default="")


class BookingDecisionApi(APIView):
    """Approve or refuse a pending request (managers of the site)."""

    permission_classes = [IsAuthenticated]
    decision: str = ""

    @extend_schema(
        request=ReasonSerializer, responses={200: BookingOutputSerializer, 409: TRANSITION_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if self.decision == BookingStatus.CONFIRMED:
            services.booking_approve(booking=booking, actor=request.user)
        else:
            services.booking_refuse(
                booking=booking, actor=request.user, reason=data.validated_data["reason"]
            )
        return Response(BookingOutputSerializer(_booking_queryset(request.user).get(pk=pk)).data)


class BookingApproveApi(BookingDecisionApi):
    decision = BookingStatus.CONFIRMED


class BookingRefuseApi(BookingDecisionApi):
    decision = BookingStatus.REFUSED


class BookingCancelApi(APIView):
    """Cancel a booking, one date of it, or a date and the following ones."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(ReasonSerializer):
        occurrence_start = serializers.DateTimeField(required=False, allow_null=True)
        and_following = serializers.BooleanField(default=False)

        class Meta:
            ref_name = "BookingCancelInput"

    @extend_schema(
        request=InputSerializer, responses={200: BookingOutputSerializer, 409: TRANSITION_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(selectors.bookings_visible_to(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.booking_cancel(
            booking=booking,
            actor=request.user,
            reason=data.validated_data["reason"],
            occurrence_start=data.validated_data.get("occurrence_start"),
            and_following=data.validated_data["and_following"],
        )
        return Response(BookingOutputSerializer(_booking_queryset(request.user).get(pk=pk)).data)


class BookingRescheduleApi(APIView):
    """Change a booking (issue 16): another time and/or room, other attendees or purpose, in
    one transaction (the old slot is freed only if the new one is taken). A series is changed
    from `from_date` on (its dates before stay): `start_time`/`end_time` (local), `space`,
    `until` (its new last day, earlier or later); every new date is checked, and the old dates
    are freed only if all the new ones are taken. A series' `attendees` and `purpose` are the
    whole booking's (no `from_date` needed for them alone). 409 lists the clashes as a creation does,
    or gives the status of a booking that can no longer change (cancelled, refused, lapsed); a
    booking the user may not see is a 404."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        start = LocalDateTimeField(required=False, help_text="A single booking only.")
        end = LocalDateTimeField(required=False, help_text="Exclusive; with `start`.")
        space = IdField(required=False, help_text="Another room of the platform.")
        purpose = SingleLineField(max_length=200, required=False)
        attendees = serializers.IntegerField(required=False, **bounds_of(Booking, "attendees"))
        from_date = serializers.DateField(
            required=False,
            help_text="A series only (required to change its times, room or end): the first "
            "local day changed; the dates before it stay as they are.",
        )
        start_time = serializers.TimeField(
            required=False, help_text="A series only: the new local start time from `from_date`."
        )
        end_time = serializers.TimeField(
            required=False, help_text="A series only: the new local end time (00:00: midnight)."
        )
        until = serializers.DateField(
            required=False,
            help_text="A series only: its new last day (earlier shortens, later extends it).",
        )
        answers = AnswersInputField()
        house_rules_accepted = serializers.BooleanField(
            default=False, help_text="Required true when the new room has house rules."
        )
        reason = MultiLineField(max_length=2000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "BookingRescheduleInput"

        def validate(self, attrs: dict) -> dict:
            if ("start" in attrs) != ("end" in attrs):
                raise serializers.ValidationError(
                    {"end": _("Give both the start and the end of the new slot.")}
                )
            if "start" in attrs:
                if attrs["end"] <= attrs["start"]:
                    raise serializers.ValidationError(
                        {"end": _("The end must be after the start.")}
                    )
                if attrs["end"] - attrs["start"] > timedelta(days=31):
                    raise serializers.ValidationError(
                        {"end": _("Ask for at most 31 days at a time.")}
                    )
            return attrs

    SERIES_ONLY = ("from_date", "start_time", "end_time", "until")
    SINGLE_ONLY = ("start", "end")

    @extend_schema(
        request=InputSerializer,
        responses={200: BookingOutputSerializer, 409: CONFLICT_OR_TRANSITION_REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(selectors.bookings_visible_to(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if booking.is_series:
            self._series(booking, values, request.user)
        else:
            misplaced = [name for name in self.SERIES_ONLY if name in values]
            if misplaced:
                raise serializers.ValidationError(
                    {name: _("Only a series is changed from a date.") for name in misplaced}
                )
            services.booking_reschedule(
                booking=booking,
                actor=request.user,
                change=services.BookingChange(
                    period=Period(values["start"], values["end"]) if "start" in values else None,
                    space=values.get("space"),
                    purpose=values.get("purpose"),
                    attendees=values.get("attendees"),
                    answers=values.get("answers"),
                    house_rules_accepted=values["house_rules_accepted"],
                    reason=values["reason"],
                ),
            )
        return Response(BookingOutputSerializer(_booking_queryset(request.user).get(pk=pk)).data)

    def _series(self, booking: Booking, values: dict, user: User) -> None:
        misplaced = [name for name in self.SINGLE_ONLY if name in values]
        if misplaced:
            raise serializers.ValidationError(
                {
                    name: _(
                        "A series is changed from a date: give from_date, and start_time, "
                        "end_time, space or until."
                    )
                    for name in misplaced
                }
            )
        services.booking_series_reschedule(
            booking=booking,
            actor=user,
            change=services.SeriesChange(
                from_date=values.get("from_date"),
                start_time=values.get("start_time"),
                end_time=values.get("end_time"),
                space=values.get("space"),
                until=values.get("until"),
                purpose=values.get("purpose"),
                attendees=values.get("attendees"),
                answers=values.get("answers"),
                house_rules_accepted=values["house_rules_accepted"],
                reason=values["reason"],
            ),
        )


class BookingCheckInApi(APIView):
    """Check in a date of a booking on a space that requires it. Its structure's members: the
    date whose window is open now, or the one starting at `occurrence_start`. Its impartial
    managers record the structure's arrival on the date starting at `occurrence_start`
    (required), from 30 minutes before its start to 24 hours after it; a member of the
    structure who manages the site checks in as a member. Idempotent. 404 for anyone else;
    403 for a manager who may not decide on it; 409 outside the window, after a no-show (a
    manager cancels it with `no-show/undo/`), or when the space asks for no check-in."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        occurrence_start = serializers.DateTimeField(required=False, allow_null=True)

        class Meta:
            ref_name = "BookingCheckInInput"

    @extend_schema(
        request=InputSerializer, responses={200: BookingOutputSerializer, 409: TRANSITION_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        # The structure's members, then the site's managers: anyone else gets 404 before the
        # body is read.
        booking = selectors.bookings_of_requester(request.user).filter(pk=pk).first()
        as_member = booking is not None
        if booking is None:
            booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.booking_check_in if as_member else services.booking_arrival_record
        record(
            booking=booking,
            actor=request.user,
            occurrence_start=data.validated_data.get("occurrence_start"),
        )
        return Response(BookingOutputSerializer(_booking_queryset(request.user).get(pk=pk)).data)


class BookingNoShowUndoApi(APIView):
    """Cancel the no-show mark of the date starting at `occurrence_start` (the booking's
    impartial managers): the mark is cleared, the arrival recorded as theirs, and the released
    part of the slot taken back only if it is still free (`taken_back`; else `message` says
    why, and the date keeps its shortened end). Idempotent. 404 for anyone who does not
    manage the booking's site, 403 for a manager who is a member of its structure, 400 for an
    unknown date, 409 when the space asks for no check-in or the booking is not confirmed."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        occurrence_start = serializers.DateTimeField()

        class Meta:
            ref_name = "BookingNoShowUndoInput"

    class OutputSerializer(serializers.Serializer):
        released = serializers.BooleanField(
            help_text="Whether part of the slot had been released (else it was only marked)."
        )
        taken_back = serializers.BooleanField(
            help_text="Whether the released part is the structure's again."
        )
        message = serializers.CharField()
        booking = BookingOutputSerializer()

        class Meta:
            ref_name = "BookingNoShowUndoOutput"

    @extend_schema(
        request=InputSerializer, responses={200: OutputSerializer, 409: TRANSITION_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        undone = services.booking_no_show_undo(
            booking=booking,
            actor=request.user,
            occurrence_start=data.validated_data["occurrence_start"],
        )
        output = {
            "released": undone.released,
            "taken_back": undone.taken_back,
            "message": undone.message,
            "booking": _booking_queryset(request.user).get(pk=pk),
        }
        return Response(self.OutputSerializer(output).data)


class BusyPeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    kind = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_null=True)


class SpaceOccupancyApi(APIView):
    """Busy periods of a space. Names of other organisations are hidden from the public."""

    @extend_schema(parameters=[PeriodInputSerializer], responses=BusyPeriodSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(spaces_visible_to(request.user), pk=pk)
        params = PeriodInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        periods = selectors.busy_periods(
            user=request.user,
            space=space,
            start=params.validated_data["start"],
            end=params.validated_data["end"],
            is_manager=spaces_manageable_by(request.user).filter(pk=pk).exists(),
        )
        return Response(BusyPeriodSerializer(periods, many=True).data)
