"""The websites allowed to frame an organisation's availability widget (issue 14): what an
origin is, who registers them, and the page that shows the snippet to paste."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import MembershipRole
from spaces.models import MAX_WIDGET_ORIGINS, WidgetOrigin
from spaces.services import widget_origin_add, widget_origin_remove
from spaces.validators import origin_normalise
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune_admin(commune):
    return MembershipFactory(
        organisation=commune.organisation,
        role=MembershipRole.ADMIN,
    ).user


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://www.denain.fr", "https://www.denain.fr"),
        ("  HTTPS://WWW.Denain.FR/ ", "https://www.denain.fr"),
        ("https://www.denain.fr:443", "https://www.denain.fr"),
        ("https://agenda.denain.fr:8443", "https://agenda.denain.fr:8443"),
        ("https://www.saint-amand-les-eaux.fr", "https://www.saint-amand-les-eaux.fr"),
        ("https://mairie-hérin.fr", "https://xn--mairie-hrin-ibb.fr"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
    ],
)
def test_an_origin_is_normalised(typed, origin):
    assert origin_normalise(typed) == origin


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "*",
        "https://*.denain.fr",
        "https://*",
        "www.denain.fr",
        "http://www.denain.fr",  # http only for the machine itself
        "ftp://www.denain.fr",
        "https://www.denain.fr/agenda",
        "https://www.denain.fr?x=1",
        "https://www.denain.fr#haut",
        "https://user:secret@www.denain.fr",
        "https://www.denain.fr:99999",
        "https://www.denain.fr; script-src *",
        "https://www.denain.fr 'unsafe-inline'",
        "https://www.den\x00ain.fr",
        "https://www.denain.fr\r\nX-Injected: 1",
        "https://intranet",
        "https://-denain.fr",
        "https://" + "a" * 300 + ".fr",
        "javascript:alert(1)",
        "'self'",
        "data:",
    ],
)
def test_what_is_not_a_websites_origin_is_refused(typed):
    with pytest.raises(ValidationError):
        origin_normalise(typed)


def test_a_commune_administrator_registers_a_website(commune, commune_admin, site):
    added = widget_origin_add(
        organisation=commune.organisation, origin="https://www.Denain.fr/", actor=commune_admin
    )

    assert added.origin == "https://www.denain.fr"
    assert added.created_by == commune_admin


def test_the_intercommunality_registers_a_website_for_a_commune(commune, territory_admin, site):
    widget_origin_add(
        organisation=commune.organisation, origin="https://www.denain.fr", actor=territory_admin
    )

    assert WidgetOrigin.objects.filter(organisation=commune.organisation).count() == 1


@pytest.mark.parametrize("persona", ["commune_staff", "outsider", "other_commune_staff"])
def test_who_does_not_administer_the_commune_may_not_register_a_website(
    request, commune, site, persona
):
    actor = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        widget_origin_add(
            organisation=commune.organisation, origin="https://www.denain.fr", actor=actor
        )

    assert not WidgetOrigin.objects.exists()


def test_a_website_registered_twice_is_refused_in_any_spelling(commune, commune_admin, site):
    widget_origin_add(
        organisation=commune.organisation, origin="https://www.denain.fr", actor=commune_admin
    )

    with pytest.raises(ValidationError) as refused:
        widget_origin_add(
            organisation=commune.organisation,
            origin="HTTPS://www.denain.fr:443/",
            actor=commune_admin,
        )

    assert "origin" in refused.value.message_dict
    assert WidgetOrigin.objects.count() == 1


def test_the_number_of_websites_is_bounded(commune, commune_admin, site):
    for n in range(MAX_WIDGET_ORIGINS):
        WidgetOrigin.objects.create(organisation=commune.organisation, origin=f"https://s{n}.fr")

    with pytest.raises(ValidationError):
        widget_origin_add(
            organisation=commune.organisation, origin="https://www.denain.fr", actor=commune_admin
        )


def test_a_website_is_removed_by_the_administrator_only(
    commune, commune_admin, commune_staff, site
):
    origin = WidgetOrigin.objects.create(
        organisation=commune.organisation, origin="https://www.denain.fr"
    )
    with pytest.raises(PermissionDenied):
        widget_origin_remove(widget_origin=origin, actor=commune_staff)

    widget_origin_remove(widget_origin=origin, actor=commune_admin)

    assert not WidgetOrigin.objects.exists()


# --- The page ---


def _page(organisation) -> str:
    return reverse("spaces:widget-manage", args=[organisation.pk])


def test_the_page_shows_the_snippet_with_the_communes_widget_address(
    client, commune, commune_admin, site
):
    client.force_login(commune_admin)

    html = client.get(_page(commune.organisation)).content.decode()

    widget = reverse("bookings:widget-availability", args=[commune.organisation.pk])
    assert f"&lt;iframe src=&quot;http://testserver{widget}&quot;" in html
    assert "title=&quot;" in html
    assert "data-locaux-communs-widget" in html
    assert "http://testserver/static/bookings/widget-embed.js" in html


def test_the_snippet_escapes_the_organisations_name_for_the_pasted_html(
    client, commune, commune_admin, site
):
    commune.organisation.name = 'Ville "<Denain>"'
    commune.organisation.save()
    client.force_login(commune_admin)

    html = client.get(_page(commune.organisation)).content.decode()

    # Shown as text in the box, the snippet itself holds &quot; and &lt;: pasted, it stays valid.
    assert "Ville &amp;quot;&amp;lt;Denain&amp;gt;&amp;quot;" in html


@pytest.mark.parametrize("persona", ["commune_staff", "outsider", "other_commune_staff"])
def test_the_page_is_not_found_for_who_may_not_register_websites(
    client, request, commune, site, persona
):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(_page(commune.organisation)).status_code == 404


def test_the_page_adds_a_website(client, commune, commune_admin, site):
    client.force_login(commune_admin)

    response = client.post(_page(commune.organisation), {"origin": "https://www.denain.fr"})

    assert response.status_code == 302
    assert WidgetOrigin.objects.get().origin == "https://www.denain.fr"


@pytest.mark.parametrize(
    "typed", ["https://*.denain.fr", "https://a.fr\x00", "https://a.fr/x", "x" * 100_000]
)
def test_the_page_refuses_a_bad_address_with_400(client, commune, commune_admin, site, typed):
    client.force_login(commune_admin)

    response = client.post(_page(commune.organisation), {"origin": typed})

    assert response.status_code == 400
    assert "Le formulaire comporte des erreurs" in response.content.decode()
    assert not WidgetOrigin.objects.exists()


def test_the_page_removes_a_website(client, commune, commune_admin, site):
    origin = WidgetOrigin.objects.create(
        organisation=commune.organisation, origin="https://www.denain.fr"
    )
    client.force_login(commune_admin)

    response = client.post(reverse("spaces:widget-origin-remove", args=[origin.pk]))

    assert response.status_code == 302
    assert not WidgetOrigin.objects.exists()


def test_another_communes_website_cannot_be_removed(
    client, commune, site, other_commune, other_site
):
    origin = WidgetOrigin.objects.create(
        organisation=commune.organisation, origin="https://www.denain.fr"
    )
    other_admin = MembershipFactory(
        organisation=other_commune.organisation, role=MembershipRole.ADMIN
    ).user
    client.force_login(other_admin)

    response = client.post(reverse("spaces:widget-origin-remove", args=[origin.pk]))

    assert response.status_code == 404
    assert WidgetOrigin.objects.exists()


def test_the_dashboard_links_the_widget_page_for_the_communes_administrator(
    client, commune, commune_admin, site
):
    client.force_login(commune_admin)

    html = client.get(reverse("portal:dashboard")).content.decode()

    assert _page(commune.organisation) in html
