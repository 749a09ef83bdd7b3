"""Invoices and credit notes of card payments: gap-free numbers per owner, kind and year, one
document per payment or refund, VAT status, the PDF and who may download it.

Card payments run against localstripe over HTTP; the numbering tests start from payments
already collected (rows saved directly, as a factory would), since Stripe plays no part there.
"""

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, connections
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from bookings.services import booking_approve
from payments.models import (
    ChannelKind,
    Invoice,
    InvoiceKind,
    InvoiceSequence,
    Payment,
    PaymentChannel,
    PaymentStatus,
    Refund,
    RefundStatus,
    VatStatus,
)
from payments.selectors import collecting_organisation
from payments.services.cards import payment_start
from payments.services.documents import (
    credit_note_issue_for_refund,
    invoice_issue_for_payment,
    invoice_issue_or_log,
    invoice_pdf,
)
from payments.services.refunds import payment_refund
from payments.services.status import payment_followups
from payments.services.tariffs import channel_set
from tests.factories import SpaceFactory, booking_request_for
from tests.payments.conftest import HOURLY_CENTS, slot

PARIS = ZoneInfo("Europe/Paris")
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real concurrent writers and row locks"
)


def pdf_text(content: bytes) -> str:
    """The PDF's text with runs of white space (no-break ones included) made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


_days = iter(range(5, 10_000))  # each collected payment gets its own booking, on its own day


def collected(space, requester, amount_cents: int = 3000) -> Payment:
    """A card payment of a new booking of `space`, already collected."""
    start, end = slot(days=next(_days))
    booking = booking_request_for(space=space, requested_by=requester, start=start, end=end)
    return Payment.objects.create(
        booking=booking,
        owner=collecting_organisation(space),
        amount_cents=amount_cents,
        captured_cents=amount_cents,
        status=PaymentStatus.CAPTURED,
        hold_first=False,
    )


def succeeded_refund(payment: Payment, amount_cents: int) -> Refund:
    return Refund.objects.create(
        payment=payment, amount_cents=amount_cents, reason="Geste", status=RefundStatus.SUCCEEDED
    )


@pytest.fixture
def other_space(other_site):
    """A space whose fees another commune collects."""
    return SpaceFactory(site=other_site, name="Salle des fêtes")


@pytest.fixture
def booking(priced_space, requester, collector, association):
    association.rna = "W595012345"
    association.address = "3 rue de la Gare, 59220 Denain"
    association.save()
    start, end = slot()
    return booking_request_for(space=priced_space, requested_by=requester, start=start, end=end)


@pytest.fixture
def paid(stripe_api, booking, requester, facilities_manager, django_capture_on_commit_callbacks):
    """A booking's fee collected by card: held on request, captured on approval."""
    payment = payment_start(booking=booking, actor=requester, payment_method="pm_card_visa")
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, actor=facilities_manager)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    return payment


# --- Numbering ---


def test_invoice_numbers_follow_each_other_per_owner_independently(space, other_space, requester):
    first, second = collected(space, requester), collected(space, requester)
    elsewhere = collected(other_space, requester)

    numbers = [
        invoice_issue_for_payment(payment=payment).number for payment in (first, elsewhere, second)
    ]

    year = first.created_at.astimezone(PARIS).year
    assert numbers == [f"F-{year}-00001", f"F-{year}-00001", f"F-{year}-00002"]
    assert Invoice.objects.filter(owner=elsewhere.owner).count() == 1


def test_credit_notes_have_their_own_series(space, requester):
    first, second = collected(space, requester), collected(space, requester)
    invoice_issue_for_payment(payment=first)
    invoice_issue_for_payment(payment=second)

    credit_note = credit_note_issue_for_refund(refund=succeeded_refund(second, 1000))

    assert (credit_note.kind, credit_note.sequence) == (InvoiceKind.CREDIT_NOTE, 1)
    assert re.fullmatch(r"AV-\d{4}-00001", credit_note.number)


def test_invoice_numbers_start_again_each_local_year(space, requester):
    december, january = collected(space, requester), collected(space, requester)

    with time_machine.travel(datetime(2026, 12, 31, 23, 0, tzinfo=PARIS), tick=False):
        invoice_issue_for_payment(payment=december)
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=PARIS), tick=False):
        # Still 2026 in UTC: the year is the owner's local one.
        issued = invoice_issue_for_payment(payment=january)

    assert issued.number == "F-2027-00001"
    assert list(InvoiceSequence.objects.order_by("year").values_list("year", "last_number")) == [
        (2026, 1),
        (2027, 1),
    ]


def test_invoice_issue_for_payment_refuses_a_payment_not_collected(booking, collector):
    payment = Payment.objects.create(booking=booking, owner=collector.owner, amount_cents=3000)

    with pytest.raises(ValidationError):
        invoice_issue_for_payment(payment=payment)

    assert not Invoice.objects.exists()
    assert not InvoiceSequence.objects.filter(last_number__gt=0).exists()


def test_invoice_issue_or_log_logs_instead_of_raising(booking, collector, caplog):
    payment = Payment.objects.create(booking=booking, owner=collector.owner, amount_cents=3000)

    assert invoice_issue_or_log(payment=payment) is None
    assert f"The invoice of payment {payment.pk} could not be issued" in caplog.text


def test_database_refuses_a_second_invoice_for_one_payment(space, requester):
    invoice = invoice_issue_for_payment(payment=collected(space, requester))

    with pytest.raises(IntegrityError):
        Invoice.objects.create(
            **{
                field.attname: getattr(invoice, field.attname)
                for field in Invoice._meta.concrete_fields
                if field.name not in ("id", "sequence", "number")
            },
            sequence=2,
            number="F-0000-00002",
        )


# --- Issued automatically ---


def test_captured_payment_gets_one_invoice_even_when_its_followups_run_twice(paid, association):
    payment_followups(payment_id=paid.pk, from_status="authorised", to_status="captured")

    invoice = Invoice.objects.get(payment=paid)
    assert (invoice.kind, invoice.amount_cents, invoice.paid) == (
        InvoiceKind.INVOICE,
        2 * HOURLY_CENTS,
        True,
    )
    assert (invoice.debtor_name, invoice.debtor_rna) == (association.name, "W595012345")


def test_refund_gets_a_credit_note_correcting_the_invoice(paid, facilities_manager):
    refund = payment_refund(
        payment=paid, actor=facilities_manager, amount_cents=1000, reason="Salle froide"
    )

    credit_note = Invoice.objects.get(refund=refund)
    assert credit_note.kind == InvoiceKind.CREDIT_NOTE
    assert credit_note.corrects == Invoice.objects.get(payment=paid, kind=InvoiceKind.INVOICE)
    assert credit_note.amount_cents == 1000
    text = pdf_text(invoice_pdf(credit_note))
    assert f"Annule partiellement la facture n° {credit_note.corrects.number}" in text
    assert "Motif du remboursement : Salle froide" in text


def test_refund_before_the_invoice_issues_both_in_order(space, requester):
    payment = collected(space, requester)

    credit_note = credit_note_issue_for_refund(refund=succeeded_refund(payment, 3000))

    assert credit_note.corrects.payment == payment
    assert "Annule totalement" in pdf_text(invoice_pdf(credit_note))


def test_issue_missing_invoices_catches_up_once(space, requester, capsys):
    payment = collected(space, requester)
    refund = succeeded_refund(payment, 500)

    call_command("issue_missing_invoices")
    call_command("issue_missing_invoices")

    assert Invoice.objects.filter(payment=payment, kind=InvoiceKind.INVOICE).count() == 1
    assert Invoice.objects.filter(refund=refund).count() == 1
    assert capsys.readouterr().out.splitlines() == [
        "2 document(s) issued, 0 failure(s).",
        "0 document(s) issued, 0 failure(s).",
    ]


# --- Concurrency (PostgreSQL: real row locks) ---


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_invoices_issued_at_once_get_distinct_gap_free_numbers(space, requester):
    payments = [collected(space, requester) for _ in range(6)]
    barrier = threading.Barrier(len(payments))

    def issue(payment: Payment) -> int:
        barrier.wait()  # start every transaction together
        try:
            return invoice_issue_for_payment(payment=payment).sequence
        finally:
            connections.close_all()  # each thread owns its connection

    with ThreadPoolExecutor(max_workers=len(payments)) as pool:
        sequences = list(pool.map(issue, payments))

    assert sorted(sequences) == [1, 2, 3, 4, 5, 6]
    assert InvoiceSequence.objects.get().last_number == 6


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_payment_issued_twice_at_once_gets_one_invoice(space, requester):
    payment = collected(space, requester)
    barrier = threading.Barrier(2)

    def issue(_: int) -> str:
        barrier.wait()
        try:
            return invoice_issue_for_payment(payment=payment).number
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        numbers = list(pool.map(issue, range(2)))

    assert numbers[0] == numbers[1]
    assert Invoice.objects.count() == 1
    assert InvoiceSequence.objects.get().last_number == 1


# --- VAT ---


@pytest.mark.parametrize(
    ("amount_cents", "rate", "excl_vat_cents"),
    [
        (3000, 2000, 2500),
        (1234, 2000, 1028),  # 1028.33
        (3, 2000, 3),  # 2.5: half up
        (1055, 550, 1000),
        (1000, 0, 1000),
    ],
)
def test_invoice_amount_excl_vat_is_rounded_half_up(amount_cents, rate, excl_vat_cents):
    invoice = Invoice(
        amount_cents=amount_cents, vat_status=VatStatus.SUBJECT, vat_rate_basis_points=rate
    )

    assert (invoice.amount_excl_vat_cents, invoice.vat_cents) == (
        excl_vat_cents,
        amount_cents - excl_vat_cents,
    )


def test_invoice_pdf_of_an_owner_subject_to_vat_shows_ht_vat_and_ttc(space, requester, collector):
    PaymentChannel.objects.filter(pk=collector.pk).update(vat_status=VatStatus.SUBJECT)
    invoice = invoice_issue_for_payment(payment=collected(space, requester, amount_cents=1234))

    text = pdf_text(invoice_pdf(invoice))

    assert "Total HT 10,28 €" in text
    assert "Total TVA (20 %) 2,06 €" in text
    assert "Total TTC 12,34 €" in text
    assert "261 D" not in text


def test_invoice_pdf_of_an_exempt_owner_shows_the_legal_mention(space, requester, collector):
    invoice = invoice_issue_for_payment(payment=collected(space, requester, amount_cents=1234))

    text = pdf_text(invoice_pdf(invoice))

    assert invoice.vat_status == VatStatus.EXEMPT
    assert "Exonéré de TVA (location de locaux nus, art. 261 D 2° du CGI)" in text
    assert "Total 12,34 €" in text
    assert "HT" not in text


def test_invoice_keeps_the_vat_status_it_was_issued_with(space, requester, collector):
    invoice = invoice_issue_for_payment(payment=collected(space, requester))

    PaymentChannel.objects.filter(pk=collector.pk).update(vat_status=VatStatus.SUBJECT)

    assert "261 D 2°" in pdf_text(invoice_pdf(invoice))


@pytest.mark.parametrize("rate", [10_001, 25_000, -1])
def test_channel_set_rejects_a_vat_rate_outside_0_to_100_percent(site, territory_admin, rate):
    with pytest.raises(ValidationError) as error:
        channel_set(
            owner=site.owner,
            kind=ChannelKind.PUBLIC_ACCOUNTING,
            vat_status=VatStatus.SUBJECT,
            vat_rate_basis_points=rate,
            actor=territory_admin,
        )

    with translation.override("en"):  # the French catalogue is filled later
        assert error.value.message_dict == {
            "vat_rate_basis_points": ["A VAT rate is between 0 and 100 %."]
        }
    assert not PaymentChannel.objects.exists()


def test_database_refuses_a_vat_rate_above_100_percent(collector):
    with pytest.raises(IntegrityError):
        PaymentChannel.objects.filter(pk=collector.pk).update(vat_rate_basis_points=10_001)


# --- The PDF and who may download it ---


def test_invoice_pdf_is_a_tagged_pdf_with_its_number(paid, requester, client):
    invoice = Invoice.objects.get(payment=paid)
    client.force_login(requester)

    response = client.get(reverse("payments:invoice-pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'inline; filename="facture-{invoice.number}.pdf"'
    text = pdf_text(response.content)
    assert f"Facture n° {invoice.number}" in text
    assert re.search(r"Acquittée le \d{1,2}(er)? \w+ \d{4} par carte bancaire", text)
    assert f"Référence du paiement : n° {paid.pk} (opération {paid.stripe_intent_id})" in text
    root = PdfReader(io.BytesIO(response.content)).trailer["/Root"]
    assert root["/Lang"] == "fr"


def test_invoice_pdf_is_in_french_whatever_the_users_language(paid, requester, client):
    invoice = Invoice.objects.get(payment=paid)
    client.force_login(requester)

    response = client.get(
        reverse("payments:invoice-pdf", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Date d'émission" in pdf_text(response.content)


def test_invoice_pdf_is_shown_to_the_collectors_manager(paid, facilities_manager, client):
    invoice = Invoice.objects.get(payment=paid)
    client.force_login(facilities_manager)

    assert client.get(reverse("payments:invoice-pdf", args=[invoice.pk])).status_code == 200


def test_invoice_pdf_is_not_found_for_another_organisations_user(paid, member, client):
    invoice = Invoice.objects.get(payment=paid)
    client.force_login(member)

    assert client.get(reverse("payments:invoice-pdf", args=[invoice.pk])).status_code == 404


def test_invoice_pdf_asks_an_anonymous_visitor_to_log_in(paid, client):
    invoice = Invoice.objects.get(payment=paid)

    response = client.get(reverse("payments:invoice-pdf", args=[invoice.pk]))

    assert response.status_code == 302
    assert "login" in response["Location"] or "connexion" in response["Location"]


def test_invoices_partial_lists_each_document_with_its_link(space, requester):
    payment = collected(space, requester)
    invoice = invoice_issue_for_payment(payment=payment)
    credit_note = credit_note_issue_for_refund(refund=succeeded_refund(payment, 1000))

    html = render_to_string("payments/_invoices.html", {"invoices": payment.invoices.all()})

    for document in (invoice, credit_note):
        assert document.number in html
        assert f'href="{document.get_absolute_url()}"' in html
