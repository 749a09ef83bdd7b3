"""Several rooms at once (issue 16): request rooms of one site together, read the group,
approve or refuse every room still pending in one call, cancel every room still booked."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.bookings import (
    BookingListCreateApi,
    BookingOutputSerializer,
    ReasonSerializer,
    booking_represented,
    booking_request_of,
)
from api.fields import IdField
from api.schema import CONFLICT, TRANSITION_REFUSED
from api.throttles import BookingCreateRateThrottle
from bookings import selectors
from bookings.models import MAX_GROUP_SPACES, BookingGroup
from bookings.selectors.groups import booking_groups_manageable_by, booking_groups_visible_to
from bookings.services.groups import (
    booking_group_approve,
    booking_group_cancel,
    booking_group_refuse,
    booking_request_several,
)


class BookingGroupOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site = serializers.IntegerField(source="site_id")
    bookings = BookingOutputSerializer(
        many=True, help_text="One booking per room, first room first."
    )


def _group_represented(group: BookingGroup, user) -> dict:
    bookings = (
        selectors.booking_detail(user=user)
        .filter(group=group)
        .prefetch_related("occupancies", "log__actor", "answers", "files")
        .order_by("pk")
    )
    return {
        "id": group.pk,
        "site": group.site_id,
        "bookings": BookingOutputSerializer(bookings, many=True).data,
    }


class BookingGroupCreateApi(APIView):
    """Request the same slot or series in several rooms of one site: all or nothing."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [*APIView.throttle_classes, BookingCreateRateThrottle]

    class InputSerializer(BookingListCreateApi.InputSerializer):
        space = None  # the rooms are `spaces`
        spaces = serializers.ListField(
            child=IdField(),
            min_length=2,
            max_length=MAX_GROUP_SPACES,
            help_text="The rooms, of one site, each once; the equipment goes with the first.",
        )

        class Meta:
            ref_name = "BookingGroupRequestInput"

    @extend_schema(
        request=InputSerializer,
        responses={201: BookingGroupOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        group = booking_request_several(
            request=booking_request_of(values, space=values["spaces"][0]),
            spaces=values["spaces"],
            requested_by=request.user,
        )
        # Answered from the rows the service wrote: nothing is read back.
        bookings = [
            booking_represented(booking, booking.written.occupancies, booking.written.log)
            for booking in group.bookings_written
        ]
        return Response(
            {"id": group.pk, "site": group.site_id, "bookings": bookings},
            status=status.HTTP_201_CREATED,
        )


class BookingGroupDetailApi(APIView):
    """A group and its bookings (404 to whoever sees none of them)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BookingGroupOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        group = get_object_or_404(booking_groups_visible_to(request.user), pk=pk)
        return Response(_group_represented(group, request.user))


class BookingGroupDecisionApi(APIView):
    """Approve or refuse every room of a group still awaiting a decision (managers of the
    site), all or none."""

    permission_classes = [IsAuthenticated]
    approve = True

    @extend_schema(
        request=ReasonSerializer,
        responses={200: BookingGroupOutputSerializer, 409: TRANSITION_REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        group = get_object_or_404(booking_groups_manageable_by(request.user), pk=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if self.approve:
            booking_group_approve(group=group, actor=request.user)
        else:
            booking_group_refuse(
                group=group, actor=request.user, reason=data.validated_data["reason"]
            )
        return Response(_group_represented(group, request.user))


class BookingGroupApproveApi(BookingGroupDecisionApi):
    approve = True


class BookingGroupRefuseApi(BookingGroupDecisionApi):
    approve = False


class BookingGroupCancelApi(APIView):
    """Cancel every room of a group still booked or awaiting a decision, with one reason, all
    or none: a manager of the site (no notice; full refunds), or a member of the structure
    (each room's cancellation notice; its refund policy). Rooms already cancelled or refused
    are left as they are. 400 when a room is past its notice (nothing is cancelled then), 403
    for one who sees the group but may not cancel every room of it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ReasonSerializer,
        responses={200: BookingGroupOutputSerializer, 409: TRANSITION_REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        group = get_object_or_404(booking_groups_visible_to(request.user), pk=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking_group_cancel(group=group, actor=request.user, reason=data.validated_data["reason"])
        return Response(_group_represented(group, request.user))
