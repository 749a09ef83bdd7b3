"""Shared use of allocated rooms (issue 17): an occupant opens its room at weekly times for
other structures' bookings, with the owner's consent (bookings/allocations/sharing.py)."""

from collections import Counter
from datetime import date, time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.exceptions import ConflictOfInterest, DecisionNotAllowed
from accounts.models import MembershipRole
from bookings.allocations.sharing import (
    sharing_window_consent,
    sharing_window_propose,
    sharing_window_withdraw,
)
from bookings.exceptions import BookingConflict, InvalidTransition
from bookings.models import (
    BookingStatus,
    Occupancy,
    OccupancyKind,
    SharingWindow,
    SharingWindowStatus,
)
from bookings.permissions import booking_actions_for
from bookings.rules import Period
from bookings.selectors import booking_routing, bookings_pending_for, spaces_available
from bookings.services import booking_approve, booking_cancel, booking_refuse
from spaces.models import Weekday
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    booking_request_for,
    paris,
)
from tests.helpers import race, requesters

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def room(space):
    space.allocatable = True
    space.bookable = True
    space.instant_confirmation = True  # shared bookings still wait for a decision
    space.save()
    return space


@pytest.fixture
def occupant(db):
    return VerifiedStructureFactory(name="Les Jardins de Denain")


@pytest.fixture
def occupant_member(occupant):
    return MembershipFactory(
        organisation=occupant,
        user=UserFactory(email="jardins@example.test"),
        role=MembershipRole.ADMIN,
    ).user


@pytest.fixture
def agreement(commune_staff, occupant, occupant_member, room):
    return agreement_signed(
        actor=occupant_member,
        structure=occupant,
        spaces=[room],
        start=date(2027, 1, 1),
        end=date(2028, 1, 1),
    )


def _propose(agreement, actor, **fields):
    values = {
        "space": agreement.spaces.get(),
        "weekday": Weekday.TUESDAY,
        "start_time": time(18),
        "end_time": time(22),
        "valid_from": date(2027, 1, 5),
        "valid_until": date(2027, 6, 29),
        "occupant_share_percent": 70,
        **fields,
    }
    return sharing_window_propose(allocation=agreement, actor=actor, **values)


@pytest.fixture
def window(agreement, occupant_member, commune_staff):
    window = _propose(agreement, occupant_member)
    assert sharing_window_consent(window=window, actor=commune_staff) is True
    window.refresh_from_db()
    return window


def _allocation_rows(agreement):
    return list(
        Occupancy.objects.filter(allocation=agreement, active=True)
        .order_by("start")
        .values_list("start", "end")
    )


def test_a_proposal_blocks_nothing_until_the_owner_consents(
    agreement, occupant_member, other_requester
):
    window = _propose(agreement, occupant_member)

    assert window.status == SharingWindowStatus.PROPOSED
    assert _allocation_rows(agreement) == [(paris(2027, 1, 1), paris(2028, 1, 1))]
    with pytest.raises(BookingConflict):
        booking_request_for(
            space=agreement.spaces.get(),
            requested_by=other_requester,
            start=paris(2027, 1, 12, 19),
            end=paris(2027, 1, 12, 21),
        )


def test_consent_leaves_each_date_of_the_window_free_and_the_rest_to_the_occupant(
    window, agreement
):
    rows = _allocation_rows(agreement)

    # 26 Tuesdays from 5 January to 29 June: 27 pieces of the agreement around them.
    assert len(rows) == 27
    assert rows[0] == (paris(2027, 1, 1), paris(2027, 1, 5, 18))
    assert rows[1] == (paris(2027, 1, 5, 22), paris(2027, 1, 12, 18))
    # After the clock change (28 March) the window keeps its wall-clock times.
    assert (paris(2027, 3, 30, 22), paris(2027, 4, 6, 18)) in rows
    assert rows[-1] == (paris(2027, 6, 29, 22), paris(2028, 1, 1))
    assert window.consented_at is not None


def test_another_structure_books_inside_the_window_and_the_occupant_approves(
    window, agreement, occupant_member, other_requester, commune_staff
):
    room = agreement.spaces.get()
    inside = Period(paris(2027, 1, 12, 19), paris(2027, 1, 12, 21))
    outside = Period(paris(2027, 1, 13, 19), paris(2027, 1, 13, 21))
    assert room in spaces_available(user=other_requester, period=inside)
    assert room not in spaces_available(user=other_requester, period=outside)

    booking = booking_request_for(
        space=room,
        requested_by=other_requester,
        start=paris(2027, 1, 12, 19),
        end=paris(2027, 1, 12, 21),
    )

    assert booking.status == BookingStatus.PENDING  # the room confirms at once, not here
    assert booking.sharing_window == window
    assert booking in bookings_pending_for(occupant_member)
    assert booking in bookings_pending_for(commune_staff)
    deciders = {user.email for user in booking_routing(booking).deciders}
    assert {"jardins@example.test", "staff@example.test"} <= deciders
    assert booking_actions_for(user=occupant_member, booking=booking).can_decide
    assert booking_approve(booking=booking, actor=occupant_member) is True
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_outside_the_window_the_occupants_use_wins_with_a_french_message(
    window, agreement, other_requester
):
    with pytest.raises(BookingConflict) as refusal:
        booking_request_for(
            space=agreement.spaces.get(),
            requested_by=other_requester,
            start=paris(2027, 1, 12, 17),  # starts before the window opens
            end=paris(2027, 1, 12, 19),
        )

    message = str(refusal.value.message)
    assert "Les Jardins de Denain" in message
    assert f"no. {agreement.pk}" in message or f"n° {agreement.pk}" in message
    assert "18\xa0h" in message


def test_a_series_with_dates_past_the_window_is_refused(window, agreement, other_requester):
    with pytest.raises((BookingConflict, ValidationError)):
        booking_request_for(
            space=agreement.spaces.get(),
            requested_by=other_requester,
            start=paris(2027, 6, 22, 19),
            end=paris(2027, 6, 22, 21),
            frequency="weekly",
            repeat_count=3,  # 6 July falls after the window's last day
        )
    assert not SharingWindow.objects.filter(bookings__isnull=False).exists()


def test_the_occupant_refuses_and_a_manager_of_the_requester_may_not_decide(
    window, agreement, occupant_member, other_requester
):
    booking = booking_request_for(
        space=agreement.spaces.get(),
        requested_by=other_requester,
        start=paris(2027, 1, 19, 18),
        end=paris(2027, 1, 19, 22),
    )
    with pytest.raises((DecisionNotAllowed, ConflictOfInterest)):
        booking_approve(booking=booking, actor=other_requester)
    assert booking_refuse(booking=booking, actor=occupant_member, reason="Salle en travaux")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REFUSED


def test_the_occupant_decides_only_the_bookings_of_its_windows(
    window, occupant_member, other_requester, site
):
    from tests.factories import SpaceFactory

    elsewhere = SpaceFactory(site=site, name="Salle Cail", instant_confirmation=False)
    booking = booking_request_for(
        space=elsewhere,
        requested_by=other_requester,
        start=paris(2027, 1, 12, 19),
        end=paris(2027, 1, 12, 21),
    )
    with pytest.raises(PermissionDenied):
        booking_approve(booking=booking, actor=occupant_member)


def test_withdrawal_is_refused_while_bookings_remain_then_gives_the_dates_back(
    window, agreement, occupant_member, other_requester, commune_staff
):
    booking = booking_request_for(
        space=agreement.spaces.get(),
        requested_by=other_requester,
        start=paris(2027, 1, 12, 19),
        end=paris(2027, 1, 12, 21),
    )
    with pytest.raises(ValidationError) as refusal:
        sharing_window_withdraw(window=window, actor=occupant_member, reason="On reprend")
    assert "1 réservation d'une autre structure dans ce créneau partagé est encore à venir" in (
        " ".join(refusal.value.messages)
    )
    with pytest.raises(ValidationError):
        sharing_window_withdraw(window=window, actor=occupant_member, reason="  ")
    window.refresh_from_db()
    assert window.status == SharingWindowStatus.ACTIVE

    booking_cancel(booking=booking, actor=other_requester, reason="Plus besoin")
    assert sharing_window_withdraw(window=window, actor=commune_staff, reason="Fin du prêt")

    window.refresh_from_db()
    assert window.status == SharingWindowStatus.WITHDRAWN
    assert window.withdrawn_by == commune_staff
    # Every Tuesday from now on is the occupant's again.
    assert not [
        row
        for row in _allocation_rows(agreement)
        if row[0] > paris(2027, 1, 4, 9) and row[0].hour == 22
    ] or all(
        Occupancy.objects.filter(
            allocation=agreement, active=True, start__lte=day, end__gte=day
        ).exists()
        for day in (paris(2027, 1, 12, 19), paris(2027, 6, 29, 21))
    )
    with pytest.raises(BookingConflict):
        booking_request_for(
            space=agreement.spaces.get(),
            requested_by=other_requester,
            start=paris(2027, 1, 19, 19),
            end=paris(2027, 1, 19, 21),
        )
    assert sharing_window_withdraw(window=window, actor=commune_staff, reason="Encore") is False


def test_who_may_propose_consent_and_withdraw(
    agreement, occupant_member, commune_staff, other_requester
):
    with pytest.raises(PermissionDenied):  # an outsider does not see the agreement
        _propose(agreement, other_requester)
    with pytest.raises(DecisionNotAllowed):  # the owner's staff does not propose for it
        _propose(agreement, commune_staff)
    window = _propose(agreement, occupant_member)
    with pytest.raises(DecisionNotAllowed):  # the occupant does not consent for the owner
        sharing_window_consent(window=window, actor=occupant_member)
    with pytest.raises(PermissionDenied):
        sharing_window_consent(window=window, actor=other_requester)
    with pytest.raises(PermissionDenied):
        sharing_window_withdraw(window=window, actor=other_requester, reason="x")
    assert sharing_window_withdraw(window=window, actor=occupant_member, reason="Erreur")
    with pytest.raises(InvalidTransition):
        sharing_window_consent(window=window, actor=commune_staff)
    assert (
        Occupancy.objects.filter(allocation=agreement, kind=OccupancyKind.ALLOCATION).count() == 1
    )


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"start_time": time(22), "end_time": time(18)}, "end_time"),
        ({"start_time": time(18, 7)}, "start_time"),
        ({"valid_from": date(2026, 12, 1)}, "valid_from"),
        ({"valid_until": date(2028, 3, 1)}, "valid_until"),
        ({"occupant_share_percent": 170}, "occupant_share_percent"),
        ({"occupant_share_percent": "70"}, "occupant_share_percent"),
        ({"weekday": 9}, "weekday"),
        ({"space": 10**12}, "space"),
        ({"valid_from": date(2027, 1, 6), "valid_until": date(2027, 1, 11)}, "weekday"),
        # 02:30 on 28 March 2027 does not exist in Paris.
        (
            {
                "weekday": Weekday.SUNDAY,
                "start_time": time(2, 30),
                "end_time": time(4),
                "valid_from": date(2027, 3, 28),
                "valid_until": date(2027, 3, 28),
            },
            "start_time",
        ),
    ],
)
def test_hostile_or_wrong_input_is_refused_in_french_and_nothing_written(
    agreement, occupant_member, fields, key
):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as refusal:
        _propose(agreement, occupant_member, **fields)

    assert key in refusal.value.message_dict
    assert not SharingWindow.objects.exists()


def test_the_fee_and_the_aid_are_split_as_the_window_says(
    window,
    agreement,
    occupant,
    occupant_member,
    other_requester,
    other_organisation,
    client,
    commune_staff,
):
    from payments.models import Tariff
    from payments.selectors import billing_lines, booking_quote
    from reports.selectors.aid import booking_aid_lines

    room = agreement.spaces.get()
    Tariff.objects.create(space=room, category="other", unit="hour", amount_cents=3000)
    Tariff.objects.create(space=room, category="association", unit="hour", amount_cents=1000)
    booking = booking_request_for(
        space=room,
        requested_by=other_requester,
        start=paris(2027, 1, 12, 19),
        end=paris(2027, 1, 12, 21),
    )
    booking_approve(booking=booking, actor=occupant_member)
    assert booking_quote(booking=booking).amount_cents == 2000

    (line,) = billing_lines(
        owner=room.site.owner, first_day=date(2027, 1, 1), last_day=date(2027, 1, 31)
    )
    # The owner issues the titre for the whole fee; 70 % of it is the occupant's.
    assert (line.reference, line.amount_cents) == (f"RES-{booking.pk}", 2000)
    assert (line.occupant, line.occupant_percent, line.occupant_cents) == (occupant, 70, 1400)

    # The accountant's export names the occupant and its share, in euros.
    from payments.models import ChannelKind, PaymentChannel
    from tests.payments.test_accounting_export import _rows, _url

    PaymentChannel.objects.create(owner=room.site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING)
    client.force_login(commune_staff)
    (row,) = _rows(client.get(_url(room.site.owner)))
    assert row["reference_reservation"] == f"RES-{booking.pk}"
    assert (row["occupant"], row["siret_occupant"]) == (occupant.name, occupant.siret)
    assert Decimal(str(row["part_occupant_eur"])) == Decimal("14.00")

    (aid,) = booking_aid_lines(year=2027, structure=other_organisation)
    # Valued at the public rate (2 h × 30 €) minus the 20 € paid: 40 €, 28 € from the occupant.
    assert aid.value_cents == 4000
    assert (aid.occupant, aid.occupant_value_cents, aid.owner_value_cents) == (occupant, 2800, 1200)


def test_the_split_rounds_half_up_and_adds_up():
    from payments.rules import shared_split

    split = shared_split(1001, 70)
    assert (split.occupant_cents, split.owner_cents) == (701, 300)  # 700.7 → 701
    assert shared_split(5, 50).occupant_cents == 3  # 2.5 → 3
    assert shared_split(0, 70).owner_cents == 0
    assert shared_split(999, 0).occupant_cents == 0
    assert shared_split(999, 100).owner_cents == 0


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: the exclusion constraint"
)


@pytest.mark.django_db(transaction=True)
def test_two_structures_race_for_the_same_shared_slot_and_exactly_one_wins(window, agreement):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads cannot share an in-memory SQLite database")
    room = agreement.spaces.get()
    # The room's django-scheduler calendar exists before the race (its unique slug would
    # serialise the racers by itself).
    (first,) = requesters(1)
    booking_request_for(
        space=room, requested_by=first, start=paris(2027, 1, 5, 18), end=paris(2027, 1, 5, 19)
    )
    users = requesters(2)

    def attempt(user):
        def run() -> str:
            booking_request_for(
                space=room,
                requested_by=user,
                organisation=user.memberships.get().organisation,
                start=paris(2027, 1, 12, 19),
                end=paris(2027, 1, 12, 21),
            )
            return "booked"

        return run

    outcomes = race([attempt(user) for user in users])

    assert outcomes == Counter({"booked": 1, "BookingConflict": 1})
    assert (
        Occupancy.objects.filter(
            space=room, active=True, kind=OccupancyKind.BOOKING, start=paris(2027, 1, 12, 19)
        ).count()
        == 1
    )


@needs_postgresql
def test_the_exclusion_constraint_still_guards_the_occupants_time(
    window, agreement, other_requester
):
    """A writer that skipped the checks cannot put a booking's date over the agreement's rows
    outside the window: the database refuses it."""
    from bookings.services.occupancy import occupancies_book

    booking = booking_request_for(
        space=agreement.spaces.get(),
        requested_by=other_requester,
        start=paris(2027, 1, 12, 19),
        end=paris(2027, 1, 12, 21),
    )
    with pytest.raises(BookingConflict), transaction.atomic():
        occupancies_book(
            booking=booking, periods=[Period(paris(2027, 1, 13, 19), paris(2027, 1, 13, 21))]
        )


# --- The pages: the agreement's, the request form, the booking's ---


def _post_proposal(client, agreement, **fields):
    data = {
        "share-space": agreement.spaces.get().pk,
        "share-weekday": Weekday.SATURDAY,
        "share-start_time": "09:00",
        "share-end_time": "12:00",
        "share-valid_from": "2027-01-09",
        "share-valid_until": "2027-03-27",
        "share-occupant_share_percent": "60",
        **fields,
    }
    return client.post(reverse("bookings:allocation-sharing-propose", args=[agreement.pk]), data)


def test_the_occupant_proposes_and_the_owner_consents_from_the_agreements_page(
    client, agreement, occupant_member, commune_staff
):
    client.force_login(occupant_member)
    page = client.get(agreement.get_absolute_url())
    assert "Propose a shared time" in page.text or "Proposer un créneau partagé" in page.text

    response = _post_proposal(client, agreement)

    assert response.status_code == 302
    window = SharingWindow.objects.get()
    assert (window.weekday, window.occupant_share_percent) == (Weekday.SATURDAY, 60)
    page = client.get(agreement.get_absolute_url())
    assert reverse("bookings:allocation-sharing-consent", args=[window.pk]) not in page.text

    client.force_login(commune_staff)
    page = client.get(agreement.get_absolute_url())
    consent = reverse("bookings:allocation-sharing-consent", args=[window.pk])
    assert consent in page.text
    assert client.post(consent).status_code == 302
    window.refresh_from_db()
    assert window.status == SharingWindowStatus.ACTIVE


def test_a_wrong_proposal_comes_back_with_french_errors_and_nothing_saved(
    client, agreement, occupant_member
):
    client.force_login(occupant_member)

    response = _post_proposal(client, agreement, **{"share-end_time": "08:00"})

    assert response.status_code == 400
    assert "La fin doit venir après le début, le même jour." in response.text
    response = _post_proposal(client, agreement, **{"share-occupant_share_percent": "\x00"})
    assert response.status_code == 400
    assert not SharingWindow.objects.exists()


def test_outsiders_get_a_404_and_the_occupant_a_403_on_consent(
    client, agreement, occupant_member, other_requester
):
    window = sharing_window_propose(
        allocation=agreement,
        actor=occupant_member,
        space=agreement.spaces.get(),
        weekday=1,
        start_time=time(18),
        end_time=time(22),
        valid_from=date(2027, 1, 5),
        valid_until=date(2027, 2, 23),
        occupant_share_percent=50,
    )
    client.force_login(other_requester)
    for name in ("allocation-sharing-consent", "allocation-sharing-withdraw"):
        assert client.post(reverse(f"bookings:{name}", args=[window.pk])).status_code == 404
    assert _post_proposal(client, agreement).status_code == 404
    client.force_login(occupant_member)
    consent = reverse("bookings:allocation-sharing-consent", args=[window.pk])
    assert client.post(consent).status_code == 403
    window.refresh_from_db()
    assert window.status == SharingWindowStatus.PROPOSED


def test_the_withdrawal_needs_a_reason_then_closes_the_window(
    client, window, agreement, occupant_member
):
    client.force_login(occupant_member)
    url = reverse("bookings:allocation-sharing-withdraw", args=[window.pk])

    assert client.post(url, {f"unshare{window.pk}-reason": ""}).status_code == 400
    assert client.post(url, {f"unshare{window.pk}-reason": "On reprend"}).status_code == 302
    window.refresh_from_db()
    assert window.status == SharingWindowStatus.WITHDRAWN


def test_the_agreements_page_reads_the_same_queries_whatever_the_number_of_windows(
    client, agreement, occupant_member, commune_staff
):
    def propose(weekday):
        return sharing_window_propose(
            allocation=agreement,
            actor=occupant_member,
            space=agreement.spaces.get(),
            weekday=weekday,
            start_time=time(18),
            end_time=time(22),
            valid_from=date(2027, 1, 5),
            valid_until=date(2027, 2, 28),
            occupant_share_percent=50,
        )

    sharing_window_consent(window=propose(0), actor=commune_staff)
    client.force_login(commune_staff)
    with CaptureQueriesContext(connection) as one:
        assert client.get(agreement.get_absolute_url()).status_code == 200
    for weekday in (1, 2, 3):
        sharing_window_consent(window=propose(weekday), actor=commune_staff)
    with CaptureQueriesContext(connection) as four:
        page = client.get(agreement.get_absolute_url())
    assert page.text.count(reverse("bookings:allocation-sharing-withdraw", args=[1])[:-11]) >= 4
    assert len(four) == len(one)


def test_the_request_form_and_the_booking_page_say_the_room_is_shared(
    client, window, agreement, other_requester
):
    room = agreement.spaces.get()
    client.force_login(other_requester)
    form = client.get(reverse("bookings:booking-create", args=[room.pk]))
    assert form.status_code == 200
    assert "Les Jardins de Denain" in form.text
    assert f"{agreement.pk}" in form.text

    booking = booking_request_for(
        space=room,
        requested_by=other_requester,
        start=paris(2027, 1, 12, 19),
        end=paris(2027, 1, 12, 21),
    )
    page = client.get(booking.get_absolute_url())
    assert "Les Jardins de Denain" in page.text


# --- The API ---


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_proposes_lists_consents_and_withdraws(
    agreement, occupant_member, commune_staff, other_requester
):
    url = reverse("api:allocation-sharing-windows", args=[agreement.pk])
    body = {
        "space": agreement.spaces.get().pk,
        "weekday": 5,
        "start_time": "09:00",
        "end_time": "12:00",
        "valid_from": "2027-01-09",
        "valid_until": "2027-03-27",
        "occupant_share_percent": 70,
    }

    created = _api(occupant_member).post(url, body, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["status"] == "proposed"
    assert created.json()["owner_share_percent"] == 30
    window_id = created.json()["id"]
    with CaptureQueriesContext(connection) as one:
        assert [row["id"] for row in _api(commune_staff).get(url).json()] == [window_id]
    for weekday in (1, 2):
        _api(occupant_member).post(url, {**body, "weekday": weekday}, format="json")
    with CaptureQueriesContext(connection) as three:
        assert len(_api(commune_staff).get(url).json()) == 3
    assert len(three) == len(one)
    assert _api(other_requester).get(url).status_code == 404
    consent = reverse("api:sharing-window-consent", args=[window_id])
    assert _api(other_requester).post(consent, {}, format="json").status_code == 404
    assert _api(occupant_member).post(consent, {}, format="json").status_code == 403
    consented = _api(commune_staff).post(consent, {}, format="json")
    assert consented.status_code == 200
    assert consented.json()["status"] == "active"
    withdraw = reverse("api:sharing-window-withdraw", args=[window_id])
    withdrawn = _api(occupant_member).post(withdraw, {"reason": "Fin du prêt"}, format="json")
    assert withdrawn.json()["status"] == "withdrawn"
    again = _api(commune_staff).post(consent, {}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekday": 9}, "weekday"),
        ({"occupant_share_percent": 10**20}, "occupant_share_percent"),
        ({"start_time": "18:07"}, "start_time"),
        ({"start_time": "25:00"}, "start_time"),
        ({"valid_from": "2026-12-01"}, "valid_from"),
        ({"space": "1; DROP TABLE"}, "space"),
    ],
)
def test_the_api_refuses_hostile_input_in_french(agreement, occupant_member, changes, field):
    body = {
        "space": agreement.spaces.get().pk,
        "weekday": 5,
        "start_time": "09:00",
        "end_time": "12:00",
        "valid_from": "2027-01-09",
        "valid_until": "2027-03-27",
        "occupant_share_percent": 70,
        **changes,
    }
    response = _api(occupant_member).post(
        reverse("api:allocation-sharing-windows", args=[agreement.pk]),
        body,
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == 400
    assert field in response.json()
    assert not SharingWindow.objects.exists()


def test_withdrawal_with_control_characters_in_the_reason_is_refused(window, occupant_member):
    response = _api(occupant_member).post(
        reverse("api:sharing-window-withdraw", args=[window.pk]),
        {"reason": "fin\x00"},
        format="json",
    )

    assert response.status_code == 400
    window.refresh_from_db()
    assert window.status == SharingWindowStatus.ACTIVE


# Who hears of a shared time (bookings.allocations.notifications.sharing_window_notify): the
# e-mails go through the outbox after commit, to a real SMTP server.
OWNER_DECIDERS = ("manager@example.test", "staff@example.test")
OCCUPANT_SIDE = ("benevole@example.test", "jardins@example.test")


@pytest.fixture
def told(smtp_inbox, agreement, occupant, facilities_manager):
    """A second member of the occupant, a manager of the site whom the owner did not delegate
    (he may not consent: he hears nothing of a proposal); the agreement's own messages read."""
    from tests.stack.smtp import text_of

    MembershipFactory(organisation=occupant, user=UserFactory(email="benevole@example.test"))
    agreement.spaces.get().site.managers.add(UserFactory(email="concierge@example.test"))
    smtp_inbox.deliver()
    smtp_inbox.clear()

    def only_to(addresses):
        inbox = smtp_inbox.deliver()
        received = {str(message["To"]).strip(): message for message in inbox.messages}
        assert sorted(received) == sorted(addresses)
        smtp_inbox.clear()
        return {address: text_of(message) for address, message in received.items()} | {
            "subjects": {
                address: message["Subject"].strip() for address, message in received.items()
            }
        }

    return only_to


def test_a_proposal_is_told_to_who_may_consent_for_the_owner(
    told, agreement, occupant_member, commune_staff
):
    from accounts.models import Notification

    type(commune_staff).objects.filter(email="manager@example.test").update(language="en")
    window = _propose(agreement, occupant_member)

    received = told(OWNER_DECIDERS)
    assert received["subjects"]["staff@example.test"] == (
        "[Locaux Communs] Créneau partagé proposé — Les Jardins de Denain, Salle Usinor"
    )
    assert (
        "every tuesday from 18:00 to 22:00, from Tuesday 5 January 2027"
        in (received["manager@example.test"])
    )
    text = received["staff@example.test"]
    assert "Les Jardins de Denain propose d'ouvrir Salle Usinor" in text
    assert f"convention n° {agreement.pk}" in text
    assert "chaque mardi de 18h00 à 22h00, du mardi 5 janvier 2027 au mardi 29 juin 2027" in text
    assert "Part de l'occupant dans les redevances de ces réservations : 70 %" in text
    assert agreement.get_absolute_url() in text
    entry = Notification.objects.get(user=commune_staff, topic="sharing_proposed")
    assert entry.link == agreement.get_absolute_url()
    assert window.status == SharingWindowStatus.PROPOSED


def test_a_consent_is_told_to_the_occupants_members(
    told, agreement, occupant_member, facilities_manager
):
    window = _propose(agreement, occupant_member)
    told(OWNER_DECIDERS)

    assert sharing_window_consent(window=window, actor=facilities_manager) is True

    received = told(OCCUPANT_SIDE)
    assert (
        "a donné son accord au créneau partagé de Salle Usinor" in received["jardins@example.test"]
    )
    assert "Votre part de leurs redevances : 70 %" in received["benevole@example.test"]
    assert sharing_window_consent(window=window, actor=facilities_manager) is False
    told(())  # already active: nothing told again


def test_a_withdrawal_by_the_occupant_is_told_to_both_sides_by_the_owner_to_the_occupant(
    told, agreement, occupant_member, commune_staff
):
    first = _propose(agreement, occupant_member)
    sharing_window_consent(window=first, actor=commune_staff)
    second = _propose(agreement, occupant_member, weekday=Weekday.THURSDAY)
    told(OWNER_DECIDERS + OCCUPANT_SIDE)

    sharing_window_withdraw(window=first, actor=occupant_member, reason="Salle en travaux.")
    received = told(OWNER_DECIDERS + OCCUPANT_SIDE)
    assert "Les Jardins de Denain a retiré le créneau partagé" in received["staff@example.test"]
    assert "Motif : Salle en travaux." in received["staff@example.test"]
    assert "de nouveau réservée à l'occupant" in received["jardins@example.test"]

    sharing_window_withdraw(window=second, actor=commune_staff, reason="Pas d'accord.")
    received = told(OCCUPANT_SIDE)
    assert "a retiré le créneau partagé" in received["benevole@example.test"]
    assert "de nouveau réservée" not in received["benevole@example.test"]  # never opened


def test_a_refused_step_tells_nobody(told, agreement, occupant_member, commune_staff):
    with pytest.raises(DecisionNotAllowed):
        _propose(agreement, commune_staff)
    with pytest.raises(ValidationError):
        _propose(agreement, occupant_member, occupant_share_percent=101)
    told(())

    window = _propose(agreement, occupant_member)
    told(OWNER_DECIDERS)
    with pytest.raises((DecisionNotAllowed, ConflictOfInterest)):
        sharing_window_consent(window=window, actor=occupant_member)
    with pytest.raises(ValidationError):
        sharing_window_withdraw(window=window, actor=occupant_member, reason="  ")
    told(())
