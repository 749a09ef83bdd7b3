"""Booking quotas (issue 16): what one structure may hold on a site — hours per week, hours per
month, requests awaiting a decision at once — set by the people who manage the site, checked at
request time with a message saying which limit and what is used.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from bookings.models import Booking, BookingQuota, BookingStatus, Occupancy
from bookings.rules import Period
from bookings.services import (
    BookingRequest,
    booking_approve,
    booking_request,
    quota_delete,
    quota_save,
)
from spaces.models import SpaceKind
from tests.factories import SpaceFactory, booking_request_for, paris
from tests.helpers import race

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _book(space, user, day: int, start: int, end: int, **series) -> Booking:
    return booking_request_for(
        space=space,
        requested_by=user,
        start=paris(2027, 1, day, start),
        end=paris(2027, 1, day, end),
        **series,
    )


def _refusal(call) -> str:
    with pytest.raises(ValidationError) as refused:
        call()
    assert refused.value.code == "quota"
    return " ".join(refused.value.messages)


@pytest.mark.django_db
def test_a_weekly_quota_refuses_the_hours_past_it_and_says_what_is_used(
    space, site, requester, commune_staff
):
    quota_save(actor=commune_staff, site=site, max_hours_per_week=4)
    _book(space, requester, 12, 18, 20)  # Tuesday, 2 hours

    message = _refusal(lambda: _book(space, requester, 13, 17, 20))  # Wednesday, 3 more

    assert message == (
        "Quota atteint : Les Amis du Vélo peut réserver au plus 4 heures par semaine sur le "
        "site Les Grands Bureaux. La semaine du lundi 11 janvier 2027 compte déjà 2 h et cette "
        "demande ajoute 3 h. Réservez moins d’heures ou choisissez une autre semaine."
    )
    assert Booking.objects.count() == 1
    _book(space, requester, 13, 18, 20)  # up to the limit
    _book(space, requester, 20, 17, 20)  # another week


@pytest.mark.django_db
def test_a_series_counts_each_date_in_its_week(space, site, requester, commune_staff):
    quota_save(actor=commune_staff, site=site, max_hours_per_week=4)
    _book(space, requester, 27, 10, 12)  # Wednesday 27 January, 2 hours

    message = _refusal(
        lambda: _book(space, requester, 12, 18, 21, frequency="weekly", repeat_count=3)
    )

    assert "La semaine du lundi 25 janvier 2027 compte déjà 2 h" in message
    assert "ajoute 3 h" in message
    # Without the week that is full, the series fits.
    _book(space, requester, 12, 18, 21, frequency="weekly", repeat_count=2)


@pytest.mark.django_db
def test_a_monthly_quota_with_minutes(space, site, requester, commune_staff):
    quota_save(actor=commune_staff, site=site, max_hours_per_month=3)
    booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 19, 30),
    )

    message = _refusal(lambda: _book(space, requester, 26, 18, 20))

    assert "au plus 3 heures par mois" in message
    assert "Le mois de janvier 2027 compte déjà 1 h 30 et cette demande ajoute 2 h" in message
    booking_request_for(
        space=space, requested_by=requester, start=paris(2027, 2, 2, 18), end=paris(2027, 2, 2, 20)
    )


@pytest.mark.django_db
def test_a_pending_quota_counts_requests_awaiting_a_decision(space, site, requester, commune_staff):
    quota_save(actor=commune_staff, site=site, max_pending=1)
    first = _book(space, requester, 12, 18, 20)

    message = _refusal(lambda: _book(space, requester, 13, 18, 20))
    assert message == (
        "Quota atteint : Les Amis du Vélo peut avoir au plus 1 demande en attente de décision "
        "en même temps sur le site Les Grands Bureaux, et en a déjà 1. Attendez une décision, "
        "ou annulez une demande."
    )

    booking_approve(booking=first, actor=commune_staff)
    _book(space, requester, 13, 18, 20)


@pytest.mark.django_db
def test_a_confirmed_at_once_booking_is_not_a_pending_request(
    space, site, requester, commune_staff
):
    space.instant_confirmation = True
    space.save()
    quota_save(actor=commune_staff, site=site, max_pending=1)
    _book(space, requester, 12, 18, 20)
    _book(space, requester, 13, 18, 20)

    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 2


@pytest.mark.django_db
def test_a_structures_own_quota_leaves_the_others_alone(
    space, site, organisation, requester, other_requester, commune_staff
):
    quota_save(actor=commune_staff, site=site, organisation=organisation, max_hours_per_week=1)

    _refusal(lambda: _book(space, requester, 12, 18, 20))
    _book(space, other_requester, 12, 18, 20)


@pytest.mark.django_db
def test_a_quota_of_one_kind_of_space_leaves_the_other_kinds_alone(
    space, site, requester, commune_staff
):
    office = SpaceFactory(site=site, name="Bureau 3", kind=SpaceKind.OFFICE)
    quota_save(
        actor=commune_staff, site=site, space_kind=SpaceKind.MEETING_ROOM, max_hours_per_week=1
    )

    message = _refusal(lambda: _book(space, requester, 12, 18, 20))
    assert "espaces de type « Salle de réunion »" in message
    _book(office, requester, 12, 18, 20)


@pytest.mark.django_db
def test_a_booking_made_on_behalf_counts_and_is_refused_past_the_quota(
    space, site, organisation, requester, commune_staff
):
    quota_save(actor=commune_staff, site=site, max_hours_per_week=2)
    _book(space, requester, 12, 18, 20)

    with pytest.raises(ValidationError):
        booking_request(
            request=BookingRequest(
                space=space.pk,
                organisation=organisation.pk,
                purpose="Permanence",
                attendees=5,
                first=Period(paris(2027, 1, 14, 18), paris(2027, 1, 14, 19)),
                approve=True,
            ),
            requested_by=commune_staff,
        )
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_quota_save_sets_one_quota_per_structure_and_kind(site, organisation, commune_staff):
    first = quota_save(actor=commune_staff, site=site, max_hours_per_week=4)
    again = quota_save(actor=commune_staff, site=site, max_hours_per_week=6, max_pending=2)
    own = quota_save(actor=commune_staff, site=site, organisation=organisation, max_pending=1)

    assert again.pk == first.pk
    assert {
        (q.organisation_id, q.max_hours_per_week, q.max_pending) for q in BookingQuota.objects.all()
    } == {
        (None, 6, 2),
        (organisation.pk, None, 1),
    }
    quota_delete(actor=commune_staff, quota=own)
    assert BookingQuota.objects.count() == 1


@pytest.mark.django_db
def test_quota_save_refuses_no_limit_and_limits_out_of_bounds(site, commune_staff):
    with pytest.raises(ValidationError) as refused:
        quota_save(actor=commune_staff, site=site)
    assert "Fixez au moins une limite." in refused.value.messages

    with pytest.raises(ValidationError) as refused:
        quota_save(actor=commune_staff, site=site, max_hours_per_week=10**20)
    assert list(refused.value.message_dict) == ["max_hours_per_week"]
    assert not BookingQuota.objects.exists()


@pytest.mark.django_db
def test_only_the_sites_managers_set_or_remove_its_quotas(
    site, commune_staff, other_commune_staff, requester
):
    quota = quota_save(actor=commune_staff, site=site, max_pending=3)

    for outsider in (other_commune_staff, requester):
        with pytest.raises(PermissionDenied):
            quota_save(actor=outsider, site=site, max_pending=1)
        with pytest.raises(PermissionDenied):
            quota_delete(actor=outsider, quota=quota)
    quota.refresh_from_db()
    assert quota.max_pending == 3


# --- Under concurrency: the structure's row lock ---


def _racing_requests(site, requester, count: int):
    """`count` requests of one structure at the same time, each for its own room (the rooms'
    locks do not serialise them): 2 hours each, under a quota of 4 hours a week."""
    spaces = [SpaceFactory(site=site, name=f"Salle {n}") for n in range(count)]
    organisation = requester.memberships.get().organisation

    def attempt(space):
        def run() -> str:
            booking_request_for(
                space=space,
                requested_by=requester,
                organisation=organisation,
                start=paris(2027, 1, 12, 18),
                end=paris(2027, 1, 12, 20),
            )
            return "booked"

        return run

    return [attempt(space) for space in spaces]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: the row lock (SELECT … FOR UPDATE)"
)
@pytest.mark.django_db(transaction=True)
def test_quota_holds_under_50_simultaneous_requests_on_postgresql(site, requester, commune_staff):
    quota_save(actor=commune_staff, site=site, max_hours_per_week=4)

    outcomes = race(_racing_requests(site, requester, 50))

    assert outcomes == Counter({"booked": 2, "ValidationError": 48})
    assert Occupancy.objects.filter(active=True).count() == 2
