"""Payment channels API: how each organisation collects its fees (card, public accountant, free),
set up by its administrators or the intercommunality, as the "Payment channels" pages do.

Writes go through `payments.services.tariffs` (channel_set, channel_set_active): the same
permission check, the same rules, the same field history (which never holds the secrets).
An organisation has one channel, so the channel is addressed by its organisation.

The Stripe secret key and the webhook signing secret are write-only: accepted by PUT and
PATCH, never answered. Like the page, the answer says whether each is set, its last four
characters and when it was entered; an empty or absent secret keeps the one entered before.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation, User
from api.actions import ServiceActionApi
from api.fields import MultiLineField, SingleLineField
from api.pagination import PaginatedListMixin
from core.validators import validate_single_line
from payments import selectors
from payments.models import ChannelKind, PaymentChannel, VatStatus
from payments.services.tariffs import channel_set, channel_set_active

# What a new channel starts from (the page's initial values).
DEFAULTS = {
    "kind": ChannelKind.PUBLIC_ACCOUNTING,
    "stripe_publishable_key": "",
    "finance_department": "",
    "payfip_url": "",
    "pay_within_hours": 48,
    "free_legal_basis": "",
    "vat_status": VatStatus.EXEMPT,
}
SECRETS = ("stripe_secret_key", "stripe_webhook_secret")
KEY_PREFIXES = {
    "stripe_publishable_key": (("pk_",), _("A Stripe publishable key starts with pk_.")),
    "stripe_secret_key": (("sk_", "rk_"), _("A Stripe secret key starts with sk_ or rk_.")),
    "stripe_webhook_secret": (("whsec_",), _("A Stripe webhook secret starts with whsec_.")),
}


def _secret_end(value: str) -> str:
    """The last four characters, as the page shows them; nothing for a secret too short to
    keep the rest hidden."""
    return value[-4:] if len(value) >= 12 else ""


class PaymentChannelSerializer(serializers.ModelSerializer):
    has_stripe_secret_key = serializers.SerializerMethodField()
    stripe_secret_key_end = serializers.SerializerMethodField(
        help_text="The last four characters of the secret key (the key itself is never shown)."
    )
    has_stripe_webhook_secret = serializers.SerializerMethodField()
    stripe_webhook_secret_end = serializers.SerializerMethodField(
        help_text="The last four characters of the webhook secret."
    )
    stripe_ready = serializers.BooleanField(
        help_text="Card payments can be taken: card channel, active, every key entered."
    )
    # A string, not `format: uri`: empty when none is entered.
    payfip_url = serializers.CharField(help_text="The PayFiP payment page; empty: none.")

    class Meta:
        model = PaymentChannel
        fields = [
            "kind",
            "is_active",
            "stripe_ready",
            "stripe_publishable_key",
            "has_stripe_secret_key",
            "stripe_secret_key_end",
            "stripe_secret_key_set_at",
            "has_stripe_webhook_secret",
            "stripe_webhook_secret_end",
            "stripe_webhook_secret_set_at",
            "finance_department",
            "payfip_url",
            "pay_within_hours",
            "free_legal_basis",
            "vat_status",
            "vat_rate_basis_points",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_has_stripe_secret_key(self, channel: PaymentChannel) -> bool:
        return bool(channel.stripe_secret_key)

    def get_stripe_secret_key_end(self, channel: PaymentChannel) -> str:
        return _secret_end(channel.stripe_secret_key)

    def get_has_stripe_webhook_secret(self, channel: PaymentChannel) -> bool:
        return bool(channel.stripe_webhook_secret)

    def get_stripe_webhook_secret_end(self, channel: PaymentChannel) -> str:
        return _secret_end(channel.stripe_webhook_secret)


class PaymentChannelRowSerializer(serializers.Serializer):
    """An organisation whose channel the user may set up, with its channel (null: none yet)."""

    owner = serializers.IntegerField(source="pk", help_text="The organisation's id.")
    owner_name = serializers.CharField(source="name")
    fee_route = serializers.SerializerMethodField(
        help_text="How its fees are collected now: card, invoice (the public accountant, or "
        "the fallback of a card channel that cannot take cards), free, or none."
    )
    channel = serializers.SerializerMethodField()

    class Meta:
        ref_name = "PaymentChannelRow"

    def get_fee_route(self, owner: Organisation) -> str:
        return selectors.fee_route_of(getattr(owner, "payment_channel", None))

    @extend_schema_field(PaymentChannelSerializer(allow_null=True))
    def get_channel(self, owner: Organisation) -> dict | None:
        channel = getattr(owner, "payment_channel", None)
        return None if channel is None else PaymentChannelSerializer(channel).data


class SecretField(serializers.CharField):
    """A secret in a request body: write-only, single-line, never repeated in an error."""

    def __init__(self, **kwargs) -> None:
        kwargs.update(write_only=True, required=False, allow_blank=True, max_length=255)
        super().__init__(**kwargs)
        self.validators.append(validate_single_line)


class PaymentChannelInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    stripe_publishable_key = SingleLineField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="Starts with pk_; used by the payment page in the requester's browser.",
    )
    stripe_secret_key = SecretField(
        help_text="Starts with sk_ or rk_. Write-only; empty or absent keeps the key already "
        "entered."
    )
    stripe_webhook_secret = SecretField(
        help_text="Starts with whsec_. Write-only; empty or absent keeps the secret already "
        "entered."
    )
    finance_department = SingleLineField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Who issues the invoices (titres de recettes). For a card channel, it means "
        "its fees are invoiced while cards cannot be taken.",
    )
    payfip_url = serializers.URLField(
        max_length=200, required=False, allow_blank=True, validators=[validate_single_line]
    )
    pay_within_hours = serializers.IntegerField(
        min_value=1,
        max_value=24 * 14,
        required=False,
        help_text="Time to pay after approval when the card could not be held (hours).",
    )
    free_legal_basis = MultiLineField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Required for a free channel: e.g. CG3P L2125-1-2, council decision no. …",
    )
    vat_status = serializers.ChoiceField(choices=VatStatus.choices)

    class Meta:
        ref_name = "PaymentChannelInput"

    def validate(self, data: dict) -> dict:
        errors = {}
        for name, (prefixes, message) in KEY_PREFIXES.items():
            value = data.get(name) or ""
            if value and (not value.startswith(prefixes) or any(c.isspace() for c in value)):
                errors[name] = [message]
        if errors:
            raise serializers.ValidationError(errors)
        return data


def _owners(user: User) -> QuerySet[Organisation]:
    return selectors.channel_owners_for(user)


def _row(owner: Organisation) -> dict:
    return PaymentChannelRowSerializer(owner).data


class PaymentChannelListApi(PaginatedListMixin, APIView):
    """The organisations whose payment channel you may set up (their administrators, the
    intercommunality), each with its channel or null, by name."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PaymentChannelRowSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated_response(_owners(request.user), PaymentChannelRowSerializer)


class OrganisationPaymentChannelApi(APIView):
    """The payment channel of an organisation you may set up (others get 404). PUT sets it
    (created the first time: 201), as the page's form does; PATCH changes only the fields sent.
    There is no DELETE: a channel is deactivated (…/activation/)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PaymentChannelRowSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_row(get_object_or_404(_owners(request.user), pk=pk)))

    @extend_schema(
        request=PaymentChannelInputSerializer,
        responses={200: PaymentChannelRowSerializer, 201: PaymentChannelRowSerializer},
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._save(request, pk, partial=False)

    @extend_schema(
        request=PaymentChannelInputSerializer(partial=True), responses=PaymentChannelRowSerializer
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._save(request, pk, partial=True)

    def _save(self, request: Request, pk: int, *, partial: bool) -> Response:
        owner = get_object_or_404(_owners(request.user), pk=pk)
        current = getattr(owner, "payment_channel", None)
        data = PaymentChannelInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        # Unsent fields: as they are (PATCH), or as a new channel starts (PUT).
        base = (
            {name: getattr(current, name) for name in DEFAULTS}
            if partial and current is not None
            else dict(DEFAULTS)
        )
        values = {**base, **data.validated_data}
        kind = values.pop("kind")
        channel_set(owner=owner, kind=kind, actor=request.user, **values)
        owner = get_object_or_404(_owners(request.user), pk=pk)
        answer = status.HTTP_200_OK if current is not None else status.HTTP_201_CREATED
        return Response(_row(owner), status=answer)


class ChannelActivationSerializer(serializers.Serializer):
    active = serializers.BooleanField(
        help_text="false: deactivate (its fees are stated, no longer collected); true: reactivate."
    )

    class Meta:
        ref_name = "PaymentChannelActivation"


class OrganisationPaymentChannelActivationApi(ServiceActionApi):
    """Deactivate or reactivate the payment channel of an organisation you may set up (404
    when it has none)."""

    InputSerializer = ChannelActivationSerializer
    responses = PaymentChannelRowSerializer

    @staticmethod
    def scope(user: User) -> QuerySet[Organisation]:
        return _owners(user).filter(payment_channel__isnull=False)

    @staticmethod
    def output(user: User, pk: int) -> dict:
        return _row(get_object_or_404(_owners(user), pk=pk))

    def perform(self, target: Organisation, *, actor: User, values: dict) -> None:
        channel_set_active(owner=target, active=values["active"], actor=actor)
