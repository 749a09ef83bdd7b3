"""The season's API (issue 17): campaigns, the structures' wishes and the optimised plan.

Reads go through the permission querysets of `seasons.selectors`: what a user may not see is a
404 (a draft campaign of another commune, another structure's wish). Writes go through
`seasons.services`, which check the actor: on a campaign one sees but does not run (an opened
campaign is public), opening, closing or planning is a 403; a wish of one's structure is
withdrawn by its members only (the campaign's managers see it: 403). A service's
ValidationError is a 400 naming the field (`options.2` for a wish's second choice); a refused
status change is a 409.

Ids in a body are looked up through what the user may choose: a space outside the campaign, a
structure that is not one's own, another commune's space read as ids that do not exist (400).
"""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import EssFamily, Organisation, OrganisationKind, User
from accounts.selectors import organisations_of, structures_allowed_to_request_for
from api.actions import ServiceActionApi
from api.calls.outputs import SpaceKindField
from api.fields import (
    IdField,
    LocalDateTimeField,
    LocalTimeField,
    MultiLineField,
    SingleLineField,
)
from api.pagination import PaginatedListMixin
from api.schema import TRANSITION_REFUSED, TransitionRefusedSerializer
from api.throttles import SeasonPlanRateThrottle
from core.validators import bounds_of
from seasons import selectors, services
from seasons.exceptions import PlanClashes
from seasons.models import (
    MAX_ALTERNATIVES,
    MAX_HOURS_PER_WEEK,
    MAX_RULE_WEIGHT,
    ActivityKind,
    Campaign,
    CampaignSpace,
    CampaignStatus,
    PlanAssignment,
    PlanRun,
    SeasonPeriod,
    Wish,
    WishOption,
    WishStatus,
)
from spaces.models import Amenity, Weekday
from spaces.selectors import site_owners_for, spaces_manageable_by

# Together under Django's 1,000 fields of a form-encoded body (DATA_UPLOAD_MAX_NUMBER_FIELDS):
# past it, the CSRF check's reading of the form is a 400 page in HTML, not the API's JSON.
MAX_CAMPAIGN_SPACES = 400
MAX_LOCAL_STRUCTURES = 500
MAX_AMENITIES = 50

# --- Outputs ---------------------------------------------------------------------------------


class CampaignSpaceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="space_id", help_text="The space's id.")
    name = serializers.CharField(source="space.name")
    kind = serializers.CharField(source="space.kind")
    capacity = serializers.IntegerField(source="space.capacity")
    site = serializers.IntegerField(source="space.site_id")
    closed_in_school_holidays = serializers.BooleanField(
        help_text="Weekly slots stop during zone B's school holidays."
    )

    class Meta:
        ref_name = "SeasonCampaignSpace"


class CampaignOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    owner = serializers.IntegerField(source="owner_id")
    owner_name = serializers.CharField(source="owner.name")
    title = serializers.CharField()
    school_year = serializers.IntegerField(help_text="2027 for the school year 2027–2028.")
    opens_on = serializers.DateField()
    deadline = serializers.DateTimeField(help_text="Wishes are accepted until then.")
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    hours_per_week = serializers.IntegerField(
        allow_null=True, help_text="Hours per week per structure at most; null: no cap."
    )
    local_first = serializers.BooleanField()
    local_structures = serializers.SerializerMethodField()
    favoured_families = serializers.DictField(child=serializers.IntegerField())
    favoured_activities = serializers.DictField(child=serializers.IntegerField())
    holders_keep = serializers.BooleanField()
    previous = serializers.IntegerField(source="previous_id", allow_null=True)
    published_rules = serializers.DictField(
        help_text="The rules as frozen when the campaign opened, with the points each gives "
        "(what the plan reads); empty while it is a draft."
    )
    opened_at = serializers.DateTimeField(allow_null=True)
    decided_on = serializers.DateField(
        allow_null=True, help_text="The committee's decision on the plan."
    )
    deliberation_reference = serializers.CharField()
    spaces = CampaignSpaceOutputSerializer(many=True)
    wishes_count = serializers.IntegerField(help_text="Submitted wishes.")
    structures_count = serializers.IntegerField(help_text="Structures with a submitted wish.")

    class Meta:
        ref_name = "SeasonCampaign"

    def get_local_structures(self, campaign: Campaign) -> list[int]:
        return sorted(s.pk for s in campaign.local_structures.all())


def _campaigns(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    submitted = Q(wishes__status=WishStatus.SUBMITTED)
    return (
        queryset.select_related("owner")
        .prefetch_related(
            Prefetch(
                "spaces",
                CampaignSpace.objects.select_related("space").order_by("space__name", "pk"),
            ),
            Prefetch("local_structures", Organisation.objects.only("pk")),
        )
        .annotate(
            wishes_count=Count("wishes", filter=submitted, distinct=True),
            structures_count=Count("wishes__structure", filter=submitted, distinct=True),
        )
    )


def campaign_output(user: User, pk: int) -> dict:
    """The campaign as GET /api/v1/season-campaigns/<id>/ shows it."""
    return CampaignOutputSerializer(
        _campaigns(selectors.campaigns_visible_to(user)).get(pk=pk)
    ).data


class OptionOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1: the first choice, then the alternatives.")
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0: Monday.")
    start = LocalTimeField()
    end = LocalTimeField()
    space = serializers.IntegerField(source="space_id", allow_null=True)
    space_kind = SpaceKindField(help_text="Any space of this kind in the campaign (no space).")

    class Meta:
        ref_name = "SeasonWishOption"


class CompetedOptionOutputSerializer(OptionOutputSerializer):
    competition = serializers.SerializerMethodField(
        help_text="Other submitted wishes asking for the same space (or kind) that weekday at "
        "an overlapping time; a count only, never who."
    )

    class Meta:
        ref_name = "SeasonWishOptionCompeted"

    def get_competition(self, option: WishOption) -> int:
        return self.context["competition"].get(option.position, 0)


class WishOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    structure = serializers.IntegerField(source="structure_id")
    structure_name = serializers.CharField(source="structure.name")
    rank = serializers.IntegerField(help_text="Among the structure's wishes, 1 first.")
    attendees = serializers.IntegerField()
    purpose = serializers.CharField()
    activity = serializers.ChoiceField(choices=ActivityKind.choices)
    period = serializers.ChoiceField(choices=SeasonPeriod.choices)
    amenities = serializers.SerializerMethodField(help_text="Ids of the equipment needed.")
    status = serializers.ChoiceField(choices=WishStatus.choices)
    created_at = serializers.DateTimeField()
    options = OptionOutputSerializer(many=True, source="options.all")

    class Meta:
        ref_name = "SeasonWish"

    def get_amenities(self, wish: Wish) -> list[int]:
        return sorted(a.pk for a in wish.amenities.all())


class WishDetailOutputSerializer(WishOutputSerializer):
    options = CompetedOptionOutputSerializer(many=True, source="options.all")

    class Meta:
        ref_name = "SeasonWishDetail"


def _wishes(queryset: QuerySet[Wish]) -> QuerySet[Wish]:
    return queryset.select_related("structure").prefetch_related(
        Prefetch("options", WishOption.objects.select_related("space").order_by("position")),
        Prefetch("amenities", Amenity.objects.only("pk")),
    )


def wish_output(user: User, pk: int) -> dict:
    """The wish as GET /api/v1/season-wishes/<id>/ shows it: each option with its competition."""
    wish = _wishes(selectors.wishes_visible_to(user)).get(pk=pk)
    context = {"competition": selectors.wish_competition(wish)}
    return WishDetailOutputSerializer(wish, context=context).data


class AssignedWishOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    structure = serializers.IntegerField(source="structure_id")
    structure_name = serializers.CharField(source="structure.name")
    rank = serializers.IntegerField()
    attendees = serializers.IntegerField()
    purpose = serializers.CharField()
    activity = serializers.ChoiceField(choices=ActivityKind.choices)
    period = serializers.ChoiceField(choices=SeasonPeriod.choices)

    class Meta:
        ref_name = "SeasonAssignedWish"


class AssignedSpaceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "SeasonAssignedSpace"


class AssignmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    wish = AssignedWishOutputSerializer()
    option = OptionOutputSerializer(
        allow_null=True, help_text="The choice granted; null: the wish is not met."
    )
    space = AssignedSpaceOutputSerializer(allow_null=True)
    explanation = serializers.CharField(help_text="Why, in French.")
    booking = serializers.IntegerField(
        source="booking_id",
        allow_null=True,
        help_text="Once published: the weekly booking series the slot became.",
    )
    given_back_from = serializers.DateField(
        allow_null=True, help_text="The first date its structure gave back."
    )

    class Meta:
        ref_name = "SeasonAssignment"


class PlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    status = serializers.CharField(help_text="optimal, time_limit, empty or failed.")
    seed = serializers.IntegerField()
    seconds = serializers.FloatField(help_text="How long the optimiser ran.")
    wishes_count = serializers.IntegerField()
    met_count = serializers.IntegerField(help_text="Wishes given a slot.")
    created_at = serializers.DateTimeField()
    assignments = AssignmentOutputSerializer(
        many=True,
        help_text="One per wish (its managers); after publication, a structure's members see "
        "their structures' only.",
    )

    class Meta:
        ref_name = "SeasonPlan"


def _assignment_rows(assignments: QuerySet[PlanAssignment]) -> QuerySet[PlanAssignment]:
    return assignments.select_related("wish__structure", "option__space", "space").order_by(
        "wish__structure__name", "wish__rank", "wish_id"
    )


def _plan_output(run: PlanRun, assignments: QuerySet[PlanAssignment]) -> dict:
    rows = list(_assignment_rows(assignments.filter(run=run)))
    return PlanOutputSerializer({**run.__dict__, "assignments": rows}).data


# --- Campaigns -------------------------------------------------------------------------------


class MayCreateCampaigns(BasePermission):
    """A campaign is run by the staff of a commune or of the intercommunality."""

    message = gettext_lazy("Only the staff of a public body may run a season campaign.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method != "POST" or site_owners_for(request.user).exists()


class CampaignFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CampaignStatus.choices, required=False)
    school_year = serializers.IntegerField(
        required=False, **bounds_of(Campaign, "school_year"), help_text="2027: 2027–2028."
    )

    class Meta:
        ref_name = "SeasonCampaignFilter"


class WeightsField(serializers.DictField):
    """{item: weight 0–10}; the items are checked by the service (a 400 naming the field)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("child", serializers.IntegerField(min_value=0, max_value=MAX_RULE_WEIGHT))
        kwargs.setdefault("default", dict)
        super().__init__(**kwargs)


class CampaignInputSerializer(serializers.Serializer):
    owner = IdField(
        help_text="The commune or intercommunality that runs it: one you belong to (any for "
        "the intercommunality)."
    )
    title = SingleLineField(max_length=Campaign._meta.get_field("title").max_length)
    school_year = serializers.IntegerField(**bounds_of(Campaign, "school_year"))
    opens_on = serializers.DateField()
    deadline = LocalDateTimeField(help_text="Wishes are accepted until then.")
    spaces = serializers.ListField(
        child=IdField(),
        max_length=MAX_CAMPAIGN_SPACES,
        help_text="Ids of spaces you manage, offered for weekly slots.",
    )
    closed_in_school_holidays = serializers.BooleanField(
        default=True, help_text="The spaces close during zone B's school holidays."
    )
    hours_per_week = serializers.IntegerField(
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_HOURS_PER_WEEK,
        help_text="Hours per week per structure at most; null: no cap.",
    )
    local_first = serializers.BooleanField(default=False)
    local_structures = serializers.ListField(
        child=IdField(),
        max_length=MAX_LOCAL_STRUCTURES,
        default=list,
        help_text="Ids of the commune's structures (first when `local_first`).",
    )
    favoured_families = WeightsField(
        help_text="{ESS family: weight 0–10}: " + ", ".join(EssFamily.values) + "."
    )
    favoured_activities = WeightsField(
        help_text="{activity: weight 0–10}: " + ", ".join(ActivityKind.values) + "."
    )
    holders_keep = serializers.BooleanField(
        default=False, help_text="Last year's holders keep their slots, unless outranked."
    )
    previous = IdField(
        allow_null=True, default=None, help_text="Last year's campaign, one you run."
    )

    class Meta:
        ref_name = "SeasonCampaignInput"


def _campaign_terms(values: dict, *, user: User) -> tuple[Organisation, services.CampaignTerms]:
    """The owner and the terms of the body, its ids as the objects the user may choose (400
    otherwise)."""
    errors = {}
    owner = site_owners_for(user).filter(pk=values["owner"]).first()
    if owner is None:
        errors["owner"] = [_("You cannot run a campaign on behalf of this organisation.")]
    wanted = set(values["spaces"])
    spaces = list(spaces_manageable_by(user).filter(pk__in=wanted))
    if len(spaces) != len(wanted):
        errors["spaces"] = [_("Choose spaces you manage.")]
    wanted_local = set(values["local_structures"])
    local = list(
        Organisation.objects.filter(
            pk__in=wanted_local, kind=OrganisationKind.ESS, erased_at__isnull=True
        )
    )
    if len(local) != len(wanted_local):
        errors["local_structures"] = [_("Choose structures of the social and solidarity economy.")]
    previous = None
    if values["previous"] is not None:
        previous = selectors.campaigns_manageable_by(user).filter(pk=values["previous"]).first()
        if previous is None:
            errors["previous"] = [_("Choose a campaign you run.")]
    if errors:
        raise DrfValidationError(errors)
    terms = {key: value for key, value in values.items() if key != "owner"}
    return owner, services.CampaignTerms(
        **{**terms, "spaces": spaces, "local_structures": local, "previous": previous}
    )


def _visible_campaigns(user: User) -> QuerySet[Campaign]:
    return selectors.campaigns_visible_to(user)


class CampaignListApi(PaginatedListMixin, APIView):
    """GET: the campaigns one may read: every opened one (its rules are public), drafts for
    those who run them. POST: draft a campaign (the staff of a commune or of the
    intercommunality; 403 for others)."""

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated(), MayCreateCampaigns()]
        return super().get_permissions()

    @extend_schema(
        parameters=[CampaignFilterSerializer], responses=CampaignOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        params = CampaignFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        campaigns = _campaigns(_visible_campaigns(request.user)).order_by(
            "-school_year", "-created_at", "-pk"
        )
        if "status" in params.validated_data:
            campaigns = campaigns.filter(status=params.validated_data["status"])
        if "school_year" in params.validated_data:
            campaigns = campaigns.filter(school_year=params.validated_data["school_year"])
        return self.paginated_response(campaigns, CampaignOutputSerializer)

    @extend_schema(
        request=CampaignInputSerializer,
        responses={
            201: CampaignOutputSerializer,
            403: OpenApiResponse(
                {"$ref": "#/components/schemas/Error"},
                description="Not signed in, the CSRF token is missing, or the user is not the "
                "staff of a public body (who run campaigns).",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner, terms = _campaign_terms(data.validated_data, user=request.user)
        campaign = services.campaign_create(actor=request.user, owner=owner, terms=terms)
        return Response(campaign_output(request.user, campaign.pk), status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    """A campaign one may read: its published rules, its spaces (and whether they close in
    the school holidays), its status, deadline and counts of wishes."""

    @extend_schema(responses=CampaignOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(_campaigns(_visible_campaigns(request.user)), pk=pk)
        return Response(CampaignOutputSerializer(campaign).data)


TRANSITION_RESPONSES = {200: CampaignOutputSerializer, 409: TRANSITION_REFUSED}


class CampaignOpenApi(ServiceActionApi):
    """Open a draft for wishes: its rules are frozen and published. Those who run it (others:
    404 for a draft); 400 with a deadline passed; 409 unless a draft (opening it again: 200)."""

    scope = staticmethod(_visible_campaigns)
    output = staticmethod(campaign_output)
    responses = TRANSITION_RESPONSES

    def perform(self, campaign: Campaign, *, actor: User, values: dict) -> None:
        services.campaign_open(campaign=campaign, actor=actor)


class CampaignCloseApi(ServiceActionApi):
    """Close an open campaign to wishes, so its plan can be made. Those who run it (403 for
    others who see it); 409 unless open (closing it again: 200)."""

    scope = staticmethod(_visible_campaigns)
    output = staticmethod(campaign_output)
    responses = TRANSITION_RESPONSES

    def perform(self, campaign: Campaign, *, actor: User, values: dict) -> None:
        services.campaign_close(campaign=campaign, actor=actor)


class PlanInputSerializer(serializers.Serializer):
    seed = serializers.IntegerField(
        default=0,
        **bounds_of(PlanRun, "seed"),
        help_text="The optimiser's seed: the same wishes and seed give the same plan.",
    )

    class Meta:
        ref_name = "SeasonPlanInput"


def _latest_plan_for(user: User, campaign: Campaign) -> dict:
    """The latest run as `user` may read it: whole for those who run the campaign; after
    publication, the assignments of the user's structures for the others (404 before)."""
    run = None
    if selectors.campaigns_manageable_by(user).filter(pk=campaign.pk).exists():
        assignments = PlanAssignment.objects.all()
        run = selectors.latest_run(campaign)
    elif campaign.status == CampaignStatus.PUBLISHED:
        assignments = PlanAssignment.objects.filter(wish__structure__in=organisations_of(user))
        run = selectors.latest_run(campaign)
    if run is None:
        raise DrfNotFound(_("This campaign has no plan yet."))
    return _plan_output(run, assignments)


class CampaignPlanApi(APIView):
    """GET: the latest plan (its managers; after publication, a structure's members see their
    structures' assignments). POST: run the optimiser on a closed campaign (or again on a
    proposed plan) and store its plan; those who run the campaign (403 for others who see it);
    400 unless closed or planned. It may take up to a minute; throttled per user."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [*APIView.throttle_classes, SeasonPlanRateThrottle]

    @extend_schema(responses=PlanOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(_visible_campaigns(request.user), pk=pk)
        return Response(_latest_plan_for(request.user, campaign))

    @extend_schema(request=PlanInputSerializer, responses={201: PlanOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(_visible_campaigns(request.user), pk=pk)
        data = PlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.plan_run(
            campaign=campaign, actor=request.user, seed=data.validated_data["seed"]
        )
        return Response(
            _plan_output(run, PlanAssignment.objects.all()), status=status.HTTP_201_CREATED
        )


class CampaignRenewApi(APIView):
    """A structure's members renew its slots of last year: one wish per slot it held (the
    previous campaign's plan, or its weekly series), after its wishes; a slot it already asks
    for, or that no longer fits, is skipped. Answers the wishes created (none: an empty list)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        structure = IdField(help_text="One of your verified structures.")

        class Meta:
            ref_name = "SeasonRenewInput"

    @extend_schema(request=InputSerializer, responses=WishOutputSerializer(many=True))
    def post(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(_visible_campaigns(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        structure = _structure_of(request.user, data.validated_data["structure"])
        created = services.wishes_renew(actor=request.user, campaign=campaign, structure=structure)
        wishes = _wishes(Wish.objects.filter(pk__in=[w.pk for w in created])).order_by("rank")
        return Response(WishOutputSerializer(wishes, many=True).data)


# --- Wishes ----------------------------------------------------------------------------------


def _structure_of(user: User, pk: int) -> Organisation:
    structure = structures_allowed_to_request_for(user).filter(pk=pk).first()
    if structure is None:
        raise DrfValidationError(
            {"structure": [_("Choose one of your social and solidarity economy structures.")]}
        )
    return structure


class OptionInputSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0: Monday.")
    start = LocalTimeField()
    end = LocalTimeField()
    space = IdField(
        allow_null=True, default=None, help_text="A space of the campaign; null: `space_kind`."
    )
    space_kind = SpaceKindField(default="", help_text="Any space of this kind in the campaign.")

    class Meta:
        ref_name = "SeasonWishOptionInput"


class WishInputSerializer(serializers.Serializer):
    campaign = IdField(help_text="An open campaign.")
    structure = IdField(help_text="One of your verified structures.")
    rank = serializers.IntegerField(
        **bounds_of(Wish, "rank"), help_text="Among the structure's wishes, 1 first."
    )
    attendees = serializers.IntegerField(**bounds_of(Wish, "attendees"))
    purpose = SingleLineField(max_length=Wish._meta.get_field("purpose").max_length)
    activity = serializers.ChoiceField(choices=ActivityKind.choices)
    period = serializers.ChoiceField(choices=SeasonPeriod.choices, default=SeasonPeriod.YEAR)
    amenities = serializers.ListField(
        child=IdField(), max_length=MAX_AMENITIES, default=list, help_text="Equipment needed."
    )
    options = OptionInputSerializer(
        many=True,
        min_length=1,
        max_length=1 + MAX_ALTERNATIVES,
        help_text="The first choice, then up to three alternatives in order. Errors are keyed "
        "`options.1` (the first choice), `options.2`…",
    )

    class Meta:
        ref_name = "SeasonWishInput"


def _flat_options(errors: dict) -> dict:
    """DRF's errors of `options` as the service keys them: `options.N`, N from 1 (DRF gives
    them by index from 0, as a dict or a list)."""
    nested = errors.get("options")
    if isinstance(nested, list) and all(isinstance(e, dict) for e in nested):
        nested = dict(enumerate(nested))
    if isinstance(nested, dict) and all(isinstance(i, int) for i in nested):
        del errors["options"]
        for index, error in sorted(nested.items()):
            if error:
                errors[f"options.{index + 1}"] = error
    return errors


def _wish_terms(values: dict, *, user: User) -> dict:
    campaign = selectors.campaigns_visible_to(user).filter(pk=values["campaign"]).first()
    if campaign is None:
        raise DrfValidationError({"campaign": [_("This campaign does not exist.")]})
    structure = _structure_of(user, values["structure"])
    wanted = {o["space"] for o in values["options"] if o["space"] is not None}
    spaces = {
        link.space_id: link.space
        for link in CampaignSpace.objects.filter(
            campaign=campaign, space__in=wanted
        ).select_related("space")
    }
    errors = {
        f"options.{position}": [_("Choose a space of this campaign.")]
        for position, option in enumerate(values["options"], start=1)
        if option["space"] is not None and option["space"] not in spaces
    }
    amenities = list(Amenity.objects.filter(pk__in=set(values["amenities"])))
    if len(amenities) != len(set(values["amenities"])):
        errors["amenities"] = [_("Choose equipment from the list.")]
    if errors:
        raise DrfValidationError(errors)
    return {
        "campaign": campaign,
        "structure": structure,
        "rank": values["rank"],
        "attendees": values["attendees"],
        "purpose": values["purpose"],
        "activity": values["activity"],
        "period": values["period"],
        "amenities": amenities,
        "options": [
            services.OptionInput(
                weekday=option["weekday"],
                start=option["start"],
                end=option["end"],
                space=spaces.get(option["space"]),
                space_kind=option["space_kind"],
            )
            for option in values["options"]
        ],
    }


class WishFilterSerializer(serializers.Serializer):
    campaign = IdField(required=False, help_text="Only this campaign's wishes.")
    structure = IdField(required=False, help_text="Only this structure's wishes.")
    status = serializers.ChoiceField(choices=WishStatus.choices, required=False)

    class Meta:
        ref_name = "SeasonWishFilter"


class WishListCreateApi(PaginatedListMixin, APIView):
    """GET: the wishes of one's structures, and every wish of the campaigns one runs. POST:
    submit a wish of one's verified structure to an open campaign, before its deadline."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[WishFilterSerializer], responses=WishOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        params = WishFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        wishes = _wishes(selectors.wishes_visible_to(request.user)).order_by(
            "-campaign_id", "structure__name", "structure_id", "rank", "pk"
        )
        for name in ("campaign", "structure", "status"):
            if name in params.validated_data:
                wishes = wishes.filter(**{name: params.validated_data[name]})
        return self.paginated_response(wishes, WishOutputSerializer)

    @extend_schema(request=WishInputSerializer, responses={201: WishDetailOutputSerializer})
    def post(self, request: Request) -> Response:
        data = WishInputSerializer(data=request.data)
        if not data.is_valid():
            raise DrfValidationError(_flat_options(dict(data.errors)))
        wish = services.wish_submit(
            actor=request.user, **_wish_terms(data.validated_data, user=request.user)
        )
        return Response(wish_output(request.user, wish.pk), status=status.HTTP_201_CREATED)


class WishDetailApi(APIView):
    """A wish of one's structure (or of a campaign one runs), each option with the number of
    other wishes competing for it: counts only, never who."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WishDetailOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        get_object_or_404(selectors.wishes_visible_to(request.user), pk=pk)
        return Response(wish_output(request.user, pk))


class WishWithdrawApi(ServiceActionApi):
    """Withdraw a wish of one's structure before the deadline (the campaign's managers see it:
    403); 400 once the campaign no longer takes wishes. Withdrawing it again: 200."""

    scope = staticmethod(selectors.wishes_visible_to)
    output = staticmethod(wish_output)
    responses = {200: WishDetailOutputSerializer}

    def perform(self, wish: Wish, *, actor: User, values: dict) -> None:
        services.wish_withdraw(wish=wish, actor=actor)


# --- Arbitration, decision, publication ------------------------------------------------------


def assignments_visible_to(user: User) -> QuerySet[PlanAssignment]:
    """The plans' rows the user may name: every one of the campaigns they run; after
    publication, those of their structures' wishes (to give a slot back)."""
    return PlanAssignment.objects.filter(
        Q(run__campaign__in=selectors.campaigns_manageable_by(user).values("pk"))
        | Q(
            run__campaign__status=CampaignStatus.PUBLISHED,
            wish__structure__in=organisations_of(user),
        )
    )


def assignment_output(user: User, pk: int) -> dict:
    return AssignmentOutputSerializer(
        _assignment_rows(assignments_visible_to(user)).get(pk=pk)
    ).data


class AssignmentMoveApi(ServiceActionApi):
    """Those who run the campaign put a wish of the proposed plan on one of its own choices in
    a space of the campaign, or take it off the plan (both null); re-checked as the optimiser
    checks (capacity, equipment, opening hours, closures, overlaps, the weekly cap): a 400
    names the clash. Only while the plan is proposed (400 after the committee's decision)."""

    scope = staticmethod(assignments_visible_to)
    output = staticmethod(assignment_output)
    responses = {200: AssignmentOutputSerializer}

    class InputSerializer(serializers.Serializer):
        option = IdField(allow_null=True, help_text="A choice of this wish (its id).")
        space = IdField(allow_null=True, help_text="A space of the campaign.")

        class Meta:
            ref_name = "SeasonAssignmentMoveInput"

    def perform(self, assignment: PlanAssignment, *, actor: User, values: dict) -> None:
        errors = {}
        option = space = None
        if values["option"] is not None:
            option = WishOption.objects.filter(wish=assignment.wish_id, pk=values["option"]).first()
            if option is None:
                errors["option"] = [_("Choose one of this wish's own choices.")]
        if values["space"] is not None:
            link = (
                CampaignSpace.objects.filter(
                    campaign__plan_runs=assignment.run_id, space=values["space"]
                )
                .select_related("space")
                .first()
            )
            if link is None:
                errors["space"] = [_("Choose a space of this campaign.")]
            else:
                space = link.space
        if errors:
            raise DrfValidationError(errors)
        services.plan_assignment_move(
            assignment=assignment, actor=actor, option=option, space=space
        )


class AssignmentSwapApi(APIView):
    """Two placed wishes of the proposed plan exchange their spaces, each keeping its own
    times; both re-checked as a move is (a 400 names the clash). Those who run the campaign;
    an assignment they may not name is a 400 on its field."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        first = IdField(help_text="An assignment of the proposed plan.")
        second = IdField(help_text="Another assignment of the same plan.")

        class Meta:
            ref_name = "SeasonAssignmentSwapInput"

    @extend_schema(request=InputSerializer, responses=AssignmentOutputSerializer(many=True))
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data
        found = {
            a.pk: a
            for a in assignments_visible_to(request.user).filter(
                pk__in=[wanted["first"], wanted["second"]]
            )
        }
        errors = {
            name: [_("Choose an assignment of a plan you run.")]
            for name in ("first", "second")
            if wanted[name] not in found
        }
        if errors:
            raise DrfValidationError(errors)
        services.plan_assignments_swap(
            first=found[wanted["first"]], second=found[wanted["second"]], actor=request.user
        )
        rows = _assignment_rows(
            PlanAssignment.objects.filter(pk__in=[wanted["first"], wanted["second"]])
        )
        by_pk = {a.pk: a for a in rows}
        return Response(
            AssignmentOutputSerializer(
                [by_pk[wanted["first"]], by_pk[wanted["second"]]], many=True
            ).data
        )


class CampaignDecideApi(ServiceActionApi):
    """Record the committee's decision on the proposed plan: its date and the reference of the
    deliberation; the plan can then only be published. Those who run the campaign (403 for
    others who see it); 409 unless the plan is proposed (deciding again: 200, the decision
    recorded first stays)."""

    scope = staticmethod(_visible_campaigns)
    output = staticmethod(campaign_output)
    responses = TRANSITION_RESPONSES

    class InputSerializer(serializers.Serializer):
        decided_on = serializers.DateField(help_text="The date of the deliberation.")
        deliberation_reference = SingleLineField(
            max_length=Campaign._meta.get_field("deliberation_reference").max_length,
            help_text="The reference of the deliberation.",
        )

        class Meta:
            ref_name = "SeasonDecideInput"

    def perform(self, campaign: Campaign, *, actor: User, values: dict) -> None:
        services.campaign_decide(
            campaign=campaign,
            actor=actor,
            decided_on=values["decided_on"],
            deliberation_reference=values["deliberation_reference"],
        )


class PublicationOutputSerializer(serializers.Serializer):
    campaign = CampaignOutputSerializer()
    series = serializers.IntegerField(help_text="Weekly booking series written.")
    dates = serializers.IntegerField(help_text="Their dates, all together.")
    structures = serializers.IntegerField(help_text="Structures told by e-mail.")
    already = serializers.BooleanField(help_text="Published before: nothing written this time.")

    class Meta:
        ref_name = "SeasonPublication"


PLAN_CLASHES = inline_serializer(
    name="SeasonPlanClashes",
    fields={
        "detail": serializers.CharField(),
        "clashes": inline_serializer(
            name="SeasonPlanClash",
            many=True,
            fields={
                "assignment": serializers.IntegerField(),
                "space_name": serializers.CharField(),
                "structure_name": serializers.CharField(),
                "dates": serializers.ListField(child=serializers.DateField()),
                "reason": serializers.CharField(),
            },
        ),
    },
)


class CampaignPublishApi(APIView):
    """Publish the decided plan: each met wish becomes a confirmed weekly booking series of its
    structure, all in one transaction; each structure is e-mailed its slots and calendar
    feed. 409 with the list of clashes when a slot clashes with what was booked meanwhile
    (nothing is published), or unless the plan is decided. Publishing again: 200, nothing
    written. Those who run the campaign (403 for others who see it)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: PublicationOutputSerializer,
            409: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="SeasonPlanClashesOrTransitionRefused",
                    serializers=[PLAN_CLASHES, TransitionRefusedSerializer],
                    resource_type_field_name=None,
                ),
                description="Slots of the plan clash with what is booked (nothing was "
                "published), or the status forbids it.",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(_visible_campaigns(request.user), pk=pk)
        try:
            report = services.campaign_publish(campaign=campaign, actor=request.user)
        except PlanClashes as exc:
            return Response(
                {
                    "detail": exc.messages[0],
                    "clashes": [
                        {
                            "assignment": clash.assignment_id,
                            "space_name": clash.space_name,
                            "structure_name": clash.structure_name,
                            "dates": [day.isoformat() for day in clash.dates],
                            "reason": clash.reason,
                        }
                        for clash in exc.clashes
                    ],
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {
                "campaign": campaign_output(request.user, pk),
                "series": report.series,
                "dates": report.dates,
                "structures": report.structures,
                "already": report.already,
            }
        )


class AssignmentGiveBackApi(APIView):
    """A structure's members (or those who run the campaign) give a published slot back from a
    date: its remaining dates are cancelled (a member respects the space's cancellation
    notice) and freed for hourly bookings. Answers how many dates were freed."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        from_date = serializers.DateField(help_text="The first date given back (today or later).")
        reason = MultiLineField(max_length=5000, help_text="Why (the managers are told).")

        class Meta:
            ref_name = "SeasonGiveBackInput"

    class OutputSerializer(serializers.Serializer):
        dates_freed = serializers.IntegerField()
        assignment = AssignmentOutputSerializer()

        class Meta:
            ref_name = "SeasonGiveBack"

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assignment = get_object_or_404(assignments_visible_to(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        freed = services.season_slot_give_back(
            assignment=assignment, actor=request.user, **data.validated_data
        )
        return Response({"dates_freed": freed, "assignment": assignment_output(request.user, pk)})
