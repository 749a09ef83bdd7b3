"""Outgoing webhooks API: an organisation's administrators (or the intercommunality) register,
change, pause, resume and delete its endpoints, renew their signing secret, read their delivery
log and send an event again, through `integrations.services` as the webhook pages do.

(The incoming Stripe webhook is `api/webhooks.py`: another thing.)

The signing secret is in the answer to the request that made it (creation, rotation) and never
again: not in the list, the detail or the answer to a change; those two answers are not cached.
The address goes through the same guard as on the pages (`integrations.addresses`): https only,
public addresses only, a 400 on `url` otherwise.
"""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import organisations_manageable_by
from api.fields import IdField, SingleLineField
from api.pagination import PaginatedListMixin
from core.validators import validate_single_line
from integrations import services
from integrations.models import EventType, WebhookDelivery, WebhookEndpoint
from integrations.selectors import (
    deliveries_manageable_by,
    deliveries_of,
    endpoints_manageable_by,
)

NO_STORE = {"Cache-Control": "no-store"}


class WebhookEndpointOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        help_text="The event types sent to the address.",
    )
    paused = serializers.SerializerMethodField(
        help_text="Nothing is sent while paused (by its owner, or after repeated failures); "
        "events are still recorded, and leave when it is resumed."
    )
    page_url = serializers.CharField(
        source="get_absolute_url", help_text="The webhook's page on the site."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "organisation",
            "url",
            "description",
            "events",
            "paused",
            "paused_at",
            "consecutive_failures",
            "created_at",
            "page_url",
        ]

    def get_paused(self, endpoint: WebhookEndpoint) -> bool:
        return endpoint.paused_at is not None


class WebhookEndpointSecretSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_…`), shown in this answer only: keep it now."
    )

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = [*WebhookEndpointOutputSerializer.Meta.fields, "secret"]


class WebhookEndpointInputSerializer(serializers.Serializer):
    organisation = IdField(
        help_text="An organisation you administer (any, for the intercommunality's people)."
    )
    url = serializers.URLField(
        max_length=WebhookEndpoint._meta.get_field("url").max_length,
        validators=[validate_single_line],
        help_text="An https address whose host resolves to public addresses only.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        max_length=len(EventType.values),
        help_text="At least one event type.",
    )
    description = SingleLineField(
        max_length=WebhookEndpoint._meta.get_field("description").max_length,
        required=False,
        allow_blank=True,
        default="",
    )

    class Meta:
        ref_name = "WebhookEndpointInput"


class WebhookEndpointChangeSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=WebhookEndpoint._meta.get_field("url").max_length,
        validators=[validate_single_line],
        required=False,
        help_text="An https address whose host resolves to public addresses only.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        max_length=len(EventType.values),
        required=False,
        help_text="At least one event type (replaces the list).",
    )
    description = SingleLineField(
        max_length=WebhookEndpoint._meta.get_field("description").max_length,
        required=False,
        allow_blank=True,
    )
    paused = serializers.BooleanField(
        required=False,
        help_text="true: pause the deliveries (events are kept); false: resume them, the "
        "waiting events first.",
    )

    class Meta:
        ref_name = "WebhookEndpointChange"


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    endpoint = serializers.IntegerField(source="endpoint_id")
    event_type = serializers.ChoiceField(choices=EventType.choices)
    response_ms = serializers.IntegerField(
        allow_null=True, help_text="How long the receiver took to answer, in milliseconds."
    )
    last_error = serializers.CharField(
        help_text="Why the last attempt failed (the error, or the first characters of the "
        "answer); empty once delivered."
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "response_ms",
            "last_error",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "created_at",
        ]


def _endpoint(request: Request, pk: int) -> WebhookEndpoint:
    return get_object_or_404(endpoints_manageable_by(request.user), pk=pk)


class WebhookEndpointListCreateApi(PaginatedListMixin, APIView):
    """GET: the webhooks of the organisations you administer (every one for the
    intercommunality). POST: register one; its signing secret is in this answer only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WebhookEndpointOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        endpoints = endpoints_manageable_by(request.user).order_by("organisation_id", "pk")
        return self.paginated_response(endpoints, WebhookEndpointOutputSerializer)

    @extend_schema(
        request=WebhookEndpointInputSerializer, responses={201: WebhookEndpointSecretSerializer}
    )
    def post(self, request: Request) -> Response:
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organisation = (
            organisations_manageable_by(request.user).filter(pk=values.pop("organisation")).first()
        )
        if organisation is None:
            raise DrfValidationError(
                # fr: Choisissez une organisation dont vous êtes administrateur.
                {"organisation": [_("Choose an organisation you administer.")]}
            )
        endpoint = services.endpoint_create(actor=request.user, organisation=organisation, **values)
        return Response(
            WebhookEndpointSecretSerializer(endpoint).data,
            status=status.HTTP_201_CREATED,
            headers=NO_STORE,
        )


class WebhookEndpointDetailApi(APIView):
    """GET: a webhook (without its secret). PATCH: change its address, events or description,
    pause or resume it. DELETE: delete it and its delivery log. Its organisation's
    administrators and the intercommunality only; others get 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WebhookEndpointOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookEndpointOutputSerializer(_endpoint(request, pk)).data)

    @extend_schema(
        request=WebhookEndpointChangeSerializer, responses=WebhookEndpointOutputSerializer
    )
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = _endpoint(request, pk)
        data = WebhookEndpointChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with transaction.atomic():
            if values.keys() & {"url", "events", "description"}:
                services.endpoint_update(
                    actor=request.user,
                    endpoint=endpoint,
                    url=values.get("url", endpoint.url),
                    events=values.get("events", endpoint.events),
                    description=values.get("description", endpoint.description),
                )
            if values.get("paused") is True:
                services.endpoint_pause(actor=request.user, endpoint=endpoint)
            elif values.get("paused") is False:
                services.endpoint_resume(actor=request.user, endpoint=endpoint)
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.endpoint_delete(actor=request.user, endpoint=_endpoint(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretApi(APIView):
    """POST: give the webhook a new signing secret, in this answer only. Deliveries sent from
    now on, retries included, are signed with it; the old one stops at once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=WebhookEndpointSecretSerializer)
    def post(self, request: Request, pk: int) -> Response:
        endpoint = _endpoint(request, pk)
        # The service sets `endpoint.secret` too: the answer shows the new one, once.
        services.endpoint_secret_rotate(actor=request.user, endpoint=endpoint)
        return Response(WebhookEndpointSecretSerializer(endpoint).data, headers=NO_STORE)


class WebhookDeliveryListApi(PaginatedListMixin, APIView):
    """GET: the webhook's deliveries, newest first: one per event and attempt series (a replay
    is a row of its own, with the same event id)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WebhookDeliveryOutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        endpoint = _endpoint(request, pk)
        return self.paginated_response(
            deliveries_of(endpoint=endpoint), WebhookDeliveryOutputSerializer
        )


class WebhookDeliveryReplayApi(APIView):
    """POST: send a delivered or failed event again, as a new delivery with the same event id
    and body (a receiver that had it ignores it); 400 if it is still waiting or under way."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: WebhookDeliveryOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(deliveries_manageable_by(request.user), pk=pk)
        replay = services.delivery_replay(actor=request.user, delivery=delivery)
        return Response(
            WebhookDeliveryOutputSerializer(replay).data, status=status.HTTP_201_CREATED
        )
