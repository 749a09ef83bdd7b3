"""The authorisation matrix of the API (issue 14): every route and method of the `api:` URLconf ×
every role × {own object, another's object} → the status it answers.

`MATRIX` is the one table. A route or method of the URLconf without an entry fails
`test_every_api_route_has_an_entry` (which prints the entries to fill in, ready to paste), and
an entry for a route that no longer exists fails it too. `EXCLUDED` names the routes left out
and why.

The world has two sides. Side 1: structure A (member A), the commune of Denain (commune staff),
its site managed by the facilities manager (also a reviewer of the commune's call). Side 2:
structure B (member B), another commune with its own staff and site. Each side has a booking
of its structure on its site (pending), that booking's payment, agreements of its structure on
its offices (offered, accepted, signed), a published call of its commune with an application of
its structure. A role's "own" object is that of its side (side 2 for member B, side 1 for the
others; anonymous owns nothing: both are another's); "another's" is the other side's. The
intercommunality steers the whole territory: both sides are its own. A seventh column,
`token_read`, is a program holding member A's read-scope API token (no session): what member A
reads, and 403 on every write.

An expectation is the status for a list or a create (no object), or `(own, other)`. Each
request runs in a savepoint rolled back after it, so every cell starts from the same world.
Unsafe requests carry a body valid for a role that may act, so that the status tells the
permission (the notes say where the world's state gives a 400 or a 409 instead, and why); a
second request with an unreadable body proves that a 404 comes before validation.

Statuses: 403 without a session (nothing is revealed: the same for any id); 404 for what the
user may not see or may not act on (what one may not see does not exist); 403 for a decision
on a visible object that is not the user's to take (docs/api.md, "Errors"). Every error answered
has its shape there, in French (the default language): a 403 or 404 is `{"detail": "…"}`, a 409
has a `detail` beside what it lists, a 400 is an object (the fields in error, or `detail`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import ApiTokenScope, Invitation, MembershipRole
from accounts.services.tokens import api_token_create
from bookings.models import BookingQuota, Equipment, SlotWait, SlotWaitStatus
from bookings.rules import Period
from bookings.services import BookingRequest
from bookings.services.closures import closure_create
from bookings.services.conditions import booking_file_attach
from bookings.services.feeds import calendar_feed_create
from bookings.services.groups import booking_request_several
from calls import services as calls_services
from calls.services import waiting_entry_register
from integrations.events import Event, Route
from integrations.models import DeliveryStatus, WebhookDelivery
from integrations.services import endpoint_create, events_record
from payments.models import ChannelKind, Payment, PaymentChannel, PaymentStatus
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.cards import booking_payment_open
from payments.services.documents import invoice_issue_for_payment
from payments.services.tariffs import tariff_set
from reports.models import DocumentKind, DocumentStatus, GeneratedDocument
from seasons import services as season_services
from spaces.models import SpaceKind
from tests.calls.conftest import draft_call, submitted
from tests.factories import (
    PDF_BYTES,
    CommuneFactory,
    EpciFactory,
    MembershipFactory,
    OrganisationDocumentFactory,
    PhotoFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    booking_request_for,
    paris,
)
from tests.helpers import response_bytes

pytestmark = pytest.mark.usefixtures("frozen_clock")

# The roles the matrix checks, in the order of its columns.
ROLES = ("anonymous", "member_a", "member_b", "manager", "commune", "epci")
# A program holding a read-scope API token of member A (`Authorization: Bearer …`, no session).
# Without an explicit `token_read=` in an entry, its expectation is `token_expectation`: what
# its holder gets on a GET; 403 on anything else (a read scope refuses writes before looking
# at the object).
TOKEN_ROLE = "token_read"
TOKEN_HOLDER = "member_a"
SIDE = {"anonymous": 1, "member_a": 1, "member_b": 2, "manager": 1, "commune": 1, "epci": 1}
SIDE["token_read"] = SIDE[TOKEN_HOLDER]

# Routes that are no role's business, with the reason.
EXCLUDED: dict[tuple[str, str], str] = {
    ("api:stripe-webhook", "POST"): "public by design: Stripe calls it, authenticated by the "
    "signature of the body, not by a role (tests/payments/test_webhooks*.py)",
    ("api:schema", "GET"): "public by design: the OpenAPI schema (tests/api/test_schema.py, "
    "tests/api/test_openapi_contract.py)",
    ("api:docs", "GET"): "public by design: Swagger UI over the schema",
    ("api:redoc", "GET"): "public by design: Redoc over the schema",
}


@dataclass(frozen=True)
class Entry:
    """What a route answers each role; `target` is the world's object its `pk` names, `body`
    builds the JSON body (from the world, the role and the object named, None for a list),
    `query` the query string."""

    expect: dict[str, int | tuple[int, int]]
    target: str | None = None
    body: Callable[["World", str, object], dict] | None = None
    query: dict = field(default_factory=dict)
    note: str = ""


def entry(target=None, *, body=None, query=None, note="", **expect) -> Entry:
    unknown = set(expect) - set(ROLES) - {TOKEN_ROLE}
    missing = set(ROLES) - set(expect)
    assert not unknown, f"unknown roles: {unknown}"
    assert not missing, f"roles without a status: {missing}"
    for role, status in expect.items():
        assert isinstance(status, tuple) == (target is not None), (role, status)
    return Entry(expect, target, body, query or {}, note)


def token_expectation(item: Entry, method: str) -> int | tuple[int, int]:
    if "token_read" in item.expect:
        return item.expect["token_read"]
    if method == "GET":
        return item.expect[TOKEN_HOLDER]
    return (403, 403) if item.target else 403


# --- Bodies: valid for a role that may act ----------------------------------------------------

SLOT = {"start": "2027-01-12T18:00:00+01:00", "end": "2027-01-12T20:00:00+01:00"}
WINDOW = {"start": "2027-01-11T00:00:00+01:00", "end": "2027-01-25T00:00:00+01:00"}
REASON = {"reason": "Motif de test."}


def _booking_request(w: "World", role: str, _) -> dict:
    return {
        "space": w.space[1].pk,
        "organisation": w.organisation_of(role).pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        **SLOT,
    }


def _group_request(w: "World", role: str, _) -> dict:
    return {
        "spaces": [w.space[1].pk, w.annexe[1].pk],
        "organisation": w.organisation_of(role).pk,
        "purpose": "Forum",
        "attendees": 12,
        **SLOT,
    }


def _allocation_offer(w: "World", role: str, _) -> dict:
    return {
        "spaces": [w.free_office.pk],
        "structure": w.structure[1].pk,
        "start": "2027-03-01",
        "end": "2028-03-01",
        "free_use_basis": "L2125-1",
        "direct_reason": "Occupation consentie sans appel (test).",
    }


def _application(w: "World", role: str, _) -> dict:
    # The other side's call: the role's structure has not applied to it yet.
    return {"call": w.call[3 - SIDE[role]].pk, "structure": w.organisation_of(role).pk}


def _accept_lot(w: "World", role: str, application) -> dict:
    return {"lot": application.call.lots.first().pk}


def _scores(w: "World", role: str, application) -> dict:
    criteria = application.call.criteria.values_list("pk", flat=True)
    return {"scores": [{"criterion": pk, "mark": 7} for pk in criteria]}


def _call(w: "World", role: str, _) -> dict:
    return {
        "owner": w.organisation_of(role).pk,
        "title": "Bureaux vacants",
        "presentation": "Un bureau, trois ans.",
        "eligibility": "Structures de l'ESS.",
        "spaces": [w.free_office.pk],
        "deadline": "2027-03-01T12:00:00+01:00",
    }


def _lot(w: "World", role: str, call) -> dict:
    side = 1 if call.pk == w.call_draft[1].pk else 2
    return {"space": w.spare_office[side].pk}


DECISION = {"deliberation_reference": "DEL-2027-1", "deliberation_date": "2027-02-15"}


def _site(w: "World", role: str, _) -> dict:
    commune = w.communes[1]
    return {
        "name": "Tiers-lieu de la gare",
        "owner": w.organisation_of(role).pk,
        "street_number": 3,
        "street_name": "place de la Gare",
        "postcode": commune.postcodes.first().code,
        "commune": commune.insee_code,
    }


def _space(w: "World", role: str, _) -> dict:
    return {
        "site": w.site[1].pk,
        "name": "Salle Zola",
        "kind": "meeting_room",
        "surface_m2": "35.50",
        "capacity": 25,
    }


CLOSURE = {
    "start": "2027-02-01T00:00:00+01:00",
    "end": "2027-02-08T00:00:00+01:00",
    "reason": "Travaux de peinture",
}


def _webhook_endpoint(w: "World", role: str, _) -> dict:
    # A literal public address: the SSRF guard passes it without a DNS lookup.
    return {
        "organisation": w.organisation_of(role).pk,
        "url": "https://93.184.216.34/hooks/nouveau",
        "events": ["booking.requested"],
    }


def _waiting_entry(w: "World", role: str, _) -> dict:
    return {"structure": w.organisation_of(role).pk, "kind": "office", "min_surface_m2": 20}


def _feed(w: "World", role: str, _) -> dict:
    return {"scope": "organisation", "target": w.organisation_of(role).pk}


def _slot_wait_join(w: "World", role: str, _) -> dict:
    # Side 1's booking's slot (structure A's): the others may wait for it.
    return {
        "space": w.space[1].pk,
        "organisation": w.organisation_of(role).pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "start": "2027-01-12T09:00:00+01:00",
        "end": "2027-01-12T10:00:00+01:00",
    }


def _occurrence(w: "World", role: str, booking) -> dict:
    return {"occurrence_start": booking.start.isoformat()}


def _sharing_window(w: "World", role: str, allocation) -> dict:
    return {
        "space": allocation.spaces.get().pk,
        "weekday": 1,
        "start_time": "18:00",
        "end_time": "22:00",
        "valid_from": "2027-02-02",
        "valid_until": "2027-06-29",
        "occupant_share_percent": 70,
    }


def _season_campaign(w: "World", role: str, _) -> dict:
    return {
        "owner": w.organisation_of(role).pk,
        "title": "Saison 2028–2029",
        "school_year": 2028,
        "opens_on": "2027-02-01",
        "deadline": "2027-04-30T12:00:00+02:00",
        "spaces": [w.space[1].pk],
    }


def _season_wish(w: "World", role: str, _) -> dict:
    # The other side's open campaign: the role's structure has no wish there yet.
    other = 3 - SIDE[role]
    return {
        "campaign": w.season_campaign[other].pk,
        "structure": w.organisation_of(role).pk,
        "rank": 1,
        "attendees": 10,
        "purpose": "Répétition",
        "activity": "culture",
        "options": [{"weekday": 1, "start": "18:00", "end": "20:00", "space": w.space[other].pk}],
    }


def _season_move(w: "World", role: str, assignment) -> dict:
    return {"option": assignment.option_id, "space": assignment.space_id}


def _season_swap(w: "World", role: str, _) -> dict:
    first, second = w.season_assignment[1], w.season_assignment_other[1]
    return {"first": first.pk, "second": second.pk}


SEASON_DECISION = {"decided_on": "2027-01-04", "deliberation_reference": "DEL-2027-12"}
GIVE_BACK = {"from_date": "2028-03-01", "reason": "Fin de saison."}


def _season_renew(w: "World", role: str, _) -> dict:
    return {"structure": w.organisation_of(role).pk}


def _fixed(body: dict) -> Callable[["World", str, object], dict]:
    return lambda w, role, target: body


# --- The matrix -------------------------------------------------------------------------------

# fmt: off
# Columns: anonymous, member_a, member_b, manager, commune, epci (and token_read: TOKEN_ROLE).
PUBLIC = dict.fromkeys(ROLES, 200)
PUBLIC_DETAIL = dict.fromkeys(ROLES, (200, 200))
SIGNED_IN = {**PUBLIC, "anonymous": 403}
# Seen by the structure's members, the managers of its site, the commune that owns the site
# and the intercommunality (bookings, their payments, agreements, applications).
VISIBLE = {
    "anonymous": (403, 403), "member_a": (200, 404), "member_b": (200, 404),
    "manager": (200, 404), "commune": (200, 404), "epci": (200, 200),
}
# Answered by the structure's administrators only (pay, accept an offer, withdraw…).
THE_STRUCTURES = {
    "anonymous": (403, 403), "member_a": (200, 404), "member_b": (200, 404),
    "manager": (404, 404), "commune": (404, 404), "epci": (404, 404),
}
# Decided by the site's managers, the owner's staff and the intercommunality.
THE_MANAGERS = {
    "anonymous": (403, 403), "member_a": (404, 404), "member_b": (404, 404),
    "manager": (200, 404), "commune": (200, 404), "epci": (200, 200),
}
# An organisation's webhooks: its administrators (the structure's, here) and the
# intercommunality (docs/api.md, "Webhooks").
WEBHOOK_OWNERS = {
    "anonymous": (403, 403), "member_a": (200, 404), "member_b": (200, 404),
    "manager": (404, 404), "commune": (404, 404), "epci": (200, 200),
}
# An organisation is seen by its members and the intercommunality.
THE_MEMBERS = {
    "anonymous": (403, 403), "member_a": (200, 404), "member_b": (200, 404),
    "manager": (404, 404), "commune": (404, 404), "epci": (200, 200),
}
# Changed by its administrators (members A and B administer their structures) and the
# intercommunality; its plain members get 403 (tests/api/test_organisations_api.py).
THE_ADMINISTRATORS = THE_MEMBERS

# The owner's payment channel: its administrators and the intercommunality. The commune's staff
# of the world are members, not administrators (the page's rule: organisations_manageable_by).
CHANNEL_SETTERS = {
    "anonymous": (403, 403), "member_a": (404, 404), "member_b": (404, 404),
    "manager": (404, 404), "commune": (404, 404), "epci": (200, 200),
}
TARIFF = {"category": "association", "unit": "day", "amount_cents": 9000}
CHANNEL = {"kind": "public_accounting", "vat_status": "exempt", "finance_department": "Trésor"}

MATRIX: dict[tuple[str, str], Entry] = {
    ("api:commune-list", "GET"): entry(**PUBLIC),
    ("api:me", "GET"): entry(**SIGNED_IN),
    ("api:site-list", "GET"): entry(**PUBLIC),
    ("api:site-detail", "GET"): entry("site", **PUBLIC_DETAIL),
    ("api:space-list", "GET"): entry(**PUBLIC),
    ("api:space-detail", "GET"): entry("space", **PUBLIC_DETAIL),
    ("api:space-occupancy", "GET"): entry("space", query=WINDOW, **PUBLIC_DETAIL),
    # The questions and house rules of a space's request form (issue 16): whoever sees it.
    ("api:space-request-form", "GET"): entry("space", **PUBLIC_DETAIL),
    ("api:availability", "GET"): entry(query=SLOT, **PUBLIC),
    ("api:booking-list", "GET"): entry(**SIGNED_IN),
    ("api:booking-list", "POST"): entry(
        body=_booking_request,
        anonymous=403, member_a=201, member_b=201, manager=201, commune=201, epci=201,
        note="the manager belongs to no organisation: they book on behalf of the structure in "
        "the body, a space of their site (issue 16)",
    ),
    ("api:booking-detail", "GET"): entry("booking", **VISIBLE),
    # Several rooms at once (issue 16): created as a booking is; seen and decided as its
    # bookings are.
    ("api:booking-group-list", "POST"): entry(
        body=_group_request,
        anonymous=403, member_a=201, member_b=201, manager=201, commune=201, epci=201,
        note="as api:booking-list POST: the manager books on behalf of structure A",
    ),
    ("api:booking-group-detail", "GET"): entry("group", **VISIBLE),
    ("api:booking-group-approve", "POST"): entry("group", body=_fixed(REASON), **THE_MANAGERS),
    ("api:booking-group-refuse", "POST"): entry("group", body=_fixed(REASON), **THE_MANAGERS),
    # Cancelled as its bookings are: by its structure and by the site's managers.
    ("api:booking-group-cancel", "POST"): entry("group", body=_fixed(REASON), **VISIBLE),
    ("api:booking-approve", "POST"): entry("booking", body=_fixed(REASON), **THE_MANAGERS),
    ("api:booking-refuse", "POST"): entry("booking", body=_fixed(REASON), **THE_MANAGERS),
    ("api:booking-cancel", "POST"): entry("booking", body=_fixed(REASON), **VISIBLE),
    # Changing a booking (issue 16): its structure and the managers of its space, as a
    # cancellation (attendees only here: the slot stays, so no rule of time applies).
    ("api:booking-reschedule", "POST"): entry("booking", body=_fixed({"attendees": 3}), **VISIBLE),
    # A file attached to a booking (issue 16): whoever sees it; it takes multipart only, so the
    # matrix's JSON body is a 415 for them, after the booking was found (404 for the others).
    ("api:booking-file-create", "POST"): entry(
        "booking",
        body=_fixed({}),
        anonymous=(403, 403), member_a=(415, 404), member_b=(415, 404),
        manager=(415, 404), commune=(415, 404), epci=(415, 415),
    ),
    # Removing a document from a pending request: its structure (the managers see it: 403).
    ("api:booking-file-detail", "DELETE"): entry(
        "booking_file",
        body=_fixed({}),
        anonymous=(403, 403), member_a=(204, 404), member_b=(204, 404),
        manager=(403, 404), commune=(403, 404), epci=(403, 403),
    ),
    # Waiting for a slot (issue 16): one's structures' waits, and the lines of one's spaces.
    ("api:slot-wait-list", "GET"): entry(**SIGNED_IN),
    ("api:slot-wait-list", "POST"): entry(
        body=_slot_wait_join,
        anonymous=403, member_a=400, member_b=201, manager=400, commune=201, epci=201,
        note="structure A holds the slot (400: nothing to wait for); the manager belongs to no "
        "structure and may not wait for structure A (400, as a request for it)",
    ),
    ("api:slot-wait-detail", "GET"): entry("slot_wait", **VISIBLE),
    ("api:slot-wait-accept", "POST"): entry(
        "slot_wait",
        body=_fixed({}),
        anonymous=(403, 403), member_a=(201, 404), member_b=(201, 404),
        manager=(404, 404), commune=(404, 404), epci=(404, 404),
    ),
    ("api:slot-wait-withdraw", "POST"): entry("slot_wait", **THE_STRUCTURES),
    # Check-in at the door (issue 16): the structure's members, and (follow-ups) the site's
    # managers recording the structure's arrival; the world's booking is pending on a space
    # asking for no check-in, so those who may are a 409 (tests/api/test_check_in_api.py has
    # the 200s).
    ("api:booking-check-in", "POST"): entry(
        "booking",
        body=_fixed({}),
        anonymous=(403, 403), member_a=(409, 404), member_b=(409, 404),
        manager=(409, 404), commune=(409, 404), epci=(409, 409),
    ),
    # Cancelling a no-show (follow-ups): the site's managers only.
    ("api:booking-no-show-undo", "POST"): entry(
        "booking",
        body=_occurrence,
        anonymous=(403, 403), member_a=(404, 404), member_b=(404, 404),
        manager=(409, 404), commune=(409, 404), epci=(409, 409),
    ),
    # Talking on a request: both sides of the booking, as they see it.
    ("api:booking-comment-list", "GET"): entry("booking", **VISIBLE),
    ("api:booking-comment-list", "POST"): entry(
        "booking",
        body=_fixed({"body": "Pouvons-nous arriver à 17 h 30 ?"}),
        anonymous=(403, 403), member_a=(201, 404), member_b=(201, 404),
        manager=(201, 404), commune=(201, 404), epci=(201, 201),
    ),
    ("api:booking-payment", "POST"): entry(
        "booking", body=_fixed({}),
        **{**THE_STRUCTURES, "member_a": (201, 404), "member_b": (201, 404)},
    ),
    ("api:booking-deposit", "POST"): entry(
        "booking", body=_fixed({}),
        **{**THE_STRUCTURES, "member_a": (400, 404), "member_b": (400, 404)},
        note="400 for the requester: the space asks for no deposit (the permission passed)",
    ),
    ("api:payment-list", "GET"): entry(**SIGNED_IN),
    ("api:payment-detail", "GET"): entry("payment", **VISIBLE),
    ("api:payment-pay", "POST"): entry(
        "payment", body=_fixed({"payment_method": "pm_card_visa"}), **THE_STRUCTURES,
        note="200: the card is already held (nothing sent to Stripe)",
    ),
    ("api:payment-refresh", "POST"): entry("payment", body=_fixed({}), **THE_STRUCTURES),
    ("api:payment-refund", "POST"): entry(
        "payment", body=_fixed(REASON),
        **{**THE_MANAGERS, "manager": (409, 404), "commune": (409, 404), "epci": (409, 409)},
        note="409 for those who may refund: nothing captured yet (nothing sent to Stripe)",
    ),
    ("api:deposit-keep", "POST"): entry(
        "payment", body=_fixed({"amount_cents": 100, **REASON}),
        **{**THE_MANAGERS, "manager": (400, 404), "commune": (400, 404), "epci": (400, 400)},
        note="400 for those who may settle a deposit: this payment is a booking's fee, not a "
        "deposit (a held deposit would be captured at Stripe)",
    ),
    ("api:deposit-release", "POST"): entry(
        "payment", body=_fixed(REASON),
        **{**THE_MANAGERS, "manager": (400, 404), "commune": (400, 404), "epci": (400, 400)},
        note="as deposit-keep",
    ),
    ("api:allocation-list", "GET"): entry(**SIGNED_IN),
    ("api:allocation-list", "POST"): entry(
        body=_allocation_offer,
        anonymous=403, member_a=400, member_b=400, manager=201, commune=201, epci=403,
        note="400 for members: the spaces of the body are not theirs to offer; 403 for the "
        "intercommunality: it manages every building but commits only its own (the owner's "
        "staff and delegated managers commit an owner: docs/decisions.md)",
    ),
    ("api:allocation-detail", "GET"): entry("allocation_offered", **VISIBLE),
    ("api:allocation-accept", "POST"): entry(
        "allocation_offered",
        body=_fixed({"house_rules_accepted": True, "insurance_valid_until": "2028-02-01"}),
        **THE_STRUCTURES,
    ),
    ("api:allocation-decline", "POST"): entry(
        "allocation_offered", body=_fixed(REASON), **THE_STRUCTURES
    ),
    ("api:allocation-sign", "POST"): entry(
        "allocation_accepted", body=_fixed({}), **{**THE_MANAGERS, "epci": (403, 403)},
        note="403 for the intercommunality: it sees the agreement, but commits only its own "
        "buildings (as allocation-list POST)",
    ),
    ("api:allocation-end", "POST"): entry(
        "allocation_signed", body=_fixed(REASON), **{**THE_MANAGERS, "epci": (403, 403)},
        note="as allocation-sign",
    ),
    # Issue 17: shared times of an agreement's rooms.
    ("api:allocation-sharing-windows", "GET"): entry("allocation_signed", **VISIBLE),
    ("api:allocation-sharing-windows", "POST"): entry(
        "allocation_signed", body=_sharing_window,
        anonymous=(403, 403), member_a=(400, 404), member_b=(400, 404), manager=(403, 404),
        commune=(403, 404), epci=(403, 403),
        note="only the occupant's members propose; 400 for them: the world's signed office is "
        "not open to hourly bookings (a room must be, to be shared)",
    ),
    ("api:sharing-window-consent", "POST"): entry(
        "sharing_window", body=_fixed({}),
        anonymous=(403, 403), member_a=(403, 404), member_b=(403, 404), manager=(200, 404),
        commune=(200, 404), epci=(403, 403),
        note="those who commit the owner consent (as allocation-sign); the occupant sees it",
    ),
    ("api:sharing-window-withdraw", "POST"): entry(
        "sharing_window", body=_fixed(REASON),
        anonymous=(403, 403), member_a=(200, 404), member_b=(200, 404), manager=(200, 404),
        commune=(200, 404), epci=(403, 403),
        note="the occupant, or those who commit the owner",
    ),
    ("api:call-list", "GET"): entry(**PUBLIC),
    ("api:call-detail", "GET"): entry("call", **PUBLIC_DETAIL),
    ("api:call-ranking", "GET"): entry(
        "call", **{**THE_MANAGERS, "manager": (404, 404)},
        note="the facilities manager reviews the call but does not run it",
    ),
    ("api:call-declaration", "POST"): entry(
        "call", body=_fixed({"conflict_of_interest": False}),
        anonymous=(403, 403), member_a=(404, 404), member_b=(404, 404), manager=(200, 404),
        commune=(404, 404), epci=(404, 404),
        note="only the call's reviewers (the facilities manager, for side 1's call)",
    ),
    ("api:call-list", "POST"): entry(
        body=_call,
        anonymous=403, member_a=403, member_b=403, manager=403, commune=201, epci=201,
        note="403 for who belongs to no public body (the gate of the New call page)",
    ),
    ("api:call-detail", "PATCH"): entry(
        "call_draft", body=_fixed({"title": "Bureaux et ateliers vacants"}),
        **{**THE_MANAGERS, "manager": (404, 404)},
        note="drafts are run by the commune's staff and the intercommunality; the facilities "
        "manager runs no call",
    ),
    ("api:call-criteria", "GET"): entry("call", **PUBLIC_DETAIL),
    ("api:call-criteria", "POST"): entry(
        "call_draft", body=_fixed({"name": "Coopération", "weight": 10}),
        **{**THE_MANAGERS, "manager": (404, 404), "commune": (201, 404), "epci": (201, 201)},
    ),
    ("api:call-criteria", "PUT"): entry(
        "call_draft", body=_fixed({"criteria": [{"name": "Impact", "weight": 100}]}),
        **{**THE_MANAGERS, "manager": (404, 404)},
    ),
    ("api:criterion-detail", "PATCH"): entry(
        "criterion", body=_fixed({"weight": 50}), **{**THE_MANAGERS, "manager": (404, 404)},
    ),
    ("api:criterion-detail", "DELETE"): entry(
        "criterion", body=_fixed({}),
        **{**THE_MANAGERS, "manager": (404, 404), "commune": (204, 404), "epci": (204, 204)},
    ),
    ("api:call-lots", "GET"): entry("call", **PUBLIC_DETAIL),
    ("api:call-lots", "POST"): entry(
        "call_draft", body=_lot,
        **{**THE_MANAGERS, "manager": (404, 404), "commune": (201, 404), "epci": (201, 201)},
    ),
    ("api:lot-detail", "DELETE"): entry(
        "lot", body=_fixed({}),
        **{**THE_MANAGERS, "manager": (404, 404), "commune": (204, 404), "epci": (204, 204)},
    ),
    ("api:call-publish", "POST"): entry(
        "call_draft", body=_fixed({}), **{**THE_MANAGERS, "manager": (404, 404)},
    ),
    ("api:call-close", "POST"): entry(
        "call", body=_fixed({}), **{**THE_MANAGERS, "manager": (404, 404)},
    ),
    ("api:call-decide", "POST"): entry(
        "call", body=_fixed(DECISION),
        **{**THE_MANAGERS, "manager": (404, 404), "commune": (400, 404), "epci": (400, 400)},
        note="400 for who runs the call: its application is not decided yet (and the call is "
        "still open: tests/api/test_calls_write_api.py closes, decides, then records)",
    ),
    ("api:application-list", "GET"): entry(**SIGNED_IN),
    ("api:application-list", "POST"): entry(
        body=_application,
        anonymous=403, member_a=201, member_b=201, manager=400, commune=400, epci=400,
        note="400 for those without an ESS structure: the one in the body is not theirs",
    ),
    ("api:application-detail", "GET"): entry("application", **VISIBLE),
    ("api:application-detail", "PUT"): entry(
        "application", body=_fixed({"project": "Une recyclerie de quartier."}),
        **{**THE_STRUCTURES, "member_a": (400, 404), "member_b": (400, 404)},
        note="400 for the applicant: the application is submitted and can no longer change",
    ),
    # Talking on an application: its structure and those who decide; not a reviewer who does
    # not decide (the facilities manager reviews side 1's call).
    ("api:application-comment-list", "GET"): entry(
        "application", **{**VISIBLE, "manager": (404, 404)},
        note="404 for a reviewer who does not decide: scoring stays on the file",
    ),
    ("api:application-comment-list", "POST"): entry(
        "application",
        body=_fixed({"body": "Le local est-il accessible ?"}),
        anonymous=(403, 403), member_a=(201, 404), member_b=(201, 404),
        manager=(404, 404), commune=(201, 404), epci=(201, 201),
    ),
    ("api:application-submit", "POST"): entry("application", body=_fixed({}), **THE_STRUCTURES),
    ("api:application-withdraw", "POST"): entry(
        "application", body=_fixed(REASON), **THE_STRUCTURES
    ),
    ("api:application-accept", "POST"): entry(
        "application", body=_accept_lot, **{**THE_MANAGERS, "manager": (404, 404)},
        note="decided by those who run the call (the commune, the intercommunality)",
    ),
    ("api:application-refuse", "POST"): entry(
        "application", body=_fixed(REASON), **{**THE_MANAGERS, "manager": (404, 404)},
    ),
    ("api:application-scores", "POST"): entry(
        "application", body=_scores,
        anonymous=(403, 403), member_a=(404, 404), member_b=(404, 404), manager=(200, 404),
        commune=(404, 404), epci=(404, 404),
        note="only the call's reviewers",
    ),
    ("api:site-list", "POST"): entry(
        body=_site,
        anonymous=403, member_a=403, member_b=403, manager=403, commune=201, epci=201,
        note="403 for who belongs to no public body (structures, a manager without one: "
        "the gate of the New site page)",
    ),
    ("api:site-detail", "PATCH"): entry(
        "site", body=_fixed({"name": "Maison des associations"}), **THE_MANAGERS
    ),
    ("api:space-list", "POST"): entry(
        body=_space,
        anonymous=403, member_a=403, member_b=403, manager=201, commune=201, epci=201,
        note="403 for who manages no site",
    ),
    ("api:space-detail", "PATCH"): entry(
        "space", body=_fixed({"name": "Salle Germinal"}), **THE_MANAGERS
    ),
    ("api:space-opening-hours", "GET"): entry("space", **THE_MANAGERS),
    ("api:space-opening-hours", "PUT"): entry(
        "space", body=_fixed({"windows": []}), **THE_MANAGERS
    ),
    ("api:site-closure-list", "GET"): entry("site", **THE_MANAGERS),
    ("api:site-closure-list", "POST"): entry(
        "site", body=_fixed(CLOSURE),
        **{**THE_MANAGERS, "manager": (201, 404), "commune": (201, 404), "epci": (201, 201)},
    ),
    ("api:site-quota-list", "GET"): entry("site", **THE_MANAGERS),
    # The site has a quota for every structure and space: setting one for the same changes it.
    ("api:site-quota-list", "POST"): entry(
        "site", body=_fixed({"max_hours_per_week": 10}), **THE_MANAGERS
    ),
    ("api:quota-detail", "PUT"): entry("quota", body=_fixed({"max_pending": 2}), **THE_MANAGERS),
    ("api:quota-detail", "DELETE"): entry(
        "quota", body=_fixed({}),
        **{**THE_MANAGERS, "manager": (204, 404), "commune": (204, 404), "epci": (204, 204)},
    ),
    ("api:closure-detail", "DELETE"): entry(
        "closure", body=_fixed({}),
        **{**THE_MANAGERS, "manager": (204, 404), "commune": (204, 404), "epci": (204, 204)},
    ),
    ("api:site-equipment-list", "GET"): entry("site", **PUBLIC_DETAIL),
    ("api:space-equipment-list", "GET"): entry("space", **PUBLIC_DETAIL),
    ("api:site-equipment-list", "POST"): entry(
        "site", body=_fixed({"name": "Tables", "stock": 5}),
        **{**THE_MANAGERS, "manager": (201, 404), "commune": (201, 404), "epci": (201, 201)},
    ),
    ("api:equipment-detail", "PATCH"): entry(
        "equipment", body=_fixed({"stock": 12}), **THE_MANAGERS
    ),
    ("api:site-photo-create", "POST"): entry(
        "site", body=_fixed({}),
        **{**THE_MANAGERS, "manager": (415, 404), "commune": (415, 404), "epci": (415, 415)},
        note="415 for who may add a photo: the matrix sends JSON, the upload is multipart "
        "(tests/api/test_inventory_api.py sends the file); the site is looked up first",
    ),
    ("api:photo-detail", "DELETE"): entry(
        "photo", body=_fixed({}),
        **{**THE_MANAGERS, "manager": (204, 404), "commune": (204, 404), "epci": (204, 204)},
    ),
    ("api:webhook-endpoint-list", "GET"): entry(**SIGNED_IN),
    ("api:webhook-endpoint-list", "POST"): entry(
        body=_webhook_endpoint,
        anonymous=403, member_a=201, member_b=201, manager=400, commune=400, epci=201,
        note="400 on `organisation` for who does not administer the one in the body (the "
        "manager has none; the commune's staff is a member, not an administrator)",
    ),
    ("api:webhook-endpoint-detail", "GET"): entry("webhook", **WEBHOOK_OWNERS),
    ("api:webhook-endpoint-detail", "PATCH"): entry(
        "webhook", body=_fixed({"events": ["booking.confirmed"]}), **WEBHOOK_OWNERS
    ),
    ("api:webhook-endpoint-detail", "DELETE"): entry(
        "webhook", body=_fixed({}),
        **{**WEBHOOK_OWNERS, "member_a": (204, 404), "member_b": (204, 404), "epci": (204, 204)},
    ),
    ("api:webhook-endpoint-rotate-secret", "POST"): entry(
        "webhook", body=_fixed({}), **WEBHOOK_OWNERS
    ),
    ("api:webhook-delivery-list", "GET"): entry("webhook", **WEBHOOK_OWNERS),
    ("api:webhook-delivery-replay", "POST"): entry(
        "webhook_delivery", body=_fixed({}),
        **{**WEBHOOK_OWNERS, "member_a": (201, 404), "member_b": (201, 404), "epci": (201, 201)},
        note="a delivered event: sent again as a new delivery (201)",
    ),
    ("api:calendar-feed-list", "GET"): entry(**SIGNED_IN),
    ("api:calendar-feed-list", "POST"): entry(
        body=_feed,
        anonymous=403, member_a=201, member_b=201, manager=400, commune=201, epci=201,
        note="a feed of the role's organisation; the manager has none (structure A is not "
        "theirs: 400)",
    ),
    ("api:calendar-feed-detail", "DELETE"): entry(
        "feed", body=_fixed({}),
        anonymous=(403, 403), member_a=(204, 404), member_b=(204, 404), manager=(404, 404),
        commune=(404, 404), epci=(404, 404),
        note="a subscription is its creator's alone (member A's on side 1, member B's on side 2)",
    ),
    ("api:invoice-list", "GET"): entry(**SIGNED_IN),
    ("api:invoice-pdf", "GET"): entry("invoice", **VISIBLE),
    ("api:aid-csv", "GET"): entry(
        anonymous=403, member_a=404, member_b=404, manager=404, commune=200, epci=200,
        note="for the staff of a public body (its aid) and the intercommunality (all)",
    ),
    ("api:annex-csv", "GET"): entry(
        "communes", **{**THE_MANAGERS, "manager": (404, 404)},
        note="a commune's staff and the intercommunality (the target is the commune)",
    ),
    ("api:annex-pdf", "POST"): entry(
        "communes", body=_fixed({"year": 2026}),
        **{**THE_MANAGERS, "manager": (404, 404), "commune": (202, 404), "epci": (202, 202)},
        note="202: the PDF is rendered by a job",
    ),
    ("api:certificate-pdf", "GET"): entry(
        "structure", query={"year": 2027},
        **{**VISIBLE, "member_a": (200, 404), "member_b": (200, 404)},
        note="the structure's members, the owner and managers of its agreements, the "
        "intercommunality",
    ),
    ("api:document-detail", "GET"): entry(
        "document",
        anonymous=(403, 403), member_a=(404, 404), member_b=(404, 404), manager=(404, 404),
        commune=(200, 404), epci=(404, 404),
        note="its requester only (each commune's staff asked for its annex)",
    ),
    ("api:document-file", "GET"): entry(
        "document",
        anonymous=(403, 403), member_a=(404, 404), member_b=(404, 404), manager=(404, 404),
        commune=(200, 404), epci=(404, 404),
        note="as document-detail (both documents are ready)",
    ),
    ("api:waiting-list", "GET"): entry(**SIGNED_IN),
    ("api:waiting-list", "POST"): entry(
        body=_waiting_entry,
        anonymous=403, member_a=201, member_b=201, manager=400, commune=400, epci=400,
        note="400 for who acts for no verified structure: the one in the body is not theirs",
    ),
    ("api:waiting-close", "POST"): entry("waiting", body=_fixed({}), **THE_STRUCTURES),
    ("api:waiting-candidates", "GET"): entry(
        anonymous=403, member_a=404, member_b=404, manager=200, commune=200, epci=200,
        note="for who manages premises (404 otherwise, as the page)",
    ),
    ("api:organisation-list", "GET"): entry(**SIGNED_IN),
    ("api:organisation-list", "POST"): entry(
        body=_fixed({"name": "Recyclerie de la gare", "ess_family": "association"}),
        anonymous=403, member_a=201, member_b=201, manager=201, commune=201, epci=201,
        note="anyone signed in registers a structure (the Register a structure page)",
    ),
    ("api:organisation-detail", "GET"): entry("structure", **THE_MEMBERS),
    ("api:organisation-detail", "PATCH"): entry(
        "structure", body=_fixed({"phone": "03 27 00 00 00"}), **THE_ADMINISTRATORS
    ),
    ("api:organisation-member-list", "GET"): entry("structure", **THE_MEMBERS),
    ("api:membership-detail", "PATCH"): entry(
        "membership", body=_fixed({"role": "member"}), **THE_ADMINISTRATORS,
        note="a plain member's membership; 200 for who may change the role (already member)",
    ),
    ("api:membership-detail", "DELETE"): entry(
        "membership", body=_fixed({}),
        **{**THE_ADMINISTRATORS, "member_a": (204, 404), "member_b": (204, 404),
           "epci": (204, 204)},
    ),
    ("api:organisation-invitation-list", "GET"): entry("structure", **THE_ADMINISTRATORS),
    ("api:organisation-invitation-list", "POST"): entry(
        "structure", body=_fixed({"email": "invitee@example.test"}),
        **{**THE_ADMINISTRATORS, "member_a": (201, 404), "member_b": (201, 404),
           "epci": (201, 201)},
    ),
    ("api:invitation-detail", "DELETE"): entry(
        "invitation", body=_fixed({}),
        **{**THE_ADMINISTRATORS, "member_a": (204, 404), "member_b": (204, 404),
           "epci": (204, 204)},
    ),
    ("api:organisation-document-list", "GET"): entry("structure", **THE_MEMBERS),
    ("api:organisation-document-list", "POST"): entry(
        "structure", body=_fixed({}),
        **{**THE_ADMINISTRATORS, "member_a": (415, 404), "member_b": (415, 404),
           "epci": (415, 415)},
        note="415 for who may add a document: the matrix sends JSON, the upload is multipart "
        "(tests/api/test_organisations_api.py sends the file); the organisation is looked up "
        "first",
    ),
    ("api:organisation-document-detail", "DELETE"): entry(
        "organisation_document", body=_fixed({}),
        **{**THE_ADMINISTRATORS, "member_a": (204, 404), "member_b": (204, 404),
           "epci": (204, 204)},
    ),
    ("api:space-tariffs", "GET"): entry("space", **THE_MANAGERS),
    ("api:space-tariffs", "PUT"): entry(
        "space", body=_fixed({"tariffs": [TARIFF]}), **THE_MANAGERS
    ),
    ("api:space-tariffs", "PATCH"): entry(
        "space", body=_fixed({"tariffs": [TARIFF]}), **THE_MANAGERS
    ),
    ("api:space-tariffs", "DELETE"): entry(
        "space", body=_fixed({}),
        **{**THE_MANAGERS, "manager": (204, 404), "commune": (204, 404), "epci": (204, 204)},
    ),
    ("api:space-deposit", "GET"): entry("space", **THE_MANAGERS),
    ("api:space-deposit", "PUT"): entry(
        "space", body=_fixed({"deposit_cents": 5000}), **THE_MANAGERS
    ),
    ("api:payment-channel-list", "GET"): entry(
        **SIGNED_IN, note="a page of the organisations one may set up: empty for most roles",
    ),
    ("api:organisation-payment-channel", "GET"): entry("owner", **CHANNEL_SETTERS),
    ("api:organisation-payment-channel", "PUT"): entry(
        "owner", body=_fixed(CHANNEL), **CHANNEL_SETTERS,
        note="200, not 201: each owner already has its card channel",
    ),
    ("api:organisation-payment-channel", "PATCH"): entry(
        "owner", body=_fixed({"pay_within_hours": 24}), **CHANNEL_SETTERS
    ),
    ("api:organisation-payment-channel-activation", "POST"): entry(
        "owner", body=_fixed({"active": False}), **CHANNEL_SETTERS
    ),
    # The season (issue 17). An opened campaign is public (its rules are); a draft is seen by
    # those who run it. Who sees a campaign but does not run it gets 403 on its changes.
    ("api:season-campaign-list", "GET"): entry(**PUBLIC),
    ("api:season-campaign-list", "POST"): entry(
        body=_season_campaign,
        anonymous=403, member_a=403, member_b=403, manager=403, commune=201, epci=201,
        note="403 for who belongs to no public body (as api:call-list POST)",
    ),
    ("api:season-campaign-detail", "GET"): entry("season_campaign", **PUBLIC_DETAIL),
    ("api:season-campaign-open", "POST"): entry(
        "season_draft", body=_fixed({}), **{**THE_MANAGERS, "manager": (404, 404)},
        note="a draft: those who run it alone see it",
    ),
    ("api:season-campaign-close", "POST"): entry(
        "season_campaign", body=_fixed({}),
        anonymous=(403, 403), member_a=(403, 403), member_b=(403, 403), manager=(403, 403),
        commune=(200, 403), epci=(200, 200),
        note="an open campaign is public: who does not run it sees it (403)",
    ),
    ("api:season-campaign-plan", "GET"): entry(
        "season_planned", **{**THE_MANAGERS, "manager": (404, 404)},
        note="before publication the plan is its managers' (404 for the others)",
    ),
    ("api:season-campaign-plan", "POST"): entry(
        "season_planned", body=_fixed({}),
        anonymous=(403, 403), member_a=(403, 403), member_b=(403, 403), manager=(403, 403),
        commune=(201, 403), epci=(201, 201),
        note="a proposed plan is made again (a new run); who sees the campaign but does not "
        "run it: 403",
    ),
    ("api:season-campaign-renew", "POST"): entry(
        "season_campaign", body=_season_renew,
        anonymous=(403, 403), member_a=(200, 200), member_b=(200, 200), manager=(400, 400),
        commune=(400, 400), epci=(400, 400),
        note="any open campaign, for one's verified structure (nothing held last year: an "
        "empty list); 400 for who names no structure of theirs",
    ),
    # Arbitration (the proposed plan: its managers alone see it), the committee's decision,
    # publication, and giving a published slot back (its structure, or who runs the campaign).
    ("api:season-assignment-move", "POST"): entry(
        "season_assignment", body=_season_move, **{**THE_MANAGERS, "manager": (404, 404)},
        note="moved where it is: 200, nothing changes",
    ),
    ("api:season-assignment-swap", "POST"): entry(
        body=_season_swap,
        anonymous=403, member_a=400, member_b=400, manager=400, commune=200, epci=200,
        note="side 1's two placed wishes; 400 on `first` and `second` for who may not name them",
    ),
    ("api:season-campaign-decide", "POST"): entry(
        "season_planned", body=_fixed(SEASON_DECISION),
        anonymous=(403, 403), member_a=(403, 403), member_b=(403, 403), manager=(403, 403),
        commune=(200, 403), epci=(200, 200),
    ),
    ("api:season-campaign-publish", "POST"): entry(
        "season_published", body=_fixed({}),
        anonymous=(403, 403), member_a=(403, 403), member_b=(403, 403), manager=(403, 403),
        commune=(200, 403), epci=(200, 200),
        note="published already: 200, nothing written again",
    ),
    ("api:season-assignment-give-back", "POST"): entry(
        "season_published_assignment", body=_fixed(GIVE_BACK),
        **{**VISIBLE, "manager": (404, 404)},
        note="its structure's members and those who run the campaign",
    ),
    ("api:season-wish-list", "GET"): entry(**SIGNED_IN),
    ("api:season-wish-list", "POST"): entry(
        body=_season_wish,
        anonymous=403, member_a=201, member_b=201, manager=400, commune=400, epci=400,
        note="400 for those without an ESS structure: the one in the body is not theirs",
    ),
    ("api:season-wish-detail", "GET"): entry(
        "season_wish", **{**VISIBLE, "manager": (404, 404)},
        note="its structure and those who run its campaign",
    ),
    ("api:season-wish-withdraw", "POST"): entry(
        "season_wish", body=_fixed({}),
        **{**THE_STRUCTURES, "commune": (403, 404), "epci": (403, 403)},
        note="its structure's members; those who run the campaign see it (403)",
    ),
}
# fmt: on


# --- The world --------------------------------------------------------------------------------


class World:
    """Two sides of one territory (module docstring); `x[1]`, `x[2]`: side 1's and side 2's."""

    def __init__(self) -> None:
        epci = EpciFactory(name="Communauté d'agglomération de la Porte du Hainaut")
        self.users = {"anonymous": None}
        self.users["epci"] = MembershipFactory(
            organisation=epci, user=UserFactory(email="epci@example.test")
        ).user
        communes = {
            1: CommuneFactory(insee_code="59172", name="Denain", epci=epci),
            2: CommuneFactory(insee_code="59526", name="Saint-Amand-les-Eaux", epci=epci),
        }
        staff = {
            n: MembershipFactory(
                organisation=communes[n].organisation,
                user=UserFactory(email=f"staff{n}@example.test"),
                role=MembershipRole.MEMBER,
            ).user
            for n in (1, 2)
        }
        self.communes = communes
        self.users["commune"] = staff[1]
        self.site = site = {n: SiteFactory(commune=communes[n], name=f"Site {n}") for n in (1, 2)}
        self.users["manager"] = UserFactory(email="manager@example.test")
        site[1].managers.add(self.users["manager"], through_defaults={"may_commit_owner": True})
        self.structure = {
            n: VerifiedStructureFactory(name=f"Structure {'AB'[n - 1]}") for n in (1, 2)
        }
        for n, role in ((1, "member_a"), (2, "member_b")):
            self.users[role] = MembershipFactory(
                organisation=self.structure[n], user=UserFactory(email=f"{role}@example.test")
            ).user
        self.space = {n: SpaceFactory(site=site[n], name=f"Salle {n}") for n in (1, 2)}

        def office(n: int, name: str):
            return SpaceFactory(
                site=site[n],
                name=f"Bureau {name} {n}",
                kind=SpaceKind.OFFICE,
                allocatable=True,
                bookable=False,
            )

        self.free_office = office(1, "libre")
        self.closure = {
            n: closure_create(
                actor=self.users["epci"],
                site=site[n],
                period=Period(paris(2027, 3, 1, 0), paris(2027, 3, 2, 0)),
                reason="Fermeture annuelle",
            )
            for n in (1, 2)
        }
        self.photo = {n: PhotoFactory(site=site[n]) for n in (1, 2)}
        self.equipment = {
            n: Equipment.objects.create(site=site[n], name="Chaises", stock=10) for n in (1, 2)
        }
        # A quota that limits nothing the matrix asks for (a month's every hour).
        self.quota = {
            n: BookingQuota.objects.create(site=site[n], max_hours_per_month=744) for n in (1, 2)
        }
        # A plain member of each structure (its administrator is member A or B), an invitation
        # not yet accepted, a supporting document.
        self.membership = {
            n: MembershipFactory(
                organisation=self.structure[n],
                user=UserFactory(email=f"colleague{n}@example.test"),
                role=MembershipRole.MEMBER,
            )
            for n in (1, 2)
        }
        self.invitation = {
            n: Invitation.objects.create(
                organisation=self.structure[n],
                email=f"invited{n}@example.test",
                invited_by=self.users[role],
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }
        self.organisation_document = {
            n: OrganisationDocumentFactory(
                organisation=self.structure[n], uploaded_by=self.users[role]
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }
        self.owner = {n: site[n].owner for n in (1, 2)}  # whose payment channel is set up
        _token, self.token_secret = api_token_create(
            actor=self.users[TOKEN_HOLDER],
            name="Site de la structure",
            scope=ApiTokenScope.READ,
            expires_at=timezone.now() + timedelta(days=30),
        )
        self.users[TOKEN_ROLE] = self.users[TOKEN_HOLDER]  # whom bodies name: its holder
        # Bookings, priced and collected by card: their payments (held on the card: paying
        # again, refreshing or refunding them reaches no Stripe server).
        for n in (1, 2):
            tariff_set(
                space=self.space[n],
                category=OrganisationCategory.ASSOCIATION,
                unit=TariffUnit.HOUR,
                amount_cents=1500,
                actor=self.users["epci"],
            )
            PaymentChannel.objects.create(
                owner=site[n].owner,
                kind=ChannelKind.STRIPE,
                stripe_publishable_key="pk_test_locaux_communs",
                stripe_secret_key="sk_test_locaux_communs",
                stripe_webhook_secret="whsec_test_locaux_communs",
            )
        self.booking = {
            n: booking_request_for(
                space=self.space[n],
                requested_by=self.users[role],
                start=paris(2027, 1, 12, 9),
                end=paris(2027, 1, 12, 10),
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }
        self.booking_file = {
            n: booking_file_attach(
                booking=self.booking[n],
                actor=self.booking[n].requested_by,
                upload=SimpleUploadedFile("attestation.pdf", PDF_BYTES, "application/pdf"),
            )
            for n in (1, 2)
        }
        # Waiting for a slot (issue 16): each structure is offered a freed slot of its side.
        self.slot_wait = {
            n: SlotWait.objects.create(
                space=self.space[n],
                organisation=self.structure[n],
                requested_by=self.users[role],
                start=paris(2027, 1, 19, 18),
                end=paris(2027, 1, 19, 20),
                purpose="Assemblée générale",
                attendees=10,
                status=SlotWaitStatus.OFFERED,
                offered_until=paris(2027, 1, 15, 9),
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }
        # Several rooms at once (issue 16): each structure's room and an annexe, together.
        self.annexe = {n: SpaceFactory(site=site[n], name=f"Annexe {n}") for n in (1, 2)}
        self.group = {
            n: booking_request_several(
                request=BookingRequest(
                    space=self.space[n],
                    organisation=self.structure[n],
                    purpose="Forum",
                    attendees=10,
                    first=Period(paris(2027, 1, 14, 9), paris(2027, 1, 14, 10)),
                ),
                spaces=[self.space[n].pk, self.annexe[n].pk],
                requested_by=self.users[role],
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }
        self.payment = {
            n: booking_payment_open(booking=self.booking[n], actor=self.booking[n].requested_by)
            for n in (1, 2)
        }
        Payment.objects.filter(pk__in=[p.pk for p in self.payment.values()]).update(
            status=PaymentStatus.AUTHORISED
        )
        # Agreements: offered, accepted, signed (an office each).
        self.allocation_offered, self.allocation_accepted, self.allocation_signed = {}, {}, {}
        from bookings.allocations import allocation_accept, allocation_offer

        for n, role in ((1, "member_a"), (2, "member_b")):
            terms = {
                "actor": staff[n],
                "structure": self.structure[n],
                "start": date(2027, 2, 1),
                "end": date(2028, 2, 1),
                "free_use_basis": "L2125-1",
                "direct_reason": "Occupation consentie sans appel (test).",
            }
            self.allocation_offered[n] = allocation_offer(spaces=[office(n, "offert")], **terms)
            self.allocation_accepted[n] = allocation_offer(spaces=[office(n, "accepté")], **terms)
            allocation_accept(
                allocation=self.allocation_accepted[n],
                actor=self.users[role],
                house_rules_accepted=True,
                insurance_valid_until=date(2028, 2, 1),
            )
            self.allocation_signed[n] = agreement_signed(
                actor=self.users[role],
                structure=self.structure[n],
                spaces=[office(n, "signé")],
                start=date(2027, 2, 1),
                end=date(2028, 2, 1),
            )
        # Issue 17: a shared time proposed by each signed agreement's occupant.
        from bookings.models import SharingWindow

        self.sharing_window = {
            n: SharingWindow.objects.create(
                allocation=self.allocation_signed[n],
                space=self.allocation_signed[n].spaces.get(),
                weekday=1,
                start_time=time(18),
                end_time=time(22),
                valid_from=date(2027, 2, 2),
                valid_until=date(2027, 6, 29),
                occupant_share_percent=70,
                proposed_by=self.users[role],
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }
        # Calls: published by each commune, an application of each side's structure; the
        # facilities manager reviews side 1's call (declared without conflict of interest).
        self.call, self.application = {}, {}
        for n, role in ((1, "member_a"), (2, "member_b")):
            call = draft_call(
                actor=staff[n],
                owner=communes[n].organisation,
                spaces=[office(n, "appel")],
                title=f"Appel {n}",
            )
            calls_services.call_publish(call=call, actor=staff[n])
            call.refresh_from_db()
            self.call[n] = call
            self.application[n] = submitted(
                call=call, structure=self.structure[n], actor=self.users[role]
            )
        # Webhooks: one of each structure, with a delivered event (a replay sends nothing:
        # the test's transaction never commits).
        self.webhook, self.webhook_delivery = {}, {}
        for n, role in ((1, "member_a"), (2, "member_b")):
            self.webhook[n] = endpoint_create(
                actor=self.users[role],
                organisation=self.structure[n],
                url=f"https://93.184.216.34/hooks/{n}",
                events=["booking.requested"],
            )
            (delivery,) = events_record(
                event=Event(
                    type="booking.requested",
                    created=timezone.now(),
                    audience=frozenset({self.structure[n].pk}),
                    public=False,
                    data={"object": "booking", "id": self.booking[n].pk},
                ),
                routes=[Route(self.webhook[n].pk, self.structure[n].pk, False, frozenset())],
            )
            WebhookDelivery.objects.filter(pk=delivery).update(
                status=DeliveryStatus.DELIVERED, attempts=1, response_status=200
            )
            self.webhook_delivery[n] = WebhookDelivery.objects.get(pk=delivery)
        # A draft call of each commune, two lots and two criteria (the grid can still change),
        # and a vacant office of each side that is none of its lots.
        self.call_draft = {
            n: draft_call(
                actor=staff[n],
                owner=communes[n].organisation,
                spaces=[office(n, "lot A"), office(n, "lot B")],
                title=f"Brouillon {n}",
            )
            for n in (1, 2)
        }
        self.criterion = {n: self.call_draft[n].criteria.first() for n in (1, 2)}
        self.lot = {n: self.call_draft[n].lots.first() for n in (1, 2)}
        self.spare_office = {n: office(n, "en réserve") for n in (1, 2)}
        assignment = calls_services.reviewer_assign(
            call=self.call[1], reviewer=self.users["manager"], actor=staff[1]
        )
        calls_services.reviewer_declare(
            assignment=assignment, conflict_of_interest=False, actor=self.users["manager"]
        )

        # Calendar subscriptions of each side's member; an invoice of a collected payment on
        # each side; each commune's staff asked for its budget annex as a PDF (ready).
        self.feed = {
            n: calendar_feed_create(
                user=self.users[role], scope="organisation", target=self.structure[n]
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }
        self.invoice = {}
        for n, role in ((1, "member_a"), (2, "member_b")):
            booking = booking_request_for(
                space=self.space[n],
                requested_by=self.users[role],
                start=paris(2027, 1, 13, 9),
                end=paris(2027, 1, 13, 10),
            )
            payment = Payment.objects.create(
                booking=booking,
                owner=site[n].owner,
                amount_cents=1500,
                captured_cents=1500,
                status=PaymentStatus.CAPTURED,
                hold_first=False,
            )
            self.invoice[n] = invoice_issue_for_payment(payment=payment)
        self.document = {}
        for n in (1, 2):
            document = GeneratedDocument.objects.create(
                requested_by=staff[n], kind=DocumentKind.ANNEX, commune=communes[n], year=2026
            )
            document.file.save("annexe.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
            document.status = DocumentStatus.READY
            document.save()
            self.document[n] = document
        self.waiting = {
            n: waiting_entry_register(
                actor=self.users[role], structure=self.structure[n], kind="office"
            )
            for n, role in ((1, "member_a"), (2, "member_b"))
        }

        # The season (issue 17): each commune's campaign over its room, open with a wish of its
        # side's structure; a draft; one closed and planned with a wish.
        self.season_campaign, self.season_draft, self.season_planned = {}, {}, {}
        self.season_wish, self.season_published = {}, {}
        self.season_assignment, self.season_assignment_other = {}, {}
        self.season_published_assignment = {}
        for n, role in ((1, "member_a"), (2, "member_b")):

            def season(title: str, n: int = n, spaces: list | None = None):
                return season_services.campaign_create(
                    actor=staff[n],
                    owner=communes[n].organisation,
                    terms=season_services.CampaignTerms(
                        title=title,
                        school_year=2027,
                        opens_on=date(2027, 1, 4),
                        deadline=paris(2027, 3, 31, 12),
                        spaces=spaces or [self.space[n]],
                    ),
                )

            def wish(campaign, n: int = n, role: str = role, rank: int = 1, space=None):
                return season_services.wish_submit(
                    actor=self.users[role],
                    campaign=campaign,
                    structure=self.structure[n],
                    rank=rank,
                    attendees=10,
                    purpose="Entraînement",
                    activity="sport",
                    period="year",
                    options=[
                        season_services.OptionInput(
                            weekday=1, start=time(18), end=time(20), space=space or self.space[n]
                        )
                    ],
                )

            self.season_draft[n] = season(f"Brouillon de saison {n}")
            self.season_campaign[n] = season(f"Saison {n}")
            season_services.campaign_open(campaign=self.season_campaign[n], actor=staff[n])
            self.season_wish[n] = wish(self.season_campaign[n])
            # Planned: two wishes of the structure, Tuesdays 18:00–20:00, one in its room,
            # the other in the annexe (both met: they may exchange their rooms).
            self.season_planned[n] = planned = season(
                f"Saison planifiée {n}", spaces=[self.space[n], self.annexe[n]]
            )
            season_services.campaign_open(campaign=planned, actor=staff[n])
            first = wish(planned)
            second = wish(planned, rank=2, space=self.annexe[n])
            season_services.campaign_close(campaign=planned, actor=staff[n])
            run = season_services.plan_run(campaign=planned, actor=staff[n])
            self.season_assignment[n] = run.assignments.get(wish=first)
            self.season_assignment_other[n] = run.assignments.get(wish=second)
            # Published (decided, then its series written): a slot its structure may give back.
            self.season_published[n] = published = season(f"Saison publiée {n}")
            season_services.campaign_open(campaign=published, actor=staff[n])
            kept = wish(published)
            season_services.campaign_close(campaign=published, actor=staff[n])
            run = season_services.plan_run(campaign=published, actor=staff[n])
            season_services.campaign_decide(
                campaign=published,
                actor=staff[n],
                decided_on=date(2027, 1, 4),
                deliberation_reference=f"DEL-{n}",
            )
            season_services.campaign_publish(campaign=published, actor=staff[n])
            self.season_published_assignment[n] = run.assignments.get(wish=kept)

    def organisation_of(self, role: str):
        """The organisation a role acts for in a body (structure A when it has none)."""
        user = self.users[role]
        membership = user.memberships.first() if user else None
        return membership.organisation if membership else self.structure[1]

    def target(self, name: str, side: int):
        return getattr(self, name)[side]


@pytest.fixture
def world(db) -> World:
    return World()


# --- Routes of the URLconf --------------------------------------------------------------------

METHODS = ("get", "post", "put", "patch", "delete")


def api_routes() -> dict[tuple[str, str], str]:
    """`(url name, METHOD) → route` for every named route under `api:` and each method its
    view answers (HEAD and OPTIONS follow GET and the view: not listed)."""
    (api,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    ]
    routes = {}
    for pattern in api.url_patterns:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue  # the catch-all JSON 404
        view = getattr(pattern.callback, "view_class", None)
        # A function view is the Stripe webhook (require_POST).
        methods = [m.upper() for m in METHODS if hasattr(view, m)] if view else ["POST"]
        for method in methods:
            routes[(f"api:{pattern.name}", method)] = str(pattern.pattern)
    return routes


def _template(key: tuple[str, str], route: str) -> str:
    detail = "<int:pk>" in route
    status = "(___, ___)" if detail else "___"
    roles = ", ".join(f"{role}={status}" for role in ROLES)
    target = '"<world attribute>", ' if detail else ""
    body = "body=<builder>, " if key[1] != "GET" else ""
    return f"    {key!r}: entry({target}{body}{roles}),"


def test_every_api_route_has_an_entry():
    routes = api_routes()
    listed = set(MATRIX) | set(EXCLUDED)
    missing = sorted(set(routes) - listed)
    gone = sorted(listed - set(routes))

    problems = []
    if missing:
        problems.append(
            "New endpoints without an entry in MATRIX (tests/api/test_authorisation_matrix.py)"
            " — fill in the statuses (detail routes: (own object, another's)) and paste:\n"
            + "\n".join(_template(key, routes[key]) for key in missing)
        )
    if gone:
        problems.append(
            "Entries for routes that no longer exist (remove them): " + ", ".join(map(repr, gone))
        )
    assert not problems, "\n\n".join(problems)


# --- The requests -----------------------------------------------------------------------------


def _sign_in(client, world: World, role: str) -> None:
    client.logout()
    client.defaults.pop("HTTP_AUTHORIZATION", None)
    if role == TOKEN_ROLE:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.token_secret}"
    elif world.users[role] is not None:
        client.force_login(world.users[role])


def expected(item: Entry, method: str, role: str):
    return item.expect[role] if role in ROLES else token_expectation(item, method)


def _status(client, method: str, url: str, *, body=None, query=None) -> int:
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, query or {})
        else:
            response = client.generic(
                method, url, json.dumps(body if body is not None else {}), "application/json"
            )
        transaction.set_rollback(True)
    response_bytes(response)  # a stored file streams: read to its end, the file is closed
    if response.status_code >= 400:  # the error shapes of docs/api.md, in French by default
        error = response.json()
        assert isinstance(error, dict), (method, url, error)
        assert response["Content-Language"] == "fr", (method, url, response["Content-Language"])
        if response.status_code in (403, 404):
            assert error.keys() == {"detail"}, (method, url, error)
        if response.status_code in (402, 403, 404, 409):
            assert isinstance(error["detail"], str), (method, url, error)
            assert error["detail"], (method, url)
    return response.status_code


def _url(name: str, item: Entry, world: World, side: int | None) -> str:
    if item.target is None:
        return reverse(name)
    return reverse(name, args=[world.target(item.target, side).pk])


def _body(item: Entry, world: World, role: str, side: int | None):
    if item.body is None:
        return None
    target = world.target(item.target, side) if item.target else None
    return item.body(world, role, target)


def observed(client, world: World, key: tuple[str, str], item: Entry, role: str):
    name, method = key
    if item.target is None:
        url, body = _url(name, item, world, None), _body(item, world, role, None)
        return _status(client, method, url, body=body, query=item.query)
    own = SIDE[role]
    return tuple(
        _status(
            client,
            method,
            _url(name, item, world, side),
            body=_body(item, world, role, side),
            query=item.query,
        )
        for side in (own, 3 - own)
    )


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda key: f"{key[1]} {key[0]}")
def test_each_role_gets_its_status(key, world, client):
    item = MATRIX[key]
    wrong = {}
    for role in (*ROLES, TOKEN_ROLE):
        _sign_in(client, world, role)
        got = observed(client, world, key, item, role)
        if got != expected(item, key[1], role):
            wrong[role] = f"expected {expected(item, key[1], role)}, got {got}"
    assert not wrong, f"{key}: " + "; ".join(f"{role}: {why}" for role, why in wrong.items())


UNSAFE_DETAIL = sorted(key for key, item in MATRIX.items() if key[1] != "GET" and item.target)


@pytest.mark.parametrize("key", UNSAFE_DETAIL, ids=lambda key: f"{key[1]} {key[0]}")
def test_an_outsider_gets_404_before_the_body_is_read(key, world, client):
    """A body that no serializer accepts (a JSON array) changes nothing to a 404."""
    name, method = key
    item = MATRIX[key]
    for role in ROLES:
        for which, side in (("own", SIDE[role]), ("other", 3 - SIDE[role])):
            if item.expect[role][which == "other"] != 404:
                continue
            _sign_in(client, world, role)
            url = _url(name, item, world, side)
            with transaction.atomic():
                response = client.generic(method, url, "[]", "application/json")
                transaction.set_rollback(True)
            assert response.status_code == 404, (role, which, response.status_code)
