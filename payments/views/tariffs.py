"""The tariff grid and the deposit of a space, set by the people who manage it (HTML)."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import form_add_service_errors
from payments import selectors
from payments.forms import DepositAmountForm, TariffGridForm
from payments.rules import TariffUnit
from payments.services.tariffs import space_deposit_set, tariffs_replace
from spaces.models import Space
from spaces.selectors import spaces_manageable_by


@login_required
@require_http_methods(["GET", "POST"])
def space_tariffs(request: HttpRequest, space_pk: int) -> HttpResponse:
    space = get_object_or_404(
        spaces_manageable_by(request.user).select_related("site"), pk=space_pk
    )
    return _tariffs_page(request, space)


def _tariffs_page(
    request: HttpRequest, space: Space, deposit_form: DepositAmountForm | None = None
) -> HttpResponse:
    bound = request.POST if deposit_form is None else None
    form = TariffGridForm(bound or None, current=selectors.tariff_grid(space))
    if request.method == "POST" and form.is_valid():
        try:
            tariffs_replace(space=space, grid=form.grid, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The tariffs are saved; new requests use them."))
            return redirect("payments:space-tariffs", space_pk=space.pk)
    status = (
        400 if (form.is_bound and form.errors) or (deposit_form and deposit_form.errors) else 200
    )
    route = selectors.fee_channel_for(space)
    context = {
        "space": space,
        "form": form,
        "units": list(TariffUnit),
        "deposit_form": deposit_form
        or DepositAmountForm(initial={"deposit": Decimal(space.deposit_cents) / 100}),
        "route": route,
        "channel_editable": selectors.channel_owners_for(request.user)
        .filter(pk=route.collector.pk)
        .exists(),
    }
    return render(request, "payments/tariffs_form.html", context, status=status)


@login_required
@require_POST
def space_deposit(request: HttpRequest, space_pk: int) -> HttpResponse:
    space = get_object_or_404(
        spaces_manageable_by(request.user).select_related("site"), pk=space_pk
    )
    form = DepositAmountForm(request.POST)
    if form.is_valid():
        try:
            space_deposit_set(space=space, amount_cents=form.amount_cents, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc, renames={"deposit_cents": "deposit"})
        else:
            messages.success(request, _("The deposit is saved; new bookings use it."))
            return redirect("payments:space-tariffs", space_pk=space.pk)
    return _tariffs_page(request, space, deposit_form=form)
