"""Calls API for those who run them: draft a call, change its terms, its lots and its criteria
grid while it is a draft, then publish, close and record the deliberation.

Writes go through `calls.services` as the management pages do: the call is looked up through
`calls_manageable_by` (the staff of the commune or body that owns it, the intercommunality;
others get 404), and the services keep the rules. Once published, a call binds its authority:
its terms, lots and criteria can no longer change (a 400 naming `criteria`, or the whole
request for the terms and lots, as the pages say it).
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import DocumentKind, User
from api.actions import ServiceActionApi
from api.calls.outputs import CallOutputSerializer, LotOutputSerializer
from api.fields import IdField, LocalDateTimeField, MultiLineField, SingleLineField
from api.pagination import PaginatedListMixin
from api.schema import TRANSITION_REFUSED
from calls import selectors, services
from calls.models import Call, CallLot, Criterion
from core.validators import bounds_of
from spaces.selectors import site_owners_for, spaces_manageable_by

MAX_TEXT = 20000
MAX_LOTS = 100
MAX_CRITERIA = 50

FORBIDDEN_TO_CREATE = OpenApiResponse(
    {"$ref": "#/components/schemas/Error"},
    description="Not signed in, the CSRF token is missing, or the user is not the staff of a "
    "public body (who drafts calls).",
)
TRANSITION_RESPONSES = {200: CallOutputSerializer, 409: TRANSITION_REFUSED}


def call_output(user: User, pk: int) -> dict:
    """The call as GET /api/v1/calls/<id>/ shows it."""
    return CallOutputSerializer(selectors.call_detail(user=user).get(pk=pk)).data


def _managed(user: User) -> QuerySet[Call]:
    return selectors.calls_manageable_by(user)


# --- Inputs ----------------------------------------------------------------------------------


class CriterionInputSerializer(serializers.Serializer):
    name = SingleLineField(max_length=Criterion._meta.get_field("name").max_length)
    weight = serializers.IntegerField(
        **bounds_of(Criterion, "weight"), help_text="Points out of the grid's total."
    )
    description = MultiLineField(allow_blank=True, default="", max_length=5000)

    class Meta:
        ref_name = "CriterionInput"


class CallInputSerializer(serializers.Serializer):
    owner = IdField(
        help_text="Id of the public body that publishes the call: one you belong to (any for "
        "the intercommunality)."
    )
    title = SingleLineField(max_length=Call._meta.get_field("title").max_length)
    presentation = MultiLineField(max_length=MAX_TEXT)
    eligibility = MultiLineField(max_length=MAX_TEXT)
    spaces = serializers.ListField(
        child=IdField(),
        max_length=MAX_LOTS,
        help_text="The lots: ids of vacant spaces you manage that are offered for long-term "
        "occupancy, in the order of the lots.",
    )
    required_documents = serializers.ListField(
        child=serializers.ChoiceField(choices=DocumentKind.choices),
        max_length=len(DocumentKind),
        default=list,
        help_text="Kinds of documents each applicant must attach.",
    )
    deadline = LocalDateTimeField(
        allow_null=True, default=None, help_text="null: applications on a rolling basis."
    )

    class Meta:
        ref_name = "CallInput"


class CallCreateInputSerializer(CallInputSerializer):
    criteria = CriterionInputSerializer(
        many=True,
        required=False,
        max_length=MAX_CRITERIA,
        help_text="The grid; absent: the default grid, to adjust before publication.",
    )

    class Meta:
        ref_name = "CallCreateInput"


def _terms(values: dict, *, user: User) -> dict:
    """The terms as `call_create` and `call_update` take them: the owner and the spaces are
    looked up through what the user may choose (another's id reads as one that does not
    exist)."""
    owner = site_owners_for(user).filter(pk=values["owner"]).first()
    if owner is None:
        raise DrfValidationError(
            {"owner": [_("You cannot publish a call on behalf of this organisation.")]}
        )
    wanted = values["spaces"]
    if len(set(wanted)) != len(wanted):
        raise DrfValidationError({"spaces": [_("Name each space once.")]})
    spaces = {s.pk: s for s in spaces_manageable_by(user).filter(pk__in=wanted)}
    if len(spaces) != len(wanted):
        raise DrfValidationError({"spaces": [_("Choose vacant spaces you manage.")]})
    return {
        "owner": owner,
        "title": values["title"],
        "presentation": values["presentation"],
        "eligibility": values["eligibility"],
        "spaces": [spaces[pk] for pk in wanted],
        "required_documents": values["required_documents"],
        "deadline": values["deadline"],
    }


def _criteria(rows: list[dict]) -> list[tuple[str, int, str]]:
    return [(row["name"], row["weight"], row["description"]) for row in rows]


# --- Calls -----------------------------------------------------------------------------------


class MayCreateCalls(BasePermission):
    """Drafting a call is for the staff of a public body, as the "New call" page is."""

    message = gettext_lazy("Only the staff of a public body may publish calls for applications.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method != "POST" or site_owners_for(request.user).exists()


class CallCreateMixin:
    """POST on /api/v1/calls/: a new draft call (mixed into `CallListApi`)."""

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated(), MayCreateCalls()]
        return super().get_permissions()

    @extend_schema(
        request=CallCreateInputSerializer,
        responses={201: CallOutputSerializer, 403: FORBIDDEN_TO_CREATE},
    )
    def post(self, request: Request) -> Response:
        data = CallCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        criteria = values.get("criteria")
        call = services.call_create(
            actor=request.user,
            criteria=_criteria(criteria) if criteria else None,
            **_terms(values, user=request.user),
        )
        return Response(call_output(request.user, call.pk), status=status.HTTP_201_CREATED)


class CallUpdateMixin:
    """PATCH on /api/v1/calls/<id>/: change the fields sent of a draft (mixed into
    `CallDetailApi`)."""

    def get_permissions(self) -> list:
        if self.request.method == "PATCH":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(request=CallInputSerializer(partial=True), responses=CallOutputSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(_managed(request.user).prefetch_related("lots"), pk=pk)
        data = CallInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {**selectors.call_terms(call), **data.validated_data}
        services.call_update(call=call, actor=request.user, **_terms(values, user=request.user))
        return Response(call_output(request.user, call.pk))


# --- Criteria --------------------------------------------------------------------------------


class CriterionOutputSerializer(serializers.ModelSerializer):
    call = serializers.IntegerField(source="call_id")

    class Meta:
        model = Criterion
        fields = ["id", "call", "position", "name", "weight", "description"]
        ref_name = "CallCriterion"


class GridInputSerializer(serializers.Serializer):
    criteria = CriterionInputSerializer(many=True, max_length=MAX_CRITERIA)

    class Meta:
        ref_name = "CriteriaGridInput"


def _criteria_of(call: Call) -> QuerySet[Criterion]:
    return Criterion.objects.filter(call=call).order_by("position", "pk")


class CallCriteriaApi(PaginatedListMixin, APIView):
    """GET: the criteria of a call, with their ids (the scores name them), for whoever may read
    the call. POST: add a criterion to a draft's grid; PUT: replace the whole grid (those who
    run the call; others get 404). Once published, the grid is frozen: 400 on `criteria`."""

    def get_permissions(self) -> list:
        if self.request.method in ("POST", "PUT"):
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=CriterionOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
        return self.paginated_response(_criteria_of(call), CriterionOutputSerializer)

    @extend_schema(request=CriterionInputSerializer, responses={201: CriterionOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(_managed(request.user), pk=pk)
        data = CriterionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = services.criterion_add(call=call, actor=request.user, **data.validated_data)
        return Response(CriterionOutputSerializer(criterion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GridInputSerializer, responses=CriterionOutputSerializer(many=True))
    def put(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(_managed(request.user), pk=pk)
        data = GridInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.criteria_set(
            call=call, criteria=_criteria(data.validated_data["criteria"]), actor=request.user
        )
        return Response(CriterionOutputSerializer(_criteria_of(call), many=True).data)


class CriterionDetailApi(APIView):
    """PATCH: change the fields sent of a draft call's criterion; DELETE: remove it (not the
    last one). Those who run the call; others get 404. Once published: 400 on `criteria`."""

    permission_classes = [IsAuthenticated]

    def _criterion(self, request: Request, pk: int) -> Criterion:
        return get_object_or_404(
            Criterion.objects.filter(call__in=_managed(request.user).values("pk")), pk=pk
        )

    @extend_schema(
        request=CriterionInputSerializer(partial=True), responses=CriterionOutputSerializer
    )
    def patch(self, request: Request, pk: int) -> Response:
        criterion = self._criterion(request, pk)
        data = CriterionInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {
            "name": criterion.name,
            "weight": criterion.weight,
            "description": criterion.description,
            **data.validated_data,
        }
        criterion = services.criterion_update(criterion=criterion, actor=request.user, **values)
        return Response(CriterionOutputSerializer(criterion).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.criterion_delete(criterion=self._criterion(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Lots ------------------------------------------------------------------------------------


class LotInputSerializer(serializers.Serializer):
    space = IdField(
        help_text="A vacant space you manage, offered for long-term occupancy (`allocatable`)."
    )

    class Meta:
        ref_name = "CallLotInput"


def _lots_of(call: Call) -> QuerySet[CallLot]:
    return (
        CallLot.objects.filter(call=call)
        .select_related("space__site__commune")
        .order_by("position", "pk")
    )


class CallLotsApi(PaginatedListMixin, APIView):
    """GET: the lots of a call, for whoever may read the call. POST: offer one more space as a
    lot of a draft (those who run the call; others get 404). Once published, the lots cannot
    change (400)."""

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=LotOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
        return self.paginated_response(_lots_of(call), LotOutputSerializer)

    @extend_schema(request=LotInputSerializer, responses={201: LotOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        call = get_object_or_404(_managed(request.user), pk=pk)
        data = LotInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        space = spaces_manageable_by(request.user).filter(pk=data.validated_data["space"]).first()
        if space is None:
            raise DrfValidationError({"space": [_("Choose vacant spaces you manage.")]})
        lot = services.lot_add(call=call, actor=request.user, space=space)
        return Response(
            LotOutputSerializer(_lots_of(call).get(pk=lot.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class LotDetailApi(APIView):
    """DELETE: withdraw a lot from a draft call (not the last one). Those who run the call;
    others get 404. Once published: 400."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(
            CallLot.objects.filter(call__in=_managed(request.user).values("pk")), pk=pk
        )
        services.lot_delete(lot=lot, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Status changes --------------------------------------------------------------------------


class CallPublishApi(ServiceActionApi):
    """Publish a draft: its criteria and weights are frozen from now on; the structures of the
    waiting list whose need a lot fits are told. 400 without a lot or a criterion, or with a
    deadline passed; 409 when the call is no longer a draft (publishing it again: 200)."""

    scope = staticmethod(_managed)
    output = staticmethod(call_output)
    responses = TRANSITION_RESPONSES

    def perform(self, call: Call, *, actor: User, values: dict) -> None:
        services.call_publish(call=call, actor=actor)


class CallCloseApi(ServiceActionApi):
    """Close a published call before its deadline; applicants and reviewers are told. 409 for
    a draft or a decided call (closing it again: 200)."""

    scope = staticmethod(_managed)
    output = staticmethod(call_output)
    responses = TRANSITION_RESPONSES

    def perform(self, call: Call, *, actor: User, values: dict) -> None:
        services.call_close(call=call, actor=actor)


class CallDecideApi(ServiceActionApi):
    """Record the deliberation of a closed call: every submitted application must have been
    accepted or refused first (400). 409 unless the call is closed (deciding it again: 200,
    the deliberation recorded first stays)."""

    scope = staticmethod(_managed)
    output = staticmethod(call_output)
    responses = TRANSITION_RESPONSES

    class InputSerializer(serializers.Serializer):
        deliberation_reference = SingleLineField(
            max_length=Call._meta.get_field("deliberation_reference").max_length,
            help_text="Number of the council decision or of the order.",
        )
        deliberation_date = serializers.DateField()

        class Meta:
            ref_name = "CallDecideInput"

    def perform(self, call: Call, *, actor: User, values: dict) -> None:
        services.call_decide(
            call=call,
            actor=actor,
            reference=values["deliberation_reference"],
            decided_on=values["deliberation_date"],
        )
