"""Availability search, booking requests, decisions and cancellations (HTML)."""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format, localize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exceptions import DecisionNotAllowed
from accounts.selectors import organisations_allowed_to_book_for, organisations_of
from bookings import ics, selectors, services
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.filters import PendingFilter
from bookings.forms import (
    AvailabilitySearchForm,
    BehalfForm,
    BookingRequestForm,
    BulkDecisionForm,
    CancelForm,
    ReasonForm,
)
from bookings.forms.conditions import RequestAnswersForm, request_errors_add
from bookings.forms.equipment import posted_equipment
from bookings.models import Booking, BookingStatus, CalendarFeed, Frequency
from bookings.permissions import booking_actions_for
from bookings.selectors.checkin import no_shows_by_organisation
from bookings.selectors.conditions import request_questions_of
from bookings.selectors.equipment import booking_equipment
from bookings.selectors.sharing import sharing_windows_active_on
from bookings.services.groups import booking_request_several
from bookings.views.checkin import check_in_context
from bookings.views.comments import comments_context
from bookings.views.conditions import booking_conditions_context
from bookings.views.equipment import equipment_request_form
from bookings.views.groups import clash_rows_of_rooms, group_context, other_rooms_form
from core.formats import slot_texts
from core.forms import post_confirmed
from core.middleware import accepts_upload
from core.panels import cells_for
from core.params import BadParameter, parse_date_param, year_in_range
from spaces.cards import cards_prepare, for_cards
from spaces.filters import SpaceFilter
from spaces.selectors import spaces_manageable_by, spaces_visible_to


@require_GET
def availability(request: HttpRequest) -> HttpResponse:
    """Which spaces are free for a slot, with the catalogue's filters."""
    form = AvailabilitySearchForm(request.GET or None)
    space_filter = SpaceFilter(request.GET or None, queryset=None)
    results = None
    if form.is_bound and form.is_valid():
        free = selectors.spaces_available(user=request.user, period=form.period)
        results = list(SpaceFilter(request.GET, queryset=for_cards(free)).qs)
        cards_prepare(results)
    context = {"form": form, "filter": space_filter, "results": results}
    if results:
        # The slot each card's "Request this space" link carries, spelled once for the page.
        data = form.cleaned_data
        context["slot_query"] = (
            f"date={data['date']:%Y-%m-%d}&start_time={data['start_time']:%H:%M}"
            f"&end_time={data['end_time']:%H:%M}"
        )
    return render(request, "bookings/availability.html", context)


@require_GET
def space_week(request: HttpRequest, pk: int) -> HttpResponse:
    """A space's week: busy slots, with who booked them only for those allowed to know.

    A bad ?semaine= shows the current week with the reason, answered 400.
    """
    space = get_object_or_404(spaces_visible_to(request.user).select_related("site"), pk=pk)
    error = None
    try:
        day = parse_date_param(request.GET.get("semaine"), name="semaine")
    except BadParameter as exc:
        day, error = None, str(exc)
    day = day or timezone.localdate()
    monday = day - timedelta(days=day.weekday())
    zone = selectors.local_zone()
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    busy = selectors.busy_periods(
        user=request.user,
        space=space,
        start=start,
        end=end,
        is_manager=spaces_manageable_by(request.user).filter(pk=pk).exists(),
    )
    days = [
        {
            "date": monday + timedelta(days=offset),
            "busy": [
                b
                for b in busy
                if b["start"].astimezone(zone).date() == monday + timedelta(days=offset)
            ],
        }
        for offset in range(7)
    ]
    context = {
        "space": space,
        "days": days,
        "previous": _within_bounds(monday - timedelta(days=7)),
        "next": _within_bounds(monday + timedelta(days=7)),
        "monday": monday,
        "error": error,
    }
    return render(request, "bookings/space_week.html", context, status=400 if error else 200)


def _within_bounds(day: date) -> date | None:
    """A week to link to, or None past the dates the pages accept."""
    return day if year_in_range(day.year) else None


@accepts_upload
@login_required
@require_http_methods(["GET", "POST"])
def booking_create(request: HttpRequest, space_pk: int) -> HttpResponse:
    organisations = organisations_allowed_to_book_for(request.user).order_by("name")
    form = BookingRequestForm(
        request.POST or None,
        initial=request.GET.dict(),
        organisations=organisations,
        behalf=lambda: selectors.structures_bookable_on_behalf_by(request.user, space_id=space_pk),
    )
    # Issue 16: the space's questions and house rules (bookings/forms/conditions.py).
    answers_form = RequestAnswersForm(
        request.POST or None,
        request.FILES or None,
        questions=request_questions_of(space_id=space_pk),
    )
    # An agent's options when booking for a structure (issue 16); the service checks them.
    behalf_form = BehalfForm(request.POST or None)
    clashes = None
    preview = None
    wait_values = None
    # Equipment (issue 16): its quantity fields, read only when the POST has some.
    equipment_form = None
    if request.method == "POST" and posted_equipment(request.POST):
        equipment_form = equipment_request_form(space_pk, request.POST)
    equipment_valid = equipment_form is None or equipment_form.is_valid()
    # Several rooms at once (issue 16): the other rooms of the building, read only when the
    # POST ticks some (a request for one room reads nothing more).
    rooms_form = None
    if request.method == "POST" and request.POST.getlist("salles-also"):
        rooms_form = other_rooms_form(space_pk, request.POST)
    rooms_valid = rooms_form is None or rooms_form.is_valid()
    if (
        request.method == "POST"
        and form.is_valid() & answers_form.is_valid() & behalf_form.is_valid()
        and equipment_valid
        and rooms_valid
    ):
        # The service reads the space and the organisation itself, under its lock and within
        # what the user may see and book for, and refuses what the page below explains: a
        # request that goes through reads nothing else.
        values = form.cleaned_data
        booking_request = services.BookingRequest(
            space=space_pk,
            organisation=values["organisation"].pk,
            purpose=values["purpose"],
            attendees=values["attendees"],
            first=form.period,
            frequency=values["frequency"],
            repeat_until=values["repeat_until"],
            repeat_count=values["repeat_count"],
            skip_conflicts=values["skip_conflicts"],
            answers=answers_form.answers(files="preview" not in request.POST),
            house_rules_accepted=answers_form.cleaned_data["house_rules_accepted"],
            equipment=equipment_form.asked() if equipment_form else (),
            waive=frozenset(behalf_form.cleaned_data["waive"]),
            approve=behalf_form.cleaned_data["approve"],
        )
        also = rooms_form.cleaned_data["also"] if rooms_form else []
        try:
            if "preview" in request.POST:
                # The preview shows this room's dates; the other rooms are checked on sending.
                preview = services.booking_request_preview(
                    request=booking_request, requested_by=request.user
                )
            elif also:
                group = booking_request_several(
                    request=booking_request, spaces=[space_pk, *also], requested_by=request.user
                )
                booking = group.bookings_written[0]
            else:
                booking = services.booking_request(
                    request=booking_request, requested_by=request.user
                )
        except ValidationError as exc:
            request_errors_add(form, answers_form, exc)
        except BookingConflict as exc:
            clashes = clash_rows_of_rooms(exc) if exc.spaces else _clash_rows(exc)
            form.add_error(None, str(exc.message))
            # Issue 16: a one-off slot taken may be waited for, by one of the user's own
            # structures (not on behalf: the structure itself decides to wait); a wait is for
            # one room, so not when several were asked for together.
            if (
                values["frequency"] == Frequency.ONCE
                and values["organisation"] in organisations
                and not also
            ):
                wait_values = [(name, request.POST.get(name, "")) for name in SLOT_WAIT_FIELDS]
        else:
            if preview is None and also:
                messages.success(
                    request,
                    ngettext(
                        "Your request for %(n)s room was sent: each room is decided on its own.",
                        "Your request for %(n)s rooms was sent: each room is decided on its own.",
                        len(also) + 1,
                    )
                    % {"n": len(also) + 1},
                )
                return redirect(booking.get_absolute_url())
            if preview is None:
                if booking.on_behalf:
                    messages.success(
                        request,
                        _("Booked on behalf of %(structure)s, which is told by e-mail.")
                        % {"structure": values["organisation"].name},
                    )
                elif booking.status == BookingStatus.CONFIRMED:
                    messages.success(request, _("Your booking is confirmed."))
                else:
                    messages.success(
                        request,
                        _("Your request was sent to the manager, who will answer by e-mail."),
                    )
                return redirect(booking.get_absolute_url())
    # The page: the form, or why this user cannot request this space.
    space = get_object_or_404(spaces_visible_to(request.user).select_related("site"), pk=space_pk)
    # A space that is not booked by the hour (an office let through a call, a closed building)
    # and a space reserved to other kinds of organisation get a page that says why and where to
    # go instead (its call, the waiting list, the search), not a 404 or a form refused at the end.
    if not selectors.spaces_bookable_by(None).filter(pk=space.pk).exists():
        return render(
            request, "bookings/cannot_book.html", {"space": space, "reason": "not_bookable"}
        )
    on_behalf = selectors.user_may_book_on_behalf(request.user, space_id=space.pk)
    if on_behalf:
        form.offer_behalf(
            (
                organisations
                | selectors.structures_bookable_on_behalf_by(request.user, space_id=space.pk)
            ).order_by("name", "pk")
        )
    elif not organisations.exists():
        return render(
            request,
            "bookings/cannot_book.html",
            {"space": space, "reason": "no_organisation"},
            status=403,
        )
    if (
        not on_behalf
        and not selectors.spaces_bookable_by(organisations).filter(pk=space.pk).exists()
    ):
        return render(
            request,
            "bookings/cannot_book.html",
            {"space": space, "reason": "reserved"},
            status=403,
        )
    if equipment_form is None:
        equipment_form = equipment_request_form(space.pk, request.POST or None)
    if rooms_form is None:
        rooms_form = other_rooms_form(space.pk, request.POST or None)
    invalid = form.is_bound and (
        form.errors or answers_form.errors or equipment_form.errors or rooms_form.errors
    )
    status = 409 if clashes else (400 if invalid else 200)
    context = {
        "form": form,
        "answers_form": answers_form,
        "space": space,
        "clashes": clashes,
        "preview": preview,
        "equipment_form": equipment_form,
        "behalf_form": behalf_form if on_behalf else None,
        "can_wait": wait_values is not None,
        "wait_values": wait_values,
        "rooms_form": rooms_form,
        # Issue 17: the room is let under an agreement whose occupant shares it at times.
        "shared_times": sharing_windows_active_on(space_id=space.pk),
    }
    return render(request, "bookings/booking_form.html", context, status=status)


# The booking form's fields a wait for the slot carries (bookings.forms.waits.SlotWaitForm).
SLOT_WAIT_FIELDS = ("organisation", "purpose", "attendees", "date", "start_time", "end_time")


def _clash_rows(exc: BookingConflict) -> list[dict]:
    seen, rows = set(), []
    reasons = exc.reasons or [""] * len(exc.clashes)
    for (requested, occupied), reason in zip(exc.clashes, reasons, strict=False):
        if requested in seen:
            continue
        seen.add(requested)
        rows.append({"requested": requested, "occupied": occupied, "reason": reason})
    return rows


# Bookings shown at a time in each list of "My bookings", upcoming and past (a link shows the
# next ones): a member of a busy structure has over a hundred.
UPCOMING_PAGE_SIZE = 20
PAST_PAGE_SIZE = 20


@login_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    """The user's organisations' bookings: upcoming (not over yet) first, soonest first, then
    the past ones, latest first, each list a page at a time (`avenir`, `passees`); a series is
    one entry with its dates. At the top, the calendar subscription of their organisations."""
    now = timezone.now()
    rows = selectors.bookings_of_organisations_of(request.user)
    upcoming = Paginator(
        [pk for pk, last_end in rows if last_end > now], UPCOMING_PAGE_SIZE
    ).get_page(request.GET.get("avenir"))
    past = Paginator(
        [pk for pk, last_end in reversed(rows) if last_end <= now], PAST_PAGE_SIZE
    ).get_page(request.GET.get("passees"))
    # Both pages' bookings read at once, then put in their lists.
    found = selectors.bookings_for_list([*upcoming.object_list, *past.object_list])
    upcoming.object_list = [found[pk] for pk in upcoming.object_list if pk in found]
    past.object_list = [found[pk] for pk in past.object_list if pk in found]
    shown = [*upcoming.object_list, *past.object_list]
    _dates_attach(shown)
    feeds = [
        {"feed": feed, "url": ics.feed_url(feed), "name": ics.feed_target_name(feed)}
        for feed in ics.calendar_feeds_of(user=request.user).filter(
            scope=CalendarFeed.Scope.ORGANISATION
        )
    ]
    subscribed = {row["feed"].organisation_id for row in feeds}
    context = {
        "upcoming": upcoming,
        "past": past,
        # Each list's links keep the other list's page.
        "upcoming_query": f"passees={past.number}&" if past.number > 1 else "",
        "past_query": f"avenir={upcoming.number}&" if upcoming.number > 1 else "",
        "fees": cells_for("booking_list.fee", request, shown),
        "feeds": [{**row, "webcal": _webcal(row["url"])} for row in feeds],
        "to_subscribe": [
            organisation
            for organisation in organisations_of(request.user).order_by("name", "pk")
            if organisation.pk not in subscribed
        ],
    }
    return render(request, "bookings/booking_list.html", context)


def _dates_attach(bookings: list[Booking]) -> None:
    """Give each booking of "My bookings" its spelled slot (`slot_text`) and, for a series,
    its dates as (text, active) pairs (`dates`; the card shows a single booking's slot only):
    one query and one formatting pass for the page, not three template filters per date."""
    dates = selectors.booking_dates_of([booking for booking in bookings if booking.is_series])
    rows = [dates.get(booking.pk, []) for booking in bookings]
    # One pass for the page (the names of days and months are looked up once per call).
    texts = iter(
        slot_texts(
            [(booking.start, booking.end) for booking in bookings]
            + [(start, end) for series in rows for start, end, _active in series]
        )
    )
    for booking in bookings:
        booking.slot_text = next(texts)
    for booking, series in zip(bookings, rows, strict=True):
        booking.dates = [(next(texts), active) for _start, _end, active in series]


def _webcal(url: str) -> str:
    """The same feed for calendar applications that subscribe on a click (webcal: scheme)."""
    return "webcal://" + url.split("://", 1)[-1]


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(selectors.booking_detail(user=request.user), pk=pk)
    return booking_detail_page(request, booking)


def booking_detail_page(
    request: HttpRequest, booking: Booking, *, file_form=None, status: int = 200
) -> HttpResponse:
    """The booking's page (`file_form`: a refused attachment, shown with its errors)."""
    # A manager who belongs to the requesting organisation decides nothing on it (a colleague
    # does) and cancels as its requester: bookings.permissions, which the services check.
    actions = booking_actions_for(user=request.user, booking=booking)
    occurrences = list(selectors.booking_occupancies(booking=booking))
    context = {
        "booking": booking,
        "occurrences": occurrences,
        "log": booking.log.select_related("actor"),
        "equipment": booking_equipment(booking=booking),
        "is_manager": actions.is_manager,
        "can_decide": actions.can_decide,
        "can_cancel": actions.can_cancel,
        "can_change": actions.can_change,
        "cancel_form": CancelForm(booking=booking, by_manager=actions.can_decide)
        if booking.occupies
        else None,
        # Its own ids: the cancel form on the same page has a "reason" field too.
        "refuse_form": ReasonForm(auto_id="id_refuse_%s")
        if actions.can_decide and booking.status == BookingStatus.PENDING
        else None,
        # Issue 16: answers, attached files, what the approval waits for.
        **booking_conditions_context(
            booking, bound=file_form, can_remove_files=actions.can_remove_files
        ),
        # Issue 16: the rooms requested with this one (a query only for a group's booking).
        **group_context(booking, can_decide=actions.can_decide),
        **comments_context(booking),
        # Issue 16: check-in at the door, the structure's no-shows for its managers.
        **check_in_context(
            booking,
            user=request.user,
            is_manager=actions.is_manager,
            occurrences=occurrences,
            can_decide=actions.can_decide,
        ),
    }
    return render(request, "bookings/booking_detail.html", context, status=status)


def _done(request: HttpRequest, booking: Booking, changed: bool, text: str) -> HttpResponse:
    if changed:
        messages.success(request, text)
    else:
        messages.info(request, _("Nothing to do: the booking was already in that state."))
    return redirect(booking.get_absolute_url())


@login_required
@require_POST
def booking_approve(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
    try:
        changed = services.booking_approve(booking=booking, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, exc.message())
        return redirect(booking.get_absolute_url())
    return _done(request, booking, changed, _("The booking is approved; the requester is told."))


@login_required
@require_POST
def booking_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse with a reason, after a confirmation page that says the requester is told it."""
    booking = get_object_or_404(selectors.bookings_manageable_by(request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason: it is sent to the requester."))
        return redirect(booking.get_absolute_url())
    if not post_confirmed(request):
        return render(
            request,
            "bookings/booking_confirm.html",
            {"booking": booking, "action": "refuse", "form": form},
        )
    try:
        changed = services.booking_refuse(
            booking=booking, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except InvalidTransition as exc:
        messages.error(request, exc.message())
        return redirect(booking.get_absolute_url())
    return _done(request, booking, changed, _("The request is refused; the requester is told why."))


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the booking or some of its dates, after a confirmation page that says what is
    cancelled, who is told and what is refunded."""
    booking = get_object_or_404(selectors.bookings_visible_to(request.user), pk=pk)
    actions = booking_actions_for(user=request.user, booking=booking)
    form = CancelForm(request.POST, booking=booking, by_manager=actions.can_decide)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect(booking.get_absolute_url())
    chosen = form.cleaned_data["occurrence_start"]
    if not post_confirmed(request):
        context = {
            "booking": booking,
            "action": "cancel",
            "form": form,
            "chosen": dict(form.fields["occurrence_start"].choices).get(chosen) if chosen else "",
            "by_manager": actions.can_decide,
        }
        return render(request, "bookings/booking_confirm.html", context)
    try:
        count = services.booking_cancel(
            booking=booking,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            occurrence_start=parse_datetime(chosen) if chosen else None,
            and_following=form.cleaned_data["and_following"],
        )
    except (ValidationError, InvalidTransition) as exc:
        text = exc.message() if isinstance(exc, InvalidTransition) else " ".join(exc.messages)
        messages.error(request, text)
    else:
        messages.success(request, _("%(n)s date(s) cancelled.") % {"n": count})
    return redirect(booking.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def pending(request: HttpRequest) -> HttpResponse:
    """The requests awaiting the user's decision, as a table filtered by site, space and dates
    (GET), decided row by row or in bulk with one reason (POST to the same address).

    After a decision the page comes back with its filters and the rows still ticked; each
    request is decided in its own transaction, so one that fails (decided meanwhile, not the
    user's to decide) is reported by name and the others are decided all the same."""
    form = BulkDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        table = selectors.bookings_pending_table(request.user)
        decided = _decide(request, table, form.cleaned_data)
        query = request.GET.copy()
        query.pop("tout", None)
        query.setlist("choisis", [pk for pk in form.cleaned_data["selected"] if pk not in decided])
        return redirect(f"{reverse('bookings:pending')}?{query.urlencode()}")
    filtered = any(request.GET.get(name) for name in PendingFilter.base_filters)
    # Filtered, the filter narrows the table's queryset; otherwise the queue is the selector's
    # list, its SQL compiled once per process, and the queryset is not even built.
    table = selectors.bookings_pending_table(request.user) if filtered else None
    pending_filter = PendingFilter(request.GET or None, queryset=table, user=request.user)
    rows = list(pending_filter.qs) if filtered else selectors.bookings_pending_rows(request.user)
    if not filtered and (not pending_filter.is_bound or pending_filter.form.is_valid()):
        # Every request awaiting the user is listed: the menu's count is their number.
        selectors.bookings_pending_count_known(request.user, len(rows))
    if form.is_bound:
        selected = {int(pk) for pk in request.POST.getlist("bookings") if pk.isdigit()}
    elif request.GET.get("tout"):  # "Tout sélectionner" without JavaScript
        selected = {booking.pk for booking in rows}
    else:
        selected = {int(pk) for pk in request.GET.getlist("choisis") if pk.isdigit()}
    _queue_texts(rows)
    _queue_no_shows(rows)
    context = {
        "form": form,
        "filter": pending_filter,
        "pending": rows,
        "selected": selected,
        "filtered": filtered,
    }
    context["fees"] = cells_for("booking_list.fee", request, context["pending"])
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "bookings/pending.html", context, status=status)


def _queue_texts(rows: list[Booking]) -> None:
    """Spell each row's dates as the template filters would (`date:"D j F Y"`, `time:"H:i"`,
    `date:"j F, H:i"`, in the current time zone) and its texts as the `blocktranslate`s would
    (the purpose escaped), once per row in Python: the template's filters and tags cost more
    than the rest of the row (docs/decisions.md, issue 18)."""
    for booking in rows:
        purpose = {"purpose": escape(booking.purpose)}
        # Safe: the only value put in is escaped, as blocktranslate escapes it.
        booking.select_text = mark_safe(_("Select “%(purpose)s”") % purpose)  # noqa: S308
        booking.quoted_purpose = mark_safe(_("“%(purpose)s”") % purpose)  # noqa: S308
        booking.dates_text = ngettext("%(counter)s date", "%(counter)s dates", booking.dates) % {
            "counter": localize(booking.dates)
        }
        start, end = timezone.localtime(booking.start), timezone.localtime(booking.end)
        booking.day_text = dateformat.format(start, "D j F Y")
        booking.hours_text = f"{start:%H:%M}–{end:%H:%M}"
        booking.lapses_text = (
            dateformat.format(timezone.localtime(booking.lapses_at), "j F, H:i")
            if booking.lapses_at
            else None
        )


def _queue_no_shows(rows: list[Booking]) -> None:
    """Each row's structure's no-shows over twelve months (issue 16: check-in), in one query
    for the page; `no_shows_text` only where there are some."""
    counts = no_shows_by_organisation(
        organisation_ids=[booking.organisation_id for booking in rows], now=timezone.now()
    )
    for booking in rows:
        count = counts.get(booking.organisation_id, 0)
        booking.no_shows_text = (
            ngettext(
                "%(counter)s no-show over 12 months", "%(counter)s no-shows over 12 months", count
            )
            % {"counter": count}
            if count
            else ""
        )


def _decide(request: HttpRequest, queryset: QuerySet[Booking], values: dict) -> set[int]:
    """Approve or refuse each target the user may decide; tell what was done and, by name,
    what was not and why. Returns the ids decided."""
    approve = values["decision"] == BulkDecisionForm.APPROVE
    found = {booking.pk: booking for booking in queryset.filter(pk__in=values["targets"])}
    decided: set[int] = set()
    for pk in values["targets"]:
        booking = found.get(pk)
        if booking is None:
            messages.error(
                request,
                _(
                    "Request no. %(id)s was not decided: it no longer awaits your decision "
                    "(decided meanwhile, or not on your sites)."
                )
                % {"id": pk},
            )
            continue
        try:
            if approve:
                services.booking_approve(booking=booking, actor=request.user)
            else:
                services.booking_refuse(
                    booking=booking, actor=request.user, reason=values["reason"]
                )
        except InvalidTransition as exc:
            problem = exc.message()
        except BookingConflict as exc:
            problem = str(exc.message)
        except (DecisionNotAllowed, ValidationError) as exc:
            problem = exc.message if isinstance(exc, DecisionNotAllowed) else " ".join(exc.messages)
        else:
            decided.add(pk)
            continue
        messages.error(
            request,
            _("“%(purpose)s” (%(space)s, %(date)s) was not decided: %(problem)s")
            % {
                "purpose": booking.purpose,
                "space": booking.space.name,
                "date": date_format(timezone.localtime(booking.start), "SHORT_DATETIME_FORMAT"),
                "problem": problem,
            },
        )
    if decided:
        text = (
            ngettext("%(n)s request approved.", "%(n)s requests approved.", len(decided))
            if approve
            else ngettext(
                "%(n)s request refused; the requester is told why.",
                "%(n)s requests refused; the requesters are told why.",
                len(decided),
            )
        )
        messages.success(request, text % {"n": len(decided)})
    return decided
