"""/api/v1/allocations/: structures read theirs and answer; managers read theirs and write;
outsiders get 404 (or an empty list)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.allocations import allocation_accept, allocation_offer
from bookings.models import Allocation, AllocationStatus, BookingStatus, FreeUseBasis
from bookings.rules import Period
from bookings.services import BookingRequest, booking_request
from tests.factories import MembershipFactory, StructureFactory
from tests.helpers import FROZEN_NOW

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def offered(facilities_manager, verified, office):
    return allocation_offer(
        actor=facilities_manager,
        structure=verified,
        spaces=[office],
        start=date(2027, 2, 1),
        end=date(2028, 2, 1),
        free_use_basis=FreeUseBasis.L2125_1,
        direct_reason="Un seul occupant possible",
    )


@pytest.fixture
def accepted(offered, occupant):
    allocation_accept(
        allocation=offered,
        actor=occupant,
        house_rules_accepted=True,
        insurance_valid_until=date(2027, 12, 31),
    )
    return offered


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- Reads ---


def test_structure_reads_its_agreements(api, offered, occupant, verified):
    api.force_authenticate(occupant)

    response = api.get("/api/v1/allocations/")

    assert response.status_code == 200
    assert _ids(response) == [offered.pk]
    row = response.json()["results"][0]
    assert row["structure"]["siret"] == verified.siret
    assert row["structure"]["rna"] == "W595012345"
    assert row["annual_value_cents"] == 240_000
    assert row["legal_regime"] == "public_domain"
    assert row["end"] == "2028-02-01"
    assert row["pdf_url"] == f"/reservations/conventions/{offered.pk}/pdf/"
    assert [entry["to_status"] for entry in row["log"]] == ["offered"]


def test_manager_reads_the_agreements_on_their_spaces(api, offered, facilities_manager):
    api.force_authenticate(facilities_manager)

    assert _ids(api.get("/api/v1/allocations/")) == [offered.pk]
    assert api.get(f"/api/v1/allocations/{offered.pk}/").status_code == 200


def test_outsiders_see_no_agreement(api, offered, outsider, member):
    for user in (outsider, member):
        api.force_authenticate(user)
        assert _ids(api.get("/api/v1/allocations/")) == []
        assert api.get(f"/api/v1/allocations/{offered.pk}/").status_code == 404


def test_anonymous_visitors_are_refused(api, offered):
    assert api.get("/api/v1/allocations/").status_code in (401, 403)


# --- Direct creation ---


def _create_body(office, structure, **changes) -> dict:
    body = {
        "spaces": [office.pk],
        "structure": structure.pk,
        "start": "2027-02-01",
        "end": "2028-02-01",
        "free_use_basis": "L2125-1",
        "deposit_cents": 30_000,
        "direct_reason": "Urgence : local sinistré (CG3P L2122-1-3)",
    }
    body.update(changes)
    return body


def test_manager_creates_an_agreement_directly(api, facilities_manager, office, verified):
    api.force_authenticate(facilities_manager)

    response = api.post("/api/v1/allocations/", _create_body(office, verified), format="json")

    assert response.status_code == 201
    allocation = Allocation.objects.get(pk=response.json()["id"])
    assert allocation.status == AllocationStatus.OFFERED
    assert allocation.deposit_cents == 30_000
    assert response.json()["owner"]["id"] == office.site.owner_id


def test_create_names_the_field_at_fault(api, facilities_manager, office, verified):
    api.force_authenticate(facilities_manager)

    response = api.post(
        "/api/v1/allocations/",
        _create_body(office, verified, annual_fee_cents=10_000),
        format="json",
    )

    assert response.status_code == 400
    assert "annual_fee_cents" in response.json()


def test_create_requires_the_reason_for_no_call(api, facilities_manager, office, verified):
    api.force_authenticate(facilities_manager)
    body = _create_body(office, verified)
    del body["direct_reason"]

    response = api.post("/api/v1/allocations/", body, format="json")

    assert response.status_code == 400
    assert "direct_reason" in response.json()


def test_create_is_refused_on_spaces_the_user_does_not_manage(api, occupant, office, verified):
    api.force_authenticate(occupant)

    response = api.post("/api/v1/allocations/", _create_body(office, verified), format="json")

    assert response.status_code == 400
    assert "spaces" in response.json()
    assert not Allocation.objects.exists()


def test_create_refuses_an_unverified_structure(api, facilities_manager, office, structure):
    api.force_authenticate(facilities_manager)

    response = api.post("/api/v1/allocations/", _create_body(office, structure), format="json")

    assert response.status_code == 400
    assert "structure" in response.json()


# --- The structure's answer ---


def test_structure_accepts(api, offered, occupant):
    api.force_authenticate(occupant)

    response = api.post(
        f"/api/v1/allocations/{offered.pk}/accept/",
        {"house_rules_accepted": True, "insurance_valid_until": "2027-12-31"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert response.json()["insurance_valid_until"] == "2027-12-31"


def test_accepting_without_the_house_rules_is_400(api, offered, occupant):
    api.force_authenticate(occupant)

    response = api.post(
        f"/api/v1/allocations/{offered.pk}/accept/",
        {"house_rules_accepted": False, "insurance_valid_until": "2027-12-31"},
        format="json",
    )

    assert response.status_code == 400
    assert "house_rules_accepted" in response.json()


def test_manager_cannot_accept_for_the_structure(api, offered, facilities_manager):
    api.force_authenticate(facilities_manager)

    response = api.post(
        f"/api/v1/allocations/{offered.pk}/accept/",
        {"house_rules_accepted": True, "insurance_valid_until": "2027-12-31"},
        format="json",
    )

    assert response.status_code == 404


def test_structure_declines_with_a_reason(api, offered, occupant):
    api.force_authenticate(occupant)

    response = api.post(
        f"/api/v1/allocations/{offered.pk}/decline/", {"reason": "Trop loin"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert response.json()["log"][-1]["reason"] == "Trop loin"


def test_declining_twice_is_a_no_op_and_accepting_then_is_409(api, offered, occupant):
    api.force_authenticate(occupant)
    api.post(f"/api/v1/allocations/{offered.pk}/decline/", {"reason": "Non"}, format="json")

    again = api.post(f"/api/v1/allocations/{offered.pk}/decline/", {"reason": "Non"}, format="json")
    accept = api.post(
        f"/api/v1/allocations/{offered.pk}/accept/",
        {"house_rules_accepted": True, "insurance_valid_until": "2027-12-31"},
        format="json",
    )

    assert again.status_code == 200
    assert accept.status_code == 409
    assert accept.json() == {
        "detail": "Cette convention est déclinée : ce changement n’est pas possible.",
        "status": "declined",
    }


# --- Signature and end ---


def test_sign_over_a_booking_is_409_with_the_clash(api, accepted, facilities_manager, office):
    structure = StructureFactory(verified_at=timezone.now(), verified_by=facilities_manager)
    booker = MembershipFactory(organisation=structure).user
    booking = booking_request(
        request=BookingRequest(
            space=office,
            organisation=structure,
            purpose="Atelier",
            attendees=5,
            first=Period(
                datetime(2027, 2, 9, 18, tzinfo=PARIS), datetime(2027, 2, 9, 20, tzinfo=PARIS)
            ),
        ),
        requested_by=booker,
    )
    api.force_authenticate(facilities_manager)

    refused = api.post(f"/api/v1/allocations/{accepted.pk}/sign/", {}, format="json")
    signed = api.post(
        f"/api/v1/allocations/{accepted.pk}/sign/",
        {"cancel_bookings": True, "reason": "Bureau attribué"},
        format="json",
    )

    assert refused.status_code == 409
    assert refused.json()["conflicts"][0]["start"] == "2027-02-09T17:00:00Z"
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_structure_cannot_sign(api, accepted, occupant):
    api.force_authenticate(occupant)

    assert (
        api.post(f"/api/v1/allocations/{accepted.pk}/sign/", {}, format="json").status_code == 404
    )


def test_sign_of_an_offer_is_409(api, offered, facilities_manager):
    api.force_authenticate(facilities_manager)

    response = api.post(f"/api/v1/allocations/{offered.pk}/sign/", {}, format="json")

    assert response.status_code == 409


def test_manager_ends_an_agreement_early(api, accepted, facilities_manager, office):
    api.force_authenticate(facilities_manager)
    api.post(f"/api/v1/allocations/{accepted.pk}/sign/", {}, format="json")

    response = api.post(
        f"/api/v1/allocations/{accepted.pk}/end/",
        {"reason": "Dissolution de l'association", "on": "2027-06-01"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "ended"
    assert response.json()["terminated_on"] == "2027-06-01"
    office.refresh_from_db()
    assert office.vacant_since == date(2027, 6, 1)


def test_ending_requires_a_reason(api, accepted, facilities_manager):
    api.force_authenticate(facilities_manager)
    api.post(f"/api/v1/allocations/{accepted.pk}/sign/", {}, format="json")

    response = api.post(f"/api/v1/allocations/{accepted.pk}/end/", {}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()


def test_outsiders_cannot_write(api, accepted, outsider):
    api.force_authenticate(outsider)

    for action, body in [
        ("sign", {}),
        ("end", {"reason": "x"}),
        ("accept", {"house_rules_accepted": True, "insurance_valid_until": "2027-12-31"}),
        ("decline", {"reason": "x"}),
    ]:
        response = api.post(f"/api/v1/allocations/{accepted.pk}/{action}/", body, format="json")
        assert response.status_code == 404, action


def test_schema_documents_the_allocation_paths(api, db):
    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert {
        "/api/v1/allocations/",
        "/api/v1/allocations/{id}/",
        "/api/v1/allocations/{id}/accept/",
        "/api/v1/allocations/{id}/decline/",
        "/api/v1/allocations/{id}/sign/",
        "/api/v1/allocations/{id}/end/",
    } <= set(paths)
