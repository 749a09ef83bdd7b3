"""API of the premises inventory: communes, sites, spaces (catalogue filters included); sites
and spaces written by the people who manage them, and the opening hours of a space.

Writes go through `spaces.services` (site_save, space_save, space_set_opening_hours), which
check the actor and every rule: a view only reads the body's types, resolves its ids through
the permission querysets and answers the object as the detail shows it.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation, OrganisationKind, User
from api.fields import IdField, LocalTimeField, SingleLineField
from api.plain import converter
from core.collation import french
from core.compiled import CompiledQuery
from core.links import url_of
from spaces import services
from spaces.filters import SpaceFilter
from spaces.forms import SiteForm, SpaceForm
from spaces.models import (
    Amenity,
    BufferMinutes,
    Commune,
    ErpCategory,
    ErpType,
    Photo,
    Site,
    Space,
    Weekday,
)
from spaces.selectors import (
    catalogue_sites,
    catalogue_spaces,
    communes_in_territory,
    site_owners_for,
    sites_manageable_by,
    sites_visible_to,
    space_detail,
    spaces_manageable_by,
)

FORBIDDEN_TO_LIST = OpenApiResponse(
    {"$ref": "#/components/schemas/Error"},
    description="Not signed in, the CSRF token is missing, or the user may create no such "
    "object (not the staff of a public body for a site; managing no site for a space).",
)


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


class SiteInputSerializer(serializers.ModelSerializer):
    """A site as the management form writes it; the service validates the whole (territory,
    postcode of the commune, owner)."""

    owner = IdField(
        help_text="Id of the organisation that owns the building: a public body you belong to "
        "(any for the intercommunality)."
    )
    commune = SingleLineField(
        max_length=5, help_text="INSEE code of the commune (address.commune_insee_code)."
    )
    erp_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ErpType.choices),
        max_length=len(ErpType),
        required=False,
        help_text="The main activity type first.",
    )
    # Declared, not derived: a model's small integer takes its bounds from the database, and
    # the committed schema must be the same on SQLite and PostgreSQL.
    erp_category = serializers.ChoiceField(
        choices=ErpCategory.choices, allow_null=True, required=False
    )

    class Meta:
        model = Site
        fields = SiteForm.Meta.fields
        ref_name = "SiteInput"


def _site_fill(site: Site, values: dict, *, user: User) -> Site:
    """Put the validated `values` on `site`; the owner and the commune are looked up through
    what the user may choose (another's id reads as one that does not exist)."""
    values = dict(values)
    if "owner" in values:
        owners = site_owners_for(user)
        if site.owner_id is not None:  # a facilities manager keeps the owner of the site
            owners = owners | Organisation.objects.filter(pk=site.owner_id)
        owner = owners.filter(pk=values.pop("owner")).first()
        if owner is None:
            raise DrfValidationError(
                {"owner": [_("You cannot list premises on behalf of this organisation.")]}
            )
        site.owner = owner
    if "commune" in values:
        commune = Commune.objects.filter(pk=values.pop("commune")).first()
        if commune is None:
            raise DrfValidationError(
                {
                    "commune": [
                        _("This commune is not part of the territory covered by the platform.")
                    ]
                }
            )
        site.commune = commune
    for name, value in values.items():
        setattr(site, name, value)
    return site


def _site_output(user: User, pk: int) -> dict:
    """The site as its detail shows it, read through what the user sees (a site the user
    closed is still theirs to read here)."""
    site = (
        sites_visible_to(user)
        .select_related("commune", "owner")
        .annotate(space_count=Count("spaces"))
        .get(pk=pk)
    )
    return SiteOutputSerializer(site).data


class MayListSites(BasePermission):
    """Creating a site is for the staff of a public body (the intercommunality, a commune…),
    as the "New site" page is."""

    # fr: Seul le personnel d’un organisme public peut déclarer des locaux.
    message = gettext_lazy("Only the staff of a public body may list premises.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method != "POST" or site_owners_for(request.user).exists()


class SiteListApi(generics.ListAPIView):
    """GET: sites (buildings) of the catalogue. POST: list a new site (the staff of a public
    body, for their organisation; the intercommunality, for any public body)."""

    serializer_class = SiteOutputSerializer
    filter_backends: list = []

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated(), MayListSites()]
        return super().get_permissions()

    def get_queryset(self):
        return catalogue_sites(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginator.paginate_rows(self.get_queryset(), request, site_rows, view=self)
        return self.get_paginated_response(sites_represented(page))

    @extend_schema(
        request=SiteInputSerializer,
        responses={201: SiteOutputSerializer, 403: FORBIDDEN_TO_LIST},
    )
    def post(self, request: Request) -> Response:
        data = SiteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = _site_fill(Site(), data.validated_data, user=request.user)
        services.site_save(site=site, actor=request.user)
        return Response(_site_output(request.user, site.pk), status=status.HTTP_201_CREATED)


class SiteDetailApi(APIView):
    """GET: a site of the catalogue. PATCH: change the fields sent (those who manage the site:
    its owner's staff, its facilities managers, the intercommunality; others get 404)."""

    def get_permissions(self) -> list:
        if self.request.method == "PATCH":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=SiteOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(catalogue_sites(request.user), pk=pk)
        return Response(SiteOutputSerializer(site).data)

    @extend_schema(request=SiteInputSerializer(partial=True), responses=SiteOutputSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        data = SiteInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.site_save(
            site=_site_fill(site, data.validated_data, user=request.user), actor=request.user
        )
        return Response(_site_output(request.user, site.pk))


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


def _amenities_of(ids: Iterable[int]) -> QuerySet:
    through = Space.amenities.through.objects.filter(space_id__in=ids)
    return through.order_by("amenity__name", "amenity_id").values("space_id", "amenity__name")


def _photos_of(ids: Iterable[int]) -> QuerySet:
    photos = Photo.objects.filter(space_id__in=ids).order_by("position", "pk")
    return photos.values("space_id", "image", "alt_text")


# The page's equipment and photos read by SQL compiled once per process (core.compiled), for a
# page of up to 50 spaces (the default size) and of up to 200 (the largest): the page's ids
# padded to that count with its first id (IN ignores a repeated value), each one a placeholder.
_ID_COUNTS = (50, 200)
_by_ids = {
    (of, count): CompiledQuery(
        lambda of=of, **ids: of(ids.values()), **{f"id_{i}": int for i in range(count)}
    )
    for of in (_amenities_of, _photos_of)
    for count in _ID_COUNTS
}


def _rows_of(of: Callable[[Iterable[int]], QuerySet], ids: list[int]) -> list[dict]:
    """`of(ids)`'s rows, from the compiled SQL for a page's count of ids."""
    count = next((count for count in _ID_COUNTS if len(ids) <= count), None)
    if count is None:
        return list(of(ids))
    padded = ids + ids[:1] * (count - len(ids))
    return _by_ids[of, count].run(**{f"id_{i}": pk for i, pk in enumerate(padded)})


def spaces_represented(rows: Sequence[dict]) -> list[dict]:
    """What `SpaceOutputSerializer(spaces, many=True).data` gives, from `space_rows()`."""
    ids = [row["id"] for row in rows]
    amenities: dict[int, list[str]] = defaultdict(list)
    photos: dict[int, list[dict[str, str]]] = defaultdict(list)
    if ids:
        for row in _rows_of(_amenities_of, ids):
            amenities[row["space_id"]].append(row["amenity__name"])
        storage = Photo._meta.get_field("image").storage
        for row in _rows_of(_photos_of, ids):
            photos[row["space_id"]].append(
                {"url": storage.url(row["image"]), "alt": row["alt_text"]}
            )
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


class SpaceInputSerializer(serializers.ModelSerializer):
    """A space as the management form writes it; the service validates the whole."""

    amenities = serializers.ListField(
        child=SingleLineField(max_length=100),
        max_length=200,
        required=False,
        help_text="Names of the equipment, as the space's `amenities` lists them (the "
        "intercommunality keeps the list).",
    )
    allowed_organisation_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=OrganisationKind.choices),
        max_length=len(OrganisationKind),
        required=False,
    )
    # Declared for the same reason as the site's ERP category.
    buffer_minutes = serializers.ChoiceField(choices=BufferMinutes.choices, required=False)

    class Meta:
        model = Space
        fields = SpaceForm.Meta.fields
        ref_name = "SpaceInput"


class SpaceCreateInputSerializer(SpaceInputSerializer):
    site = IdField(help_text="Id of a site you manage.")

    class Meta(SpaceInputSerializer.Meta):
        fields = ["site", *SpaceForm.Meta.fields]
        ref_name = "SpaceCreateInput"


def _space_fill(space: Space, values: dict) -> tuple[Space, list[Amenity] | None]:
    """Put the validated `values` on `space`; the equipment is named from the list."""
    values = dict(values)
    amenities = None
    if "amenities" in values:
        names = list(dict.fromkeys(values.pop("amenities")))
        amenities = list(Amenity.objects.filter(name__in=names))
        unknown = set(names) - {amenity.name for amenity in amenities}
        if unknown:
            raise DrfValidationError(
                {
                    "amenities": [
                        _("Unknown equipment: %(names)s.")  # fr: Équipement inconnu : %(names)s.
                        % {"names": ", ".join(sorted(unknown))}
                    ]
                }
            )
    for name, value in values.items():
        setattr(space, name, value)
    return space, amenities


def _space_output(user: User, pk: int) -> dict:
    return SpaceOutputSerializer(space_detail(user=user).get(pk=pk)).data


class MayAddSpaces(BasePermission):
    """Adding a space is for those who manage a site."""

    # fr: Vous ne gérez aucun site : vous ne pouvez pas ajouter d’espace.
    message = gettext_lazy("You manage no site: you cannot add a space.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method != "POST" or sites_manageable_by(request.user).exists()


class SpaceListApi(generics.ListAPIView):
    """GET: spaces of the catalogue, with the catalogue's filters. POST: add a space to a site
    you manage."""

    serializer_class = SpaceOutputSerializer
    filterset_class = SpaceFilter

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated(), MayAddSpaces()]
        return super().get_permissions()

    def get_queryset(self):
        return catalogue_spaces(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        spaces = self.filter_queryset(self.get_queryset())
        page = self.paginator.paginate_rows(spaces, request, space_rows, view=self)
        return self.get_paginated_response(spaces_represented(page))

    @extend_schema(
        request=SpaceCreateInputSerializer,
        responses={201: SpaceOutputSerializer, 403: FORBIDDEN_TO_LIST},
    )
    def post(self, request: Request) -> Response:
        data = SpaceCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        site = sites_manageable_by(request.user).filter(pk=values.pop("site")).first()
        if site is None:
            raise DrfValidationError(
                {"site": [_("This site does not exist.")]}  # fr: Ce site n’existe pas.
            )
        space, amenities = _space_fill(Space(site=site), values)
        services.space_save(space=space, actor=request.user, amenities=amenities)
        return Response(_space_output(request.user, space.pk), status=status.HTTP_201_CREATED)


class SpaceDetailApi(APIView):
    """GET: a space of the catalogue. PATCH: change the fields sent (those who manage its site;
    others get 404). A space stays on its site."""

    def get_permissions(self) -> list:
        if self.request.method == "PATCH":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=SpaceOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(catalogue_spaces(request.user), pk=pk)
        return Response(SpaceOutputSerializer(space).data)

    @extend_schema(request=SpaceInputSerializer(partial=True), responses=SpaceOutputSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(spaces_manageable_by(request.user), pk=pk)
        data = SpaceInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        space, amenities = _space_fill(space, data.validated_data)
        services.space_save(space=space, actor=request.user, amenities=amenities)
        return Response(_space_output(request.user, space.pk))


class OpeningWindowSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0 Monday … 6 Sunday.")
    opens = LocalTimeField(help_text="Local time of the site, e.g. 08:30.")
    closes = LocalTimeField(help_text="After `opens`, the same day.")


class OpeningHoursSerializer(serializers.Serializer):
    windows = OpeningWindowSerializer(
        many=True,
        max_length=100,
        help_text="The whole week; none: always open. Bookings must fit in a window.",
    )

    class Meta:
        ref_name = "OpeningHours"


def _opening_hours(space: Space) -> dict:
    windows = space.opening_hours.order_by("weekday", "opens", "pk")
    return OpeningHoursSerializer({"windows": windows}).data


class SpaceOpeningHoursApi(APIView):
    """The opening hours of a space you manage, in which bookings must fit. PUT replaces the
    whole week at once, as the "Opening hours" page does."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpeningHoursSerializer)
    def get(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(spaces_manageable_by(request.user), pk=pk)
        return Response(_opening_hours(space))

    @extend_schema(request=OpeningHoursSerializer, responses=OpeningHoursSerializer)
    def put(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(spaces_manageable_by(request.user), pk=pk)
        data = OpeningHoursSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        windows = [
            (window["weekday"], window["opens"], window["closes"])
            for window in data.validated_data["windows"]
        ]
        try:
            services.space_set_opening_hours(space=space, actor=request.user, windows=windows)
        except ValidationError as exc:
            # A window's own check (it closes after it opens), said of the list.
            raise DrfValidationError({"windows": exc.messages}) from exc
        return Response(_opening_hours(space))
