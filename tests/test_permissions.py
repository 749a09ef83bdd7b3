"""The role matrix: who may see and manage which premises and organisations.

`site` belongs to the commune of `commune_staff` and is managed by `facilities_manager`;
`other_site` belongs to the commune of `other_commune_staff`. `member` administers `structure`.
Permission is a queryset: whoever may not manage something gets a 404, never a 403.
"""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import BaseForm
from django.urls import reverse
from PIL import Image

from accounts.selectors import organisations_manageable_by, organisations_visible_to
from spaces.forms import SiteForm, SpaceForm
from spaces.models import Photo, Site, Space
from spaces.selectors import sites_manageable_by, sites_visible_to, spaces_manageable_by
from tests.factories import OrganisationDocumentFactory, SpaceFactory

PERSONAS = [
    "anonymous",
    "outsider",
    "member",
    "commune_staff",
    "facilities_manager",
    "other_commune_staff",
    "territory_admin",
]
EVERYTHING = {"site", "other_site"}

# Which of `site` and `other_site` each persona manages (and so edits, with their spaces).
MANAGED_SITES = {
    "anonymous": set(),
    "outsider": set(),
    "member": set(),
    "commune_staff": {"site"},
    "facilities_manager": {"site"},
    "other_commune_staff": {"other_site"},
    "territory_admin": EVERYTHING,
}
ALL_ORGANISATIONS = {"structure", "commune", "other_commune", "epci"}
# commune_staff and other_commune_staff are plain members of their commune, not administrators.
MANAGED_ORGANISATIONS = {
    "anonymous": set(),
    "outsider": set(),
    "member": {"structure"},
    "commune_staff": set(),
    "facilities_manager": set(),
    "other_commune_staff": set(),
    "territory_admin": ALL_ORGANISATIONS,
}
VISIBLE_ORGANISATIONS = {
    "anonymous": set(),
    "outsider": set(),
    "member": {"structure"},
    "commune_staff": {"commune"},
    "facilities_manager": set(),
    "other_commune_staff": {"other_commune"},
    "territory_admin": ALL_ORGANISATIONS,
}
SITE_MANAGERS = [p for p in PERSONAS if "site" in MANAGED_SITES[p]]
SITE_OUTSIDERS = [p for p in PERSONAS if "site" not in MANAGED_SITES[p] and p != "anonymous"]
STRUCTURE_VIEWERS = [p for p in PERSONAS if "structure" in VISIBLE_ORGANISATIONS[p]]
STRUCTURE_OUTSIDERS = [
    p for p in PERSONAS if "structure" not in VISIBLE_ORGANISATIONS[p] and p != "anonymous"
]
MANAGEMENT_PAGES = [
    "spaces:site-edit",
    "spaces:space-edit",
    "spaces:space-create",
    "spaces:site-photos",
]


@pytest.fixture
def other_space(other_site):
    return SpaceFactory(site=other_site, name="Salle polyvalente")


@pytest.fixture
def world(site, space, other_site, other_space, structure, commune, other_commune, epci):
    """Every object of the matrix, by the name the tables above use."""
    return {
        "site": site,
        "other_site": other_site,
        "space": space,
        "other_space": other_space,
        "structure": structure,
        "commune": commune.organisation,
        "other_commune": other_commune.organisation,
        "epci": epci,
    }


def _persona(request, name: str):
    return AnonymousUser() if name == "anonymous" else request.getfixturevalue(name)


def _names(queryset, world: dict, candidates: set[str]) -> set[str]:
    pks = set(queryset.values_list("pk", flat=True))
    return {name for name in candidates if world[name].pk in pks}


def _client_as(client, user):
    if user.is_authenticated:
        client.force_login(user)
    return client


# --- Selectors -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_sites_manageable_by_follows_role(request, world, persona):
    user = _persona(request, persona)

    managed = _names(sites_manageable_by(user), world, EVERYTHING)

    assert managed == MANAGED_SITES[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_sites_visible_to_shows_published_sites_to_everyone(request, world, persona):
    user = _persona(request, persona)

    visible = _names(sites_visible_to(user), world, EVERYTHING)

    assert visible == EVERYTHING


@pytest.mark.parametrize("persona", PERSONAS)
def test_sites_visible_to_shows_unpublished_site_only_to_its_managers(request, world, persona):
    Site.objects.filter(pk=world["site"].pk).update(is_published=False)
    user = _persona(request, persona)

    visible = _names(sites_visible_to(user), world, EVERYTHING)

    assert visible == {"other_site"} | MANAGED_SITES[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_spaces_manageable_by_follows_site_management(request, world, persona):
    user = _persona(request, persona)

    managed = _names(spaces_manageable_by(user), world, {"space", "other_space"})

    assert managed == {name.replace("site", "space") for name in MANAGED_SITES[persona]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_organisations_manageable_by_follows_role(request, world, persona):
    user = _persona(request, persona)

    managed = _names(organisations_manageable_by(user), world, ALL_ORGANISATIONS)

    assert managed == MANAGED_ORGANISATIONS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_organisations_visible_to_follows_membership(request, world, persona):
    user = _persona(request, persona)

    visible = _names(organisations_visible_to(user), world, ALL_ORGANISATIONS)

    assert visible == VISIBLE_ORGANISATIONS[persona]


# --- Management pages of `site` ------------------------------------------------------------


def _page_url(page_name: str, world: dict) -> str:
    pk = world["space"].pk if page_name == "spaces:space-edit" else world["site"].pk
    return reverse(page_name, args=[pk])


def _form_data(form: BaseForm) -> dict:
    """What a browser would send back for an untouched form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("facade.png", buffer.getvalue(), content_type="image/png")


def _valid_post(page_name: str, world: dict, user) -> dict:
    """A submission that saves something, so a manager's POST is seen to reach the service."""
    if page_name == "spaces:site-edit":
        return _form_data(SiteForm(instance=world["site"], user=user)) | {"name": "Renamed"}
    if page_name == "spaces:space-edit":
        return _form_data(SpaceForm(instance=world["space"])) | {"name": "Renamed"}
    if page_name == "spaces:space-create":
        new_space = SpaceFactory.build(site=world["site"], name="Renamed")
        return _form_data(SpaceForm(instance=new_space))
    return {"image": _png(), "alt_text": "Renamed"}


def _something_saved(page_name: str, world: dict) -> bool:
    if page_name == "spaces:site-edit":
        return Site.objects.filter(pk=world["site"].pk, name="Renamed").exists()
    if page_name == "spaces:site-photos":
        return Photo.objects.filter(site=world["site"], alt_text="Renamed").exists()
    return Space.objects.filter(site=world["site"], name="Renamed").exists()


@pytest.mark.parametrize("page_name", MANAGEMENT_PAGES)
@pytest.mark.parametrize("persona", SITE_MANAGERS)
def test_management_page_get_shows_form_to_site_manager(request, client, world, persona, page_name):
    client = _client_as(client, _persona(request, persona))

    response = client.get(_page_url(page_name, world))

    assert response.status_code == 200


@pytest.mark.parametrize("page_name", MANAGEMENT_PAGES)
@pytest.mark.parametrize("persona", SITE_OUTSIDERS)
def test_management_page_get_is_404_for_anyone_else(request, client, world, persona, page_name):
    client = _client_as(client, _persona(request, persona))

    response = client.get(_page_url(page_name, world))

    assert response.status_code == 404


@pytest.mark.parametrize("page_name", MANAGEMENT_PAGES)
@pytest.mark.parametrize("persona", SITE_MANAGERS)
def test_management_page_post_saves_for_site_manager(request, client, world, persona, page_name):
    user = _persona(request, persona)
    client = _client_as(client, user)
    data = _valid_post(page_name, world, user)

    response = client.post(_page_url(page_name, world), data)

    assert response.status_code == 302
    assert _something_saved(page_name, world)


@pytest.mark.parametrize("page_name", MANAGEMENT_PAGES)
@pytest.mark.parametrize("persona", SITE_OUTSIDERS)
def test_management_page_post_is_404_for_anyone_else(request, client, world, persona, page_name):
    user = _persona(request, persona)
    client = _client_as(client, user)
    data = _valid_post(page_name, world, request.getfixturevalue("territory_admin"))

    response = client.post(_page_url(page_name, world), data)

    assert response.status_code == 404
    assert not _something_saved(page_name, world)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page_name", MANAGEMENT_PAGES)
def test_management_page_sends_anonymous_visitor_to_login(client, world, page_name, method):
    url = _page_url(page_name, world)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


# --- Organisations and their documents -----------------------------------------------------


@pytest.mark.parametrize("persona", STRUCTURE_VIEWERS)
def test_structure_detail_shows_structure_to_its_members_and_territory(
    request, client, world, persona
):
    client = _client_as(client, _persona(request, persona))

    response = client.get(reverse("accounts:structure-detail", args=[world["structure"].pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("persona", STRUCTURE_OUTSIDERS)
def test_structure_detail_is_404_for_another_organisation(request, client, world, persona):
    client = _client_as(client, _persona(request, persona))

    response = client.get(reverse("accounts:structure-detail", args=[world["structure"].pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("persona", STRUCTURE_VIEWERS)
def test_document_download_serves_file_to_its_organisation_and_territory(
    request, client, world, persona
):
    document = OrganisationDocumentFactory(organisation=world["structure"])
    client = _client_as(client, _persona(request, persona))

    response = client.get(reverse("accounts:document-download", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("persona", STRUCTURE_OUTSIDERS)
def test_document_download_is_404_for_another_organisation(request, client, world, persona):
    document = OrganisationDocumentFactory(organisation=world["structure"])
    client = _client_as(client, _persona(request, persona))

    response = client.get(reverse("accounts:document-download", args=[document.pk]))

    assert response.status_code == 404


def test_document_download_sends_anonymous_visitor_to_login(client, world):
    document = OrganisationDocumentFactory(organisation=world["structure"])
    url = reverse("accounts:document-download", args=[document.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_site_edit_keeps_facilities_manager_from_changing_the_owner(
    client, world, facilities_manager
):
    client.force_login(facilities_manager)
    data = _form_data(SiteForm(instance=world["site"], user=facilities_manager))

    response = client.post(
        _page_url("spaces:site-edit", world), data | {"owner": world["other_commune"].pk}
    )

    assert response.status_code == 400
    assert Site.objects.get(pk=world["site"].pk).owner == world["commune"]
