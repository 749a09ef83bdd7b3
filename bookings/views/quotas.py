"""Booking quotas of a site, for its managers (issue 16): list, set, remove."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import structures_bookable_on_behalf
from bookings import selectors, services
from bookings.forms import QuotaForm
from core.forms import form_add_service_errors
from spaces.selectors import sites_manageable_by


@login_required
@require_http_methods(["GET", "POST"])
def site_quotas(request: HttpRequest, pk: int) -> HttpResponse:
    """The site's quotas; set one (POST: a quota of the same structure and spaces changes)."""
    site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
    form = QuotaForm(
        request.POST or None, structures=structures_bookable_on_behalf().order_by("name", "pk")
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.quota_save(actor=request.user, site=site, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The quota is set; it applies to the next requests."))
            return redirect("bookings:quota-list", pk=site.pk)
    context = {"site": site, "form": form, "quotas": list(selectors.quotas_of_site(site.pk))}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/quotas.html", context, status=status)


@login_required
@require_POST
def quota_delete(request: HttpRequest, pk: int) -> HttpResponse:
    quota = get_object_or_404(selectors.quotas_manageable_by(request.user), pk=pk)
    services.quota_delete(actor=request.user, quota=quota)
    messages.success(request, _("The quota was removed."))
    return redirect("bookings:quota-list", pk=quota.site_id)
