"""Waiting for a slot (issue 16), HTML: join the line from a request that clashed, the
structure's waits (accept an offer, withdraw), a space's line for the people who manage it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import organisations_allowed_to_book_for
from bookings import selectors, services
from bookings.exceptions import OfferLost
from bookings.forms.waits import SlotWaitAcceptForm, SlotWaitForm
from bookings.models import ACTIVE_WAITS
from core.forms import form_add_service_errors
from spaces.selectors import spaces_manageable_by, spaces_visible_to


@login_required
@require_http_methods(["GET", "POST"])
def slot_wait_create(request: HttpRequest, space_pk: int) -> HttpResponse:
    """Wait for a slot of this space (GET: the form, filled from the request that clashed)."""
    space = get_object_or_404(spaces_visible_to(request.user).select_related("site"), pk=space_pk)
    form = SlotWaitForm(
        request.POST or None,
        initial=request.GET.dict(),
        organisations=organisations_allowed_to_book_for(request.user).order_by("name", "pk"),
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            services.slot_wait_join(
                space=space.pk,
                organisation=values["organisation"].pk,
                period=form.period,
                purpose=values["purpose"],
                attendees=values["attendees"],
                requested_by=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(
                form, exc, renames={"start": "date", "end": "end_time", "space": "__all__"}
            )
        else:
            messages.success(
                request,
                _(
                    "Your structure is waiting for this slot. If it frees, the first in line "
                    "is offered it by e-mail, for a limited time."
                ),
            )
            return redirect("bookings:slot-wait-list")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "bookings/slot_wait_form.html", {"space": space, "form": form}, status=status
    )


@login_required
@require_GET
def slot_wait_list(request: HttpRequest) -> HttpResponse:
    """The waits of the user's structures: in line (with their place), offered (accept or
    withdraw before the deadline), then the last ones that ended."""
    waits = list(selectors.slot_waits_listed(selectors.slot_waits_of_member(request.user))[:100])
    context = {
        "active": [wait for wait in waits if wait.status in ACTIVE_WAITS],
        "ended": [wait for wait in waits if wait.status not in ACTIVE_WAITS],
        "accept_form": SlotWaitAcceptForm(),
        "now": timezone.now(),
    }
    return render(request, "bookings/slot_waits.html", context)


@login_required
@require_POST
def slot_wait_accept(request: HttpRequest, pk: int) -> HttpResponse:
    wait = get_object_or_404(selectors.slot_waits_of_member(request.user), pk=pk)
    form = SlotWaitAcceptForm(request.POST)
    form.is_valid()
    try:
        booking = services.slot_wait_accept(
            wait=wait,
            actor=request.user,
            house_rules_accepted=form.cleaned_data.get("house_rules_accepted", False),
        )
    except OfferLost as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The slot is yours: your request is made."))
        return redirect(booking.get_absolute_url())
    return redirect("bookings:slot-wait-list")


@login_required
@require_POST
def slot_wait_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    wait = get_object_or_404(selectors.slot_waits_of_member(request.user), pk=pk)
    try:
        services.slot_wait_withdraw(wait=wait, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your structure no longer waits for this slot."))
    return redirect("bookings:slot-wait-list")


@login_required
@require_GET
def space_slot_waits(request: HttpRequest, pk: int) -> HttpResponse:
    """A space's line, for the people who manage it: who waits for which slot, in order."""
    space = get_object_or_404(spaces_manageable_by(request.user).select_related("site"), pk=pk)
    context = {"space": space, "line": list(selectors.slot_waits_line(space_id=space.pk))}
    return render(request, "bookings/space_slot_waits.html", context)
