"""Waiting list API: a structure without premises registers its need, reads and closes its
needs; those who manage premises see, for each vacant space, the needs it fits.

As the waiting-list pages (calls/views/waiting.py), through `calls.services`
(waiting_entry_register, waiting_entry_close) and `calls.selectors` (waiting_entries_of,
waiting_list_candidates_for).
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import structures_allowed_to_request_for
from api.fields import IdField, MultiLineField
from api.pagination import PaginatedListMixin
from calls import selectors, services
from calls.models import WaitingListEntry
from core.validators import bounds_of, validate_single_line
from spaces.models import SpaceKind
from spaces.selectors import communes_in_territory, sites_manageable_by


class WaitingEntryOutputSerializer(serializers.ModelSerializer):
    structure = serializers.IntegerField(source="structure_id")
    structure_name = serializers.CharField(source="structure.name")
    communes = serializers.SerializerMethodField(
        help_text="INSEE codes; empty: any commune of the territory."
    )

    class Meta:
        model = WaitingListEntry
        fields = [
            "id",
            "structure",
            "structure_name",
            "kind",
            "min_surface_m2",
            "max_surface_m2",
            "communes",
            "wanted_from",
            "notes",
            "created_at",
            "closed_at",
        ]

    def get_communes(self, entry: WaitingListEntry) -> list[str]:
        return sorted(commune.pk for commune in entry.communes.all())


class WaitingEntryInputSerializer(serializers.Serializer):
    structure = IdField(help_text="A verified structure the user acts for.")
    kind = serializers.ChoiceField(choices=SpaceKind.choices)
    min_surface_m2 = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        **bounds_of(WaitingListEntry, "min_surface_m2"),
    )
    max_surface_m2 = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        **bounds_of(WaitingListEntry, "max_surface_m2"),
    )
    communes = serializers.ListField(
        child=serializers.RegexField(r"^[0-9][0-9AB][0-9]{3}$", validators=[validate_single_line]),
        required=False,
        default=list,
        max_length=500,
        help_text="INSEE codes of communes of the territory; empty: any.",
    )
    wanted_from = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Empty: premises needed now."
    )
    notes = MultiLineField(required=False, default="", max_length=5000)

    class Meta:
        ref_name = "WaitingEntryInput"


def _entries(user):
    return (
        selectors.waiting_entries_of(user)
        .select_related("structure")
        .prefetch_related("communes")
        .order_by("closed_at", "-created_at", "-pk")
    )


class WaitingEntryListCreateApi(PaginatedListMixin, APIView):
    """GET: the needs registered by the user's structures, open ones first. POST: register one
    for a verified structure the user acts for (201)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WaitingEntryOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated_response(_entries(request.user), WaitingEntryOutputSerializer)

    @extend_schema(
        request=WaitingEntryInputSerializer, responses={201: WaitingEntryOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = WaitingEntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        structure = (
            structures_allowed_to_request_for(request.user).filter(pk=values["structure"]).first()
        )
        if structure is None:
            raise DrfValidationError({"structure": [_("This structure does not exist.")]})
        codes = set(values["communes"])
        communes = list(communes_in_territory().filter(pk__in=codes))
        if len(communes) != len(codes):
            raise DrfValidationError({"communes": [_("Choose communes of the territory.")]})
        entry = services.waiting_entry_register(
            actor=request.user,
            structure=structure,
            kind=values["kind"],
            min_surface_m2=values["min_surface_m2"],
            max_surface_m2=values["max_surface_m2"],
            communes=communes,
            wanted_from=values["wanted_from"],
            notes=values["notes"],
        )
        entry = _entries(request.user).get(pk=entry.pk)
        return Response(WaitingEntryOutputSerializer(entry).data, status=status.HTTP_201_CREATED)


class WaitingEntryCloseApi(APIView):
    """Close a need (premises found, given up): the structure's members (others get 404).
    Closing it again changes nothing. 200 with the entry."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=WaitingEntryOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        entry = get_object_or_404(_entries(request.user), pk=pk)
        services.waiting_entry_close(actor=request.user, entry=entry)
        entry = _entries(request.user).get(pk=pk)
        return Response(WaitingEntryOutputSerializer(entry).data)


class SpaceCandidatesSerializer(serializers.Serializer):
    space = serializers.IntegerField(source="space.pk")
    space_name = serializers.CharField(source="space.name")
    site = serializers.IntegerField(source="space.site_id")
    site_name = serializers.CharField(source="space.site.name")
    commune = serializers.CharField(source="space.site.commune_id")
    entries = WaitingEntryOutputSerializer(many=True)


class WaitingCandidatesApi(APIView):
    """For those who manage premises: each vacant allocatable space they manage and the open
    needs it fits (its kind, within the surfaces, in one of the communes, already wanted).
    Others get 404, as on the page."""

    answers_not_found = True  # to who may not read it (api/schema.py)
    permission_classes = [IsAuthenticated]

    # Not a page: one row per vacant space the user manages, as the page.
    @extend_schema(responses=SpaceCandidatesSerializer(many=True))
    def get(self, request: Request) -> Response:
        if not sites_manageable_by(request.user).exists():
            raise NotFound
        rows = selectors.waiting_list_candidates_for(request.user)
        return Response(SpaceCandidatesSerializer(rows, many=True).data)
