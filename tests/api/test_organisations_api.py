"""Organisations, members, invitations and documents through the API (issue 14): the same
operations and rules as the structure pages, through the same services.

Who: an organisation, its members and documents are seen by its members and the
intercommunality (others: 404); its administrators and the intercommunality change them (its
other members: 403); anonymous clients get 403.
"""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import (
    ApiTokenScope,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
)
from accounts.services.tokens import api_token_create
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    MembershipFactory,
    OrganisationDocumentFactory,
    StructureFactory,
    UserFactory,
    VerifiedStructureFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

ORGANISATIONS = reverse("api:organisation-list")
VALID_SIRET = "732 829 320 00074"  # a real establishment's SIRET, typed with spaces


def detail(organisation) -> str:
    return reverse("api:organisation-detail", args=[organisation.pk])


def members(organisation) -> str:
    return reverse("api:organisation-member-list", args=[organisation.pk])


def invitations(organisation) -> str:
    return reverse("api:organisation-invitation-list", args=[organisation.pk])


def documents(organisation) -> str:
    return reverse("api:organisation-document-list", args=[organisation.pk])


def send(client, method: str, url: str, body: object):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def colleague(structure, member):
    """A plain member of `structure` (`member` is its administrator)."""
    return MembershipFactory(
        organisation=structure,
        user=UserFactory(email="colleague@example.test", first_name="Inès", last_name="Roy"),
        role=MembershipRole.MEMBER,
    ).user


def membership_of(user, organisation) -> Membership:
    return Membership.objects.get(user=user, organisation=organisation)


# --- Organisations ----------------------------------------------------------------------------


def test_a_member_lists_their_organisations_and_no_other(client, member, structure):
    StructureFactory(name="Autre association")
    client.force_login(member)
    response = client.get(ORGANISATIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["id"] == structure.pk
    assert row["name"] == "Mobilité Solidaire"
    assert row["kind"] == "ess"
    assert row["siret"] == structure.siret
    assert row["verified_at"] is None


def test_the_intercommunality_lists_every_organisation(client, territory_admin, structure, epci):
    client.force_login(territory_admin)
    ids = {row["id"] for row in client.get(ORGANISATIONS).json()["results"]}
    assert {structure.pk, epci.pk} <= ids
    assert ids == set(Organisation.objects.values_list("pk", flat=True))


def test_anonymous_gets_403_everywhere(client, structure):
    document = OrganisationDocumentFactory(organisation=structure)
    membership = MembershipFactory(organisation=structure)
    for method, url in (
        ("get", ORGANISATIONS),
        ("post", ORGANISATIONS),
        ("get", detail(structure)),
        ("patch", detail(structure)),
        ("get", members(structure)),
        ("patch", reverse("api:membership-detail", args=[membership.pk])),
        ("delete", reverse("api:membership-detail", args=[membership.pk])),
        ("get", invitations(structure)),
        ("post", invitations(structure)),
        ("get", documents(structure)),
        ("delete", reverse("api:organisation-document-detail", args=[document.pk])),
    ):
        assert send(client, method, url, {}).status_code == 403, (method, url)


def test_another_organisation_is_404(client, member):
    other = StructureFactory()
    client.force_login(member)
    assert client.get(detail(other)).status_code == 404
    assert send(client, "patch", detail(other), {"name": "Pris"}).status_code == 404
    assert client.get(members(other)).status_code == 404
    assert client.get(documents(other)).status_code == 404
    assert client.get(invitations(other)).status_code == 404
    other.refresh_from_db()
    assert other.name != "Pris"


def test_a_signed_in_person_registers_a_structure_and_administers_it(client, outsider):
    client.force_login(outsider)
    response = send(
        client,
        "post",
        ORGANISATIONS,
        {
            "name": "Recyclerie du Hainaut",
            "ess_family": "association",
            "siret": VALID_SIRET,
            "rna": "w595012345",
            "email": "contact@recyclerie.example",
            "description": "Réemploi.\r\nAteliers de réparation.",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    structure = Organisation.objects.get(pk=body["id"])
    assert structure.kind == OrganisationKind.ESS
    assert body["siret"] == "73282932000074"  # normalised by the service
    assert body["siren"] == "732829320"
    assert body["rna"] == "W595012345"
    assert body["verified_at"] is None
    assert membership_of(outsider, structure).role == MembershipRole.ADMIN


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"siret": "12345678901234"}, "siret"),  # the Luhn key fails
        ({"siret": "1234"}, "siret"),
        ({"rna": "X123"}, "rna"),
        ({"ess_family": ""}, "ess_family"),
        ({"ess_family": "club"}, "ess_family"),
        ({"name": "Nom\u0000nul"}, "name"),
        ({"name": "Deux\nlignes"}, "name"),
        ({"name": "x" * 100_000}, "name"),
        ({"description": "bip\u0007"}, "description"),
        ({"siret": "1" * 10_000}, "siret"),
        ({"esus_expires_on": "99999-01-01"}, "esus_expires_on"),
        ({"name": ["liste"]}, "name"),
        ({"website": "javascript:alert(1)"}, "website"),
    ],
)
def test_a_registration_with_a_bad_field_is_a_400_naming_it(client, outsider, changes, field):
    client.force_login(outsider)
    body = {"name": "Recyclerie", "ess_family": "association", **changes}
    response = send(client, "post", ORGANISATIONS, body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Organisation.objects.filter(kind=OrganisationKind.ESS).exists()


def test_a_second_structure_with_the_same_siret_is_refused_on_the_field(client, outsider):
    existing = StructureFactory()
    client.force_login(outsider)
    spaced = " ".join(existing.siret[i : i + 3] for i in range(0, 14, 3))
    response = send(
        client,
        "post",
        ORGANISATIONS,
        {"name": "Doublon", "ess_family": "association", "siret": spaced},
    )
    assert response.status_code == 400
    assert response.json() == {"siret": ["Une structure avec ce SIRET est déjà inscrite."]}


def test_the_administrator_edits_the_details_and_identity_changes_withdraw_verification(
    client, territory_admin
):
    structure = VerifiedStructureFactory(name="Les Amis du Vélo")
    admin = MembershipFactory(organisation=structure).user
    client.force_login(admin)
    response = send(client, "patch", detail(structure), {"phone": "03 27 00 00 00"})
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "03 27 00 00 00"
    assert response.json()["verified_at"] is not None  # contact details: no new check
    response = send(client, "patch", detail(structure), {"name": "Les Amis du Vélo 59"})
    assert response.status_code == 200
    assert response.json()["verified_at"] is None
    structure.refresh_from_db()
    assert structure.name == "Les Amis du Vélo 59"
    assert not structure.is_verified


def test_a_plain_member_may_not_edit_403(client, structure, colleague):
    client.force_login(colleague)
    assert client.get(detail(structure)).status_code == 200
    response = send(client, "patch", detail(structure), {"name": "Coup d'État"})
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    structure.refresh_from_db()
    assert structure.name == "Mobilité Solidaire"


def test_a_bad_patch_is_a_400_and_changes_nothing(client, structure, member):
    client.force_login(member)
    for body in ({"siret": "12345678901234"}, {"name": ""}, {"email": "pas une adresse"}):
        response = send(client, "patch", detail(structure), body)
        assert response.status_code == 400, body
        assert set(response.json()) == set(body)
    response = client.patch(detail(structure), "[]", content_type="application/json")
    assert response.status_code == 400
    structure.refresh_from_db()
    assert structure.name == "Mobilité Solidaire"


def test_a_read_token_reads_but_does_not_write(client, structure, member):
    _token, secret = api_token_create(
        actor=member,
        name="Lecture",
        scope=ApiTokenScope.READ,
        expires_at=structure.created_at + timedelta(days=30),
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(ORGANISATIONS, **headers).json()["count"] == 1
    response = client.patch(
        detail(structure), json.dumps({"phone": "01"}), content_type="application/json", **headers
    )
    assert response.status_code == 403


# --- Members ----------------------------------------------------------------------------------


def test_members_see_the_members(client, structure, member, colleague):
    client.force_login(colleague)
    response = client.get(members(structure))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["user"], row["role"]) for row in rows] == [
        (member.pk, "admin"),
        (colleague.pk, "member"),
    ]
    assert rows[1]["name"] == "Inès Roy"
    assert "email" not in rows[0]


def test_the_administrator_changes_a_role_and_the_member_is_told(
    client, structure, member, colleague, django_capture_on_commit_callbacks
):
    client.force_login(member)
    membership = membership_of(colleague, structure)
    url = reverse("api:membership-detail", args=[membership.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "patch", url, {"role": "admin"})
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert any(colleague.email in m.to for m in mail.outbox)
    for bad in ({"role": "owner"}, {"role": None}, {}, {"role": "admin\u0000"}):
        assert send(client, "patch", url, bad).status_code == 400, bad


def test_a_plain_member_may_not_change_roles_or_remove_403(client, structure, member, colleague):
    client.force_login(colleague)
    url = reverse("api:membership-detail", args=[membership_of(member, structure).pk])
    assert send(client, "patch", url, {"role": "member"}).status_code == 403
    assert client.delete(url).status_code == 403
    assert membership_of(member, structure).role == MembershipRole.ADMIN


def test_the_last_administrator_is_neither_demoted_nor_removed(
    client, structure, member, colleague, territory_admin
):
    client.force_login(territory_admin)
    url = reverse("api:membership-detail", args=[membership_of(member, structure).pk])
    response = send(client, "patch", url, {"role": "member"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert client.delete(url).status_code == 400
    assert membership_of(member, structure).role == MembershipRole.ADMIN


def test_the_administrator_removes_a_member(client, structure, member, colleague):
    client.force_login(member)
    url = reverse("api:membership-detail", args=[membership_of(colleague, structure).pk])
    assert client.delete(url).status_code == 204
    assert not Membership.objects.filter(user=colleague, organisation=structure).exists()
    assert client.delete(url).status_code == 404


def test_another_organisations_membership_is_404(client, member):
    other = MembershipFactory()
    client.force_login(member)
    url = reverse("api:membership-detail", args=[other.pk])
    assert send(client, "patch", url, {"role": "member"}).status_code == 404
    assert client.delete(url).status_code == 404


# --- Invitations ------------------------------------------------------------------------------


def test_the_administrator_invites_lists_and_revokes(
    client, structure, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            "post",
            invitations(structure),
            {"email": " Nouvelle@Example.test ", "role": "admin"},
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "nouvelle@example.test"
    assert body["role"] == "admin"
    assert body["usable"] is True
    assert "token" not in body
    [message] = [m for m in mail.outbox if m.to == ["nouvelle@example.test"]]
    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.token in message.body

    listed = client.get(invitations(structure)).json()
    assert [row["id"] for row in listed["results"]] == [invitation.pk]

    url = reverse("api:invitation-detail", args=[invitation.pk])
    assert client.delete(url).status_code == 204
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert client.delete(url).status_code == 404


def test_an_accepted_invitation_is_not_revoked(client, structure, member):
    invitation = Invitation.objects.create(
        organisation=structure, email="x@example.test", invited_by=member
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=invitation.created_at)
    client.force_login(member)
    response = client.delete(reverse("api:invitation-detail", args=[invitation.pk]))
    assert response.status_code == 400
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"email": "pas-une-adresse"},
        {"email": "a@example.test\r\nBcc: b@example.test"},
        {"email": "x" * 10_000 + "@example.test"},
        {"email": "a@example.test", "role": "owner"},
        {"email": ["a@example.test"]},
        {},
    ],
)
def test_a_bad_invitation_is_a_400_and_sends_nothing(client, structure, member, body):
    client.force_login(member)
    response = send(client, "post", invitations(structure), body)
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_inviting_a_member_again_is_refused_on_the_field(client, structure, member, colleague):
    client.force_login(member)
    response = send(client, "post", invitations(structure), {"email": colleague.email})
    assert response.status_code == 400
    assert "email" in response.json()


def test_a_plain_member_neither_sees_nor_sends_invitations(client, structure, member, colleague):
    invitation = Invitation.objects.create(
        organisation=structure, email="x@example.test", invited_by=member
    )
    client.force_login(colleague)
    assert client.get(invitations(structure)).status_code == 403
    assert (
        send(client, "post", invitations(structure), {"email": "y@example.test"}).status_code == 403
    )
    # Invitations are the administrators' business: for the others they do not exist.
    assert client.delete(reverse("api:invitation-detail", args=[invitation.pk])).status_code == 404
    assert Invitation.objects.count() == 1


def test_invitations_share_the_pages_rate_limit(client, structure, member, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation": "2/hour"}
    client.force_login(member)
    for n in range(2):
        response = send(client, "post", invitations(structure), {"email": f"p{n}@example.test"})
        assert response.status_code == 201
    response = send(client, "post", invitations(structure), {"email": "p3@example.test"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Invitation.objects.count() == 2


# --- Documents --------------------------------------------------------------------------------


def upload(client, organisation, *, content=PDF_BYTES, name="statuts.pdf", **fields):
    data = {"kind": "statutes", **fields, "file": SimpleUploadedFile(name, content)}
    return client.post(documents(organisation), data)


def test_the_administrator_uploads_lists_and_deletes_a_document(client, structure, member):
    client.force_login(member)
    response = upload(client, structure, name="statuts.exe")
    assert response.status_code == 201, response.json()
    body = response.json()
    document = OrganisationDocument.objects.get(pk=body["id"])
    assert body["name"].endswith(".pdf")  # stored under its real type
    assert body["download_url"] == reverse("accounts:document-download", args=[document.pk])
    download = client.get(body["download_url"])  # the page's protected view
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES

    response = upload(
        client,
        structure,
        content=PNG_BYTES,
        name="assurance.png",
        kind="insurance",
        expires_on="2027-12-31",
    )
    assert response.status_code == 201
    listed = client.get(documents(structure)).json()["results"]
    assert [row["kind"] for row in listed] == ["insurance", "statutes"]
    assert listed[0]["expires_on"] == "2027-12-31"
    assert listed[0]["is_expired"] is False

    url = reverse("api:organisation-document-detail", args=[document.pk])
    assert client.delete(url).status_code == 204
    assert not OrganisationDocument.objects.filter(pk=document.pk).exists()
    assert client.delete(url).status_code == 404


@pytest.mark.parametrize(
    ("content", "fields", "field"),
    [
        (b"MZ\x90\x00 not a pdf", {}, "file"),  # an executable named .pdf
        (b"%PDF-1.4 truncated", {}, "file"),  # announces a PDF, unreadable
        (b"", {}, "file"),
        (PDF_BYTES + b"<script>alert(1)</script>", {}, "file"),
        (PDF_BYTES, {"kind": "passport"}, "kind"),
        (PDF_BYTES, {"kind": "insurance"}, "expires_on"),  # an expiring kind needs its date
        (PDF_BYTES, {"expires_on": "31/12/2027"}, "expires_on"),
        (PDF_BYTES, {"expires_on": "99999-12-31"}, "expires_on"),
        (PDF_BYTES, {"kind": "statutes\u0000"}, "kind"),
    ],
)
def test_a_bad_document_is_a_400_naming_the_field(
    client, structure, member, content, fields, field
):
    client.force_login(member)
    response = upload(client, structure, content=content, **fields)
    assert response.status_code == 400
    assert field in response.json()
    assert not OrganisationDocument.objects.exists()


def test_a_document_over_10_mb_is_refused(client, structure, member):
    client.force_login(member)
    response = upload(client, structure, content=PDF_BYTES + b"\0" * (10 * 1024 * 1024))
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert not OrganisationDocument.objects.exists()


def test_a_body_over_the_upload_cap_is_a_413(client, structure, member):
    client.force_login(member)
    response = upload(client, structure, content=b"%PDF-" + b"\0" * (13 * 1024 * 1024))
    assert response.status_code == 413
    assert not OrganisationDocument.objects.exists()


def test_a_document_sent_as_json_is_a_415(client, structure, member):
    client.force_login(member)
    response = send(client, "post", documents(structure), {"kind": "statutes", "file": "x"})
    assert response.status_code == 415


def test_a_plain_member_sees_documents_but_neither_adds_nor_deletes(
    client, structure, member, colleague
):
    document = OrganisationDocumentFactory(organisation=structure, uploaded_by=member)
    client.force_login(colleague)
    assert client.get(documents(structure)).json()["count"] == 1
    assert upload(client, structure).status_code == 403
    url = reverse("api:organisation-document-detail", args=[document.pk])
    assert client.delete(url).status_code == 403
    assert OrganisationDocument.objects.count() == 1


def test_another_organisations_document_is_404(client, member):
    document = OrganisationDocumentFactory()
    client.force_login(member)
    assert (
        client.delete(reverse("api:organisation-document-detail", args=[document.pk])).status_code
        == 404
    )
    assert upload(client, document.organisation).status_code == 404
    assert OrganisationDocument.objects.count() == 1


def test_the_intercommunality_manages_any_structure(client, structure, member, territory_admin):
    client.force_login(territory_admin)
    assert upload(client, structure).status_code == 201
    assert send(client, "patch", detail(structure), {"phone": "01 02"}).status_code == 200
    response = send(client, "post", invitations(structure), {"email": "z@example.test"})
    assert response.status_code == 201


def test_a_token_for_one_organisation_registers_a_structure_it_does_not_see_without_a_500(
    client, structure, member
):
    _token, secret = api_token_create(
        actor=member,
        name="Écriture",
        scope=ApiTokenScope.WRITE,
        organisation=structure,
        expires_at=structure.created_at + timedelta(days=30),
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    response = client.post(
        ORGANISATIONS,
        json.dumps({"name": "Deuxième structure", "ess_family": "association"}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    created = response.json()["id"]
    assert membership_of(member, Organisation.objects.get(pk=created)).role == "admin"
    # The token still acts for its one organisation.
    assert [row["id"] for row in client.get(ORGANISATIONS, **headers).json()["results"]] == [
        structure.pk
    ]
    assert client.get(detail(Organisation.objects.get(pk=created)), **headers).status_code == 404
