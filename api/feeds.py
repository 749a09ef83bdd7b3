"""Calendar subscriptions API: the user's ICS feeds (a space or a site they manage, one of their
organisations), as the Calendar subscriptions page offers them.

Creating and revoking go through `bookings.services` (calendar_feed_create,
calendar_feed_revoke), like the page. The feed's secret address is given once, in the answer to
its creation: the list names the feeds without it, so a token that only reads cannot copy an
address that would outlive it (docs/decisions.md, "Issue 14 — Calendar subscriptions and
documents in the API").
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField
from api.pagination import PaginatedListMixin
from bookings import ics, services
from bookings.models import CalendarFeed


class CalendarFeedOutputSerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField(
        help_text="The id of the space, site or organisation (as `scope` says)."
    )
    target_name = serializers.SerializerMethodField(help_text="What the calendar shows.")

    class Meta:
        model = CalendarFeed
        fields = ["id", "scope", "target", "target_name", "created_at"]

    def get_target(self, feed: CalendarFeed) -> int:
        return getattr(feed, f"{feed.scope}_id")

    def get_target_name(self, feed: CalendarFeed) -> str:
        return ics.feed_target_name(feed)


class CalendarFeedCreatedSerializer(CalendarFeedOutputSerializer):
    url = serializers.SerializerMethodField(
        help_text="The secret address to paste into a calendar application (no login: whoever "
        "has it reads the calendar until it is revoked). Given only here."
    )

    class Meta(CalendarFeedOutputSerializer.Meta):
        fields = [*CalendarFeedOutputSerializer.Meta.fields, "url"]

    def get_url(self, feed: CalendarFeed) -> str:
        return ics.feed_url(feed)


class CalendarFeedInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=CalendarFeed.Scope.choices)
    target = IdField(
        help_text="A space or a site the user manages, or one of the user's organisations."
    )

    class Meta:
        ref_name = "CalendarFeedInput"


class CalendarFeedListCreateApi(PaginatedListMixin, APIView):
    """GET: the user's subscriptions that still work, newest first. POST: a new one, with its
    secret address (201)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CalendarFeedOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        feeds = ics.calendar_feeds_of(user=request.user)
        return self.paginated_response(feeds, CalendarFeedOutputSerializer)

    @extend_schema(
        request=CalendarFeedInputSerializer, responses={201: CalendarFeedCreatedSerializer}
    )
    def post(self, request: Request) -> Response:
        data = CalendarFeedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scope, target_id = data.validated_data["scope"], data.validated_data["target"]
        target = ics.feed_targets_for(request.user)[scope].filter(pk=target_id).first()
        if target is None:
            raise DrfValidationError({"target": [_("You may not subscribe to this calendar.")]})
        feed = services.calendar_feed_create(user=request.user, scope=scope, target=target)
        feed = ics.calendar_feeds_of(user=request.user).get(pk=feed.pk)  # its target's names
        return Response(CalendarFeedCreatedSerializer(feed).data, status=status.HTTP_201_CREATED)


class CalendarFeedDetailApi(APIView):
    """DELETE: revoke the subscription (its creator only; others get 404): its address stops
    working at once. Revoking it again changes nothing (204 too)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        feed = get_object_or_404(CalendarFeed.objects.filter(created_by=request.user), pk=pk)
        services.calendar_feed_revoke(feed=feed, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
