"""Shared times of an agreement's rooms (issue 17): the occupant's members propose them, the
owner's side consents, either withdraws (bookings/allocations/sharing.py decides and checks who
acts). Times are local wall-clock times (Europe/Paris), days are calendar days, both inclusive.
Errors: 404 for an agreement or a window the user does not see, 403 for the wrong side, 400
naming the field, 409 for a refused status change."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from api.actions import ServiceActionApi
from api.fields import IdField, MultiLineField
from api.schema import TRANSITION_REFUSED
from bookings import allocations as services
from bookings import selectors
from bookings.models import SharingWindow, SharingWindowStatus
from bookings.selectors.sharing import sharing_windows_visible_to
from spaces.models import Weekday


class SharingWindowOutputSerializer(serializers.ModelSerializer):
    allocation = serializers.IntegerField(source="allocation_id")
    space = serializers.IntegerField(source="space_id")
    space_name = serializers.CharField(source="space.name")
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0 = Monday … 6 = Sunday.")
    status = serializers.ChoiceField(choices=SharingWindowStatus.choices)
    owner_share_percent = serializers.IntegerField()
    consented_by = serializers.CharField(source="consented_by.email", allow_null=True, default=None)
    withdrawn_by = serializers.CharField(source="withdrawn_by.email", allow_null=True, default=None)

    class Meta:
        model = SharingWindow
        fields = [
            "id",
            "allocation",
            "space",
            "space_name",
            "weekday",
            "start_time",
            "end_time",
            "valid_from",
            "valid_until",
            "occupant_share_percent",
            "owner_share_percent",
            "status",
            "proposed_at",
            "consented_by",
            "consented_at",
            "withdrawn_by",
            "withdrawn_at",
            "withdrawal_reason",
        ]


def _windows(user: User):
    return sharing_windows_visible_to(user).select_related("space", "consented_by", "withdrawn_by")


def _output(user: User, pk: int) -> dict:
    return SharingWindowOutputSerializer(_windows(user).get(pk=pk)).data


class SharingWindowListCreateApi(APIView):
    """GET: the shared times of an agreement the user sees. POST: propose one (a member of the
    occupant); nothing opens before the owner consents."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        space = IdField(help_text="One of the agreement's rooms, open to hourly bookings.")
        weekday = serializers.ChoiceField(choices=Weekday.choices)
        start_time = serializers.TimeField(help_text="On the quarter hour.")
        end_time = serializers.TimeField(help_text="After the start, the same day.")
        valid_from = serializers.DateField(help_text="Not in the past, within the agreement.")
        valid_until = serializers.DateField(help_text="Inclusive, within the agreement.")
        occupant_share_percent = serializers.IntegerField(
            min_value=0,
            max_value=100,
            help_text="The occupant's share of the fees and of the in-kind aid valuation of the "
            "bookings made in this time; the owner keeps the rest and collects the fees.",
        )

        class Meta:
            ref_name = "SharingWindowInput"

    @extend_schema(responses=SharingWindowOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        allocation = get_object_or_404(selectors.allocations_visible_to(request.user), pk=pk)
        windows = _windows(request.user).filter(allocation=allocation).order_by("pk")
        return Response(SharingWindowOutputSerializer(windows, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: SharingWindowOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        allocation = get_object_or_404(selectors.allocations_visible_to(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        window = services.sharing_window_propose(
            allocation=allocation, actor=request.user, **data.validated_data
        )
        return Response(_output(request.user, window.pk), status=status.HTTP_201_CREATED)


class SharingWindowConsentApi(ServiceActionApi):
    """Consent to a proposed shared time (someone who may commit the owner): other structures
    may then book the room in it."""

    scope = staticmethod(sharing_windows_visible_to)
    output = staticmethod(_output)
    responses = {200: SharingWindowOutputSerializer, 409: TRANSITION_REFUSED}

    def perform(self, window: SharingWindow, *, actor: User, values: dict) -> None:
        services.sharing_window_consent(window=window, actor=actor)


class SharingWindowWithdrawApi(ServiceActionApi):
    """Withdraw a shared time (the occupant or the owner's side), with a reason; refused while
    bookings of other structures in it are still to come."""

    scope = staticmethod(sharing_windows_visible_to)
    output = staticmethod(_output)
    responses = {200: SharingWindowOutputSerializer, 409: TRANSITION_REFUSED}

    class InputSerializer(serializers.Serializer):
        reason = MultiLineField()

        class Meta:
            ref_name = "SharingWindowWithdrawInput"

    def perform(self, window: SharingWindow, *, actor: User, values: dict) -> None:
        services.sharing_window_withdraw(window=window, actor=actor, reason=values["reason"])
