"""A booking's conversation through the API: its messages, oldest first, and writing one.

As the booking's page (bookings/views/comments.py), through `bookings.services`
(booking_comment_post) and `bookings.selectors` (booking_comments). Who sees the booking
(its structure's members, those who may decide on it) reads and writes; anyone else gets 404.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import MultiLineField
from api.pagination import PaginatedListMixin
from bookings import selectors, services
from bookings.models import COMMENT_MAX_LENGTH, BookingComment


class BookingCommentOutputSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField(help_text="The author's name.")

    class Meta:
        model = BookingComment
        fields = ["id", "author", "side", "body", "created_at"]


class BookingCommentInputSerializer(serializers.Serializer):
    # Blank and too long are the service's to refuse, in its words (400 on "body").
    body = MultiLineField(
        allow_blank=True,
        help_text=f"The message: line breaks allowed, at most {COMMENT_MAX_LENGTH} characters.",
    )

    class Meta:
        ref_name = "BookingCommentInput"


class BookingCommentListCreateApi(PaginatedListMixin, APIView):
    """GET: the messages of a booking, oldest first. POST: write one (201); the other side is
    told by e-mail and in their notifications."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BookingCommentOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(selectors.bookings_visible_to(request.user), pk=pk)
        return self.paginated_response(
            selectors.booking_comments(booking=booking), BookingCommentOutputSerializer
        )

    @extend_schema(
        request=BookingCommentInputSerializer, responses={201: BookingCommentOutputSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(selectors.bookings_visible_to(request.user), pk=pk)
        data = BookingCommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.booking_comment_post(
            booking=booking, actor=request.user, body=data.validated_data["body"]
        )
        return Response(
            BookingCommentOutputSerializer(comment).data, status=status.HTTP_201_CREATED
        )
