"""Paying by card, following a payment, refunding it (HTML)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from payments import selectors


@login_required
@require_GET
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(selectors.payments_visible_to(request.user), pk=pk)
    return render(request, "payments/payment_detail.html", {"payment": payment})
