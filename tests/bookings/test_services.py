"""The booking services: requests, clashes, closures, decisions, cancellations, lapses, e-mails.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the usual slot is Tuesday
12 January, 18:00–20:00 (the space's defaults: 24 h notice, 30 min to 12 h, no buffer).
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from schedule.models import Event, Occurrence

from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.models import Booking, BookingLog, BookingStatus, Closure, Frequency, Occupancy
from bookings.rules import Period
from bookings.services import (
    booking_approve,
    booking_cancel,
    booking_refuse,
    bookings_expire_lapsed,
    closure_create,
)
from spaces.models import SiteStatus
from tests.factories import OpeningHoursFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)


def _book(space, user, start=START, end=END, **extra) -> Booking:
    return booking_request_for(space=space, requested_by=user, start=start, end=end, **extra)


def _weekly(space, user, count: int, **extra) -> Booking:
    return _book(space, user, frequency=Frequency.WEEKLY, repeat_count=count, **extra)


def _active_starts(booking: Booking) -> list:
    return list(booking.occupancies.filter(active=True).values_list("start", flat=True))


def _refused_field(call) -> dict[str, list[str]]:
    """Run `call`, expect a ValidationError, return its errors by field."""
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def _nothing_saved() -> bool:
    return not (Booking.objects.exists() or Occupancy.objects.exists() or Event.objects.exists())


# --- Requests ---


def test_booking_request_is_pending_on_a_space_that_needs_approval(space, requester):
    booking = _book(space, requester)

    assert booking.status == BookingStatus.PENDING
    assert _active_starts(booking) == [START]


def test_booking_request_is_confirmed_at_once_on_an_instant_space(space, requester):
    space.instant_confirmation = True
    space.save()

    booking = _book(space, requester)

    assert booking.status == BookingStatus.CONFIRMED
    assert booking.lapses_at is None


def test_booking_request_lapses_when_its_first_date_starts_at_the_latest(space, requester):
    booking = _book(space, requester)

    assert booking.lapses_at == START


def test_booking_request_logs_who_asked(space, requester):
    booking = _book(space, requester)

    entry = booking.log.get()
    assert (entry.from_status, entry.to_status, entry.actor) == (
        "",
        BookingStatus.PENDING,
        requester,
    )


# --- Clashes, buffers and closures ---


def test_booking_request_refuses_an_overlapping_slot_with_the_clashing_period(
    space, requester, other_requester
):
    _book(space, requester)

    with pytest.raises(BookingConflict) as error:
        _book(space, other_requester, START + timedelta(hours=1), END + timedelta(hours=1))

    requested = Period(START + timedelta(hours=1), END + timedelta(hours=1))
    assert error.value.clashes == [(requested, Period(START, END))]
    assert Booking.objects.count() == 1


def test_booking_request_allows_back_to_back_slots(space, requester, other_requester):
    _book(space, requester)

    after = _book(space, other_requester, END, END + timedelta(hours=2))

    assert _active_starts(after) == [END]


def test_booking_request_keeps_the_buffer_free_after_a_booking(space, requester, other_requester):
    space.buffer_minutes = 30
    space.save()
    _book(space, requester)

    with pytest.raises(BookingConflict):
        _book(space, other_requester, END + timedelta(minutes=15), END + timedelta(hours=2))

    assert Booking.objects.count() == 1


def test_booking_request_keeps_the_buffer_free_before_a_booking(space, requester, other_requester):
    space.buffer_minutes = 30
    space.save()
    _book(space, requester)

    with pytest.raises(BookingConflict):
        _book(space, other_requester, START - timedelta(hours=2), START - timedelta(minutes=15))

    assert Booking.objects.count() == 1


def test_booking_request_accepts_a_slot_starting_when_the_buffer_ends(
    space, requester, other_requester
):
    space.buffer_minutes = 30
    space.save()
    _book(space, requester)

    after = _book(space, other_requester, END + timedelta(minutes=30), END + timedelta(hours=2))

    assert after.status == BookingStatus.PENDING


def test_booking_request_refuses_a_slot_during_a_closure(space, site, requester, territory_admin):
    closure_create(
        actor=territory_admin,
        site=site,
        period=Period(paris(2027, 1, 12), paris(2027, 1, 13)),
        reason="Travaux de peinture",
    )

    with pytest.raises(BookingConflict):
        _book(space, requester)

    assert not Booking.objects.exists()


def test_closure_create_lists_the_bookings_it_would_hit(space, site, requester, territory_admin):
    _book(space, requester)
    day = Period(paris(2027, 1, 12), paris(2027, 1, 13))

    with pytest.raises(BookingConflict) as error:
        closure_create(actor=territory_admin, site=site, period=day, reason="Travaux")

    assert error.value.clashes == [(day, Period(START, END))]
    assert not Closure.objects.exists()


def test_closure_create_with_cancel_bookings_cancels_the_dates_it_hits(
    space, site, requester, territory_admin
):
    booking = _weekly(space, requester, 3)

    closure_create(
        actor=territory_admin,
        site=site,
        period=Period(paris(2027, 1, 19), paris(2027, 1, 20)),
        reason="Travaux",
        cancel_bookings=True,
    )

    assert _active_starts(booking) == [START, START + timedelta(weeks=2)]
    assert Occupancy.objects.filter(closure__isnull=False, active=True).count() == 1


def test_closure_create_lists_a_booking_whose_buffer_runs_into_it(
    space, site, requester, territory_admin
):
    # The booking ends at 20:00 but the room is kept free until 20:30 for cleaning.
    space.buffer_minutes = 30
    space.save()
    _book(space, requester)
    evening = Period(END, paris(2027, 1, 13))

    with pytest.raises(BookingConflict) as error:
        closure_create(actor=territory_admin, site=site, period=evening, reason="Travaux")

    assert error.value.clashes == [(evening, Period(START, END))]
    assert not Closure.objects.exists()


def test_closure_create_does_not_cancel_a_booking_that_only_its_buffer_touches(
    space, site, requester, territory_admin
):
    space.buffer_minutes = 30
    space.save()
    booking = _book(space, requester)

    with pytest.raises(BookingConflict):
        closure_create(
            actor=territory_admin,
            site=site,
            period=Period(END, paris(2027, 1, 13)),
            reason="Travaux",
            cancel_bookings=True,
        )

    assert _active_starts(booking) == [START]


# --- Decisions ---


def test_booking_approve_confirms_a_pending_request(space, requester, facilities_manager):
    booking = _book(space, requester)

    changed = booking_approve(booking=booking, actor=facilities_manager)

    booking.refresh_from_db()
    assert changed is True
    assert booking.status == BookingStatus.CONFIRMED


def test_booking_approve_twice_changes_and_logs_once(space, requester, facilities_manager):
    booking = _book(space, requester)
    booking_approve(booking=booking, actor=facilities_manager)

    changed = booking_approve(booking=booking, actor=facilities_manager)

    assert changed is False
    assert (
        BookingLog.objects.filter(booking=booking, to_status=BookingStatus.CONFIRMED).count() == 1
    )


def test_booking_refuse_requires_a_reason(space, requester, facilities_manager):
    booking = _book(space, requester)

    errors = _refused_field(
        lambda: booking_refuse(booking=booking, actor=facilities_manager, reason="  ")
    )

    booking.refresh_from_db()
    assert list(errors) == ["reason"]
    assert booking.status == BookingStatus.PENDING


def test_booking_refuse_frees_the_slot(space, requester, other_requester, facilities_manager):
    booking = _book(space, requester)
    booking_refuse(booking=booking, actor=facilities_manager, reason="Salle réservée au conseil")

    again = _book(space, other_requester)

    assert again.status == BookingStatus.PENDING


def test_booking_refuse_of_a_confirmed_booking_is_an_invalid_transition(
    space, requester, facilities_manager
):
    booking = _book(space, requester)
    booking_approve(booking=booking, actor=facilities_manager)

    with pytest.raises(InvalidTransition) as error:
        booking_refuse(booking=booking, actor=facilities_manager, reason="Trop tard")

    assert (error.value.from_status, error.value.to_status) == ("confirmed", "refused")


def test_booking_cancel_of_a_refused_booking_is_an_invalid_transition(
    space, requester, facilities_manager
):
    booking = _book(space, requester)
    booking_refuse(booking=booking, actor=facilities_manager, reason="Complet")

    with pytest.raises(InvalidTransition):
        booking_cancel(booking=booking, actor=requester, reason="Plus besoin")

    assert booking.log.count() == 2


# --- Bad input: a ValidationError naming the field, nothing saved ---


def test_booking_request_refuses_an_end_before_the_start(space, requester):
    errors = _refused_field(lambda: _book(space, requester, END, START))

    assert list(errors) == ["end"]
    assert _nothing_saved()


def test_booking_request_refuses_a_zero_length_booking(space, requester):
    errors = _refused_field(lambda: _book(space, requester, START, START))

    assert list(errors) == ["end"]
    assert _nothing_saved()


def test_booking_request_refuses_a_booking_over_the_maximum_duration(space, requester):
    errors = _refused_field(lambda: _book(space, requester, START, START + timedelta(hours=13)))

    assert list(errors) == ["end"]
    assert _nothing_saved()


def test_booking_request_refuses_a_slot_outside_the_opening_hours(space, requester):
    OpeningHoursFactory(space=space)  # Tuesdays 08:00–20:00

    errors = _refused_field(
        lambda: _book(space, requester, START + timedelta(hours=1), END + timedelta(hours=1))
    )

    assert list(errors) == ["start"]
    assert _nothing_saved()


def test_booking_request_refuses_a_later_date_outside_the_opening_hours(space, requester):
    OpeningHoursFactory(space=space)  # Tuesdays only: 12 February 2027 is a Friday

    errors = _refused_field(
        lambda: _book(space, requester, frequency=Frequency.MONTHLY_DATE, repeat_count=2)
    )

    assert list(errors) == ["repeat_until"]
    assert _nothing_saved()


def test_booking_request_refuses_a_slot_in_the_past(space, requester):
    yesterday = START - timedelta(days=9)

    errors = _refused_field(
        lambda: _book(space, requester, yesterday, yesterday + timedelta(hours=2))
    )

    assert list(errors) == ["start"]
    assert "passé" in errors["start"][0]
    assert _nothing_saved()


def test_booking_request_refuses_a_slot_within_the_minimum_notice(space, requester):
    soon = paris(2027, 1, 4, 18)

    errors = _refused_field(lambda: _book(space, requester, soon, soon + timedelta(hours=2)))

    assert list(errors) == ["start"]
    assert _nothing_saved()


def test_booking_request_refuses_a_slot_beyond_the_maximum_advance(space, requester):
    far = paris(2028, 1, 11, 18)

    errors = _refused_field(lambda: _book(space, requester, far, far + timedelta(hours=2)))

    assert list(errors) == ["start"]
    assert _nothing_saved()


def test_booking_request_refuses_more_attendees_than_the_capacity(space, requester):
    errors = _refused_field(lambda: _book(space, requester, attendees=space.capacity + 1))

    assert list(errors) == ["attendees"]
    assert _nothing_saved()


def test_booking_request_refuses_more_attendees_than_the_building_admits(site, space, requester):
    site.max_occupancy = 12
    site.save()

    errors = _refused_field(lambda: _book(space, requester, attendees=15))

    assert errors == {"attendees": ["Cet espace peut accueillir au maximum 12 personnes."]}
    assert _nothing_saved()


def test_booking_request_refuses_a_kind_of_organisation_the_space_does_not_accept(space, requester):
    space.allowed_organisation_kinds = ["commune", "epci"]
    space.save()

    errors = _refused_field(lambda: _book(space, requester))

    assert list(errors) == ["space"]
    assert _nothing_saved()


def test_booking_request_refuses_an_unverified_structure(space, member):
    errors = _refused_field(lambda: _book(space, member))

    assert list(errors) == ["organisation"]
    assert _nothing_saved()


def test_booking_request_refuses_an_organisation_the_user_does_not_belong_to(
    space, requester, other_organisation
):
    errors = _refused_field(lambda: _book(space, requester, organisation=other_organisation))

    assert list(errors) == ["organisation"]
    assert _nothing_saved()


def test_booking_request_refuses_a_space_that_is_not_bookable(space, requester):
    space.bookable = False
    space.save()

    errors = _refused_field(lambda: _book(space, requester))

    assert list(errors) == ["space"]
    assert _nothing_saved()


def test_booking_request_refuses_a_building_under_works(site, space, requester):
    site.status = SiteStatus.WORKS
    site.save()

    errors = _refused_field(lambda: _book(space, requester))

    assert list(errors) == ["space"]
    assert _nothing_saved()


def test_booking_request_refuses_a_series_of_ten_thousand_dates(space, requester):
    errors = _refused_field(lambda: _weekly(space, requester, 10_000))

    assert list(errors) == ["repeat_count"]
    assert _nothing_saved()


def test_booking_request_refuses_a_series_until_a_date_past_twelve_months(space, requester):
    errors = _refused_field(
        lambda: _book(
            space, requester, frequency=Frequency.WEEKLY, repeat_until=paris(2028, 6, 1).date()
        )
    )

    assert list(errors) == ["repeat_until"]
    assert _nothing_saved()


def test_booking_request_refuses_a_series_until_the_last_day_of_the_calendar(space, requester):
    errors = _refused_field(
        lambda: _book(space, requester, frequency=Frequency.WEEKLY, repeat_until=date.max)
    )

    assert list(errors) == ["repeat_until"]
    assert _nothing_saved()


# --- Cancellations ---


def test_booking_cancel_by_the_requester_within_the_notice_cancels_it(space, requester):
    booking = _book(space, requester)

    cancelled = booking_cancel(booking=booking, actor=requester, reason="Réunion reportée")

    booking.refresh_from_db()
    assert cancelled == 1
    assert booking.status == BookingStatus.CANCELLED
    assert _active_starts(booking) == []


def test_booking_cancel_by_the_requester_too_late_is_refused(space, requester):
    booking = _book(space, requester)

    with (
        time_machine.travel(START - timedelta(hours=30), tick=False),
        pytest.raises(ValidationError),
    ):
        booking_cancel(booking=booking, actor=requester, reason="Empêchement")

    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_booking_cancel_by_a_manager_is_allowed_at_any_time(space, requester, facilities_manager):
    booking = _book(space, requester)

    with time_machine.travel(START - timedelta(hours=1), tick=False):
        booking_cancel(booking=booking, actor=facilities_manager, reason="Dégât des eaux")

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_booking_cancel_requires_a_reason(space, requester):
    booking = _book(space, requester)

    errors = _refused_field(lambda: booking_cancel(booking=booking, actor=requester, reason=""))

    assert list(errors) == ["reason"]


def test_booking_cancel_of_one_date_leaves_the_other_dates(space, requester):
    booking = _weekly(space, requester, 4)
    second = START + timedelta(weeks=1)

    cancelled = booking_cancel(
        booking=booking,
        actor=requester,
        reason="Vacances",
        occurrence_start=second,
    )

    booking.refresh_from_db()
    assert cancelled == 1
    assert booking.status == BookingStatus.PENDING
    assert _active_starts(booking) == [
        START,
        START + timedelta(weeks=2),
        START + timedelta(weeks=3),
    ]
    assert booking.occupancies.get(start=second).active is False


def test_booking_cancel_of_one_date_is_logged_and_removed_from_the_calendar(space, requester):
    booking = _weekly(space, requester, 4)
    second = START + timedelta(weeks=1)

    booking_cancel(
        booking=booking,
        actor=requester,
        reason="Vacances",
        occurrence_start=second,
    )

    entry = booking.log.get(occurrence_start__isnull=False)
    assert (entry.occurrence_start, entry.to_status, entry.reason) == (
        second,
        BookingStatus.CANCELLED,
        "Vacances",
    )
    assert Occurrence.objects.get(event=booking.event, original_start=second).cancelled is True


def test_booking_cancel_of_a_date_and_the_following_ones(space, requester):
    booking = _weekly(space, requester, 4)

    cancelled = booking_cancel(
        booking=booking,
        actor=requester,
        reason="Fin de l'atelier",
        occurrence_start=START + timedelta(weeks=2),
        and_following=True,
    )

    assert cancelled == 2
    assert _active_starts(booking) == [START, START + timedelta(weeks=1)]


def test_booking_cancel_of_the_last_remaining_date_cancels_the_booking(space, requester):
    booking = _weekly(space, requester, 2)
    booking_cancel(booking=booking, actor=requester, reason="Un", occurrence_start=START)

    booking_cancel(
        booking=booking,
        actor=requester,
        reason="Deux",
        occurrence_start=START + timedelta(weeks=1),
    )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_booking_cancel_of_a_date_frees_it_for_another_request(space, requester, other_requester):
    booking = _weekly(space, requester, 3)
    booking_cancel(
        booking=booking,
        actor=requester,
        reason="Vacances",
        occurrence_start=START + timedelta(weeks=1),
    )

    other = _book(space, other_requester, START + timedelta(weeks=1), END + timedelta(weeks=1))

    assert other.status == BookingStatus.PENDING


def test_booking_cancel_of_an_unknown_date_is_refused(space, requester):
    booking = _weekly(space, requester, 2)

    errors = _refused_field(
        lambda: booking_cancel(
            booking=booking,
            actor=requester,
            reason="Vacances",
            occurrence_start=START + timedelta(days=1),
        )
    )

    assert list(errors) == ["occurrence_start"]


# --- Lapsed requests ---


def test_bookings_expire_lapsed_frees_the_slots_of_undecided_requests(space, requester):
    start = paris(2027, 1, 20, 18)
    booking = _book(space, requester, start, start + timedelta(hours=2))

    with time_machine.travel(paris(2027, 1, 15, 9), tick=False):
        lapsed = bookings_expire_lapsed()

    booking.refresh_from_db()
    assert lapsed == 1
    assert booking.status == BookingStatus.LAPSED
    assert _active_starts(booking) == []


def test_bookings_expire_lapsed_leaves_requests_still_in_time(space, requester):
    start = paris(2027, 1, 20, 18)
    booking = _book(space, requester, start, start + timedelta(hours=2))

    with time_machine.travel(paris(2027, 1, 14, 8), tick=False):
        lapsed = bookings_expire_lapsed()

    booking.refresh_from_db()
    assert lapsed == 0
    assert booking.status == BookingStatus.PENDING


def test_booking_request_succeeds_on_the_slot_of_a_lapsed_request(
    space, requester, other_requester
):
    start = paris(2027, 1, 20, 18)
    first = _book(space, requester, start, start + timedelta(hours=2))

    with time_machine.travel(paris(2027, 1, 15, 9), tick=False):
        second = _book(space, other_requester, start, start + timedelta(hours=2))

    first.refresh_from_db()
    assert first.status == BookingStatus.LAPSED
    assert _active_starts(second) == [start]


# --- E-mails ---


def test_booking_request_emails_the_requester_and_the_managers_after_commit(
    space, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _book(space, requester)
        sent_before_commit = len(mailoutbox)

    assert sent_before_commit == 0
    assert [mail.to for mail in mailoutbox] == [[requester.email], [facilities_manager.email]]


def test_booking_request_emails_are_in_french(
    space, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        _book(space, requester)

    assert [mail.subject for mail in mailoutbox] == [
        "[Locaux Communs] Demande de réservation reçue — Salle Usinor",
        "[Locaux Communs] Nouvelle demande de réservation à traiter — Salle Usinor",
    ]
    assert "12 janvier 2027 de 18:00 à 20:00" in mailoutbox[0].body


def test_booking_request_refused_for_a_clash_sends_no_email(
    space, requester, other_requester, mailoutbox, django_capture_on_commit_callbacks
):
    _book(space, requester)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(BookingConflict):
        _book(space, other_requester)

    assert mailoutbox == []


def test_booking_request_on_an_instant_space_emails_only_the_confirmation(
    space, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    space.instant_confirmation = True
    space.save()

    with django_capture_on_commit_callbacks(execute=True):
        _book(space, requester)

    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        ([requester.email], "[Locaux Communs] Réservation confirmée — Salle Usinor")
    ]


def test_booking_approve_twice_emails_the_requester_once(
    space, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    booking = _book(space, requester)

    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
        booking_approve(booking=booking, actor=facilities_manager)

    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        ([requester.email], "[Locaux Communs] Réservation acceptée — Salle Usinor")
    ]


def test_booking_refuse_emails_the_reason_to_the_requester(
    space, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    booking = _book(space, requester)

    with django_capture_on_commit_callbacks(execute=True):
        booking_refuse(booking=booking, actor=facilities_manager, reason="Salle en travaux")

    assert mailoutbox[0].to == [requester.email]
    assert "Salle en travaux" in mailoutbox[0].body


def test_booking_cancel_of_one_date_emails_that_date(
    space, requester, mailoutbox, django_capture_on_commit_callbacks
):
    booking = _weekly(space, requester, 3)

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(
            booking=booking,
            actor=requester,
            reason="Vacances",
            occurrence_start=START + timedelta(weeks=1),
        )

    assert [mail.subject for mail in mailoutbox] == [
        "[Locaux Communs] Réservation annulée — Salle Usinor"
    ]
    assert "19 janvier 2027 à 18:00" in mailoutbox[0].body
