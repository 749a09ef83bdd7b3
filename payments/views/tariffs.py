"""The tariff grid of a space, set by the people who manage it (HTML)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import form_add_service_errors
from payments import selectors
from payments.forms import TariffGridForm
from payments.rules import TariffUnit
from payments.services.tariffs import tariffs_replace
from spaces.selectors import spaces_manageable_by


@login_required
@require_http_methods(["GET", "POST"])
def space_tariffs(request: HttpRequest, space_pk: int) -> HttpResponse:
    space = get_object_or_404(
        spaces_manageable_by(request.user).select_related("site"), pk=space_pk
    )
    form = TariffGridForm(request.POST or None, current=selectors.tariff_grid(space))
    if request.method == "POST" and form.is_valid():
        try:
            tariffs_replace(space=space, grid=form.grid, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The tariffs are saved; new requests use them."))
            return redirect("payments:space-tariffs", space_pk=space.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "space": space,
        "form": form,
        "units": list(TariffUnit),
        "channel": selectors.channel_of(space),
    }
    return render(request, "payments/tariffs_form.html", context, status=status)
