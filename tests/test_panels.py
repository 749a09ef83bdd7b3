"""Panels: the booking, agreement and space pages show the payments and calls blocks those
apps register (core.panels), and stand on their own without them.

Removing payments or calls from INSTALLED_APPS cannot be tested with their models in the
database; emptying the registry is what the pages would see.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from bookings.models import Booking
from calls.models import CallStatus
from payments.models import ChannelKind, PaymentChannel
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.agreements import agreement_payment_requests_issue
from payments.services.tariffs import tariff_set
from spaces.models import SpaceKind
from tests.factories import (
    CallLotFactory,
    MembershipFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    WaitingListEntryFactory,
    agreement_signed,
    booking_request_for,
)

PARIS = ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.usefixtures("frozen_clock")

# The blocks payments and calls add (their headings' ids, the price rows).
BOOKING_BLOCKS = ['id="payment-title"', 'id="deposit-title"', "<dt>Prix</dt>"]
AGREEMENT_BLOCKS = ['id="agreement-payments-title"']
SPACE_BLOCKS = ['id="open-calls-heading"', 'id="tariffs-title"', 'id="waiting-candidates"']
FORM_BLOCKS = ['class="price-quote"']


@pytest.fixture
def no_panels():
    """The pages as they are without the apps that fill their slots."""
    from core.panels import registry_replaced

    with registry_replaced({}):
        yield


@pytest.fixture
def association(db):
    return VerifiedStructureFactory(name="Les Amis du Vélo")


@pytest.fixture
def requester(association):
    return MembershipFactory(organisation=association, user=UserFactory()).user


@pytest.fixture
def office(site, association, territory_admin):
    """Priced by the hour with a deposit, collected by card; vacant and allocatable, offered by
    an open call and fitting a structure's need on the waiting list."""
    PaymentChannel.objects.create(
        owner=site.owner,
        kind=ChannelKind.STRIPE,
        stripe_publishable_key="pk_test_panels",
        stripe_secret_key="sk_test_panels",
        stripe_webhook_secret="whsec_test_panels",
    )
    space = SpaceFactory(
        site=site,
        name="Bureau 12",
        kind=SpaceKind.OFFICE,
        surface_m2=Decimal("40"),
        allocatable=True,
        vacant_since=date(2026, 9, 1),
        deposit_cents=200_00,
    )
    tariff_set(
        space=space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.HOUR,
        amount_cents=15_00,
        actor=territory_admin,
    )
    CallLotFactory(call__status=CallStatus.PUBLISHED, call__owner=site.owner, space=space)
    WaitingListEntryFactory(structure=association)
    return space


@pytest.fixture
def booking(office, requester) -> Booking:
    return booking_request_for(
        space=office,
        requested_by=requester,
        start=datetime(2027, 1, 12, 18, tzinfo=PARIS),
        end=datetime(2027, 1, 12, 20, tzinfo=PARIS),
    )


@pytest.fixture
def agreement(office, territory_admin, association):
    """Signed on the office, 12,000 € a year, with its January payment requested by card."""
    allocation = agreement_signed(
        actor=territory_admin,
        structure=association,
        spaces=[office],
        start=date(2027, 1, 1),
        end=date(2028, 1, 1),
        annual_fee_cents=12_000_00,
    )
    agreement_payment_requests_issue(month=date(2027, 1, 1))
    return allocation


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _shown(page: str, blocks: list[str]) -> list[str]:
    return [block for block in blocks if block in page]


# --- With the panels of payments and calls ---


def test_booking_page_shows_the_price_payment_and_deposit(client, booking, requester):
    page = _page(client, requester, booking.get_absolute_url())

    assert _shown(page, BOOKING_BLOCKS) == BOOKING_BLOCKS


def test_request_form_shows_the_price_hint(client, office, requester):
    page = _page(client, requester, reverse("bookings:booking-create", args=[office.pk]))

    assert _shown(page, FORM_BLOCKS) == FORM_BLOCKS


def test_agreement_page_shows_the_monthly_payments(client, agreement, requester):
    page = _page(client, requester, agreement.get_absolute_url())

    assert _shown(page, AGREEMENT_BLOCKS) == AGREEMENT_BLOCKS


def test_space_page_shows_calls_tariffs_and_candidates_to_its_manager(
    client, office, facilities_manager
):
    page = _page(client, facilities_manager, office.get_absolute_url())

    assert _shown(page, SPACE_BLOCKS) == SPACE_BLOCKS


def test_booking_page_offers_the_requester_to_place_the_deposit(client, office, requester):
    office.instant_confirmation = True
    office.save(update_fields=["instant_confirmation"])
    booking = booking_request_for(
        space=office,
        requested_by=requester,
        start=datetime(2027, 1, 6, 18, tzinfo=PARIS),
        end=datetime(2027, 1, 6, 20, tzinfo=PARIS),
    )

    page = _page(client, requester, booking.get_absolute_url())

    form = page[page.index('id="deposit-title"') :]
    form = form[form.index("<form") : form.index("</form>")]
    assert f'action="{reverse("payments:deposit-place", args=[booking.pk])}"' in form
    assert 'name="csrfmiddlewaretoken"' in form


# --- Without them ---


@pytest.mark.usefixtures("no_panels")
def test_booking_page_without_panels_shows_no_payment_block(client, booking, requester):
    page = _page(client, requester, booking.get_absolute_url())

    assert _shown(page, BOOKING_BLOCKS) == []


@pytest.mark.usefixtures("no_panels")
def test_request_form_without_panels_shows_no_price(client, office, requester):
    page = _page(client, requester, reverse("bookings:booking-create", args=[office.pk]))

    assert _shown(page, FORM_BLOCKS) == []


@pytest.mark.usefixtures("no_panels")
def test_agreement_page_without_panels_shows_no_payments(client, agreement, requester):
    page = _page(client, requester, agreement.get_absolute_url())

    assert _shown(page, AGREEMENT_BLOCKS) == []


@pytest.mark.usefixtures("no_panels")
def test_space_page_without_panels_shows_no_calls_tariffs_or_candidates(
    client, office, facilities_manager
):
    page = _page(client, facilities_manager, office.get_absolute_url())

    assert _shown(page, SPACE_BLOCKS) == []


# --- What the pages cost: as many queries as when their templates loaded the apps' tags ---
# (plus one since issue 12: the menu's count of unread notifications, on every signed-in page;
# since issue 13 that query also reads the roles, and the menu's count of requests to decide costs
# two more queries for those who decide)


def test_booking_page_queries(client, booking, requester, django_assert_num_queries):
    client.force_login(requester)

    # 24 since issue 13: the deposit panel asks how the collector takes payments (a deposit
    # cannot be held without a card channel, and the page says what to do instead).
    # 28 since issue 16: the space's questions, the answers, the files and what the approval
    # waits for (4), the equipment booked (1), the conversation (1).
    # 29: the space's check-in setting (issue 16, check-in at the door).
    with django_assert_num_queries(29):
        client.get(booking.get_absolute_url())


def test_agreement_page_queries(client, agreement, requester, django_assert_num_queries):
    client.force_login(requester)

    # 13 before shared use (issue 17): + the agreement's shared times, and two checks of what the
    # user may do with them (propose as the occupant's member, consent as the owner's side).
    with django_assert_num_queries(16):
        client.get(agreement.get_absolute_url())


def test_space_page_queries_for_its_manager(
    client, office, facilities_manager, django_assert_num_queries
):
    client.force_login(facilities_manager)

    # 18: the menu's count of requests to decide (2), and the opening hours read with the space
    # (issue 13: the page states them).
    with django_assert_num_queries(15):
        client.get(office.get_absolute_url())


def test_space_page_queries_for_the_public(client, office, django_assert_num_queries):
    with django_assert_num_queries(6):
        client.get(office.get_absolute_url())
