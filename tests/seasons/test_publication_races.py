"""Publication of a season against what happens at the same time (issue 17), on PostgreSQL:
the spaces' row locks and the exclusion constraint. An hourly booking racing the publication
for one of its dates: exactly one of them gets it, never both, never a 500. A writer that
bypasses the locks: the database refuses the publication's insert, which becomes PlanClashes
naming the date. A campaign of 1,000 structures whose very last slot clashes: nothing at all
is published."""

import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection, connections, transaction

from accounts.models import Notification
from bench.season import publication_campaign
from bookings.models import Booking, Occupancy
from bookings.rules import Period
from bookings.services.occupancy import occupancies_book
from seasons import services
from seasons.exceptions import PlanClashes
from seasons.models import CampaignStatus, PlanAssignment
from seasons.selectors import campaign_slot_dates
from tests.factories import booking_request_for, paris
from tests.helpers import race, requesters
from tests.seasons.test_publication import JUNE, decided

pytestmark = [
    pytest.mark.usefixtures("frozen_clock"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks (select_for_update) and the exclusion constraint",
    ),
]

TARGET = Period(paris(2027, 9, 14, 18, 30), paris(2027, 9, 14, 19, 30))  # a Tuesday of the plan


def _counts():
    return (
        Booking.objects.count(),
        Occupancy.objects.count(),
        PlanAssignment.objects.filter(booking__isnull=False).count(),
        Notification.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_an_hourly_booking_racing_the_publication_for_a_date_only_one_gets_it(
    planned, commune_staff, hall
):
    users = requesters(8)
    # The hall's calendar exists, as a room in use has one: its unique slug would otherwise
    # serialise the racing transactions by itself and hide what the locks do.
    with time_machine.travel(JUNE, tick=False):
        booking_request_for(
            space=hall,
            requested_by=users[0],
            start=paris(2027, 9, 21, 10),
            end=paris(2027, 9, 21, 11),
        )
        decided(planned, commune_staff)

        def publish() -> str:
            services.campaign_publish(campaign=planned, actor=commune_staff)
            return "published"

        def book(user):
            def attempt() -> str:
                booking_request_for(
                    space=hall, requested_by=user, start=TARGET.start, end=TARGET.end
                )
                return "booked"

            return attempt

        outcomes = race([publish] + [book(user) for user in users[1:]])

    assert outcomes in (
        Counter({"published": 1, "BookingConflict": 7}),
        Counter({"PlanClashes": 1, "booked": 1, "BookingConflict": 6}),
    )
    held = Occupancy.objects.filter(
        space=hall, active=True, start__lt=TARGET.end, blocked_until__gt=TARGET.start
    )
    assert held.count() == 1
    planned.refresh_from_db()
    published = outcomes["published"] == 1
    assert planned.status == (CampaignStatus.PUBLISHED if published else CampaignStatus.DECIDED)
    assert PlanAssignment.objects.filter(booking__isnull=False).count() == (2 if published else 0)


@pytest.mark.django_db(transaction=True)
def test_a_writer_bypassing_the_locks_meets_the_database_and_only_one_wins(
    planned, commune_staff, hall
):
    """A date written on the plan's way without the hall's lock, committed only once the
    publication's insert waits for it (the exclusion constraint). Its deferred foreign-key
    check then waits for the publication's lock on the hall: PostgreSQL breaks the deadlock by
    aborting one of them. Whichever it is, one holds the date, the other nothing, and the
    publication answers PlanClashes naming the date rather than an error."""
    (user,) = requesters(1)
    with time_machine.travel(JUNE, tick=False):
        other = booking_request_for(
            space=hall, requested_by=user, start=paris(2027, 9, 21, 10), end=paris(2027, 9, 21, 11)
        )
        decided(planned, commune_staff)
        before = _counts()
        inserted = threading.Event()
        bypass_outcome = []

        def bypass() -> None:
            try:
                with transaction.atomic():
                    occupancies_book(booking=Booking.objects.get(pk=other.pk), periods=[TARGET])
                    inserted.set()
                    with connection.cursor() as cursor:
                        for _ in range(1200):
                            cursor.execute(
                                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type ="
                                " 'Lock' AND datname = current_database()"
                                " AND pid <> pg_backend_pid()"
                            )
                            if cursor.fetchone()[0]:
                                break
                            cursor.execute("SELECT pg_sleep(0.05)")
                bypass_outcome.append("committed")
            except Exception as exc:
                bypass_outcome.append(type(exc).__name__)
            finally:
                inserted.set()
                connections.close_all()

        thread = threading.Thread(target=bypass)
        thread.start()
        assert inserted.wait(60)
        try:
            services.campaign_publish(campaign=planned, actor=commune_staff)
            outcome = "published"
        except PlanClashes as refused:
            outcome = "refused"
            clashes = refused.clashes
        thread.join(120)

    held = Occupancy.objects.filter(
        space=hall, active=True, start__lt=TARGET.end, blocked_until__gt=TARGET.start
    )
    assert held.count() == 1
    planned.refresh_from_db()
    if outcome == "refused":
        assert bypass_outcome == ["committed"]
        (clash,) = clashes
        assert (clash.structure_name, [d.isoformat() for d in clash.dates]) == (
            "Club de judo",
            ["2027-09-14"],
        )
        assert held.get().booking_id == other.pk
        booking_count, rows, linked, told = before
        assert _counts() == (booking_count, rows + 1, linked, told)
        assert planned.status == CampaignStatus.DECIDED
    else:
        assert bypass_outcome == ["OperationalError"]  # the deadlock's victim
        assert held.get().booking_id != other.pk
        assert planned.status == CampaignStatus.PUBLISHED


@pytest.mark.django_db
def test_a_campaign_of_1000_structures_with_its_last_slot_clashing_publishes_nothing(
    site, commune, commune_staff
):
    with time_machine.travel(JUNE, tick=False):
        campaign = publication_campaign(
            site=site, owner=commune.organisation, staff=commune_staff, structures=1000
        )
        last = (
            PlanAssignment.objects.filter(run__campaign=campaign)
            .select_related("option", "space", "wish")
            .order_by("pk")
            .last()
        )
        (days,) = campaign_slot_dates(
            campaign,
            [(last.space_id, last.option.weekday, last.option.start, last.option.end, "year")],
        )
        space = last.space
        space.max_advance_days = 500
        space.save()
        (user,) = requesters(1)
        booking_request_for(
            space=space,
            requested_by=user,
            start=paris(days[-1].year, days[-1].month, days[-1].day, 19),
            end=paris(days[-1].year, days[-1].month, days[-1].day, 21),
        )
        before = _counts()

        with pytest.raises(PlanClashes) as refused:
            services.campaign_publish(campaign=campaign, actor=commune_staff)

    (clash,) = refused.value.clashes
    assert (clash.assignment_id, clash.dates) == (last.pk, [days[-1]])
    assert _counts() == before
    assert Occupancy.objects.filter(booking__isnull=False).count() == 1
