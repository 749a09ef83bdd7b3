"""Read API of the premises inventory: communes, sites, spaces (catalogue filters included)."""

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.plain import converter, url_of
from core.collation import french
from spaces.filters import SpaceFilter
from spaces.models import Commune, ErpCategory, Photo, Site, Space
from spaces.selectors import catalogue_sites, catalogue_spaces, communes_in_territory


class CommuneOutputSerializer(serializers.ModelSerializer):
    postcodes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Commune
        fields = ["insee_code", "name", "postcodes", "population"]


def communes_represented(rows: Sequence[dict]) -> list[dict]:
    """What `CommuneOutputSerializer(communes, many=True).data` gives, from `values()` rows of
    `insee_code`, `name` and `population`: the page's postcodes in one query."""
    postcodes: dict[str, list[str]] = defaultdict(list)
    codes = [row["insee_code"] for row in rows]
    if codes:
        links = Commune.postcodes.through.objects.filter(commune_id__in=codes)
        for commune, code in links.order_by("postalcode__code", "postalcode_id").values_list(
            "commune_id", "postalcode__code"
        ):
            postcodes[commune].append(code)
    return [
        {
            "insee_code": row["insee_code"],
            "name": row["name"],
            "postcodes": postcodes[row["insee_code"]],
            "population": row["population"],
        }
        for row in rows
    ]


def _commune_rows(communes: QuerySet[Commune]) -> QuerySet:
    return communes.values("insee_code", "name", "population")


class CommuneListApi(generics.ListAPIView):
    """The communes of the territory, with their postcodes."""

    serializer_class = CommuneOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return communes_in_territory().order_by(french("name"))

    def list(self, request: Request, *args, **kwargs) -> Response:
        communes = self.get_queryset()
        page = self.paginator.paginate_rows(communes, request, _commune_rows, view=self)
        return self.get_paginated_response(communes_represented(page))


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
    # Declared: the model field's bounds come from the database (a small integer on PostgreSQL,
    # 64 bits on SQLite), which made the committed schema differ between the two.
    erp_category = serializers.ChoiceField(choices=ErpCategory.choices, allow_null=True)
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


SITE_COLUMNS = (
    "id",
    "name",
    "owner__name",
    "description",
    "street_number",
    "street_number_suffix",
    "street_name",
    "address_complement",
    "postcode",
    "commune_id",
    "commune__name",
    "latitude",
    "longitude",
    "domain",
    "is_erp",
    "erp_types",
    "erp_category",
    "max_occupancy",
    "step_free_entrance",
    "entrance_width_cm",
    "has_lift",
    "accessible_toilets",
    "accessible_parking",
    "hearing_loop",
    "public_transport_nearby",
    "accessibility_notes",
    "status",
    "space_count",
)
_ACCESSIBILITY = (
    "step_free_entrance",
    "entrance_width_cm",
    "has_lift",
    "accessible_toilets",
    "accessible_parking",
    "hearing_loop",
    "public_transport_nearby",
)


def site_rows(sites: QuerySet[Site]) -> QuerySet:
    """The columns `sites_represented` needs, with the queryset's filters and ordering."""
    return sites.values(*SITE_COLUMNS)


def sites_represented(rows: Sequence[dict]) -> list[dict]:
    """What `SiteOutputSerializer(sites, many=True).data` gives, from `site_rows()`."""
    latitude = converter(SiteOutputSerializer, "latitude")
    longitude = converter(SiteOutputSerializer, "longitude")
    erp_types = converter(SiteOutputSerializer, "erp_types")
    url = url_of("spaces:site-detail")
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "owner": row["owner__name"],
            "description": row["description"],
            "address": {
                "street_number": row["street_number"],
                "street_number_suffix": row["street_number_suffix"],
                "street_name": row["street_name"],
                "address_complement": row["address_complement"],
                "postcode": row["postcode"],
                "commune_insee_code": row["commune_id"],
                "commune": row["commune__name"],
            },
            "latitude": latitude(row["latitude"]),
            "longitude": longitude(row["longitude"]),
            "domain": row["domain"],
            "is_erp": row["is_erp"],
            "erp_types": erp_types(row["erp_types"]),
            "erp_category": row["erp_category"],
            "max_occupancy": row["max_occupancy"],
            "accessibility": {
                **{name: row[name] for name in _ACCESSIBILITY},
                "notes": row["accessibility_notes"],
            },
            "status": row["status"],
            "space_count": row["space_count"],
            "url": url(row["id"]),
        }
        for row in rows
    ]


class SiteListApi(generics.ListAPIView):
    """Sites (buildings) of the catalogue."""

    serializer_class = SiteOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return catalogue_sites(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginator.paginate_rows(self.get_queryset(), request, site_rows, view=self)
        return self.get_paginated_response(sites_represented(page))


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


SPACE_COLUMNS = (
    "id",
    "name",
    "site_id",
    "site__name",
    "site__commune__name",
    "site__commune_id",
    "kind",
    "floor",
    "surface_m2",
    "capacity",
    "description",
    "bookable",
    "allocatable",
    "status",
    "vacant_since",
    "reference_rent",
)


def space_rows(spaces: QuerySet[Space]) -> QuerySet:
    """The columns `spaces_represented` needs, with the queryset's filters and ordering."""
    return spaces.select_related(None).prefetch_related(None).values(*SPACE_COLUMNS)


def spaces_represented(rows: Sequence[dict]) -> list[dict]:
    """What `SpaceOutputSerializer(spaces, many=True).data` gives, from `space_rows()`."""
    ids = [row["id"] for row in rows]
    amenities: dict[int, list[str]] = defaultdict(list)
    photos: dict[int, list[dict[str, str]]] = defaultdict(list)
    if ids:
        through = Space.amenities.through.objects.filter(space_id__in=ids)
        for space_id, name in through.order_by("amenity__name", "amenity_id").values_list(
            "space_id", "amenity__name"
        ):
            amenities[space_id].append(name)
        storage = Photo._meta.get_field("image").storage
        for space_id, image, alt_text in (
            Photo.objects.filter(space_id__in=ids)
            .order_by("position", "pk")
            .values_list("space_id", "image", "alt_text")
        ):
            photos[space_id].append({"url": storage.url(image), "alt": alt_text})
    surface = converter(SpaceOutputSerializer, "surface_m2")
    rent = converter(SpaceOutputSerializer, "reference_rent")
    vacant = converter(SpaceOutputSerializer, "vacant_since")
    url = url_of("spaces:space-detail")
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "site": {
                "id": row["site_id"],
                "name": row["site__name"],
                "commune": row["site__commune__name"],
                "commune_insee_code": row["site__commune_id"],
            },
            "kind": row["kind"],
            "floor": row["floor"],
            "surface_m2": surface(row["surface_m2"]),
            "capacity": row["capacity"],
            "amenities": amenities[row["id"]],
            "description": row["description"],
            "bookable": row["bookable"],
            "allocatable": row["allocatable"],
            "status": row["status"],
            "vacant_since": vacant(row["vacant_since"]),
            "is_vacant": row["vacant_since"] is not None,
            "reference_rent": rent(row["reference_rent"]),
            "photos": photos[row["id"]],
            "url": url(row["id"]),
        }
        for row in rows
    ]


class SpaceListApi(generics.ListAPIView):
    """Spaces of the catalogue, with the catalogue's filters."""

    serializer_class = SpaceOutputSerializer
    filterset_class = SpaceFilter

    def get_queryset(self):
        return catalogue_spaces(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        spaces = self.filter_queryset(self.get_queryset())
        page = self.paginator.paginate_rows(spaces, request, space_rows, view=self)
        return self.get_paginated_response(spaces_represented(page))


class SpaceDetailApi(APIView):
    @extend_schema(responses=SpaceOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(catalogue_spaces(request.user), pk=pk)
        return Response(SpaceOutputSerializer(space).data)
