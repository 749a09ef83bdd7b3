"""Booking on behalf of a structure (issue 16): an association calls the town hall, the agent
books for it. The agents are the people who manage the site (its facilities managers, the
owner's staff, the intercommunality); the booking is the structure's (its members see it, are
told, may cancel it); the agent may waive the minimum notice and the maximum advance, which the
booking records, and may approve at once.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Notification
from bookings import selectors
from bookings.models import Booking, BookingStatus, Waiver
from bookings.rules import Period
from bookings.services import BookingRequest, booking_cancel, booking_request
from core.models import OutboxMail
from tests.factories import MembershipFactory, StructureFactory, UserFactory, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

TUESDAY = Period(paris(2027, 1, 12, 18), paris(2027, 1, 12, 20))


def _for(organisation, *, first: Period = TUESDAY, space, **extra) -> BookingRequest:
    return BookingRequest(
        space=space.pk,
        organisation=organisation.pk,
        purpose="Permanence vélo",
        attendees=8,
        first=first,
        **extra,
    )


def _refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_booking_on_behalf_by_the_owners_staff_is_the_structures_booking(
    space, organisation, requester, commune_staff
):
    booking = booking_request(request=_for(organisation, space=space), requested_by=commune_staff)

    booking.refresh_from_db()
    assert booking.organisation == organisation
    assert booking.requested_by == commune_staff
    assert booking.on_behalf
    assert booking.status == BookingStatus.PENDING
    # The structure sees it among its bookings, and may cancel it as its requester.
    assert booking.pk in [pk for pk, _end in selectors.bookings_of_organisations_of(requester)]
    assert selectors.bookings_of_requester(requester).filter(pk=booking.pk).exists()
    log = booking.log.get()
    assert log.actor == commune_staff
    assert "Les Amis du Vélo" in log.reason


def test_booking_on_behalf_tells_the_structure_in_french(
    space, organisation, requester, commune_staff
):
    booking = booking_request(request=_for(organisation, space=space), requested_by=commune_staff)

    mail = OutboxMail.objects.get(about=f"booking {booking.pk}, requested_on_behalf")
    assert mail.recipients == [requester.email]
    assert mail.subject.startswith("[Locaux Communs] Demande faite pour votre structure")
    assert "pour le compte de Les Amis du Vélo" in mail.body
    assert Notification.objects.filter(user=requester).exists()
    assert not Notification.objects.filter(user=commune_staff, topic="booking_requested").exists()


def test_booking_on_behalf_may_waive_the_minimum_notice_and_records_it(
    space, organisation, commune_staff
):
    soon = Period(paris(2027, 1, 4, 14), paris(2027, 1, 4, 16))  # 5 hours ahead, 24 required

    errors = _refusal(
        lambda: booking_request(
            request=_for(organisation, space=space, first=soon), requested_by=commune_staff
        )
    )
    assert errors == {"start": ["Réservez au moins 24 heures à l’avance."]}

    booking = booking_request(
        request=_for(organisation, space=space, first=soon, waive=frozenset({Waiver.MIN_NOTICE})),
        requested_by=commune_staff,
    )
    booking.refresh_from_db()
    assert booking.waived_min_notice
    assert not booking.waived_max_advance
    assert "délai de prévenance minimal" in booking.log.get().reason.lower()


def test_booking_on_behalf_may_waive_the_maximum_advance_for_every_date(
    space, organisation, facilities_manager
):
    space.max_advance_days = 30
    space.save()
    later = Period(paris(2027, 1, 26, 18), paris(2027, 1, 26, 20))  # then weekly, past 30 days

    errors = _refusal(
        lambda: booking_request(
            request=_for(
                organisation, space=space, first=later, frequency="weekly", repeat_count=3
            ),
            requested_by=facilities_manager,
        )
    )
    assert "dans plus de 30 jours" in errors["repeat_until"][0]

    booking = booking_request(
        request=_for(
            organisation,
            space=space,
            first=later,
            frequency="weekly",
            repeat_count=3,
            waive=frozenset({Waiver.MAX_ADVANCE}),
        ),
        requested_by=facilities_manager,
    )
    assert booking.occupancies.count() == 3
    booking.refresh_from_db()
    assert booking.waived_max_advance


def test_booking_on_behalf_keeps_the_rules_that_cannot_be_waived(
    space, organisation, territory_admin
):
    errors = _refusal(
        lambda: booking_request(
            request=BookingRequest(
                space=space.pk,
                organisation=organisation.pk,
                purpose="Forum",
                attendees=space.capacity + 1,
                first=TUESDAY,
                waive=frozenset(Waiver.values),
            ),
            requested_by=territory_admin,
        )
    )
    assert list(errors) == ["attendees"]
    assert not Booking.objects.exists()


def test_booking_on_behalf_approved_at_once_is_confirmed_and_says_so(
    space, organisation, requester, commune_staff
):
    booking = booking_request(
        request=_for(organisation, space=space, approve=True), requested_by=commune_staff
    )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.lapses_at is None
    assert "acceptée aussitôt" in booking.log.get().reason.lower()
    mail = OutboxMail.objects.get(about=f"booking {booking.pk}, confirmed_on_behalf")
    assert mail.recipients == [requester.email]
    assert "la réservation est confirmée" in mail.body


def test_the_structure_may_cancel_a_booking_made_on_its_behalf(
    space, organisation, requester, commune_staff
):
    booking = booking_request(
        request=_for(organisation, space=space, approve=True), requested_by=commune_staff
    )

    assert booking_cancel(booking=booking, actor=requester, reason="Plus besoin") == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_a_plain_member_cannot_book_for_another_structure(space, organisation, other_requester):
    errors = _refusal(
        lambda: booking_request(
            request=_for(organisation, space=space), requested_by=other_requester
        )
    )

    assert list(errors) == ["organisation"]
    assert "n’est pas la vôtre" in errors["organisation"][0]
    assert not Booking.objects.exists()


def test_a_manager_of_another_site_cannot_book_here_for_a_structure(
    space, organisation, other_commune_staff
):
    errors = _refusal(
        lambda: booking_request(
            request=_for(organisation, space=space), requested_by=other_commune_staff
        )
    )

    assert list(errors) == ["organisation"]
    assert not Booking.objects.exists()


def test_an_agent_cannot_book_for_a_structure_not_verified(space, commune_staff):
    unverified = StructureFactory(name="Pas encore vérifiée")

    errors = _refusal(
        lambda: booking_request(request=_for(unverified, space=space), requested_by=commune_staff)
    )

    assert list(errors) == ["organisation"]
    assert not Booking.objects.exists()


def test_waivers_and_approval_are_refused_for_ones_own_organisation(space, organisation, requester):
    errors = _refusal(
        lambda: booking_request(
            request=_for(organisation, space=space, waive=frozenset({Waiver.MIN_NOTICE})),
            requested_by=requester,
        )
    )
    assert list(errors) == ["waive"]

    errors = _refusal(
        lambda: booking_request(
            request=_for(organisation, space=space, approve=True), requested_by=requester
        )
    )
    assert list(errors) == ["approve"]
    assert not Booking.objects.exists()


def test_an_agent_who_belongs_to_the_structure_books_as_its_member(
    space, organisation, commune_staff
):
    """Not on behalf, then: no waiver, and the approval is a colleague's (conflict of
    interest)."""
    MembershipFactory(organisation=organisation, user=commune_staff)

    booking = booking_request(request=_for(organisation, space=space), requested_by=commune_staff)
    booking.refresh_from_db()
    assert not booking.on_behalf

    errors = _refusal(
        lambda: booking_request(
            request=_for(
                organisation,
                space=space,
                first=Period(paris(2027, 1, 19, 18), paris(2027, 1, 19, 20)),
                approve=True,
            ),
            requested_by=commune_staff,
        )
    )
    assert list(errors) == ["approve"]


def test_an_unknown_waiver_is_refused(space, organisation, commune_staff):
    errors = _refusal(
        lambda: booking_request(
            request=_for(organisation, space=space, waive=frozenset({"quota"})),
            requested_by=commune_staff,
        )
    )

    assert list(errors) == ["waive"]
    assert not Booking.objects.exists()


def test_an_outsider_gets_no_booking_on_behalf(space, organisation):
    errors = _refusal(
        lambda: booking_request(request=_for(organisation, space=space), requested_by=UserFactory())
    )

    assert list(errors) == ["organisation"]
