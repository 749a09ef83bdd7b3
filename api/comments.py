"""A booking's or an application's conversation through the API: its messages, oldest first,
and writing one (`/bookings/<id>/messages/`, `/applications/<id>/messages/`).

As the booking's page (bookings/views/comments.py), through `bookings.services`
(booking_comment_post) and `bookings.selectors` (booking_comments). Who sees the booking
(its structure's members, those who may decide on it) reads and writes; anyone else gets 404.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import MultiLineField
from api.pagination import PaginatedListMixin
from bookings import selectors, services
from bookings.models import COMMENT_MAX_LENGTH, BookingComment
from calls import selectors as calls_selectors
from calls import services as calls_services
from calls.models import Application, ApplicationComment
from calls.permissions import application_comment_side


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


# --- An application's conversation (calls) ---


class ApplicationCommentOutputSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField(help_text="The author's name.")

    class Meta:
        model = ApplicationComment
        fields = ["id", "author", "side", "body", "created_at"]


class ApplicationCommentListCreateApi(PaginatedListMixin, APIView):
    """GET: the messages of an application, oldest first. POST: write one (201); the other
    side is told by e-mail and in their notifications. Only the applicant structure's members
    and those who decide on the call's applications, once it was sent: a draft, a reviewer
    who does not decide and anyone else get 404."""

    permission_classes = [IsAuthenticated]

    def _application(self, request: Request, pk: int) -> Application:
        application = get_object_or_404(
            calls_selectors.applications_visible_to(request.user), pk=pk
        )
        try:
            application_comment_side(actor=request.user, application=application)
        except PermissionDenied as exc:
            raise NotFound from exc
        return application

    @extend_schema(responses=ApplicationCommentOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        application = self._application(request, pk)
        return self.paginated_response(
            calls_selectors.application_comments(application=application),
            ApplicationCommentOutputSerializer,
        )

    @extend_schema(
        request=BookingCommentInputSerializer, responses={201: ApplicationCommentOutputSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        application = self._application(request, pk)
        data = BookingCommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = calls_services.application_comment_post(
            application=application, actor=request.user, body=data.validated_data["body"]
        )
        return Response(
            ApplicationCommentOutputSerializer(comment).data, status=status.HTTP_201_CREATED
        )
