"""Every list endpoint and list page answers in a number of queries that does not grow with its
rows (issue 10 §5): one row, then a full page (50 rows, or page 1 of several pages), same count.

One registry, `CASES`, holds a case per URL name that lists things; a second, `NOT_LISTS`, names
every other URL of the site with the reason it is not a list.
`test_every_url_is_a_list_case_or_named_as_no_list` reads the URLconf, so a new URL fails the
suite until it is put in one of the two.

A case builds its rows through factories and the real services (bookings write their Occupancy
rows), then gives the request to make: who asks, the URL, its parameters and how to count the
rows in the answer (so the test also proves that the rows are listed). The exact count is
asserted per database vendor (`case(..., postgresql=N)` where PostgreSQL's differs; none does
today). When a change moves a count, the failure names the case and both numbers.
The clock is frozen on Monday 4 January 2027, 09:00 in Paris (tests/helpers.py).
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from pypdf import PdfReader
from stdnum import luhn

from accounts.models import Invitation, MembershipRole, OrganisationKind
from bookings.models import (
    Booking,
    BookingGroup,
    CalendarFeed,
    Equipment,
    Frequency,
    SharingWindow,
    SlotWait,
)
from bookings.rules import Period
from bookings.services import (
    booking_approve,
    booking_comment_post,
    bookings_release_no_shows,
    calendar_feed_create,
    check_in_settings_set,
    closure_create,
    quota_save,
)
from calls import services as services_calls
from calls.models import Application
from calls.services import application_comment_post
from payments.models import ChannelKind, Payment, PaymentChannel, PaymentStatus, Tariff
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.cards import booking_payment_open
from payments.services.documents import invoice_issue_for_payment
from payments.services.tariffs import tariff_set
from seasons import services as season_services
from seasons.models import Campaign, CampaignStatus
from spaces.models import Amenity, SiteManager, SpaceKind, WidgetOrigin
from spaces.services import space_save
from tests.calls.conftest import draft_call, member_of_new_structure, submitted
from tests.factories import (
    AmenityFactory,
    CashSubsidyFactory,
    CommuneFactory,
    MembershipFactory,
    OpeningHoursFactory,
    OrganisationDocumentFactory,
    OrganisationFactory,
    PhotoFactory,
    SiteFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
    VerifiedStructureFactory,
    WaitingListEntryFactory,
    agreement_signed,
    booking_request_for,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

MANY = 50  # a full page of the API (PAGE_SIZE) and more than a page of the paginated pages


@dataclass
class Get:
    """The request of a case: who asks (None: anonymous), where, and how to count the rows."""

    user: object | None
    url: str
    rows: Callable[[object], int]
    params: dict = field(default_factory=dict)


def api_page(response) -> int:
    return len(response.json()["results"])


def api_list(response) -> int:
    return len(response.json())


def html(pattern: str, *, distinct: bool = True) -> Callable[[object], int]:
    """Count the rows of an HTML page: the different strings matching `pattern` (a regular
    expression; a row may show its name or link twice), or all the matches."""

    def rows(response) -> int:
        found = re.findall(pattern, response.content.decode())
        return len(set(found)) if distinct else len(found)

    return rows


class World:
    """The people and places the cases share, made on first use."""

    def __init__(self, personas: dict) -> None:
        self.__dict__.update(personas)
        self.made = 0  # numbers the rows' names
        self.booked = 0  # bookings made so far (several calls add to them)

    @cached_property
    def requester(self):
        return MembershipFactory(
            organisation=VerifiedStructureFactory(name="Les Amis du Vélo"),
            user=UserFactory(email="asso@example.test"),
        ).user

    @cached_property
    def organisation(self):
        return self.requester.memberships.get().organisation

    def next(self) -> int:
        """A number for the next row's name, unique in the test."""
        self.made += 1
        return self.made

    def siret(self) -> str:
        """A valid SIRET (Luhn keys), unique in the test."""
        siren = f"29{self.next():06d}"
        siren += luhn.calc_check_digit(siren)
        return siren + "0001" + luhn.calc_check_digit(siren + "0001")

    @cached_property
    def reviewer(self):
        return UserFactory(email="jury@example.test")

    @cached_property
    def feed(self):
        return calendar_feed_create(
            user=self.facilities_manager, scope=CalendarFeed.Scope.SPACE, target=self.space
        )

    def office(self):
        return SpaceFactory(
            site=self.site,
            name=f"QC office {self.next()}",
            kind=SpaceKind.OFFICE,
            allocatable=True,
            bookable=False,
        )

    def agreements(self, count: int) -> None:
        """`count` signed agreements of the requester's structure, an office each."""
        for _ in range(count):
            agreement_signed(
                actor=self.requester,
                structure=self.organisation,
                spaces=[self.office()],
                start=date(2027, 2, 1),
                end=date(2028, 2, 1),
                annual_fee_cents=120_000,
            )

    @cached_property
    def made_calls(self) -> list:
        return []

    def calls(self, count: int, *, publish: bool = False) -> None:
        """`count` calls of the commune, an office each, published or drafts."""
        for _ in range(count):
            call = draft_call(
                actor=self.commune_staff,
                owner=self.commune.organisation,
                spaces=[self.office()],
                title=f"QC call {self.next()}",
            )
            if publish:
                services_calls.call_publish(call=call, actor=self.commune_staff)
                call.refresh_from_db()
            self.made_calls.append(call)

    @cached_property
    def call(self):
        """The published call the applications answer."""
        self.calls(1, publish=True)
        return self.made_calls[-1]

    @cached_property
    def draft_call(self):
        """A draft call of the commune, its grid and lots still open to change."""
        return draft_call(
            actor=self.commune_staff,
            owner=self.commune.organisation,
            spaces=[self.office()],
            title="QC draft",
        )

    def applications(self, count: int) -> None:
        """`count` submitted applications to `call`, each of its own verified structure."""
        for _ in range(count):
            structure, user = member_of_new_structure(
                f"QC applicant {self.next()}", f"qc-applicant-{self.made}@example.test"
            )
            submitted(call=self.call, structure=structure, actor=user)

    @cached_property
    def collector(self):
        """The site's owner collects by card; the space is priced for associations."""
        tariff_set(
            space=self.space,
            category=OrganisationCategory.ASSOCIATION,
            unit=TariffUnit.HOUR,
            amount_cents=1500,
            actor=self.territory_admin,
        )
        return PaymentChannel.objects.create(
            owner=self.site.owner,
            kind=ChannelKind.STRIPE,
            stripe_publishable_key="pk_test_locaux_communs",
            stripe_secret_key="sk_test_locaux_communs",
            stripe_webhook_secret="whsec_test_locaux_communs",
        )

    def payments(self, count: int) -> None:
        """`count` bookings of the requester, each with its payment opened (Stripe not called)."""
        assert self.collector
        for booking in self.book(count):
            booking_payment_open(booking=booking, actor=self.requester)

    def book(self, count: int, *, space=None, approve: bool = False) -> list:
        """`count` bookings of an hour, twelve a day from 08:00, from Tuesday 12 January 2027."""
        space = space or self.space
        bookings = []
        for index in range(self.booked, self.booked + count):
            start = paris(2027, 1, 12, 8 + index % 12) + timedelta(days=index // 12)
            booking = booking_request_for(
                space=space,
                requested_by=self.requester,
                start=start,
                end=start + timedelta(hours=1),
            )
            if approve:
                booking_approve(booking=booking, actor=self.territory_admin)
            bookings.append(booking)
        self.booked += count
        return bookings


@dataclass
class Case:
    build: Callable[[World, int], Get]
    queries: dict[str, int]  # vendor → exact count for the page of MANY rows
    page: int | None = None  # the page size of a paginated list


CASES: dict[str, Case] = {}


def case(name: str, *, sqlite: int, postgresql: int | None = None, page: int | None = None):
    """Register the function that builds `count` more rows and returns the request."""

    def register(build: Callable[[World, int], Get]) -> Callable[[World, int], Get]:
        queries = {"sqlite": sqlite, "postgresql": sqlite if postgresql is None else postgresql}
        CASES[name] = Case(build=build, queries=queries, page=page)
        return build

    return register


# --- API -------------------------------------------------------------------------------------


@case("api:me", sqlite=6)
def _api_me(w: World, count: int) -> Get:
    """The caller's organisations (and sites) in the same four queries, after the session's."""
    for _ in range(count):
        MembershipFactory(
            organisation=VerifiedStructureFactory(name=f"QC structure {w.next()}"),
            user=w.facilities_manager,
        )
    return Get(
        w.facilities_manager,
        reverse("api:me"),
        lambda response: len(response.json()["organisations"]),
    )


@case("api:commune-list", sqlite=3, page=50)
def _api_communes(w: World, count: int) -> Get:
    for _ in range(count):
        CommuneFactory(epci=w.epci)
    return Get(None, reverse("api:commune-list"), api_page)


@case("api:site-list", sqlite=1, page=50)
def _api_sites(w: World, count: int) -> Get:
    for _ in range(count):
        SpaceFactory(site=SiteFactory(commune=w.commune))
    return Get(None, reverse("api:site-list"), api_page)


@case("api:space-list", sqlite=3, page=50)
def _api_spaces(w: World, count: int) -> Get:
    for _ in range(count):
        space = SpaceFactory(site=SiteFactory(commune=w.commune))
        space.amenities.add(AmenityFactory())
        PhotoFactory(site=space.site, space=space)
    return Get(None, reverse("api:space-list"), api_page)


@case("api:availability", sqlite=3, page=50)
def _api_availability(w: World, count: int) -> Get:
    for _ in range(count):
        space = SpaceFactory(site=SiteFactory(commune=w.commune))
        space.amenities.add(AmenityFactory())
        PhotoFactory(site=space.site, space=space)
    slot = {"start": "2027-01-12T18:00:00+01:00", "end": "2027-01-12T20:00:00+01:00"}
    return Get(None, reverse("api:availability"), api_page, slot)


@case("api:space-occupancy", sqlite=7)
def _api_space_occupancy(w: World, count: int) -> Get:
    w.book(count)
    window = {"start": "2027-01-11T00:00:00+01:00", "end": "2027-02-10T00:00:00+01:00"}
    return Get(
        w.facilities_manager, reverse("api:space-occupancy", args=[w.space.pk]), api_list, window
    )


@case("api:booking-list", sqlite=4)
def _api_bookings(w: World, count: int) -> Get:
    w.book(count)
    return Get(w.territory_admin, reverse("api:booking-list"), api_page)


@case("api:allocation-sharing-windows", sqlite=5)
def _api_sharing_windows(w: World, count: int) -> Get:
    """An agreement's shared times (proposed, one weekly hour each), read by the occupant."""
    if not hasattr(w, "shared_agreement"):
        room = w.office()
        room.bookable = True
        room.save(update_fields=["bookable"])
        w.shared_agreement = agreement_signed(
            actor=w.requester,
            structure=w.organisation,
            spaces=[room],
            start=date(2027, 2, 1),
            end=date(2028, 2, 1),
        )
        w.shared_windows = 0
    room = w.shared_agreement.spaces.get()
    SharingWindow.objects.bulk_create(
        SharingWindow(
            allocation=w.shared_agreement,
            space=room,
            weekday=index % 7,
            start_time=time(8 + index // 7),
            end_time=time(9 + index // 7),
            valid_from=date(2027, 3, 1),
            valid_until=date(2027, 6, 30),
            occupant_share_percent=50,
            proposed_by=w.requester,
        )
        for index in range(w.shared_windows, w.shared_windows + count)
    )
    w.shared_windows += count
    url = reverse("api:allocation-sharing-windows", args=[w.shared_agreement.pk])
    return Get(w.requester, url, lambda response: len(response.json()))


@case("api:allocation-list", sqlite=9, page=50)
def _api_allocations(w: World, count: int) -> Get:
    w.agreements(count)
    return Get(w.territory_admin, reverse("api:allocation-list"), api_page)


@case("api:call-list", sqlite=4, page=50)
def _api_calls(w: World, count: int) -> Get:
    w.calls(count, publish=True)
    return Get(None, reverse("api:call-list"), api_page)


def _season_campaign(w: World, title: str):
    return season_services.campaign_create(
        actor=w.commune_staff,
        owner=w.commune.organisation,
        terms=season_services.CampaignTerms(
            title=title,
            school_year=2027,
            opens_on=date(2027, 1, 4),
            deadline=paris(2027, 3, 31, 12),
            spaces=[w.space],
            local_structures=[w.organisation],
        ),
    )


@case("api:season-campaign-list", sqlite=7, page=50)
def _api_season_campaigns(w: World, count: int) -> Get:
    """Campaigns with their spaces, the commune's structures and their counts of wishes."""
    for _ in range(count):
        _season_campaign(w, f"QC season {w.next()}")
    return Get(w.commune_staff, reverse("api:season-campaign-list"), api_page)


@case("api:season-wish-list", sqlite=7, page=50)
def _api_season_wishes(w: World, count: int) -> Get:
    """Wishes of structures each, their options and equipment, read by who runs the campaign."""
    campaign = w.__dict__.get("season_campaign")
    if campaign is None:
        campaign = w.season_campaign = _season_campaign(w, "QC season")
        season_services.campaign_open(campaign=campaign, actor=w.commune_staff)
    for _ in range(count):
        structure = VerifiedStructureFactory(name=f"QC structure {w.next()}")
        season_services.wish_submit(
            actor=MembershipFactory(organisation=structure).user,
            campaign=campaign,
            structure=structure,
            rank=1,
            attendees=10,
            purpose="QC",
            activity="sport",
            period="year",
            options=[
                season_services.OptionInput(weekday=1, start=time(18), end=time(20), space=w.space),
                season_services.OptionInput(
                    weekday=2, start=time(18), end=time(20), space_kind=SpaceKind.MEETING_ROOM
                ),
            ],
        )
    return Get(w.commune_staff, reverse("api:season-wish-list"), api_page)


@case("api:application-list", sqlite=7, page=50)
def _api_applications(w: World, count: int) -> Get:
    w.applications(count)
    return Get(w.commune_staff, reverse("api:application-list"), api_page)


@case("api:call-ranking", sqlite=11)
def _api_call_ranking(w: World, count: int) -> Get:
    w.applications(count)
    return Get(
        w.commune_staff,
        reverse("api:call-ranking", args=[w.call.pk]),
        lambda response: len(response.json()[0]["rows"]),
    )


@case("api:call-criteria", sqlite=6, page=50)
def _api_call_criteria(w: World, count: int) -> Get:
    call = w.draft_call
    for _ in range(count):
        services_calls.criterion_add(
            call=call, actor=w.commune_staff, name=f"QC criterion {w.next()}", weight=10
        )
    return Get(w.commune_staff, reverse("api:call-criteria", args=[call.pk]), api_page)


@case("api:call-lots", sqlite=6, page=50)
def _api_call_lots(w: World, count: int) -> Get:
    call = w.draft_call
    for _ in range(count):
        services_calls.lot_add(call=call, actor=w.commune_staff, space=w.office())
    return Get(w.commune_staff, reverse("api:call-lots", args=[call.pk]), api_page)


@case("api:payment-list", sqlite=6)
def _api_payments(w: World, count: int) -> Get:
    w.payments(count)
    return Get(w.requester, reverse("api:payment-list"), api_list)


@case("api:calendar-feed-list", sqlite=4, page=50)
def _api_calendar_feeds(w: World, count: int) -> Get:
    """Feeds of a space and of a site: their targets' names come with them."""
    for n in range(count):
        scope, target = [(CalendarFeed.Scope.SPACE, w.space), (CalendarFeed.Scope.SITE, w.site)][
            n % 2
        ]
        calendar_feed_create(user=w.facilities_manager, scope=scope, target=target)
    return Get(w.facilities_manager, reverse("api:calendar-feed-list"), api_page)


@case("api:invoice-list", sqlite=5, page=50)
def _api_invoices(w: World, count: int) -> Get:
    """Invoices of collected payments (the payer's view)."""
    w.payments(count)
    for payment in Payment.objects.filter(invoices__isnull=True, booking__requested_by=w.requester):
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.CAPTURED, captured_cents=payment.amount_cents
        )
        invoice_issue_for_payment(payment=payment)
    return Get(w.requester, reverse("api:invoice-list"), api_page)


@case("api:site-closure-list", sqlite=6, page=50)
def _api_site_closures(w: World, count: int) -> Get:
    for _ in range(count):
        n = w.next()
        day = paris(2027, 2, 1) + timedelta(days=n)
        closure_create(
            actor=w.territory_admin,
            space=w.space,
            period=Period(day, day + timedelta(hours=12)),
            reason=f"QC closure {n}",
        )
    return Get(w.facilities_manager, reverse("api:site-closure-list", args=[w.site.pk]), api_page)


def _equipment(w: World, count: int) -> None:
    Equipment.objects.bulk_create(
        Equipment(site=w.site, name=f"QC item {w.next()}", stock=5) for _ in range(count)
    )


@case("api:site-equipment-list", sqlite=3, page=50)
def _api_site_equipment(w: World, count: int) -> Get:
    _equipment(w, count)
    return Get(None, reverse("api:site-equipment-list", args=[w.site.pk]), api_page)


@case("api:space-equipment-list", sqlite=3, page=50)
def _api_space_equipment(w: World, count: int) -> Get:
    _equipment(w, count)
    return Get(None, reverse("api:space-equipment-list", args=[w.space.pk]), api_page)


@case("api:site-quota-list", sqlite=6, page=50)
def _api_site_quotas(w: World, count: int) -> Get:
    for _ in range(count):
        structure = VerifiedStructureFactory(name=f"QC structure {w.next()}")
        quota_save(actor=w.territory_admin, site=w.site, organisation=structure, max_pending=3)
    return Get(w.facilities_manager, reverse("api:site-quota-list", args=[w.site.pk]), api_page)


@case("api:organisation-list", sqlite=5, page=50)
def _api_organisations(w: World, count: int) -> Get:
    for _ in range(count):
        MembershipFactory(
            organisation=StructureFactory(name=f"QC structure {w.next()}"),
            user=w.facilities_manager,
        )
    return Get(w.facilities_manager, reverse("api:organisation-list"), api_page)


@case("api:organisation-member-list", sqlite=6, page=50)
def _api_organisation_members(w: World, count: int) -> Get:
    for _ in range(count):
        MembershipFactory(
            organisation=w.organisation,
            user=UserFactory(last_name=f"QC member {w.next()}"),
            role=MembershipRole.MEMBER,
        )
    return Get(
        w.requester, reverse("api:organisation-member-list", args=[w.organisation.pk]), api_page
    )


@case("api:organisation-invitation-list", sqlite=7, page=50)
def _api_organisation_invitations(w: World, count: int) -> Get:
    for _ in range(count):
        Invitation.objects.create(
            organisation=w.organisation,
            email=f"qc-invited-{w.next()}@example.test",
            invited_by=w.requester,
        )
    return Get(
        w.requester,
        reverse("api:organisation-invitation-list", args=[w.organisation.pk]),
        api_page,
    )


@case("api:organisation-document-list", sqlite=6, page=50)
def _api_organisation_documents(w: World, count: int) -> Get:
    for _ in range(count):
        OrganisationDocumentFactory(organisation=w.organisation, uploaded_by=w.requester)
    return Get(
        w.requester, reverse("api:organisation-document-list", args=[w.organisation.pk]), api_page
    )


def _series(w: World, count: int):
    """A booking of as many dates as all the calls asked for so far: a series is made whole,
    so the second call makes a new one, of 1 + `count` weekly dates, at another hour."""
    w.series_dates = getattr(w, "series_dates", 0) + count
    start = paris(2027, 1, 12, 8 + 2 * w.next())
    repeat = {"frequency": Frequency.WEEKLY, "repeat_count": w.series_dates}
    return booking_request_for(
        space=w.space,
        requested_by=w.requester,
        start=start,
        end=start + timedelta(hours=1),
        **(repeat if w.series_dates > 1 else {}),
    )


@case("api:payment-channel-list", sqlite=5, page=50)
def _api_payment_channels(w: World, count: int) -> Get:
    """Organisations running a site, each with its card channel (the secrets never answered)."""
    for _ in range(count):
        site = SiteFactory(commune=CommuneFactory(epci=w.epci), name=f"QC site {w.next()}")
        PaymentChannel.objects.create(
            owner=site.owner,
            kind=ChannelKind.STRIPE,
            stripe_publishable_key="pk_test_locaux_communs",
            stripe_secret_key="sk_test_locaux_communs",
            stripe_webhook_secret="whsec_test_locaux_communs",
        )
    return Get(w.territory_admin, reverse("api:payment-channel-list"), api_page)


@case("api:booking-detail", sqlite=10)  # + answers and files, equipment (issue 16)
def _api_booking_detail(w: World, count: int) -> Get:
    booking = _series(w, count)
    return Get(
        w.requester,
        reverse("api:booking-detail", args=[booking.pk]),
        lambda response: len(response.json()["occurrences"]),
    )


@case("api:booking-comment-list", sqlite=6, page=50)
def _api_booking_comments(w: World, count: int) -> Get:
    """A booking's conversation (authors read with their messages)."""
    if not w.booked:
        w.book(1)
    booking = w.requester.memberships.get().organisation.bookings.get()
    for index in range(count):
        author = w.requester if index % 2 else w.facilities_manager
        booking_comment_post(booking=booking, actor=author, body=f"QC message {w.next()}")
    return Get(
        w.facilities_manager, reverse("api:booking-comment-list", args=[booking.pk]), api_page
    )


def _slot_waits(w: World, count: int) -> None:
    """`count` structures (the requester's first) waiting for evenings of the space: rows
    written directly, a line longer than the per-structure cap allows one structure."""
    for _ in range(count):
        number = w.next()
        SlotWait.objects.create(
            space=w.space,
            organisation=w.organisation,
            requested_by=w.requester,
            start=datetime(2027, 2, 1, 17, tzinfo=UTC) + timedelta(days=number),
            end=datetime(2027, 2, 1, 19, tzinfo=UTC) + timedelta(days=number),
            purpose=f"QC wait {number}",
            attendees=5,
        )


@case("api:slot-wait-list", sqlite=5, page=50)
def _api_slot_waits(w: World, count: int) -> Get:
    """Waiting for a slot (issue 16): the line of the manager's space (space, site and
    structure read with each wait, its place counted in the same query)."""
    _slot_waits(w, count)
    return Get(w.facilities_manager, reverse("api:slot-wait-list"), api_page)


def _conversation(w: World, count: int):
    """The application of the structure "QC talker" to `call`, with `count` more messages
    (one side, then the other)."""
    application = Application.objects.filter(structure__name="QC talker").first()
    if application is None:
        structure, user = member_of_new_structure("QC talker", "qc-talker@example.test")
        application = submitted(call=w.call, structure=structure, actor=user)
    applicant = application.submitted_by
    for index in range(count):
        author = applicant if index % 2 else w.commune_staff
        application_comment_post(
            application=application, actor=author, body=f"QC message {w.next()}"
        )
    return application


@case("api:application-comment-list", sqlite=8, page=50)  # + the two sides asked
def _api_application_comments(w: World, count: int) -> Get:
    """An application's conversation (authors read with their messages)."""
    application = _conversation(w, count)
    return Get(
        w.commune_staff,
        reverse("api:application-comment-list", args=[application.pk]),
        api_page,
    )


# --- Pages of accounts and the dashboard -----------------------------------------------------


@case("portal:dashboard", sqlite=12)
def _dashboard(w: World, count: int) -> Get:
    """Commune staff: their premises grow (the other sections are capped lists)."""
    for _ in range(count):
        SiteFactory(commune=w.commune, name=f"QC site {w.next()}")
    return Get(w.commune_staff, reverse("portal:dashboard"), html(r"QC site \d+"))


@case("accounts:structures-to-verify", sqlite=6)
def _structures_to_verify(w: World, count: int) -> Get:
    for _ in range(count):
        MembershipFactory(organisation=StructureFactory(name=f"QC structure {w.next()}"))
    return Get(
        w.territory_admin, reverse("accounts:structures-to-verify"), html(r"QC structure \d+")
    )


@case("accounts:notifications", sqlite=5, page=30)
def _notifications(w: World, count: int) -> Get:
    from accounts.models import Notification

    for _ in range(count):
        Notification.objects.create(
            user=w.requester, topic="t", subject=f"QC notification {w.next()}", body="b", link="/"
        )
    return Get(w.requester, reverse("accounts:notifications"), html(r"QC notification \d+"))


@case("accounts:api-tokens", sqlite=6)
def _api_tokens(w: World, count: int) -> Get:
    from datetime import datetime

    from accounts.services.tokens import api_token_create

    for _ in range(count):
        api_token_create(
            actor=w.requester,
            name=f"QC token {w.next()}",
            scope="read",
            expires_at=datetime(2027, 3, 1, tzinfo=UTC),
            organisation=w.organisation,
        )
    return Get(w.requester, reverse("accounts:api-tokens"), html(r"QC token \d+"))


@case("accounts:structure-detail", sqlite=11)
def _structure_detail(w: World, count: int) -> Get:
    for _ in range(count):
        n = w.next()
        MembershipFactory(
            organisation=w.organisation,
            user=UserFactory(last_name=f"QC member {n}"),
            role=MembershipRole.MEMBER,
        )
        OrganisationDocumentFactory(organisation=w.organisation, uploaded_by=w.requester)
    return Get(
        w.requester,
        reverse("accounts:structure-detail", args=[w.organisation.pk]),
        html(r"QC member \d+"),
    )


# --- Pages of integrations (webhooks) ---------------------------------------------------------


def _webhook(w: World):
    from integrations.models import WebhookEndpoint

    # Rows made directly: the service caps an organisation at 10 webhooks, a list case needs 50.
    return WebhookEndpoint.objects.create(
        organisation=w.organisation,
        url=f"https://93.184.216.34/qc-hook-{w.next()}",
        events=["booking.requested"],
        secret="whsec_qc",
    )


@case("integrations:endpoint-list", sqlite=6)
def _webhooks(w: World, count: int) -> Get:
    for _ in range(count):
        _webhook(w)
    return Get(
        w.requester,
        reverse("integrations:endpoint-list", args=[w.organisation.pk]),
        html(r"qc-hook-\d+"),
    )


@case("integrations:endpoint-detail", sqlite=7, page=25)
def _webhook_deliveries(w: World, count: int) -> Get:
    import uuid

    from integrations.models import WebhookDelivery

    if not hasattr(w, "webhook"):
        w.webhook = _webhook(w)
    for _ in range(count):
        event = uuid.uuid4()
        WebhookDelivery.objects.create(
            endpoint=w.webhook,
            event_id=event,
            event_type="booking.requested",
            payload={"id": str(event)},
            status="delivered",
            response_status=200,
            response_ms=12,
        )
    return Get(
        w.requester,
        reverse("integrations:endpoint-detail", args=[w.webhook.pk]),
        html(r"/integrations/envois/\d+/rejouer/"),
    )


def _deliveries(w: World, count: int):
    """`count` delivered events of the requester's webhook (made on first use)."""
    import uuid

    from integrations.models import WebhookDelivery

    if not hasattr(w, "webhook"):
        w.webhook = _webhook(w)
    for _ in range(count):
        event = uuid.uuid4()
        WebhookDelivery.objects.create(
            endpoint=w.webhook,
            event_id=event,
            event_type="booking.requested",
            payload={"id": str(event)},
            status="delivered",
            attempts=1,
            response_status=200,
            response_ms=12,
        )
    return w.webhook


@case("api:webhook-endpoint-list", sqlite=5)
def _api_webhooks(w: World, count: int) -> Get:
    for _ in range(count):
        _webhook(w)
    return Get(w.requester, reverse("api:webhook-endpoint-list"), api_page)


@case("api:webhook-delivery-list", sqlite=6)
def _api_webhook_deliveries(w: World, count: int) -> Get:
    webhook = _deliveries(w, count)
    return Get(w.requester, reverse("api:webhook-delivery-list", args=[webhook.pk]), api_page)


# --- Pages of spaces -------------------------------------------------------------------------


def _spaces_of_other_sites(w: World, count: int) -> None:
    """Spaces with what their cards show: equipment, a photo, opening hours, two tariffs (the
    card's price comes from payments through spaces.cards, in the same query)."""
    for _ in range(count):
        space = SpaceFactory(
            site=SiteFactory(commune=w.commune), name=f"QC space {w.next()}", capacity=30
        )
        space.amenities.add(AmenityFactory())
        PhotoFactory(site=space.site, space=space)
        OpeningHoursFactory(space=space, weekday=1, opens=time(8), closes=time(22))
        for unit, cents in ((TariffUnit.HOUR, 1200), (TariffUnit.DAY, 8000)):
            Tariff.objects.create(
                space=space,
                category=OrganisationCategory.ASSOCIATION,
                unit=unit,
                amount_cents=cents,
            )


@case("spaces:catalogue", sqlite=6, page=24)
def _catalogue(w: World, count: int) -> Get:
    _spaces_of_other_sites(w, count)
    return Get(None, reverse("spaces:catalogue"), html(r'href="/espaces/\d+/"'))


@case("spaces:site-detail", sqlite=4)
def _site_detail(w: World, count: int) -> Get:
    for _ in range(count):
        space = SpaceFactory(site=w.site, name=f"QC space {w.next()}")
        space.amenities.add(AmenityFactory())
        PhotoFactory(site=w.site, space=space)
    return Get(None, reverse("spaces:site-detail", args=[w.site.pk]), html(r"QC space \d+"))


@case("spaces:site-photos", sqlite=8)
def _site_photos(w: World, count: int) -> Get:
    for _ in range(count):
        PhotoFactory(site=w.site, alt_text=f"QC photo {w.next()}")
    return Get(
        w.facilities_manager, reverse("spaces:site-photos", args=[w.site.pk]), html(r"QC photo \d+")
    )


# --- Pages of bookings -----------------------------------------------------------------------

BOOKING_LINK = r"/reservations/\d+/"


@case("bookings:booking-list", sqlite=8, page=20)
def _booking_list(w: World, count: int) -> Get:
    w.book(count)
    return Get(w.requester, reverse("bookings:booking-list"), html(BOOKING_LINK))


@case(
    "bookings:booking-detail", sqlite=28
)  # + questions, answers, files, missing, equipment, its conversation, check-in setting (16)
def _booking_detail(w: World, count: int) -> Get:
    booking = _series(w, count)
    return Get(
        w.requester,
        reverse("bookings:booking-detail", args=[booking.pk]),
        html(r"<li>[^<]*\d\d:\d\d–\d\d:\d\d", distinct=False),
    )


@case("bookings:group-detail", sqlite=8)  # issue 16: the rooms in one query, whatever their number
def _group_detail(w: World, count: int) -> Get:
    bookings = w.book(count)
    group, _ = BookingGroup.objects.get_or_create(  # the second call grows the same group
        site=w.space.site, organisation=w.organisation, requested_by=w.requester
    )
    Booking.objects.filter(pk__in=[booking.pk for booking in bookings]).update(group=group)
    return Get(
        w.requester,
        reverse("bookings:group-detail", args=[group.pk]),
        html(r'data-label="[^"]+"><a href="/reservations/\d+/"', distinct=False),
    )


@case("bookings:pending", sqlite=9)  # + the structures' no-shows, one query (16)
def _pending(w: World, count: int) -> Get:
    w.book(count)
    return Get(w.facilities_manager, reverse("bookings:pending"), html(BOOKING_LINK))


@case("bookings:availability", sqlite=4)
def _availability(w: World, count: int) -> Get:
    _spaces_of_other_sites(w, count)
    search = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00"}
    return Get(None, reverse("bookings:availability"), html(r"QC space \d+"), search)


@case("bookings:widget-availability", sqlite=3)
def _widget_availability(w: World, count: int) -> Get:
    _spaces_of_other_sites(w, count)
    search = {"date": "2027-01-12", "start_time": "18:00", "end_time": "20:00", "capacity": "10"}
    return Get(
        None,
        reverse("bookings:widget-availability", args=[w.commune.organisation.pk]),
        html(r"QC space \d+"),
        search,
    )


@case("bookings:space-week", sqlite=9)
def _space_week(w: World, count: int) -> Get:
    w.book(count)
    return Get(
        w.facilities_manager,
        reverse("bookings:space-week", args=[w.space.pk]),
        html(BOOKING_LINK),
        {"semaine": "2027-01-12"},
    )


# A room's door planning (issue 17): its week's slots, one row each, on the page and in the PDF.
DOOR_SLOT = r"\d\d:\d\d–\d\d:\d\d"


def pdf_slots(response) -> int:
    """The slots printed in a door planning's PDF (its text read back with pypdf)."""
    reader = PdfReader(io.BytesIO(response.content))
    return sum(len(re.findall(DOOR_SLOT, page.extract_text())) for page in reader.pages)


def _door_planning(name: str, *, public: bool = False, pdf: bool = False):
    def build(w: World, count: int) -> Get:
        w.book(count)
        rows = pdf_slots if pdf else html(rf"<th scope=\"row\">{DOOR_SLOT}</th>", distinct=False)
        user = None if public else w.facilities_manager
        return Get(user, reverse(name, args=[w.space.pk]), rows, {"semaine": "2027-01-12"})

    return build


case("bookings:space-planning", sqlite=7)(_door_planning("bookings:space-planning"))
case("bookings:space-planning-pdf", sqlite=5)(
    _door_planning("bookings:space-planning-pdf", pdf=True)
)
case("bookings:space-planning-public", sqlite=2)(
    _door_planning("bookings:space-planning-public", public=True)
)
case("bookings:space-planning-public-pdf", sqlite=2)(
    _door_planning("bookings:space-planning-public-pdf", public=True, pdf=True)
)


@case("bookings:calendar-events", sqlite=7)
def _calendar_events(w: World, count: int) -> Get:
    w.book(count)
    window = {"space": w.space.pk, "start": "2027-01-11", "end": "2027-02-01"}
    return Get(w.facilities_manager, reverse("bookings:calendar-events"), api_list, window)


@case("bookings:calendar-space", sqlite=10)
def _calendar_space(w: World, count: int) -> Get:
    w.book(count)
    return Get(
        w.facilities_manager,
        reverse("bookings:calendar-space", args=[w.space.pk]),
        html(BOOKING_LINK),
    )


@case("bookings:calendar-site", sqlite=11)
def _calendar_site(w: World, count: int) -> Get:
    for _ in range(count):
        space = SpaceFactory(site=w.site, name=f"QC space {w.next()}")
        w.book(1, space=space)
    return Get(
        w.facilities_manager,
        reverse("bookings:calendar-site", args=[w.site.pk]),
        html(BOOKING_LINK),
    )


@case("bookings:calendar-site-day", sqlite=12)
def _calendar_site_day(w: World, count: int) -> Get:
    for _ in range(count):
        space = SpaceFactory(site=w.site, name=f"QC space {w.next()}")
        w.book(1, space=space)
    return Get(
        w.facilities_manager,
        reverse("bookings:calendar-site-day", args=[w.site.pk]),
        html(r"QC space \d+"),
        {"date": "2027-01-12"},
    )


@case("bookings:calendar-mine", sqlite=5)
def _calendar_mine(w: World, count: int) -> Get:
    w.book(count)
    return Get(w.requester, reverse("bookings:calendar-mine"), html(BOOKING_LINK))


@case("bookings:closure-list", sqlite=8)
def _closure_list(w: World, count: int) -> Get:
    for _ in range(count):
        n = w.next()
        day = paris(2027, 2, 1) + timedelta(days=n)
        closure_create(
            actor=w.territory_admin,
            space=w.space,
            period=Period(day, day + timedelta(hours=12)),
            reason=f"QC closure {n}",
        )
    return Get(
        w.facilities_manager,
        reverse("bookings:closure-list", args=[w.site.pk]),
        html(r"QC closure \d+"),
    )


@case("bookings:equipment-list", sqlite=7)
def _equipment_list(w: World, count: int) -> Get:
    _equipment(w, count)
    return Get(
        w.facilities_manager,
        reverse("bookings:equipment-list", args=[w.site.pk]),
        html(r"QC item \d+"),
    )


@case("bookings:slot-wait-list", sqlite=4)
def _slot_wait_list(w: World, count: int) -> Get:
    """The waits of the requester's structures, each with its place in line."""
    _slot_waits(w, count)
    return Get(w.requester, reverse("bookings:slot-wait-list"), html(r'id="attente-\d+"'))


@case("bookings:space-slot-waits", sqlite=8)
def _space_slot_waits(w: World, count: int) -> Get:
    """A space's line, for the people who manage it (and its offer duration: +1)."""
    _slot_waits(w, count)
    return Get(
        w.facilities_manager,
        reverse("bookings:space-slot-waits", args=[w.space.pk]),
        html(r"QC wait \d+"),
    )


@case("bookings:site-no-shows", sqlite=8)
def _site_no_shows(w: World, count: int) -> Get:
    space = SpaceFactory(site=w.site, name=f"QC door {w.next()}", instant_confirmation=True)
    check_in_settings_set(space=space, actor=w.facilities_manager, required=True, grace_minutes=15)
    start = paris(2027, 1, 12, 18)
    repeat = {"frequency": Frequency.WEEKLY, "repeat_count": count} if count > 1 else {}
    booking = booking_request_for(
        space=space, requested_by=w.requester, start=start, end=start + timedelta(hours=1), **repeat
    )
    for row in booking.occupancies.all():
        bookings_release_no_shows(now=row.start + timedelta(minutes=20))
    return Get(
        w.facilities_manager,
        reverse("bookings:site-no-shows", args=[w.site.pk]),
        html(r"<td>QC door \d+</td>", distinct=False),
    )


@case("bookings:quota-list", sqlite=8)
def _quota_list(w: World, count: int) -> Get:
    for _ in range(count):
        structure = VerifiedStructureFactory(name=f"QC structure {w.next()}")
        quota_save(actor=w.territory_admin, site=w.site, organisation=structure, max_pending=3)
    return Get(
        w.facilities_manager,
        reverse("bookings:quota-list", args=[w.site.pk]),
        html(r"<td>QC structure \d+</td>"),
    )


@case("bookings:feed-ics", sqlite=6)
def _feed_ics(w: World, count: int) -> Get:
    w.book(count)
    feed = w.feed
    return Get(
        None, reverse("bookings:feed-ics", args=[feed.token]), html("BEGIN:VEVENT", distinct=False)
    )


@case("bookings:feed-list", sqlite=9)
def _feed_list(w: World, count: int) -> Get:
    for _ in range(count):
        space = SpaceFactory(site=w.site, name=f"QC space {w.next()}")
        calendar_feed_create(
            user=w.facilities_manager, scope=CalendarFeed.Scope.SPACE, target=space
        )
    return Get(w.facilities_manager, reverse("bookings:feed-list"), html(r"QC space \d+"))


@case("bookings:allocation-list", sqlite=9, page=50)
def _allocation_list(w: World, count: int) -> Get:
    w.agreements(count)
    return Get(
        w.territory_admin,
        reverse("bookings:allocation-list"),
        html(r"/reservations/conventions/\d+/"),
    )


@case("bookings:site-timeline", sqlite=8)
def _site_timeline(w: World, count: int) -> Get:
    for _ in range(count):
        space = SpaceFactory(site=w.site, name=f"QC space {w.next()}")
        w.book(1, space=space)
    return Get(
        w.facilities_manager,
        reverse("bookings:site-timeline", args=[w.site.pk]),
        html(r"QC space \d+"),
    )


# --- Pages of calls --------------------------------------------------------------------------

CALL_LINK = r"/appels/\d+/"


@case("calls:call-list", sqlite=5)
def _call_list(w: World, count: int) -> Get:
    w.calls(count, publish=True)
    return Get(None, reverse("calls:call-list"), html(CALL_LINK))


@case("calls:call-manage-list", sqlite=7)
def _call_manage_list(w: World, count: int) -> Get:
    w.calls(count)
    return Get(w.commune_staff, reverse("calls:call-manage-list"), html(CALL_LINK))


@case("calls:call-manage", sqlite=11)
def _call_manage(w: World, count: int) -> Get:
    w.applications(count)
    return Get(
        w.commune_staff, reverse("calls:call-manage", args=[w.call.pk]), html(r"QC applicant \d+")
    )


@case("calls:call-reviewers", sqlite=7)
def _call_reviewers(w: World, count: int) -> Get:
    for _ in range(count):
        services_calls.reviewer_assign(
            call=w.call,
            reviewer=UserFactory(email=f"qc-reviewer-{w.next()}@example.test"),
            actor=w.call.created_by,
        )
    return Get(
        w.commune_staff,
        reverse("calls:call-reviewers", args=[w.call.pk]),
        html(r"qc-reviewer-\d+@"),
    )


@case("calls:call-ranking", sqlite=15)
def _call_ranking(w: World, count: int) -> Get:
    w.applications(count)
    return Get(
        w.commune_staff,
        reverse("calls:call-ranking", args=[w.call.pk]),
        html(r"QC applicant \d+"),
    )


@case("calls:application-detail", sqlite=19)  # its conversation (issue 16): one query
def _application_detail(w: World, count: int) -> Get:
    application = _conversation(w, count)
    return Get(
        w.commune_staff,
        reverse("calls:application-detail", args=[application.pk]),
        html(r"QC message \d+"),
    )


@case("calls:application-list", sqlite=4)
def _application_list(w: World, count: int) -> Get:
    w.calls(count, publish=True)
    for call in w.made_calls[-count:]:
        services_calls.application_start(call=call, structure=w.organisation, actor=w.requester)
    return Get(w.requester, reverse("calls:application-list"), html(r"/appels/candidatures/\d+/"))


@case("calls:review-list", sqlite=4)
def _review_list(w: World, count: int) -> Get:
    w.calls(count, publish=True)
    for call in w.made_calls[-count:]:
        services_calls.reviewer_assign(call=call, reviewer=w.reviewer, actor=call.created_by)
    return Get(w.reviewer, reverse("calls:review-list"), html(CALL_LINK))


@case("calls:review-call", sqlite=8)
def _review_call(w: World, count: int) -> Get:
    w.applications(count)
    if not hasattr(w, "assignment"):
        w.assignment = services_calls.reviewer_assign(
            call=w.call, reviewer=w.reviewer, actor=w.call.created_by
        )
        services_calls.reviewer_declare(
            assignment=w.assignment, conflict_of_interest=False, actor=w.assignment.reviewer
        )
    return Get(
        w.reviewer, reverse("calls:review-call", args=[w.call.pk]), html(r"QC applicant \d+")
    )


@case("calls:waiting-list", sqlite=8)
def _waiting_list(w: World, count: int) -> Get:
    for _ in range(count):
        WaitingListEntryFactory(
            structure=w.organisation, notes=f"QC need {w.next()}", communes=[w.commune]
        )
    return Get(
        w.requester, reverse("calls:waiting-list"), html(r'<th scope="row">', distinct=False)
    )


def _vacant_offices_and_needs(w: World, count: int) -> None:
    for _ in range(count):
        n = w.next()
        SpaceFactory(
            site=w.site,
            name=f"QC office {n}",
            kind=SpaceKind.OFFICE,
            allocatable=True,
            surface_m2=Decimal("40"),
            vacant_since=date(2026, 9, 1),
        )
        WaitingListEntryFactory(notes=f"QC need {n}", communes=[w.commune])


@case("calls:waiting-candidates", sqlite=9)
def _waiting_candidates(w: World, count: int) -> Get:
    _vacant_offices_and_needs(w, count)
    return Get(w.facilities_manager, reverse("calls:waiting-candidates"), html(r"QC office \d+"))


@case("api:waiting-list", sqlite=5, page=50)
def _api_waiting_list(w: World, count: int) -> Get:
    for _ in range(count):
        WaitingListEntryFactory(
            structure=w.organisation, notes=f"QC need {w.next()}", communes=[w.commune]
        )
    return Get(w.requester, reverse("api:waiting-list"), api_page)


@case("api:waiting-candidates", sqlite=7)
def _api_waiting_candidates(w: World, count: int) -> Get:
    _vacant_offices_and_needs(w, count)
    return Get(w.facilities_manager, reverse("api:waiting-candidates"), api_list)


# --- Pages of payments and reports -----------------------------------------------------------


@case("payments:payment-list", sqlite=8)
def _payment_list(w: World, count: int) -> Get:
    w.payments(count)
    return Get(w.requester, reverse("payments:payment-list"), html(r"/paiements/\d+/"))


@case("reports:journal", sqlite=9, page=30)
def _journal(w: World, count: int) -> Get:
    for _ in range(count):
        w.space.name = f"QC space {w.next()}"
        space_save(space=w.space, actor=w.territory_admin)
    return Get(
        w.territory_admin,
        reverse("reports:journal"),
        html("<time datetime=", distinct=False),
        {"type": "space"},  # one kind: a page of several kinds costs a query per kind
    )


def csv_lines(response) -> int:
    return len(response.content.decode().splitlines()) - 1  # the header


def _aid(w: World, count: int) -> None:
    """`count` structures with an agreement each (aid in kind in 2027)."""
    for _ in range(count):
        structure, user = member_of_new_structure(
            f"QC beneficiary {w.next()}", f"qc-beneficiary-{w.made}@example.test"
        )
        agreement_signed(
            actor=user,
            structure=structure,
            spaces=[w.office()],
            start=date(2027, 2, 1),
            end=date(2028, 2, 1),
        )


YEAR = {"annee": "2027"}


@case("reports:index", sqlite=9)
def _report_index(w: World, count: int) -> Get:
    for _ in range(count):
        CommuneFactory(epci=w.epci)
    return Get(w.territory_admin, reverse("reports:index"), html(r"/rapports/annexe/\d+/"))


# Whole months; the 90 days before start on 3 October: the monthly summary (one query) and the
# rows of 3–31 October (one query) (docs/decisions.md, issue 15, third pass).
OBSERVED = {"debut": "2027-01-01", "fin": "2027-03-31"}


def _observed_spaces(w: World, count: int) -> None:
    """`count` rooms of the commune's site, each booked for an hour in the period observed."""
    for _ in range(count):
        w.book(1, space=SpaceFactory(site=w.site, name=f"QC room {w.next()}"))


@case("reports:observatory", sqlite=13)
def _observatory(w: World, count: int) -> Get:
    _observed_spaces(w, count)
    url = reverse("reports:observatory")
    return Get(w.territory_admin, url, html(r"espace=(\d+)"), OBSERVED)


@case("reports:observatory-commune", sqlite=13)
def _observatory_commune(w: World, count: int) -> Get:
    _observed_spaces(w, count)
    url = reverse("reports:observatory-commune", args=[w.commune.insee_code])
    return Get(w.commune_staff, url, html(r"espace=(\d+)"), OBSERVED)


@case("reports:occupancy-rows", sqlite=8, page=50)
def _occupancy_rows(w: World, count: int) -> Get:
    w.book(count)
    url = reverse("reports:occupancy-rows")
    return Get(w.territory_admin, url, html(r"/reservations/(\d+)/"), OBSERVED)


@case("reports:aid-list", sqlite=12)
def _aid_list(w: World, count: int) -> Get:
    _aid(w, count)
    return Get(w.territory_admin, reverse("reports:aid-list"), html(r"QC beneficiary \d+"), YEAR)


@case("reports:aid-csv", sqlite=8)
def _aid_csv(w: World, count: int) -> Get:
    _aid(w, count)
    return Get(w.territory_admin, reverse("reports:aid-csv"), csv_lines, YEAR)


@case("reports:annex", sqlite=10)
def _annex(w: World, count: int) -> Get:
    _aid(w, count)
    url = reverse("reports:annex", args=[w.commune.insee_code, 2027])
    return Get(w.territory_admin, url, html(r"QC beneficiary \d+"))


@case("reports:annex-csv", sqlite=8)
def _annex_csv(w: World, count: int) -> Get:
    _aid(w, count)
    url = reverse("reports:annex-csv", args=[w.commune.insee_code, 2027])
    return Get(w.territory_admin, url, csv_lines)


@case("subsidies:scdl-csv", sqlite=6)
def _scdl_subsidies(w: World, count: int) -> Get:
    """The public SCDL subsidies file: `count` structures with 23,000 € each from the commune."""
    grantor = w.commune.organisation
    if not grantor.siret:
        grantor.siret, grantor.siren = "21590172000019", "215901720"
        grantor.save(update_fields=["siret", "siren"])
    for _ in range(count):
        CashSubsidyFactory(
            structure=StructureFactory(name=f"QC beneficiary {w.next()}"),
            granted_by=grantor,
            year=2027,
            amount_cents=2_300_000,
        )
    return Get(None, reverse("subsidies:scdl-csv", args=["215901720", 2027]), csv_lines)


@case("api:aid-csv", sqlite=8)
def _api_aid_csv(w: World, count: int) -> Get:
    _aid(w, count)
    return Get(w.territory_admin, reverse("api:aid-csv"), csv_lines, {"year": "2027"})


@case("api:annex-csv", sqlite=8)
def _api_annex_csv(w: World, count: int) -> Get:
    _aid(w, count)
    url = reverse("api:annex-csv", args=[w.commune.insee_code])
    return Get(w.territory_admin, url, csv_lines, {"year": "2027"})


@case("opendata:file", sqlite=5)
def _open_data_equipements(w: World, count: int) -> Get:
    """The SCDL équipements file, anonymous: one row per published site, spaces counted."""
    for _ in range(count):
        SpaceFactory(site=SiteFactory(commune=w.commune, name=f"QC site {w.next()}"))
    return Get(None, reverse("opendata:file", args=["equipements.csv"]), csv_lines)


@case("opendata:index", sqlite=10)
def _open_data_index(w: World, count: int) -> Get:
    """The open-data index: its files, and one SCDL subsidies file per public body with a SIRET
    and year it granted aid in (here `count` bodies with a cash subsidy last year)."""
    for _ in range(count):
        publisher = OrganisationFactory(
            kind=OrganisationKind.COMMUNE, name=f"QC publisher {w.next()}", siret=w.siret()
        )
        CashSubsidyFactory(granted_by=publisher, year=timezone.localdate().year - 1)
    return Get(None, reverse("opendata:index"), html(r"/donnees/subventions/(\d{9})/"))


# 10: the supplement lines a change added (issue 16) are one more query, whatever the rows.
@case("reports:accounting-csv", sqlite=10)
def _accounting_csv(w: World, count: int) -> Get:
    if not hasattr(w, "accountant"):
        tariff_set(
            space=w.space,
            category=OrganisationCategory.ASSOCIATION,
            unit=TariffUnit.HOUR,
            amount_cents=1500,
            actor=w.territory_admin,
        )
        w.accountant = PaymentChannel.objects.create(
            owner=w.site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING
        )
    w.book(count, approve=True)
    w.agreements(count)  # with a fee: their months are billed too
    url = reverse("reports:accounting-csv", args=[w.site.owner.pk])
    months = {"debut": "2027-01-01", "fin": "2027-02-28"}
    # Counts the agreements' lines; the bookings' lines grow alongside.
    return Get(w.territory_admin, url, lambda response: response.content.count(b"CONV-"), months)


# --- Who manages and collects (issue 13) -----------------------------------------------------


@case("payments:channel-list", sqlite=6)
def _channel_list(w: World, count: int) -> Get:
    for _ in range(count):
        PaymentChannel.objects.create(
            owner=StructureFactory(name=f"QC collector {w.next()}"),
            kind=ChannelKind.PUBLIC_ACCOUNTING,
            finance_department="Service des finances",
        )
    return Get(
        w.territory_admin, reverse("payments:channel-list"), html(r"/moyens-de-paiement/\d+/")
    )


@case("spaces:widget-manage", sqlite=7)
def _widget_manage(w: World, count: int) -> Get:
    """The commune owns `w.site`, so it has a widget; its websites grow."""
    for _ in range(count):
        WidgetOrigin.objects.create(
            organisation=w.commune.organisation, origin=f"https://qc-{w.next()}.example.fr"
        )
    return Get(
        w.territory_admin,
        reverse("spaces:widget-manage", args=[w.commune.organisation.pk]),
        html(r"https://qc-\d+\.example\.fr"),
    )


@case("spaces:site-manage", sqlite=10)
def _site_manage(w: World, count: int) -> Get:
    for _ in range(count):
        SiteManager.objects.create(
            site=w.site, user=UserFactory(email=f"qc-manager-{w.next()}@example.test")
        )
    return Get(
        w.territory_admin,
        reverse("spaces:site-manage", args=[w.site.pk]),
        html(r"/gestion/gestionnaires/\d+/retirer/"),
    )


@case("spaces:amenity-list", sqlite=6)
def _amenity_list(w: World, count: int) -> Get:
    for _ in range(count):
        number = w.next()
        Amenity.objects.create(code=f"qc-{number}", name=f"QC equipment {number}")
    return Get(w.territory_admin, reverse("spaces:amenity-list"), html(r"QC equipment \d+"))


@case("spaces:inventory-export", sqlite=5)
def _inventory_export(w: World, count: int) -> Get:
    for _ in range(count):
        SpaceFactory(site=w.site, name=f"QC space {w.next()}")
    url = reverse("spaces:inventory-export", args=["csv"])
    return Get(w.commune_staff, url, csv_lines)


# --- The season: a structure's pages (seasons/views/apply.py) ----------------------------------


def _season_open_campaign(w: World, title: str | None = None):
    campaign = _season_campaign(w, title or f"QC season {w.next()}")
    season_services.campaign_open(campaign=campaign, actor=w.commune_staff)
    return campaign


@case("seasons:apply-list", sqlite=7)
def _season_apply_list(w: World, count: int) -> Get:
    """Open campaigns with their spaces and rules."""
    for _ in range(count):
        _season_open_campaign(w)
    return Get(w.requester, reverse("seasons:apply-list"), html(r"QC season \d+"))


@case("seasons:apply-campaign", sqlite=9)
def _season_apply_campaign(w: World, count: int) -> Get:
    """A structure's wishes in a campaign: at most 20 submitted (MAX_WISHES_PER_STRUCTURE), the
    withdrawn ones listed too, so the rows grow by withdrawing; one submitted stays, with its
    competition counted."""
    if not hasattr(w, "season"):
        w.season = _season_open_campaign(w)
    option = season_services.OptionInput(weekday=1, start=time(18), end=time(20), space=w.space)
    for _ in range(count):
        wish = season_services.wish_submit(
            actor=w.requester,
            campaign=w.season,
            structure=w.organisation,
            rank=1,
            attendees=1,
            purpose=f"QC wish {w.next()}",
            activity="sport",
            period="year",
            options=[option],
        )
        season_services.wish_withdraw(wish=wish, actor=w.requester)
    url = reverse("seasons:apply-campaign", args=[w.season.pk, w.organisation.pk])
    return Get(w.requester, url, html(r"/saisons/voeux/\d+/"))


# --- Pages of the season (issue 17) ----------------------------------------------------------

SEASON_WISH = r"\?voeu=(\d+)"


def _season(w: World):
    """Denain's campaign over `w.space`, opened; cached on the world."""
    if not hasattr(w, "season_campaign"):
        w.season_campaign = _season_open_campaign(w, "QC saison")
        w.season_wishes = 0
    return w.season_campaign


def _season_planned(w: World, count: int):
    """`count` more wishes (one per new structure, each its own weekly hour), planned again."""
    campaign = _season(w)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.OPEN)
    for index in range(w.season_wishes, w.season_wishes + count):
        structure = VerifiedStructureFactory(name=f"QC season structure {w.next()}")
        season_services.wish_submit(
            actor=MembershipFactory(organisation=structure).user,
            campaign=campaign,
            structure=structure,
            rank=1,
            attendees=1,
            purpose="Atelier",
            activity="social",
            period="year",
            options=[
                season_services.OptionInput(
                    weekday=(index // 12) % 7,
                    start=time(8 + index % 12),
                    end=time(9 + index % 12),
                    space=w.space,
                )
            ],
        )
    w.season_wishes += count
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    season_services.plan_run(campaign=campaign, actor=w.commune_staff)
    return campaign


@case("seasons:campaign-list", sqlite=7)
def _season_campaign_list(w: World, count: int) -> Get:
    for _ in range(count):
        _season_campaign(w, f"QC campaign {w.next()}")
    return Get(w.commune_staff, reverse("seasons:campaign-list"), html(r"QC campaign \d+"))


@case("seasons:plan", sqlite=11, page=50)
def _season_plan(w: World, count: int) -> Get:
    campaign = _season_planned(w, count)
    return Get(w.commune_staff, reverse("seasons:plan", args=[campaign.pk]), html(r'id="voeu-\d+"'))


@case("seasons:board", sqlite=16)
def _season_board(w: World, count: int) -> Get:
    campaign = _season_planned(w, count)
    return Get(w.commune_staff, reverse("seasons:board", args=[campaign.pk]), html(SEASON_WISH))


# --- Helpers of the test ---------------------------------------------------------------------


def _count(client, get: Get) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(get.url, get.params)
    assert response.status_code == 200, (get.url, response.status_code)
    return len(queries), response


@pytest.fixture
def world(epci, commune, site, space, territory_admin, commune_staff, facilities_manager) -> World:
    return World(
        {
            "epci": epci,
            "commune": commune,
            "site": site,
            "space": space,
            "territory_admin": territory_admin,
            "commune_staff": commune_staff,
            "facilities_manager": facilities_manager,
        }
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_list_query_count_does_not_grow_with_the_rows(
    name, world, client, django_assert_num_queries
):
    case = CASES[name]
    get = case.build(world, 1)
    if get.user is not None:
        client.force_login(get.user)
    _count(client, get)  # warm-up: per-process caches are not what this test measures
    one, response = _count(client, get)
    first_rows = get.rows(response)  # the fixtures' rows, if any, plus the case's first
    assert first_rows >= 1, f"{name}: the row made is not listed"
    get = case.build(world, MANY - 1)  # the same request, or one on a grown object

    many, response = _count(client, get)

    listed = first_rows + MANY - 1
    listed = min(listed, case.page) if case.page else listed
    assert get.rows(response) == listed, f"{name}: {get.rows(response)} rows, not {listed}"
    assert many == one, f"{name}: {one} queries for 1 row, {many} for {MANY}"
    exact = case.queries[connection.vendor]
    assert many == exact, f"{name}: {many} queries, {exact} expected"  # names the case
    with django_assert_num_queries(exact):
        client.get(get.url, get.params)


# --- Every URL is a case or named here, with the reason it lists nothing -----------------------

DETAIL = "one object's page"
ACTION = "a form or an action on one object"
FILE = "one file"
NOT_LISTS: dict[str, str] = {
    # Issue 16: a space's request form (its questions, at most 30), a file, actions.
    "api:space-request-form": "a space's questions: at most 30 (MAX_QUESTIONS), one query",
    "api:booking-file-create": ACTION,
    "api:booking-file-detail": ACTION,
    "bookings:space-request-form": "a space's questions: at most 30 (MAX_QUESTIONS)",
    "bookings:request-question-edit": ACTION,
    "bookings:request-question-delete": ACTION,
    "bookings:request-question-move": ACTION,
    "bookings:booking-file-add": ACTION,
    "bookings:booking-file-remove": ACTION,
    "bookings:booking-file": "a file download",
    "portal:home": "the count of sites and the three latest",
    "portal:accessibility": "a static page",
    "core:healthz": "a probe",
    "set_language": ACTION,
    "accounts:login": ACTION,
    "accounts:logout": ACTION,
    "accounts:signup": ACTION,
    "accounts:profile": ACTION,
    "accounts:notification-open": ACTION,
    "accounts:notifications-read": ACTION,
    "accounts:unsubscribe": ACTION,
    "accounts:account-erase": ACTION,
    "accounts:api-token-revoke": ACTION,
    "accounts:membership-role": ACTION,
    "accounts:membership-remove": ACTION,
    "accounts:structure-leave": ACTION,
    "accounts:structure-erase": ACTION,
    "accounts:structure-register": ACTION,
    "accounts:structure-edit": ACTION,
    "accounts:structure-verify": ACTION,
    "accounts:document-upload": ACTION,
    "accounts:invitation-create": ACTION,
    "accounts:document-download": FILE,
    "accounts:invitation-accept": ACTION,
    "accounts:signup-sent": "a static page",
    "accounts:signup-confirm": ACTION,
    "accounts:confirmation-resend": ACTION,
    "accounts:password-reset": ACTION,
    "accounts:password-reset-done": "a static page",
    "accounts:password-reset-confirm": ACTION,
    "accounts:password-reset-complete": "a static page",
    "accounts:password-change": ACTION,
    "accounts:email-change": ACTION,
    "accounts:email-change-confirm": ACTION,
    "spaces:space-detail": DETAIL,
    "spaces:site-create": ACTION,
    "spaces:site-edit": ACTION,
    "spaces:space-create": ACTION,
    "spaces:space-edit": ACTION,
    "spaces:space-opening-hours": "the seven days of one space",
    "spaces:photo-delete": ACTION,
    "spaces:inventory-import": "an upload form, then the report of the file's lines (read in a "
    "fixed number of queries: tests/spaces/test_inventory_import.py)",
    "spaces:inventory-import-confirm": ACTION,
    "spaces:inventory-template": "a fixed file: the columns and one example line",
    "bookings:booking-create": ACTION,
    "bookings:booking-approve": ACTION,
    "bookings:booking-refuse": ACTION,
    "bookings:booking-cancel": ACTION,
    # Issue 16: its counts are asserted in tests/bookings/test_change_pages.py.
    "bookings:booking-change": ACTION,
    "bookings:booking-check-in": ACTION,
    # Follow-ups: a manager's word on one date (tests/bookings/test_check_in_views.py).
    "bookings:booking-arrival-record": ACTION,
    "bookings:booking-no-show-undo": ACTION,
    "bookings:space-check-in": ACTION,
    "bookings:space-check-in-poster": "one space's poster: its QR code and link",
    "bookings:check-in-door": "the member's structure's dates in one room around now (one "
    "query: tests/bookings/test_check_in_views.py)",
    "bookings:group-approve": ACTION,
    "bookings:group-refuse": ACTION,
    "bookings:group-cancel": ACTION,
    "bookings:closure-holidays": ACTION,
    "bookings:closure-delete": ACTION,
    "bookings:equipment-edit": ACTION,
    "bookings:quota-delete": ACTION,
    "bookings:slot-wait-create": ACTION,
    "bookings:slot-wait-accept": "one wait's acceptance: the space's questions (counted in "
    "tests/bookings/test_slot_wait_pages.py)",
    "bookings:slot-wait-withdraw": ACTION,
    "bookings:feed-revoke": ACTION,
    "bookings:allocation-create": ACTION,
    "bookings:allocation-detail": DETAIL,
    "bookings:allocation-pdf": FILE,
    "bookings:allocation-accept": ACTION,
    "bookings:allocation-decline": ACTION,
    "bookings:allocation-sign": ACTION,
    "bookings:allocation-end": ACTION,
    "bookings:allocation-renew": ACTION,
    # Issue 17: the shared times of an agreement's rooms (listed on the agreement's page).
    "bookings:allocation-sharing-propose": ACTION,
    "bookings:allocation-sharing-consent": ACTION,
    "bookings:allocation-sharing-withdraw": ACTION,
    "api:sharing-window-consent": ACTION,
    "api:sharing-window-withdraw": ACTION,
    "bookings:allocation-key-issue": ACTION,
    "bookings:allocation-key-return": ACTION,
    "bookings:allocation-inventory": ACTION,
    "bookings:allocation-inventory-photo-add": ACTION,
    "bookings:allocation-inventory-photo": FILE,
    "calls:call-detail": DETAIL,
    "calls:call-create": ACTION,
    # The season's manager pages (issue 17): a campaign's page (its log has a row per status,
    # six at most), its forms and actions.
    "seasons:campaign-create": ACTION,
    "seasons:campaign-detail": DETAIL,
    "seasons:campaign-edit": ACTION,
    "seasons:campaign-open": ACTION,
    "seasons:campaign-close": ACTION,
    "seasons:plan-compute": ACTION,
    "seasons:assignment-move": "the choices of one wish (four at most) × the campaign's spaces",
    "seasons:assignments-swap": ACTION,
    "seasons:campaign-decide": ACTION,
    "seasons:campaign-publish": ACTION,
    "calls:call-edit": ACTION,
    "calls:call-criteria": ACTION,
    "calls:call-publish": ACTION,
    "calls:call-close": ACTION,
    "calls:call-decide": ACTION,
    "calls:application-start": ACTION,
    "calls:application-comment-create": ACTION,
    "calls:application-document": FILE,
    "calls:application-edit": ACTION,
    "calls:application-submit": ACTION,
    "calls:application-withdraw": ACTION,
    "calls:application-accept": ACTION,
    "calls:application-refuse": ACTION,
    "calls:application-agreement": ACTION,
    "calls:review-declare": ACTION,
    "calls:review-application": DETAIL,
    "calls:waiting-create": ACTION,
    "calls:waiting-close": ACTION,
    "reports:cash-subsidy-create": ACTION,
    "reports:cash-subsidy-delete": ACTION,
    "reports:annex-pdf": ACTION,
    "reports:document": DETAIL,
    "reports:document-file": FILE,
    "opendata:schema": FILE,
    "reports:certificate": FILE,
    "reports:certificate-csv": FILE,
    "payments:payment-detail": DETAIL,
    "payments:payment-pay": ACTION,
    "payments:payment-refresh": ACTION,
    "payments:payment-retry": ACTION,
    "payments:payment-refund": ACTION,
    "payments:booking-pay": ACTION,
    "payments:deposit-place": ACTION,
    "payments:deposit-keep": ACTION,
    "payments:deposit-release": ACTION,
    "payments:invoice-pdf": FILE,
    "payments:space-tariffs": "the tariffs of one space (a category and unit each)",
    "payments:space-deposit": ACTION,
    "payments:channel-edit": "the payment channel of one organisation",
    "payments:channel-active": ACTION,
    "spaces:site-manager-add": ACTION,
    "spaces:site-manager-delegation": ACTION,
    "spaces:site-manager-remove": ACTION,
    "spaces:widget-origin-remove": ACTION,
    "spaces:site-managing-organisation": ACTION,
    "api:stripe-webhook": ACTION,
    "integrations:endpoint-create": ACTION,
    "integrations:endpoint-edit": ACTION,
    "integrations:endpoint-rotate": ACTION,
    "integrations:endpoint-pause": ACTION,
    "integrations:endpoint-resume": ACTION,
    "integrations:endpoint-delete": ACTION,
    "integrations:delivery-replay": ACTION,
    "api:schema": "the OpenAPI document",
    "api:docs": "a static page",
    "api:redoc": "a static page",
    "api:site-detail": DETAIL,
    "api:space-detail": DETAIL,
    "api:booking-approve": ACTION,
    "api:booking-refuse": ACTION,
    "api:booking-cancel": ACTION,
    "api:slot-wait-detail": DETAIL,
    "api:slot-wait-accept": ACTION,
    "api:slot-wait-withdraw": ACTION,
    "api:booking-reschedule": ACTION,
    "api:booking-check-in": ACTION,
    "api:booking-no-show-undo": ACTION,
    # Several rooms at once (issue 16): a request (a constant per room,
    # tests/api/test_booking_groups_api.py), the rooms of one request (at most 10), decisions.
    "api:booking-group-list": ACTION,
    "api:booking-group-detail": "the bookings of one request for at most 10 rooms",
    "api:booking-group-approve": ACTION,
    "api:booking-group-refuse": ACTION,
    "api:booking-group-cancel": ACTION,
    "bookings:booking-comment-create": ACTION,
    "api:booking-payment": ACTION,
    "api:booking-deposit": ACTION,
    "api:payment-detail": DETAIL,
    "api:payment-pay": ACTION,
    "api:payment-refresh": ACTION,
    "api:payment-refund": ACTION,
    "api:deposit-keep": ACTION,
    "api:deposit-release": ACTION,
    "api:allocation-detail": DETAIL,
    "api:allocation-accept": ACTION,
    "api:allocation-decline": ACTION,
    "api:allocation-sign": ACTION,
    "api:allocation-end": ACTION,
    "api:call-detail": DETAIL,
    "api:call-declaration": ACTION,
    "api:criterion-detail": ACTION,
    "api:lot-detail": ACTION,
    "api:call-publish": ACTION,
    "api:call-close": ACTION,
    "api:call-decide": ACTION,
    "api:application-detail": DETAIL,
    "api:application-submit": ACTION,
    "api:application-withdraw": ACTION,
    "api:application-accept": ACTION,
    "api:application-refuse": ACTION,
    "api:application-scores": ACTION,
    "api:space-opening-hours": "the week of one space",
    "api:closure-detail": ACTION,
    "api:equipment-detail": ACTION,
    "api:quota-detail": ACTION,
    "api:site-photo-create": ACTION,
    "api:photo-detail": ACTION,
    "api:webhook-endpoint-detail": DETAIL,
    "api:webhook-endpoint-rotate-secret": ACTION,
    "api:webhook-delivery-replay": ACTION,
    "api:organisation-detail": DETAIL,
    "api:membership-detail": ACTION,
    "api:invitation-detail": ACTION,
    "api:organisation-document-detail": ACTION,
    "api:space-tariffs": "the tariff grid of one space (20 cells at most; its query count: "
    "tests/api/test_payments_write_api.py)",
    "api:space-deposit": DETAIL,
    "api:organisation-payment-channel": DETAIL,
    "api:organisation-payment-channel-activation": ACTION,
    "api:annex-pdf": ACTION,
    "api:calendar-feed-detail": ACTION,
    "api:certificate-pdf": FILE,
    "api:document-detail": DETAIL,
    "api:document-file": FILE,
    "api:invoice-pdf": FILE,
    "api:waiting-close": ACTION,
    # The season (issue 17).
    "api:season-campaign-detail": DETAIL,
    "api:season-campaign-open": ACTION,
    "api:season-campaign-close": ACTION,
    "api:season-campaign-plan": "one plan, one row per wish of the campaign: a constant number "
    "of queries (tests/api/test_seasons_api.py)",
    "api:season-campaign-renew": ACTION,
    "api:season-wish-detail": DETAIL,
    "api:season-wish-withdraw": ACTION,
    "api:season-campaign-decide": ACTION,
    "api:season-campaign-publish": ACTION,
    "api:season-assignment-move": ACTION,
    "api:season-assignment-swap": ACTION,
    "api:season-assignment-give-back": ACTION,
    # The season, a structure's pages (issue 17).
    "seasons:apply-structures": "the user's structures to choose from (a few), one query",
    "seasons:wish-create": ACTION,
    "seasons:wishes-renew": ACTION,
    "seasons:wish-competition": "the four choices of the wish being typed: one count each",
    "seasons:wish-detail": DETAIL,
    "seasons:wish-withdraw": ACTION,
    "seasons:my-slots": "a structure's answers in one campaign: at most 20 wishes per structure "
    "(MAX_WISHES_PER_STRUCTURE), in one query with their dates counted",
    "seasons:slot-give-back": ACTION,
}


def _url_names(patterns, namespace: str = "") -> set[str]:
    """The names of the site's URLs, with their namespace; the admin's are out of scope."""
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = pattern.namespace or ""
            prefix = f"{namespace}:{inner}" if namespace and inner else namespace or inner
            names |= _url_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_url_is_a_list_case_or_named_as_no_list():
    names = _url_names(get_resolver().url_patterns)

    assert names - CASES.keys() - NOT_LISTS.keys() == set(), "add a case or a NOT_LISTS entry"
    assert (CASES.keys() | NOT_LISTS.keys()) - names == set(), "these URL names are gone"
    assert CASES.keys() & NOT_LISTS.keys() == set()
