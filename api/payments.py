"""Payments API: open and pay a booking's fee by card, follow a payment, refund it.

The card never reaches the API: the client creates a payment method with Stripe.js (or a
Stripe SDK) using the owner's publishable key, which the payment gives, and posts its id.
A declined card is a 402 with a message for the payer; a refund with nothing left is a 409.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from api.fields import IdField, MultiLineField
from api.schema import PAYMENT_REFUSED
from bookings.models import Booking
from bookings.selectors import bookings_of_requester
from core.validators import bounds_of, validate_single_line
from payments import selectors
from payments.forms import PAYMENT_METHOD_PATTERN
from payments.models import Payment, Refund
from payments.services import cards, deposits, refunds


class RefundSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField()
    reason = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class PaymentLogSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.CharField(source="actor.email", allow_null=True, default=None)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class PaymentOutputSerializer(serializers.ModelSerializer):
    title = serializers.CharField()
    booking = serializers.IntegerField(source="booking_id", allow_null=True)
    allocation = serializers.IntegerField(source="allocation_id", allow_null=True)
    owner = serializers.CharField(source="owner.name")
    publishable_key = serializers.SerializerMethodField()
    refundable_cents = serializers.IntegerField()
    refunds = RefundSerializer(many=True)
    log = PaymentLogSerializer(many=True)
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Payment
        fields = [
            "id",
            "title",
            "purpose",
            "booking",
            "allocation",
            "period_start",
            "period_end",
            "owner",
            "amount_cents",
            "currency",
            "price_rule",
            "status",
            "hold_first",
            "due_by",
            "captured_cents",
            "refunded_cents",
            "refundable_cents",
            "failure_message",
            "publishable_key",
            "refunds",
            "log",
            "url",
            "created_at",
        ]

    def get_publishable_key(self, payment: Payment) -> str:
        # The channel comes with the owner (`_payments`), not one query per payment of a list.
        channel = getattr(payment.owner, "payment_channel", None)
        return channel.stripe_publishable_key if channel and channel.stripe_ready else ""


class PaymentResultSerializer(PaymentOutputSerializer):
    client_secret = serializers.SerializerMethodField(
        help_text="Set when the bank asks for a 3-D Secure check: finish it with Stripe.js "
        "(handleNextAction), then POST …/refresh/."
    )

    class Meta(PaymentOutputSerializer.Meta):
        fields = [*PaymentOutputSerializer.Meta.fields, "client_secret"]

    def get_client_secret(self, payment: Payment) -> str:
        return cards.payment_client_secret(payment=payment)


def _payments(user):
    return selectors.payments_visible_to(user).select_related(
        "owner__payment_channel", "booking__space"
    )


class PaymentListApi(APIView):
    """Payments the user may see (their organisations' or those they collect), newest first;
    `?booking=<id>` narrows to one booking."""

    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        booking = IdField(required=False, help_text="Only this booking's payments.")

        class Meta:
            ref_name = "PaymentFilter"

    # Not a page: at most the 200 newest.
    @extend_schema(parameters=[FilterSerializer], responses=PaymentOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        payments = _payments(request.user).prefetch_related("refunds", "log__actor")
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if "booking" in params.validated_data:
            payments = payments.filter(booking=params.validated_data["booking"])
        return Response(PaymentOutputSerializer(payments[:200], many=True).data)


class PaymentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PaymentOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        payment = get_object_or_404(_payments(request.user), pk=pk)
        return Response(PaymentOutputSerializer(payment).data)


class PayInputSerializer(serializers.Serializer):
    payment_method = serializers.RegexField(
        PAYMENT_METHOD_PATTERN,
        validators=[validate_single_line],
        help_text="The id of a payment method created with Stripe.js (pm_…).",
    )


class BookingPaymentOpenApi(APIView):
    """Open the payment of a booking's fee (the requester's organisation); with
    `payment_method`, pay it at once. 201 with the payment."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        payment_method = serializers.RegexField(
            PAYMENT_METHOD_PATTERN, required=False, validators=[validate_single_line]
        )

        class Meta:
            ref_name = "BookingPaymentOpenInput"

    @extend_schema(
        request=InputSerializer, responses={201: PaymentResultSerializer, 402: PAYMENT_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(bookings_of_requester(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = self.open(booking=booking, actor=request.user)
        if data.validated_data.get("payment_method"):
            payment = cards.payment_pay(
                payment=payment,
                actor=request.user,
                payment_method=data.validated_data["payment_method"],
            )
        return Response(PaymentResultSerializer(payment).data, status=status.HTTP_201_CREATED)

    def open(self, *, booking: Booking, actor: User) -> Payment:
        return cards.booking_payment_open(booking=booking, actor=actor)


class PaymentPayApi(APIView):
    """Hold or charge the card for a payment awaiting it (a booking's fee, a pay link, a
    month of an agreement, a deposit). A declined card is a 402."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PayInputSerializer, responses={200: PaymentResultSerializer, 402: PAYMENT_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = get_object_or_404(selectors.payments_payable_by(request.user), pk=pk)
        data = PayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = cards.payment_pay(
            payment=payment,
            actor=request.user,
            payment_method=data.validated_data["payment_method"],
        )
        return Response(PaymentResultSerializer(payment).data)


class PaymentRefreshApi(APIView):
    """Read the payment at Stripe again (after a 3-D Secure check)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: PaymentResultSerializer, 402: PAYMENT_REFUSED})
    def post(self, request: Request, pk: int) -> Response:
        payment = get_object_or_404(selectors.payments_payable_by(request.user), pk=pk)
        cards.payment_refresh(payment=payment, actor=request.user)
        payment.refresh_from_db()
        return Response(PaymentResultSerializer(payment).data)


class PaymentRefundApi(APIView):
    """Refund part or all of what is left (managers of the building, the collector, the
    intercommunality). 201 with the payment; 409 when nothing is left to refund."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        amount_cents = serializers.IntegerField(
            required=False,
            help_text="Default: all that is left to refund.",
            **bounds_of(Refund, "amount_cents"),
        )
        reason = MultiLineField(max_length=500)

        class Meta:
            ref_name = "PaymentRefundInput"

    @extend_schema(
        request=InputSerializer,
        responses={
            201: PaymentOutputSerializer,
            402: PAYMENT_REFUSED,
            409: inline_serializer(
                name="NothingToRefund",
                fields={
                    "detail": serializers.CharField(),
                    "payment": PaymentOutputSerializer(),
                },
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = get_object_or_404(selectors.payments_manageable_by(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = refunds.payment_refund(
            payment=payment,
            actor=request.user,
            amount_cents=data.validated_data.get("amount_cents"),
            reason=data.validated_data["reason"],
        )
        payment = _payments(request.user).get(pk=pk)
        if refund is None:
            return Response(
                {
                    "detail": _("Nothing left to refund on this payment."),
                    "payment": PaymentOutputSerializer(payment).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class BookingDepositOpenApi(BookingPaymentOpenApi):
    """Open the deposit of a confirmed booking (at most a few days before it: a card hold
    lasts 7 days); with `payment_method`, hold it on the card at once. 201 with the payment."""

    def open(self, *, booking: Booking, actor: User) -> Payment:
        return deposits.deposit_open(booking=booking, actor=actor)


class DepositKeepApi(APIView):
    """Keep all or part of a held deposit, with the reason sent to the payer (the building's
    managers)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        amount_cents = serializers.IntegerField(**bounds_of(Refund, "amount_cents"))
        reason = MultiLineField(max_length=500)

        class Meta:
            ref_name = "DepositKeepInput"

    @extend_schema(
        request=InputSerializer, responses={200: PaymentOutputSerializer, 402: PAYMENT_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = get_object_or_404(selectors.payments_manageable_by(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = deposits.deposit_keep(
            payment=payment,
            actor=request.user,
            amount_cents=data.validated_data["amount_cents"],
            reason=data.validated_data["reason"],
        )
        return Response(PaymentOutputSerializer(payment).data)


class DepositReleaseApi(APIView):
    """Release a held deposit before its time (the building's managers)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        reason = MultiLineField(max_length=500, required=False, allow_blank=True)

        class Meta:
            ref_name = "DepositReleaseInput"

    @extend_schema(
        request=InputSerializer, responses={200: PaymentOutputSerializer, 402: PAYMENT_REFUSED}
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = get_object_or_404(selectors.payments_manageable_by(request.user), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deposits.deposit_release(
            payment=payment, actor=request.user, reason=data.validated_data.get("reason", "")
        )
        return Response(PaymentOutputSerializer(_payments(request.user).get(pk=pk)).data)
