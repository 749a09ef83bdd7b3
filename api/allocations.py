"""Occupancy agreements API: structures read theirs and answer (accept, decline); managers
read those on their spaces and write (direct creation, signature, end).

Dates are calendar days; `end` is exclusive (the day after the last day), as in the model.
Amounts are integer cents. Errors: 400 names the field, 409 for a refused status change or a
clash (signing over bookings lists them unless `cancel_bookings` with a `reason`).
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from api.actions import ServiceActionApi
from api.fields import IdField, MultiLineField, SingleLineField
from api.pagination import PaginatedListMixin
from api.schema import CONFLICT, CONFLICT_OR_TRANSITION_REFUSED, TRANSITION_REFUSED
from bookings import allocations as services
from bookings import selectors
from bookings.models import (
    Allocation,
    AllocationLog,
    FreeUseBasis,
    LegalRegime,
)
from core.validators import bounds_of


class AllocationPartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    siren = serializers.CharField()
    siret = serializers.CharField()
    rna = serializers.CharField()


class AllocationSpaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    site = serializers.IntegerField(source="site_id")
    site_name = serializers.CharField(source="site.name")
    surface_m2 = serializers.DecimalField(max_digits=8, decimal_places=2)
    reference_rent = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)


class AllocationLogSerializer(serializers.ModelSerializer):
    # Plain strings: as enums they would share their name with the bookings' log statuses.
    from_status = serializers.CharField(help_text="Status before the change (empty at creation).")
    to_status = serializers.CharField(help_text="Status after the change.")
    actor = serializers.CharField(source="actor.email", allow_null=True, default=None)

    class Meta:
        model = AllocationLog
        fields = ["from_status", "to_status", "actor", "reason", "created_at"]


class AllocationOutputSerializer(serializers.ModelSerializer):
    structure = AllocationPartySerializer()
    owner = AllocationPartySerializer()
    spaces = AllocationSpaceSerializer(many=True)
    renews = serializers.IntegerField(source="renews_id", allow_null=True)
    annual_value_cents = serializers.SerializerMethodField(
        help_text="Annual valuation of the in-kind aid (art. 9-1 loi 2000-321): a full year of "
        "the spaces' reference rental value minus the annual fee, never negative."
    )
    log = AllocationLogSerializer(many=True)
    url = serializers.CharField(source="get_absolute_url")
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = [
            "id",
            "status",
            "structure",
            "owner",
            "spaces",
            "start",
            "end",
            "terminated_on",
            "legal_regime",
            "annual_fee_cents",
            "free_use_basis",
            "free_use_reference",
            "deposit_cents",
            "insurance_valid_until",
            "house_rules_accepted_at",
            "direct_reason",
            "renews",
            "annual_value_cents",
            "created_at",
            "log",
            "url",
            "pdf_url",
        ]

    def get_annual_value_cents(self, allocation: Allocation) -> int:
        return services.allocation_annual_value_cents(allocation=allocation)

    def get_pdf_url(self, allocation: Allocation) -> str:
        return reverse("bookings:allocation-pdf", args=[allocation.pk])


def _output(user, pk: int) -> dict:
    return AllocationOutputSerializer(selectors.allocation_detail(user=user).get(pk=pk)).data


class AllocationListCreateApi(PaginatedListMixin, APIView):
    """GET: the agreements the user sees. POST: offer one directly, without a call (managers)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        spaces = serializers.ListField(child=IdField(), min_length=1, max_length=100)
        structure = IdField()
        start = serializers.DateField()
        end = serializers.DateField(
            help_text="Exclusive: the day after the last day; after `start`."
        )
        legal_regime = serializers.ChoiceField(
            choices=LegalRegime.choices,
            required=False,
            help_text="Defaults to the domain of the building (public → AOT).",
        )
        annual_fee_cents = serializers.IntegerField(
            default=0, **bounds_of(Allocation, "annual_fee_cents")
        )
        free_use_basis = serializers.ChoiceField(
            choices=FreeUseBasis.choices, required=False, default=""
        )
        free_use_reference = SingleLineField(
            max_length=200, required=False, allow_blank=True, default=""
        )
        deposit_cents = serializers.IntegerField(
            default=0, **bounds_of(Allocation, "deposit_cents")
        )
        direct_reason = MultiLineField(
            help_text="Why the law allows an agreement without a call (CG3P L2122-1-2, -1-3)."
        )

        class Meta:
            ref_name = "AllocationCreateInput"

    @extend_schema(responses=AllocationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        allocations = selectors.allocation_detail(user=request.user).order_by("-start", "-pk")
        return self.paginated_response(allocations, AllocationOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: AllocationOutputSerializer, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        wanted = set(values["spaces"])
        spaces = list(selectors.spaces_allocatable_by(request.user).filter(pk__in=wanted))
        if len(spaces) != len(wanted):
            raise DrfValidationError(
                {"spaces": [_("Choose spaces you manage that are offered long-term.")]}
            )
        structure = (
            selectors.structures_eligible_for_allocation().filter(pk=values["structure"]).first()
        )
        if structure is None:
            raise DrfValidationError(
                {"structure": [_("Choose an ESS structure verified by the intercommunality.")]}
            )
        allocation = services.allocation_offer(
            actor=request.user,
            structure=structure,
            spaces=spaces,
            start=values["start"],
            end=values["end"],
            legal_regime=values.get("legal_regime"),
            annual_fee_cents=values["annual_fee_cents"],
            free_use_basis=values["free_use_basis"],
            free_use_reference=values["free_use_reference"],
            deposit_cents=values["deposit_cents"],
            direct_reason=values["direct_reason"],
        )
        return Response(_output(request.user, allocation.pk), status=status.HTTP_201_CREATED)


class AllocationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AllocationOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        allocation = get_object_or_404(selectors.allocation_detail(user=request.user), pk=pk)
        return Response(AllocationOutputSerializer(allocation).data)


class AllocationAcceptApi(ServiceActionApi):
    """The structure accepts the offer and the house rules, and gives its insurance's validity."""

    scope = staticmethod(selectors.allocations_answerable_by)
    output = staticmethod(_output)
    responses = {200: AllocationOutputSerializer, 409: TRANSITION_REFUSED}

    class InputSerializer(serializers.Serializer):
        house_rules_accepted = serializers.BooleanField()
        insurance_valid_until = serializers.DateField()

        class Meta:
            ref_name = "AllocationAcceptInput"

    def perform(self, allocation: Allocation, *, actor: User, values: dict) -> None:
        services.allocation_accept(allocation=allocation, actor=actor, **values)


class AllocationReasonSerializer(serializers.Serializer):
    reason = MultiLineField(max_length=2000)

    class Meta:
        ref_name = "AllocationReasonInput"


class AllocationDeclineApi(ServiceActionApi):
    """The structure declines the offer (reason required)."""

    scope = staticmethod(selectors.allocations_answerable_by)
    output = staticmethod(_output)
    responses = {200: AllocationOutputSerializer, 409: TRANSITION_REFUSED}
    InputSerializer = AllocationReasonSerializer

    def perform(self, allocation: Allocation, *, actor: User, values: dict) -> None:
        services.allocation_decline(allocation=allocation, actor=actor, reason=values["reason"])


class AllocationSignApi(ServiceActionApi):
    """Record the signature (managers): the spaces are reserved for the whole period.

    Bookings in the period give a 409 listing them, unless `cancel_bookings` is true, which
    cancels them with `reason` (e-mailed to their organisations).
    """

    scope = staticmethod(selectors.allocations_manageable_by)
    output = staticmethod(_output)
    responses = {200: AllocationOutputSerializer, 409: CONFLICT_OR_TRANSITION_REFUSED}

    class InputSerializer(serializers.Serializer):
        cancel_bookings = serializers.BooleanField(default=False)
        reason = MultiLineField(max_length=2000, required=False, allow_blank=True)

        class Meta:
            ref_name = "AllocationSignInput"

    def perform(self, allocation: Allocation, *, actor: User, values: dict) -> None:
        services.allocation_sign(
            allocation=allocation,
            actor=actor,
            cancel_bookings=values["cancel_bookings"],
            reason=values.get("reason", ""),
        )


class AllocationEndApi(ServiceActionApi):
    """End an agreement early (managers): the spaces are free from `on` (default: its end)."""

    scope = staticmethod(selectors.allocations_manageable_by)
    output = staticmethod(_output)
    responses = {200: AllocationOutputSerializer, 409: TRANSITION_REFUSED}

    class InputSerializer(AllocationReasonSerializer):
        on = serializers.DateField(required=False, allow_null=True)

        class Meta:
            ref_name = "AllocationEndInput"

    def perform(self, allocation: Allocation, *, actor: User, values: dict) -> None:
        services.allocation_end(
            allocation=allocation, actor=actor, reason=values["reason"], on=values.get("on")
        )
