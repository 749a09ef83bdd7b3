"""The demo territory loader: idempotent, refused outside demo mode, usable accounts."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from accounts.models import Membership, Organisation, User
from bookings.models import (
    Booking,
    BookingComment,
    BookingGroup,
    BookingLog,
    Closure,
    Equipment,
    EquipmentUse,
    Occupancy,
    SlotWait,
)
from bookings.selectors import booking_routing, local_zone
from portal import demo
from seasons.models import Campaign, CampaignStatus, PlanRun, Wish
from spaces.models import (
    Amenity,
    Commune,
    EpciMembership,
    OpeningHours,
    Photo,
    PostalCode,
    Site,
    Space,
)
from spaces.selectors import SiteRole, communes_in_territory, sites_manageable_by

SEEDED_MODELS = [
    Organisation,
    User,
    Membership,
    PostalCode,
    Commune,
    EpciMembership,
    Amenity,
    Site,
    Space,
    Photo,
    OpeningHours,
    Closure,
    Booking,
    BookingLog,
    Occupancy,
    Equipment,
    EquipmentUse,
    BookingComment,
    SlotWait,
    BookingGroup,
    Wish,
    PlanRun,
]
DEMO_EMAILS = [email for email, *_ in demo.USERS]


def seed_demo() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def primary_keys() -> dict[str, list]:
    return {
        model._meta.label: sorted(model.objects.values_list("pk", flat=True))
        for model in SEEDED_MODELS
    }


@pytest.fixture
def demo_mode(db, settings):
    settings.DEMO_MODE = True


@pytest.fixture(scope="module")
def _demo_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for the module (a season's HiGHS solve and some 40 accounts: seconds
    each time), committed; emptied after the module. Its tests only read it, each in a
    transaction rolled back after it (`seeded`); a test that loads it again ("twice") does so
    in that transaction. The settings are those of every test (tests/conftest.py): demo mode,
    media in a temporary directory, the fast password hasher."""
    media = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(
            DEMO_MODE=True,
            MEDIA_ROOT=media / "media",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),  # one commit, not one per row
    ):
        seed_demo()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def seeded(_demo_database, db):
    """The module's demo database (`_demo_database`), read in the test's transaction."""


def test_seed_demo_loads_the_demo_territory(seeded):

    assert (
        Commune.objects.count(),
        Site.objects.count(),
        Space.objects.count(),
        User.objects.count(),
    ) == (47, 8, 30, 9 + len(demo.SEASON_STRUCTURES))  # a member per season structure


def test_seed_demo_puts_all_47_communes_in_the_territory_today(seeded):

    assert communes_in_territory().count() == 47


def test_seed_demo_has_denains_season_with_30_structures_wishes_and_a_plan(seeded):

    campaign = Campaign.objects.get(title=demo.SEASON["title"])
    run = campaign.plan_runs.get()
    assert campaign.status == CampaignStatus.PLANNED
    assert campaign.wishes.values("structure").distinct().count() == 30
    assert run.assignments.count() == campaign.wishes.count() > run.met_count > 0
    assert all(a.explanation for a in run.assignments.all())


def test_seed_demo_twice_keeps_the_same_rows(seeded, demo_mode):
    first = primary_keys()

    seed_demo()  # the second time: the module seeded it once

    assert primary_keys() == first


@pytest.mark.parametrize("email", DEMO_EMAILS)
def test_seed_demo_accounts_sign_in_with_the_demo_password(seeded, client, email):

    response = client.post(reverse("accounts:login"), {"username": email, "password": "demo"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


def test_seed_demo_marks_the_denain_sites_as_demo_data(seeded):

    denain = Site.objects.filter(commune__name="Denain")
    assert denain.exists()
    assert all(site.is_demo for site in denain)


def test_seed_demo_structure_of_asso_is_verified(seeded):

    structure = Organisation.objects.get(memberships__user__email="asso@demo.test")
    assert structure.is_verified
    assert structure.verified_by.email == "admin@demo.test"


def test_seed_demo_leaves_the_repair_cafe_unverified(seeded):

    assert not Organisation.objects.get(name="Repair Café de Raismes (démo)").is_verified


def test_seed_demo_adds_photos_through_the_upload_path(seeded):

    photos = Photo.objects.all()
    assert photos.count() == 3
    assert all(photo.image.name.endswith(".png") and photo.alt_text for photo in photos)


# Who a request on each demo site goes to: its facilities manager, else the staff of the
# commune that owns it, else (the intercommunality's own buildings) the intercommunality's people.
DEMO_ROUTING = {
    "Les Grands Bureaux — pôle ESS (démo)": (
        SiteRole.FACILITIES_MANAGER,
        ["gestionnaire@demo.test"],
    ),
    "Salle des fêtes Jean-Jaurès (démo)": (SiteRole.OWNER_STAFF, ["commune@demo.test"]),
    "Maison des associations (démo)": (SiteRole.OWNER_STAFF, ["mairie-saint-amand@demo.test"]),
    "Site minier d'Arenberg — salles (démo)": (SiteRole.OWNER_STAFF, ["admin@demo.test"]),
    "Centre social municipal (démo)": (SiteRole.OWNER_STAFF, ["mairie-raismes@demo.test"]),
    "Ancienne école Paul-Bert (démo)": (SiteRole.OWNER_STAFF, ["mairie-douchy@demo.test"]),
    "Salle polyvalente Louise-Michel (démo)": (
        SiteRole.OWNER_STAFF,
        ["mairie-escaudain@demo.test"],
    ),
    "Pépinière d'activités (démo)": (SiteRole.OWNER_STAFF, ["admin@demo.test"]),
}


def test_seed_demo_routes_a_request_on_each_site_to_someone_who_can_decide(seeded):
    structure = Organisation.objects.get(memberships__user__email="asso@demo.test")

    routed = {}
    for site in Site.objects.all():
        request = Booking(space=site.spaces.first(), organisation=structure)
        routing = booking_routing(request)
        routed[site.name] = (routing.tier, [person.email for person in routing.deciders])
        for person in routing.deciders:
            assert sites_manageable_by(person).contains(site), (site.name, person.email)

    assert routed == DEMO_ROUTING


def test_seed_demo_lends_equipment_and_one_booking_takes_some(seeded):

    booking = Booking.objects.get(purpose="Forum des bénévoles (démo)")
    assert sorted(booking.equipment_uses.values_list("equipment__name", "quantity")) == [
        ("Chaises pliantes", 30),
        ("Tables", 6),
        ("Vidéoprojecteur", 1),
    ]


def test_seed_demo_shows_a_booking_moved_by_the_manager_with_its_history(seeded):

    _email, _space, purpose, manager, reason = demo.MOVED_BOOKING
    booking = Booking.objects.get(purpose=purpose)
    moved = booking.log.exclude(change={}).get()
    assert (moved.actor.email, moved.reason) == (manager, reason)
    assert booking.start.astimezone(local_zone()).hour == 9
    assert len(moved.change_lines()) == 1  # the time; the room stays


def test_seed_demo_shows_a_conversation_on_a_pending_request(seeded):

    booking = Booking.objects.get(purpose=demo.CONVERSATION_ON)
    assert booking.status == "pending"
    assert [(c.author.email, c.side) for c in booking.comments.order_by("pk")] == [
        ("asso@demo.test", "requester"),
        ("gestionnaire@demo.test", "manager"),
        ("asso@demo.test", "requester"),
    ]


def test_seed_demo_shows_a_conversation_on_an_application_once(seeded, demo_mode):
    """Issue 16: the intercommunality, which runs the call, asks; the applicant answers."""
    from calls.models import ApplicationComment

    seed_demo()  # the second time: the module seeded it once

    comments = ApplicationComment.objects.filter(
        application__call__title=demo.CALL["title"]
    ).order_by("pk")
    assert [(c.author.email, c.side) for c in comments] == [
        ("admin@demo.test", "manager"),
        ("asso@demo.test", "requester"),
    ]


def test_seed_demo_books_once_on_behalf_of_a_structure_under_a_quota(seeded, demo_mode):
    """Issue 16: the town hall's booking for the insertion workshop, and the hall's quota."""
    from bookings.models import BookingQuota, BookingStatus

    seed_demo()  # the second time: the module seeded it once

    booking = Booking.objects.get(purpose=demo.BEHALF_PURPOSE)
    assert booking.on_behalf
    assert booking.requested_by.email == demo.BEHALF_AGENT
    assert booking.status == BookingStatus.CONFIRMED
    quota = BookingQuota.objects.get(site__name=demo.BEHALF_SITE)
    assert quota.max_hours_per_week == demo.QUOTA["max_hours_per_week"]


def test_seed_demo_shows_a_structure_waiting_for_a_taken_slot(seeded, demo_mode):
    """Issue 16: the insertion workshop waits for the slot of the association's pending
    general meeting (once, however many times the demo is loaded)."""
    seed_demo()  # the second time: the module seeded it once

    wait = SlotWait.objects.get()
    taken = Booking.objects.get(purpose=demo.SLOT_WAIT[1])
    assert (wait.status, wait.requested_by.email, wait.purpose) == (
        "waiting",
        demo.SLOT_WAIT[0],
        demo.SLOT_WAIT[2],
    )
    assert (wait.space_id, wait.start, wait.end) == (taken.space_id, taken.start, taken.end)


def test_seed_demo_shows_one_date_checked_in_and_one_no_show(seeded):

    space = Space.objects.get(name=demo.CHECK_IN["space"], site__name=demo.CHECK_IN["site"])
    assert space.check_in.required
    checked_in = Occupancy.objects.get(space=space, checked_in_at__isnull=False)
    no_show = Occupancy.objects.get(space=space, no_show_at__isnull=False)
    assert checked_in.checked_in_by.email == demo.CHECK_IN["member"]
    assert no_show.start > checked_in.start
    assert no_show.booked_end > no_show.end > no_show.start
    assert no_show.booking.organisation == checked_in.booking.organisation


def test_seed_demo_requests_a_hall_and_its_kitchen_together(seeded, demo_mode, client):
    """Issue 16, several rooms at once: one request, two bookings in one group, pending, shown
    together on the group's page."""
    seed_demo()  # the second time: the module seeded it once

    email, site_name, rooms, purpose, _attendees = demo.GROUP_BOOKING
    group = BookingGroup.objects.get()
    bookings = group.bookings.order_by("pk")
    assert [booking.space.name for booking in bookings] == rooms
    assert {booking.purpose for booking in bookings} == {purpose}
    assert {booking.status for booking in bookings} == {"pending"}
    assert group.site.name == site_name
    assert group.requested_by.email == email
    client.force_login(group.requested_by)
    page = client.get(reverse("bookings:group-detail", args=[group.pk])).content.decode()
    assert all(f">{room}</a>" in page for room in rooms)
