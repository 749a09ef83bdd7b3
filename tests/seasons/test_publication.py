"""Publication of a season's decided plan (issue 17): weekly series of the structures, all their
dates in one transaction, every clash reported before anything is written; the e-mail and the
calendar feed; giving a slot back; the deadline job."""

import subprocess
from datetime import date, time

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.exceptions import DecisionNotAllowed
from accounts.models import Notification
from bookings import ics, scheduler
from bookings.models import Booking, BookingStatus, CalendarFeed, Occupancy
from bookings.selectors import local_zone
from seasons import services
from seasons.exceptions import CampaignInvalidTransition, PlanClashes
from seasons.models import Campaign, CampaignStatus, PlanAssignment
from seasons.selectors import slot_dates_of
from seasons.tasks import close_campaigns
from tests.bookings.test_ics_khal import KHAL, KHAL_CONFIG, SHOWN
from tests.factories import booking_request_for, paris
from tests.seasons.conftest import submit, tuesday
from tests.stack.smtp import text_of

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


def _counts():
    return (
        Booking.objects.count(),
        Occupancy.objects.count(),
        Occupancy.objects.filter(active=True).count(),
        PlanAssignment.objects.filter(booking__isnull=False).count(),
        Notification.objects.count(),
    )


def test_a_clash_with_an_hourly_booking_made_meanwhile_publishes_nothing_and_names_it(
    planned, commune_staff, rival, rival_structure, hall
):
    with time_machine.travel(JUNE, tick=False):
        decided(planned, commune_staff)
        booking_request_for(
            space=hall,
            requested_by=rival,
            organisation=rival_structure,
            start=paris(2027, 9, 14, 18, 30),
            end=paris(2027, 9, 14, 19, 30),
        )
        before = _counts()

        with translation.override("fr"), pytest.raises(PlanClashes) as refused:
            services.campaign_publish(campaign=planned, actor=commune_staff)

    (clash,) = refused.value.clashes
    assert (clash.assignment_id, clash.space_name, clash.structure_name, clash.dates) == (
        planned.mine.pk,
        "Salle A",
        "Club de judo",
        [date(2027, 9, 14)],
    )
    assert "Déjà réservé" in clash.reason
    assert "Club de judo" in " ".join(refused.value.messages)
    assert _counts() == before
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.DECIDED


def test_two_wishes_blocking_each_other_through_the_buffer_are_both_named(
    campaign, hall, commune_staff, applicant, applicant_structure, rival, rival_structure
):
    hall.buffer_minutes = 30
    hall.save()
    submit(campaign, applicant, applicant_structure, tuesday(hall, 16, 18))
    submit(campaign, rival, rival_structure, tuesday(hall, 18, 20))
    services.campaign_close(campaign=campaign, actor=commune_staff)
    services.plan_run(campaign=campaign, actor=commune_staff)
    before = _counts()

    with time_machine.travel(JUNE, tick=False):
        decided(campaign, commune_staff)
        with pytest.raises(PlanClashes) as refused:
            services.campaign_publish(campaign=campaign, actor=commune_staff)

    assert {clash.structure_name for clash in refused.value.clashes} == {"Chorale du Nord"}
    assert _counts() == before


def test_publish_tells_each_structure_its_slots_and_its_calendar_feed(
    planned, commune_staff, applicant, rival, smtp_inbox, settings
):
    settings.SITE_URL = "https://locaux.example.fr"
    with time_machine.travel(JUNE, tick=False):
        decided(planned, commune_staff)
        services.campaign_publish(campaign=planned, actor=commune_staff)
        inbox = smtp_inbox.deliver()

    (to_judo,) = inbox.to(applicant.email)
    (to_choir,) = inbox.to(rival.email)
    feed = CalendarFeed.objects.get(organisation=planned.mine.wish.structure_id)
    text = text_of(to_judo)
    assert "Saison 2027–2028" in to_judo["Subject"]
    assert "Salle A" in text
    assert "DEL-2027-042" in text
    assert feed.token in text
    assert feed.created_by == applicant
    assert "Salle B" in text_of(to_choir)
    assert "Salle B" not in text


def test_publish_twice_writes_nothing_the_second_time(planned, commune_staff):
    with time_machine.travel(JUNE, tick=False):
        decided(planned, commune_staff)
        services.campaign_publish(campaign=planned, actor=commune_staff)
        before = _counts()
        again = services.campaign_publish(campaign=planned, actor=commune_staff)

    assert again.already is True
    assert _counts() == before


def test_publish_before_the_decision_is_an_invalid_transition(planned, commune_staff, applicant):
    with pytest.raises(CampaignInvalidTransition):
        services.campaign_publish(campaign=planned, actor=commune_staff)
    with pytest.raises(DecisionNotAllowed):
        services.campaign_publish(campaign=planned, actor=applicant)


def test_the_structures_feed_holds_every_date_as_khal_reads_it(planned, commune_staff, tmp_path):
    if KHAL is None:
        pytest.skip("khal is not installed (Debian: apt-get install khal; .ci/run does)")
    with time_machine.travel(JUNE, tick=False):
        decided(planned, commune_staff)
        services.campaign_publish(campaign=planned, actor=commune_staff)
        feed = CalendarFeed.objects.get(organisation=planned.mine.wish.structure_id)
        body = ics.feed_ical(feed=feed)

    booking = PlanAssignment.objects.get(pk=planned.mine.pk).booking
    expected = sorted(
        f"booking-{booking.pk}@{ics._host()} {_shown(row.start)} {_shown(row.end)}"
        for row in booking.occupancies.filter(active=True)
    )
    assert len(expected) > 25
    assert _khal_list(tmp_path / "khal", body) == expected


SEASON = ["2027-08-01", "2028-08-01"]


def _shown(moment):
    return moment.astimezone(local_zone()).strftime(SHOWN)


def _khal_list(root, body: bytes) -> list[str]:
    """Import the feed into an empty khal calendar; list the events of the school year."""
    root.mkdir()
    (root / "calendar").mkdir()
    config = root / "khal.conf"
    config.write_text(KHAL_CONFIG.format(root=root, shown=SHOWN))
    (root / "feed.ics").write_bytes(body)
    command = [KHAL, "-c", str(config), "--no-color"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8", "TZ": "UTC"}
    imported = subprocess.run(  # noqa: S603 (khal, our own file)
        [*command, "import", "--batch", "-a", "feed", str(root / "feed.ics")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listed = subprocess.run(  # noqa: S603
        [*command, "list", "--format", "{uid} {start} {end}", "--day-format", "", *SEASON],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return sorted(line for line in listed.stdout.splitlines() if line.strip())


def test_give_back_frees_the_remaining_dates_for_hourly_bookings(
    planned, commune_staff, applicant, rival, rival_structure, hall
):
    with time_machine.travel(JUNE, tick=False):
        decided(planned, commune_staff)
        services.campaign_publish(campaign=planned, actor=commune_staff)
        mine = PlanAssignment.objects.get(pk=planned.mine.pk)
        held = mine.booking.occupancies.filter(active=True).count()
        later = mine.booking.occupancies.filter(active=True, start__gte=paris(2028, 1, 1)).count()

        with pytest.raises(ValidationError) as refused:
            services.season_slot_give_back(
                assignment=mine, actor=applicant, from_date=date(2028, 1, 1), reason=" "
            )
        assert "reason" in refused.value.message_dict
        with pytest.raises(PermissionDenied) as outsider:  # another structure's slot: 404
            services.season_slot_give_back(
                assignment=mine, actor=rival, from_date=date(2028, 1, 1), reason="Non"
            )
        assert not isinstance(outsider.value, DecisionNotAllowed)
        freed = services.season_slot_give_back(
            assignment=mine, actor=applicant, from_date=date(2028, 1, 1), reason="Fin d'activité"
        )
        taken = booking_request_for(
            space=hall,
            requested_by=rival,
            organisation=rival_structure,
            start=paris(2028, 1, 11, 18),
            end=paris(2028, 1, 11, 20),
        )

    mine.refresh_from_db()
    assert freed == later > 0
    assert mine.given_back_from == date(2028, 1, 1)
    assert mine.booking.occupancies.filter(active=True).count() == held - later
    assert mine.booking.status == BookingStatus.CONFIRMED  # the autumn dates stay
    assert taken.occupancies.filter(active=True).count() == 1


def test_the_deadline_job_closes_only_the_campaigns_past_their_deadline(
    campaign, draft_campaign, commune_staff, commune
):
    later = Campaign.objects.create(
        owner=commune.organisation,
        title="Saison suivante",
        school_year=2028,
        opens_on=date(2027, 1, 4),
        deadline=paris(2027, 6, 30, 12),
        status=CampaignStatus.OPEN,
        created_by=commune_staff,
    )

    closed = services.campaigns_close_due(now=paris(2027, 4, 1))
    again = services.campaigns_close_due(now=paris(2027, 4, 1))

    campaign.refresh_from_db()
    later.refresh_from_db()
    assert (closed, again) == (1, 0)
    assert (campaign.status, later.status) == (CampaignStatus.CLOSED, CampaignStatus.OPEN)
    assert campaign.log.latest("pk").actor is None
    told = Notification.objects.get(user=commune_staff, topic="season_closed")
    assert campaign.title in told.subject


def test_the_deadline_task_runs_the_job(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(deadline=paris(2027, 1, 3))

    # Eager in the tests (no broker): the result is there at once.
    result = close_campaigns.delay()

    assert result.successful()
    assert result.result == {"closed": 1}
