"""The public-accounting export: billing lines as CSV for the owner's finance department."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from bookings.services import booking_approve
from payments.models import ChannelKind, PaymentChannel
from spaces.models import SpaceKind
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    booking_request_for,
)

PARIS = ZoneInfo("Europe/Paris")
SIRET = "00012345600017"
RNA = "W005012345"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def accounting(site):
    return PaymentChannel.objects.create(
        owner=site.owner,
        kind=ChannelKind.PUBLIC_ACCOUNTING,
        finance_department="Service finances de Denain",
    )


@pytest.fixture
def debtor(db):
    return VerifiedStructureFactory(name="Les Amis du Vélo", siret=SIRET, siren=SIRET[:9], rna=RNA)


@pytest.fixture
def debtor_member(debtor):
    return MembershipFactory(organisation=debtor, user=UserFactory(email="velo@example.test")).user


def _book(space, user, day: int, *, approve_by=None):
    booking = booking_request_for(
        space=space,
        requested_by=user,
        start=datetime(2027, 1, day, 18, tzinfo=PARIS),
        end=datetime(2027, 1, day, 20, tzinfo=PARIS),
    )
    if approve_by is not None:
        booking_approve(booking=booking, actor=approve_by)
    return booking


def _url(owner, **query) -> str:
    query = query or {"debut": "2027-01-01", "fin": "2027-01-31"}
    return (
        reverse("reports:accounting-csv", args=[owner.pk])
        + "?"
        + "&".join(f"{key}={value}" for key, value in query.items())
    )


def _rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text[1:]), delimiter=";", quoting=csv.QUOTE_NONNUMERIC)
    return list(reader)


@pytest.fixture
def confirmed(priced_space, debtor_member, facilities_manager, accounting):
    return _book(priced_space, debtor_member, 12, approve_by=facilities_manager)


def test_the_csv_lists_confirmed_bookings_with_a_fee_and_keeps_codes_as_text(
    client, commune_staff, site, confirmed, priced_space, debtor_member
):
    _book(priced_space, debtor_member, 19)  # pending: not billed
    client.force_login(commune_staff)

    response = client.get(_url(site.owner))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    raw = response.content.decode("utf-8")
    assert f'"{SIRET}"' in raw
    assert f'"{RNA}"' in raw
    assert ";30.00;" in raw
    [row] = _rows(response)
    assert row["debiteur"] == "Les Amis du Vélo"
    assert row["siret"] == SIRET
    assert row["rna"] == RNA
    assert Decimal(str(row["montant_eur"])) == Decimal("30.00")
    assert row["date_debut"] == "2027-01-12"
    assert row["date_fin"] == "2027-01-12"
    assert row["reference_reservation"] == f"RES-{confirmed.pk}"
    assert row["locaux"].startswith(priced_space.name)
    assert row["creancier"] == site.owner.name
    # Not a booking in a shared time (issue 17): no occupant's share.
    assert (row["occupant"], row["siret_occupant"], row["part_occupant_eur"]) == ("", "", "")


def test_a_booking_in_a_building_run_by_another_body_is_billed_by_that_body(
    client, territory_admin, site, priced_space, debtor_member, facilities_manager, accounting
):
    scic = StructureFactory(name="SCIC Les Grands Bureaux", ess_family="scic")
    PaymentChannel.objects.create(
        owner=scic, kind=ChannelKind.PUBLIC_ACCOUNTING, finance_department="Comptabilité SCIC"
    )
    site.managing_organisation = scic
    site.save(update_fields=["managing_organisation"])
    booking = _book(priced_space, debtor_member, 12, approve_by=facilities_manager)
    client.force_login(territory_admin)

    by_owner = _rows(client.get(_url(site.owner)))
    by_scic = _rows(client.get(_url(scic)))

    assert (by_owner, [row["reference_reservation"] for row in by_scic]) == (
        [],
        [f"RES-{booking.pk}"],
    )


def test_the_period_leaves_out_other_dates(client, territory_admin, site, confirmed):
    client.force_login(territory_admin)

    response = client.get(_url(site.owner, debut="2027-02-01", fin="2027-02-28"))

    assert response.status_code == 200
    assert _rows(response) == []


def test_a_free_or_unpriced_booking_is_not_billed(
    client, commune_staff, site, space, debtor_member, facilities_manager, accounting
):
    _book(space, debtor_member, 12, approve_by=facilities_manager)
    client.force_login(commune_staff)

    assert _rows(client.get(_url(site.owner))) == []


def test_a_bad_period_is_refused(client, commune_staff, site, accounting):
    client.force_login(commune_staff)

    response = client.get(_url(site.owner, debut="2027-02-01", fin="2027-01-01"))

    assert response.status_code == 400


@pytest.mark.parametrize("who", ["outsider", "other_commune_staff", "debtor_member"])
def test_others_get_a_404(client, request, site, confirmed, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(_url(site.owner)).status_code == 404


def test_an_owner_without_public_accounting_is_a_404(client, commune_staff, site):
    PaymentChannel.objects.create(
        owner=site.owner, kind=ChannelKind.FREE, free_legal_basis="CG3P L2125-1-2"
    )
    client.force_login(commune_staff)

    assert client.get(_url(site.owner)).status_code == 404


def test_the_reports_page_links_to_the_export(client, commune_staff, site, accounting):
    client.force_login(commune_staff)

    response = client.get(reverse("reports:index"))

    assert reverse("reports:accounting-csv", args=[site.owner.pk]) in response.text


# --- Agreements: one line per month ---


@pytest.fixture
def agreement(site, debtor, territory_admin, accounting):
    """12,000 € a year from 15 January 2027, signed and not active yet (it is 4 January)."""
    office = SpaceFactory(
        site=site, name="Bureau 12", kind=SpaceKind.OFFICE, allocatable=True, bookable=False
    )
    return agreement_signed(
        actor=territory_admin,
        structure=debtor,
        spaces=[office],
        start=date(2027, 1, 15),
        end=date(2028, 1, 15),
        annual_fee_cents=12_000_00,
        signed_on=date(2027, 1, 4),
    )


def test_the_csv_bills_each_month_of_an_agreement_with_codes_as_text(
    client, commune_staff, site, agreement
):
    client.force_login(commune_staff)

    response = client.get(_url(site.owner, debut="2027-01-01", fin="2027-02-28"))

    raw = response.content.decode("utf-8")
    assert f'"{SIRET}"' in raw
    january, february = _rows(response)
    assert (january["reference_reservation"], february["reference_reservation"]) == (
        f"CONV-{agreement.pk}",
        f"CONV-{agreement.pk}",
    )
    assert january["debiteur"] == "Les Amis du Vélo"
    assert (january["siret"], january["rna"]) == (SIRET, RNA)
    assert (january["date_debut"], january["date_fin"]) == ("2027-01-15", "2027-01-31")
    assert Decimal(str(january["montant_eur"])) == Decimal("548.39")  # 1,000 € × 17/31
    assert "17/31" in january["detail"]
    assert (february["date_debut"], february["date_fin"]) == ("2027-02-01", "2027-02-28")
    assert Decimal(str(february["montant_eur"])) == Decimal("1000.00")
    assert february["locaux"] == f"Bureau 12 — {site.name}"


def test_a_month_is_billed_in_the_period_holding_its_first_day(
    client, commune_staff, site, agreement
):
    client.force_login(commune_staff)

    rows = _rows(client.get(_url(site.owner, debut="2027-01-20", fin="2027-02-10")))

    assert [(row["date_debut"], row["date_fin"]) for row in rows] == [("2027-02-01", "2027-02-28")]


def test_bookings_and_agreement_months_are_listed_together_by_date(
    client, commune_staff, site, agreement, confirmed
):
    client.force_login(commune_staff)

    rows = _rows(client.get(_url(site.owner)))

    assert [row["reference_reservation"] for row in rows] == [
        f"RES-{confirmed.pk}",
        f"CONV-{agreement.pk}",
    ]


@pytest.mark.parametrize("name", ["=1+1", '=HYPERLINK("http://x","y")', "@SUM(A1)"])
def test_the_csv_neutralises_formulas_in_names(
    client, commune_staff, site, confirmed, debtor, priced_space, name
):
    """Issue 9 §2: a name typed by a user never reaches a spreadsheet as a formula."""
    debtor.name = name
    debtor.save()
    priced_space.name = name
    priced_space.save()
    site.owner.name = name
    site.owner.save()
    client.force_login(commune_staff)

    [row] = _rows(client.get(_url(site.owner)))

    assert (row["debiteur"], row["creancier"]) == ("'" + name, "'" + name)
    assert row["locaux"].startswith("'" + name)
    assert (row["siret"], row["rna"]) == (SIRET, RNA)
    assert row["reference_reservation"] == f"RES-{confirmed.pk}"
    assert Decimal(str(row["montant_eur"])) == Decimal("30.00")
