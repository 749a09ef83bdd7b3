"""One factory per model. Identifiers are valid (Luhn) and unique per sequence."""

import io
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter
from stdnum import luhn

from accounts.models import (
    DocumentKind,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationDocument,
    OrganisationKind,
    User,
)
from bookings.models import Booking
from bookings.rules import Period, make_local
from bookings.services import BookingRequest, booking_request
from spaces.models import (
    Amenity,
    Commune,
    EpciMembership,
    OpeningHours,
    Photo,
    PostalCode,
    Site,
    Space,
    SpaceKind,
    Weekday,
)


def make_siren(n: int) -> str:
    body = f"8{n:07d}"
    return body + luhn.calc_check_digit(body)


def make_siret(n: int) -> str:
    body = make_siren(n) + "0001"
    return body + luhn.calc_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.django.Password("secret-password-42")
    email_confirmed_at = factory.LazyFunction(timezone.now)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.OTHER
    name = factory.Sequence(lambda n: f"Organisation {n}")


class EpciFactory(OrganisationFactory):
    kind = OrganisationKind.EPCI
    name = factory.Sequence(lambda n: f"Communauté d'agglomération {n}")
    siren = "200042190"


class CommuneOrganisationFactory(OrganisationFactory):
    kind = OrganisationKind.COMMUNE
    name = factory.Sequence(lambda n: f"Commune {n}")


class StructureFactory(OrganisationFactory):
    kind = OrganisationKind.ESS
    name = factory.Sequence(lambda n: f"Association {n}")
    ess_family = "association"
    siret = factory.Sequence(make_siret)
    siren = factory.LazyAttribute(lambda o: o.siret[:9])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(StructureFactory)
    role = MembershipRole.ADMIN


class PostalCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostalCode
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"59{n % 1000:03d}")


# The codes tests give by hand (Denain 59172, Lille 59350…): a generated code must never be one,
# or the test that meets it, after enough communes made earlier in the session, fails on the
# unique code.
FIXED_INSEE_CODES = frozenset({"59172", "59350", "59526", "59999"})


def _generated_insee_code(n: int) -> str:
    code = f"59{n % 1000:03d}"
    # Another department for those few, so the replacement repeats no other generated code.
    return f"58{n % 1000:03d}" if code in FIXED_INSEE_CODES else code


class CommuneFactory(factory.django.DjangoModelFactory):
    """A commune of the territory: it belongs to an EPCI since 2001."""

    class Meta:
        model = Commune
        skip_postgeneration_save = True  # the hooks save what they create themselves

    insee_code = factory.Sequence(lambda n: _generated_insee_code(n))
    name = factory.Sequence(lambda n: f"Commune-sur-Escaut {n}")
    population = 5000
    organisation = factory.SubFactory(CommuneOrganisationFactory)

    @factory.post_generation
    def postcodes(self, create: bool, extracted, **kwargs) -> None:
        if create:
            codes = extracted or [
                PostalCodeFactory(code=f"59{int(self.insee_code[2:]) % 1000:03d}")
            ]
            self.postcodes.set(codes)

    @factory.post_generation
    def epci(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted is not False:
            EpciMembership.objects.create(
                epci=extracted or EpciFactory(), commune=self, start=date(2001, 1, 31)
            )


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Maison des associations {n}")
    commune = factory.SubFactory(CommuneFactory)
    owner = factory.LazyAttribute(lambda o: o.commune.organisation)
    street_number = 12
    street_name = "rue Jean-Jaurès"
    postcode = factory.LazyAttribute(lambda o: o.commune.postcodes.first().code)
    latitude = Decimal("50.328900")
    longitude = Decimal("3.395600")
    step_free_entrance = True
    has_lift = False


class AmenityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Amenity
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"amenity-{n}")
    name = factory.Sequence(lambda n: f"Équipement {n}")


class SpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Space

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Salle {n}")
    kind = SpaceKind.MEETING_ROOM
    floor = 0
    surface_m2 = Decimal("40")
    capacity = 20
    bookable = True


# --- Appended for tests/accounts and tests/test_permissions.py ---


def _blank_pdf() -> bytes:
    """A real one-page PDF (documents are parsed whole on upload, not just their first bytes)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _image(image_format: str) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(output, format=image_format)
    return output.getvalue()


PDF_BYTES = _blank_pdf()
PNG_BYTES = _image("PNG")
JPEG_BYTES = _image("JPEG")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(StructureFactory)
    email = factory.Sequence(lambda n: f"invited{n}@example.test")
    role = MembershipRole.MEMBER
    invited_by = factory.SubFactory(UserFactory)


class OrganisationDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationDocument

    organisation = factory.SubFactory(StructureFactory)
    kind = DocumentKind.STATUTES
    file = factory.django.FileField(filename="statuts.pdf", data=PDF_BYTES)
    uploaded_by = factory.SubFactory(UserFactory)


# --- Appended for tests/spaces, tests/api and tests/core/test_seed_demo.py ---


class EpciMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EpciMembership

    epci = factory.SubFactory(EpciFactory)
    commune = factory.SubFactory(CommuneFactory, epci=False)
    start = date(2001, 1, 31)


class PhotoFactory(factory.django.DjangoModelFactory):
    """A stored photo; real uploads go through spaces.services.photo_add (re-encoding)."""

    class Meta:
        model = Photo

    site = factory.SubFactory(SiteFactory)
    image = factory.django.ImageField(filename="photo.jpg", format="JPEG", width=32, height=24)
    alt_text = factory.Sequence(lambda n: f"Façade du bâtiment, vue {n}")


# --- Appended for tests/bookings and tests/api/test_bookings_api.py ---

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Paris, checked to exist (make_local refuses 02:30 on 28 March 2027)."""
    return make_local(datetime(year, month, day, hour, minute), PARIS)  # noqa: DTZ001


class VerifiedStructureFactory(StructureFactory):
    """An ESS structure the intercommunality has verified: it may request space."""

    verified_at = factory.LazyFunction(timezone.now)
    verified_by = factory.SubFactory(UserFactory)


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    space = factory.SubFactory(SpaceFactory)
    weekday = Weekday.TUESDAY
    opens = time(8)
    closes = time(20)


def booking_request_for(
    *,
    space: Space,
    requested_by: User,
    start: datetime,
    end: datetime,
    organisation: Organisation | None = None,
    purpose: str = "Réunion du bureau",
    attendees: int = 10,
    **series: object,
) -> Booking:
    """Request a booking through the real service (the first organisation of the user by default).

    `series` takes the other fields of BookingRequest: frequency, repeat_count, repeat_until,
    skip_conflicts.
    """
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=organisation or requested_by.memberships.first().organisation,
            purpose=purpose,
            attendees=attendees,
            first=Period(start, end),
            **series,
        ),
        requested_by=requested_by,
    )


# --- Appended for tests/calls and tests/api/test_calls_api.py ---


class CallFactory(factory.django.DjangoModelFactory):
    """A draft call, without lots or criteria (add them with CallLotFactory, CriterionFactory)."""

    class Meta:
        model = "calls.Call"

    owner = factory.SubFactory(CommuneOrganisationFactory)
    title = factory.Sequence(lambda n: f"Bureaux vacants pour l'ESS {n}")
    presentation = "Deux bureaux au premier étage, occupation de trois ans renouvelable."
    eligibility = "Structures de l'ESS immatriculées, actives sur le territoire."
    required_documents = factory.LazyFunction(lambda: ["statutes", "insurance"])
    created_by = factory.SubFactory(UserFactory)


class CallLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.CallLot"

    call = factory.SubFactory(CallFactory)
    space = factory.SubFactory(
        SpaceFactory, kind=SpaceKind.OFFICE, allocatable=True, bookable=False
    )
    position = factory.Sequence(lambda n: n + 1)


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.Criterion"

    call = factory.SubFactory(CallFactory)
    name = factory.Sequence(lambda n: f"Critère {n}")
    description = "Ce que le jury apprécie."
    weight = 10
    position = factory.Sequence(lambda n: n + 1)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft application of a verified structure (submit it through calls.services)."""

    class Meta:
        model = "calls.Application"

    call = factory.SubFactory(CallFactory)
    structure = factory.SubFactory(VerifiedStructureFactory)
    submitted_by = factory.SubFactory(UserFactory)
    project = "Une ressourcerie avec un atelier de réparation ouvert aux habitants."


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.Preference"

    application = factory.SubFactory(ApplicationFactory)
    lot = factory.SubFactory(CallLotFactory)
    rank = 1


class ReviewerAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.ReviewerAssignment"

    call = factory.SubFactory(CallFactory)
    reviewer = factory.SubFactory(UserFactory)


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.Score"

    application = factory.SubFactory(ApplicationFactory)
    reviewer = factory.SubFactory(UserFactory)
    criterion = factory.SubFactory(CriterionFactory)
    mark = 5


# --- Appended for tests/reports and tests/calls/test_waiting_list.py ---


def agreement_signed(
    *,
    actor: User,
    structure: Organisation,
    spaces: list[Space],
    start: date,
    end: date,
    annual_fee_cents: int = 0,
    signed_on: date | None = None,
):
    """An occupancy agreement offered, accepted and signed through bookings.allocations.

    Offered and signed for the owner by a member of the owner's staff (the only people, with
    delegated managers, who commit an owner: docs/decisions.md), accepted by `actor` if they
    administer the structure, else by one of its administrators (made if needed: only they
    answer an offer); the structure must be verified. Free (L2125-1) without a fee.
    """
    from accounts.models import Membership
    from bookings.allocations import allocation_accept, allocation_offer, allocation_sign
    from bookings.models import FreeUseBasis

    owner = spaces[0].site.owner
    staff = Membership.objects.filter(organisation=owner).select_related("user").first()
    signer = staff.user if staff else MembershipFactory(organisation=owner).user
    allocation = allocation_offer(
        actor=signer,
        structure=structure,
        spaces=spaces,
        start=start,
        end=end,
        annual_fee_cents=annual_fee_cents,
        free_use_basis="" if annual_fee_cents else FreeUseBasis.L2125_1,
        direct_reason="Occupation consentie sans appel (test).",
    )
    administrators = Membership.objects.filter(organisation=structure, role=MembershipRole.ADMIN)
    if not administrators.filter(user=actor).exists():
        admin = administrators.select_related("user").first()
        actor = admin.user if admin else MembershipFactory(organisation=structure).user
    allocation_accept(
        allocation=allocation, actor=actor, house_rules_accepted=True, insurance_valid_until=end
    )
    allocation_sign(allocation=allocation, actor=signer, today=signed_on or start)
    allocation.refresh_from_db()
    return allocation


class CashSubsidyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reports.CashSubsidy"

    structure = factory.SubFactory(StructureFactory)
    granted_by = factory.SubFactory(CommuneOrganisationFactory)
    year = 2026
    amount_cents = 150_000
    label = "Fonctionnement"
    entered_by = factory.SubFactory(UserFactory)


class WaitingListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.WaitingListEntry"
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    kind = SpaceKind.OFFICE
    notes = "Deux bureaux pour l'accueil du public."

    @factory.post_generation
    def communes(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            self.communes.set(extracted)


def admin_url(model, action: str, *args) -> str:
    """The Django admin's page `action` ("changelist", "change", …) of `model`."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)
