"""Waiting for a slot (issue 16): a structure whose request clashed waits; when the slot frees
(refusal, cancellation, lapse) the first in line is offered it for a limited time, then the
next; accepting runs the normal request.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection

from accounts.models import Notification
from bookings.exceptions import OfferLost
from bookings.models import (
    OFFER_HOLD,
    Booking,
    BookingStatus,
    SlotWait,
    SlotWaitLog,
    SlotWaitSetting,
    SlotWaitStatus,
)
from bookings.rules import Period
from bookings.selectors import slot_waits_line
from bookings.services import (
    booking_cancel,
    booking_refuse,
    bookings_expire_lapsed,
    slot_wait_accept,
    slot_wait_join,
    slot_wait_setting_set,
    slot_wait_withdraw,
    slot_waits_offer,
    slot_waits_sweep,
)
from bookings.tasks import offer_freed_slots, offer_waited_slots
from config.schedule import beat_schedule
from core.models import OutboxMail
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)
from tests.helpers import race

pytestmark = pytest.mark.usefixtures("frozen_clock")

SLOT = Period(paris(2027, 1, 12, 18), paris(2027, 1, 12, 20))


def _taken(space, user) -> Booking:
    return booking_request_for(space=space, requested_by=user, start=SLOT.start, end=SLOT.end)


def _join(space, user, period: Period = SLOT, organisation=None) -> SlotWait:
    return slot_wait_join(
        space=space,
        organisation=organisation or user.memberships.first().organisation,
        period=period,
        purpose="Assemblée générale",
        attendees=15,
        requested_by=user,
    )


def _third_requester():
    structure = VerifiedStructureFactory(name="Jardins partagés")
    return MembershipFactory(organisation=structure, user=UserFactory()).user


def _status(wait: SlotWait) -> str:
    wait.refresh_from_db()
    return wait.status


@pytest.fixture
def taken(space, other_requester):
    return _taken(space, other_requester)


# --- Joining the line ---


@pytest.mark.django_db
def test_a_structure_joins_the_line_for_a_taken_slot(space, requester, taken):
    wait = _join(space, requester)

    assert (wait.status, wait.offered_until) == (SlotWaitStatus.WAITING, None)
    assert [(w.pk, w.position) for w in slot_waits_line(space_id=space.pk)] == [(wait.pk, 1)]
    assert SlotWaitLog.objects.get(wait=wait).to_status == SlotWaitStatus.WAITING


@pytest.mark.django_db
def test_a_free_slot_is_to_be_requested_not_waited_for(space, requester):
    with pytest.raises(ValidationError, match="est libre"):
        _join(space, requester)

    assert not SlotWait.objects.exists()


@pytest.mark.django_db
def test_a_structure_waits_once_for_an_overlapping_slot(space, requester, taken):
    _join(space, requester)

    with pytest.raises(ValidationError, match="attend déjà ce créneau"):
        _join(space, requester, Period(SLOT.start + timedelta(hours=1), SLOT.end))

    assert SlotWait.objects.count() == 1


@pytest.mark.django_db
def test_a_structure_holds_at_most_ten_waits(space, requester, other_requester):
    for day in range(12, 23):
        booking_request_for(
            space=space,
            requested_by=other_requester,
            start=paris(2027, 1, day, 18),
            end=paris(2027, 1, day, 20),
        )
    for day in range(12, 22):
        _join(space, requester, Period(paris(2027, 1, day, 18), paris(2027, 1, day, 20)))

    with pytest.raises(ValidationError, match="attend déjà 10 créneaux"):
        _join(space, requester, Period(paris(2027, 1, 22, 18), paris(2027, 1, 22, 20)))

    assert SlotWait.objects.count() == 10


@pytest.mark.django_db
def test_a_past_slot_is_refused(space, requester):
    with pytest.raises(ValidationError, match="passée"):
        _join(space, requester, Period(paris(2027, 1, 3, 18), paris(2027, 1, 3, 20)))


@pytest.mark.django_db
def test_an_unverified_or_foreign_structure_may_not_wait(space, requester, outsider, taken):
    with pytest.raises(ValidationError) as refused:
        _join(space, outsider, organisation=requester.memberships.first().organisation)

    assert "organisation" in refused.value.message_dict


# --- Offers when the slot frees ---


@pytest.mark.django_db
def test_a_refusal_offers_the_slot_to_the_first_in_line(
    space, requester, taken, commune_staff, django_capture_on_commit_callbacks
):
    first = _join(space, requester)
    second = _join(space, _third_requester())

    with django_capture_on_commit_callbacks(execute=True):
        booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")

    first.refresh_from_db()
    assert first.status == SlotWaitStatus.OFFERED
    # A day, within the space's 24-hour notice.
    assert first.offered_until == paris(2027, 1, 5, 9)
    assert _status(second) == SlotWaitStatus.WAITING
    notice = Notification.objects.get(user=requester, topic="slot_wait_offered")
    assert notice.link == first.get_absolute_url()
    mail = OutboxMail.objects.get(about__startswith="slot wait")
    assert mail.recipients == [requester.email]
    assert "est libre" in mail.subject
    assert "mardi 5 janvier 2027 à 09:00" in mail.body


@pytest.mark.django_db
def test_a_cancellation_offers_the_slot(
    space, requester, taken, other_requester, django_capture_on_commit_callbacks
):
    wait = _join(space, requester)

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=taken, actor=other_requester, reason="Plus besoin")

    assert _status(wait) == SlotWaitStatus.OFFERED


@pytest.mark.django_db
def test_a_lapse_offers_the_slot(
    space, requester, other_requester, django_capture_on_commit_callbacks
):
    later = Period(paris(2027, 1, 20, 18), paris(2027, 1, 20, 20))
    booking_request_for(space=space, requested_by=other_requester, start=later.start, end=later.end)
    wait = _join(space, requester, later)

    with (
        time_machine.travel(paris(2027, 1, 14, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert bookings_expire_lapsed() == 1

    wait.refresh_from_db()
    assert wait.status == SlotWaitStatus.OFFERED
    assert wait.offered_until == paris(2027, 1, 15, 9)


@pytest.mark.django_db
def test_an_offer_never_outlasts_the_notice(space, requester, taken, commune_staff):
    wait = _join(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")

    with time_machine.travel(paris(2027, 1, 11, 9), tick=False):
        slot_waits_offer(space_id=space.pk)

    wait.refresh_from_db()
    assert wait.offered_until == paris(2027, 1, 11, 18)  # 24 hours' notice before 18:00


@pytest.mark.django_db
def test_the_offer_waits_for_the_whole_slot(space, requester, other_requester, commune_staff):
    early = booking_request_for(
        space=space,
        requested_by=other_requester,
        start=SLOT.start,
        end=SLOT.start + timedelta(hours=1),
    )
    booking_request_for(
        space=space,
        requested_by=other_requester,
        start=SLOT.start + timedelta(hours=1),
        end=SLOT.end,
    )
    wait = _join(space, requester)
    booking_refuse(booking=early, actor=commune_staff, reason="Doublon")

    assert slot_waits_offer(space_id=space.pk) == 0
    assert _status(wait) == SlotWaitStatus.WAITING


@pytest.mark.django_db
def test_accepting_the_offer_makes_the_booking(space, requester, taken, commune_staff):
    wait = _join(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")
    slot_waits_offer(space_id=space.pk)

    booking = slot_wait_accept(wait=wait, actor=requester)

    wait.refresh_from_db()
    assert (wait.status, wait.booking, wait.offered_until) == (SlotWaitStatus.TAKEN, booking, None)
    assert (booking.start, booking.end, booking.purpose, booking.attendees) == (
        SLOT.start,
        SLOT.end,
        "Assemblée générale",
        15,
    )
    assert booking.status == BookingStatus.PENDING
    assert booking.organisation == requester.memberships.first().organisation


@pytest.mark.django_db
def test_an_offer_nobody_accepts_goes_to_the_next_in_line(space, requester, taken, commune_staff):
    first = _join(space, requester)
    second_requester = _third_requester()
    second = _join(space, second_requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")
    slot_waits_offer(space_id=space.pk)

    with time_machine.travel(paris(2027, 1, 5, 9, 5), tick=False):
        assert slot_waits_sweep() == 1

    assert _status(first) == SlotWaitStatus.EXPIRED
    second.refresh_from_db()
    assert second.status == SlotWaitStatus.OFFERED
    assert second.offered_until == paris(2027, 1, 6, 9, 5)
    assert Notification.objects.filter(user=requester, topic="slot_wait_expired").count() == 1
    with (
        time_machine.travel(paris(2027, 1, 5, 9, 6), tick=False),
        pytest.raises(ValidationError, match=r"plus\) proposé"),
    ):
        slot_wait_accept(wait=first, actor=requester)


@pytest.mark.django_db
def test_a_slot_on_offer_is_not_offered_twice(space, requester, taken, commune_staff):
    first = _join(space, requester)
    second = _join(space, _third_requester())
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")

    assert slot_waits_offer(space_id=space.pk) == 1
    assert slot_waits_offer(space_id=space.pk) == 0

    assert _status(first) == SlotWaitStatus.OFFERED
    assert _status(second) == SlotWaitStatus.WAITING


@pytest.mark.django_db
def test_accepting_after_the_slot_was_taken_puts_the_wait_back_in_line(
    space, requester, taken, commune_staff
):
    wait = _join(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")
    slot_waits_offer(space_id=space.pk)
    _taken(space, _third_requester())  # a direct request, faster than the acceptance

    with pytest.raises(OfferLost):
        slot_wait_accept(wait=wait, actor=requester)

    wait.refresh_from_db()
    assert (wait.status, wait.offered_until) == (SlotWaitStatus.WAITING, None)
    assert Booking.objects.filter(status=BookingStatus.PENDING).count() == 1


@pytest.mark.django_db
def test_withdrawing_an_offer_passes_it_to_the_next(
    space, requester, taken, commune_staff, django_capture_on_commit_callbacks
):
    first = _join(space, requester)
    second = _join(space, _third_requester())
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")
    slot_waits_offer(space_id=space.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert slot_wait_withdraw(wait=first, actor=requester) is True

    assert _status(first) == SlotWaitStatus.WITHDRAWN
    assert _status(second) == SlotWaitStatus.OFFERED


@pytest.mark.django_db
def test_another_structure_may_not_accept_or_withdraw(space, requester, other_requester, taken):
    wait = _join(space, requester)

    with pytest.raises(PermissionDenied):
        slot_wait_withdraw(wait=wait, actor=other_requester)
    with pytest.raises(PermissionDenied):
        slot_wait_accept(wait=wait, actor=other_requester)

    assert _status(wait) == SlotWaitStatus.WAITING


@pytest.mark.django_db
def test_a_wait_whose_slot_comes_too_close_expires(space, requester, taken):
    wait = _join(space, requester)

    with time_machine.travel(paris(2027, 1, 11, 18, 1), tick=False):
        slot_waits_sweep()

    assert _status(wait) == SlotWaitStatus.EXPIRED


# --- Races ---


@pytest.mark.django_db(transaction=True)
def test_an_acceptance_racing_a_direct_request_books_the_slot_once(space, requester, commune_staff):
    other = _third_requester()
    taken = _taken(space, _third_requester())
    wait = _join(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")
    slot_waits_offer(space_id=space.pk)

    outcomes = race(
        [
            lambda: (
                slot_wait_accept(wait=SlotWait.objects.get(pk=wait.pk), actor=requester)
                and "accepted"
            ),
            lambda: _taken(space, other) and "requested",
        ]
    )

    assert sum(outcomes.values()) == 2
    assert set(outcomes) in ({"accepted", "BookingConflict"}, {"requested", "OfferLost"})
    assert Booking.objects.filter(status=BookingStatus.PENDING).count() == 1
    assert _status(wait) in (SlotWaitStatus.TAKEN, SlotWaitStatus.WAITING)


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_offer_a_slot_once(space, requester, commune_staff):
    taken = _taken(space, _third_requester())
    first = _join(space, requester)
    second, third = _join(space, _third_requester()), _join(space, _third_requester())
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")  # its job
    assert _status(first) == SlotWaitStatus.OFFERED  # offers the slot after the commit

    with time_machine.travel(paris(2027, 1, 5, 9, 1), tick=False):  # the offer lapsed
        outcomes = race([lambda: slot_waits_offer(space_id=space.pk) for _ in range(4)])

    assert outcomes == {1: 1, 0: 3}
    assert [_status(w) for w in (first, second, third)] == [
        SlotWaitStatus.EXPIRED,
        SlotWaitStatus.OFFERED,
        SlotWaitStatus.WAITING,
    ]
    assert connection.vendor in ("postgresql", "sqlite")


# --- The jobs ---


@pytest.mark.django_db
def test_the_periodic_job_passes_an_unanswered_offer_to_the_next(
    space, requester, taken, commune_staff
):
    first, second = _join(space, requester), _join(space, _third_requester())
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")
    assert offer_freed_slots.apply(args=[[space.pk]]).get() == 1

    with time_machine.travel(paris(2027, 1, 4, 9) + OFFER_HOLD, tick=False):
        result = offer_waited_slots.apply().get()

    assert result == {"offered": 1}
    assert (_status(first), _status(second)) == (SlotWaitStatus.EXPIRED, SlotWaitStatus.OFFERED)


@pytest.mark.django_db
def test_the_command_runs_the_same_sweep(space, requester, taken, commune_staff):
    wait = _join(space, requester)
    booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")
    out = io.StringIO()

    call_command("offer_waited_slots", stdout=out)

    assert out.getvalue().strip() == "1 créneau(x) proposé(s)."
    assert _status(wait) == SlotWaitStatus.OFFERED


@pytest.mark.django_db
def test_the_job_is_scheduled():
    assert beat_schedule()["offer-waited-slots"]["task"] == "bookings.tasks.offer_waited_slots"


# --- Follow-ups: the offer's duration is the space's setting; the deciders are told ---


@pytest.mark.django_db
def test_the_offer_lasts_the_spaces_setting(
    space, requester, taken, commune_staff, django_capture_on_commit_callbacks
):
    slot_wait_setting_set(space=space, actor=commune_staff, offer_hours=3)
    wait = _join(space, requester)

    with django_capture_on_commit_callbacks(execute=True):
        booking_refuse(booking=taken, actor=commune_staff, reason="Salle en travaux")

    wait.refresh_from_db()
    assert wait.offered_until == paris(2027, 1, 4, 12)


@pytest.mark.django_db
def test_the_offer_setting_is_bounded_and_for_managers_only(space, requester, commune_staff):
    for hours in (0, 73, True):
        with pytest.raises(ValidationError) as refused:
            slot_wait_setting_set(space=space, actor=commune_staff, offer_hours=hours)
        assert "offer_hours" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        slot_wait_setting_set(space=space, actor=requester, offer_hours=12)

    assert not SlotWaitSetting.objects.exists()


@pytest.mark.django_db
def test_joining_tells_the_deciders_in_their_notifications_only(
    space, requester, taken, facilities_manager, commune_staff
):
    wait = _join(space, requester)

    [notice] = Notification.objects.filter(topic="slot_wait_joined")
    assert notice.user == facilities_manager  # the first tier that can decide, as a request
    assert "Les Amis du Vélo" in notice.subject
    assert notice.link == f"/reservations/espaces/{space.pk}/attentes/"
    assert all(facilities_manager.email not in mail.recipients for mail in OutboxMail.objects.all())
    assert wait.status == SlotWaitStatus.WAITING
