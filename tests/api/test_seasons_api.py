"""The season's API (issue 17): campaigns (list, read, create, open, close, plan), wishes
(submit, read with their competition, withdraw, renew) and the plan as each role may read it.

The clock stands on Monday 4 January 2027 (tests/seasons/conftest.py: Denain's 2027–2028
campaign over two rooms, open until 31 March).
"""

# The fixtures of tests/seasons are imported below; pytest passes them by name as arguments,
# which pyflakes reads as redefinitions.
# ruff: noqa: F811

import json

import pytest
from django.urls import reverse

from seasons import services
from seasons.models import (
    Campaign,
    CampaignStatus,
    PlanRun,
    Wish,
    WishStatus,
)
from spaces.models import SpaceKind
from tests.factories import SiteFactory, SpaceFactory
from tests.seasons.conftest import (  # the season's fixtures, shared with tests/seasons
    DEADLINE,
    applicant,  # noqa: F401
    applicant_structure,  # noqa: F401
    campaign,  # noqa: F401
    draft_campaign,  # noqa: F401
    hall,  # noqa: F401
    planned,  # noqa: F401
    rival,  # noqa: F401
    rival_structure,  # noqa: F401
    small_room,  # noqa: F401
    submit,
    tuesday,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

CAMPAIGNS = reverse("api:season-campaign-list")
WISHES = reverse("api:season-wish-list")


def url(name: str, pk: int) -> str:
    return reverse(f"api:{name}", args=[pk])


def send(client, path: str, body) -> object:
    return client.post(path, json.dumps(body), content_type="application/json")


def wish_body(campaign, structure, *options, **extra) -> dict:
    return {
        "campaign": campaign.pk,
        "structure": structure.pk,
        "rank": 1,
        "attendees": 10,
        "purpose": "Entraînement",
        "activity": "sport",
        "options": list(options)
        or [{"weekday": 1, "start": "18:00", "end": "20:00", "space": None, "space_kind": "hall"}],
        **extra,
    }


def plan_made(campaign, staff):
    services.campaign_close(campaign=campaign, actor=staff)
    return services.plan_run(campaign=campaign, actor=staff)


# --- Campaigns -------------------------------------------------------------------------------


def test_an_open_campaign_is_public_with_its_rules_spaces_and_counts(
    client, campaign, applicant, applicant_structure, hall
):
    submit(campaign, applicant, applicant_structure, tuesday(space=hall))

    page = client.get(CAMPAIGNS).json()
    (row,) = page["results"]
    assert row["id"] == campaign.pk
    assert row["status"] == "open"
    assert row["published_rules"]["hours_per_week"] == 4
    assert row["published_rules"]["local_structures"] == [applicant_structure.pk]
    assert [(s["name"], s["closed_in_school_holidays"]) for s in row["spaces"]] == [
        ("Salle A", True),
        ("Salle B", True),
    ]
    assert (row["wishes_count"], row["structures_count"]) == (1, 1)
    assert client.get(url("season-campaign-detail", campaign.pk)).json() == row


def test_a_draft_is_seen_by_those_who_run_it_only(
    client, draft_campaign, commune_staff, applicant, territory_admin
):
    assert client.get(CAMPAIGNS).json()["count"] == 0
    assert client.get(url("season-campaign-detail", draft_campaign.pk)).status_code == 404
    client.force_login(applicant)
    assert client.get(url("season-campaign-detail", draft_campaign.pk)).status_code == 404
    for user in (commune_staff, territory_admin):
        client.force_login(user)
        (row,) = client.get(CAMPAIGNS).json()["results"]
        assert (row["status"], row["published_rules"]) == ("draft", {})


def test_the_campaigns_are_filtered_by_status_and_school_year(client, campaign, commune_staff):
    client.force_login(commune_staff)
    assert client.get(CAMPAIGNS, {"status": "open"}).json()["count"] == 1
    assert client.get(CAMPAIGNS, {"status": "closed"}).json()["count"] == 0
    assert client.get(CAMPAIGNS, {"school_year": 2027}).json()["count"] == 1
    assert client.get(CAMPAIGNS, {"school_year": 2028}).json()["count"] == 0
    response = client.get(CAMPAIGNS, {"school_year": 10**30, "status": "nope"})
    assert response.status_code == 400
    assert set(response.json()) == {"school_year", "status"}


def campaign_body(commune, *spaces, **extra) -> dict:
    return {
        "owner": commune.organisation.pk,
        "title": "Saison 2028–2029",
        "school_year": 2028,
        "opens_on": "2027-02-01",
        "deadline": "2027-04-30T12:00:00+02:00",
        "spaces": [s.pk for s in spaces],
        "hours_per_week": 6,
        "favoured_activities": {"culture": 5},
        **extra,
    }


def test_the_commune_staff_drafts_a_campaign(client, commune, commune_staff, hall, campaign):
    client.force_login(commune_staff)
    response = send(
        client,
        CAMPAIGNS,
        campaign_body(
            commune, hall, closed_in_school_holidays=False, previous=campaign.pk, local_first=True
        ),
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["hours_per_week"], body["previous"]) == ("draft", 6, campaign.pk)
    assert body["favoured_activities"] == {"culture": 5}
    assert [(s["id"], s["closed_in_school_holidays"]) for s in body["spaces"]] == [(hall.pk, False)]
    assert Campaign.objects.get(pk=body["id"]).created_by == commune_staff


def test_who_runs_no_public_body_may_not_draft_a_campaign(client, commune, applicant, hall):
    client.force_login(applicant)
    response = send(client, CAMPAIGNS, campaign_body(commune, hall))
    assert response.status_code == 403
    assert "personne publique" in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_the_ids_of_a_new_campaign_are_checked_against_what_the_user_may_choose(
    client, commune, other_commune, commune_staff, hall, applicant_structure
):
    foreign_space = SpaceFactory(site=SiteFactory(commune=other_commune))
    foreign_campaign = Campaign.objects.create(
        owner=other_commune.organisation,
        title="Ailleurs",
        school_year=2027,
        opens_on="2027-01-04",
        deadline=DEADLINE,
        created_by=commune_staff,
    )
    client.force_login(commune_staff)
    response = send(
        client,
        CAMPAIGNS,
        campaign_body(
            other_commune,
            hall,
            foreign_space,
            previous=foreign_campaign.pk,
            local_structures=[applicant_structure.pk, commune.organisation.pk],
        ),
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"owner", "spaces", "previous", "local_structures"}
    assert errors["spaces"] == ["Choisissez des locaux que vous gérez."]
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"favoured_families": {"club": 3}}, "favoured_families"),
        ({"favoured_activities": {"sport": 10**20}}, "favoured_activities"),
        ({"hours_per_week": 169}, "hours_per_week"),
        ({"school_year": 10**40}, "school_year"),
        ({"title": "Saison\x00"}, "title"),
        ({"deadline": "2026-12-01T12:00:00+01:00"}, "deadline"),
        ({"spaces": []}, "spaces"),
        ({"deadline": "2027-04-30T12:00:00"}, "deadline"),
    ],
)
def test_hostile_campaigns_are_a_400(client, commune, commune_staff, hall, change, field):
    client.force_login(commune_staff)
    response = send(client, CAMPAIGNS, {**campaign_body(commune, hall), **change})
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Campaign.objects.exists()


def test_deep_json_is_a_400(client, commune_staff):
    client.force_login(commune_staff)
    deep = "[" * 5000 + "]" * 5000
    for path in (CAMPAIGNS, WISHES):
        response = client.post(path, deep, content_type="application/json")
        assert response.status_code == 400


def test_those_who_run_it_open_and_close_a_campaign(client, draft_campaign, commune_staff):
    client.force_login(commune_staff)
    response = send(client, url("season-campaign-open", draft_campaign.pk), {})
    assert response.status_code == 200
    assert response.json()["status"] == "open"
    assert response.json()["published_rules"]["hours_per_week"] == 4
    assert send(client, url("season-campaign-open", draft_campaign.pk), {}).status_code == 200

    response = send(client, url("season-campaign-close", draft_campaign.pk), {})
    assert (response.status_code, response.json()["status"]) == (200, "closed")
    response = send(client, url("season-campaign-open", draft_campaign.pk), {})
    assert response.status_code == 409
    assert response.json()["status"] == "closed"
    assert response.json()["detail"].startswith("Cette campagne est")


def test_a_draft_is_closed_with_a_409(client, draft_campaign, commune_staff):
    client.force_login(commune_staff)
    response = send(client, url("season-campaign-close", draft_campaign.pk), {})
    assert (response.status_code, response.json()["status"]) == (409, "draft")


def test_who_sees_a_campaign_but_does_not_run_it_gets_403(
    client, campaign, draft_campaign, applicant, other_commune
):
    client.force_login(applicant)
    response = send(client, url("season-campaign-close", campaign.pk), {})
    assert response.status_code == 403
    assert response.json()["detail"] == "Vous n’êtes pas autorisé à faire cela."
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN


def test_an_outsider_gets_404_for_a_draft(client, draft_campaign, applicant):
    client.force_login(applicant)
    for name in ("season-campaign-open", "season-campaign-close", "season-campaign-plan"):
        assert send(client, url(name, draft_campaign.pk), {}).status_code == 404
    draft_campaign.refresh_from_db()
    assert draft_campaign.status == CampaignStatus.DRAFT


# --- The plan --------------------------------------------------------------------------------


def test_the_plan_is_run_and_read_with_its_explanations(
    client, campaign, commune_staff, applicant, applicant_structure, rival, rival_structure, hall
):
    submit(campaign, applicant, applicant_structure, tuesday(space=hall))
    submit(
        campaign, rival, rival_structure, tuesday(space=hall), tuesday(space=hall, start=20, end=22)
    )
    services.campaign_close(campaign=campaign, actor=commune_staff)
    client.force_login(commune_staff)

    response = send(client, url("season-campaign-plan", campaign.pk), {"seed": 7})

    assert response.status_code == 201, response.json()
    plan = response.json()
    assert (plan["status"], plan["seed"], plan["met_count"], plan["wishes_count"]) == (
        "optimal",
        7,
        2,
        2,
    )
    by_structure = {a["wish"]["structure_name"]: a for a in plan["assignments"]}
    judo, choir = by_structure["Club de judo"], by_structure["Chorale du Nord"]
    assert (judo["option"]["position"], judo["space"]["name"]) == (1, "Salle A")
    assert (choir["option"]["position"], choir["option"]["start"]) == (2, "20:00:00")
    assert "Salle A" in choir["explanation"]
    assert client.get(url("season-campaign-plan", campaign.pk)).json() == plan
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNED


def test_a_member_reads_its_own_assignments_after_publication_only(
    client, campaign, commune_staff, applicant, applicant_structure, rival, rival_structure, hall
):
    submit(campaign, applicant, applicant_structure, tuesday(space=hall))
    submit(campaign, rival, rival_structure, tuesday(space=hall, start=20, end=22))
    plan_made(campaign, commune_staff)
    client.force_login(applicant)
    response = client.get(url("season-campaign-plan", campaign.pk))
    assert response.status_code == 404
    assert response.json() == {"detail": "Cette campagne n’a pas encore de plan."}

    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PUBLISHED)
    plan = client.get(url("season-campaign-plan", campaign.pk)).json()
    assert [a["wish"]["structure_name"] for a in plan["assignments"]] == ["Club de judo"]
    assert "Chorale" not in json.dumps(plan)


def test_only_those_who_run_it_make_the_plan(
    client, campaign, commune_staff, applicant, applicant_structure, hall
):
    submit(campaign, applicant, applicant_structure, tuesday(space=hall))
    client.force_login(commune_staff)
    response = send(client, url("season-campaign-plan", campaign.pk), {})
    assert response.status_code == 400  # still open
    assert response.json() == {
        "non_field_errors": ["Clôturez la campagne avant d’établir son plan."]
    }
    services.campaign_close(campaign=campaign, actor=commune_staff)
    for seed in (-1, 32768, 10**30, "abc"):
        assert (
            send(client, url("season-campaign-plan", campaign.pk), {"seed": seed}).status_code
            == 400
        )
    client.force_login(applicant)
    assert send(client, url("season-campaign-plan", campaign.pk), {}).status_code == 403
    assert not PlanRun.objects.exists()


def test_the_plan_is_read_in_the_same_queries_for_any_number_of_wishes(
    client, campaign, commune_staff, hall, small_room, django_assert_num_queries
):
    from tests.factories import MembershipFactory, VerifiedStructureFactory

    def structure_wish(n: int) -> None:
        structure = VerifiedStructureFactory(name=f"Structure {n}")
        user = MembershipFactory(organisation=structure).user
        submit(campaign, user, structure, tuesday(space=hall, start=8 + n % 12, end=9 + n % 12))

    structure_wish(0)
    plan_made(campaign, commune_staff)
    client.force_login(commune_staff)
    path = url("season-campaign-plan", campaign.pk)
    client.get(path)
    with django_assert_num_queries(7) as one:
        client.get(path)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.OPEN)
    for n in range(1, 12):
        structure_wish(n)
    services.campaign_close(campaign=campaign, actor=commune_staff)
    services.plan_run(campaign=campaign, actor=commune_staff)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(path).json()["assignments"]) == 12


# --- Wishes ----------------------------------------------------------------------------------


def test_a_member_submits_a_wish_and_reads_its_competition(
    client, campaign, applicant, applicant_structure, rival, rival_structure, hall
):
    submit(campaign, rival, rival_structure, tuesday(space=hall))
    client.force_login(applicant)
    body = wish_body(
        campaign,
        applicant_structure,
        {"weekday": 1, "start": "18:00", "end": "20:00", "space": hall.pk},
        {"weekday": 1, "start": "19:00", "end": "21:00", "space_kind": "meeting_room"},
    )

    response = send(client, WISHES, body)

    assert response.status_code == 201, response.json()
    wish = response.json()
    assert [(o["position"], o["space"], o["competition"]) for o in wish["options"]] == [
        (1, hall.pk, 1),
        (2, None, 0),
    ]
    assert "Chorale" not in json.dumps(wish)
    assert client.get(url("season-wish-detail", wish["id"])).json() == wish
    (listed,) = client.get(WISHES).json()["results"]
    assert listed["id"] == wish["id"]
    assert "competition" not in listed["options"][0]


def test_the_errors_of_a_wish_are_keyed_by_option(
    client, campaign, applicant, applicant_structure, hall, other_site
):
    elsewhere = SpaceFactory(site=other_site, kind=SpaceKind.HALL)
    client.force_login(applicant)
    body = wish_body(
        campaign,
        applicant_structure,
        {"weekday": 1, "start": "18:00", "end": "20:00", "space": hall.pk},
        {"weekday": 1, "start": "18:00", "end": "20:00", "space": elsewhere.pk},
    )
    response = send(client, WISHES, body)
    assert response.status_code == 400
    assert response.json() == {"options.2": ["Choisissez un local de cette campagne."]}

    body["options"][1] = {"weekday": 9, "start": "25:00", "end": "20:00", "space": hall.pk}
    errors = send(client, WISHES, body).json()
    assert set(errors) == {"options.2"}
    assert set(errors["options.2"]) == {"weekday", "start"}

    # The service's own checks, keyed the same way: 18:10 is not on the quarter hour.
    body["options"][1] = {"weekday": 1, "start": "18:10", "end": "20:00", "space": hall.pk}
    assert set(send(client, WISHES, body).json()) == {"options.2"}
    assert not Wish.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"attendees": 10**20}, "attendees"),
        ({"rank": 0}, "rank"),
        ({"options": []}, "options"),
        (
            {
                "options": [{"weekday": 1, "start": "18:00", "end": "20:00", "space_kind": "hall"}]
                * 5
            },
            "options",
        ),
        ({"amenities": [10**6]}, "amenities"),
        ({"purpose": "a\nb"}, "purpose"),
        ({"activity": "<script>"}, "activity"),
        ({"campaign": 10**30}, "campaign"),
    ],
)
def test_hostile_wishes_are_a_400(client, campaign, applicant, applicant_structure, change, field):
    client.force_login(applicant)
    response = send(client, WISHES, {**wish_body(campaign, applicant_structure), **change})
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Wish.objects.exists()


def test_a_wish_names_ones_own_structure_and_a_visible_campaign(
    client, campaign, draft_campaign, applicant, rival_structure, applicant_structure
):
    client.force_login(applicant)
    response = send(client, WISHES, wish_body(campaign, rival_structure))
    assert response.status_code == 400
    assert list(response.json()) == ["structure"]
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.DRAFT)
    response = send(client, WISHES, wish_body(campaign, applicant_structure))
    assert response.json() == {"campaign": ["Cette campagne n’existe pas."]}
    assert not Wish.objects.exists()


def test_wishes_are_seen_by_their_structure_and_the_campaigns_managers(
    client, campaign, applicant, applicant_structure, rival, commune_staff, hall
):
    wish = submit(campaign, applicant, applicant_structure, tuesday(space=hall))
    client.force_login(rival)
    assert client.get(WISHES).json()["count"] == 0
    assert client.get(url("season-wish-detail", wish.pk)).status_code == 404
    client.force_login(commune_staff)
    assert client.get(WISHES, {"campaign": campaign.pk}).json()["count"] == 1
    assert client.get(WISHES, {"status": "withdrawn"}).json()["count"] == 0
    assert client.get(url("season-wish-detail", wish.pk)).status_code == 200


def test_a_member_withdraws_its_wish_and_no_one_else(
    client, campaign, applicant, applicant_structure, rival, commune_staff, hall
):
    wish = submit(campaign, applicant, applicant_structure, tuesday(space=hall))
    path = url("season-wish-withdraw", wish.pk)
    client.force_login(rival)
    assert send(client, path, {}).status_code == 404
    client.force_login(commune_staff)
    assert send(client, path, {}).status_code == 403
    client.force_login(applicant)
    response = send(client, path, {})
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")
    wish.refresh_from_db()
    assert wish.status == WishStatus.WITHDRAWN


def test_renew_copies_last_years_slots_once(
    client, campaign, commune, commune_staff, applicant, applicant_structure, hall
):
    # Last year's campaign, planned: the structure held Tuesday 18–20 in Salle A.
    last = services.campaign_create(
        actor=commune_staff,
        owner=commune.organisation,
        terms=services.CampaignTerms(
            title="Saison 2026–2027",
            school_year=2026,
            opens_on=campaign.opens_on,
            deadline=DEADLINE,
            spaces=[hall],
        ),
    )
    services.campaign_open(campaign=last, actor=commune_staff)
    submit(last, applicant, applicant_structure, tuesday(space=hall))
    plan_made(last, commune_staff)
    Campaign.objects.filter(pk=campaign.pk).update(previous=last)
    client.force_login(applicant)
    path = url("season-campaign-renew", campaign.pk)

    response = send(client, path, {"structure": applicant_structure.pk})

    assert response.status_code == 200, response.json()
    (wish,) = response.json()
    assert (wish["campaign"], wish["options"][0]["space"]) == (campaign.pk, hall.pk)
    assert send(client, path, {"structure": applicant_structure.pk}).json() == []
    assert send(client, path, {"structure": 10**30}).status_code == 400
    client.force_login(commune_staff)
    response = send(client, path, {"structure": applicant_structure.pk})
    assert list(response.json()) == ["structure"]


def test_a_read_token_reads_but_writes_nothing(client, campaign, applicant, applicant_structure):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import ApiTokenScope
    from accounts.services.tokens import api_token_create

    _token, secret = api_token_create(
        actor=applicant,
        name="Site",
        scope=ApiTokenScope.READ,
        expires_at=timezone.now() + timedelta(days=1),
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(WISHES, **headers).status_code == 200
    response = client.post(
        WISHES,
        json.dumps(wish_body(campaign, applicant_structure)),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 403
    assert not Wish.objects.exists()


# --- Arbitration, decision, publication, giving back -----------------------------------------


def decide(client, campaign) -> object:
    body = {"decided_on": "2027-01-04", "deliberation_reference": "DEL-2027-12"}
    return send(client, url("season-campaign-decide", campaign.pk), body)


def test_the_managers_move_a_wish_re_checked(client, planned, commune_staff, applicant, hall):
    choir = planned.theirs
    path = url("season-assignment-move", choir.pk)
    client.force_login(applicant)
    assert send(client, path, {"option": None, "space": None}).status_code == 404
    client.force_login(commune_staff)
    first_choice = choir.wish.options.get(position=1)

    response = send(client, path, {"option": first_choice.pk, "space": hall.pk})

    assert response.status_code == 400  # the judo club holds Salle A then
    assert "Club de judo" in json.dumps(response.json(), ensure_ascii=False)
    response = send(client, path, {"option": None, "space": None})
    assert response.status_code == 200, response.json()
    assert (response.json()["option"], response.json()["space"]) == (None, None)
    assert PlanRun.objects.get(pk=choir.run_id).met_count == 1


def test_a_move_names_the_wishs_own_choices_and_the_campaigns_spaces(
    client, planned, commune_staff, other_site
):
    judo, choir = planned.mine, planned.theirs
    elsewhere = SpaceFactory(site=other_site)
    client.force_login(commune_staff)
    path = url("season-assignment-move", choir.pk)
    response = send(client, path, {"option": judo.option_id, "space": elsewhere.pk})
    assert response.status_code == 400
    assert set(response.json()) == {"option", "space"}
    assert response.json()["space"] == ["Choisissez un local de cette campagne."]
    choir.refresh_from_db()
    assert choir.space_id is not None


def test_two_wishes_exchange_their_spaces(
    client, planned, commune_staff, applicant, hall, small_room
):
    judo, choir = planned.mine, planned.theirs
    swap = reverse("api:season-assignment-swap")
    client.force_login(applicant)
    response = send(client, swap, {"first": judo.pk, "second": choir.pk})
    assert response.status_code == 400
    assert set(response.json()) == {"first", "second"}
    client.force_login(commune_staff)

    response = send(client, swap, {"first": judo.pk, "second": choir.pk})

    assert response.status_code == 200, response.json()
    assert [a["space"]["name"] for a in response.json()] == ["Salle B", "Salle A"]
    judo.refresh_from_db()
    assert judo.space_id == small_room.pk
    assert send(client, swap, {"first": judo.pk, "second": judo.pk}).status_code == 400


def test_the_committee_decides_then_the_plan_is_published(
    client, planned, commune_staff, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    assert decide(client, planned).status_code == 403
    client.force_login(commune_staff)
    publish = url("season-campaign-publish", planned.pk)
    response = send(client, publish, {})
    assert (response.status_code, response.json()["status"]) == (409, "planned")
    bad = {"decided_on": "2027-02-01", "deliberation_reference": "DEL"}
    response = send(client, url("season-campaign-decide", planned.pk), bad)
    assert list(response.json()) == ["decided_on"]  # not in the future

    response = decide(client, planned)

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["decided_on"]) == ("decided", "2027-01-04")
    assert response.json()["deliberation_reference"] == "DEL-2027-12"
    assert (
        send(
            client, url("season-assignment-move", planned.mine.pk), {"option": None, "space": None}
        ).status_code
        == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, publish, {})
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["series"], report["structures"], report["already"]) == (2, 2, False)
    assert report["campaign"]["status"] == "published"
    assert len(mailoutbox) == 2
    again = send(client, publish, {}).json()
    assert (again["already"], again["series"]) == (True, 0)


def test_a_clash_with_a_booking_made_meanwhile_publishes_nothing(
    client, planned, commune_staff, applicant, hall
):
    from bookings.models import Booking
    from tests.factories import booking_request_for, paris

    client.force_login(commune_staff)
    decide(client, planned)
    booking_request_for(
        space=hall, requested_by=applicant, start=paris(2027, 9, 14, 18), end=paris(2027, 9, 14, 19)
    )
    before = Booking.objects.count()

    response = send(client, url("season-campaign-publish", planned.pk), {})

    assert response.status_code == 409, response.json()
    body = response.json()
    (clash,) = body["clashes"]
    assert (clash["assignment"], clash["space_name"]) == (planned.mine.pk, "Salle A")
    assert "2027-09-14" in clash["dates"]
    assert body["detail"]
    assert Booking.objects.count() == before
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.DECIDED


def test_a_member_gives_a_published_slot_back(client, planned, commune_staff, applicant, rival):
    client.force_login(commune_staff)
    decide(client, planned)
    send(client, url("season-campaign-publish", planned.pk), {})
    judo = planned.mine
    path = url("season-assignment-give-back", judo.pk)
    client.force_login(rival)
    assert send(client, path, {"from_date": "2028-03-01", "reason": "Fin"}).status_code == 404
    client.force_login(applicant)
    plan = client.get(url("season-campaign-plan", planned.pk)).json()
    (mine,) = plan["assignments"]
    assert mine["booking"] is not None
    assert send(client, path, {"from_date": "2026-12-01", "reason": "Fin"}).status_code == 400

    response = send(client, path, {"from_date": "2028-03-01", "reason": "Fin de saison"})

    assert response.status_code == 200, response.json()
    assert response.json()["dates_freed"] > 0
    assert response.json()["assignment"]["given_back_from"] == "2028-03-01"
