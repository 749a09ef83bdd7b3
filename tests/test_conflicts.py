"""Issue 9 §5: nobody decides on what concerns a structure they belong to, and only the owner's
staff (or a manager the owner delegated) commit the owner to an agreement or free use.

Reproduction: the demo facilities manager, a member of a cooperative, offered that cooperative a
free agreement on intercommunality premises (`POST /api/v1/allocations/` → 201, fee 0,
exemption "other") and ended its active agreement.
"""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.actors import PLATFORM
from accounts.exceptions import ConflictOfInterest, DecisionNotAllowed
from accounts.models import MembershipRole
from bookings.allocations import (
    allocation_accept,
    allocation_end,
    allocation_offer,
    allocation_renew,
    allocation_sign,
)
from bookings.models import Allocation, AllocationStatus, BookingStatus, FreeUseBasis
from bookings.services import booking_approve, booking_cancel, booking_refuse
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services.deposits import deposit_keep, deposit_release
from payments.services.refunds import payment_refund
from spaces.models import SiteManager, SpaceKind
from tests.factories import (
    MembershipFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

START, END = date(2027, 2, 1), date(2028, 2, 1)
CONFLICT_FR = (
    "Vous êtes membre de Les Forges Solidaires : vous ne pouvez pas décider de ce qui la "
    "concerne. Une ou un collègue qui n’en est pas membre doit prendre cette décision."
)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def cooperative(territory_admin):
    return VerifiedStructureFactory(
        name="Les Forges Solidaires", ess_family="scic", verified_by=territory_admin
    )


@pytest.fixture
def epci_site(epci, commune):
    """Premises of the intercommunality itself, as in the demo (Les Grands Bureaux)."""
    return SiteFactory(commune=commune, owner=epci, name="Les Grands Bureaux — pôle ESS")


@pytest.fixture
def epci_office(epci_site):
    return SpaceFactory(
        site=epci_site, name="Bureau 102", kind=SpaceKind.OFFICE, allocatable=True, bookable=True
    )


def _manager(site, *, delegated: bool, member_of=None, email="gestionnaire@example.test"):
    user = UserFactory(email=email)
    site.managers.add(user, through_defaults={"may_commit_owner": delegated})
    if member_of is not None:
        MembershipFactory(organisation=member_of, user=user, role=MembershipRole.MEMBER)
    return user


@pytest.fixture
def conflicted_manager(epci_site, cooperative):
    """The demo's case, with the owner's delegation so that only the conflict is at stake."""
    return _manager(epci_site, delegated=True, member_of=cooperative)


@pytest.fixture
def colleague(epci):
    """Another of the intercommunality's people, not a member of the cooperative."""
    return MembershipFactory(
        organisation=epci, user=UserFactory(email="collegue@example.test")
    ).user


def _free_offer_body(space, structure) -> dict:
    return {
        "spaces": [space.pk],
        "structure": structure.pk,
        "start": START.isoformat(),
        "end": END.isoformat(),
        "annual_fee_cents": 0,
        "free_use_basis": FreeUseBasis.OTHER,
        "free_use_reference": "Animation du pôle ESS",
        "direct_reason": "Seule structure pouvant animer le bâtiment.",
    }


def _offer(actor, structure, spaces, **terms):
    terms.setdefault("annual_fee_cents", 120_000)
    return allocation_offer(
        actor=actor,
        structure=structure,
        spaces=spaces,
        start=START,
        end=END,
        direct_reason="Seul occupant possible",
        **terms,
    )


@pytest.fixture
def active_agreement(colleague, cooperative, epci_office):
    allocation = _offer(colleague, cooperative, [epci_office])
    occupant = MembershipFactory(organisation=cooperative).user
    allocation_accept(
        allocation=allocation, actor=occupant, house_rules_accepted=True, insurance_valid_until=END
    )
    allocation_sign(allocation=allocation, actor=colleague, today=START)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACTIVE
    return allocation


# --- The reproduction, through the API and the pages ---


def test_a_manager_member_of_the_structure_cannot_offer_it_a_free_agreement_through_the_api(
    api, conflicted_manager, cooperative, epci_office
):
    api.force_authenticate(conflicted_manager)

    with translation.override("fr"):
        response = api.post(
            "/api/v1/allocations/", _free_offer_body(epci_office, cooperative), format="json"
        )

    assert response.status_code == 403
    assert response.json() == {"detail": CONFLICT_FR}
    assert not Allocation.objects.exists()


def test_the_demo_manager_without_delegation_cannot_offer_a_free_agreement_through_the_api(
    api, epci_site, cooperative, epci_office
):
    manager = _manager(epci_site, delegated=False, member_of=cooperative)
    api.force_authenticate(manager)

    response = api.post(
        "/api/v1/allocations/", _free_offer_body(epci_office, cooperative), format="json"
    )

    assert response.status_code == 403
    assert not Allocation.objects.exists()


def test_a_manager_member_of_the_structure_cannot_end_its_agreement_through_the_api(
    api, conflicted_manager, active_agreement
):
    api.force_authenticate(conflicted_manager)

    response = api.post(
        f"/api/v1/allocations/{active_agreement.pk}/end/",
        {"reason": "Fin anticipée", "on": "2027-03-01"},
        format="json",
    )

    assert response.status_code == 403
    active_agreement.refresh_from_db()
    assert active_agreement.status == AllocationStatus.ACTIVE
    assert active_agreement.terminated_on is None


def test_a_manager_member_of_the_structure_cannot_offer_it_an_agreement_through_the_page(
    client, conflicted_manager, cooperative, epci_office
):
    client.force_login(conflicted_manager)

    with translation.override("fr"):
        response = client.post(
            reverse("bookings:allocation-create"),
            {
                "spaces": [epci_office.pk],
                "structure": cooperative.pk,
                "start": "2027-02-01",
                "last_day": "2028-01-31",
                "legal_regime": "",
                "annual_fee": "",
                "free_use_basis": FreeUseBasis.OTHER,
                "free_use_reference": "Animation du pôle ESS",
                "deposit": "0",
                "direct_reason": "Seule structure pouvant animer le bâtiment.",
            },
        )

    assert response.status_code == 403
    assert CONFLICT_FR in response.content.decode()
    assert not Allocation.objects.exists()


def test_a_manager_member_of_the_structure_cannot_end_its_agreement_through_the_page(
    client, conflicted_manager, active_agreement
):
    client.force_login(conflicted_manager)

    response = client.post(
        reverse("bookings:allocation-end", args=[active_agreement.pk]),
        {"end-reason": "Fin anticipée", "end-on": "2027-03-01"},
    )

    assert response.status_code == 403
    active_agreement.refresh_from_db()
    assert active_agreement.status == AllocationStatus.ACTIVE


# --- A colleague who is not a member decides ---


def test_a_colleague_not_member_of_the_structure_offers_the_free_agreement(
    api, colleague, cooperative, epci_office
):
    api.force_authenticate(colleague)

    response = api.post(
        "/api/v1/allocations/", _free_offer_body(epci_office, cooperative), format="json"
    )

    assert response.status_code == 201


def test_a_colleague_not_member_of_the_structure_ends_its_agreement(
    api, colleague, active_agreement
):
    api.force_authenticate(colleague)

    response = api.post(
        f"/api/v1/allocations/{active_agreement.pk}/end/",
        {"reason": "Fin anticipée", "on": "2027-03-01"},
        format="json",
    )

    assert response.status_code == 200
    active_agreement.refresh_from_db()
    assert active_agreement.terminated_on == date(2027, 3, 1)


# --- The services, whoever calls them ---


def test_an_intercommunality_admin_member_of_the_structure_cannot_offer_it_an_agreement(
    territory_admin, cooperative, epci_office
):
    MembershipFactory(organisation=cooperative, user=territory_admin, role=MembershipRole.MEMBER)

    with pytest.raises(ConflictOfInterest):
        _offer(territory_admin, cooperative, [epci_office])


def test_signing_for_the_owner_is_refused_to_a_member_of_the_structure(
    colleague, conflicted_manager, cooperative, epci_office
):
    allocation = _offer(colleague, cooperative, [epci_office])
    allocation_accept(
        allocation=allocation,
        actor=MembershipFactory(organisation=cooperative).user,
        house_rules_accepted=True,
        insurance_valid_until=END,
    )

    with pytest.raises(ConflictOfInterest):
        allocation_sign(allocation=allocation, actor=conflicted_manager)

    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACCEPTED


def test_renewing_is_refused_to_a_member_of_the_structure(conflicted_manager, active_agreement):
    with pytest.raises(ConflictOfInterest):
        allocation_renew(
            allocation=active_agreement, actor=conflicted_manager, end=date(2029, 2, 1)
        )

    assert not Allocation.objects.filter(renews=active_agreement).exists()


def test_ending_early_is_refused_to_a_member_of_the_structure(conflicted_manager, active_agreement):
    with pytest.raises(ConflictOfInterest):
        allocation_end(
            allocation=active_agreement, actor=conflicted_manager, reason="x", on=date(2027, 3, 1)
        )


def test_the_daily_job_still_ends_agreements_at_their_term(active_agreement):
    assert allocation_end(allocation=active_agreement, actor=PLATFORM, reason="Terme") is True


# --- Delegation: managing a building is not committing its owner ---


def test_a_facilities_manager_without_delegation_cannot_offer_an_agreement(
    epci_site, cooperative, epci_office
):
    manager = _manager(epci_site, delegated=False)

    with pytest.raises(DecisionNotAllowed) as excinfo:
        _offer(manager, cooperative, [epci_office])

    assert not isinstance(excinfo.value, ConflictOfInterest)
    assert not Allocation.objects.exists()


def test_a_facilities_manager_without_delegation_cannot_grant_free_use(
    epci_site, cooperative, epci_office
):
    manager = _manager(epci_site, delegated=False)

    with pytest.raises(DecisionNotAllowed):
        _offer(
            manager,
            cooperative,
            [epci_office],
            annual_fee_cents=0,
            free_use_basis=FreeUseBasis.OTHER,
            free_use_reference="Animation du pôle ESS",
        )


def test_a_facilities_manager_with_the_owners_delegation_offers_an_agreement(
    epci_site, cooperative, epci_office
):
    manager = _manager(epci_site, delegated=True)

    allocation = _offer(manager, cooperative, [epci_office])

    assert allocation.created_by == manager


def test_a_manager_without_delegation_cannot_sign_for_the_owner(
    colleague, epci_site, cooperative, epci_office
):
    manager = _manager(epci_site, delegated=False)
    allocation = _offer(colleague, cooperative, [epci_office])
    allocation_accept(
        allocation=allocation,
        actor=MembershipFactory(organisation=cooperative).user,
        house_rules_accepted=True,
        insurance_valid_until=END,
    )

    with pytest.raises(DecisionNotAllowed):
        allocation_sign(allocation=allocation, actor=manager)


def test_the_intercommunality_does_not_commit_a_commune(territory_admin, cooperative, office):
    with pytest.raises(DecisionNotAllowed):
        _offer(territory_admin, cooperative, [office])


def test_the_communes_staff_commits_the_commune(commune_staff, cooperative, office):
    allocation = _offer(commune_staff, cooperative, [office])

    assert allocation.owner == office.site.owner


def test_an_offer_of_free_use_records_who_and_why(colleague, cooperative, epci_office):
    allocation = _offer(
        colleague,
        cooperative,
        [epci_office],
        annual_fee_cents=0,
        free_use_basis=FreeUseBasis.OTHER,
        free_use_reference="Animation du pôle ESS",
    )

    [entry] = allocation.log.all()
    assert entry.actor == colleague
    assert "Animation du pôle ESS" in entry.reason
    assert "Seul occupant possible" in entry.reason


def test_a_manager_cannot_delegate_to_itself_in_the_admin(client, epci_site):
    manager = _manager(epci_site, delegated=False)
    manager.is_staff = True
    manager.save()
    from django.contrib.auth.models import Permission

    manager.user_permissions.set(
        Permission.objects.filter(codename__in=["view_site", "change_site"])
    )
    assignment = SiteManager.objects.get(site=epci_site, user=manager)
    client.force_login(manager)

    response = client.get(reverse("admin:spaces_site_change", args=[epci_site.pk]))

    assert response.status_code == 200
    assert 'name="sitemanager_set-0-may_commit_owner"' not in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.may_commit_owner is False


# --- Bookings: approvals, refusals, cancellations ---


@pytest.fixture
def coop_member(cooperative):
    return MembershipFactory(
        organisation=cooperative, user=UserFactory(email="coop@example.test")
    ).user


@pytest.fixture
def coop_booking(coop_member, epci_office):
    return booking_request_for(
        space=epci_office,
        requested_by=coop_member,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
    )


def test_approving_a_request_of_ones_own_structure_is_refused(conflicted_manager, coop_booking):
    with pytest.raises(ConflictOfInterest):
        booking_approve(booking=coop_booking, actor=conflicted_manager)

    coop_booking.refresh_from_db()
    assert coop_booking.status == BookingStatus.PENDING


def test_refusing_a_request_of_ones_own_structure_is_refused(conflicted_manager, coop_booking):
    with pytest.raises(ConflictOfInterest):
        booking_refuse(booking=coop_booking, actor=conflicted_manager, reason="Complet")


def test_approving_through_the_api_is_a_403_for_a_member_and_200_for_a_colleague(
    api, conflicted_manager, colleague, coop_booking
):
    api.force_authenticate(conflicted_manager)
    refused = api.post(f"/api/v1/bookings/{coop_booking.pk}/approve/", {}, format="json")
    api.force_authenticate(colleague)
    approved = api.post(f"/api/v1/bookings/{coop_booking.pk}/approve/", {}, format="json")

    assert (refused.status_code, approved.status_code) == (403, 200)
    coop_booking.refresh_from_db()
    assert coop_booking.status == BookingStatus.CONFIRMED
    assert coop_booking.log.last().actor == colleague


def test_approving_through_the_page_is_a_403_for_a_member(client, conflicted_manager, coop_booking):
    client.force_login(conflicted_manager)

    response = client.post(reverse("bookings:booking-approve", args=[coop_booking.pk]))

    assert response.status_code == 403
    coop_booking.refresh_from_db()
    assert coop_booking.status == BookingStatus.PENDING


def test_a_manager_member_of_the_structure_cancels_as_its_requester(
    conflicted_manager, colleague, coop_booking
):
    booking_approve(booking=coop_booking, actor=colleague)

    # Within the 48 h notice, only a manager may cancel: a member cancels as a requester.
    with time_machine.travel(paris(2027, 1, 12, 9), tick=False), pytest.raises(ValidationError):
        booking_cancel(booking=coop_booking, actor=conflicted_manager, reason="Annulé")

    coop_booking.refresh_from_db()
    assert coop_booking.status == BookingStatus.CONFIRMED


# --- Payments: refunds, deposits kept or released ---


def _payment(booking, **fields) -> Payment:
    return Payment.objects.create(
        booking=booking,
        owner=booking.space.site.owner,
        amount_cents=5_000,
        stripe_intent_id="pi_test",
        **fields,
    )


def test_a_refund_to_ones_own_structure_is_refused(conflicted_manager, colleague, coop_booking):
    booking_approve(booking=coop_booking, actor=colleague)
    payment = _payment(
        coop_booking,
        purpose=PaymentPurpose.BOOKING_FEE,
        status=PaymentStatus.CAPTURED,
        captured_cents=5_000,
    )

    with pytest.raises(ConflictOfInterest):
        payment_refund(payment=payment, actor=conflicted_manager, reason="Geste commercial")

    assert not payment.refunds.exists()


def test_a_refund_through_the_api_is_a_403_for_a_member(
    api, conflicted_manager, colleague, coop_booking
):
    booking_approve(booking=coop_booking, actor=colleague)
    payment = _payment(
        coop_booking,
        purpose=PaymentPurpose.BOOKING_FEE,
        status=PaymentStatus.CAPTURED,
        captured_cents=5_000,
    )
    api.force_authenticate(conflicted_manager)

    response = api.post(
        f"/api/v1/payments/{payment.pk}/refund/", {"reason": "Geste"}, format="json"
    )

    assert response.status_code == 403
    assert not payment.refunds.exists()


@pytest.mark.parametrize("decision", ["keep", "release"])
def test_settling_the_deposit_of_ones_own_structure_is_refused(
    conflicted_manager, colleague, coop_booking, decision
):
    booking_approve(booking=coop_booking, actor=colleague)
    deposit = _payment(
        coop_booking, purpose=PaymentPurpose.DEPOSIT, status=PaymentStatus.AUTHORISED
    )

    settle = {
        "keep": lambda: deposit_keep(
            payment=deposit, actor=conflicted_manager, amount_cents=1_000, reason="x"
        ),
        "release": lambda: deposit_release(payment=deposit, actor=conflicted_manager),
    }[decision]

    with pytest.raises(ConflictOfInterest):
        settle()

    deposit.refresh_from_db()
    assert deposit.status == PaymentStatus.AUTHORISED


@pytest.mark.parametrize(("delegated", "offered"), [(False, False), (True, True)])
def test_the_agreement_page_offers_signing_only_to_those_who_may_commit_the_owner(
    client, colleague, epci_site, cooperative, epci_office, delegated, offered
):
    manager = _manager(epci_site, delegated=delegated)
    allocation = _offer(colleague, cooperative, [epci_office])
    allocation_accept(
        allocation=allocation,
        actor=MembershipFactory(organisation=cooperative).user,
        house_rules_accepted=True,
        insurance_valid_until=END,
    )
    client.force_login(manager)

    response = client.get(reverse("bookings:allocation-detail", args=[allocation.pk]))

    assert response.status_code == 200
    assert (response.context["forms"].sign is not None) is offered
    sign_url = reverse("bookings:allocation-sign", args=[allocation.pk])
    assert (sign_url in response.content.decode()) is offered


def test_the_booking_page_offers_the_decision_to_a_colleague_not_to_a_member(
    client, conflicted_manager, colleague, coop_booking
):
    approve_url = reverse("bookings:booking-approve", args=[coop_booking.pk])
    page = reverse("bookings:booking-detail", args=[coop_booking.pk])
    client.force_login(conflicted_manager)
    member_sees = approve_url in client.get(page).content.decode()
    client.force_login(colleague)
    colleague_sees = approve_url in client.get(page).content.decode()

    assert (member_sees, colleague_sees) == (False, True)


def test_deciding_in_bulk_leaves_out_the_request_of_ones_own_structure(
    client, conflicted_manager, coop_booking, epci_office, territory_admin
):
    other = VerifiedStructureFactory(name="Repair Café", verified_by=territory_admin)
    other_booking = booking_request_for(
        space=epci_office,
        requested_by=MembershipFactory(organisation=other).user,
        start=paris(2027, 1, 13, 18),
        end=paris(2027, 1, 13, 20),
    )
    client.force_login(conflicted_manager)

    response = client.post(
        reverse("bookings:pending"),
        {"bookings": [coop_booking.pk, other_booking.pk], "decision": "approve", "reason": ""},
    )

    assert response.status_code == 302
    coop_booking.refresh_from_db()
    other_booking.refresh_from_db()
    assert (coop_booking.status, other_booking.status) == (
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
    )
