"""Occupancy agreements (HTML): list, direct creation, the structure's answer, signature,
early termination, renewal, keys, inventories of fixtures, the PDF, and the site timeline.

Everything is fetched through the permission querysets of bookings/selectors.py, so outsiders
get a 404; the services in bookings/allocations.py decide and log. A form in error re-renders
the agreement page with that form bound (400), a clash with the bookings listed (409).
"""

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bookings import agreement, selectors
from bookings import allocations as services
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.forms_allocations import (
    CREATE_FIELDS,
    AllocationAcceptForm,
    AllocationCreateForm,
    AllocationEndForm,
    AllocationReasonForm,
    AllocationRenewForm,
    AllocationSignForm,
    InventoryForm,
    InventoryPhotoForm,
    KeyIssueForm,
    KeyReturnForm,
    TimelineForm,
)
from bookings.models import (
    Allocation,
    AllocationStatus,
    Inventory,
    InventoryKind,
    InventoryPhoto,
    KeyHandover,
    OccupancyKind,
)
from bookings.models.allocations import ALLOCATION_OCCUPYING
from core.forms import AccessibleForm, form_add_service_errors
from spaces.selectors import sites_manageable_by

PAGE_SIZE = 50


def _euros(cents: int) -> Decimal:
    return Decimal(cents) / 100


def _add_errors(form: AccessibleForm, exc: ValidationError, renames: dict[str, str]) -> None:
    """Show a service's ValidationError on the form, on the form's name of each field."""
    if hasattr(exc, "error_dict"):
        exc = ValidationError(
            {renames.get(name, name): errors for name, errors in exc.error_dict.items()}
        )
    form_add_service_errors(form, exc)


# --- List and creation ---


@login_required
@require_GET
def allocation_list(request: HttpRequest) -> HttpResponse:
    """The agreements the user sees: their structure's, and those on the spaces they manage."""
    allocations = selectors.allocation_list(user=request.user)
    status = request.GET.get("statut", "")
    if status in AllocationStatus.values:
        allocations = allocations.filter(status=status)
    page = Paginator(allocations, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "allocation": allocation,
            "last_day": allocation.end - timedelta(days=1),
            "annual_value": _euros(services.allocation_annual_value_cents(allocation=allocation)),
        }
        for allocation in page
    ]
    context = {
        "rows": rows,
        "page": page,
        "query": f"statut={status}" if status else "",
        "statuses": AllocationStatus.choices,
        "status": status,
        "can_create": selectors.spaces_allocatable_by(request.user).exists(),
    }
    return render(request, "bookings/allocation_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def allocation_create(request: HttpRequest) -> HttpResponse:
    """Offer an agreement directly, without a call for applications (the manager says why)."""
    spaces = selectors.spaces_allocatable_by(request.user)
    if not spaces.exists():
        raise Http404
    initial = {}
    if (chosen := request.GET.get("espace", "")).isdigit():
        initial["spaces"] = [int(chosen)]
    form = AllocationCreateForm(
        request.POST or None,
        initial=initial,
        spaces=spaces,
        structures=selectors.structures_eligible_for_allocation(),
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            allocation = services.allocation_offer(
                actor=request.user,
                structure=values["structure"],
                spaces=list(values["spaces"]),
                start=values["start"],
                end=values["end"],
                legal_regime=values["legal_regime"] or None,
                annual_fee_cents=values["annual_fee_cents"],
                free_use_basis=values["free_use_basis"],
                free_use_reference=values["free_use_reference"],
                deposit_cents=values["deposit_cents"],
                direct_reason=values["direct_reason"],
            )
        except ValidationError as exc:
            _add_errors(form, exc, CREATE_FIELDS)
        except BookingConflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request, _("The agreement is offered; the structure is asked to accept it.")
            )
            return redirect(allocation.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/allocation_form.html", {"form": form}, status=status)


# --- The agreement page ---


@dataclass
class _Forms:
    """The forms of the agreement page; a posted form in error replaces its blank one."""

    accept: AccessibleForm | None = None
    decline: AccessibleForm | None = None
    sign: AccessibleForm | None = None
    end: AccessibleForm | None = None
    renew: AccessibleForm | None = None
    key: AccessibleForm | None = None
    inventory: AccessibleForm | None = None
    bound: dict[str, AccessibleForm] = field(default_factory=dict)

    def pick(self, name: str, blank: AccessibleForm) -> AccessibleForm:
        return self.bound.get(name, blank)


def _yearly_values(allocation: Allocation) -> list[tuple[int, Decimal]]:
    last = (allocation.terminated_on or allocation.end) - timedelta(days=1)
    return [
        (year, _euros(services.allocation_value_cents(allocation=allocation, year=year)))
        for year in range(allocation.start.year, max(last.year, allocation.start.year) + 1)
    ]


def _clashes(allocation: Allocation) -> list:
    return list(
        selectors.occupancies_blocking_allocation(allocation=allocation).exclude(
            kind=OccupancyKind.CLOSURE
        )
    )


def _detail_context(
    request: HttpRequest,
    allocation: Allocation,
    *,
    bound: dict[str, AccessibleForm] | None = None,
    clashes: list | None = None,
) -> dict:
    user = request.user
    status = allocation.status
    is_manager = selectors.allocations_manageable_by(user).filter(pk=allocation.pk).exists()
    can_answer = selectors.allocations_answerable_by(user).filter(pk=allocation.pk).exists()
    bound = bound or {}
    forms = _Forms(bound=bound)
    if can_answer and status == AllocationStatus.OFFERED:
        forms.accept = forms.pick("accept", AllocationAcceptForm())
    if can_answer and status in (AllocationStatus.OFFERED, AllocationStatus.ACCEPTED):
        forms.decline = forms.pick("decline", AllocationReasonForm(prefix="decline"))
    if is_manager and status == AllocationStatus.ACCEPTED:
        if clashes is None:
            clashes = _clashes(allocation)
        only_bookings = all(row.kind == OccupancyKind.BOOKING for row in clashes)
        forms.sign = forms.pick(
            "sign", AllocationSignForm(offer_cancel=bool(clashes) and only_bookings)
        )
    occupying = status in ALLOCATION_OCCUPYING
    if is_manager and occupying:
        forms.end = forms.pick("end", AllocationEndForm(prefix="end"))
        forms.key = forms.pick("key", KeyIssueForm(prefix="key"))
        if not hasattr(allocation, "renewal"):
            forms.renew = forms.pick("renew", AllocationRenewForm(prefix="renew"))
    inventories = list(allocation.inventories.all())
    done = {inventory.kind for inventory in inventories}
    if is_manager and (occupying or status == AllocationStatus.ENDED):
        missing = [kind for kind in InventoryKind if kind not in done]
        if missing and not (status == AllocationStatus.ENDED and InventoryKind.EXIT in done):
            inventory_form = forms.pick("inventory", InventoryForm(prefix="inventory"))
            inventory_form.fields["kind"].choices = [(kind.value, kind.label) for kind in missing]
            forms.inventory = inventory_form
    keys = [
        (key, forms.pick(f"key-return-{key.pk}", KeyReturnForm(prefix=f"key{key.pk}")))
        for key in allocation.keys.all()
    ]
    photo_forms = [
        (
            inventory,
            forms.pick(f"photo-{inventory.pk}", InventoryPhotoForm(prefix=f"inv{inventory.pk}")),
        )
        for inventory in inventories
    ]
    return {
        "allocation": allocation,
        "spaces": list(allocation.spaces.all()),
        "last_day": allocation.end - timedelta(days=1),
        "is_manager": is_manager,
        "can_answer": can_answer,
        "fee": _euros(allocation.annual_fee_cents),
        "deposit": _euros(allocation.deposit_cents),
        "annual_value": _euros(services.allocation_annual_value_cents(allocation=allocation)),
        "yearly_values": _yearly_values(allocation),
        "forms": forms,
        "clashes": clashes if is_manager else None,
        "keys": keys,
        "photo_forms": photo_forms,
        "log": list(allocation.log.all()),
    }


def _render_detail(
    request: HttpRequest,
    allocation: Allocation,
    *,
    status: int = 200,
    bound: dict[str, AccessibleForm] | None = None,
    clashes: list | None = None,
) -> HttpResponse:
    allocation = selectors.allocation_detail(user=request.user).get(pk=allocation.pk)
    context = _detail_context(request, allocation, bound=bound, clashes=clashes)
    context["clash_alert"] = status == 409
    return render(request, "bookings/allocation_detail.html", context, status=status)


@login_required
@require_GET
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = get_object_or_404(selectors.allocation_detail(user=request.user), pk=pk)
    context = _detail_context(request, allocation)
    return render(request, "bookings/allocation_detail.html", context)


def _done(request: HttpRequest, allocation: Allocation, changed: bool, text: str) -> HttpResponse:
    if changed:
        messages.success(request, text)
    else:
        messages.info(request, _("Nothing to do: the agreement was already in that state."))
    return redirect(allocation.get_absolute_url())


def _refused(request: HttpRequest, allocation: Allocation, exc: InvalidTransition) -> HttpResponse:
    messages.error(request, exc.message())
    return redirect(allocation.get_absolute_url())


def _act(
    request: HttpRequest,
    allocation: Allocation,
    form: AccessibleForm,
    key: str,
    run: Callable[[dict], bool],
    text: str,
) -> HttpResponse:
    """Run a service from a bound form: done → back to the page with `text`; a refused status
    change → its message; bad input → the page again with the form's errors (400)."""
    if form.is_valid():
        try:
            changed = run(form.cleaned_data)
        except InvalidTransition as exc:
            return _refused(request, allocation, exc)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return _done(request, allocation, changed, text)
    return _render_detail(request, allocation, status=400, bound={key: form})


# --- The structure's answer ---


@login_required
@require_POST
def allocation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = get_object_or_404(selectors.allocations_answerable_by(request.user), pk=pk)
    return _act(
        request,
        allocation,
        AllocationAcceptForm(request.POST),
        "accept",
        lambda values: services.allocation_accept(
            allocation=allocation,
            actor=request.user,
            house_rules_accepted=values["house_rules_accepted"],
            insurance_valid_until=values["insurance_valid_until"],
        ),
        _("You accepted the agreement; the manager will record the signature."),
    )


@login_required
@require_POST
def allocation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = get_object_or_404(selectors.allocations_answerable_by(request.user), pk=pk)
    return _act(
        request,
        allocation,
        AllocationReasonForm(request.POST, prefix="decline"),
        "decline",
        lambda values: services.allocation_decline(
            allocation=allocation, actor=request.user, reason=values["reason"]
        ),
        _("You declined the agreement."),
    )


# --- The manager's actions ---


def _manageable(request: HttpRequest, pk: int) -> Allocation:
    return get_object_or_404(selectors.allocations_manageable_by(request.user), pk=pk)


@login_required
@require_POST
def allocation_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the signature; bookings in the period are listed, or cancelled with a reason."""
    allocation = _manageable(request, pk)
    form = AllocationSignForm(request.POST, offer_cancel=True)
    form.is_valid()  # two optional fields: always valid
    values = form.cleaned_data
    try:
        changed = services.allocation_sign(
            allocation=allocation,
            actor=request.user,
            cancel_bookings=values.get("cancel_bookings", False),
            reason=values.get("reason", ""),
        )
    except InvalidTransition as exc:
        return _refused(request, allocation, exc)
    except BookingConflict:
        clashes = _clashes(allocation)
        if not all(row.kind == OccupancyKind.BOOKING for row in clashes):
            form = AllocationSignForm()  # another agreement: cancelling bookings would not help
        if "cancel_bookings" not in request.POST:
            form = AllocationSignForm(offer_cancel=True)  # first listing: nothing ticked yet
        return _render_detail(
            request, allocation, status=409, bound={"sign": form}, clashes=clashes
        )
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return _render_detail(request, allocation, status=400, bound={"sign": form})
    return _done(
        request,
        allocation,
        changed,
        _("The agreement is signed: its spaces are reserved for the whole period."),
    )


@login_required
@require_POST
def allocation_end(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _manageable(request, pk)
    return _act(
        request,
        allocation,
        AllocationEndForm(request.POST, prefix="end"),
        "end",
        lambda values: services.allocation_end(
            allocation=allocation, actor=request.user, reason=values["reason"], on=values["on"]
        ),
        _("The agreement is ended; its spaces are free from that day."),
    )


@login_required
@require_POST
def allocation_renew(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _manageable(request, pk)
    form = AllocationRenewForm(request.POST, prefix="renew")
    if form.is_valid():
        try:
            renewal = services.allocation_renew(
                allocation=allocation,
                actor=request.user,
                end=form.cleaned_data["last_day"] + timedelta(days=1),
            )
        except InvalidTransition as exc:
            return _refused(request, allocation, exc)
        except BookingConflict as exc:
            form.add_error(None, str(exc.message))
        except ValidationError as exc:
            _add_errors(form, exc, {"end": "last_day"})
        else:
            messages.success(
                request, _("The renewal is offered to the structure with the same terms.")
            )
            return redirect(renewal.get_absolute_url())
    return _render_detail(request, allocation, status=400, bound={"renew": form})


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
def inventory_photo(request: HttpRequest, pk: int) -> FileResponse:
    """An inventory photo, to those who see the agreement only (the inside of an office)."""
    photo = get_object_or_404(
        InventoryPhoto.objects.filter(
            inventory__allocation__in=selectors.allocations_visible_to(request.user).values("pk")
        ),
        pk=pk,
    )
    content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
    response = FileResponse(photo.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- The agreement document ---


@login_required
@require_GET
def allocation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The agreement as an accessible PDF in French, shown in the browser."""
    allocation = get_object_or_404(selectors.allocation_detail(user=request.user), pk=pk)
    response = HttpResponse(agreement.agreement_pdf(allocation), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{agreement.agreement_filename(allocation)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- The site timeline ---


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months(first: date, count: int) -> list[date]:
    return [_add_months(first, offset) for offset in range(count)]


@dataclass
class _Cell:
    agreements: list = field(default_factory=list)
    bookings: list = field(default_factory=list)
    closures: list = field(default_factory=list)

    @property
    def is_free(self) -> bool:
        return not (self.agreements or self.bookings or self.closures)


def _cells(
    entries: list[selectors.TimelineEntry], bounds: list[tuple[datetime, datetime]]
) -> list[_Cell]:
    """Spread a space's entries over the months they touch."""
    cells = [_Cell() for _bound in bounds]
    zone = selectors.local_zone()
    for entry in entries:
        for cell, (start, end) in zip(cells, bounds, strict=True):
            if entry.start >= end or entry.end <= start:
                continue
            if entry.kind == OccupancyKind.ALLOCATION:
                cell.agreements.append(
                    {
                        "entry": entry,
                        "from": entry.start.astimezone(zone).date()
                        if entry.start > start
                        else None,
                        "until": (entry.end.astimezone(zone) - timedelta(days=1)).date()
                        if entry.end < end
                        else None,
                    }
                )
            elif entry.kind == OccupancyKind.BOOKING:
                cell.bookings.append(entry)
            else:
                cell.closures.append(entry)
    return cells


@login_required
@require_GET
def site_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """A site's long-term agreements and hourly bookings together, space by space, month by
    month, over a chosen period (this month and the next eleven by default)."""
    site = get_object_or_404(sites_manageable_by(request.user).select_related("commune"), pk=pk)
    form = TimelineForm(request.GET or None)
    today = timezone.localdate()
    first, count = _month_start(today), 12
    if form.is_bound and form.is_valid():
        first = _month_start(form.cleaned_data["start"] or today)
        count = form.cleaned_data["months"] or 12
    zone = selectors.local_zone()
    months = _months(first, count + 1)
    bounds = [
        (
            datetime.combine(months[i], time(0), tzinfo=zone),
            datetime.combine(months[i + 1], time(0), tzinfo=zone),
        )
        for i in range(count)
    ]
    rows = selectors.site_timeline(site_id=site.pk, start=bounds[0][0], end=bounds[-1][1])
    context = {
        "site": site,
        "form": form,
        "months": months[:count],
        "rows": [(row.space, _cells(row.entries, bounds)) for row in rows],
        "previous": _add_months(first, -count),
        "next": _add_months(first, count),
        "count": count,
        "last_month": months[count - 1],
        "can_create": any(row.space.allocatable for row in rows),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/timeline.html", context, status=status)
