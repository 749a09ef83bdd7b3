from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts.files import DOCUMENT_MAX_BYTES
from accounts.models import (
    DocumentKind,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
    User,
)
from accounts.services import (
    document_add,
    invitation_accept,
    invitation_create,
    structure_register,
    structure_verify,
    user_signup,
)
from tests.factories import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    InvitationFactory,
    OrganisationDocumentFactory,
    StructureFactory,
    UserFactory,
    make_siret,
)
from tests.helpers import verification_documents_add


def _new_structure(**fields) -> Organisation:
    values = {"name": "Textimages", "ess_family": "association", "siret": make_siret(901)}
    return Organisation(**(values | fields))


def _files_under(root) -> list[Path]:
    root = Path(root)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- user_signup ---------------------------------------------------------------------------


def test_user_signup_creates_an_unconfirmed_account_with_usable_password(db):
    done = user_signup(email="camille@example.test", password="un-mot-de-passe-42")

    assert done.user.check_password("un-mot-de-passe-42")
    assert done.user.email_confirmed_at is None
    assert done.password_chosen


def test_user_signup_stores_email_in_lower_case(db):
    done = user_signup(email="Camille.Dupont@Example.TEST", password="un-mot-de-passe-42")

    assert done.user.email == "camille.dupont@example.test"


def test_user_signup_with_an_address_already_used_creates_nothing_and_raises_nothing(db):
    """Whatever its case: the owner is told instead (tests/accounts/test_auth.py)."""
    existing = UserFactory(email="camille@example.test")

    done = user_signup(email="  Camille@EXAMPLE.test ", password="un-mot-de-passe-42")

    assert done.user == existing
    assert not done.password_chosen
    assert User.objects.filter(email__iexact="camille@example.test").count() == 1


# --- structure_register --------------------------------------------------------------------


def test_structure_register_makes_declarer_its_administrator(outsider):
    structure = structure_register(organisation=_new_structure(), user=outsider)

    membership = Membership.objects.get(organisation=structure)
    assert (membership.user, membership.role) == (outsider, MembershipRole.ADMIN)


def test_structure_register_leaves_structure_unverified(outsider, territory_admin):
    declared = _new_structure(verified_by=territory_admin, verified_at=datetime.now(tz=UTC))

    structure = structure_register(organisation=declared, user=outsider)

    structure.refresh_from_db()
    assert (structure.verified_at, structure.verified_by) == (None, None)


def test_structure_register_sets_kind_ess(outsider):
    structure = structure_register(
        organisation=_new_structure(kind=OrganisationKind.COMMUNE), user=outsider
    )

    assert structure.kind == OrganisationKind.ESS


def test_structure_register_derives_siren_from_siret(outsider):
    siret = make_siret(902)

    structure = structure_register(organisation=_new_structure(siret=siret), user=outsider)

    assert structure.siren == siret[:9]


def test_structure_register_accepts_siret_typed_with_spaces(outsider):
    siret = make_siret(903)
    typed = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"

    structure = structure_register(organisation=_new_structure(siret=typed), user=outsider)

    structure.refresh_from_db()
    assert structure.siret == siret


def _one_digit_wrong(identifier: str) -> str:
    return identifier[:-1] + str((int(identifier[-1]) + 1) % 10)  # one wrong digit breaks Luhn


@pytest.mark.parametrize(
    "bad_siret",
    [
        _one_digit_wrong(make_siret(904)),  # a typo in the establishment part
        "12345678901234",  # its first nine digits are not a valid SIREN either
        "1234567890123",  # 13 digits
    ],
)
def test_structure_register_refuses_invalid_siret_on_its_field_only(outsider, bad_siret):
    with pytest.raises(ValidationError) as excinfo:
        structure_register(organisation=_new_structure(siret=bad_siret), user=outsider)

    assert list(excinfo.value.message_dict) == ["siret"]


def test_structure_register_saves_nothing_when_siret_is_invalid(outsider):
    organisations_before = Organisation.objects.count()

    with pytest.raises(ValidationError):
        structure_register(organisation=_new_structure(siret="12345678901234"), user=outsider)

    assert Organisation.objects.count() == organisations_before
    assert not Membership.objects.filter(user=outsider).exists()


def test_structure_register_refuses_siret_already_registered(outsider):
    siret = make_siret(905)
    StructureFactory(siret=siret)
    typed = f"{siret[:9]} {siret[9:]}"

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        structure_register(organisation=_new_structure(siret=typed), user=outsider)

    assert excinfo.value.message_dict == {
        "siret": ["A structure with this SIRET is already registered."]
    }
    assert Organisation.objects.filter(siret=siret).count() == 1


def test_structure_register_refuses_rna_already_registered(outsider):
    StructureFactory(rna="W595012345")

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        structure_register(organisation=_new_structure(siret="", rna="w595 012 345"), user=outsider)

    assert excinfo.value.message_dict == {
        "rna": ["A structure with this RNA number is already registered."]
    }
    assert not Membership.objects.filter(user=outsider).exists()


def test_structure_register_requires_ess_family(outsider):
    with pytest.raises(ValidationError) as excinfo:
        structure_register(organisation=_new_structure(ess_family=""), user=outsider)

    assert "ess_family" in excinfo.value.message_dict
    assert not Membership.objects.filter(user=outsider).exists()


# --- structure_verify ----------------------------------------------------------------------


def test_structure_verify_records_who_and_when(structure, territory_admin):
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    verification_documents_add(structure)
    with time_machine.travel(moment, tick=False):
        verified = structure_verify(structure=structure, actor=territory_admin)

    structure.refresh_from_db()
    assert verified is True
    assert (structure.verified_by, structure.verified_at) == (territory_admin, moment)


def test_structure_verify_returns_false_the_second_time(structure, territory_admin):
    verification_documents_add(structure)
    structure_verify(structure=structure, actor=territory_admin)
    structure.refresh_from_db()
    first_verification = structure.verified_at

    verified_again = structure_verify(structure=structure, actor=territory_admin)

    structure.refresh_from_db()
    assert verified_again is False
    assert structure.verified_at == first_verification


def test_structure_verify_refuses_a_structure_without_its_mandatory_documents(
    structure, territory_admin
):
    OrganisationDocumentFactory(organisation=structure, kind=DocumentKind.STATUTES)

    with pytest.raises(ValidationError, match="Attestation d’assurance"):
        structure_verify(structure=structure, actor=territory_admin)

    structure.refresh_from_db()
    assert structure.verified_at is None


def test_structure_verify_refuses_an_expired_insurance_certificate(structure, territory_admin):
    OrganisationDocumentFactory(organisation=structure, kind=DocumentKind.STATUTES)
    OrganisationDocumentFactory(
        organisation=structure, kind=DocumentKind.INSURANCE, expires_on=date(2020, 1, 31)
    )

    with pytest.raises(ValidationError, match="Attestation d’assurance"):
        structure_verify(structure=structure, actor=territory_admin)


@pytest.mark.parametrize("persona", ["member", "commune_staff", "facilities_manager", "outsider"])
def test_structure_verify_refuses_non_territory_admin(request, structure, persona):
    actor = request.getfixturevalue(persona)

    verification_documents_add(structure)
    with pytest.raises(PermissionDenied):
        structure_verify(structure=structure, actor=actor)

    structure.refresh_from_db()
    assert structure.verified_at is None


# --- invitation_create ---------------------------------------------------------------------


def test_invitation_create_sends_one_email_after_commit(
    structure, member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            organisation=structure,
            email="Colleague@Example.test",
            role=MembershipRole.MEMBER,
            invited_by=member,
        )

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["colleague@example.test"]
    assert f"/accounts/invitations/{invitation.token}/" in mailoutbox[0].body


def test_invitation_create_sends_nothing_before_commit(
    structure, member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(
            organisation=structure,
            email="colleague@example.test",
            role=MembershipRole.MEMBER,
            invited_by=member,
        )

    assert len(callbacks) == 1
    assert mailoutbox == []


def test_invitation_create_refuses_existing_member(
    structure, member, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as excinfo,
    ):
        invitation_create(
            organisation=structure,
            email="MEMBER@example.test",
            role=MembershipRole.MEMBER,
            invited_by=member,
        )

    assert "email" in excinfo.value.message_dict
    assert not Invitation.objects.exists()
    assert mailoutbox == []


# --- invitation_accept ---------------------------------------------------------------------


def test_invitation_accept_creates_membership_with_invited_role(structure):
    invitation = InvitationFactory(
        organisation=structure, email="colleague@example.test", role=MembershipRole.ADMIN
    )
    colleague = UserFactory(email="colleague@example.test")

    membership = invitation_accept(invitation=invitation, user=colleague)

    assert (membership.user, membership.organisation, membership.role) == (
        colleague,
        structure,
        MembershipRole.ADMIN,
    )


def test_invitation_accept_matches_email_whatever_its_case(structure):
    invitation = InvitationFactory(organisation=structure, email="colleague@example.test")
    colleague = UserFactory(email="Colleague@Example.test")

    invitation_accept(invitation=invitation, user=colleague)

    assert Membership.objects.filter(user=colleague, organisation=structure).exists()


def test_invitation_accept_refuses_another_email(structure, outsider):
    invitation = InvitationFactory(organisation=structure, email="colleague@example.test")

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        invitation_accept(invitation=invitation, user=outsider)

    assert excinfo.value.messages == [
        "This invitation was sent to colleague@example.test: sign in with that address to accept it."
    ]
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(user=outsider).exists()


def test_invitation_accept_refuses_expired_invitation(structure):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        invitation = InvitationFactory(organisation=structure, email="colleague@example.test")
    colleague = UserFactory(email="colleague@example.test")

    with (
        time_machine.travel(datetime(2026, 3, 16, 9, 1, tzinfo=UTC), tick=False),
        translation.override("en"),
        pytest.raises(ValidationError) as excinfo,
    ):
        invitation_accept(invitation=invitation, user=colleague)

    assert excinfo.value.messages == ["This invitation has expired or has already been used."]
    assert not Membership.objects.filter(user=colleague).exists()


def test_invitation_accept_still_works_on_the_fourteenth_day(structure):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        invitation = InvitationFactory(organisation=structure, email="colleague@example.test")
    colleague = UserFactory(email="colleague@example.test")

    with time_machine.travel(datetime(2026, 3, 16, 8, 59, tzinfo=UTC), tick=False):
        invitation_accept(invitation=invitation, user=colleague)

    assert Membership.objects.filter(user=colleague, organisation=structure).exists()


def test_invitation_accept_refuses_second_use(structure):
    invitation = InvitationFactory(organisation=structure, email="colleague@example.test")
    colleague = UserFactory(email="colleague@example.test")
    invitation_accept(invitation=invitation, user=colleague)

    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, user=colleague)

    assert Membership.objects.filter(user=colleague, organisation=structure).count() == 1


# --- document_add --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [("statuts.pdf", PDF_BYTES), ("statuts.png", PNG_BYTES), ("statuts.jpg", JPEG_BYTES)],
)
def test_document_add_accepts_pdf_png_and_jpeg(structure, member, name, content):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")

    document = document_add(
        organisation=structure,
        kind=DocumentKind.STATUTES,
        upload=upload,
        expires_on=None,
        actor=member,
    )

    assert OrganisationDocument.objects.filter(pk=document.pk, organisation=structure).exists()


def test_document_add_refuses_text_file_named_pdf(structure, member):
    upload = SimpleUploadedFile("statuts.pdf", b"Article 1 ...", content_type="application/pdf")

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        document_add(
            organisation=structure,
            kind=DocumentKind.STATUTES,
            upload=upload,
            expires_on=None,
            actor=member,
        )

    assert excinfo.value.message_dict == {"file": ["Only PDF, JPEG or PNG files are accepted."]}
    assert not OrganisationDocument.objects.exists()


def test_document_add_refuses_file_over_10_mb(structure, member):
    content = PDF_BYTES + b"0" * (DOCUMENT_MAX_BYTES + 1 - len(PDF_BYTES))
    upload = SimpleUploadedFile("comptes.pdf", content, content_type="application/pdf")

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        document_add(
            organisation=structure,
            kind=DocumentKind.ACCOUNTS,
            upload=upload,
            expires_on=None,
            actor=member,
        )

    assert excinfo.value.message_dict == {"file": ["The file is larger than 10 MB."]}
    assert not OrganisationDocument.objects.exists()


def test_document_add_refuses_insurance_without_expiry_and_stores_nothing(
    structure, member, settings
):
    upload = SimpleUploadedFile("assurance.pdf", PDF_BYTES, content_type="application/pdf")

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        document_add(
            organisation=structure,
            kind=DocumentKind.INSURANCE,
            upload=upload,
            expires_on=None,
            actor=member,
        )

    with translation.override("en"):  # the model's message is lazy: read it in English too
        assert excinfo.value.message_dict == {
            "expires_on": ["Give the date until which this document is valid."]
        }
    assert not OrganisationDocument.objects.exists()
    assert _files_under(settings.STORAGES["private"]["OPTIONS"]["location"]) == []


def test_document_add_accepts_insurance_with_expiry(structure, member):
    upload = SimpleUploadedFile("assurance.pdf", PDF_BYTES, content_type="application/pdf")

    document = document_add(
        organisation=structure,
        kind=DocumentKind.INSURANCE,
        upload=upload,
        expires_on=timezone.localdate() + timedelta(days=365),
        actor=member,
    )

    assert document.expires_on is not None


def test_document_add_stores_file_in_private_storage_not_media_root(structure, member, settings):
    upload = SimpleUploadedFile("statuts.pdf", PDF_BYTES, content_type="application/pdf")

    document = document_add(
        organisation=structure,
        kind=DocumentKind.STATUTES,
        upload=upload,
        expires_on=None,
        actor=member,
    )

    private_root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    assert _files_under(private_root) == [Path(document.file.path)]
    assert Path(document.file.path).read_bytes() == PDF_BYTES
    assert _files_under(settings.MEDIA_ROOT) == []
