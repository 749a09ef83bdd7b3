"""Publication of a season's decided plan (issue 17): weekly series of the structures, all their
dates in one transaction, every clash reported before anything is written; the e-mail and the
calendar feed; giving a slot back; the deadline job."""

from datetime import date, time

import pytest
import time_machine

from bookings import scheduler
from bookings.models import BookingStatus
from bookings.selectors import local_zone
from seasons import services
from seasons.models import CampaignStatus
from seasons.selectors import slot_dates_of
from tests.factories import paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

JUNE = paris(2027, 6, 1, 9)


def decided(campaign, actor):
    return services.campaign_decide(
        campaign=campaign,
        actor=actor,
        decided_on=date(2027, 5, 31),
        deliberation_reference="DEL-2027-042",
    )


def test_publish_makes_each_met_wish_a_confirmed_weekly_series_on_its_dates(
    planned, commune_staff, hall, small_room, applicant_structure
):
    with time_machine.travel(JUNE, tick=False):
        decided(planned, commune_staff)
        report = services.campaign_publish(campaign=planned, actor=commune_staff)

    planned.refresh_from_db()
    assert planned.status == CampaignStatus.PUBLISHED
    mine = planned.mine
    mine.refresh_from_db()
    booking = mine.booking
    expected = slot_dates_of(
        campaign_space=planned.spaces.get(space=hall),
        weekday=1,
        start=time(18),
        end=time(20),
        period="year",
    )
    zone = local_zone()
    held = [
        row.start.astimezone(zone)
        for row in booking.occupancies.filter(active=True).order_by("start")
    ]
    assert (booking.status, booking.organisation_id, booking.space_id) == (
        BookingStatus.CONFIRMED,
        applicant_structure.pk,
        hall.pk,
    )
    assert [moment.date() for moment in held] == expected
    assert {(moment.hour, moment.minute) for moment in held} == {(18, 0)}
    # The series' rule and EXDATEs expand to the very dates held.
    assert [p.start for p in scheduler.occurrences(event=booking.event, zone=zone)] == [
        row.start for row in booking.occupancies.order_by("start")
    ]
    # Closed in the school holidays (the default): no Tuesday of the autumn holidays.
    assert date(2027, 10, 26) not in expected
    assert date(2027, 11, 9) in expected
    assert (report.series, report.dates) == (2, len(expected) * 2)
