"""Read API of the premises inventory: communes, sites, spaces (catalogue filters included)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.collation import french
from spaces.filters import SpaceFilter
from spaces.models import Commune, Site, Space
from spaces.selectors import catalogue_sites, catalogue_spaces, communes_in_territory


class CommuneOutputSerializer(serializers.ModelSerializer):
    postcodes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Commune
        fields = ["insee_code", "name", "postcodes", "population"]


class CommuneListApi(generics.ListAPIView):
    """The communes of the territory, with their postcodes."""

    serializer_class = CommuneOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return communes_in_territory().prefetch_related("postcodes").order_by(french("name"))


class AddressSerializer(serializers.Serializer):
    street_number = serializers.IntegerField(allow_null=True)
    street_number_suffix = serializers.CharField()
    street_name = serializers.CharField()
    address_complement = serializers.CharField()
    postcode = serializers.CharField()
    commune_insee_code = serializers.CharField(source="commune_id")
    commune = serializers.CharField(source="commune.name")


class AccessibilitySerializer(serializers.Serializer):
    step_free_entrance = serializers.BooleanField(allow_null=True)
    entrance_width_cm = serializers.IntegerField(allow_null=True)
    has_lift = serializers.BooleanField(allow_null=True)
    accessible_toilets = serializers.BooleanField(allow_null=True)
    accessible_parking = serializers.BooleanField(allow_null=True)
    hearing_loop = serializers.BooleanField(allow_null=True)
    public_transport_nearby = serializers.BooleanField(allow_null=True)
    notes = serializers.CharField(source="accessibility_notes")


class SiteOutputSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.name")
    address = AddressSerializer(source="*")
    accessibility = AccessibilitySerializer(source="*")
    erp_types = serializers.ListField(child=serializers.CharField())
    space_count = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Site
        fields = [
            "id",
            "name",
            "owner",
            "description",
            "address",
            "latitude",
            "longitude",
            "domain",
            "is_erp",
            "erp_types",
            "erp_category",
            "max_occupancy",
            "accessibility",
            "status",
            "space_count",
            "url",
        ]


class SiteListApi(generics.ListAPIView):
    """Sites (buildings) of the catalogue."""

    serializer_class = SiteOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return catalogue_sites(self.request.user)


class SiteDetailApi(APIView):
    @extend_schema(responses=SiteOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(catalogue_sites(request.user), pk=pk)
        return Response(SiteOutputSerializer(site).data)


class SpaceSiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    commune = serializers.CharField(source="commune.name")
    commune_insee_code = serializers.CharField(source="commune_id")


class SpaceOutputSerializer(serializers.ModelSerializer):
    site = SpaceSiteSerializer()
    amenities = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    is_vacant = serializers.BooleanField()
    photos = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Space
        fields = [
            "id",
            "name",
            "site",
            "kind",
            "floor",
            "surface_m2",
            "capacity",
            "amenities",
            "description",
            "bookable",
            "allocatable",
            "status",
            "vacant_since",
            "is_vacant",
            "reference_rent",
            "photos",
            "url",
        ]

    def get_photos(self, space: Space) -> list[dict[str, str]]:
        return [{"url": photo.image.url, "alt": photo.alt_text} for photo in space.photos.all()]


class SpaceListApi(generics.ListAPIView):
    """Spaces of the catalogue, with the catalogue's filters."""

    serializer_class = SpaceOutputSerializer
    filterset_class = SpaceFilter

    def get_queryset(self):
        return catalogue_spaces(self.request.user)


class SpaceDetailApi(APIView):
    @extend_schema(responses=SpaceOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(catalogue_spaces(request.user), pk=pk)
        return Response(SpaceOutputSerializer(space).data)
