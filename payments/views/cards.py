"""Paying by card, following a payment, refunding it (HTML).

The card never reaches the platform: Stripe.js (the Payment Element) turns it into a payment
method id in the browser, which the pay form posts; the server then creates and confirms the
PaymentIntent with the owner's secret key (services.cards.payment_pay).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bookings.selectors import bookings_of_requester
from core.middleware import content_security_policy, permissions_policy, url_origin
from payments import selectors
from payments.exceptions import PaymentFailed
from payments.forms import PayForm, RefundForm
from payments.models import Payment, PaymentChannel, PaymentStatus
from payments.rules import format_eur
from payments.services import cards, refunds
from payments.views.deposits import deposit_manage_context


def _stripe_page_policy() -> str:
    """This page alone may load Stripe.js, show its frames and let it call Stripe's API."""
    script = url_origin(settings.STRIPE_JS_URL)
    api = url_origin(settings.STRIPE_API_BASE) or "https://api.stripe.com"
    return content_security_policy(
        script_src=[script],
        frame_src=[script, "https://hooks.stripe.com"],
        connect_src=[api, script],
    )


def _can_pay(payment: Payment, channel: PaymentChannel | None) -> bool:
    return payment.payable_at(timezone.now()) and channel is not None and channel.stripe_ready


@login_required
@require_GET
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(
        selectors.payments_visible_to(request.user).select_related(
            "owner", "booking__space", "booking__organisation", "allocation__structure"
        ),
        pk=pk,
    )
    is_payer = selectors.payments_payable_by(request.user).filter(pk=pk).exists()
    is_manager = selectors.payments_manageable_by(request.user).filter(pk=pk).exists()
    channel = PaymentChannel.objects.filter(owner=payment.owner).first()
    can_pay = is_payer and _can_pay(payment, channel)
    client_secret = ""
    if can_pay and payment.stripe_intent_id:
        try:
            client_secret = cards.payment_client_secret(payment=payment)
        except PaymentFailed as exc:
            messages.error(request, exc.message)
    context = {
        "payment": payment,
        "amount": format_eur(payment.amount_cents),
        "log": payment.log.select_related("actor"),
        "refunds": payment.refunds.select_related("actor"),
        "invoices": payment.invoices.order_by("issued_at", "pk"),
        "is_payer": is_payer,
        "is_manager": is_manager,
        "can_pay": can_pay,
        "card_unavailable": is_payer
        and payment.status == PaymentStatus.REQUIRES_AUTHORISATION
        and not (channel and channel.stripe_ready),
        "can_retry": is_payer and payment.status == PaymentStatus.FAILED,
        "publishable_key": channel.stripe_publishable_key if channel else "",
        "stripe_js_url": settings.STRIPE_JS_URL,
        "client_secret": client_secret,
        "pay_form": PayForm() if can_pay else None,
        "refund_form": RefundForm(auto_id="id_refund_%s")
        if is_manager and payment.refundable_cents > 0
        else None,
        "refundable": format_eur(payment.refundable_cents),
        **deposit_manage_context(request, payment),
    }
    response = render(request, "payments/payment_detail.html", context)
    if can_pay:
        response.headers["Content-Security-Policy"] = _stripe_page_policy()
        # The Payment Element may offer the browser's payment sheet (Apple Pay, Google Pay).
        response.headers["Permissions-Policy"] = permissions_policy(
            payment=["self", url_origin(settings.STRIPE_JS_URL)]
        )
    return response


@login_required
@require_POST
def booking_pay(request: HttpRequest, booking_pk: int) -> HttpResponse:
    """Open the payment of a booking's fee, then show its page with the card form."""
    booking = get_object_or_404(bookings_of_requester(request.user), pk=booking_pk)
    try:
        payment = cards.booking_payment_open(booking=booking, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(booking.get_absolute_url())
    return redirect(payment.get_absolute_url())


def _payable(request: HttpRequest, pk: int) -> Payment:
    return get_object_or_404(selectors.payments_payable_by(request.user), pk=pk)


@login_required
@require_POST
def payment_pay(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payable(request, pk)
    form = PayForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["payment_method"]))
        return redirect(payment.get_absolute_url())
    try:
        payment = cards.payment_pay(
            payment=payment, actor=request.user, payment_method=form.cleaned_data["payment_method"]
        )
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    except PaymentFailed as exc:
        messages.error(request, exc.message)
    else:
        _tell_outcome(request, payment)
    return redirect(payment.get_absolute_url())


def _tell_outcome(request: HttpRequest, payment: Payment) -> None:
    if payment.status == PaymentStatus.AUTHORISED:
        messages.success(
            request,
            _("Your card is authorised: it will be charged only if the booking is approved."),
        )
    elif payment.status == PaymentStatus.CAPTURED:
        messages.success(request, _("Payment received. Thank you."))
    elif payment.status == PaymentStatus.REQUIRES_AUTHORISATION:
        messages.info(request, _("Your bank asks you to confirm the payment."))


@login_required
@require_POST
def payment_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """After the bank's 3-D Secure check in the browser: read the payment again."""
    payment = _payable(request, pk)
    try:
        cards.payment_refresh(payment=payment, actor=request.user)
    except PaymentFailed as exc:
        messages.error(request, exc.message)
    else:
        payment.refresh_from_db()
        if payment.status == PaymentStatus.FAILED:
            messages.error(request, _("The bank did not confirm the payment. Nothing was taken."))
        else:
            _tell_outcome(request, payment)
    return redirect(payment.get_absolute_url())


@login_required
@require_POST
def payment_retry(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payable(request, pk)
    again = cards.payment_retry(payment=payment, actor=request.user)
    return redirect(again.get_absolute_url())


@login_required
@require_POST
def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(selectors.payments_manageable_by(request.user), pk=pk)
    form = RefundForm(request.POST, auto_id="id_refund_%s")
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label} : {' '.join(errors)}" if label else " ".join(errors))
        return redirect(payment.get_absolute_url())
    try:
        refund = refunds.payment_refund(
            payment=payment,
            actor=request.user,
            amount_cents=form.amount_cents,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PaymentFailed as exc:
        messages.error(request, exc.message)
    else:
        if refund is None:
            messages.info(request, _("Nothing left to refund on this payment."))
        else:
            messages.success(
                request,
                _("%(amount)s refunded; the payer is told.")
                % {"amount": format_eur(refund.amount_cents)},
            )
    return redirect(payment.get_absolute_url())


@login_required
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    """What the user has to pay and has paid; for those who collect, what they collected and
    the months of agreements overdue."""
    now = timezone.now()
    mine = (
        selectors.payments_payable_by(request.user)
        .select_related("booking__space", "allocation", "owner")
        .order_by("-created_at", "-pk")
    )
    awaiting = mine.filter(status=PaymentStatus.REQUIRES_AUTHORISATION)
    context = {
        "to_pay": [payment for payment in awaiting if payment.payable_at(now)],
        "paid": mine.exclude(status=PaymentStatus.REQUIRES_AUTHORISATION)[:100],
        "collected": selectors.payments_manageable_by(request.user)
        .exclude(pk__in=mine.values("pk"))
        .select_related("booking__space", "allocation__structure", "booking__organisation")
        .order_by("-created_at", "-pk")[:100],
        "overdue": selectors.agreement_payments_overdue_for(request.user, now=now),
    }
    return render(request, "payments/payment_list.html", context)
