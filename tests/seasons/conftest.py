"""Fixtures of the season's tests: Denain's 2027–2028 campaign over two rooms, open for wishes.

The clock stands on Monday 4 January 2027, 09:00 in Paris (`frozen_clock`); wishes close on
31 March 2027 at noon. `commune_staff` runs the campaign; `applicant` is a member of a verified
association, `rival` of another one.
"""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from seasons import services
from seasons.models import ActivityKind, SeasonPeriod
from spaces.models import SpaceKind
from tests.factories import (
    MembershipFactory,
    OpeningHoursFactory,
    SpaceFactory,
    VerifiedStructureFactory,
    paris,
)

DEADLINE = paris(2027, 3, 31, 12)


@pytest.fixture
def hall(site):
    hall = SpaceFactory(site=site, name="Salle A", kind=SpaceKind.HALL, capacity=30)
    OpeningHoursFactory(space=hall, weekday=1, opens=time(8), closes=time(22))
    return hall


@pytest.fixture
def small_room(site):
    return SpaceFactory(site=site, name="Salle B", kind=SpaceKind.MEETING_ROOM, capacity=12)


@pytest.fixture
def applicant_structure(db):
    return VerifiedStructureFactory(name="Club de judo")


@pytest.fixture
def applicant(applicant_structure):
    return MembershipFactory(organisation=applicant_structure).user


@pytest.fixture
def rival_structure(db):
    return VerifiedStructureFactory(name="Chorale du Nord")


@pytest.fixture
def rival(rival_structure):
    return MembershipFactory(organisation=rival_structure).user


@pytest.fixture
def draft_campaign(frozen_clock, commune, commune_staff, hall, small_room, applicant_structure):
    return services.campaign_create(
        actor=commune_staff,
        owner=commune.organisation,
        terms=services.CampaignTerms(
            title="Saison 2027–2028",
            school_year=2027,
            opens_on=date(2027, 1, 4),
            deadline=DEADLINE,
            spaces=[hall, small_room],
            hours_per_week=4,
            local_first=True,
            local_structures=[applicant_structure],
        ),
    )


@pytest.fixture
def campaign(draft_campaign, commune_staff):
    services.campaign_open(campaign=draft_campaign, actor=commune_staff)
    draft_campaign.refresh_from_db()
    return draft_campaign


def campaign_opened_now(commune, staff, spaces):
    """A campaign of `commune` over `spaces`, opened today for a month of wishes (the browser
    tests run on the real clock), 4 hours a week per structure."""
    campaign = services.campaign_create(
        actor=staff,
        owner=commune.organisation,
        terms=services.CampaignTerms(
            title="Saison 2027–2028",
            school_year=2027,
            opens_on=timezone.localdate(),
            deadline=timezone.now() + timedelta(days=30),
            spaces=spaces,
            hours_per_week=4,
        ),
    )
    services.campaign_open(campaign=campaign, actor=staff)
    campaign.refresh_from_db()
    return campaign


def tuesday(space=None, start=18, end=20, kind=""):
    return services.OptionInput(
        weekday=1, start=time(start), end=time(end), space=space, space_kind=kind
    )


def submit(campaign, user, structure, *options, rank=1, attendees=10, **fields):
    return services.wish_submit(
        actor=user,
        campaign=campaign,
        structure=structure,
        rank=rank,
        attendees=attendees,
        purpose=fields.get("purpose", "Entraînement"),
        activity=fields.get("activity", ActivityKind.SPORT),
        period=fields.get("period", SeasonPeriod.YEAR),
        options=list(options),
    )


@pytest.fixture
def planned(
    campaign,
    hall,
    small_room,
    commune_staff,
    applicant,
    applicant_structure,
    rival,
    rival_structure,
):
    """The campaign closed and planned: the judo club (local) gets Salle A on Tuesdays
    18:00–20:00, the choir its second choice, Salle B at the same time."""
    mine = submit(campaign, applicant, applicant_structure, tuesday(hall))
    theirs = submit(campaign, rival, rival_structure, tuesday(hall), tuesday(small_room))
    services.campaign_close(campaign=campaign, actor=commune_staff)
    run = services.plan_run(campaign=campaign, actor=commune_staff)
    campaign.refresh_from_db()
    campaign.mine = run.assignments.get(wish=mine)
    campaign.theirs = run.assignments.get(wish=theirs)
    return campaign
