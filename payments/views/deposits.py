"""Deposits (HTML): the requester places one from the booking page (the card form is on the
payment's page), a manager keeps part of it or releases it from the payment's page.

Outsiders get 404 (the querysets are permission-scoped); the services check again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings.selectors import bookings_of_requester
from core.forms import form_add_service_errors
from payments import selectors
from payments.exceptions import PaymentFailed
from payments.forms import DepositKeepForm, DepositReleaseForm
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.selectors import DEPOSIT_RELEASE_HOURS
from payments.services import deposits


def deposit_manage_context(request: HttpRequest, payment: Payment) -> dict[str, object]:
    """The context of templates/payments/_deposit_manage.html for the payment's page: the
    forms only for the collector's managers, while the deposit is held on the card."""
    manageable = (
        payment.purpose == PaymentPurpose.DEPOSIT
        and payment.status == PaymentStatus.AUTHORISED
        and selectors.payments_manageable_by(request.user).filter(pk=payment.pk).exists()
    )
    if not manageable:
        return {}
    return {
        "deposit_keep_form": DepositKeepForm(held_cents=payment.amount_cents),
        "deposit_release_form": DepositReleaseForm(),
        "deposit_release_hours": DEPOSIT_RELEASE_HOURS,
    }


def _managed_deposit(request: HttpRequest, pk: int) -> Payment:
    return get_object_or_404(
        selectors.payments_manageable_by(request.user)
        .filter(purpose=PaymentPurpose.DEPOSIT)
        .select_related("booking__space", "owner"),
        pk=pk,
    )


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_POST
def deposit_place(request: HttpRequest, booking_pk: int) -> HttpResponse:
    """Open the deposit and go to its page, where the card is held."""
    booking = get_object_or_404(bookings_of_requester(request.user), pk=booking_pk)
    try:
        payment = deposits.deposit_open(booking=booking, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(booking.get_absolute_url())
    return redirect(payment.get_absolute_url())


@login_required
@require_POST
def deposit_keep(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep all or part of a held deposit. A bad form comes back with its errors (400)."""
    payment = _managed_deposit(request, pk)
    form = DepositKeepForm(request.POST, held_cents=payment.amount_cents)
    if form.is_valid():
        try:
            deposits.deposit_keep(
                payment=payment,
                actor=request.user,
                amount_cents=form.amount_cents,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # no longer held: nothing to correct in the form
                messages.error(request, _error_text(exc))
                return redirect(payment.get_absolute_url())
            form_add_service_errors(form, exc)
        except PaymentFailed as exc:
            messages.error(request, exc.message)
            return redirect(payment.get_absolute_url())
        else:
            messages.success(request, _("The deposit is kept; the payer is told why."))
            return redirect(payment.get_absolute_url())
    context = {
        "payment": payment,
        "deposit_keep_form": form,
        "deposit_release_form": DepositReleaseForm(),
        "deposit_release_hours": DEPOSIT_RELEASE_HOURS,
    }
    return render(request, "payments/deposit_manage.html", context, status=400)


@login_required
@require_POST
def deposit_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Release a held deposit before its time (nothing to report)."""
    payment = _managed_deposit(request, pk)
    form = DepositReleaseForm(request.POST)
    if not form.is_valid():
        context = {
            "payment": payment,
            "deposit_keep_form": DepositKeepForm(held_cents=payment.amount_cents),
            "deposit_release_form": form,
            "deposit_release_hours": DEPOSIT_RELEASE_HOURS,
        }
        return render(request, "payments/deposit_manage.html", context, status=400)
    try:
        released = deposits.deposit_release(
            payment=payment, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except PaymentFailed as exc:
        messages.error(request, exc.message)
        return redirect(payment.get_absolute_url())
    if released:
        messages.success(request, _("The deposit is released; nothing is taken from the card."))
    else:
        messages.info(request, _("This deposit was no longer held on the card."))
    return redirect(payment.get_absolute_url())
