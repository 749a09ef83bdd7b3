"""The availability widget (issue 14): a public page that a commune's website frames, listing
the commune's free spaces with a link to book each; framed only by the websites it registered.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the slot searched is Tuesday 12
January, 18:00–20:00 (the page shows tomorrow, 14:00–16:00, before any search)."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

from accounts.models import MembershipRole
from spaces.models import WidgetOrigin
from tests.factories import MembershipFactory, SiteFactory, SpaceFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

SLOT = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00"}


def _url(organisation) -> str:
    return reverse("bookings:widget-availability", args=[organisation.pk])


def _csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def _names(response) -> set[str]:
    return {space.name for space in response.context["results"]}


def test_the_widget_lists_the_free_spaces_of_its_commune_only(
    client, commune, space, other_site, booker
):
    SpaceFactory(site=other_site, name="Salle d'ailleurs")
    taken = SpaceFactory(site=space.site, name="Salle prise")
    booking_request_for(
        space=taken, requested_by=booker, start=paris(2027, 1, 12, 17), end=paris(2027, 1, 12, 21)
    )

    response = client.get(_url(commune.organisation), SLOT)

    assert response.status_code == 200
    assert _names(response) == {"Salle Usinor"}


def test_the_widget_shows_tomorrow_afternoon_before_any_search(client, commune, space, booker):
    booking_request_for(
        space=space, requested_by=booker, start=paris(2027, 1, 5, 15), end=paris(2027, 1, 5, 16)
    )
    SpaceFactory(site=space.site, name="Salle libre")

    response = client.get(_url(commune.organisation))

    assert _names(response) == {"Salle libre"}
    assert 'value="2027-01-05"' in response.content.decode()


def test_each_free_space_links_to_its_booking_page_in_a_new_tab(client, commune, space):
    response = client.get(_url(commune.organisation), SLOT)

    booking = reverse("bookings:booking-create", args=[space.pk])
    html = response.content.decode()
    assert f'href="{booking}?date=2027-01-12&amp;start_time=18:00&amp;end_time=20:00"' in html
    assert 'target="_blank" rel="noopener"' in html
    # The page's own French (the catalogue's, once the lead has translated the new strings).
    with override("fr"):
        assert f"({gettext('opens a new tab')})" in html


def test_the_capacity_leaves_out_the_smaller_spaces(client, commune, space):
    SpaceFactory(site=space.site, name="Grande salle", capacity=120)

    response = client.get(_url(commune.organisation), {**SLOT, "capacity": "50"})

    assert _names(response) == {"Grande salle"}


def test_the_widget_stays_anonymous_for_a_signed_in_commune_administrator(client, commune, space):
    hidden = SiteFactory(commune=commune, name="Bâtiment non publié", is_published=False)
    SpaceFactory(site=hidden, name="Salle non publiée")
    admin = MembershipFactory(organisation=commune.organisation, role=MembershipRole.ADMIN).user
    client.force_login(admin)

    response = client.get(_url(commune.organisation), SLOT)

    assert _names(response) == {"Salle Usinor"}


def test_the_widget_of_an_organisation_without_premises_is_not_found(client, structure, space):
    assert client.get(_url(structure), SLOT).status_code == 404


def test_without_a_registered_website_only_the_platform_may_frame_the_widget(
    client, commune, space
):
    response = client.get(_url(commune.organisation), SLOT)

    assert _csp(response)["frame-ancestors"] == ["'self'"]
    assert "X-Frame-Options" not in response


def test_the_registered_websites_may_frame_the_widget(client, commune, space):
    for origin in ("https://www.denain.fr", "https://agenda.denain.fr:8443"):
        WidgetOrigin.objects.create(organisation=commune.organisation, origin=origin)

    response = client.get(_url(commune.organisation), SLOT)

    assert _csp(response)["frame-ancestors"] == [
        "'self'",
        "https://agenda.denain.fr:8443",
        "https://www.denain.fr",
    ]
    assert _csp(response)["script-src"] == ["'self'"]


def test_another_organisations_websites_may_not_frame_this_widget(
    client, commune, space, other_commune, other_site
):
    WidgetOrigin.objects.create(organisation=other_commune.organisation, origin="https://x.fr")

    response = client.get(_url(commune.organisation), SLOT)

    assert _csp(response)["frame-ancestors"] == ["'self'"]


def test_every_other_page_stays_out_of_frames(client, commune, space):
    response = client.get(reverse("bookings:availability"), SLOT)

    assert response["X-Frame-Options"] == "DENY"
    assert _csp(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    "query",
    [
        {**SLOT, "capacity": "100000000000000000000"},
        {**SLOT, "capacity": "-3"},
        {**SLOT, "date": "2027-01-12\x00"},
        {**SLOT, "end_time": "17:00"},
        {**SLOT, "date": "2026-12-01"},
        {"date": "=1+1"},
    ],
)
def test_a_bad_search_is_answered_400_in_french(client, commune, space, query):
    response = client.get(_url(commune.organisation), query)

    assert response.status_code == 400
    assert "Le formulaire comporte des erreurs" in response.content.decode()
    assert _csp(response)["frame-ancestors"] == ["'self'"]


def test_the_widget_page_is_french_with_a_heading_and_labelled_fields(client, commune, space):
    html = client.get(_url(commune.organisation), SLOT).content.decode()

    assert '<html lang="fr">' in html
    assert "<h1>" in html
    for field in ("id_date", "id_start_time", "id_end_time", "id_capacity"):
        assert f'<label for="{field}">' in html


def test_the_widget_is_throttled_per_visitor(client, commune, space, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "widget": "2/minute"}
    for _ in range(2):
        assert client.get(_url(commune.organisation), SLOT).status_code == 200

    response = client.get(_url(commune.organisation), SLOT)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_a_website_written_around_the_service_never_reaches_the_header(client, commune, space):
    WidgetOrigin.objects.create(
        organisation=commune.organisation, origin="https://a.fr; script-src *"
    )

    response = client.get(_url(commune.organisation), SLOT)

    assert _csp(response)["frame-ancestors"] == ["'self'"]
    assert _csp(response)["script-src"] == ["'self'"]
