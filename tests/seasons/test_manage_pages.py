"""The season's manager pages (issue 17): campaigns, rules, the plan, the arbitration board,
the decision and publication, through the views on the real database."""

from datetime import date, time

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from seasons import services
from seasons.models import Campaign, CampaignSpace, CampaignStatus, PlanAssignment
from tests.factories import (
    MembershipFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)
from tests.seasons.conftest import submit, tuesday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def fr():
    with translation.override("fr"):
        yield


@pytest.fixture
def staff_client(client, commune_staff):
    client.force_login(commune_staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


@pytest.fixture
def contested(campaign, commune_staff, hall, small_room, applicant, applicant_structure, rival):
    """Two wishes for the same Tuesday evening in Salle A, the rival's second choice in Salle B;
    a third structure's wish for Salle A fits nowhere else: unmet."""
    rival_structure = rival.memberships.get().organisation
    submit(campaign, applicant, applicant_structure, tuesday(hall))
    submit(campaign, rival, rival_structure, tuesday(hall), tuesday(small_room, 18, 20))
    third = VerifiedStructureFactory(name="Théâtre des Anges")
    submit(campaign, MembershipFactory(organisation=third).user, third, tuesday(hall, 19, 21))
    services.campaign_close(campaign=campaign, actor=commune_staff)
    services.plan_run(campaign=campaign, actor=commune_staff)
    campaign.refresh_from_db()
    return campaign


def campaign_data(commune, *spaces, closed=(), **extra) -> dict:
    return {
        "owner": commune.organisation.pk,
        "title": "Saison 2027–2028",
        "school_year": "2027",
        "opens_on": "2027-01-04",
        "deadline": "2027-03-31T12:00",
        "spaces": [s.pk for s in spaces],
        "closed_in_holidays": [s.pk for s in closed],
        "hours_per_week": "4",
        "family_association": "5",
        "activity_sport": "10",
        **extra,
    }


# --- Who reaches the pages ---


PAGES = ["campaign-detail", "campaign-edit", "plan", "board"]


@pytest.mark.parametrize("name", ["campaign-list", "campaign-create", *PAGES])
def test_pages_answer_the_manager(staff_client, contested, name):
    args = [] if name in ("campaign-list", "campaign-create") else [contested.pk]

    response = staff_client.get(reverse(f"seasons:{name}", args=args), follow=True)

    assert response.status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_404_to_another_commune_and_a_structure(
    client, contested, other_commune_staff, applicant, name
):
    for user in (other_commune_staff, applicant):
        client.force_login(user)
        assert client.get(reverse(f"seasons:{name}", args=[contested.pk])).status_code == 404


def test_campaign_list_is_404_to_a_structure_member(client, applicant, campaign):
    client.force_login(applicant)

    assert client.get(reverse("seasons:campaign-list")).status_code == 404
    assert client.get(reverse("seasons:campaign-create")).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("campaign-list", "get"),
        ("campaign-create", "get"),
        ("campaign-detail", "get"),
        ("campaign-edit", "get"),
        ("campaign-open", "post"),
        ("campaign-close", "post"),
        ("plan-compute", "post"),
        ("plan", "get"),
        ("board", "get"),
        ("assignment-move", "get"),
        ("assignments-swap", "post"),
        ("campaign-decide", "post"),
        ("campaign-publish", "post"),
    ],
)
def test_pages_send_anonymous_visitors_to_login(client, draft_campaign, name, method):
    args = [] if name in ("campaign-list", "campaign-create") else [draft_campaign.pk]

    response = getattr(client, method)(reverse(f"seasons:{name}", args=args))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_actions_are_404_to_another_commune(client, contested, other_commune_staff):
    client.force_login(other_commune_staff)
    for name in ("campaign-open", "campaign-close", "plan-compute", "campaign-publish"):
        assert client.post(reverse(f"seasons:{name}", args=[contested.pk])).status_code == 404
    assert contested.plan_runs.count() == 1


# --- Create, edit, open, close ---


def test_create_drafts_the_campaign_with_its_spaces_and_rules(
    staff_client, commune, hall, small_room
):
    response = staff_client.post(
        reverse("seasons:campaign-create"),
        campaign_data(commune, hall, small_room, closed=[hall]),
    )

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("seasons:campaign-detail", args=[campaign.pk])
    assert (campaign.status, campaign.hours_per_week) == (CampaignStatus.DRAFT, 4)
    assert campaign.favoured_families == {"association": 5}
    assert campaign.favoured_activities == {"sport": 10}
    closed = dict(CampaignSpace.objects.values_list("space", "closed_in_school_holidays"))
    assert closed == {hall.pk: True, small_room.pk: False}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Saison\x00", "Le caractère nul n’est pas autorisé."),
        ("title", "Saison\x1b[31m", "Ce champ ne peut pas contenir de retour à la ligne"),
        ("hours_per_week", str(10**20), "Assurez-vous que cette valeur est inférieure ou égale"),
        ("hours_per_week", "=1+1", "Saisissez un nombre entier."),
        ("family_association", str(10**20), "inférieure ou égale à 10"),
        ("school_year", "=HYPERLINK(1)", "Saisissez un nombre entier."),
        ("deadline", "2026-12-01T12:00", "La date limite doit être dans le futur."),
    ],
)
def test_create_refuses_hostile_input_in_french(staff_client, commune, hall, field, value, message):
    response = staff_client.post(
        reverse("seasons:campaign-create"), campaign_data(commune, hall, **{field: value})
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


def test_edit_changes_a_draft_then_open_freezes_and_shows_the_rules(
    staff_client, draft_campaign, commune, hall, small_room
):
    url = reverse("seasons:campaign-edit", args=[draft_campaign.pk])
    data = campaign_data(commune, hall, closed=[hall], hours_per_week="6", title="Saison B")
    del data["owner"]

    response = staff_client.post(url, data)

    assert response.status_code == 302
    draft_campaign.refresh_from_db()
    assert (draft_campaign.title, draft_campaign.hours_per_week) == ("Saison B", 6)
    assert list(draft_campaign.spaces.values_list("space", flat=True)) == [hall.pk]

    response = staff_client.post(
        reverse("seasons:campaign-open", args=[draft_campaign.pk]), follow=True
    )

    page = response.content.decode()
    assert "Règles publiées" in page
    assert "Sport (10/10)" in page
    draft_campaign.refresh_from_db()
    assert draft_campaign.status == CampaignStatus.OPEN
    assert draft_campaign.published_rules["hours_per_week"] == 6
    response = staff_client.post(url, data, follow=True)
    assert "La campagne est ouverte : ses règles sont figées." in messages_of(response)
    draft_campaign.refresh_from_db()
    assert draft_campaign.hours_per_week == 6


def test_close_then_compute_the_plan_shows_every_wish_explained(
    staff_client, campaign, hall, small_room, applicant, applicant_structure, rival
):
    submit(campaign, applicant, applicant_structure, tuesday(hall))
    submit(
        campaign,
        rival,
        rival.memberships.get().organisation,
        tuesday(hall),
        tuesday(small_room, 18, 20),
    )

    staff_client.post(reverse("seasons:campaign-close", args=[campaign.pk]))
    response = staff_client.post(reverse("seasons:plan-compute", args=[campaign.pk]), follow=True)

    assert "Le plan est fait : 2 vœux sur 2 sont satisfaits." in messages_of(response)
    page = response.content.decode()
    assert "attribuée à Club de judo par la règle" in page
    assert "choix n° 2 attribué : Salle B" in page
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNED


def test_open_refused_shows_the_french_reason(staff_client, campaign):
    response = staff_client.post(reverse("seasons:campaign-open", args=[campaign.pk]), follow=True)

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN


# --- The plan and the board ---


def test_plan_filters_by_structure_and_by_space(staff_client, contested, applicant_structure, hall):
    url = reverse("seasons:plan", args=[contested.pk])

    mine = staff_client.get(url, {"structure": applicant_structure.pk}).content.decode()
    in_hall = staff_client.get(url, {"space": hall.pk}).content.decode()
    hostile = staff_client.get(url, {"structure": "=1+1", "space": "9" * 30})

    assert "<h3>Club de judo" in mine
    assert "<h3>Théâtre des Anges" not in mine
    assert "<h3>Théâtre des Anges" in in_hall
    assert hostile.status_code == 200


def test_board_lays_out_the_slots_as_text_and_lists_the_unmet(staff_client, contested):
    page = staff_client.get(reverse("seasons:board", args=[contested.pk])).content.decode()

    assert "<caption" in page
    assert 'scope="row"' in page
    assert 'role="region"' in page
    assert "18\xa0h–20\xa0h Club de judo (choix 1)" in page
    assert "18\xa0h–20\xa0h Chorale du Nord (choix 2)" in page
    assert "1 vœu non satisfait" in page
    assert "Théâtre des Anges" in page


def _grow(campaign, commune_staff, hall, count):
    """`count` more structures' wishes on other weekdays of Salle A, and the plan again."""
    for _ in range(count):
        structure = VerifiedStructureFactory()
        user = MembershipFactory(organisation=structure).user
        services.wish_submit(
            actor=user,
            campaign=campaign,
            structure=structure,
            rank=1,
            attendees=5,
            purpose="Atelier",
            activity="social",
            period="year",
            options=[services.OptionInput(weekday=1, start=time(8), end=time(9), space=hall)],
        )


@pytest.mark.parametrize("name", ["board", "plan"])
def test_board_and_plan_queries_do_not_grow_with_the_wishes(
    client, campaign, commune_staff, hall, name, django_assert_num_queries
):
    client.force_login(commune_staff)
    url = reverse(f"seasons:{name}", args=[campaign.pk])
    _grow(campaign, commune_staff, hall, 1)
    services.campaign_close(campaign=campaign, actor=commune_staff)
    services.plan_run(campaign=campaign, actor=commune_staff)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.OPEN)
    _grow(campaign, commune_staff, hall, 12)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    services.plan_run(campaign=campaign, actor=commune_staff)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)

    assert response.content.decode().count("Atelier") >= 13 or name == "board"


# --- Arbitration, decision, publication through the pages ---

JUNE = paris(2027, 6, 1, 9)


def test_move_page_offers_the_wish_own_choices_and_moves_it(
    staff_client, planned, small_room, hall
):
    mine = planned.mine
    url = reverse("seasons:assignment-move", args=[planned.pk])

    page = staff_client.get(url, {"voeu": mine.pk}).content.decode()

    assert "Choix 1 : mardi 18\xa0h–20\xa0h, Salle A" in page
    assert "Le retirer du plan" in page
    response = staff_client.post(url, {"assignment": mine.pk, "target": "remove"}, follow=True)
    assert "Le vœu est retiré du plan." in messages_of(response)
    mine.refresh_from_db()
    assert (mine.space_id, mine.moved_by_id is not None) == (None, True)
    board = staff_client.get(reverse("seasons:board", args=[planned.pk])).content.decode()
    assert "retiré à la main" in board
    option = mine.wish.options.get(position=1)
    response = staff_client.post(
        url, {"assignment": mine.pk, "target": f"{option.pk}-{hall.pk}"}, follow=True
    )
    assert "Le vœu est déplacé." in messages_of(response)
    assert "18\xa0h–20\xa0h Club de judo (choix 1) <strong>— déplacé à la main" in (
        response.content.decode()
    )


def test_move_onto_a_taken_slot_shows_the_french_clash(staff_client, planned, hall):
    theirs = planned.theirs
    option = theirs.wish.options.get(position=1)  # Salle A, where the judo club sits
    url = reverse("seasons:assignment-move", args=[planned.pk])

    response = staff_client.post(url, {"assignment": theirs.pk, "target": f"{option.pk}-{hall.pk}"})

    assert response.status_code == 400
    assert "Club de judo" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.space_id != hall.pk


@pytest.mark.parametrize(
    "data",
    [
        {"target": "remove"},
        {"assignment": "=1+1", "target": "remove"},
        {"assignment": "9" * 25, "target": "remove"},
    ],
)
def test_move_refuses_a_missing_or_hostile_wish(staff_client, planned, data):
    url = reverse("seasons:assignment-move", args=[planned.pk])

    assert staff_client.post(url, data).status_code == 404


def test_move_refuses_a_target_not_offered(staff_client, planned):
    url = reverse("seasons:assignment-move", args=[planned.pk])

    response = staff_client.post(url, {"assignment": planned.mine.pk, "target": "1-\x00"})

    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_swap_exchanges_the_spaces_of_two_placed_wishes(staff_client, planned, hall, small_room):
    response = staff_client.post(
        reverse("seasons:assignments-swap", args=[planned.pk]),
        {"first": planned.mine.pk, "second": planned.theirs.pk},
        follow=True,
    )

    assert "Les deux vœux ont échangé leurs locaux." in messages_of(response)
    planned.mine.refresh_from_db()
    planned.theirs.refresh_from_db()
    assert (planned.mine.space_id, planned.theirs.space_id) == (small_room.pk, hall.pk)


def test_swap_of_a_wish_with_itself_is_refused_in_french(staff_client, planned):
    response = staff_client.post(
        reverse("seasons:assignments-swap", args=[planned.pk]),
        {"first": planned.mine.pk, "second": planned.mine.pk},
    )

    assert response.status_code == 400
    assert "Choisissez deux vœux différents." in response.content.decode()


def test_decide_refuses_a_future_date_and_hostile_reference(staff_client, planned):
    url = reverse("seasons:campaign-decide", args=[planned.pk])

    future = staff_client.post(
        url, {"decided_on": "2027-02-01", "deliberation_reference": "DEL-1"}, follow=True
    )
    hostile = staff_client.post(
        url, {"decided_on": "2027-01-04", "deliberation_reference": "DEL\x1b"}, follow=True
    )
    huge = staff_client.post(
        url, {"decided_on": "99999-01-04", "deliberation_reference": "DEL"}, follow=True
    )

    assert "La décision ne peut pas être datée dans le futur." in " ".join(messages_of(future))
    assert "Ce champ ne peut pas contenir de retour à la ligne" in " ".join(messages_of(hostile))
    assert messages_of(huge)
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.PLANNED


def test_decide_then_publish_creates_the_series(staff_client, planned, commune_staff):
    with time_machine.travel(JUNE, tick=False):
        response = staff_client.post(
            reverse("seasons:campaign-decide", args=[planned.pk]),
            {"decided_on": "2027-05-31", "deliberation_reference": "DEL-2027-042"},
            follow=True,
        )
        assert "La décision est enregistrée : le plan peut être publié." in messages_of(response)
        assert "Publier le plan" in response.content.decode()

        response = staff_client.post(
            reverse("seasons:campaign-publish", args=[planned.pk]), follow=True
        )

    assert "Le plan est publié : 2 séries hebdomadaires sont créées." in messages_of(response)
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.PUBLISHED
    assert "DEL-2027-042" in response.content.decode()


def test_publish_refused_shows_the_clashes_as_a_table(
    staff_client, planned, commune_staff, hall, requester
):
    with time_machine.travel(JUNE, tick=False):
        services.campaign_decide(
            campaign=planned,
            actor=commune_staff,
            decided_on=date(2027, 5, 31),
            deliberation_reference="DEL-2027-042",
        )
        booking_request_for(
            space=hall,
            requested_by=requester,
            start=paris(2027, 11, 9, 18),
            end=paris(2027, 11, 9, 19),
        )

        response = staff_client.post(reverse("seasons:campaign-publish", args=[planned.pk]))

    page = response.content.decode()
    assert response.status_code == 409
    assert '<caption id="clashes-caption">Conflits</caption>' in page
    assert "9 novembre 2027" in page
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.DECIDED
    assert not PlanAssignment.objects.filter(booking__isnull=False).exists()


def test_full_journey_through_the_pages(staff_client, commune, hall, small_room, applicant):
    """create → open → (a wish) → close → plan → move → decide → publish."""
    response = staff_client.post(
        reverse("seasons:campaign-create"), campaign_data(commune, hall, small_room)
    )
    campaign = Campaign.objects.get()
    staff_client.post(reverse("seasons:campaign-open", args=[campaign.pk]))
    campaign.refresh_from_db()
    structure = applicant.memberships.get().organisation
    submit(campaign, applicant, structure, tuesday(hall), tuesday(small_room, 18, 20))
    staff_client.post(reverse("seasons:campaign-close", args=[campaign.pk]))
    staff_client.post(reverse("seasons:plan-compute", args=[campaign.pk]))
    assignment = PlanAssignment.objects.get()
    second = assignment.wish.options.get(position=2)
    staff_client.post(
        reverse("seasons:assignment-move", args=[campaign.pk]),
        {"assignment": assignment.pk, "target": f"{second.pk}-{small_room.pk}"},
    )
    with time_machine.travel(JUNE, tick=False):
        staff_client.post(
            reverse("seasons:campaign-decide", args=[campaign.pk]),
            {"decided_on": "2027-05-31", "deliberation_reference": "DEL-1"},
        )
        response = staff_client.post(
            reverse("seasons:campaign-publish", args=[campaign.pk]), follow=True
        )

    assert "Le plan est publié : 1 série hebdomadaire est créée." in messages_of(response)
    assignment.refresh_from_db()
    assert (assignment.space_id, assignment.booking.space_id) == (small_room.pk, small_room.pk)
    log = list(campaign.log.values_list("to_status", flat=True))
    assert log == ["open", "closed", "planned", "decided", "published"]


def test_menu_leads_managers_to_the_seasons_and_not_structures(
    client, commune_staff, territory_admin, applicant
):
    link = f'href="{reverse("seasons:campaign-list")}"'
    for user, shown in ((commune_staff, True), (territory_admin, True), (applicant, False)):
        client.force_login(user)
        page = client.get(reverse("portal:dashboard")).content.decode()
        assert (link in page) is shown, user
    client.force_login(commune_staff)
    page = client.get(reverse("seasons:campaign-list")).content.decode()
    assert f'{link} aria-current="page">Saisons</a>' in page


def test_create_form_ticks_every_space_closed_in_the_holidays_by_default(
    staff_client, hall, small_room
):
    form = staff_client.get(reverse("seasons:campaign-create")).context["form"]

    assert sorted(form["closed_in_holidays"].value()) == sorted([hall.pk, small_room.pk])
