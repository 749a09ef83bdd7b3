"""Every service that changes state checks its actor itself (issue 10 §3).

Each state-changing service of accounts, spaces, bookings, calls, payments and reports is called
directly, whatever page or API usually guards it, as an outsider (a member of another,
verified structure), as an anonymous visitor, and as the platform where a person is expected:
it is refused and the database is left exactly as it was.

The services are discovered (every public function of the apps' service modules), so a new one
fails `test_every_service_is_classified` until it is given a case here, or a place in one of
the lists below with its reason.
"""

import importlib
import inspect
import io
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, time
from types import ModuleType

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as accounts_services
from accounts.actors import PLATFORM
from accounts.exceptions import DecisionNotAllowed
from accounts.models import ApiToken, DocumentKind, MembershipRole, Organisation
from accounts.services.tokens import api_token_create, api_token_revoke
from bookings import allocations
from bookings import services as bookings_services
from bookings.models import (
    Allocation,
    AllocationLog,
    AllocationStatus,
    Booking,
    BookingLog,
    BookingQuota,
    BookingStatus,
    CalendarFeed,
    Equipment,
    Inventory,
    InventoryKind,
    KeyHandover,
    RequestQuestion,
    SharingWindow,
    SlotWait,
)
from bookings.rules import Period
from bookings.services import equipment as equipment_services
from bookings.services import groups as group_services
from bookings.services import placements as placement_services
from calls import services as calls_services
from calls.models import ApplicationStatus, CallLog, CallStatus
from calls.services import waiting as services_waiting
from integrations import services as integrations_services
from integrations.models import WebhookDelivery, WebhookEndpoint
from payments.models import ChannelKind, Payment, PaymentChannel, PaymentPurpose, PaymentStatus
from payments.services import cards, deposits, refunds, tariffs
from reports import services as reports_services
from seasons import services as seasons_services
from seasons.models import (
    Campaign,
    CampaignSpace,
    CampaignStatus,
    PlanAssignment,
    PlanRun,
    WishOption,
)
from spaces import services as spaces_services
from spaces.models import Amenity, SiteManager, WidgetOrigin
from tests.factories import (
    PDF_BYTES,
    ApplicationFactory,
    CallFactory,
    CallLotFactory,
    CashSubsidyFactory,
    CriterionFactory,
    InvitationFactory,
    MembershipFactory,
    OrganisationDocumentFactory,
    PhotoFactory,
    ReviewerAssignmentFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    WaitingListEntryFactory,
    agreement_signed,
    booking_request_for,
    paris,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

APPS = ["accounts", "spaces", "bookings", "calls", "payments", "seasons", "reports", "integrations"]
OUR_APPS = {*APPS, "schedule"}  # django-scheduler holds the bookings' events


def _service_modules() -> Iterator[ModuleType]:
    """`<app>.services` (module or package), `<app>.services_*`, and the agreements package."""
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name == "services" or info.name.startswith("services_"):
                yield from _with_submodules(importlib.import_module(f"{app}.{info.name}"))
    yield from _with_submodules(allocations)


def _with_submodules(module: ModuleType) -> Iterator[ModuleType]:
    yield module
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), f"{module.__name__}."):
        yield importlib.import_module(info.name)


def discovered_services() -> set[str]:
    return {
        name
        for module in _service_modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


# --- What is not called as an outsider here, and why ---

# Run by the platform alone (scheduled jobs, payment reactions): no person calls them, and the
# services they call are given PLATFORM. `test_the_platform_runs_the_jobs` runs the first ones.
PLATFORM_JOBS = {
    "bookings_expire_lapsed",
    "bookings_send_reminders",
    "bookings_send_lapse_reminders",
    # Waiting for a slot (issue 16): the job that offers a space's freed slots to the first in
    # line, the periodic sweep over every line, and the after-commit hook that sends the job.
    "slot_waits_offer",
    "slot_waits_sweep",
    "slot_waits_offer_after_commit",
    # Check-in (issue 16): the no-show job marks the dates nobody checked in in time.
    "bookings_release_no_shows",
    "allocations_activate_and_end",
    "allocations_remind_ending",
    "calls_close_past_deadline",
    "campaigns_close_due",  # the season's deadline job (issue 17)
    "booking_fees_expire_unpaid",
    "payments_expire_unpaid",
    "deposits_release_after_use",
    "deposit_release_for_booking",
    "booking_fee_collect",
    "booking_refund_for_cancellation",
    # The fee follows a booking's change (issue 16), after its commit: a supplement asked or
    # refunded (card), a supplement line (public accountant); a supplement cut by cancelled
    # dates or released when the booking ends.
    "booking_price_follow",
    "booking_supplement_settle",
    "billing_supplement_follow",
    "supplement_reduce",
    "supplements_release",
    "agreement_payment_requests_issue",
    "payments_reconcile",
    "invoices_issue_missing",
    "event_process",  # a Stripe webhook, verified by its signature (webhook_verify)
    # The job that renders a document someone was allowed to ask for (annex_document_request
    # checked them), and the sweep that re-sends lost renders and deletes old files.
    "document_render",
    "documents_sweep",
    # Inventory files of a dry run never confirmed, deleted after a day (no person's data).
    "import_files_sweep",
    # Retention periods (accounts.services.retention): erases with PLATFORM as the actor.
    "retention_apply",
    # Webhooks (integrations.services.deliveries): the listeners of the lower apps' signals
    # record an event for the endpoints whose organisation may see its object; the jobs send.
    "events_record",
    "deliveries_send",
    "deliveries_sweep",
}
# Read, compute or verify; they write nothing.
NOT_STATE_CHANGING = {
    # Booking on behalf and quotas (issue 16): checks `booking_request` runs in its transaction
    # (the quota check locks the structure's row, and writes nothing).
    "booking_behalf",
    "quotas_check",
    "allocation_actions_for",
    "allocation_check_actor",
    "allocation_check_decider",
    "allocation_may_decide",
    "allocation_period",
    "allocation_annual_value_cents",
    "allocation_value_cents",
    "managers_of_occupied_sites",
    "site_validate",
    "stripe_channel_of",
    "payment_client_secret",
    "webhook_verify",
    "invoice_context",
    "invoice_filename",
    "invoice_pdf",
    "invoice_title",
    "vat_rate_fr",
    "annex_pdf",
    "erased_email",
    "api_token_hash",  # SHA-256 of a token's secret
    "campaign_check_manager",  # the season's check its services make (issue 17)
    # What clashes with series about to be placed (a season's publication): one read.
    "placement_clashes",
    "equipment_peak",  # the peak of an item's use over a period (a sweep over given uses)
    # Startup wiring: payments gives the agreements' messages a source of payment terms.
    "allocation_payment_terms_register",
}
# The status mechanism and the documents that follow it: they check nothing because only the
# services above them, which did, call them (as `_booking_transition` does for bookings).
INTERNAL_STEPS = {
    "payment_transition",
    "payment_sync",
    "payment_refunded_to",
    "payment_followups",
    "invoice_number_take",
    "invoice_issue_for_payment",
    "invoice_issue_or_log",
    "credit_note_issue_for_refund",
    "credit_note_issue_or_log",
    "refund_issue",
    "refund_send",  # sends a Refund row its caller saved under the payment's lock
    # The Occupancy writer (bookings/services/occupancy.py): the booking, closure and agreement
    # services call it inside their transaction, after their own checks.
    "occupancies_book",
    "occupancies_book_many",  # bookings_place_series writes a season's dates through it
    # A season's publication (campaign_publish, its managers) creates each structure's calendar
    # feed for a member who submitted its wish: membership checked for all in one query.
    "organisation_feeds_create",
    "occupancies_close",
    "occupancies_allocate",
    "occupancies_free",
    "occupancies_end_allocation",
    "occupancies_lift_closures",
    # Issue 17: the agreement's rows around a shared time, by sharing_window_consent and
    # sharing_window_withdraw, which checked the actor and locked the room.
    "occupancies_share",
    "occupancies_unshare",
    "occupancy_claim_reminder",
    # Check-in (issue 16): booking_check_in (the structure's members) and the no-show job
    # (the platform) mark a date through the writer, after their own checks.
    "occupancy_check_in",
    "occupancy_release_no_show",
    # …and booking_no_show_undo (an impartial manager) lengthens a date back through it, and
    # asks the equipment service whether the date's items are still in stock then.
    "occupancy_undo_no_show",
    "equipment_short_to_lengthen",
    # Equipment held by a booking's dates (bookings/services/equipment.py): booking_request
    # calls it in its transaction, after its own checks, as it calls occupancies_book.
    "equipment_book",
    # The demo's history (spaces/management/commands/seed_demo.py): no actor, dates laid out
    # so that they cannot meet; never reachable from a request.
    "occupancies_record_past",
    # The observatory's summary recomputed from the Occupancy rows (the management command
    # `occupancy_summary_rebuild`, the benchmark): no actor, changes no figure, only repairs.
    "occupancy_summary_rebuild",
    # Telling both sides of an agreement (bookings/allocations/notifications.py): called by the
    # agreement services, in their transaction, after their own checks.
    "allocation_notify",
    # Telling who must hear of a shared time (same module): called by the sharing_window_*
    # services, in their transaction, after their own checks.
    "sharing_window_notify",
    # The rule of a message's text (bookings/services/comments.py): writes nothing, called by
    # booking_comment_post and application_comment_post after their side check.
    "comment_body_checked",
}
# Open to anyone by design (a signed token in the call is the credential where there is one).
PUBLIC = {
    "user_signup",
    "topic_unsubscribe",
    # Send a link to an address, whoever asks; the page says the same for any address.
    "confirmation_resend",
    "password_reset_request",
    # The credential is a signed link that reached the address (tests/accounts/test_auth.py).
    "email_confirm",
    "email_change_confirm",
    "password_reset_complete",  # Django's reset token, checked again by the service
    # An API request's bearer secret is the credential (tests/api/test_tokens_api.py).
    "api_token_authenticate",
}
# Act only on the signed-in actor's own rows (refused to the anonymous and the platform,
# `test_own_account_services_touch_only_the_actor`): an outsider has nobody else's to reach.
OWN_ACCOUNT = {"notifications_mark_read"}
# Not guarded by the service yet (no actor in the signature, the caller's queryset decides),
# with the reason. Issue 10 §3 emptied it; a state-changing service is not to be added here.
NOT_YET_GUARDED: dict[str, str] = {}


# --- The world every case acts on ---


@dataclass
class World:
    staff: object  # a member of the commune that owns `site`
    requester: object  # administrator of `structure`, a verified association
    structure: Organisation
    site: object
    space: object
    pending: Booking
    confirmed: Booking
    offered: Allocation
    agreement: Allocation  # active
    key: KeyHandover
    inventory: Inventory
    closure: object
    feed: CalendarFeed
    draft_call: object
    open_call: object
    application: object  # submitted to `open_call`
    lot: object  # of `open_call`
    draft_application: object
    payment: Payment
    deposit: Payment
    photo: object
    invitation: object
    entry: object
    subsidy: object


@pytest.fixture
def world(commune_staff, territory_admin, site, space) -> World:
    structure = VerifiedStructureFactory(name="Ressourcerie", ess_family="association")
    requester = MembershipFactory(organisation=structure, role=MembershipRole.ADMIN).user
    space.instant_confirmation = False
    space.save()
    pending = booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 10),
        end=paris(2027, 1, 12, 12),
    )
    confirmed = booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 13, 10),
        end=paris(2027, 1, 13, 12),
    )
    Booking.objects.filter(pk=confirmed.pk).update(status=BookingStatus.CONFIRMED)
    offices = [
        SpaceFactory(site=site, name=f"Bureau {n}", allocatable=True, bookable=False)
        for n in (1, 2)
    ]
    agreement = agreement_signed(
        actor=requester,
        structure=structure,
        spaces=[offices[0]],
        start=date(2027, 1, 1),
        end=date(2028, 1, 1),
    )
    offered = allocations.allocation_offer(
        actor=commune_staff,
        structure=structure,
        spaces=[offices[1]],
        start=date(2027, 3, 1),
        end=date(2028, 3, 1),
        annual_fee_cents=120_000,
        direct_reason="Seul occupant possible",
    )
    open_call = CallFactory(owner=site.owner, created_by=commune_staff, status=CallStatus.PUBLISHED)
    lot = CallLotFactory(call=open_call, space=SpaceFactory(site=site, allocatable=True))
    CriterionFactory(call=open_call)
    application = ApplicationFactory(
        call=open_call,
        structure=structure,
        submitted_by=requester,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=paris(2027, 1, 2),
    )
    return World(
        lot=lot,
        staff=commune_staff,
        requester=requester,
        structure=structure,
        site=site,
        space=space,
        pending=pending,
        confirmed=confirmed,
        offered=offered,
        agreement=agreement,
        key=KeyHandover.objects.create(
            allocation=agreement, label="Badge", issued_on=date(2027, 1, 2)
        ),
        inventory=Inventory.objects.create(
            allocation=agreement,
            kind=InventoryKind.ENTRY,
            done_on=date(2027, 1, 2),
            notes="Murs propres.",
            created_by=commune_staff,
        ),
        closure=bookings_services.closure_create(
            actor=commune_staff,
            site=site,
            period=Period(paris(2027, 2, 1), paris(2027, 2, 2)),
            reason="Inventaire",
        ),
        feed=CalendarFeed.objects.create(
            scope=CalendarFeed.Scope.SPACE, space=space, created_by=commune_staff, token="t" * 43
        ),
        draft_call=CallFactory(owner=site.owner, created_by=commune_staff),
        open_call=open_call,
        application=application,
        draft_application=ApplicationFactory(call=open_call),
        payment=Payment.objects.create(
            purpose=PaymentPurpose.BOOKING_FEE,
            booking=confirmed,
            owner=site.owner,
            amount_cents=5_000,
            price_rule="2 h × 25 €",
            status=PaymentStatus.CAPTURED,
            captured_cents=5_000,
        ),
        deposit=Payment.objects.create(
            purpose=PaymentPurpose.DEPOSIT,
            booking=confirmed,
            owner=site.owner,
            amount_cents=20_000,
            price_rule="Caution",
            status=PaymentStatus.AUTHORISED,
        ),
        photo=PhotoFactory(site=site),
        invitation=InvitationFactory(organisation=structure, invited_by=requester),
        entry=WaitingListEntryFactory(structure=structure),
        subsidy=CashSubsidyFactory(
            structure=structure, granted_by=site.owner, entered_by=commune_staff
        ),
    )


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("statuts.pdf", PDF_BYTES, content_type="application/pdf")


def _png() -> SimpleUploadedFile:
    from tests.factories import _image

    return SimpleUploadedFile("photo.png", _image("PNG"), content_type="image/png")


def _booking_request(w: World):
    return bookings_services.BookingRequest(
        space=w.space,
        organisation=w.structure,
        purpose="Assemblée générale",
        attendees=10,
        first=Period(paris(2027, 1, 14, 10), paris(2027, 1, 14, 12)),
    )


PERSON = ("outsider", "anonymous", "platform")
SIGNED_IN = ("outsider",)  # a User is required (a foreign key is set to it, or compared with it)


@dataclass(frozen=True)
class Case:
    service: Callable[..., object]
    arguments: Callable[[World], dict]  # built before the database is read (it may write)
    actor: str = "actor"  # the name of the service's actor parameter
    actors: tuple[str, ...] = PERSON
    # A request for someone else's organisation is bad input (400), as the API says it.
    refusal: type[Exception] = PermissionDenied


def _inventory_file(w: World) -> io.BytesIO:
    """An inventory line that changes the surface of `w.space` (and one that adds a space)."""
    site = w.site
    header = "code_insee;site;voie;code_postal;espace;surface_m2;capacite\r\n"
    lines = [
        f"{site.commune_id};{site.name};{site.street_name};{site.postcode};{w.space.name};999;5",
        f"{site.commune_id};{site.name};{site.street_name};{site.postcode};Nouvelle salle;20;5",
    ]
    return io.BytesIO((header + "\r\n".join(lines)).encode())


def _attached(w: World):
    return bookings_services.booking_file_attach(
        booking=w.pending, actor=w.pending.requested_by, upload=_pdf()
    )


def _wait(w: World) -> SlotWait:
    return SlotWait.objects.create(
        space=w.space,
        organisation=w.structure,
        requested_by=w.requester,
        start=w.pending.start,
        end=w.pending.end,
        purpose="Assemblée générale",
        attendees=5,
    )


def _request_question(w: World):
    return RequestQuestion.objects.create(space=w.space, text="Alcool ?", kind="yes_no")


def _room_for(w: World):
    return SpaceFactory(site=w.site, instant_confirmation=False)


def _group_of(w: World):
    """Two rooms requested together by the structure, both pending."""
    return group_services.booking_request_several(
        request=bookings_services.BookingRequest(
            space=w.space,
            organisation=w.structure,
            purpose="Forum",
            attendees=10,
            first=Period(paris(2027, 1, 15, 10), paris(2027, 1, 15, 12)),
        ),
        spaces=[w.space.pk, _room_for(w).pk],
        requested_by=w.requester,
    )


def _space_for(w: World):
    return SpaceFactory(site=w.site, allocatable=True)


def _api_token_of(user) -> ApiToken:
    return api_token_create(
        actor=user,
        name="Agenda",
        scope="read",
        expires_at=paris(2027, 3, 1),
    )[0]


CASES: dict[str, Case] = {
    # accounts
    "api_token_create": Case(
        api_token_create,
        lambda w: {
            "name": "Agenda",
            "scope": "write",
            "expires_at": paris(2027, 3, 1),
            "organisation": w.structure,  # not the outsider's
        },
    ),
    "api_token_revoke": Case(api_token_revoke, lambda w: {"token": _api_token_of(w.requester)}),
    "structure_register": Case(
        accounts_services.structure_register,
        lambda w: {"organisation": Organisation(name="Nouvelle", kind="ess")},
        actor="user",
        actors=("anonymous", "platform"),  # any signed-in person may declare a structure
    ),
    "organisation_update": Case(
        accounts_services.organisation_update, lambda w: {"organisation": _renamed(w.structure)}
    ),
    "structure_verify": Case(
        accounts_services.structure_verify,
        lambda w: {"structure": VerifiedStructureFactory(verified_at=None, verified_by=None)},
    ),
    "invitation_create": Case(
        accounts_services.invitation_create,
        lambda w: {"organisation": w.structure, "email": "nouveau@example.test", "role": "member"},
        actor="invited_by",
    ),
    "invitation_revoke": Case(
        accounts_services.invitation_revoke, lambda w: {"invitation": w.invitation}
    ),
    "invitation_accept": Case(
        accounts_services.invitation_accept,
        lambda w: {"invitation": w.invitation},
        actor="user",
        actors=("anonymous", "platform"),  # a signed-in outsider is told to use the invited address
    ),
    "membership_role_set": Case(
        accounts_services.membership_role_set,
        lambda w: {"membership": w.requester.memberships.get(), "role": "member"},
    ),
    "membership_remove": Case(
        accounts_services.membership_remove,
        lambda w: {"membership": w.requester.memberships.get()},
    ),
    "membership_leave": Case(
        accounts_services.membership_leave, lambda w: {"organisation": w.structure}
    ),
    "user_erase": Case(
        accounts_services.user_erase,
        lambda w: {"user": w.requester},
        actors=("outsider", "anonymous"),  # the platform erases (the retention job)
    ),
    "structure_erase": Case(
        accounts_services.structure_erase, lambda w: {"organisation": w.structure}
    ),
    "user_profile_update": Case(
        accounts_services.user_profile_update, lambda w: {"user": _renamed_user(w.requester)}
    ),
    "password_change": Case(
        accounts_services.password_change,
        lambda w: {"user": w.requester, "password": "un-autre-mot-de-passe-77"},
    ),
    "email_change_request": Case(
        accounts_services.email_change_request,
        lambda w: {"user": w.requester, "new_email": "ailleurs@example.test", "password": "x"},
    ),
    "document_add": Case(
        accounts_services.document_add,
        lambda w: {
            "organisation": w.structure,
            "kind": DocumentKind.STATUTES,
            "upload": _pdf(),
            "expires_on": None,
        },
    ),
    "document_delete": Case(
        accounts_services.document_delete,
        lambda w: {
            "document": OrganisationDocumentFactory(
                organisation=w.structure, uploaded_by=w.requester
            )
        },
    ),
    # spaces
    "site_save": Case(spaces_services.site_save, lambda w: {"site": _renamed(w.site)}),
    "space_save": Case(spaces_services.space_save, lambda w: {"space": _renamed(w.space)}),
    "photo_add": Case(
        spaces_services.photo_add,
        lambda w: {"site": w.site, "upload": _png(), "alt_text": "La façade"},
    ),
    "photo_delete": Case(spaces_services.photo_delete, lambda w: {"photo": w.photo}),
    "inventory_import": Case(
        spaces_services.inventory_import,
        lambda w: {"file": _inventory_file(w), "dry_run": False},
    ),
    "space_set_opening_hours": Case(
        spaces_services.space_set_opening_hours,
        lambda w: {"space": w.space, "windows": [(0, time(9), time(17))]},
    ),
    # bookings: requests and decisions
    "booking_request": Case(
        bookings_services.booking_request,
        lambda w: {"request": _booking_request(w)},
        actor="requested_by",
        refusal=ValidationError,
    ),
    "booking_request_preview": Case(
        bookings_services.booking_request_preview,
        lambda w: {"request": _booking_request(w)},
        actor="requested_by",
        refusal=ValidationError,
    ),
    "booking_approve": Case(bookings_services.booking_approve, lambda w: {"booking": w.pending}),
    # bookings: waiting for a slot (issue 16). Joining for a structure one is not a member of
    # is bad input (400), as for a request; a wait of another structure is not theirs (404).
    "slot_wait_join": Case(
        bookings_services.slot_wait_join,
        lambda w: {
            "space": w.space,
            "organisation": w.structure,
            "period": Period(w.pending.start, w.pending.end),
            "purpose": "Assemblée générale",
            "attendees": 5,
        },
        actor="requested_by",
        refusal=ValidationError,
    ),
    "slot_wait_accept": Case(bookings_services.slot_wait_accept, lambda w: {"wait": _wait(w)}),
    "slot_wait_withdraw": Case(bookings_services.slot_wait_withdraw, lambda w: {"wait": _wait(w)}),
    # bookings: several rooms at once (issue 16)
    "booking_request_several": Case(
        group_services.booking_request_several,
        lambda w: {"request": _booking_request(w), "spaces": [w.space.pk, _room_for(w).pk]},
        actor="requested_by",
        refusal=ValidationError,
    ),
    "booking_group_approve": Case(
        group_services.booking_group_approve, lambda w: {"group": _group_of(w)}
    ),
    "booking_group_refuse": Case(
        group_services.booking_group_refuse, lambda w: {"group": _group_of(w), "reason": "Non"}
    ),
    "booking_group_cancel": Case(
        group_services.booking_group_cancel,
        lambda w: {"group": _group_of(w), "reason": "Non"},
        actors=("outsider", "anonymous"),  # as booking_cancel: the platform cancels on rules
    ),
    # bookings: conditions of requests (issue 16)
    "space_conditions_set": Case(
        bookings_services.space_conditions_set,
        lambda w: {"space": w.space, "house_rules": "Non", "insurance_required": True},
        actors=SIGNED_IN,
    ),
    "request_question_save": Case(
        bookings_services.request_question_save,
        lambda w: {"question": RequestQuestion(space=w.space, text="Alcool ?", kind="yes_no")},
        actors=SIGNED_IN,
    ),
    "request_question_delete": Case(
        bookings_services.request_question_delete,
        lambda w: {"question": _request_question(w)},
        actors=SIGNED_IN,
    ),
    "request_question_move": Case(
        bookings_services.request_question_move,
        lambda w: {"question": _request_question(w), "up": False},
        actors=SIGNED_IN,
    ),
    "booking_file_attach": Case(
        bookings_services.booking_file_attach,
        lambda w: {"booking": w.pending, "upload": _pdf()},
        actors=SIGNED_IN,
    ),
    "booking_file_remove": Case(
        bookings_services.booking_file_remove,
        lambda w: {"booking_file": _attached(w)},
        actors=SIGNED_IN,
    ),
    "booking_refuse": Case(
        bookings_services.booking_refuse, lambda w: {"booking": w.pending, "reason": "Non"}
    ),
    "booking_cancel": Case(
        bookings_services.booking_cancel,
        lambda w: {"booking": w.pending, "reason": "Non"},
        actors=("outsider", "anonymous"),  # the platform cancels what it must (an unpaid fee)
    ),
    # bookings: changing a booking (issue 16)
    "booking_reschedule": Case(
        bookings_services.booking_reschedule,
        lambda w: {"booking": w.pending, "change": bookings_services.BookingChange(attendees=3)},
    ),
    "booking_series_reschedule": Case(
        bookings_services.booking_series_reschedule,
        lambda w: {
            "booking": w.pending,
            "change": bookings_services.SeriesChange(from_date=w.pending.start.date()),
        },
    ),
    # bookings: check-in at the door (issue 16): the structure's members; the space's managers
    "booking_check_in": Case(bookings_services.booking_check_in, lambda w: {"booking": w.pending}),
    "check_in_settings_set": Case(
        bookings_services.check_in_settings_set,
        lambda w: {"space": w.space, "required": True, "grace_minutes": 15},
        actors=SIGNED_IN,
    ),
    "check_in_token_rotate": Case(
        bookings_services.check_in_token_rotate, lambda w: {"space": w.space}, actors=SIGNED_IN
    ),
    # follow-ups: an impartial manager's word on a date; the offer duration of a space's line
    "booking_arrival_record": Case(
        bookings_services.booking_arrival_record,
        lambda w: {"booking": w.pending, "occurrence_start": w.pending.start},
    ),
    "booking_no_show_undo": Case(
        bookings_services.booking_no_show_undo,
        lambda w: {"booking": w.pending, "occurrence_start": w.pending.start},
    ),
    "slot_wait_setting_set": Case(
        bookings_services.slot_wait_setting_set, lambda w: {"space": w.space, "offer_hours": 12}
    ),
    # bookings: talking on a request (the platform has nothing to say there either)
    "booking_comment_post": Case(
        bookings_services.booking_comment_post, lambda w: {"booking": w.pending, "body": "Bonjour"}
    ),
    # bookings: closures and feeds
    "closure_create": Case(
        bookings_services.closure_create,
        lambda w: {
            "site": w.site,
            "period": Period(paris(2027, 3, 1), paris(2027, 3, 2)),
            "reason": "Travaux",
        },
    ),
    "closure_delete": Case(bookings_services.closure_delete, lambda w: {"closure": w.closure}),
    # bookings: equipment (issue 16)
    "equipment_create": Case(
        equipment_services.equipment_create,
        lambda w: {"site": w.site, "name": "Chaises", "stock": 50},
    ),
    "equipment_update": Case(
        equipment_services.equipment_update,
        lambda w: {
            "equipment": Equipment.objects.create(site=w.site, name="Tables", stock=5),
            "name": "Tables",
            "stock": 0,
        },
    ),
    "closures_add_public_holidays": Case(
        bookings_services.closures_add_public_holidays, lambda w: {"site": w.site, "year": 2027}
    ),
    "quota_save": Case(bookings_services.quota_save, lambda w: {"site": w.site, "max_pending": 2}),
    "quota_delete": Case(
        bookings_services.quota_delete,
        lambda w: {"quota": BookingQuota.objects.create(site=w.site, max_pending=2)},
    ),
    "calendar_feed_create": Case(
        bookings_services.calendar_feed_create,
        lambda w: {"scope": CalendarFeed.Scope.SPACE, "target": w.space},
        actor="user",
    ),
    "calendar_feed_revoke": Case(
        bookings_services.calendar_feed_revoke, lambda w: {"feed": w.feed}, actor="user"
    ),
    # bookings: agreements
    "allocation_offer": Case(
        allocations.allocation_offer,
        lambda w: {
            "structure": w.structure,
            "spaces": [_space_for(w)],
            "start": date(2027, 6, 1),
            "end": date(2028, 6, 1),
            "annual_fee_cents": 100_000,
            "direct_reason": "Urgence",
        },
    ),
    "allocation_accept": Case(
        allocations.allocation_accept,
        lambda w: {
            "allocation": w.offered,
            "house_rules_accepted": True,
            "insurance_valid_until": date(2029, 1, 1),
        },
    ),
    "allocation_decline": Case(
        allocations.allocation_decline, lambda w: {"allocation": w.offered, "reason": "Non"}
    ),
    "allocation_sign": Case(
        allocations.allocation_sign, lambda w: {"allocation": _accepted(w.offered)}
    ),
    "allocation_end": Case(
        allocations.allocation_end,
        lambda w: {"allocation": w.agreement, "reason": "Fin"},
        actors=("outsider", "anonymous"),  # the platform ends agreements at their term
    ),
    "sharing_window_propose": Case(
        allocations.sharing_window_propose,
        lambda w: {
            "allocation": w.agreement,
            "space": w.agreement.spaces.get(),
            "weekday": 1,
            "start_time": time(18),
            "end_time": time(22),
            "valid_from": date(2027, 1, 5),
            "valid_until": date(2027, 6, 29),
            "occupant_share_percent": 70,
        },
    ),
    "sharing_window_consent": Case(
        allocations.sharing_window_consent, lambda w: {"window": _window(w)}
    ),
    "sharing_window_withdraw": Case(
        allocations.sharing_window_withdraw,
        lambda w: {"window": _window(w), "reason": "Fin"},
    ),
    "allocation_renew": Case(
        allocations.allocation_renew, lambda w: {"allocation": w.agreement, "end": date(2029, 1, 1)}
    ),
    "key_issue": Case(
        allocations.key_issue,
        lambda w: {"allocation": w.agreement, "label": "Clé", "issued_on": date(2027, 1, 4)},
    ),
    "key_return": Case(
        allocations.key_return, lambda w: {"key": w.key, "returned_on": date(2027, 1, 4)}
    ),
    "inventory_record": Case(
        allocations.inventory_record,
        lambda w: {
            "allocation": w.agreement,
            "kind": InventoryKind.EXIT,
            "done_on": date(2027, 1, 4),
            "notes": "Rien à signaler.",
        },
    ),
    "inventory_photo_add": Case(
        allocations.inventory_photo_add,
        lambda w: {"inventory": w.inventory, "upload": _png(), "alt_text": "Le mur"},
    ),
    # calls
    "call_create": Case(
        calls_services.call_create,
        lambda w: {
            "owner": w.site.owner,
            "title": "Appel",
            "presentation": "Des bureaux.",
            "eligibility": "L'ESS.",
            "spaces": [_space_for(w)],
            "required_documents": [],
            "deadline": None,
        },
        actors=SIGNED_IN,
    ),
    "call_update": Case(
        calls_services.call_update,
        lambda w: {
            "call": w.draft_call,
            "owner": w.site.owner,
            "title": "Changé",
            "presentation": "Des bureaux.",
            "eligibility": "L'ESS.",
            "spaces": [_space_for(w)],
            "required_documents": [],
            "deadline": None,
        },
    ),
    "criteria_set": Case(
        calls_services.criteria_set,
        lambda w: {"call": w.draft_call, "criteria": [("Utilité", 10, "")]},
    ),
    "criterion_add": Case(
        calls_services.criterion_add,
        lambda w: {"call": w.draft_call, "name": "Utilité", "weight": 10},
    ),
    "criterion_update": Case(
        calls_services.criterion_update,
        lambda w: {
            "criterion": CriterionFactory(call=w.draft_call),
            "name": "Utilité",
            "weight": 10,
            "description": "",
        },
    ),
    "criterion_delete": Case(
        calls_services.criterion_delete,
        lambda w: {"criterion": CriterionFactory(call=w.draft_call)},
    ),
    "lot_add": Case(
        calls_services.lot_add, lambda w: {"call": w.draft_call, "space": _space_for(w)}
    ),
    "lot_delete": Case(
        calls_services.lot_delete,
        lambda w: {"lot": CallLotFactory(call=w.draft_call, space=_space_for(w))},
    ),
    "call_publish": Case(calls_services.call_publish, lambda w: {"call": _with_grid(w)}),
    "call_close": Case(calls_services.call_close, lambda w: {"call": w.open_call}),
    "call_decide": Case(
        calls_services.call_decide,
        lambda w: {
            "call": _closed(w.open_call),
            "reference": "D-1",
            "decided_on": date(2027, 1, 4),
        },
    ),
    "application_start": Case(
        calls_services.application_start,
        lambda w: {"call": w.open_call, "structure": VerifiedStructureFactory()},
    ),
    "application_create": Case(
        calls_services.application_create,
        lambda w: {
            "call": w.open_call,
            "structure": VerifiedStructureFactory(),
            "project": "Un projet",
            "needed_surface_m2": None,
            "needed_kind": "",
            "wanted_start": None,
            "duration_months": None,
            "lots_ranked": [],
            "documents": [],
            "republican_commitment_signatory": "",
        },
    ),
    "application_update": Case(
        calls_services.application_update,
        lambda w: {
            "application": w.draft_application,
            "project": "Un autre projet",
            "needed_surface_m2": None,
            "needed_kind": "",
            "wanted_start": None,
            "duration_months": None,
            "lots_ranked": [],
            "documents": [],
            "republican_commitment_signatory": "",
        },
    ),
    "application_submit": Case(
        calls_services.application_submit, lambda w: {"application": w.draft_application}
    ),
    "application_withdraw": Case(
        calls_services.application_withdraw, lambda w: {"application": w.application}
    ),
    # calls: talking on an application (issue 16; the platform has nothing to say there)
    "application_comment_post": Case(
        calls_services.application_comment_post,
        lambda w: {"application": w.application, "body": "Bonjour"},
    ),
    "application_accept": Case(
        calls_services.application_accept,
        lambda w: {"application": w.application, "lot": w.lot},
    ),
    "application_refuse": Case(
        calls_services.application_refuse,
        lambda w: {"application": w.application, "reason": "Non"},
    ),
    "application_offer_agreement": Case(
        calls_services.application_offer_agreement,
        lambda w: {
            "application": _accepted_application(w),
            "start": date(2027, 6, 1),
            "end": date(2028, 6, 1),
            "annual_fee_cents": 100_000,
        },
    ),
    "reviewer_assign": Case(
        calls_services.reviewer_assign, lambda w: {"call": w.open_call, "reviewer": UserFactory()}
    ),
    "reviewer_declare": Case(
        calls_services.reviewer_declare,
        lambda w: {
            "assignment": ReviewerAssignmentFactory(call=w.open_call),
            "conflict_of_interest": False,
        },
    ),
    "score_record": Case(
        calls_services.score_record,
        lambda w: {
            "application": w.application,
            "criterion": w.open_call.criteria.first(),
            "mark": 5,
        },
        actor="reviewer",
        actors=SIGNED_IN,
    ),
    "scores_record": Case(
        calls_services.scores_record,
        lambda w: {"application": w.application, "marks": [(w.open_call.criteria.first(), 5, "")]},
        actor="reviewer",
        actors=SIGNED_IN,
    ),
    "waiting_entry_register": Case(
        services_waiting.waiting_entry_register,
        lambda w: {"structure": w.structure, "kind": "office"},
    ),
    "waiting_entry_close": Case(services_waiting.waiting_entry_close, lambda w: {"entry": w.entry}),
    # payments
    "booking_payment_open": Case(
        cards.booking_payment_open,
        lambda w: {"booking": w.pending},
        actors=("outsider", "anonymous"),  # the platform opens pay links
    ),
    "payment_pay": Case(
        cards.payment_pay, lambda w: {"payment": _unpaid(w), "payment_method": "pm_card_visa"}
    ),
    "payment_start": Case(
        cards.payment_start, lambda w: {"booking": w.pending, "payment_method": "pm_card_visa"}
    ),
    "payment_retry": Case(cards.payment_retry, lambda w: {"payment": _failed(w)}),
    "payment_refresh": Case(
        cards.payment_refresh,
        lambda w: {"payment": w.deposit},
        actors=("outsider", "anonymous"),  # the platform reads intents again (reconciliation)
    ),
    "payment_capture": Case(
        cards.payment_capture,
        lambda w: {"payment": w.deposit},
        actors=("outsider", "anonymous"),  # a capture follows an approval: the platform's
    ),
    "payment_release": Case(
        cards.payment_release,
        lambda w: {"payment": w.deposit},
        actors=("outsider", "anonymous"),  # the platform releases what a booking no longer needs
    ),
    "payment_refund": Case(
        refunds.payment_refund, lambda w: {"payment": w.payment, "reason": "Geste"}
    ),
    "deposit_open": Case(deposits.deposit_open, lambda w: {"booking": w.confirmed}),
    "deposit_keep": Case(
        deposits.deposit_keep,
        lambda w: {"payment": w.deposit, "amount_cents": 1_000, "reason": "Vitre cassée"},
    ),
    "deposit_release": Case(deposits.deposit_release, lambda w: {"payment": w.deposit}),
    "tariffs_replace": Case(
        tariffs.tariffs_replace,
        lambda w: {"space": w.space, "grid": {("association", "hour"): 1_000}},
    ),
    "tariff_set": Case(
        tariffs.tariff_set,
        lambda w: {
            "space": w.space,
            "category": "association",
            "unit": "hour",
            "amount_cents": 1_000,
        },
    ),
    "channel_set": Case(
        tariffs.channel_set,
        lambda w: {
            "owner": w.site.owner,
            "kind": ChannelKind.FREE,
            "free_legal_basis": "CG3P L2125-1-2",
        },
    ),
    "channel_set_active": Case(
        tariffs.channel_set_active,
        lambda w: {"owner": _with_channel(w.site.owner), "active": False},
    ),
    "space_deposit_set": Case(
        tariffs.space_deposit_set, lambda w: {"space": w.space, "amount_cents": 10_000}
    ),
    # spaces: who manages and runs a site
    "site_manager_add": Case(
        spaces_services.site_manager_add,
        lambda w: {"site": w.site, "email": UserFactory(email="regie@example.test").email},
    ),
    "site_manager_set_delegation": Case(
        spaces_services.site_manager_set_delegation,
        lambda w: {"assignment": _assignment(w), "may_commit_owner": True},
    ),
    "site_manager_remove": Case(
        spaces_services.site_manager_remove, lambda w: {"assignment": _assignment(w)}
    ),
    "site_managing_organisation_set": Case(
        spaces_services.site_managing_organisation_set,
        lambda w: {"site": w.site, "organisation": w.structure},
    ),
    # spaces: the websites that may frame the availability widget
    "widget_origin_add": Case(
        spaces_services.widget_origin_add,
        lambda w: {"organisation": w.site.owner, "origin": "https://www.denain.fr"},
    ),
    "widget_origin_remove": Case(
        spaces_services.widget_origin_remove,
        lambda w: {
            "widget_origin": WidgetOrigin.objects.create(
                organisation=w.site.owner, origin="https://www.denain.fr"
            )
        },
    ),
    "amenity_add": Case(spaces_services.amenity_add, lambda w: {"name": "Piano"}),
    "amenity_rename": Case(
        spaces_services.amenity_rename,
        lambda w: {"amenity": Amenity.objects.create(code="piano", name="Piano"), "name": "Orgue"},
    ),
    # reports
    "cash_subsidy_create": Case(
        reports_services.cash_subsidy_create,
        lambda w: {
            "structure": w.structure,
            "granted_by": w.site.owner,
            "year": 2026,
            "amount_cents": 100_000,
            "label": "Fonctionnement",
        },
    ),
    "cash_subsidy_delete": Case(
        reports_services.cash_subsidy_delete, lambda w: {"subsidy": w.subsidy}
    ),
    # The document records who asked: a person, never the platform.
    "annex_document_request": Case(
        reports_services.annex_document_request,
        lambda w: {"commune": w.site.commune, "year": 2026},
        actors=SIGNED_IN,
    ),
    # integrations: an organisation's webhooks, managed by its administrators
    "endpoint_create": Case(
        integrations_services.endpoint_create,
        lambda w: {
            "organisation": w.structure,
            "url": "https://93.184.216.34/hook",
            "events": ["booking.requested"],
        },
    ),
    "endpoint_update": Case(
        integrations_services.endpoint_update,
        lambda w: {
            "endpoint": _endpoint(w),
            "url": "https://93.184.216.34/other",
            "events": ["booking.confirmed"],
            "description": "Changé",
        },
    ),
    "endpoint_secret_rotate": Case(
        integrations_services.endpoint_secret_rotate, lambda w: {"endpoint": _endpoint(w)}
    ),
    "endpoint_pause": Case(
        integrations_services.endpoint_pause, lambda w: {"endpoint": _endpoint(w)}
    ),
    "endpoint_resume": Case(
        integrations_services.endpoint_resume, lambda w: {"endpoint": _endpoint(w, paused=True)}
    ),
    "endpoint_delete": Case(
        integrations_services.endpoint_delete, lambda w: {"endpoint": _endpoint(w)}
    ),
    "delivery_replay": Case(
        integrations_services.delivery_replay, lambda w: {"delivery": _delivery(w)}
    ),
    # the season (issue 17)
    "campaign_create": Case(
        seasons_services.campaign_create,
        lambda w: {
            "owner": w.site.owner,
            "terms": seasons_services.CampaignTerms(
                title="Saison",
                school_year=2027,
                opens_on=date(2027, 1, 4),
                deadline=paris(2027, 3, 31, 12),
                spaces=[w.space],
            ),
        },
    ),
    "campaign_open": Case(seasons_services.campaign_open, lambda w: {"campaign": _season(w)}),
    "campaign_update": Case(
        seasons_services.campaign_update,
        lambda w: {
            "campaign": _season(w),
            "terms": seasons_services.CampaignTerms(
                title="Saison changée",
                school_year=2027,
                opens_on=date(2027, 1, 4),
                deadline=paris(2027, 3, 31, 12),
                spaces=[w.space],
            ),
        },
    ),
    "campaign_close": Case(
        seasons_services.campaign_close,
        lambda w: {"campaign": _season(w, CampaignStatus.OPEN)},
    ),
    "plan_run": Case(
        seasons_services.plan_run, lambda w: {"campaign": _season(w, CampaignStatus.CLOSED)}
    ),
    "wish_submit": Case(
        seasons_services.wish_submit,
        lambda w: {
            "campaign": _season(w, CampaignStatus.OPEN),
            "structure": w.structure,
            "rank": 1,
            "attendees": 5,
            "purpose": "Atelier",
            "activity": "social",
            "period": "year",
            "options": [seasons_services.OptionInput(1, time(18), time(20), space=w.space)],
        },
    ),
    "wish_withdraw": Case(seasons_services.wish_withdraw, lambda w: {"wish": _season_wish(w)}),
    "wishes_renew": Case(
        seasons_services.wishes_renew,
        lambda w: {"campaign": _season(w, CampaignStatus.OPEN), "structure": w.structure},
    ),
    # the season's arbitration and publication (issue 17)
    "plan_assignment_move": Case(
        seasons_services.plan_assignment_move,
        lambda w: {"assignment": _season_placed(w), "option": None, "space": None},
    ),
    "plan_assignments_swap": Case(
        seasons_services.plan_assignments_swap,
        lambda w: {"first": _season_placed(w), "second": _season_placed(w, other=True)},
    ),
    "campaign_decide": Case(
        seasons_services.campaign_decide,
        lambda w: {
            "campaign": _season_placed(w).run.campaign,
            "decided_on": date(2027, 1, 4),
            "deliberation_reference": "DEL-1",
        },
    ),
    "campaign_publish": Case(
        seasons_services.campaign_publish,
        lambda w: {"campaign": _season_placed(w, status=CampaignStatus.DECIDED).run.campaign},
    ),
    "season_slot_give_back": Case(
        seasons_services.season_slot_give_back,
        lambda w: {
            "assignment": _season_placed(w, status=CampaignStatus.PUBLISHED, booking=w.confirmed),
            "from_date": date(2027, 1, 13),
            "reason": "Plus besoin",
        },
    ),
    "bookings_place_series": Case(
        placement_services.bookings_place_series,
        lambda w: {
            "placements": [
                placement_services.SeriesPlacement(
                    key=1,
                    space_id=w.space.pk,
                    organisation_id=w.structure.pk,
                    requested_by_id=w.requester.pk,
                    purpose="Saison",
                    attendees=5,
                    periods=(Period(paris(2027, 3, 2, 18), paris(2027, 3, 2, 20)),),
                )
            ],
            "reason": "Saison 2027–2028",
        },
    ),
}


def _season(w: World, status: str = CampaignStatus.DRAFT) -> Campaign:
    campaign = Campaign.objects.create(
        owner=w.site.owner,
        title="Saison 2027–2028",
        school_year=2027,
        opens_on=date(2027, 1, 4),
        deadline=paris(2027, 3, 31, 12),
        status=status,
        created_by=w.staff,
    )
    CampaignSpace.objects.create(campaign=campaign, space=w.space)
    return campaign


def _season_placed(
    w: World,
    *,
    status: str = CampaignStatus.PLANNED,
    other: bool = False,
    booking: Booking | None = None,
) -> PlanAssignment:
    """A wish of `w.structure` placed by a plan of a campaign in `status` (`other`: a second
    wish of the same plan, in a second space, at another time)."""
    campaign = Campaign.objects.filter(title="Saison placée").first()
    if campaign is None:
        campaign = _season(w, status)
        Campaign.objects.filter(pk=campaign.pk).update(title="Saison placée")
        PlanRun.objects.create(
            campaign=campaign, inputs_hash="0" * 64, status="optimal", seconds=0, objective=0
        )
    run = campaign.plan_runs.get()
    space = w.space
    if other:
        space = SpaceFactory(site=w.site, name="Salle voisine")
        CampaignSpace.objects.create(campaign=campaign, space=space)
    wish = campaign.wishes.create(
        structure=w.structure,
        submitted_by=w.requester,
        rank=2 if other else 1,
        attendees=5,
        purpose="Atelier",
        activity="social",
    )
    option = WishOption.objects.create(
        wish=wish,
        position=1,
        weekday=1,
        start=time(14 if other else 18),
        end=time(16 if other else 20),
        space=space,
    )
    return PlanAssignment.objects.create(
        run=run, wish=wish, option=option, space=space, explanation="Placé.", booking=booking
    )


def _season_wish(w: World):
    wish = _season(w, CampaignStatus.OPEN).wishes.create(
        structure=w.structure,
        submitted_by=w.requester,
        rank=1,
        attendees=5,
        purpose="Atelier",
        activity="social",
    )
    WishOption.objects.create(
        wish=wish, position=1, weekday=1, start=time(18), end=time(20), space=w.space
    )
    return wish


def _endpoint(w: World, *, paused: bool = False) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organisation=w.structure,
        url="https://93.184.216.34/hook",
        events=["booking.requested"],
        secret="whsec_test",
        paused_at=paris(2027, 1, 3) if paused else None,
    )


def _delivery(w: World) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=_endpoint(w),
        event_id="3f0c1c9e-4a57-4f3e-9b8e-2f1d7c7a6b21",
        event_type="booking.requested",
        payload={"id": "3f0c1c9e-4a57-4f3e-9b8e-2f1d7c7a6b21"},
        status="delivered",
    )


def _with_channel(owner: Organisation) -> Organisation:
    PaymentChannel.objects.create(owner=owner, kind=ChannelKind.PUBLIC_ACCOUNTING)
    return owner


def _assignment(w: World) -> SiteManager:
    return SiteManager.objects.create(site=w.site, user=UserFactory(email="regie@example.test"))


def _renamed(instance):
    """A changed copy as a form would hand it over (the row itself is unchanged)."""
    instance = type(instance).objects.get(pk=instance.pk)
    instance.name = f"{instance.name} (changé)"
    return instance


def _renamed_user(user):
    user = type(user).objects.get(pk=user.pk)
    user.first_name = "Changé"
    return user


def _accepted(allocation: Allocation) -> Allocation:
    Allocation.objects.filter(pk=allocation.pk).update(
        status=AllocationStatus.ACCEPTED, insurance_valid_until=date(2029, 1, 1)
    )
    allocation.refresh_from_db()
    return allocation


def _with_grid(w: World):
    CallLotFactory(call=w.draft_call, space=SpaceFactory(site=w.site, allocatable=True))
    CriterionFactory(call=w.draft_call)
    return w.draft_call


def _closed(call):
    type(call).objects.filter(pk=call.pk).update(status=CallStatus.CLOSED)
    call.refresh_from_db()
    return call


def _accepted_application(w: World):
    type(w.application).objects.filter(pk=w.application.pk).update(
        status=ApplicationStatus.ACCEPTED, allocated_lot=w.lot
    )
    w.application.refresh_from_db()
    return w.application


def _unpaid(w: World) -> Payment:
    return Payment.objects.create(
        purpose=PaymentPurpose.BOOKING_FEE,
        booking=w.pending,
        owner=w.site.owner,
        amount_cents=5_000,
        price_rule="2 h × 25 €",
    )


def _failed(w: World) -> Payment:
    payment = _unpaid(w)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.FAILED)
    payment.refresh_from_db()
    return payment


def _window(w: World) -> SharingWindow:
    """A shared time proposed by the occupant of `w.agreement` (issue 17)."""
    return SharingWindow.objects.create(
        allocation=w.agreement,
        space=w.agreement.spaces.get(),
        weekday=1,
        start_time=time(18),
        end_time=time(22),
        valid_from=date(2027, 1, 5),
        valid_until=date(2027, 6, 29),
        occupant_share_percent=70,
        proposed_by=w.requester,
    )


def _actor(name: str):
    if name == "outsider":  # a member of another verified structure
        return MembershipFactory(organisation=VerifiedStructureFactory(name="Autre")).user
    if name == "anonymous":
        return AnonymousUser()
    return PLATFORM


def database_state() -> dict[str, list[tuple]]:
    """Every row of the project's tables (and django-scheduler's), as plain values."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
    }


def test_every_service_is_classified():
    classified = {
        *CASES,
        *PLATFORM_JOBS,
        *NOT_STATE_CHANGING,
        *INTERNAL_STEPS,
        *PUBLIC,
        *OWN_ACCOUNT,
        *NOT_YET_GUARDED,
    }

    assert discovered_services() - classified == set(), "give the new service a case here"
    assert classified - discovered_services() == set(), "a listed service no longer exists"


@pytest.mark.parametrize(
    ("service", "actor"),
    [(service, actor) for service, case in CASES.items() for actor in case.actors],
)
def test_a_service_refuses_whoever_may_not_act_and_changes_nothing(world, service, actor):
    case = CASES[service]
    arguments = {**case.arguments(world), case.actor: _actor(actor)}
    before = database_state()

    with pytest.raises(case.refusal) as refusal:
        case.service(**arguments)

    if case.refusal is ValidationError:
        assert "organisation" in refusal.value.message_dict
    assert database_state() == before


def test_an_outsider_who_sees_nothing_is_told_nothing(world):
    """Not seeing the booking, they get the 404 kind of refusal, not the 403 one."""
    with pytest.raises(PermissionDenied) as refusal:
        bookings_services.booking_approve(booking=world.pending, actor=_actor("outsider"))

    assert not isinstance(refusal.value, DecisionNotAllowed)


def test_the_requester_sees_the_booking_but_may_not_decide_on_it(world):
    with pytest.raises(DecisionNotAllowed):
        bookings_services.booking_approve(booking=world.pending, actor=world.requester)


# --- The platform acts for the jobs, and is recorded as such ---


def test_the_platform_lapses_undecided_requests(world):
    Booking.objects.filter(pk=world.pending.pk).update(lapses_at=paris(2027, 1, 4))

    assert bookings_services.bookings_expire_lapsed() == 1

    entry = BookingLog.objects.filter(booking=world.pending).latest("pk")
    assert (entry.to_status, entry.actor) == (BookingStatus.LAPSED, None)  # "the platform"


def test_the_platform_cancels_on_a_managers_terms(world):
    """Inside the cancellation notice a requester is refused; the platform (an unpaid fee) is not."""
    world.space.cancellation_notice_hours = 24 * 30
    world.space.save()

    count = bookings_services.booking_cancel(
        booking=world.pending, actor=PLATFORM, reason="Non payée à temps."
    )

    entry = BookingLog.objects.filter(booking=world.pending).latest("pk")
    assert (count, entry.to_status, entry.actor) == (1, BookingStatus.CANCELLED, None)


def test_the_platform_ends_agreements_at_their_term(world):
    allocations.allocations_activate_and_end(today=date(2028, 1, 1))

    entry = AllocationLog.objects.filter(allocation=world.agreement).latest("pk")
    assert (entry.to_status, entry.actor) == (AllocationStatus.ENDED, None)


def test_the_platform_closes_calls_past_their_deadline(world):
    type(world.open_call).objects.filter(pk=world.open_call.pk).update(deadline=paris(2027, 1, 3))

    assert calls_services.calls_close_past_deadline() == 1

    entry = CallLog.objects.filter(call=world.open_call).latest("pk")
    assert (entry.to_status, entry.actor) == (CallStatus.CLOSED, None)


def test_the_platform_may_not_decide_for_a_person(world):
    with pytest.raises(PermissionDenied):
        allocations.allocation_sign(allocation=_accepted(world.offered), actor=PLATFORM)


def test_the_platform_actor_is_one_and_the_same_through_a_copy():
    import copy
    import pickle

    assert copy.deepcopy(PLATFORM) is PLATFORM
    assert pickle.loads(pickle.dumps(PLATFORM)) is PLATFORM  # noqa: S301


def test_staff_may_still_act(world):
    """The checks do not refuse the people they are meant for."""
    assert bookings_services.booking_approve(booking=world.pending, actor=world.staff) is True


@pytest.mark.django_db
def test_own_account_services_touch_only_the_actor():
    from accounts.models import Notification

    owner, other = UserFactory(), UserFactory()
    theirs = Notification.objects.create(user=other, topic="t", subject="s", body="b")
    for actor in (AnonymousUser(), PLATFORM):
        with pytest.raises(PermissionDenied):
            accounts_services.notifications_mark_read(actor=actor)

    assert accounts_services.notifications_mark_read(actor=owner, ids=[theirs.pk]) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_platform_closes_season_campaigns_past_their_deadline(world):
    campaign = _season(world, CampaignStatus.OPEN)
    Campaign.objects.filter(pk=campaign.pk).update(deadline=paris(2027, 1, 3))

    assert seasons_services.campaigns_close_due() == 1

    entry = campaign.log.latest("pk")
    assert (entry.to_status, entry.actor) == (CampaignStatus.CLOSED, None)
