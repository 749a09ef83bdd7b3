"""Booking quotas API (issue 16), read-only: the quotas of a site, for those who manage it.
They are set on the site's quota page (`bookings:quota-list`); a request that would pass one is
refused by `POST /api/v1/bookings/` with a 400 saying which limit and what is used."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PaginatedListMixin
from bookings import selectors
from bookings.models import BookingQuota
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


class SiteQuotaListApi(PaginatedListMixin, APIView):
    """GET: the booking quotas of a site (its managers only; 404 for anyone else)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=QuotaOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        return self.paginated_response(selectors.quotas_of_site(site.pk), QuotaOutputSerializer)
