"""Closures API: the closures of a site and of its spaces, for those who manage the site.

Writes go through `bookings.services` (closure_create, closure_delete), as the closures page
does: a closure that would hit bookings is a 409 listing them (the `BookingConflict` shape),
unless `cancel_bookings`, which cancels those dates with the closure's reason; a clash with
another closure or an agreement cannot be cancelled here (409 too).
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField, LocalDateTimeField, SingleLineField
from api.pagination import PaginatedListMixin
from api.schema import CONFLICT
from bookings import selectors, services
from bookings.models import Closure
from bookings.rules import Period
from spaces.selectors import sites_manageable_by, spaces_manageable_by


class ClosureOutputSerializer(serializers.ModelSerializer):
    site = serializers.SerializerMethodField(help_text="The site closed, or the site of the space.")
    space = serializers.IntegerField(
        source="space_id", allow_null=True, help_text="The space closed; null: the whole site."
    )

    class Meta:
        model = Closure
        fields = ["id", "site", "space", "start", "end", "reason", "created_at"]

    def get_site(self, closure: Closure) -> int:
        return closure.site_id if closure.site_id is not None else closure.space.site_id


class ClosureInputSerializer(serializers.Serializer):
    space = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A space of the site; absent or null: the whole site (its bookable spaces "
        "not held under an agreement).",
    )
    start = LocalDateTimeField()
    end = LocalDateTimeField(help_text="Exclusive; after `start`.")
    reason = SingleLineField(
        max_length=Closure._meta.get_field("reason").max_length,
        help_text="Shown on the calendars, and sent to the organisations whose bookings are "
        "cancelled.",
    )
    cancel_bookings = serializers.BooleanField(
        default=False,
        help_text="Cancel the booked dates the closure hits, with its reason (their "
        "organisations are told by e-mail). Without it, such dates are a 409.",
    )

    class Meta:
        ref_name = "ClosureInput"


class SiteClosureListCreateApi(PaginatedListMixin, APIView):
    """GET: the closures of a site and of its spaces not yet over, oldest first. POST: close
    the site or one of its spaces."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ClosureOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        closures = selectors.closures_of_site(site_id=site.pk, ending_after=timezone.now())
        return self.paginated_response(closures, ClosureOutputSerializer)

    @extend_schema(
        request=ClosureInputSerializer,
        responses={
            201: ClosureOutputSerializer,
            409: OpenApiResponse(
                CONFLICT.response,
                description="The closure would hit bookings (without `cancel_bookings`), "
                "other closures or agreements: the clashing periods.",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
        data = ClosureInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        space = None
        if values["space"] is not None:
            space = spaces_manageable_by(request.user).filter(pk=values["space"], site=site).first()
            if space is None:
                raise DrfValidationError({"space": [_("This space does not exist.")]})
        closure = services.closure_create(
            actor=request.user,
            period=Period(values["start"], values["end"]),
            reason=values["reason"],
            site=None if space is not None else site,
            space=space,
            cancel_bookings=values["cancel_bookings"],
        )
        closure.space = space  # the answer reads the space's site without a query
        return Response(ClosureOutputSerializer(closure).data, status=status.HTTP_201_CREATED)


class ClosureDetailApi(APIView):
    """DELETE: reopen the closed time (those who manage its site; others get 404). The
    closure stays in the site's history, with who removed it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        closure = get_object_or_404(selectors.closures_manageable_by(request.user), pk=pk)
        services.closure_delete(closure=closure, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
