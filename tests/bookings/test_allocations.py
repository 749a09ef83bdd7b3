"""Occupancy agreements: terms and legal basis, every transition and each forbidden one,
signature over bookings and closures, early termination, renewal, keys, inventories, the daily
job and the permission querysets. The clock stands on Monday 4 January 2027 in Paris."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from PIL import Image

from accounts.models import EssFamily, MembershipRole
from bookings import selectors
from bookings.allocations import (
    InvalidAllocationTransition,
    allocation_accept,
    allocation_decline,
    allocation_end,
    allocation_offer,
    allocation_renew,
    allocation_sign,
    allocations_activate_and_end,
    inventory_photo_add,
    inventory_record,
    key_issue,
    key_return,
)
from bookings.allocations.lifecycle import _transition
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.models import (
    ALLOCATION_TRANSITIONS,
    Allocation,
    AllocationStatus,
    Booking,
    BookingStatus,
    FreeUseBasis,
    InventoryKind,
    LegalRegime,
    Occupancy,
    OccupancyKind,
)
from bookings.rules import Period
from bookings.services import BookingRequest, booking_request, closure_create
from spaces.models import Domain
from tests.factories import (
    MembershipFactory,
    SiteFactory,
    SpaceFactory,
    StructureFactory,
)
from tests.helpers import FROZEN_NOW

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW
START, END = date(2027, 2, 1), date(2028, 2, 1)  # END is exclusive: last day 31 January 2028


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _english():
    """The services' messages are read in their English source (the catalogue is French)."""
    with translation.override("en"):
        yield


def offer(actor, structure, spaces, *, start=START, end=END, **terms) -> Allocation:
    if "annual_fee_cents" not in terms:
        terms.setdefault("free_use_basis", FreeUseBasis.L2125_1)
    terms.setdefault("direct_reason", "Un seul occupant possible (CG3P L2122-1-3).")
    return allocation_offer(
        actor=actor, structure=structure, spaces=spaces, start=start, end=end, **terms
    )


def accepted(actor, structure, spaces, occupant_user, **terms) -> Allocation:
    allocation = offer(actor, structure, spaces, **terms)
    allocation_accept(
        allocation=allocation,
        actor=occupant_user,
        house_rules_accepted=True,
        insurance_valid_until=date(2027, 12, 31),
    )
    allocation.refresh_from_db()
    return allocation


def signed(actor, structure, spaces, occupant_user, **terms) -> Allocation:
    allocation = accepted(actor, structure, spaces, occupant_user, **terms)
    allocation_sign(allocation=allocation, actor=actor)
    allocation.refresh_from_db()
    return allocation


def book(space, user, start, end, **series) -> Booking:
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=user.memberships.first().organisation,
            purpose="Atelier vélo",
            attendees=8,
            first=Period(start, end),
            **series,
        ),
        requested_by=user,
    )


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- Offer: terms and the legal basis of free use ---


def test_allocation_offer_creates_an_offered_agreement_with_its_log(
    facilities_manager, verified, office
):
    allocation = offer(facilities_manager, verified, [office])

    assert allocation.status == AllocationStatus.OFFERED
    assert list(allocation.spaces.all()) == [office]
    assert allocation.owner == office.site.owner
    assert [(e.from_status, e.to_status) for e in allocation.log.all()] == [("", "offered")]


def test_allocation_offer_takes_the_legal_regime_from_the_domain_of_the_building(
    facilities_manager, verified, commune
):
    private = SiteFactory(commune=commune, domain=Domain.PRIVATE)
    private.managers.add(facilities_manager, through_defaults={"may_commit_owner": True})
    space = SpaceFactory(site=private, allocatable=True, reference_rent=Decimal("100"))

    allocation = offer(
        facilities_manager,
        verified,
        [space],
        free_use_basis=FreeUseBasis.OTHER,
        free_use_reference="Local vacant en attente de travaux",
    )

    assert allocation.legal_regime == LegalRegime.PRIVATE_DOMAIN


def test_allocation_offer_refuses_a_regime_that_does_not_follow_the_domain(
    facilities_manager, verified, office
):
    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, verified, [office], legal_regime=LegalRegime.PRIVATE_DOMAIN)

    assert "legal_regime" in errors_of(excinfo)


def test_allocation_offer_refuses_l2125_1_on_the_private_domain(
    facilities_manager, verified, commune
):
    private = SiteFactory(commune=commune, domain=Domain.PRIVATE)
    private.managers.add(facilities_manager, through_defaults={"may_commit_owner": True})
    space = SpaceFactory(site=private, allocatable=True)

    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, verified, [space], free_use_basis=FreeUseBasis.L2125_1)

    assert "legal_regime" in errors_of(excinfo)


def test_allocation_offer_refuses_l2125_1_2_to_an_intercommunality(
    territory_admin, epci, commune, verified
):
    epci_site = SiteFactory(commune=commune, owner=epci)
    space = SpaceFactory(site=epci_site, allocatable=True)

    with pytest.raises(ValidationError) as excinfo:
        offer(
            territory_admin,
            verified,
            [space],
            free_use_basis=FreeUseBasis.L2125_1_2,
            free_use_reference="Délibération 2027-12",
        )

    assert "Only a commune" in errors_of(excinfo)["free_use_basis"][0]


def test_allocation_offer_lets_an_intercommunality_use_l2125_1(
    territory_admin, epci, commune, verified
):
    epci_site = SiteFactory(commune=commune, owner=epci)
    space = SpaceFactory(site=epci_site, allocatable=True)

    allocation = offer(territory_admin, verified, [space], free_use_basis=FreeUseBasis.L2125_1)

    assert allocation.free_use_basis == FreeUseBasis.L2125_1


def test_allocation_offer_lets_a_commune_use_l2125_1_2_with_its_deliberation(
    commune_staff, verified, office
):
    allocation = offer(
        commune_staff,
        verified,
        [office],
        free_use_basis=FreeUseBasis.L2125_1_2,
        free_use_reference="Délibération n° 2027-045 du 12 mars 2027",
    )

    assert allocation.free_use_reference == "Délibération n° 2027-045 du 12 mars 2027"


def test_allocation_offer_requires_the_deliberation_for_l2125_1_2(commune_staff, verified, office):
    with pytest.raises(ValidationError) as excinfo:
        offer(commune_staff, verified, [office], free_use_basis=FreeUseBasis.L2125_1_2)

    assert "free_use_reference" in errors_of(excinfo)


def test_allocation_offer_refuses_l2125_1_2_to_a_cooperative(
    commune_staff, territory_admin, office
):
    scop = StructureFactory(
        ess_family=EssFamily.SCOP, verified_at=timezone.now(), verified_by=territory_admin
    )

    with pytest.raises(ValidationError) as excinfo:
        offer(
            commune_staff,
            scop,
            [office],
            free_use_basis=FreeUseBasis.L2125_1_2,
            free_use_reference="Délibération 2027-12",
        )

    assert "free_use_basis" in errors_of(excinfo)


@pytest.mark.parametrize(
    ("family", "allowed"),
    [
        (EssFamily.ASSOCIATION, True),
        (EssFamily.FOUNDATION, True),
        (EssFamily.SCOP, False),
        (EssFamily.SCIC, False),
        (EssFamily.ESS_COMPANY, False),
    ],
)
def test_allocation_offer_keeps_l2125_1_for_associations_and_foundations(
    facilities_manager, territory_admin, office, family, allowed
):
    structure = StructureFactory(
        ess_family=family, verified_at=timezone.now(), verified_by=territory_admin
    )

    if allowed:
        assert offer(facilities_manager, structure, [office]).free_use_basis == "L2125-1"
    else:
        with pytest.raises(ValidationError) as excinfo:
            offer(facilities_manager, structure, [office])
        assert "free_use_basis" in errors_of(excinfo)


def test_allocation_offer_refuses_free_use_to_a_structure_without_siret(
    facilities_manager, territory_admin, office
):
    no_siret = StructureFactory(
        siret="", siren="", verified_at=timezone.now(), verified_by=territory_admin
    )

    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, no_siret, [office])

    assert "SIRET" in errors_of(excinfo)["structure"][0]


def test_allocation_offer_lets_a_structure_without_siret_pay_a_fee(
    facilities_manager, territory_admin, office
):
    no_siret = StructureFactory(
        siret="", siren="", verified_at=timezone.now(), verified_by=territory_admin
    )

    allocation = offer(facilities_manager, no_siret, [office], annual_fee_cents=120_000)

    assert allocation.annual_fee_cents == 120_000


def test_allocation_offer_refuses_a_fee_with_free_use(facilities_manager, verified, office):
    with pytest.raises(ValidationError) as excinfo:
        offer(
            facilities_manager,
            verified,
            [office],
            annual_fee_cents=50_000,
            free_use_basis=FreeUseBasis.L2125_1,
        )

    assert "annual_fee_cents" in errors_of(excinfo)


def test_allocation_offer_refuses_free_use_without_a_legal_basis(
    facilities_manager, verified, office
):
    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, verified, [office], annual_fee_cents=0)

    assert "annual_fee_cents" in errors_of(excinfo)


def test_allocation_offer_requires_a_justification_for_another_exemption(
    facilities_manager, verified, office
):
    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, verified, [office], free_use_basis=FreeUseBasis.OTHER)

    assert "free_use_reference" in errors_of(excinfo)


def test_database_refuses_a_fee_with_free_use(facilities_manager, verified, office):
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.create(
            structure=verified,
            owner=office.site.owner,
            start=START,
            end=END,
            legal_regime=LegalRegime.PUBLIC_DOMAIN,
            annual_fee_cents=100,
            free_use_basis=FreeUseBasis.L2125_1,
            created_by=facilities_manager,
        )


def test_allocation_offer_without_a_call_requires_the_reason(facilities_manager, verified, office):
    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, verified, [office], direct_reason="  ")

    assert "direct_reason" in errors_of(excinfo)


def test_allocation_offer_after_a_call_needs_no_reason(facilities_manager, verified, office):
    allocation = offer(facilities_manager, verified, [office], direct_reason="", from_call=True)

    assert allocation.direct_reason == ""


def test_allocation_offer_refuses_an_unverified_structure(facilities_manager, structure, office):
    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, structure, [office])

    assert "structure" in errors_of(excinfo)


def test_allocation_offer_refuses_a_space_not_offered_long_term(
    facilities_manager, verified, space
):
    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, verified, [space])

    assert "spaces" in errors_of(excinfo)


def test_allocation_offer_refuses_spaces_of_two_owners(
    territory_admin, verified, office, other_site
):
    elsewhere = SpaceFactory(site=other_site, allocatable=True)

    with pytest.raises(ValidationError) as excinfo:
        offer(territory_admin, verified, [office, elsewhere])

    assert "spaces" in errors_of(excinfo)


def test_allocation_offer_refuses_an_end_before_the_start(facilities_manager, verified, office):
    with pytest.raises(ValidationError) as excinfo:
        offer(facilities_manager, verified, [office], start=END, end=START)

    assert "end" in errors_of(excinfo)


def test_allocation_offer_is_refused_to_someone_who_does_not_manage_the_space(
    outsider, verified, office
):
    with pytest.raises(PermissionDenied):
        offer(outsider, verified, [office])


def test_allocation_offer_refuses_a_space_allocated_over_the_period(
    facilities_manager, verified, office, occupant
):
    signed(facilities_manager, verified, [office], occupant)

    with pytest.raises(BookingConflict):
        offer(facilities_manager, verified, [office], start=date(2027, 6, 1), end=date(2027, 9, 1))


# --- Transitions ---


@pytest.mark.parametrize("from_status", list(AllocationStatus))
@pytest.mark.parametrize("to_status", list(AllocationStatus))
def test_transition_follows_the_table(facilities_manager, verified, office, from_status, to_status):
    allocation = offer(facilities_manager, verified, [office])
    Allocation.objects.filter(pk=allocation.pk).update(status=from_status)
    allowed = to_status in ALLOCATION_TRANSITIONS.get(from_status, frozenset())

    with transaction.atomic():
        if from_status == to_status:
            assert _transition(allocation=allocation, to=to_status, actor=None, reason="x") is False
        elif allowed:
            assert _transition(allocation=allocation, to=to_status, actor=None, reason="x") is True
        else:
            with pytest.raises(InvalidTransition):
                _transition(allocation=allocation, to=to_status, actor=None, reason="x")


def test_refused_transition_names_the_agreement_status(facilities_manager, verified, office):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(InvalidAllocationTransition) as excinfo:
        allocation_sign(allocation=allocation, actor=facilities_manager)

    assert excinfo.value.message() == "This agreement is offered: that change is not possible."


def test_allocation_accept_records_house_rules_and_insurance(
    facilities_manager, verified, office, occupant
):
    allocation = offer(facilities_manager, verified, [office])

    changed = allocation_accept(
        allocation=allocation,
        actor=occupant,
        house_rules_accepted=True,
        insurance_valid_until=date(2027, 12, 31),
    )

    allocation.refresh_from_db()
    assert changed is True
    assert allocation.status == AllocationStatus.ACCEPTED
    assert allocation.house_rules_accepted_at == timezone.now()
    assert allocation.insurance_valid_until == date(2027, 12, 31)


def test_allocation_accept_twice_changes_nothing(facilities_manager, verified, office, occupant):
    allocation = accepted(facilities_manager, verified, [office], occupant)

    assert (
        allocation_accept(
            allocation=allocation,
            actor=occupant,
            house_rules_accepted=True,
            insurance_valid_until=date(2027, 12, 31),
        )
        is False
    )


def test_allocation_accept_requires_the_house_rules(facilities_manager, verified, office, occupant):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(ValidationError) as excinfo:
        allocation_accept(
            allocation=allocation,
            actor=occupant,
            house_rules_accepted=False,
            insurance_valid_until=date(2027, 12, 31),
        )

    assert "house_rules_accepted" in errors_of(excinfo)


def test_allocation_accept_requires_insurance_covering_the_start(
    facilities_manager, verified, office, occupant
):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(ValidationError) as excinfo:
        allocation_accept(
            allocation=allocation,
            actor=occupant,
            house_rules_accepted=True,
            insurance_valid_until=date(2027, 1, 31),
        )

    assert "insurance_valid_until" in errors_of(excinfo)


def test_allocation_accept_is_refused_once_declined(facilities_manager, verified, office, occupant):
    allocation = offer(facilities_manager, verified, [office])
    allocation_decline(allocation=allocation, actor=occupant, reason="Local trop petit")

    with pytest.raises(InvalidTransition):
        allocation_accept(
            allocation=allocation,
            actor=occupant,
            house_rules_accepted=True,
            insurance_valid_until=date(2027, 12, 31),
        )


def test_allocation_decline_requires_a_reason(facilities_manager, verified, office, occupant):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(ValidationError):
        allocation_decline(allocation=allocation, actor=occupant, reason=" ")


def test_allocation_decline_after_acceptance_logs_the_reason(
    facilities_manager, verified, office, occupant
):
    allocation = accepted(facilities_manager, verified, [office], occupant)

    allocation_decline(allocation=allocation, actor=occupant, reason="Projet abandonné")

    last = allocation.log.last()
    assert (last.from_status, last.to_status, last.reason) == (
        "accepted",
        "declined",
        "Projet abandonné",
    )


def test_allocation_decline_is_refused_once_signed(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)

    with pytest.raises(InvalidTransition):
        allocation_decline(allocation=allocation, actor=occupant, reason="Trop tard")


def test_allocation_sign_is_refused_before_acceptance(facilities_manager, verified, office):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(InvalidTransition):
        allocation_sign(allocation=allocation, actor=facilities_manager)


def test_allocation_sign_is_refused_once_declined(facilities_manager, verified, office, occupant):
    allocation = offer(facilities_manager, verified, [office])
    allocation_decline(allocation=allocation, actor=occupant, reason="Non")

    with pytest.raises(InvalidTransition):
        allocation_sign(allocation=allocation, actor=facilities_manager)


def test_allocation_sign_reserves_each_space_for_the_whole_period(
    facilities_manager, verified, office, site, occupant
):
    second = SpaceFactory(site=site, allocatable=True)
    allocation = accepted(facilities_manager, verified, [office, second], occupant)

    assert allocation_sign(allocation=allocation, actor=facilities_manager) is True

    allocation.refresh_from_db()
    rows = Occupancy.objects.filter(allocation=allocation, active=True)
    assert allocation.status == AllocationStatus.SIGNED
    assert {row.space_id for row in rows} == {office.pk, second.pk}
    assert {(row.start, row.end) for row in rows} == {(paris(2027, 2, 1), paris(2028, 2, 1))}
    assert {row.kind for row in rows} == {OccupancyKind.ALLOCATION}


def test_allocation_sign_on_or_after_the_first_day_activates_at_once(
    facilities_manager, verified, office, occupant
):
    allocation = accepted(facilities_manager, verified, [office], occupant, start=date(2027, 1, 4))

    allocation_sign(allocation=allocation, actor=facilities_manager)

    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACTIVE
    assert [e.to_status for e in allocation.log.all()] == [
        "offered",
        "accepted",
        "signed",
        "active",
    ]


def test_allocation_sign_twice_changes_nothing(facilities_manager, verified, office, occupant):
    allocation = accepted(facilities_manager, verified, [office], occupant, start=date(2027, 1, 4))
    allocation_sign(allocation=allocation, actor=facilities_manager)

    assert allocation_sign(allocation=allocation, actor=facilities_manager) is False
    assert Occupancy.objects.filter(allocation=allocation).count() == 1


def test_allocation_sign_clears_vacancy(facilities_manager, verified, office, occupant):
    office.vacant_since = date(2026, 6, 1)
    office.save()

    signed(facilities_manager, verified, [office], occupant)

    office.refresh_from_db()
    assert office.vacant_since is None


def test_allocated_space_cannot_be_booked_by_the_hour(
    facilities_manager, verified, office, occupant, booker
):
    signed(facilities_manager, verified, [office], occupant)

    with pytest.raises(BookingConflict):
        book(office, booker, paris(2027, 3, 2, 18), paris(2027, 3, 2, 20))


# --- Signature over existing bookings and closures ---


def test_allocation_sign_over_bookings_lists_them_and_changes_nothing(
    facilities_manager, verified, office, occupant, booker
):
    booking = book(office, booker, paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))
    allocation = accepted(facilities_manager, verified, [office], occupant)

    with pytest.raises(BookingConflict) as excinfo:
        allocation_sign(allocation=allocation, actor=facilities_manager)

    clashing = [occupied for _requested, occupied in excinfo.value.clashes]
    assert clashing == [Period(paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))]
    rows = list(selectors.occupancies_blocking_allocation(allocation=allocation))
    assert [(row.space, row.booking) for row in rows] == [(office, booking)]
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACCEPTED
    assert Booking.objects.get(pk=booking.pk).status == booking.status


def test_allocation_sign_cancels_the_bookings_with_the_reason_and_mails_after_commit(
    facilities_manager,
    verified,
    office,
    occupant,
    booker,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    booking = book(office, booker, paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))
    allocation = accepted(facilities_manager, verified, [office], occupant)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        allocation_sign(
            allocation=allocation,
            actor=facilities_manager,
            cancel_bookings=True,
            reason="Bureau attribué à une association",
        )
        sent_before_commit = len(mailoutbox)
    for callback in callbacks:
        callback()

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.log.last().reason == "Bureau attribué à une association"
    assert sent_before_commit == 0
    [to_booker] = [mail for mail in mailoutbox if mail.to == ["repair@example.test"]]
    assert "Bureau attribué à une association" in to_booker.body
    others = [mail for mail in mailoutbox if mail is not to_booker]
    assert others
    assert all(f"Convention n° {allocation.pk} signée" in m.subject for m in others)


def test_allocation_sign_cancels_only_the_dates_of_a_series_in_the_period(
    facilities_manager, verified, office, occupant, booker, django_capture_on_commit_callbacks
):
    booking = book(
        office,
        booker,
        paris(2027, 1, 19, 18),
        paris(2027, 1, 19, 20),
        frequency="weekly",
        repeat_count=4,  # 19 and 26 January, 2 and 9 February
    )
    allocation = accepted(facilities_manager, verified, [office], occupant)

    with django_capture_on_commit_callbacks(execute=True):
        allocation_sign(
            allocation=allocation, actor=facilities_manager, cancel_bookings=True, reason="Attribué"
        )

    booking.refresh_from_db()
    kept = booking.occupancies.filter(active=True).order_by("start")
    assert booking.status == BookingStatus.CONFIRMED or booking.status == BookingStatus.PENDING
    assert [row.start for row in kept] == [paris(2027, 1, 19, 18), paris(2027, 1, 26, 18)]


def test_allocation_sign_cancelling_bookings_requires_a_reason(
    facilities_manager, verified, office, occupant, booker
):
    book(office, booker, paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))
    allocation = accepted(facilities_manager, verified, [office], occupant)

    with pytest.raises(ValidationError) as excinfo:
        allocation_sign(allocation=allocation, actor=facilities_manager, cancel_bookings=True)

    assert "reason" in errors_of(excinfo)


def test_allocation_sign_never_cancels_another_agreement(
    facilities_manager, verified, office, occupant, territory_admin
):
    other = StructureFactory(verified_at=timezone.now(), verified_by=territory_admin)
    first = accepted(facilities_manager, verified, [office], occupant)
    later = offer(facilities_manager, other, [office], start=date(2027, 6, 1), end=date(2027, 9, 1))
    Allocation.objects.filter(pk=later.pk).update(
        status=AllocationStatus.ACCEPTED, insurance_valid_until=date(2027, 12, 31)
    )
    allocation_sign(allocation=later, actor=facilities_manager)

    with pytest.raises(BookingConflict):
        allocation_sign(
            allocation=first, actor=facilities_manager, cancel_bookings=True, reason="Attribué"
        )


def test_allocation_sign_lifts_closures_during_the_period_only(
    facilities_manager, verified, office, occupant
):
    closure = closure_create(
        actor=facilities_manager,
        site=None,
        space=office,
        period=Period(paris(2027, 1, 20), paris(2027, 2, 10)),
        reason="Travaux",
    )
    allocation = accepted(facilities_manager, verified, [office], occupant)

    allocation_sign(allocation=allocation, actor=facilities_manager)

    rows = closure.occupancies.filter(active=True)
    assert [(row.start, row.end) for row in rows] == [(paris(2027, 1, 20), paris(2027, 2, 1))]


# --- End, early termination, daily job ---


def test_allocation_end_early_trims_the_occupancy_and_marks_the_spaces_vacant(
    facilities_manager, verified, office, occupant, booker
):
    allocation = signed(facilities_manager, verified, [office], occupant)

    allocation_end(
        allocation=allocation, actor=facilities_manager, reason="Dissolution", on=date(2027, 9, 1)
    )

    allocation.refresh_from_db()
    office.refresh_from_db()
    row = allocation.occupancies.get()
    assert allocation.status == AllocationStatus.ENDED
    assert allocation.terminated_on == date(2027, 9, 1)
    assert (row.start, row.end, row.blocked_until) == (
        paris(2027, 2, 1),
        paris(2027, 9, 1),
        paris(2027, 9, 1),
    )
    assert office.vacant_since == date(2027, 9, 1)
    assert book(office, booker, paris(2027, 9, 7, 18), paris(2027, 9, 7, 20)).pk


def test_allocation_end_before_the_first_day_frees_the_whole_period(
    facilities_manager, verified, office, occupant
):
    allocation = signed(facilities_manager, verified, [office], occupant)

    allocation_end(
        allocation=allocation, actor=facilities_manager, reason="Renoncement", on=date(2027, 1, 10)
    )

    assert not allocation.occupancies.filter(active=True).exists()


def test_allocation_end_requires_a_reason(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)

    with pytest.raises(ValidationError):
        allocation_end(allocation=allocation, actor=facilities_manager, reason="")


def test_allocation_end_is_refused_for_an_offer(facilities_manager, verified, office):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(InvalidTransition):
        allocation_end(allocation=allocation, actor=facilities_manager, reason="Retrait")


def test_ended_agreement_cannot_be_signed_again(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)
    allocation_end(allocation=allocation, actor=facilities_manager, reason="Fin")

    with pytest.raises(InvalidTransition):
        allocation_sign(allocation=allocation, actor=facilities_manager)


def test_daily_job_activates_on_the_first_day_and_ends_at_term(
    facilities_manager, verified, office, occupant
):
    allocation = signed(facilities_manager, verified, [office], occupant)

    assert allocations_activate_and_end(today=date(2027, 1, 31)) == (0, 0)
    assert allocations_activate_and_end(today=date(2027, 2, 1)) == (1, 0)
    assert allocations_activate_and_end(today=date(2028, 2, 1)) == (0, 1)

    allocation.refresh_from_db()
    office.refresh_from_db()
    assert allocation.status == AllocationStatus.ENDED
    assert allocation.terminated_on is None
    assert allocation.log.last().reason == "End of the agreement."
    assert office.vacant_since == date(2028, 2, 1)


def test_daily_job_leaves_a_renewed_space_occupied(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)
    renewal = allocation_renew(
        allocation=allocation, actor=facilities_manager, end=date(2029, 2, 1)
    )
    allocation_accept(
        allocation=renewal,
        actor=occupant,
        house_rules_accepted=True,
        insurance_valid_until=date(2029, 1, 31),
    )
    allocation_sign(allocation=renewal, actor=facilities_manager)

    allocations_activate_and_end(today=date(2027, 2, 1))
    allocations_activate_and_end(today=date(2028, 2, 1))

    renewal.refresh_from_db()
    office.refresh_from_db()
    assert renewal.status == AllocationStatus.ACTIVE
    assert office.vacant_since is None


def test_allocations_daily_command_reports_its_work(facilities_manager, verified, office, occupant):
    signed(facilities_manager, verified, [office], occupant)
    out = io.StringIO()

    with time_machine.travel(paris(2027, 2, 1, 0, 5), tick=False):
        call_command("allocations_daily", stdout=out)

    assert out.getvalue().strip() == (
        "1 convention(s) commencée(s), 0 convention(s) terminée(s), 0 rappel(s) de fin envoyé(s)."
    )


# --- Renewal ---


def test_allocation_renew_offers_the_same_terms_from_the_end(
    facilities_manager, verified, office, occupant
):
    allocation = signed(
        facilities_manager,
        verified,
        [office],
        occupant,
        annual_fee_cents=60_000,
        deposit_cents=30_000,
    )

    renewal = allocation_renew(
        allocation=allocation, actor=facilities_manager, end=date(2029, 2, 1)
    )

    assert (renewal.status, renewal.start, renewal.end) == ("offered", END, date(2029, 2, 1))
    assert (renewal.annual_fee_cents, renewal.deposit_cents) == (60_000, 30_000)
    assert renewal.renews == allocation
    assert list(renewal.spaces.all()) == [office]


def test_allocation_renew_happens_once(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)
    allocation_renew(allocation=allocation, actor=facilities_manager, end=date(2029, 2, 1))

    with pytest.raises(ValidationError):
        allocation_renew(allocation=allocation, actor=facilities_manager, end=date(2030, 2, 1))


def test_allocation_renew_is_refused_for_a_declined_offer(
    facilities_manager, verified, office, occupant
):
    allocation = offer(facilities_manager, verified, [office])
    allocation_decline(allocation=allocation, actor=occupant, reason="Non")

    with pytest.raises(InvalidTransition):
        allocation_renew(allocation=allocation, actor=facilities_manager, end=date(2029, 2, 1))


# --- Keys and inventories ---


def test_key_issue_and_return(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)

    key = key_issue(
        allocation=allocation, actor=facilities_manager, label="Badge 4", issued_on=date(2027, 2, 1)
    )
    first = key_return(key=key, actor=facilities_manager, returned_on=date(2027, 12, 20))
    again = key_return(key=key, actor=facilities_manager, returned_on=date(2027, 12, 21))

    key.refresh_from_db()
    assert (first, again, key.returned_on) == (True, False, date(2027, 12, 20))


def test_key_issue_is_refused_when_the_insurance_has_expired(
    facilities_manager, verified, office, occupant
):
    allocation = signed(facilities_manager, verified, [office], occupant)

    with pytest.raises(ValidationError) as excinfo:
        key_issue(
            allocation=allocation,
            actor=facilities_manager,
            label="Clé 1",
            issued_on=date(2028, 1, 5),
        )

    assert "issued_on" in errors_of(excinfo)


def test_key_issue_is_refused_before_signature(facilities_manager, verified, office):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(InvalidTransition):
        key_issue(allocation=allocation, actor=facilities_manager, label="Clé", issued_on=START)


def test_key_return_before_the_handover_is_refused(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)
    key = key_issue(allocation=allocation, actor=facilities_manager, label="Clé", issued_on=START)

    with pytest.raises(ValidationError):
        key_return(key=key, actor=facilities_manager, returned_on=date(2027, 1, 20))


def png_upload(name: str = "mur.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#aa8844").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_inventory_record_keeps_notes_and_reencoded_photos(
    facilities_manager, verified, office, occupant
):
    allocation = signed(facilities_manager, verified, [office], occupant)

    inventory = inventory_record(
        allocation=allocation,
        actor=facilities_manager,
        kind=InventoryKind.ENTRY,
        done_on=START,
        notes="Murs propres, compteur électrique 01234.",
        photos=[(png_upload(), "Mur nord du bureau, peinture intacte")],
    )

    photo = inventory.photos.get()
    assert photo.alt_text == "Mur nord du bureau, peinture intacte"
    assert photo.image.name.endswith(".png")
    assert "mur" not in photo.image.name


def test_inventory_photo_requires_a_description(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)
    inventory = inventory_record(
        allocation=allocation,
        actor=facilities_manager,
        kind=InventoryKind.ENTRY,
        done_on=START,
        notes="RAS",
    )

    with pytest.raises(ValidationError) as excinfo:
        inventory_photo_add(
            inventory=inventory, actor=facilities_manager, upload=png_upload(), alt_text=""
        )

    assert "alt_text" in errors_of(excinfo)


def test_inventory_photo_refuses_a_file_that_is_not_an_image(
    facilities_manager, verified, office, occupant
):
    allocation = signed(facilities_manager, verified, [office], occupant)
    inventory = inventory_record(
        allocation=allocation,
        actor=facilities_manager,
        kind=InventoryKind.ENTRY,
        done_on=START,
        notes="RAS",
    )
    fake = SimpleUploadedFile("photo.png", b"%PDF-1.4 not an image", content_type="image/png")

    with pytest.raises(ValidationError) as excinfo:
        inventory_photo_add(
            inventory=inventory, actor=facilities_manager, upload=fake, alt_text="x"
        )

    assert "photo" in errors_of(excinfo)


def test_inventory_of_each_kind_is_recorded_once(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)
    inventory_record(
        allocation=allocation,
        actor=facilities_manager,
        kind=InventoryKind.ENTRY,
        done_on=START,
        notes="RAS",
    )

    with pytest.raises(ValidationError) as excinfo:
        inventory_record(
            allocation=allocation,
            actor=facilities_manager,
            kind=InventoryKind.ENTRY,
            done_on=START,
            notes="Encore",
        )

    assert "kind" in errors_of(excinfo)


def test_inventory_is_refused_before_signature(facilities_manager, verified, office):
    allocation = offer(facilities_manager, verified, [office])

    with pytest.raises(InvalidTransition):
        inventory_record(
            allocation=allocation,
            actor=facilities_manager,
            kind=InventoryKind.ENTRY,
            done_on=START,
            notes="RAS",
        )


def test_exit_inventory_is_possible_after_the_end(facilities_manager, verified, office, occupant):
    allocation = signed(facilities_manager, verified, [office], occupant)
    allocation_end(allocation=allocation, actor=facilities_manager, reason="Fin")

    inventory = inventory_record(
        allocation=allocation,
        actor=facilities_manager,
        kind=InventoryKind.EXIT,
        done_on=END,
        notes="Clés rendues",
    )

    assert inventory.kind == InventoryKind.EXIT


# --- Permission querysets ---


@pytest.fixture
def agreement(facilities_manager, verified, office):
    return offer(facilities_manager, verified, [office])


def test_allocations_visible_to_each_persona(
    agreement, occupant, facilities_manager, commune_staff, territory_admin, outsider, member
):
    def sees(user) -> bool:
        return selectors.allocations_visible_to(user).filter(pk=agreement.pk).exists()

    assert sees(occupant)
    assert sees(facilities_manager)
    assert sees(commune_staff)  # the owner's staff manage the site
    assert sees(territory_admin)
    assert not sees(outsider)
    assert not sees(member)  # another structure's member


def test_allocations_manageable_by_managers_only(
    agreement, occupant, facilities_manager, territory_admin, outsider
):
    def manages(user) -> bool:
        return selectors.allocations_manageable_by(user).filter(pk=agreement.pk).exists()

    assert (manages(facilities_manager), manages(territory_admin)) == (True, True)
    assert (manages(occupant), manages(outsider)) == (False, False)


def test_allocations_answerable_by_the_structure_administrators_only(
    agreement, verified, occupant, facilities_manager
):
    plain = MembershipFactory(organisation=verified, role=MembershipRole.MEMBER).user

    def answers(user) -> bool:
        return selectors.allocations_answerable_by(user).filter(pk=agreement.pk).exists()

    assert answers(occupant)
    assert not answers(plain)
    assert not answers(facilities_manager)


def test_allocations_visible_to_lists_each_agreement_once(
    agreement, territory_admin, facilities_manager, site, verified
):
    second = SpaceFactory(site=site, allocatable=True)
    agreement.spaces.add(second)

    assert list(selectors.allocations_visible_to(facilities_manager)) == [agreement]


# --- The site timeline selector ---


def test_site_timeline_reads_everything_in_constant_queries(
    facilities_manager, verified, office, occupant, booker, site
):
    window = (paris(2027, 1, 1), paris(2028, 1, 1))
    signed(facilities_manager, verified, [office], occupant)
    room = SpaceFactory(site=site, name="Salle A", bookable=True)
    book(room, booker, paris(2027, 1, 12, 18), paris(2027, 1, 12, 20))
    with CaptureQueriesContext(connection) as few:
        selectors.site_timeline(site_id=site.pk, start=window[0], end=window[1])
    book(
        room,
        booker,
        paris(2027, 1, 19, 18),
        paris(2027, 1, 19, 20),
        frequency="weekly",
        repeat_count=10,
    )
    SpaceFactory(site=site, name="Salle B")

    with CaptureQueriesContext(connection) as many:
        rows = selectors.site_timeline(site_id=site.pk, start=window[0], end=window[1])

    assert len(few) == len(many) == 2
    by_space = {row.space.name: row.entries for row in rows}
    assert len(by_space["Salle A"]) == 11
    assert by_space["Salle B"] == []
    assert by_space["Bureau 12"][0].label == "Agreement with Mobilité Solidaire (signed)"


def test_site_timeline_leaves_out_cancelled_rows(
    facilities_manager, verified, office, occupant, site
):
    allocation = signed(facilities_manager, verified, [office], occupant)
    allocation_end(
        allocation=allocation, actor=facilities_manager, reason="Fin", on=date(2027, 1, 10)
    )

    rows = selectors.site_timeline(site_id=site.pk, start=paris(2027, 1, 1), end=paris(2028, 1, 1))

    assert all(not row.entries for row in rows)
