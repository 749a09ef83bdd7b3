"""Calls API: calls, applications (create, update, submit, withdraw), reviews (declaration,
scores), decisions (accept, refuse) and the ranking.

Reads go through the permission querysets of calls.selectors, so what a user may not see is a
404; the services' ValidationError is a 400 naming the field; a refused status change is a 409.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import OrganisationDocument, User
from api.actions import ServiceActionApi
from api.fields import IdField, MultiLineField, SingleLineField
from api.pagination import PaginatedListMixin
from api.schema import TRANSITION_REFUSED
from calls import selectors, services
from calls.models import Application, ApplicationStatus, Call, CallLot, CallStatus, Criterion, Score
from core.validators import bounds_of
from spaces.models import SpaceKind

# Statuses and kinds are documented as strings listing their values, not as enum components:
# those would share the names "StatusEnum" and "KindEnum" with the other apps' choice sets, which
# drf-spectacular reports as a warning unless the settings rename every set.


def _one_of(values: list[str]) -> str:
    return "One of: " + ", ".join(f"`{value}`" for value in values) + "."


@extend_schema_field({"type": "string", "description": _one_of(CallStatus.values)})
class CallStatusField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "description": _one_of(ApplicationStatus.values)})
class ApplicationStatusField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "description": _one_of(["", *SpaceKind.values])})
class SpaceKindField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=SpaceKind.choices, allow_blank=True, **kwargs)


# --- Outputs ---------------------------------------------------------------------------------


class CriterionOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    weight = serializers.IntegerField()
    description = serializers.CharField()


class LotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    space = serializers.IntegerField(source="space_id")
    space_name = serializers.CharField(source="space.name")
    site = serializers.CharField(source="space.site.name")
    commune = serializers.CharField(source="space.site.commune.name")
    surface_m2 = serializers.DecimalField(source="space.surface_m2", max_digits=8, decimal_places=2)


class CallOutputSerializer(serializers.ModelSerializer):
    status = CallStatusField()
    owner = serializers.CharField(source="owner.name")
    owner_id = serializers.IntegerField()
    required_documents = serializers.ListField(child=serializers.CharField())
    lots = LotOutputSerializer(many=True)
    criteria = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Call
        fields = [
            "id",
            "title",
            "owner",
            "owner_id",
            "status",
            "presentation",
            "eligibility",
            "required_documents",
            "deadline",
            "published_at",
            "deliberation_reference",
            "deliberation_date",
            "lots",
            "criteria",
            "url",
        ]

    @extend_schema_field(CriterionOutputSerializer(many=True))
    def get_criteria(self, call: Call) -> list[dict]:
        """The binding grid: the snapshot taken at publication, the draft's grid before."""
        if call.status != CallStatus.DRAFT:
            return call.published_criteria
        return CriterionOutputSerializer(call.criteria.all(), many=True).data


class ApplicationOutputSerializer(serializers.ModelSerializer):
    status = ApplicationStatusField()
    needed_kind = SpaceKindField()
    call = serializers.IntegerField(source="call_id")
    structure = serializers.IntegerField(source="structure_id")
    structure_name = serializers.CharField(source="structure.name")
    lots = serializers.SerializerMethodField(help_text="Lot ids, first choice first.")
    documents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    allocated_lot = serializers.IntegerField(source="allocated_lot_id", allow_null=True)
    allocation = serializers.IntegerField(source="allocation_id", allow_null=True)
    missing_items = serializers.SerializerMethodField(
        help_text="What must be done before a draft can be submitted."
    )
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "structure",
            "structure_name",
            "status",
            "project",
            "needed_surface_m2",
            "needed_kind",
            "wanted_start",
            "duration_months",
            "lots",
            "documents",
            "republican_commitment_at",
            "republican_commitment_signatory",
            "submitted_at",
            "decision_reason",
            "allocated_lot",
            "allocation",
            "missing_items",
            "created_at",
            "url",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_lots(self, application: Application) -> list[int]:
        return [preference.lot_id for preference in application.preferences.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_items(self, application: Application) -> list[str]:
        if application.status != ApplicationStatus.DRAFT:
            return []
        return selectors.application_missing_items(application)


class ScoreOutputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id")
    mark = serializers.IntegerField()
    comment = serializers.CharField()


class RankingRowSerializer(serializers.Serializer):
    application = serializers.IntegerField(source="application.pk")
    structure = serializers.CharField(source="application.structure.name")
    status = ApplicationStatusField(source="application.status")
    total = serializers.SerializerMethodField(help_text="Weighted points, rounded to 0.01.")
    rank = serializers.IntegerField(allow_null=True)
    tied = serializers.BooleanField()
    preference = serializers.IntegerField(help_text="The applicant's rank for this lot.")

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_total(self, row: dict) -> float | None:
        return None if row["total"] is None else round(float(row["total"]), 2)


class RankingLotSerializer(serializers.Serializer):
    lot = LotOutputSerializer()
    rows = RankingRowSerializer(many=True)


# --- Helpers ---------------------------------------------------------------------------------


def _calls(user) -> QuerySet[Call]:
    return selectors.call_detail(user=user).order_by("-published_at", "-created_at", "-pk")


def _applications(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("structure", "call").prefetch_related("preferences", "documents")


def _application_output(user, pk: int) -> dict:
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


# --- Calls -----------------------------------------------------------------------------------


class CallListApi(PaginatedListMixin, APIView):
    """Calls the user may read: published, closed and decided ones; drafts for their managers."""

    @extend_schema(responses=CallOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated_response(_calls(request.user), CallOutputSerializer)


class CallDetailApi(APIView):
    @extend_schema(responses=CallOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(_calls(request.user), pk=pk)
        return Response(CallOutputSerializer(call).data)


class CallRankingApi(APIView):
    """Per lot, the applications that asked for it by weighted total (the call's managers)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RankingLotSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(selectors.calls_manageable_by(request.user), pk=pk)
        return Response(RankingLotSerializer(selectors.call_ranking(call), many=True).data)


class CallDeclarationApi(APIView):
    """A reviewer declares whether they have a conflict of interest (then they are excluded)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        conflict_of_interest = serializers.BooleanField()
        note = MultiLineField(
            allow_blank=True, default="", max_length=2000, help_text="Required with a conflict."
        )

        class Meta:
            ref_name = "ReviewerDeclarationInput"

    class OutputSerializer(serializers.Serializer):
        call = serializers.IntegerField(source="call_id")
        conflict_of_interest = serializers.BooleanField(allow_null=True)
        conflict_note = serializers.CharField()
        declared_at = serializers.DateTimeField(allow_null=True)
        may_score = serializers.BooleanField()

        class Meta:
            ref_name = "ReviewerDeclaration"

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(selectors.calls_reviewable_by(request.user), pk=pk)
        assignment = selectors.reviewer_assignment_get(call=call, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reviewer_declare(
            assignment=assignment,
            conflict_of_interest=data.validated_data["conflict_of_interest"],
            note=data.validated_data["note"],
        )
        assignment.refresh_from_db()
        return Response(self.OutputSerializer(assignment).data)


# --- Applications ----------------------------------------------------------------------------


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
            _application_output(request.user, application.pk), status=status.HTTP_201_CREATED
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
            **_content(
                data.validated_data, call=application.call, structure_id=application.structure_id
            ),
        )
        return Response(_application_output(request.user, pk))


_TRANSITION_RESPONSES = {200: ApplicationOutputSerializer, 409: TRANSITION_REFUSED}


class ApplicationSubmitApi(ServiceActionApi):
    """Submit a draft; a 400 lists what is missing."""

    scope = staticmethod(selectors.applications_of_applicant)
    output = staticmethod(_application_output)
    responses = _TRANSITION_RESPONSES

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        services.application_submit(application=application, actor=actor)


class ReasonInputSerializer(serializers.Serializer):
    reason = MultiLineField(allow_blank=True, default="", max_length=5000)

    class Meta:
        ref_name = "ApplicationReasonInput"


class ApplicationWithdrawApi(ServiceActionApi):
    scope = staticmethod(selectors.applications_of_applicant)
    output = staticmethod(_application_output)
    responses = _TRANSITION_RESPONSES
    InputSerializer = ReasonInputSerializer

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        services.application_withdraw(application=application, actor=actor, reason=values["reason"])


class ApplicationAcceptApi(ServiceActionApi):
    """The call's manager accepts a submitted application for a lot; the applicant is e-mailed."""

    scope = staticmethod(selectors.applications_decidable_by)
    output = staticmethod(_application_output)
    responses = _TRANSITION_RESPONSES

    class InputSerializer(serializers.Serializer):
        lot = IdField()

        class Meta:
            ref_name = "ApplicationAcceptInput"

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        lot = CallLot.objects.filter(call=application.call_id, pk=values["lot"]).first()
        if lot is None:
            raise DrfValidationError({"lot": [_("Choose a lot of this call.")]})
        services.application_accept(application=application, actor=actor, lot=lot)


class ApplicationRefuseApi(ServiceActionApi):
    """The call's manager refuses with reasons (required: they are e-mailed to the applicant)."""

    scope = staticmethod(selectors.applications_decidable_by)
    output = staticmethod(_application_output)
    responses = _TRANSITION_RESPONSES
    InputSerializer = ReasonInputSerializer

    def perform(self, application: Application, *, actor: User, values: dict) -> None:
        services.application_refuse(application=application, actor=actor, reason=values["reason"])


class ApplicationScoresApi(APIView):
    """A reviewer who declared no conflict of interest marks criteria (0–10) with comments."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class MarkSerializer(serializers.Serializer):
            criterion = IdField()
            mark = serializers.IntegerField(**bounds_of(Score, "mark"))
            comment = MultiLineField(allow_blank=True, default="", max_length=5000)

            class Meta:
                ref_name = "ScoreMarkInput"

        scores = MarkSerializer(many=True, allow_empty=False)

        class Meta:
            ref_name = "ScoresInput"

    @extend_schema(
        request=InputSerializer,
        responses=ScoreOutputSerializer(many=True),
    )
    def post(self, request: Request, pk: int) -> Response:
        application = get_object_or_404(selectors.applications_reviewable_by(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        criteria = {c.pk: c for c in Criterion.objects.filter(call=application.call_id)}
        rows = data.validated_data["scores"]
        if any(row["criterion"] not in criteria for row in rows):
            raise DrfValidationError({"scores": [_("Score the criteria of this call.")]})
        services.scores_record(
            application=application,
            reviewer=request.user,
            marks=[(criteria[row["criterion"]], row["mark"], row["comment"]) for row in rows],
        )
        given = selectors.scores_given(application=application, reviewer=request.user)
        return Response(ScoreOutputSerializer(list(given.values()), many=True).data)
