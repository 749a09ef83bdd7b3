"""The structure's answer (accept, decline) and the manager's signature, end and renewal."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings import allocations as services
from bookings import selectors
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.forms import (
    AllocationAcceptForm,
    AllocationEndForm,
    AllocationReasonForm,
    AllocationRenewForm,
    AllocationSignForm,
)
from bookings.models import (
    OccupancyKind,
)
from bookings.views.allocations.pages import (
    _act,
    _add_errors,
    _clashes,
    _done,
    _manageable,
    _refused,
    _render_detail,
)
from core.forms import form_add_service_errors

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
