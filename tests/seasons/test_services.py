"""The season's services: campaigns, wishes, renewal, competition, the plan (real database)."""

from datetime import date, time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from bookings.models import Booking, BookingStatus, Closure, Frequency
from seasons import services
from seasons.models import CampaignStatus, PlanAssignment, Wish
from seasons.selectors import plan_problem, problem_hash, slot_dates_of, wish_competition
from tests.factories import paris
from tests.seasons.conftest import submit, tuesday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_campaign_open_freezes_and_publishes_the_rules(campaign, applicant_structure):
    assert (campaign.status, campaign.published_rules["local_structures"]) == (
        CampaignStatus.OPEN,
        [applicant_structure.pk],
    )
    assert campaign.published_rules["hours_per_week"] == 4


def test_campaign_services_refuse_another_commune_and_anonymous(
    draft_campaign, other_commune_staff, applicant
):
    for actor in (other_commune_staff, applicant, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.campaign_open(campaign=draft_campaign, actor=actor)

    draft_campaign.refresh_from_db()
    assert draft_campaign.status == CampaignStatus.DRAFT


def test_wish_submit_refuses_another_structure_and_anonymous(
    campaign, hall, applicant, rival_structure
):
    for actor in (applicant, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            submit(campaign, actor, rival_structure, tuesday(hall))

    assert not Wish.objects.exists()


@pytest.mark.parametrize(
    ("option", "fields", "message"),
    [
        ({"start": 18, "end": 23}, {}, "Le local est fermé à cet horaire."),
        (
            {"start": 14, "end": 19},
            {},
            "Cette campagne donne au plus 4 heures par semaine à une structure.",
        ),
        ({}, {"attendees": 10**20}, "Indiquez un nombre de participants de 1 à 100 000."),
        ({}, {"attendees": 40}, "Aucun local de ce choix n’accueille 40 personnes."),
        ({}, {"purpose": "Judo\x00"}, None),
    ],
)
def test_wish_submit_refuses_hostile_or_unfit_input_in_french(
    campaign, hall, applicant, applicant_structure, option, fields, message
):
    with translation.override("fr"), pytest.raises(ValidationError) as refusal:
        submit(campaign, applicant, applicant_structure, tuesday(hall, **option), **fields)

    if message is not None:
        assert message in [m for ms in refusal.value.message_dict.values() for m in ms]
    assert not Wish.objects.exists()


def test_wish_competition_counts_other_wishes_without_names(
    campaign, hall, applicant, applicant_structure, rival, rival_structure
):
    mine = submit(campaign, applicant, applicant_structure, tuesday(hall), tuesday(hall, 20, 22))
    submit(campaign, rival, rival_structure, tuesday(kind="hall", start=19, end=21))

    assert wish_competition(mine) == {1: 1, 2: 1}


def test_wish_withdraw_refuses_another_structure(
    campaign, hall, applicant, applicant_structure, rival
):
    wish = submit(campaign, applicant, applicant_structure, tuesday(hall))

    with pytest.raises(PermissionDenied):
        services.wish_withdraw(wish=wish, actor=rival)
    assert services.wish_withdraw(wish=wish, actor=applicant) is True


def test_wishes_renew_prefills_last_years_weekly_series(
    campaign, hall, applicant, applicant_structure
):
    Booking.objects.create(
        space=hall,
        organisation=applicant_structure,
        requested_by=applicant,
        purpose="Judo enfants",
        attendees=15,
        status=BookingStatus.CONFIRMED,
        start=paris(2026, 9, 8, 18),
        end=paris(2026, 9, 8, 20),
        frequency=Frequency.WEEKLY,
        repeat_until=paris(2027, 6, 29).date(),
    )

    (wish,) = services.wishes_renew(
        actor=applicant, campaign=campaign, structure=applicant_structure
    )

    option = wish.options.get()
    assert (wish.purpose, option.space, option.weekday, option.start) == (
        "Judo enfants",
        hall,
        1,
        time(18),
    )
    assert (
        services.wishes_renew(actor=applicant, campaign=campaign, structure=applicant_structure)
        == []
    )


def test_plan_run_gives_the_contested_slot_by_the_frozen_rule_and_explains_it(
    campaign,
    hall,
    small_room,
    commune_staff,
    applicant,
    applicant_structure,
    rival,
    rival_structure,
):
    mine = submit(campaign, applicant, applicant_structure, tuesday(hall))
    theirs = submit(campaign, rival, rival_structure, tuesday(hall), tuesday(small_room, 18, 20))
    services.campaign_close(campaign=campaign, actor=commune_staff)

    with translation.override("fr"):
        run = services.plan_run(campaign=campaign, actor=commune_staff)

    got = {a.wish_id: (a.space_id, a.explanation) for a in run.assignments.all()}
    assert got[mine.pk][0] == hall.pk
    assert got[theirs.pk] == (
        small_room.pk,
        "Salle A mardi 18\xa0h–20\xa0h : 2 demandes, attribuée à Club de judo par la règle « les "
        "structures de la commune d’abord » ; choix n° 2 attribué : Salle B mardi 18\xa0h–20\xa0h "
        "(1 demande).",
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNED


def test_plan_run_again_on_the_same_inputs_gives_the_same_plan(
    campaign,
    hall,
    small_room,
    commune_staff,
    applicant,
    applicant_structure,
    rival,
    rival_structure,
):
    for rank, start in enumerate((17, 18, 19), start=1):
        submit(
            campaign,
            applicant,
            applicant_structure,
            tuesday(kind="hall", start=start, end=start + 1),
            rank=rank,
        )
        submit(campaign, rival, rival_structure, tuesday(hall, start, start + 2), rank=rank)
    services.campaign_close(campaign=campaign, actor=commune_staff)

    first = services.plan_run(campaign=campaign, actor=commune_staff, seed=5)
    call_command("season_plan", str(campaign.pk), "--seed", "5", "--actor", commune_staff.email)

    second = campaign.plan_runs.latest("pk")
    assert first.pk != second.pk
    assert first.inputs_hash == second.inputs_hash == problem_hash(plan_problem(campaign, seed=5))
    assert list(
        PlanAssignment.objects.filter(run=first).values_list("wish", "space", "explanation")
    ) == list(PlanAssignment.objects.filter(run=second).values_list("wish", "space", "explanation"))


def test_plan_run_refuses_a_structure_member(campaign, commune_staff, applicant):
    services.campaign_close(campaign=campaign, actor=commune_staff)

    with pytest.raises(PermissionDenied):
        services.plan_run(campaign=campaign, actor=applicant)


def test_slot_dates_of_skip_closures_and_follow_the_spaces_holiday_setting(campaign, hall, site):
    link = campaign.spaces.get(space=hall)
    Closure.objects.create(
        site=site, start=paris(2027, 9, 14, 19), end=paris(2027, 9, 14, 23), reason="Travaux"
    )

    closed_in_holidays = slot_dates_of(
        campaign_space=link, weekday=1, start=time(18), end=time(20), period="term_1"
    )
    link.closed_in_school_holidays = False
    open_in_holidays = slot_dates_of(
        campaign_space=link, weekday=1, start=time(18), end=time(20), period="term_1"
    )

    assert date(2027, 9, 14) not in closed_in_holidays
    # Tuesday 26 October 2027 falls in zone B's autumn holidays; 9 November is a school day.
    assert (date(2027, 10, 26) in closed_in_holidays, date(2027, 10, 26) in open_in_holidays) == (
        False,
        True,
    )
    assert date(2027, 11, 9) in closed_in_holidays
