"""Issue 9 §4: a verified structure that changes its identity goes back to verification.

Reproduction: as a member of a verified association, SIRET, RNA, ESS family and name were
changed to "Société Totalement Différente SA" and it stayed verified, still booking.
"""

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import OrganisationLog, OrganisationLogKind
from accounts.services import organisation_update
from bookings.allocations import allocation_accept, allocation_offer, allocation_sign
from bookings.models import Booking, BookingStatus
from bookings.rules import Period
from bookings.services import BookingRequest, booking_request
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    make_siret,
    paris,
)
from tests.helpers import verification_documents_add

NEW_NAME = "Société Totalement Différente SA"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def association(territory_admin):
    return VerifiedStructureFactory(
        name="Les Amis du Vélo",
        ess_family="association",
        siret=make_siret(4242),
        rna="W595012345",
        phone="03 27 00 00 00",
        verified_by=territory_admin,
    )


@pytest.fixture
def association_admin(association):
    return MembershipFactory(
        organisation=association, user=UserFactory(email="asso@example.test")
    ).user


def _form_data(structure, **changes) -> dict:
    data = {
        "name": structure.name,
        "ess_family": structure.ess_family,
        "siae_kind": structure.siae_kind,
        "siret": structure.siret,
        "rna": structure.rna,
        "legal_category": structure.legal_category,
        "esus_expires_on": "",
        "email": structure.email,
        "phone": structure.phone,
        "website": structure.website,
        "address": structure.address,
        "description": structure.description,
    }
    return data | changes


IDENTITY_CHANGES = {
    "name": NEW_NAME,
    "siret": make_siret(9876),
    "rna": "W595099999",
    "ess_family": "ess_company",
}


def _edit(client, user, structure, **changes):
    client.force_login(user)
    return client.post(
        reverse("accounts:structure-edit", args=[structure.pk]), _form_data(structure, **changes)
    )


def test_identity_change_through_the_page_sends_the_structure_back_to_verification(
    client, association, association_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _edit(client, association_admin, association, **IDENTITY_CHANGES)

    assert response.status_code == 302
    association.refresh_from_db()
    assert association.name == NEW_NAME
    assert (association.verified_at, association.verified_by) == (None, None)


def test_identity_change_through_the_service_sends_the_structure_back_to_verification(
    association, association_admin
):
    association.name = NEW_NAME
    association.siret = IDENTITY_CHANGES["siret"]

    organisation_update(organisation=association, actor=association_admin)

    association.refresh_from_db()
    assert not association.is_verified


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", NEW_NAME),
        ("siret", make_siret(9876)),
        ("rna", "W595099999"),
        ("legal_category", "5710"),
        ("ess_family", "scop"),
        ("siae_kind", "aci"),
        ("esus_expires_on", date(2029, 1, 1)),
    ],
)
def test_each_identifying_field_sends_the_structure_back_to_verification(
    association, association_admin, field, value
):
    setattr(association, field, value)

    organisation_update(organisation=association, actor=association_admin)

    association.refresh_from_db()
    assert not association.is_verified


def test_identity_change_logs_old_and_new_values_with_the_actor(
    client, association, association_admin, django_capture_on_commit_callbacks
):
    old_siret = association.siret
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, association_admin, association, **IDENTITY_CHANGES)

    log = OrganisationLog.objects.get(organisation=association)
    assert log.kind == OrganisationLogKind.VERIFICATION_WITHDRAWN
    assert log.actor == association_admin
    assert log.changes["name"] == ["Les Amis du Vélo", NEW_NAME]
    assert log.changes["siret"] == [old_siret, IDENTITY_CHANGES["siret"]]
    assert log.changes["siren"] == [old_siret[:9], IDENTITY_CHANGES["siret"][:9]]
    assert log.changes["rna"] == ["W595012345", "W595099999"]
    assert log.changes["ess_family"] == ["association", "ess_company"]


def test_identity_change_e_mails_the_intercommunality_once_committed(
    client, association, association_admin, territory_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, association_admin, association, **IDENTITY_CHANGES)

    # The structure's administrator is told too (tests/accounts/test_structure_notifications.py).
    [message] = [m for m in mail.outbox if m.to == [territory_admin.email]]
    assert NEW_NAME in message.subject
    assert "Les Amis du Vélo → Société Totalement Différente SA" in message.body
    assert reverse("accounts:structure-detail", args=[association.pk]) in message.body


def test_a_booking_request_after_an_identity_change_is_refused_in_french(
    association, association_admin, space
):
    association.name = NEW_NAME
    organisation_update(organisation=association, actor=association_admin)
    request = BookingRequest(
        space=space,
        organisation=association,
        purpose="Assemblée générale",
        attendees=12,
        first=Period(paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)),
    )

    with translation.override("fr"), pytest.raises(ValidationError) as excinfo:
        booking_request(request=request, requested_by=association_admin)

    assert excinfo.value.message_dict["organisation"] == [
        "Cette organisation ne peut pas demander de locaux : elle n’est pas la vôtre, "
        "ou l’intercommunalité ne l’a pas encore vérifiée."
    ]
    assert not Booking.objects.exists()


def test_a_booking_request_through_the_api_after_an_identity_change_is_a_400(
    client, association, association_admin, space, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, association_admin, association, name=NEW_NAME)

    response = client.post(
        reverse("api:booking-list"),
        {
            "space": space.pk,
            "organisation": association.pk,
            "purpose": "Assemblée générale",
            "attendees": 12,
            "start": "2027-01-12T18:00:00+01:00",
            "end": "2027-01-12T20:00:00+01:00",
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["organisation"]
    assert not Booking.objects.exists()


def test_bookings_made_before_an_identity_change_stay(
    client, association, association_admin, space, django_capture_on_commit_callbacks
):
    booking = booking_request_for(
        space=space,
        requested_by=association_admin,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
    )
    status = booking.status

    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, association_admin, association, **IDENTITY_CHANGES)

    booking.refresh_from_db()
    assert booking.status == status
    assert booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)
    assert booking.occupancies.filter(active=True).count() == 1


def test_an_agreement_offered_before_an_identity_change_is_not_signed_until_verified(
    association, association_admin, commune_staff, office
):
    allocation = allocation_offer(
        actor=commune_staff,
        structure=association,
        spaces=[office],
        start=date(2027, 3, 1),
        end=date(2028, 3, 1),
        annual_fee_cents=120_000,
        direct_reason="Seul occupant possible",
    )
    allocation_accept(
        allocation=allocation,
        actor=association_admin,
        house_rules_accepted=True,
        insurance_valid_until=date(2028, 3, 1),
    )
    association.name = NEW_NAME
    organisation_update(organisation=association, actor=association_admin)

    with pytest.raises(ValidationError) as excinfo:
        allocation_sign(allocation=allocation, actor=commune_staff)

    assert list(excinfo.value.message_dict) == ["structure"]


def test_a_non_identifying_edit_keeps_the_verification(
    client, association, association_admin, django_capture_on_commit_callbacks
):
    verified_at = association.verified_at
    with django_capture_on_commit_callbacks(execute=True):
        response = _edit(
            client,
            association_admin,
            association,
            phone="03 27 11 22 33",
            address="12 rue de la Gare, 59220 Denain",
            description="Ateliers d'autoréparation de vélos.",
        )

    assert response.status_code == 302
    association.refresh_from_db()
    assert association.phone == "03 27 11 22 33"
    assert association.verified_at == verified_at
    assert not OrganisationLog.objects.filter(organisation=association).exists()
    assert mail.outbox == []


def test_an_identifier_typed_with_spaces_is_no_identity_change(association, association_admin):
    siret = association.siret
    association.siret = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"

    organisation_update(organisation=association, actor=association_admin)

    association.refresh_from_db()
    assert association.is_verified


def test_the_intercommunality_sees_who_verified_before_the_change(
    client, association, association_admin, territory_admin, django_capture_on_commit_callbacks
):
    from accounts.services import structure_verify

    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, association_admin, association, name=NEW_NAME)
    verification_documents_add(association)
    structure_verify(structure=association, actor=territory_admin)

    kinds = list(
        OrganisationLog.objects.filter(organisation=association).values_list("kind", "actor")
    )
    assert kinds == [
        (OrganisationLogKind.VERIFICATION_WITHDRAWN, association_admin.pk),
        (OrganisationLogKind.VERIFIED, territory_admin.pk),
    ]
    association.refresh_from_db()
    assert association.verified_at == timezone.now()


def test_an_identity_change_saved_in_the_admin_sends_the_structure_back_to_verification(
    rf, admin_user, association
):
    from django.contrib import admin

    from accounts.models import Organisation

    request = rf.post("/admin/")
    request.user = admin_user
    association.siret = IDENTITY_CHANGES["siret"]

    admin.site._registry[Organisation].save_model(request, association, form=None, change=True)

    association.refresh_from_db()
    assert not association.is_verified
    assert OrganisationLog.objects.get(organisation=association).actor == admin_user
