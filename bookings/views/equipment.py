"""Equipment (issue 16): a site's stock, on the site's management pages, and the quantity
fields of the request form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings.forms.equipment import EquipmentForm, EquipmentRequestForm
from bookings.selectors.equipment import (
    equipment_manageable_by,
    equipment_of_site,
    equipment_offered,
)
from bookings.services.equipment import equipment_create, equipment_update
from core.forms import form_add_service_errors
from spaces.selectors import sites_manageable_by


def equipment_request_form(space_id: int, data=None) -> EquipmentRequestForm:
    """The request form's quantity fields: one per item of the space's site in stock."""
    return EquipmentRequestForm(data, equipment=list(equipment_offered(space_id=space_id)))


@login_required
@require_http_methods(["GET", "POST"])
def site_equipment(request: HttpRequest, pk: int) -> HttpResponse:
    """The site's stock of equipment; add an item (POST)."""
    site = get_object_or_404(sites_manageable_by(request.user), pk=pk)
    form = EquipmentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = equipment_create(
                    actor=request.user,
                    site=site,
                    name=form.cleaned_data["name"],
                    stock=form.cleaned_data["stock"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” was added.") % {"name": item.name})
                return redirect("bookings:equipment-list", pk=site.pk)
        status = 400
    context = {"site": site, "form": form, "items": equipment_of_site(site=site)}
    return render(request, "bookings/equipment.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def equipment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename an item or change its stock (not below what bookings to come hold)."""
    item = get_object_or_404(equipment_manageable_by(request.user), pk=pk)
    form = EquipmentForm(request.POST or None, initial={"name": item.name, "stock": item.stock})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                equipment_update(
                    actor=request.user,
                    equipment=item,
                    name=form.cleaned_data["name"],
                    stock=form.cleaned_data["stock"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” was saved.") % {"name": item.name})
                return redirect("bookings:equipment-list", pk=item.site_id)
        status = 400
    context = {"site": item.site, "item": item, "form": form}
    return render(request, "bookings/equipment_edit.html", context, status=status)
