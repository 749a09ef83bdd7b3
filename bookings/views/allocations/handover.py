"""Keys and inventories of fixtures (with their photos) of an agreement."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bookings import allocations as services
from bookings import selectors
from bookings.exceptions import InvalidTransition
from bookings.forms import (
    InventoryForm,
    InventoryPhotoForm,
    KeyIssueForm,
    KeyReturnForm,
)
from bookings.models import (
    Inventory,
    InventoryPhoto,
    KeyHandover,
)
from bookings.views.allocations.pages import (
    _act,
    _done,
    _manageable,
    _refused,
    _render_detail,
)
from core.forms import form_add_service_errors
from core.middleware import accepts_upload
from core.storage import stored_file_response


@login_required
@require_POST
def key_issue(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _manageable(request, pk)
    return _act(
        request,
        allocation,
        KeyIssueForm(request.POST, prefix="key"),
        "key",
        lambda values: bool(
            services.key_issue(allocation=allocation, actor=request.user, **values)
        ),
        _("The key handover is recorded."),
    )


@login_required
@require_POST
def key_return(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(
        KeyHandover.objects.filter(
            allocation__in=selectors.allocations_manageable_by(request.user).values("pk")
        ).select_related("allocation"),
        pk=pk,
    )
    form = KeyReturnForm(request.POST, prefix=f"key{key.pk}")
    if form.is_valid():
        try:
            changed = services.key_return(
                key=key, actor=request.user, returned_on=form.cleaned_data["returned_on"]
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            text = _("The return of “%(label)s” is recorded.") % {"label": key.label}
            return _done(request, key.allocation, changed, text)
    return _render_detail(request, key.allocation, status=400, bound={f"key-return-{key.pk}": form})


@accepts_upload
@login_required
@require_POST
def inventory_record(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _manageable(request, pk)
    form = InventoryForm(request.POST, request.FILES, prefix="inventory")
    if form.is_valid():
        values = form.cleaned_data
        photos = [(values["photo"], values["alt_text"])] if values["photo"] else []
        try:
            services.inventory_record(
                allocation=allocation,
                actor=request.user,
                kind=values["kind"],
                done_on=values["done_on"],
                notes=values["notes"],
                photos=photos,
            )
        except InvalidTransition as exc:
            return _refused(request, allocation, exc)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The inventory of fixtures is recorded."))
            return redirect(allocation.get_absolute_url())
    return _render_detail(request, allocation, status=400, bound={"inventory": form})


@accepts_upload
@login_required
@require_POST
def inventory_photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    inventory = get_object_or_404(
        Inventory.objects.filter(
            allocation__in=selectors.allocations_manageable_by(request.user).values("pk")
        ).select_related("allocation"),
        pk=pk,
    )
    form = InventoryPhotoForm(request.POST, request.FILES, prefix=f"inv{inventory.pk}")
    if form.is_valid():
        try:
            services.inventory_photo_add(
                inventory=inventory,
                actor=request.user,
                upload=form.cleaned_data["photo"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The photo is added."))
            return redirect(inventory.allocation.get_absolute_url())
    return _render_detail(
        request, inventory.allocation, status=400, bound={f"photo-{inventory.pk}": form}
    )


@login_required
@require_GET
def inventory_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """An inventory photo, to those who see the agreement only (the inside of an office)."""
    photo = get_object_or_404(
        InventoryPhoto.objects.filter(
            inventory__allocation__in=selectors.allocations_visible_to(request.user).values("pk")
        ),
        pk=pk,
    )
    content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
    return stored_file_response(request, photo.image, content_type=content_type)
