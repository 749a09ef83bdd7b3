"""The agreement pages: list, direct creation, the structure's answer, signature over bookings,
early termination, renewal, keys, inventories, the site timeline; outsiders get 404."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from bookings.allocations import (
    allocation_accept,
    allocation_end,
    allocation_offer,
    allocation_sign,
    inventory_record,
    key_issue,
)
from bookings.models import (
    Allocation,
    AllocationStatus,
    Booking,
    BookingStatus,
    FreeUseBasis,
    InventoryKind,
)
from bookings.rules import Period
from bookings.services import BookingRequest, booking_request
from tests.factories import (
    SiteFactory,
    SpaceFactory,
    UserFactory,
)
from tests.helpers import FROZEN_NOW

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


pytestmark = pytest.mark.usefixtures("frozen_clock")


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
    offered.refresh_from_db()
    return offered


@pytest.fixture
def signed(accepted, facilities_manager):
    allocation_sign(allocation=accepted, actor=facilities_manager)
    accepted.refresh_from_db()
    return accepted


def url(name: str, *args: object) -> str:
    return reverse(f"bookings:{name}", args=args)


def png(name: str = "mur.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#336699").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def book(space, user, start, end) -> Booking:
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=user.memberships.first().organisation,
            purpose="Atelier vélo",
            attendees=8,
            first=Period(start, end),
        ),
        requested_by=user,
    )


# --- List and detail ---


def test_list_shows_the_structure_its_agreements(client, offered, occupant):
    client.force_login(occupant)

    response = client.get(url("allocation-list"))

    assert response.status_code == 200
    assert [row["allocation"] for row in response.context["rows"]] == [offered]
    assert "2 400,00 €" in response.content.decode().replace("\u202f", " ").replace("\xa0", " ")


def test_list_shows_the_manager_the_agreements_on_their_spaces(client, offered, facilities_manager):
    client.force_login(facilities_manager)

    response = client.get(url("allocation-list"))

    assert [row["allocation"] for row in response.context["rows"]] == [offered]
    assert response.context["can_create"] is True


def test_list_is_empty_for_outsiders(client, offered, outsider):
    client.force_login(outsider)

    response = client.get(url("allocation-list"))

    assert response.context["rows"] == []
    assert response.context["can_create"] is False


def test_list_filters_by_status(client, offered, facilities_manager):
    client.force_login(facilities_manager)

    response = client.get(url("allocation-list"), {"statut": "active"})

    assert response.context["rows"] == []


def test_detail_shows_parties_terms_and_valuation(client, offered, occupant, verified):
    client.force_login(occupant)

    response = client.get(url("allocation-detail", offered.pk))

    page = response.content.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert response.status_code == 200
    assert verified.siret in page
    assert "W595012345" in page
    assert "Bureau 12" in page
    assert "2 400,00 €" in page
    assert "L2125-1" in page
    assert response.context["forms"].accept is not None
    assert response.context["forms"].sign is None


def test_detail_is_hidden_from_outsiders(client, offered, outsider, member):
    for user in (outsider, member):
        client.force_login(user)
        assert client.get(url("allocation-detail", offered.pk)).status_code == 404


def test_detail_asks_anonymous_visitors_to_sign_in(client, offered):
    assert client.get(url("allocation-detail", offered.pk)).status_code == 302


# --- Direct creation ---


def _create_data(office, structure, **changes) -> dict:
    data = {
        "spaces": [office.pk],
        "structure": structure.pk,
        "start": "2027-02-01",
        "last_day": "2028-01-31",
        "legal_regime": "",
        "annual_fee": "",
        "free_use_basis": FreeUseBasis.L2125_1,
        "free_use_reference": "",
        "deposit": "250.50",
        "direct_reason": "Occupation de moins d'un an, urgence (CG3P L2122-1-3)",
    }
    data.update(changes)
    return data


def test_create_form_lists_managed_allocatable_spaces_and_verified_structures(
    client, facilities_manager, office, space, verified, structure
):
    client.force_login(facilities_manager)

    response = client.get(url("allocation-create"))

    form = response.context["form"]
    assert list(form.fields["spaces"].queryset) == [office]
    assert list(form.fields["structure"].queryset) == [verified]


def test_create_offers_the_agreement(client, facilities_manager, office, verified):
    client.force_login(facilities_manager)

    response = client.post(url("allocation-create"), _create_data(office, verified))

    allocation = Allocation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == allocation.get_absolute_url()
    assert (allocation.start, allocation.end) == (date(2027, 2, 1), date(2028, 2, 1))
    assert allocation.deposit_cents == 25_050
    assert allocation.status == AllocationStatus.OFFERED
    assert allocation.direct_reason.startswith("Occupation de moins d'un an")


def test_create_requires_the_reason_for_no_call(client, facilities_manager, office, verified):
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-create"), _create_data(office, verified, direct_reason="")
    )

    assert response.status_code == 400
    assert "direct_reason" in response.context["form"].errors


def test_create_shows_the_legal_basis_error_on_its_field(
    client, territory_admin, epci, commune, verified
):
    epci_site = SiteFactory(commune=commune, owner=epci)
    space = SpaceFactory(site=epci_site, allocatable=True)
    client.force_login(territory_admin)

    response = client.post(
        url("allocation-create"),
        _create_data(
            space, verified, free_use_basis=FreeUseBasis.L2125_1_2, free_use_reference="Délib. 12"
        ),
    )

    assert response.status_code == 400
    assert "Seule une commune" in response.context["form"].errors["free_use_basis"][0]


def test_create_shows_fee_errors_on_the_euro_field(client, facilities_manager, office, verified):
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-create"), _create_data(office, verified, annual_fee="100")
    )

    assert response.status_code == 400
    assert "annual_fee" in response.context["form"].errors


def test_create_is_404_for_someone_without_allocatable_spaces(client, occupant, office):
    client.force_login(occupant)

    assert client.get(url("allocation-create")).status_code == 404


# --- The structure's answer ---


def test_structure_accepts_with_house_rules_and_insurance(client, offered, occupant):
    client.force_login(occupant)

    response = client.post(
        url("allocation-accept", offered.pk),
        {"house_rules_accepted": "on", "insurance_valid_until": "2027-12-31"},
    )

    offered.refresh_from_db()
    assert response.status_code == 302
    assert offered.status == AllocationStatus.ACCEPTED
    assert offered.insurance_valid_until == date(2027, 12, 31)


def test_accepting_without_the_house_rules_shows_the_error(client, offered, occupant):
    client.force_login(occupant)

    response = client.post(
        url("allocation-accept", offered.pk), {"insurance_valid_until": "2027-12-31"}
    )

    assert response.status_code == 400
    assert "house_rules_accepted" in response.context["forms"].accept.errors


def test_manager_cannot_accept_for_the_structure(client, offered, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-accept", offered.pk),
        {"house_rules_accepted": "on", "insurance_valid_until": "2027-12-31"},
    )

    assert response.status_code == 404


def test_structure_declines_with_a_reason(client, offered, occupant):
    client.force_login(occupant)

    response = client.post(url("allocation-decline", offered.pk), {"decline-reason": "Trop loin"})

    offered.refresh_from_db()
    assert response.status_code == 302
    assert offered.status == AllocationStatus.DECLINED
    assert offered.log.last().reason == "Trop loin"


# --- Signature ---


def test_sign_over_a_booking_lists_it(client, accepted, facilities_manager, office, booker):
    booking = book(office, booker, paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))
    client.force_login(facilities_manager)

    response = client.post(url("allocation-sign", accepted.pk))

    page = response.content.decode()
    assert response.status_code == 409
    assert [row.booking for row in response.context["clashes"]] == [booking]
    assert "Repair Café — Atelier vélo" in page
    assert "Bureau 12" in page
    assert "cancel_bookings" in response.context["forms"].sign.fields
    accepted.refresh_from_db()
    assert accepted.status == AllocationStatus.ACCEPTED


def test_detail_lists_the_bookings_before_signature(
    client, accepted, facilities_manager, office, booker
):
    booking = book(office, booker, paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))
    client.force_login(facilities_manager)

    response = client.get(url("allocation-detail", accepted.pk))

    assert [row.booking for row in response.context["clashes"]] == [booking]


def test_sign_cancels_the_listed_bookings_with_the_reason(
    client,
    accepted,
    facilities_manager,
    office,
    booker,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    booking = book(office, booker, paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))
    client.force_login(facilities_manager)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("allocation-sign", accepted.pk),
            {"cancel_bookings": "on", "reason": "Bureau attribué à Mobilité Solidaire"},
        )

    booking.refresh_from_db()
    accepted.refresh_from_db()
    assert response.status_code == 302
    assert accepted.status == AllocationStatus.SIGNED
    assert booking.status == BookingStatus.CANCELLED
    # The booker is told of the cancellation; the rest is the signature, told to both sides.
    [to_booker] = [mail for mail in mailoutbox if mail.to == ["repair@example.test"]]
    assert "Bureau attribué à Mobilité Solidaire" in to_booker.body
    others = [mail for mail in mailoutbox if mail is not to_booker]
    assert others
    assert all(f"Convention n° {accepted.pk} signée" in m.subject for m in others)


def test_sign_cancelling_without_a_reason_is_refused(
    client, accepted, facilities_manager, office, booker
):
    book(office, booker, paris(2027, 2, 9, 18), paris(2027, 2, 9, 20))
    client.force_login(facilities_manager)

    response = client.post(url("allocation-sign", accepted.pk), {"cancel_bookings": "on"})

    assert response.status_code == 400
    assert "reason" in response.context["forms"].sign.errors


def test_sign_is_404_for_the_structure(client, accepted, occupant):
    client.force_login(occupant)

    assert client.post(url("allocation-sign", accepted.pk)).status_code == 404


def test_sign_of_an_offer_is_refused_with_a_message(client, offered, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(url("allocation-sign", offered.pk), follow=True)

    assert "Cette convention est proposée : ce changement n’est pas possible." in [
        str(message) for message in response.context["messages"]
    ]


# --- End, renewal ---


def test_manager_ends_an_agreement_early(client, signed, facilities_manager, office):
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-end", signed.pk), {"end-on": "2027-09-01", "end-reason": "Dissolution"}
    )

    signed.refresh_from_db()
    office.refresh_from_db()
    assert response.status_code == 302
    assert signed.status == AllocationStatus.ENDED
    assert signed.terminated_on == date(2027, 9, 1)
    assert office.vacant_since == date(2027, 9, 1)


def test_ending_without_a_reason_shows_the_error(client, signed, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(url("allocation-end", signed.pk), {"end-on": "2027-09-01"})

    assert response.status_code == 400
    assert "reason" in response.context["forms"].end.errors


def test_manager_renews_an_agreement(client, signed, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(url("allocation-renew", signed.pk), {"renew-last_day": "2029-01-31"})

    renewal = Allocation.objects.get(renews=signed)
    assert response["Location"] == renewal.get_absolute_url()
    assert (renewal.start, renewal.end) == (date(2028, 2, 1), date(2029, 2, 1))


def test_renewing_before_the_end_shows_the_error(client, signed, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(url("allocation-renew", signed.pk), {"renew-last_day": "2027-06-30"})

    assert response.status_code == 400
    assert "last_day" in response.context["forms"].renew.errors


# --- Keys and inventories ---


def test_manager_hands_over_and_gets_back_a_key(client, signed, facilities_manager):
    client.force_login(facilities_manager)

    client.post(
        url("allocation-key-issue", signed.pk),
        {"key-label": "Badge 7", "key-issued_on": "2027-02-01"},
    )
    key = signed.keys.get()
    response = client.post(
        url("allocation-key-return", key.pk), {f"key{key.pk}-returned_on": "2028-01-31"}
    )

    key.refresh_from_db()
    assert response.status_code == 302
    assert (key.label, key.returned_on) == ("Badge 7", date(2028, 1, 31))


def test_key_handover_with_expired_insurance_shows_the_error(client, signed, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-key-issue", signed.pk),
        {"key-label": "Badge 7", "key-issued_on": "2028-01-15"},
    )

    assert response.status_code == 400
    assert "issued_on" in response.context["forms"].key.errors


def test_structure_cannot_record_keys(client, signed, occupant):
    client.force_login(occupant)

    response = client.post(
        url("allocation-key-issue", signed.pk),
        {"key-label": "Badge 7", "key-issued_on": "2027-02-01"},
    )

    assert response.status_code == 404


def test_manager_records_an_inventory_with_a_photo(client, signed, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-inventory", signed.pk),
        {
            "inventory-kind": InventoryKind.ENTRY,
            "inventory-done_on": "2027-02-01",
            "inventory-notes": "Murs propres. Compteur : 01234.",
            "inventory-photo": png(),
            "inventory-alt_text": "Mur nord, peinture intacte",
        },
    )

    inventory = signed.inventories.get()
    assert response.status_code == 302
    assert inventory.photos.get().alt_text == "Mur nord, peinture intacte"


def test_inventory_photo_without_description_shows_the_error(client, signed, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-inventory", signed.pk),
        {
            "inventory-kind": InventoryKind.ENTRY,
            "inventory-done_on": "2027-02-01",
            "inventory-notes": "RAS",
            "inventory-photo": png(),
            "inventory-alt_text": "",
        },
    )

    assert response.status_code == 400
    assert "alt_text" in response.context["forms"].inventory.errors
    assert not signed.inventories.exists()  # the whole inventory is rolled back


def test_inventory_photos_are_served_to_the_structure_only(
    client, signed, facilities_manager, occupant, outsider
):
    inventory = inventory_record(
        allocation=signed,
        actor=facilities_manager,
        kind=InventoryKind.ENTRY,
        done_on=date(2027, 2, 1),
        notes="RAS",
        photos=[(png(), "Vue d'ensemble du bureau")],
    )
    photo = inventory.photos.get()

    client.force_login(occupant)
    detail = client.get(url("allocation-detail", signed.pk))
    served = client.get(url("allocation-inventory-photo", photo.pk))
    client.force_login(outsider)
    hidden = client.get(url("allocation-inventory-photo", photo.pk))

    assert 'alt="Vue d&#x27;ensemble du bureau"' in detail.content.decode()
    content = b"".join(served.streaming_content)
    served.close()
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert content.startswith(b"\x89PNG")
    assert hidden.status_code == 404


def test_manager_adds_a_photo_to_an_inventory(client, signed, facilities_manager):
    inventory = inventory_record(
        allocation=signed,
        actor=facilities_manager,
        kind=InventoryKind.ENTRY,
        done_on=date(2027, 2, 1),
        notes="RAS",
    )
    client.force_login(facilities_manager)

    response = client.post(
        url("allocation-inventory-photo-add", inventory.pk),
        {f"inv{inventory.pk}-photo": png(), f"inv{inventory.pk}-alt_text": "Fenêtre"},
    )

    assert response.status_code == 302
    assert inventory.photos.get().alt_text == "Fenêtre"


def test_detail_of_a_signed_agreement_shows_keys_and_forms(client, signed, facilities_manager):
    key_issue(
        allocation=signed, actor=facilities_manager, label="Badge 9", issued_on=date(2027, 2, 1)
    )
    client.force_login(facilities_manager)

    response = client.get(url("allocation-detail", signed.pk))

    forms = response.context["forms"]
    assert "Badge 9" in response.content.decode()
    assert forms.end is not None
    assert forms.renew is not None
    assert forms.inventory is not None
    assert forms.accept is None


# --- Site timeline ---


def test_timeline_shows_agreements_and_bookings_space_by_space(
    client, signed, facilities_manager, site, booker
):
    room = SpaceFactory(site=site, name="Salle Usinor", bookable=True)
    book(room, booker, paris(2027, 1, 12, 18), paris(2027, 1, 12, 20))
    client.force_login(facilities_manager)

    response = client.get(url("site-timeline", site.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["months"]) == 12
    assert response.context["months"][0] == date(2027, 1, 1)
    rows = dict(response.context["rows"])
    office_cells = next(cells for space, cells in rows.items() if space.name == "Bureau 12")
    room_cells = next(cells for space, cells in rows.items() if space.name == "Salle Usinor")
    assert office_cells[0].is_free  # January: signed from 1 February
    assert office_cells[1].agreements[0]["entry"].allocation_id == signed.pk
    assert len(room_cells[0].bookings) == 1
    assert "Convention avec Mobilité Solidaire (signée)" in page
    assert "Repair Café — Atelier vélo" in page


def test_timeline_takes_a_chosen_period(client, signed, facilities_manager, site):
    client.force_login(facilities_manager)

    response = client.get(url("site-timeline", site.pk), {"start": "2027-12-15", "months": "3"})

    assert response.context["months"] == [date(2027, 12, 1), date(2028, 1, 1), date(2028, 2, 1)]
    office_cells = response.context["rows"][0][1]
    assert office_cells[1].agreements[0]["until"] is None  # the whole of January
    assert office_cells[2].is_free


def test_timeline_says_when_an_agreement_stops_within_a_month(
    client, signed, facilities_manager, site
):
    allocation_end(
        allocation=signed, actor=facilities_manager, reason="Départ", on=date(2027, 6, 15)
    )
    client.force_login(facilities_manager)

    response = client.get(url("site-timeline", site.pk), {"start": "2027-06-01", "months": "2"})

    june, july = response.context["rows"][0][1]
    assert june.agreements[0]["until"] == date(2027, 6, 14)
    assert july.is_free


def test_timeline_refuses_too_many_months(client, facilities_manager, site):
    client.force_login(facilities_manager)

    response = client.get(url("site-timeline", site.pk), {"months": "60"})

    assert response.status_code == 400


def test_timeline_is_hidden_from_structures_and_outsiders(client, site, occupant, outsider):
    for user in (occupant, outsider):
        client.force_login(user)
        assert client.get(url("site-timeline", site.pk)).status_code == 404


def test_timeline_queries_do_not_grow_with_the_rows(
    client, signed, facilities_manager, site, booker
):
    room = SpaceFactory(site=site, name="Salle Usinor", bookable=True)
    book(room, booker, paris(2027, 1, 12, 18), paris(2027, 1, 12, 20))
    client.force_login(facilities_manager)
    with CaptureQueriesContext(connection) as few:
        client.get(url("site-timeline", site.pk))
    for day in (19, 26):
        book(room, booker, paris(2027, 1, day, 18), paris(2027, 1, day, 20))
    SpaceFactory(site=site, name="Salle 2")

    with CaptureQueriesContext(connection) as many:
        client.get(url("site-timeline", site.pk))

    assert len(many) == len(few)


def test_site_page_links_the_timeline_for_managers(client, site, facilities_manager, outsider):
    timeline = url("site-timeline", site.pk)

    client.force_login(facilities_manager)
    assert timeline in client.get(site.get_absolute_url()).content.decode()
    client.force_login(outsider)
    assert timeline not in client.get(site.get_absolute_url()).content.decode()


# --- Admin ---


def test_admin_shows_agreements_read_only(client, signed, facilities_manager):
    key_issue(
        allocation=signed, actor=facilities_manager, label="Badge 9", issued_on=date(2027, 2, 1)
    )
    admin = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    client.force_login(admin)

    changelist = client.get(reverse("admin:bookings_allocation_changelist"))
    change = client.get(reverse("admin:bookings_allocation_change", args=[signed.pk]))
    logs = client.get(reverse("admin:bookings_allocationlog_changelist"))

    assert (changelist.status_code, change.status_code, logs.status_code) == (200, 200, 200)
    assert "Badge 9" in change.content.decode()
    assert client.get(reverse("admin:bookings_allocation_add")).status_code == 403
