"""Applications API: applicants' drafts (create, replace), submission, withdrawal; managers and
reviewers read the applications sent to their calls."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import OrganisationDocument, User
from api.actions import ServiceActionApi
from api.calls.outputs import ApplicationOutputSerializer, SpaceKindField
from api.fields import IdField, MultiLineField, SingleLineField
from api.pagination import PaginatedListMixin
from api.schema import TRANSITION_REFUSED
from calls import selectors, services
from calls.models import Application, Call, CallLot
from core.validators import bounds_of


def _applications(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("structure", "call").prefetch_related("preferences", "documents")


def application_output(user, pk: int) -> dict:
    application = _applications(selectors.applications_visible_to(user)).get(pk=pk)
    return ApplicationOutputSerializer(application).data


class ApplicationContentSerializer(serializers.Serializer):
    """What an applicant fills in a draft."""

    project = MultiLineField(allow_blank=True, default="", max_length=20000)
    needed_surface_m2 = serializers.IntegerField(
        allow_null=True, default=None, **bounds_of(Application, "needed_surface_m2")
    )
    needed_kind = SpaceKindField(default="")
    wanted_start = serializers.DateField(allow_null=True, default=None)
    duration_months = serializers.IntegerField(
        allow_null=True, default=None, **bounds_of(Application, "duration_months")
    )
    lots = serializers.ListField(
        child=IdField(),
        default=list,
        max_length=100,
        help_text="Lot ids, first choice first.",
    )
    documents = serializers.ListField(
        child=IdField(),
        max_length=100,
        default=list,
        help_text="Ids of the structure's documents to attach.",
    )
    republican_commitment_signatory = SingleLineField(
        allow_blank=True,
        default="",
        max_length=200,
        help_text="Associations and foundations: who subscribes to the republican commitment "
        "contract. Empty: not subscribed.",
    )


def _content(values: dict, *, call: Call, structure_id: int) -> dict:
    """Turn ids into the call's lots and the structure's documents (400 on any other id)."""
    lots = {lot.pk: lot for lot in CallLot.objects.filter(call=call, pk__in=values["lots"])}
    if any(pk not in lots for pk in values["lots"]):
        raise DrfValidationError({"lots": [_("Choose lots of this call.")]})
    documents = list(
        OrganisationDocument.objects.filter(organisation=structure_id, pk__in=values["documents"])
    )
    if len(documents) != len(set(values["documents"])):
        raise DrfValidationError({"documents": [_("Choose documents of your structure.")]})
    return {
        "project": values["project"],
        "needed_surface_m2": values["needed_surface_m2"],
        "needed_kind": values["needed_kind"],
        "wanted_start": values["wanted_start"],
        "duration_months": values["duration_months"],
        "lots_ranked": [lots[pk] for pk in values["lots"]],
        "documents": documents,
        "republican_commitment_signatory": values["republican_commitment_signatory"],
    }


class ApplicationListCreateApi(PaginatedListMixin, APIView):
    """Applicants: their own applications, and a new draft. Managers and reviewers: the
    applications sent to their calls."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(ApplicationContentSerializer):
        call = IdField()
        structure = IdField(help_text="One of your ESS structures.")

        class Meta:
            ref_name = "ApplicationCreateInput"

    class FilterSerializer(serializers.Serializer):
        call = IdField(required=False, help_text="Only this call's applications.")

        class Meta:
            ref_name = "ApplicationFilter"

    @extend_schema(parameters=[FilterSerializer], responses=ApplicationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        applications = _applications(selectors.applications_visible_to(request.user)).order_by(
            "-created_at", "-pk"
        )
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if "call" in params.validated_data:
            applications = applications.filter(call=params.validated_data["call"])
        return self.paginated_response(applications, ApplicationOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: ApplicationOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        call = selectors.calls_visible_to(request.user).filter(pk=values["call"]).first()
        if call is None:
            raise DrfValidationError({"call": [_("This call does not exist.")]})
        structure = (
            selectors.structures_able_to_apply(request.user).filter(pk=values["structure"]).first()
        )
        if structure is None:
            raise DrfValidationError(
                {"structure": [_("Choose one of your social and solidarity economy structures.")]}
            )
        application = services.application_create(
            call=call,
            structure=structure,
            actor=request.user,
            **_content(values, call=call, structure_id=structure.pk),
        )
        return Response(
            application_output(request.user, application.pk), status=status.HTTP_201_CREATED
        )


class ApplicationDetailApi(APIView):
    """Read an application; its applicant may replace the content of a draft (PUT)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(ApplicationContentSerializer):
        class Meta:
            ref_name = "ApplicationUpdateInput"

    @extend_schema(responses=ApplicationOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        application = get_object_or_404(
            _applications(selectors.applications_visible_to(request.user)), pk=pk
        )
        return Response(ApplicationOutputSerializer(application).data)

    @extend_schema(
        request=InputSerializer,
        responses=ApplicationOutputSerializer,
    )
    def put(self, request: Request, pk: int) -> Response:
        application = get_object_or_404(
            selectors.applications_of_applicant(request.user).select_related("call"), pk=pk
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.application_update(
            application=application,
            actor=request.user,
            **_content(
                data.validated_data, call=application.call, structure_id=application.structure_id
            ),
        )
        return Response(application_output(request.user, pk))


TRANSITION_RESPONSES = {200: ApplicationOutputSerializer, 409: TRANSITION_REFUSED}


class ApplicationSubmitApi(ServiceActionApi):
    """Submit a draft; a 400 lists what is missing."""

    scope = staticmethod(selectors.applications_of_applicant)
    output = staticmethod(application_output)
    responses = TRANSITION_RESPONSES

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        services.application_submit(application=application, actor=actor)


class ReasonInputSerializer(serializers.Serializer):
    reason = MultiLineField(allow_blank=True, default="", max_length=5000)

    class Meta:
        ref_name = "ApplicationReasonInput"


class ApplicationWithdrawApi(ServiceActionApi):
    scope = staticmethod(selectors.applications_of_applicant)
    output = staticmethod(application_output)
    responses = TRANSITION_RESPONSES
    InputSerializer = ReasonInputSerializer

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        services.application_withdraw(application=application, actor=actor, reason=values["reason"])
