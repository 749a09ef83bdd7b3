"""In-kind aid of hourly bookings, next to agreements and cash: a year of one structure's use of
Denain's rooms, and every output (aid report, 23,000 € flag, budget annex, certificate, SCDL
subsidies file) checked against amounts computed by hand below.

The clock stands on Monday 4 January 2027 (tests/helpers.FROZEN_NOW): the bookings of 2027 are
made, confirmed and cancelled through the real services.

Denain (the commune's organisation, SIRET 21590172000019) owns the site. Public rates (tariff
category "other") and the association's rates, per hour:

    Salle Usinor        public 30.00 €   association free
    Salle de la Coulée  public 25.00 €   association 10.00 €
    Salle du Haut-Fourneau public 20.00 €  association 20.00 € (full price)

Hand computation, in cents (a booking's aid = public rate × real hours held − paid, ≥ 0,
rounded half up once per booking):

    A. free weekly series on Usinor, 10 Tuesdays 18:00–20:00 from 12 January, the 19 January
       date cancelled: 9 dates × 2 h × 3000                           = 54 000
    B. discounted, Coulée, 2 February 14:00–17:00: 3 h × 2500 − 3 h × 1000 = 4 500
    C. full price, Haut-Fourneau, 2 March 09:00–12:00: 6000 − 6000   = 0 (not listed)
    D. free, Usinor, 31 October 01:00–04:00 across the clock change: 4 real hours × 3000
                                                                      = 12 000
    E. Coulée, 6 April 10:00–14:00, paid 4000 by card and 1500 refunded:
       4 h × 2500 − (4000 − 1500)                                     = 7 500
    F. Coulée, 1 June 10:00–11:20 (80 minutes), billed 2 started hours × 1000:
       80/60 × 2500 − 2000 = 1333.33…                                 = 1 333
    G. a whole booking cancelled (Usinor, 4 May): nothing.
    Bookings: 54 000 + 4 500 + 12 000 + 7 500 + 1 333                 = 79 333

    Agreement: office of 100 m² × 230 €/m²/year = 2 300 000 a year, free, from 1 January to
    1 December 2027 (334 days of 365): 2 300 000 × 334 / 365 = 2 104 657.53 → 2 104 658
    In kind: 2 104 658 + 79 333                                       = 2 183 991
    Cash subsidy from Denain:                                            150 000
    Total: 2 333 991, i.e. 23 339.91 € ≥ 23 000 € (without the bookings: 22 546.58 €, below).
"""

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from frictionless import Dialect, Resource, Schema, formats

from accounts.models import MembershipRole, Organisation
from bookings.models import Booking, BookingStatus
from bookings.services import SeriesChange, booking_cancel, booking_series_reschedule
from payments.models import Payment, PaymentPurpose, PaymentStatus, Tariff
from reports import selectors
from reports.exports import SCDL_SUBSIDIES_SCHEMA
from spaces.models import Site
from tests.factories import (
    CashSubsidyFactory,
    CommuneFactory,
    MembershipFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    agreement_signed,
    booking_request_for,
    paris,
)
from tests.helpers import response_bytes
from tests.reports.conftest import office

pytestmark = pytest.mark.usefixtures("frozen_clock")

YEAR = 2027
DENAIN_SIRET = "21590172000019"
BOOKINGS_CENTS = 54_000 + 4_500 + 12_000 + 7_500 + 1_333
AGREEMENT_CENTS = 2_104_658
IN_KIND_CENTS = AGREEMENT_CENTS + BOOKINGS_CENTS
CASH_CENTS = 150_000
TOTAL_CENTS = IN_KIND_CENTS + CASH_CENTS


def _room(site: Site, name: str, *, public: int, association: int):
    space = SpaceFactory(site=site, name=name, instant_confirmation=True)
    Tariff.objects.create(space=space, category="other", unit="hour", amount_cents=public)
    Tariff.objects.create(
        space=space, category="association", unit="hour", amount_cents=association
    )
    return space


def _book(space, requester, start, end, **series) -> Booking:
    booking = booking_request_for(
        space=space, requested_by=requester, start=start, end=end, **series
    )
    assert booking.status == BookingStatus.CONFIRMED
    return booking


@pytest.fixture
def denain(commune):
    organisation = commune.organisation
    organisation.siret = DENAIN_SIRET
    organisation.siren = DENAIN_SIRET[:9]
    organisation.save(update_fields=["siret", "siren"])
    return commune


@pytest.fixture
def requester(structure):
    return MembershipFactory(
        organisation=structure, user=UserFactory(email="asso@example.test")
    ).user


@pytest.fixture
def year_of_aid(denain, site, structure, requester, territory_admin):
    """The year described in the module's docstring; returns the bookings by letter."""
    usinor = _room(site, "Salle Usinor", public=3000, association=0)
    coulee = _room(site, "Salle de la Coulée", public=2500, association=1000)
    fourneau = _room(site, "Salle du Haut-Fourneau", public=2000, association=2000)
    series = _book(
        usinor,
        requester,
        paris(YEAR, 1, 12, 18),
        paris(YEAR, 1, 12, 20),
        frequency="weekly",
        repeat_count=10,
    )
    booking_cancel(
        booking=series,
        actor=requester,
        reason="Vacances",
        occurrence_start=series.start + timedelta(days=7),
    )
    bookings = {
        "A": series,
        "B": _book(coulee, requester, paris(YEAR, 2, 2, 14), paris(YEAR, 2, 2, 17)),
        "C": _book(fourneau, requester, paris(YEAR, 3, 2, 9), paris(YEAR, 3, 2, 12)),
        "D": _book(usinor, requester, paris(YEAR, 10, 31, 1), paris(YEAR, 10, 31, 4)),
        "E": _book(coulee, requester, paris(YEAR, 4, 6, 10), paris(YEAR, 4, 6, 14)),
        "F": _book(coulee, requester, paris(YEAR, 6, 1, 10), paris(YEAR, 6, 1, 11, 20)),
        "G": _book(usinor, requester, paris(YEAR, 5, 4, 10), paris(YEAR, 5, 4, 12)),
    }
    booking_cancel(booking=bookings["G"], actor=requester, reason="Annulée")
    # E was paid by card (4 h × 10 €) and 15 € refunded: the card payment's own bookkeeping.
    Payment.objects.create(
        purpose=PaymentPurpose.BOOKING_FEE,
        booking=bookings["E"],
        owner=denain.organisation,
        amount_cents=4000,
        captured_cents=4000,
        refunded_cents=1500,
        status=PaymentStatus.REFUNDED,
    )
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[office(site, name="Bureau 12")],
        start=date(YEAR, 1, 1),
        end=date(YEAR, 12, 1),
    )
    CashSubsidyFactory(
        structure=structure,
        granted_by=denain.organisation,
        year=YEAR,
        amount_cents=CASH_CENTS,
        label="Fonctionnement 2027",
        decision_reference="DCM 2027-012",
    )
    return bookings


@pytest.fixture
def finance(denain):
    return MembershipFactory(
        organisation=denain.organisation,
        user=UserFactory(email="finances@denain.example"),
        role=MembershipRole.MEMBER,
    ).user


def _csv(response) -> list[dict[str, str]]:
    text = response_bytes(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _cents(value: str) -> int:
    return int(Decimal(value) * 100)


@pytest.mark.django_db
def test_every_output_agrees_to_the_cent(client, year_of_aid, structure, denain, finance):
    by_booking = {
        line.booking.pk: line.value_cents
        for line in selectors.booking_aid_lines(year=YEAR, structure=structure)
    }
    letters = {booking.pk: letter for letter, booking in year_of_aid.items()}
    assert {letters[pk]: cents for pk, cents in by_booking.items()} == {
        "A": 54_000,
        "B": 4_500,
        "D": 12_000,
        "E": 7_500,
        "F": 1_333,
    }

    # The aid report and its 23,000 € flag.
    client.force_login(finance)
    response = client.get(reverse("reports:aid-list") + f"?annee={YEAR}")
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert (row.structure, row.grantor) == (structure, denain.organisation)
    assert (row.agreements_cents, row.bookings_cents) == (AGREEMENT_CENTS, BOOKINGS_CENTS)
    assert (row.in_kind_cents, row.cash_cents) == (IN_KIND_CENTS, CASH_CENTS)
    assert row.total_cents == TOTAL_CENTS == 2_333_991
    assert row.agreement_compulsory  # only with the bookings: 2 254 658 without them
    assert AGREEMENT_CENTS + CASH_CENTS < 2_300_000
    page = response.content.decode()
    assert "23\u00a0339,91\u00a0€" in page
    assert "793,33\u00a0€" in page  # of which hourly bookings

    [line] = _csv(client.get(reverse("reports:aid-csv") + f"?annee={YEAR}"))
    assert _cents(line["aide_en_nature_eur"]) == IN_KIND_CENTS
    assert _cents(line["subventions_numeraire_eur"]) == CASH_CENTS
    assert _cents(line["total_eur"]) == TOTAL_CENTS
    assert line["convention_obligatoire"] == "oui"

    # The budget annex of Denain: in kind and in cash.
    annex_url = reverse("reports:annex", args=[denain.insee_code, YEAR])
    annex = client.get(annex_url).context["annex"]
    assert annex.total_cents == IN_KIND_CENTS
    assert annex.cash_total_cents == CASH_CENTS
    assert annex.grand_total_cents == TOTAL_CENTS
    assert sorted(row.kind for row in annex.rows) == ["agreement"] + ["booking"] * 5
    rows = _csv(client.get(reverse("reports:annex-csv", args=[denain.insee_code, YEAR])))
    in_kind = [row for row in rows if row["nature"] == "aide en nature"]
    cash = [row for row in rows if row["nature"] == "aide en numéraire"]
    assert sum(_cents(row["valorisation_eur"]) for row in in_kind) == IN_KIND_CENTS
    assert sum(_cents(row["valorisation_eur"]) for row in cash) == CASH_CENTS
    dst = next(row for row in rows if row["reference"] == f"RES-{year_of_aid['D'].pk}")
    assert (dst["heures"], dst["jours"]) == ("4.00", "1")
    series = next(row for row in rows if row["reference"] == f"RES-{year_of_aid['A'].pk}")
    assert (series["heures"], series["jours"], series["date_debut"]) == ("18.00", "9", "2027-01-12")

    # The valuation certificate (accounts 86/87), PDF and CSV.
    certificate = selectors.valuation_certificate(structure=structure, year=YEAR)
    assert certificate.total_cents == IN_KIND_CENTS
    pdf = client.get(reverse("reports:certificate", args=[structure.pk, YEAR]))
    assert pdf.status_code == 200
    assert response_bytes(pdf).startswith(b"%PDF")
    lines = _csv(client.get(reverse("reports:certificate-csv", args=[structure.pk, YEAR])))
    assert sum(_cents(line["valorisation_eur"]) for line in lines) == IN_KIND_CENTS
    assert {line["compte_emploi"] for line in lines} == {"861"}

    # The SCDL subsidies file, open to anyone.
    client.logout()
    response = client.get(reverse("subsidies:scdl-csv", args=["215901720", YEAR]))
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="215901720_2027_subventions.csv"'
    )
    [subsidy] = _csv(response)
    assert subsidy["idAttribuant"] == DENAIN_SIRET
    assert subsidy["idBeneficiaire"] == structure.siret
    assert subsidy["rnaBeneficiaire"] == structure.rna
    assert _cents(subsidy["montant"]) == TOTAL_CENTS
    assert subsidy["nature"] == "aide en numéraire;aide en nature"
    assert subsidy["referenceDecision"] == "DCM 2027-012"
    assert subsidy["notificationUE"] == "non"


def _scdl_report(path: Path):
    """Validate a file against the vendored SCDL schema, offline (frictionless)."""
    schema = Schema.from_descriptor(json.loads(SCDL_SUBSIDIES_SCHEMA.read_text()))
    resource = Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=schema,
        encoding="utf-8-sig",
        dialect=Dialect(controls=[formats.CsvControl(delimiter=";")]),
    )
    return resource.validate()


@pytest.mark.django_db
def test_the_scdl_file_validates_against_the_vendored_schema(client, year_of_aid, tmp_path):
    response = client.get(reverse("subsidies:scdl-csv", args=["215901720", YEAR]))
    path = tmp_path / "215901720_2027_subventions.csv"
    path.write_bytes(response_bytes(response))

    report = _scdl_report(path)

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 1
    # The same file with a nature outside the schema's enum fails: the check can fail.
    path.write_text(path.read_text(encoding="utf-8").replace("aide en numéraire;", "cash;"))
    assert not _scdl_report(path).valid


@pytest.mark.django_db
def test_aid_below_the_threshold_is_not_published(client, denain, structure):
    CashSubsidyFactory(
        structure=structure, granted_by=denain.organisation, year=YEAR, amount_cents=2_299_999
    )

    response = client.get(reverse("subsidies:scdl-csv", args=["215901720", YEAR]))

    assert response.status_code == 200
    assert _csv(response) == []


@pytest.mark.django_db
def test_in_kind_only_aid_is_published_as_in_kind(client, denain, site, structure, territory_admin):
    agreement_signed(
        actor=territory_admin,
        structure=structure,
        spaces=[office(site, name="Bureau 14")],
        start=date(YEAR, 1, 1),
        end=date(YEAR + 1, 1, 1),
    )

    [row] = _csv(client.get(reverse("subsidies:scdl-csv", args=["215901720", YEAR])))

    assert (row["nature"], row["montant"]) == ("aide en nature", "23000.00")
    assert row["datesPeriodeVersement"] == "2027-01-01/2027-12-31"


# --- Valuation without a public rate ---


@pytest.mark.django_db
def test_a_free_booking_on_a_room_without_public_rate_is_flagged_not_valued(
    site, structure, requester
):
    space = SpaceFactory(site=site, name="Salle sans tarif", instant_confirmation=True)
    booking = _book(space, requester, paris(YEAR, 2, 9, 10), paris(YEAR, 2, 9, 12))

    [line] = selectors.booking_aid_lines(year=YEAR, structure=structure)

    assert (line.booking, line.value_cents, line.missing_reference_rent) == (booking, 0, True)
    [row] = selectors.yearly_aid(year=YEAR, grantors=Organisation.objects.filter(pk=site.owner_id))
    assert row.missing_reference_rent


@pytest.mark.django_db
def test_a_pending_request_is_no_aid_yet(site, structure, requester):
    space = _room(site, "Salle Usinor", public=3000, association=0)
    space.instant_confirmation = False
    space.save(update_fields=["instant_confirmation"])
    booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(YEAR, 2, 9, 10),
        end=paris(YEAR, 2, 9, 12),
    )

    assert selectors.booking_aid_lines(year=YEAR, structure=structure) == []


@pytest.mark.django_db
def test_a_series_across_new_year_shares_its_payment_between_the_years(site, structure, requester):
    space = _room(site, "Salle de la Coulée", public=2500, association=1000)
    space.max_advance_days = 400
    space.save(update_fields=["max_advance_days"])
    booking = _book(
        space,
        requester,
        paris(YEAR, 12, 21, 10),
        paris(YEAR, 12, 21, 12),
        frequency="weekly",
        repeat_count=3,
    )  # 21 and 28 December 2027, 4 January 2028: billed 3 × 2 h × 10 € = 60 €

    def aid(year: int) -> int:
        return sum(
            line.value_cents
            for line in selectors.booking_aid_lines(year=year, structure=structure)
            if line.booking == booking
        )

    # 2027: 4 h × 25 € − 60 € × 4/6 = 100 − 40; 2028: 2 h × 25 € − 60 € × 2/6 = 50 − 20.
    assert (aid(YEAR), aid(YEAR + 1)) == (6000, 3000)


@pytest.mark.django_db
def test_a_series_moved_from_a_date_is_valued_room_by_room(
    site, structure, requester, territory_admin
):
    """Four Tuesdays 18:00–20:00 from 2 March, moved from 16 March from Coulée (public 25 €,
    association 10 €) to Jaurès (public 20 €, association 5 €): worth 2 × 2 h × 25 € +
    2 × 2 h × 20 € = 180 €, billed 2 × 2 h × 10 € + 2 × 2 h × 5 € = 60 €."""
    coulee = _room(site, "Salle de la Coulée", public=2500, association=1000)
    jaures = _room(site, "Salle Jaurès", public=2000, association=500)
    series = _book(
        coulee,
        requester,
        paris(YEAR, 3, 2, 18),
        paris(YEAR, 3, 2, 20),
        frequency="weekly",
        repeat_count=4,
    )
    booking_series_reschedule(
        booking=series,
        change=SeriesChange(from_date=date(YEAR, 3, 16), space=jaures.pk),
        actor=territory_admin,
    )

    [line] = selectors.booking_aid_lines(year=YEAR, structure=structure)

    assert (line.dates, line.reference_cents, line.value_cents) == (4, 18_000, 18_000 - 6_000)
    assert line.premises.startswith("Les Grands Bureaux — Salle de la Coulée, Salle Jaurès (")


# --- Who sees what ---


@pytest.mark.django_db
def test_another_communes_staff_sees_nothing_of_denains_aid(
    client, year_of_aid, structure, denain, epci
):
    other = CommuneFactory(insee_code="59526", name="Saint-Amand-les-Eaux", epci=epci)
    SiteFactory(commune=other)
    staff = MembershipFactory(
        organisation=other.organisation, user=UserFactory(email="staff@saint-amand.example")
    ).user
    client.force_login(staff)

    response = client.get(reverse("reports:aid-list") + f"?annee={YEAR}")
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "Mobilité Solidaire" not in response.content.decode()
    assert client.get(reverse("reports:annex", args=[denain.insee_code, YEAR])).status_code == 404
    for name in ("reports:certificate", "reports:certificate-csv"):
        assert client.get(reverse(name, args=[structure.pk, YEAR])).status_code == 404


def test_a_structure_aided_by_bookings_alone_has_its_certificate_for_the_commune(
    client, denain, site, structure, requester, finance
):
    """The aid list shows a structure aided through hourly bookings only; its certificate
    links are the commune's to follow (they were a 404 before)."""
    room = _room(site, "Salle Usinor", public=3000, association=0)
    _book(room, requester, paris(YEAR, 1, 12, 18), paris(YEAR, 1, 12, 20))
    client.force_login(finance)

    listed = client.get(reverse("reports:aid-list") + f"?annee={YEAR}")

    assert [row.structure for row in listed.context["rows"]] == [structure]
    for name in ("reports:certificate", "reports:certificate-csv"):
        url = reverse(name, args=[structure.pk, YEAR])
        assert url in listed.content.decode()
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_anonymous_fetches_the_open_file_only(client, year_of_aid, structure, denain):
    assert client.get(reverse("subsidies:scdl-csv", args=["215901720", YEAR])).status_code == 200
    for url in (
        reverse("reports:aid-list") + f"?annee={YEAR}",
        reverse("reports:aid-csv") + f"?annee={YEAR}",
        reverse("reports:annex-csv", args=[denain.insee_code, YEAR]),
        reverse("reports:certificate-csv", args=[structure.pk, YEAR]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# --- Hostile input ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/donnees/subventions/215901720/{10**20}.csv",
        "/donnees/subventions/215901720/abc.csv",
        "/donnees/subventions/215901720/1999.csv",
        "/donnees/subventions/21590172/2027.csv",
        "/donnees/subventions/=cmd|'/2027.csv",
        "/donnees/subventions/999999999/2027.csv",
    ],
)
def test_a_wrong_open_data_address_is_a_french_404(client, denain, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "introuvable" in response.content.decode().lower()


@pytest.mark.django_db
@pytest.mark.parametrize("year", [str(10**20), "abc", "-1", "2027\x00"])
def test_a_wrong_year_on_the_aid_pages_is_a_french_400(client, finance, year):
    client.force_login(finance)

    page = client.get(reverse("reports:aid-list"), {"annee": year})
    csv_file = client.get(reverse("reports:aid-csv"), {"annee": year})

    assert page.status_code == csv_file.status_code == 400
    message = csv_file.content.decode()
    assert message.startswith(("Saisissez un nombre entier", "Assurez-vous que cette valeur"))


@pytest.mark.django_db
@pytest.mark.parametrize("year", [10**20, 1999])
def test_a_wrong_year_of_a_certificate_or_annex_is_a_404(client, finance, structure, denain, year):
    client.force_login(finance)

    assert client.get(f"/rapports/attestation/{structure.pk}/{year}/csv/").status_code == 404
    assert client.get(f"/rapports/annexe/{denain.insee_code}/{year}/").status_code == 404


# --- Queries ---


@pytest.mark.django_db
def test_the_aid_page_reads_a_constant_number_of_queries(
    client, year_of_aid, finance, site, structure, requester, django_assert_num_queries
):
    client.force_login(finance)
    url = reverse("reports:aid-list") + f"?annee={YEAR}"
    client.get(url)  # warm the session and the permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    coulee = site.spaces.get(name="Salle de la Coulée")
    for day in (7, 14, 21):
        _book(coulee, requester, paris(YEAR, 9, day, 10), paris(YEAR, 9, day, 12))
    usinor = site.spaces.get(name="Salle Usinor")
    _book(
        usinor,
        requester,
        paris(YEAR, 11, 2, 18),
        paris(YEAR, 11, 2, 20),
        frequency="weekly",
        repeat_count=6,
    )

    with django_assert_num_queries(len(before)):
        response = client.get(url)

    [row] = response.context["rows"]
    assert row.bookings_cents > BOOKINGS_CENTS
