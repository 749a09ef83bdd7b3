"""Booking quotas API (issue 16): the quotas of a site, for those who manage it, who set,
change and remove them as on the site's quota page (`bookings:quota-list`), through the same
services (`bookings.services.quotas`). A request that would pass one is refused by
`POST /api/v1/bookings/` with a 400 saying which limit and what is used."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import structures_bookable_on_behalf
from api.fields import IdField
from api.pagination import PaginatedListMixin
from bookings import selectors
from bookings.models import BookingQuota
from bookings.models.quotas import MAX_MONTH_HOURS, MAX_PENDING, MAX_WEEK_HOURS
from bookings.services.quotas import quota_delete, quota_save
from spaces.models import SpaceKind
from spaces.selectors import sites_manageable_by


class QuotaOutputSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="site_id")
    organisation = serializers.IntegerField(
        source="organisation_id",
        allow_null=True,
        help_text="The structure it caps; null: each structure, each on its own.",
    )
    space_kind = serializers.CharField(help_text='The kind of space it caps; "": every space.')

    class Meta:
        model = BookingQuota
        fields = [
            "id",
            "site",
            "organisation",
            "space_kind",
            "max_hours_per_week",
            "max_hours_per_month",
            "max_pending",
        ]


class QuotaInputSerializer(serializers.Serializer):
    organisation = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A verified structure; null or absent: each structure, each on its own.",
    )
    space_kind = serializers.ChoiceField(
        choices=[("", "every space"), *SpaceKind.choices],
        required=False,
        default="",
        help_text='The kind of space it caps; "" or absent: every space of the site.',
    )
    max_hours_per_week = serializers.IntegerField(
        min_value=1, max_value=MAX_WEEK_HOURS, required=False, allow_null=True, default=None
    )
    max_hours_per_month = serializers.IntegerField(
        min_value=1, max_value=MAX_MONTH_HOURS, required=False, allow_null=True, default=None
    )
    max_pending = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PENDING,
        required=False,
        allow_null=True,
        default=None,
        help_text="Requests awaiting a decision at once.",
    )

    class Meta:
        ref_name = "QuotaInput"

    def validate_organisation(self, value: int | None):
        if value is None:
            return None
        organisation = structures_bookable_on_behalf().filter(pk=value).first()
        if organisation is None:
            raise DrfValidationError(_("No verified structure has this number."))
        return organisation


class SiteQuotaListApi(PaginatedListMixin, APIView):
    """GET: the booking quotas of a site. POST: set one; a quota of the same structure and kind
    of space is changed rather than doubled (200), a new one is added (201). The site's
    managers only; 404 for anyone else."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=QuotaOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        return self.paginated_response(selectors.quotas_of_site(site.pk), QuotaOutputSerializer)

    @extend_schema(
        request=QuotaInputSerializer,
        responses={200: QuotaOutputSerializer, 201: QuotaOutputSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        data = QuotaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organisation = values["organisation"]
        existing = selectors.quota_of(
            site_id=site.pk,
            space_kind=values["space_kind"],
            organisation_id=organisation.pk if organisation else None,
        )
        quota = quota_save(actor=request.user, site=site, quota=existing, **values)
        created = existing is None
        return Response(
            QuotaOutputSerializer(quota).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class QuotaDetailApi(APIView):
    """PUT: replace a quota's structure, spaces and limits. DELETE: remove it (what is already
    booked stays). Those who manage its site; others get 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=QuotaInputSerializer, responses=QuotaOutputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        quota = get_object_or_404(
            selectors.quotas_manageable_by(request.user).select_related("site"), pk=pk
        )
        data = QuotaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quota = quota_save(actor=request.user, site=quota.site, quota=quota, **data.validated_data)
        return Response(QuotaOutputSerializer(quota).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        quota = get_object_or_404(selectors.quotas_manageable_by(request.user), pk=pk)
        quota_delete(actor=request.user, quota=quota)
        return Response(status=status.HTTP_204_NO_CONTENT)
