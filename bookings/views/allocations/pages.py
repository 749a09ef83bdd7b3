"""The agreement pages: the list, direct creation, the agreement page (with the helpers the
forms posted from it share), and the PDF."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bookings import agreement, selectors
from bookings import allocations as services
from bookings.allocations.actions import AllocationAction
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.forms import (
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
    SharingWindowForm,
)
from bookings.models import (
    Allocation,
    AllocationStatus,
    InventoryKind,
    OccupancyKind,
    SharingWindowStatus,
)
from bookings.models.allocations import ALLOCATION_OCCUPYING
from bookings.selectors.sharing import allocations_shared_by, sharing_windows_of
from core.forms import AccessibleForm, form_add_service_errors

PAGE_SIZE = 50


def _euros(cents: int) -> Decimal:
    return Decimal(cents) / 100


def _add_errors(form: AccessibleForm, exc: ValidationError, renames: dict[str, str]) -> None:
    """Show a service's ValidationError on the form, on the form's name of each field."""
    form_add_service_errors(form, exc, renames=renames)


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
    actions = services.allocation_actions_for(user=request.user, allocation=allocation)
    is_manager = actions.is_manager
    forms = _Forms(bound=bound or {})
    if AllocationAction.ACCEPT in actions:
        forms.accept = forms.pick("accept", AllocationAcceptForm())
    if AllocationAction.DECLINE in actions:
        forms.decline = forms.pick("decline", AllocationReasonForm(prefix="decline"))
    if AllocationAction.SIGN in actions:
        if clashes is None:
            clashes = _clashes(allocation)
        only_bookings = all(row.kind == OccupancyKind.BOOKING for row in clashes)
        forms.sign = forms.pick(
            "sign", AllocationSignForm(offer_cancel=bool(clashes) and only_bookings)
        )
    if AllocationAction.END in actions:
        forms.end = forms.pick("end", AllocationEndForm(prefix="end"))
    if AllocationAction.KEY_ISSUE in actions:
        forms.key = forms.pick("key", KeyIssueForm(prefix="key"))
    if AllocationAction.RENEW in actions:
        forms.renew = forms.pick("renew", AllocationRenewForm(prefix="renew"))
    if AllocationAction.INVENTORY in actions:
        inventory_form = forms.pick("inventory", InventoryForm(prefix="inventory"))
        inventory_form.fields["kind"].choices = [
            (kind, InventoryKind(kind).label) for kind in actions.inventory_kinds
        ]
        forms.inventory = inventory_form
    inventories = list(allocation.inventories.all())
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
        **_sharing_context(request, allocation, forms),
        "allocation": allocation,
        "spaces": list(allocation.spaces.all()),
        "last_day": allocation.end - timedelta(days=1),
        "is_manager": is_manager,
        "can_answer": actions.can_answer,
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


def _sharing_context(request: HttpRequest, allocation: Allocation, forms: _Forms) -> dict:
    """The shared times of the agreement's rooms (issue 17): each with what the user may do to
    it, and the form to propose one for the occupant's members while the agreement runs."""
    windows = sharing_windows_of(allocation)
    occupying = allocation.status in ALLOCATION_OCCUPYING
    is_occupant = allocations_shared_by(request.user).filter(pk=allocation.pk).exists()
    may_decide = (
        bool(windows)
        and not is_occupant
        and services.allocation_may_decide(actor=request.user, allocation=allocation)
    )
    rows = []
    for window in windows:
        open_ = window.status != SharingWindowStatus.WITHDRAWN
        rows.append(
            {
                "window": window,
                "can_consent": may_decide and window.status == SharingWindowStatus.PROPOSED,
                "withdraw_form": forms.pick(
                    f"unshare-{window.pk}",
                    AllocationReasonForm(prefix=f"unshare{window.pk}"),
                )
                if open_ and (is_occupant or may_decide)
                else None,
            }
        )
    share_form = None
    if is_occupant and occupying:
        share_form = forms.pick(
            "share", SharingWindowForm(prefix="share", spaces=allocation.spaces.all())
        )
    return {"sharing_windows": rows, "share_form": share_form}


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


def _manageable(request: HttpRequest, pk: int) -> Allocation:
    return get_object_or_404(selectors.allocations_manageable_by(request.user), pk=pk)


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
    return response  # never stored: core.middleware.PrivateCacheMiddleware
