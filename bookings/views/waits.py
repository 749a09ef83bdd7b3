"""Waiting for a slot (issue 16), HTML: join the line from a request that clashed, the
structure's waits (accept an offer, withdraw), a space's line for the people who manage it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import organisations_allowed_to_book_for
from bookings import selectors, services
from bookings.exceptions import OfferLost
from bookings.forms.conditions import RequestAnswersForm
from bookings.forms.waits import SlotWaitAcceptForm, SlotWaitForm, SlotWaitSettingForm
from bookings.models import ACTIVE_WAITS, OFFER_HOURS_DEFAULT, RequestQuestion, SlotWaitStatus
from bookings.selectors.conditions import request_questions_of
from core.forms import form_add_service_errors
from core.middleware import accepts_upload
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
    withdraw before the deadline), then the last ones that ended. An offer on a space with
    questions links to its acceptance page (`has_questions`), where they are asked."""
    waits = list(
        selectors.slot_waits_listed(selectors.slot_waits_of_member(request.user)).annotate(
            has_questions=Exists(RequestQuestion.objects.filter(space=OuterRef("space")))
        )[:100]
    )
    context = {
        "active": [wait for wait in waits if wait.status in ACTIVE_WAITS],
        "ended": [wait for wait in waits if wait.status not in ACTIVE_WAITS],
        "accept_form": SlotWaitAcceptForm(),
        "now": timezone.now(),
    }
    return render(request, "bookings/slot_waits.html", context)


@accepts_upload
@login_required
@require_http_methods(["GET", "POST"])
def slot_wait_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept a slot offered: the space's questions (the request form's fields, required ones
    too) and house rules, then the normal request. The list's button posts here directly for
    a space without questions."""
    wait = get_object_or_404(
        selectors.slot_waits_of_member(request.user).select_related("space", "space__site"),
        pk=pk,
    )
    posted = request.method == "POST"  # a list's button posts no field at all
    answers_form = RequestAnswersForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        questions=request_questions_of(space_id=wait.space_id),
    )
    status = 200
    if posted and answers_form.is_valid():
        try:
            booking = services.slot_wait_accept(
                wait=wait,
                actor=request.user,
                house_rules_accepted=answers_form.cleaned_data["house_rules_accepted"],
                answers=answers_form.answers(),
            )
        except OfferLost as exc:
            messages.error(request, str(exc.message))
            return redirect("bookings:slot-wait-list")
        except ValidationError as exc:
            if "wait" in getattr(exc, "error_dict", {}):  # nothing on offer any more
                messages.error(request, " ".join(exc.messages))
                return redirect("bookings:slot-wait-list")
            form_add_service_errors(answers_form, exc)
        else:
            messages.success(request, _("The slot is yours: your request is made."))
            return redirect(booking.get_absolute_url())
    if posted:
        status = 400
    if wait.status != SlotWaitStatus.OFFERED and status == 200:
        messages.info(request, _("This slot is not on offer to your structure (any more)."))
        return redirect("bookings:slot-wait-list")
    context = {"wait": wait, "space": wait.space, "answers_form": answers_form}
    return render(request, "bookings/slot_wait_accept.html", context, status=status)


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
@require_http_methods(["GET", "POST"])
def space_slot_waits(request: HttpRequest, pk: int) -> HttpResponse:
    """A space's line, for the people who manage it: who waits for which slot, in order; and
    how long a freed slot stays offered (POST: the setting)."""
    space = get_object_or_404(spaces_manageable_by(request.user).select_related("site"), pk=pk)
    setting = selectors.slot_wait_setting_of(space_id=space.pk)
    hours = setting.offer_hours if setting else OFFER_HOURS_DEFAULT
    form = SlotWaitSettingForm(request.POST or None, initial={"offer_hours": hours})
    if request.method == "POST" and form.is_valid():
        try:
            services.slot_wait_setting_set(
                space=space, actor=request.user, offer_hours=form.cleaned_data["offer_hours"]
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The offer duration was saved."))
            return redirect("bookings:space-slot-waits", pk=space.pk)
    context = {
        "space": space,
        "line": list(selectors.slot_waits_line(space_id=space.pk)),
        "form": form,
        "offer_hours": hours,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/space_slot_waits.html", context, status=status)
