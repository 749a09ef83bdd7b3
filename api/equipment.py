"""Equipment API (issue 16): what a site lends with its rooms and its stock; its managers add
items and change them (not below what bookings to come hold: 400 naming `stock`). Quantities are
asked for with a booking (`equipment` of POST /bookings/) and returned on it."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import SingleLineField
from api.pagination import PaginatedListMixin
from bookings.models import MAX_STOCK, Equipment
from bookings.selectors.equipment import (
    equipment_manageable_by,
    equipment_of_site,
    equipment_offered,
)
from bookings.services.equipment import equipment_create, equipment_update
from spaces.selectors import catalogue_sites, sites_manageable_by, spaces_visible_to


class EquipmentOutputSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="site_id")

    class Meta:
        model = Equipment
        fields = ["id", "site", "name", "stock"]


class EquipmentInputSerializer(serializers.Serializer):
    name = SingleLineField(max_length=100)
    stock = serializers.IntegerField(
        min_value=0,
        max_value=MAX_STOCK,
        help_text="How many can be lent at the same time; 0: no longer offered. Not below what "
        "bookings to come hold at the same moment.",
    )

    class Meta:
        ref_name = "EquipmentInput"


class SiteEquipmentListCreateApi(PaginatedListMixin, APIView):
    """GET: the equipment of a site of the catalogue, by name (stock 0 included). POST: add an
    item (those who manage the site; others get 404)."""

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(responses=EquipmentOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(catalogue_sites(request.user), pk=pk)
        return self.paginated_response(equipment_of_site(site=site), EquipmentOutputSerializer)

    @extend_schema(request=EquipmentInputSerializer, responses={201: EquipmentOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        data = EquipmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = equipment_create(actor=request.user, site=site, **data.validated_data)
        return Response(EquipmentOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class SpaceEquipmentListApi(PaginatedListMixin, APIView):
    """GET: what a request for this space may ask for: its site's equipment in stock, by name."""

    @extend_schema(responses=EquipmentOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        space = get_object_or_404(spaces_visible_to(request.user), pk=pk)
        return self.paginated_response(
            equipment_offered(space_id=space.pk), EquipmentOutputSerializer
        )


class EquipmentDetailApi(APIView):
    """PATCH: rename an item or change its stock (those who manage its site; others get 404)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=EquipmentInputSerializer(partial=True), responses=EquipmentOutputSerializer
    )
    def patch(self, request: Request, pk: int) -> Response:
        item = get_object_or_404(equipment_manageable_by(request.user), pk=pk)
        data = EquipmentInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {"name": item.name, "stock": item.stock, **data.validated_data}
        equipment_update(actor=request.user, equipment=item, **values)
        return Response(EquipmentOutputSerializer(item).data)
