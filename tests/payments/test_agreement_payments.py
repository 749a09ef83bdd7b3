"""Monthly payment requests of long-term agreements, paid by card against localstripe."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.template.loader import render_to_string
from django.utils import timezone

from bookings.allocations import allocation_end
from payments.models import ChannelKind, Payment, PaymentChannel, PaymentPurpose, PaymentStatus
from payments.selectors import (
    agreement_payments,
    agreement_payments_overdue,
    agreement_payments_overdue_for,
)
from payments.services.agreements import (
    AGREEMENT_PAYMENT_DUE,
    agreement_payment_requests_issue,
)
from payments.services.cards import payment_pay, payment_release, payments_expire_unpaid
from spaces.models import SpaceKind
from tests.factories import SpaceFactory, StructureFactory, agreement_signed

PARIS = ZoneInfo("Europe/Paris")
ANNUAL_CENTS = 12_000_00  # 1,000 € a month
NOW = datetime(2027, 2, 1, 8, tzinfo=PARIS)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def frozen_now():
    """This module stops the clock at Monday 1 February 2027, 08:00 in Paris."""
    return NOW


def office(site, name: str = "Bureau 12"):
    return SpaceFactory(
        site=site, name=name, kind=SpaceKind.OFFICE, allocatable=True, bookable=False
    )


def signed(actor, structure, site, *, fee: int = ANNUAL_CENTS, start=date(2027, 1, 15), **kw):
    return agreement_signed(
        actor=actor,
        structure=structure,
        spaces=[office(site, name=kw.pop("name", "Bureau 12"))],
        start=start,
        end=kw.pop("end", date(2028, 1, 15)),
        annual_fee_cents=fee,
        **kw,
    )


@pytest.fixture
def agreement(collector, territory_admin, association, requester, site):
    """Active since 15 January 2027, 12,000 € a year, owner collecting by card."""
    return signed(territory_admin, association, site)


def issue(month: str) -> str:
    out = StringIO()
    call_command("request_agreement_payments", month=month, stdout=out)
    return out.getvalue()


def test_the_command_issues_the_month_of_an_agreement_collected_by_card(agreement, site):
    output = issue("2027-02")

    [payment] = Payment.objects.all()
    assert output.startswith("1 payment request(s) issued for 2027-02")
    assert (payment.purpose, payment.allocation, payment.owner) == (
        PaymentPurpose.AGREEMENT_FEE,
        agreement,
        site.owner,
    )
    assert (payment.period_start, payment.period_end) == (date(2027, 2, 1), date(2027, 3, 1))
    assert payment.amount_cents == 1_000_00
    assert not payment.hold_first
    assert payment.due_by == NOW + AGREEMENT_PAYMENT_DUE


def test_the_first_month_of_an_agreement_starting_on_the_15th_is_prorated(agreement):
    issue("2027-01")

    [payment] = Payment.objects.all()
    assert (payment.period_start, payment.period_end) == (date(2027, 1, 15), date(2027, 2, 1))
    assert payment.amount_cents == 548_39  # 1,000 € × 17/31
    assert "17/31" in payment.price_rule


def test_the_command_run_twice_issues_nothing_new(agreement):
    issue("2027-02")

    output = issue("2027-02")

    assert output.startswith("0 payment request(s)")
    assert Payment.objects.count() == 1


def test_a_month_whose_request_was_released_is_not_requested_again(agreement, territory_admin):
    [payment] = agreement_payment_requests_issue(month=date(2027, 2, 1))
    payment_release(payment=payment, actor=territory_admin, reason="Waived by the council")

    assert agreement_payment_requests_issue(month=date(2027, 2, 1)) == []


def test_the_month_of_an_agreement_ended_before_it_is_not_requested(agreement, commune_staff):
    allocation_end(allocation=agreement, actor=commune_staff, reason="Départ", on=date(2027, 2, 1))

    assert agreement_payment_requests_issue(month=date(2027, 2, 1)) == []


def test_free_agreements_get_no_payment(collector, territory_admin, association, site):
    signed(territory_admin, association, site, fee=0)

    assert issue("2027-02").startswith("0 payment request(s)")
    assert not Payment.objects.exists()


def test_agreements_of_a_public_accounting_owner_get_no_payment(
    territory_admin, association, other_site
):
    PaymentChannel.objects.create(owner=other_site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING)
    signed(territory_admin, association, other_site)

    issue("2027-02")

    assert not Payment.objects.exists()


def test_agreements_of_an_owner_without_stripe_keys_get_no_payment(
    territory_admin, association, site
):
    PaymentChannel.objects.create(owner=site.owner, kind=ChannelKind.STRIPE)
    signed(territory_admin, association, site)

    issue("2027-02")

    assert not Payment.objects.exists()


def test_the_body_running_the_building_collects_the_fee(
    territory_admin, association, site, collector
):
    scic = StructureFactory(name="SCIC Les Grands Bureaux", ess_family="scic")
    PaymentChannel.objects.filter(pk=collector.pk).update(owner=scic)
    site.managing_organisation = scic
    site.save(update_fields=["managing_organisation"])
    signed(territory_admin, association, site)

    [payment] = agreement_payment_requests_issue(month=date(2027, 2, 1))

    assert payment.owner == scic


def test_a_bad_month_is_refused(db):
    with pytest.raises(CommandError, match="YYYY-MM"):
        issue("février")


def test_the_pay_link_is_mailed_to_the_structure(
    agreement, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issue("2027-02")

    [payment] = Payment.objects.all()
    [mail] = mailoutbox
    assert mail.to == ["asso@example.test"]
    assert "Paiement à effectuer" in mail.subject
    assert f"{settings.SITE_URL}{payment.get_absolute_url()}" in mail.body
    assert "1\xa0000,00 €" in mail.body
    assert "mercredi 3 mars 2027 à 08:00" in mail.body  # the deadline, 30 days on


def test_paying_the_month_by_card_collects_it_at_once(stripe_api, agreement, requester):
    [payment] = agreement_payment_requests_issue(month=date(2027, 2, 1))

    payment = payment_pay(payment=payment, actor=requester, payment_method="pm_card_visa")

    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_cents == 1_000_00


def test_an_unpaid_month_past_its_deadline_is_listed_and_not_released(agreement, site):
    [payment] = agreement_payment_requests_issue(month=date(2027, 2, 1))
    later = NOW + AGREEMENT_PAYMENT_DUE + timedelta(days=1)

    released = payments_expire_unpaid(now=later)

    payment.refresh_from_db()
    assert released == []
    assert payment.status == PaymentStatus.REQUIRES_AUTHORISATION
    assert list(agreement_payments_overdue(site.owner, now=later)) == [payment]


def test_a_month_within_its_deadline_is_not_overdue(agreement, site):
    agreement_payment_requests_issue(month=date(2027, 2, 1))

    assert not agreement_payments_overdue(site.owner, now=timezone.now()).exists()


def test_agreement_payments_lists_each_month_once(agreement):
    agreement_payment_requests_issue(month=date(2027, 1, 1))
    agreement_payment_requests_issue(month=date(2027, 2, 1))

    months = [payment.period_start for payment in agreement_payments(agreement)]

    assert months == [date(2027, 1, 15), date(2027, 2, 1)]


def test_the_partial_offers_pay_on_awaiting_months_to_the_payer(agreement):
    [payment] = agreement_payment_requests_issue(month=date(2027, 2, 1))

    as_payer = render_to_string(
        "payments/_agreement_payments.html",
        {"payments": agreement_payments(agreement), "can_pay": True},
    )
    as_manager = render_to_string(
        "payments/_agreement_payments.html",
        {"payments": agreement_payments(agreement), "can_pay": False},
    )

    assert f'class="button" href="{payment.get_absolute_url()}"' in as_payer
    assert 'class="button"' not in as_manager


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_issue_each_month_once(agreement):
    barrier = threading.Barrier(2)

    def attempt(_: int) -> int:
        barrier.wait()  # start both runs together
        try:
            return len(agreement_payment_requests_issue(month=date(2027, 2, 1)))
        finally:
            connections.close_all()  # each thread owns its connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        issued = sorted(pool.map(attempt, range(2)))

    assert issued == [0, 1]
    assert Payment.objects.count() == 1
    assert Payment.objects.get().amount_cents == 1_000_00


def test_overdue_months_are_listed_for_those_who_collect_them(
    agreement, site, commune_staff, territory_admin, requester
):
    [payment] = agreement_payment_requests_issue(month=date(2027, 2, 1))
    later = NOW + AGREEMENT_PAYMENT_DUE + timedelta(days=1)

    assert list(agreement_payments_overdue_for(commune_staff, now=later)) == [payment]
    assert list(agreement_payments_overdue_for(territory_admin, now=later)) == [payment]
    assert not agreement_payments_overdue_for(requester, now=later).exists()
