"""Waiting for a slot through the API (issue 16): the waits one sees (a structure's own; the
lines of the spaces one manages), join the line for a one-off slot that is taken, accept the
slot offered, withdraw. Through `bookings.services` (slot_wait_join, slot_wait_accept,
slot_wait_withdraw) and `bookings.selectors` (slot_waits_visible_to, slot_waits_of_member).
A wait of another structure is a 404.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.bookings import PeriodInputSerializer
from api.conditions import AnswersInputField
from api.fields import IdField, SingleLineField
from api.pagination import PaginatedListMixin
from api.schema import CONFLICT
from bookings import selectors, services
from bookings.models import SlotWait, SlotWaitStatus
from bookings.rules import Period
from core.validators import bounds_of


class SlotWaitOutputSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    space_name = serializers.CharField(source="space.name", read_only=True)
    position = serializers.IntegerField(
        read_only=True,
        help_text="Place in the line for this slot (1: first); meaningful while active.",
    )
    status = serializers.ChoiceField(choices=SlotWaitStatus.choices, read_only=True)

    class Meta:
        model = SlotWait
        fields = [
            "id",
            "space",
            "space_name",
            "organisation",
            "organisation_name",
            "start",
            "end",
            "purpose",
            "attendees",
            "status",
            "offered_until",
            "position",
            "booking",
            "created_at",
        ]
        read_only_fields = fields


def _listed(user, pk: int | None = None) -> SlotWait:
    waits = selectors.slot_waits_listed(selectors.slot_waits_visible_to(user))
    return get_object_or_404(waits, pk=pk)


class SlotWaitListCreateApi(PaginatedListMixin, APIView):
    """GET: the waits of your structures and, for the people who manage spaces, the lines of
    those spaces (soonest slot first). POST: wait for a one-off slot that is taken (201)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(PeriodInputSerializer):
        space = IdField()
        organisation = IdField(help_text="One of your verified structures.")
        purpose = SingleLineField(max_length=200)
        attendees = serializers.IntegerField(**bounds_of(SlotWait, "attendees"))

        class Meta:
            ref_name = "SlotWaitInput"

    @extend_schema(responses=SlotWaitOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated_response(
            selectors.slot_waits_listed(selectors.slot_waits_visible_to(request.user)),
            SlotWaitOutputSerializer,
        )

    @extend_schema(request=InputSerializer, responses={201: SlotWaitOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        wait = services.slot_wait_join(
            space=values["space"],
            organisation=values["organisation"],
            period=Period(values["start"], values["end"]),
            purpose=values["purpose"],
            attendees=values["attendees"],
            requested_by=request.user,
        )
        return Response(
            SlotWaitOutputSerializer(_listed(request.user, wait.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class SlotWaitDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SlotWaitOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SlotWaitOutputSerializer(_listed(request.user, pk)).data)


class SlotWaitAcceptApi(APIView):
    """Accept the slot offered to your structure: the request is made with the wait's slot,
    purpose and attendees, under the space's usual rules (201, the wait with its booking). 409
    if the slot was taken meanwhile: the wait is back in line."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        answers = AnswersInputField()
        house_rules_accepted = serializers.BooleanField(
            default=False, help_text="Required true when the space has house rules."
        )

        class Meta:
            ref_name = "SlotWaitAcceptInput"

    @extend_schema(
        request=InputSerializer, responses={201: SlotWaitOutputSerializer, 409: CONFLICT}
    )
    def post(self, request: Request, pk: int) -> Response:
        wait = get_object_or_404(selectors.slot_waits_of_member(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.slot_wait_accept(
            wait=wait,
            actor=request.user,
            answers=data.validated_data.get("answers"),
            house_rules_accepted=data.validated_data["house_rules_accepted"],
        )
        return Response(
            SlotWaitOutputSerializer(_listed(request.user, pk)).data,
            status=status.HTTP_201_CREATED,
        )


class SlotWaitWithdrawApi(APIView):
    """Stop waiting (a slot on offer goes to the next in line)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=SlotWaitOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        wait = get_object_or_404(selectors.slot_waits_of_member(request.user), pk=pk)
        services.slot_wait_withdraw(wait=wait, actor=request.user)
        return Response(SlotWaitOutputSerializer(_listed(request.user, pk)).data)
