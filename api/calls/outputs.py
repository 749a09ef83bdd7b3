"""What the calls API answers: calls with their lots and grid, applications, scores, rankings."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from calls import selectors
from calls.models import Application, ApplicationStatus, Call, CallStatus
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
