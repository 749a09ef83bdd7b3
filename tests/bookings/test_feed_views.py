"""Calendar subscriptions over HTTP: the secret-URL feed and the page that manages them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from bookings.models import CalendarFeed
from bookings.rules import Period
from bookings.services import (
    BookingRequest,
    booking_request,
    calendar_feed_create,
    calendar_feed_revoke,
)
from tests.factories import MembershipFactory, StructureFactory, UserFactory
from tests.helpers import FROZEN_NOW

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW
SITE_URL = "https://locaux.example.fr"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


@pytest.fixture
def asso_member(territory_admin):
    structure = StructureFactory(
        name="Mobilité Solidaire", verified_at=timezone.now(), verified_by=territory_admin
    )
    return MembershipFactory(
        organisation=structure, user=UserFactory(email="asso@example.test")
    ).user


@pytest.fixture
def booking(asso_member, space):
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=asso_member.memberships.get().organisation,
            purpose="Permanence mobilité",
            attendees=8,
            first=Period(
                datetime(2027, 1, 12, 18, tzinfo=PARIS), datetime(2027, 1, 12, 20, tzinfo=PARIS)
            ),
            frequency="weekly",
            repeat_until=date(2027, 4, 27),
        ),
        requested_by=asso_member,
    )


@pytest.fixture
def site_feed(facilities_manager, site):
    return calendar_feed_create(user=facilities_manager, scope="site", target=site)


def _ics_url(feed: CalendarFeed) -> str:
    return reverse("bookings:feed-ics", kwargs={"token": feed.token})


# --- The feed ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feed_is_served_as_private_text_calendar_without_login(client, site_feed, booking):
    response = client.get(_ics_url(site_feed))

    calendar = Calendar.from_ical(response.content)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"].startswith("private")
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == [
        f"booking-{booking.pk}@locaux.example.fr"
    ]


@pytest.mark.django_db
def test_feed_is_in_french_whatever_the_visitors_language(client, site_feed, booking):
    client.cookies["django_language"] = "en"

    response = client.get(_ics_url(site_feed))

    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert "Organisation : Mobilité Solidaire" in str(event["DESCRIPTION"])


@pytest.mark.django_db
def test_feed_url_gives_the_same_uids_on_each_fetch(client, site_feed, booking):
    first = client.get(_ics_url(site_feed)).content
    second = client.get(_ics_url(site_feed)).content

    def uids(body: bytes) -> list[str]:
        return [str(event["UID"]) for event in Calendar.from_ical(body).walk("VEVENT")]

    assert uids(first) == uids(second) == [f"booking-{booking.pk}@locaux.example.fr"]


@pytest.mark.django_db
def test_unknown_token_is_404(client, site_feed):
    response = client.get(reverse("bookings:feed-ics", kwargs={"token": "x" * 43}))

    assert response.status_code == 404


@pytest.mark.django_db
def test_revoked_feed_is_404(client, site_feed, facilities_manager):
    calendar_feed_revoke(feed=site_feed, user=facilities_manager)

    response = client.get(_ics_url(site_feed))

    assert response.status_code == 404


@pytest.mark.django_db
def test_feed_of_a_manager_who_no_longer_manages_the_site_is_404(
    client, site_feed, site, facilities_manager
):
    site.managers.remove(facilities_manager)

    response = client.get(_ics_url(site_feed))

    assert response.status_code == 404


@pytest.mark.django_db
def test_organisation_feed_of_a_member_who_left_is_404(client, asso_member):
    organisation = asso_member.memberships.get().organisation
    feed = calendar_feed_create(user=asso_member, scope="organisation", target=organisation)
    asso_member.memberships.all().delete()

    response = client.get(_ics_url(feed))

    assert response.status_code == 404


# --- Creating and revoking (services) ------------------------------------------------------


@pytest.mark.django_db
def test_outsider_cannot_create_a_feed_for_a_site_he_does_not_manage(outsider, site):
    with pytest.raises(PermissionDenied):
        calendar_feed_create(user=outsider, scope="site", target=site)

    assert not CalendarFeed.objects.exists()


@pytest.mark.django_db
def test_member_cannot_create_a_feed_for_a_space_or_another_organisation(
    asso_member, space, structure
):
    with pytest.raises(PermissionDenied):
        calendar_feed_create(user=asso_member, scope="space", target=space)
    with pytest.raises(PermissionDenied):
        calendar_feed_create(user=asso_member, scope="organisation", target=structure)

    assert not CalendarFeed.objects.exists()


@pytest.mark.django_db
def test_feed_target_must_match_its_scope(facilities_manager, site):
    with pytest.raises(ValueError, match="scope"):
        calendar_feed_create(user=facilities_manager, scope="space", target=site)


@pytest.mark.django_db
def test_each_feed_gets_its_own_long_random_token(facilities_manager, site, space):
    first = calendar_feed_create(user=facilities_manager, scope="site", target=site)
    second = calendar_feed_create(user=facilities_manager, scope="space", target=space)

    assert first.token != second.token
    assert min(len(first.token), len(second.token)) >= 43  # 32 random bytes, base64url


@pytest.mark.django_db
def test_only_the_creator_may_revoke_a_feed(site_feed, commune_staff):
    with pytest.raises(PermissionDenied):
        calendar_feed_revoke(feed=site_feed, user=commune_staff)

    site_feed.refresh_from_db()
    assert site_feed.revoked_at is None


@pytest.mark.django_db
def test_revoking_twice_changes_nothing_the_second_time(site_feed, facilities_manager):
    first = calendar_feed_revoke(feed=site_feed, user=facilities_manager)
    site_feed.refresh_from_db()
    revoked_at = site_feed.revoked_at

    second = calendar_feed_revoke(feed=site_feed, user=facilities_manager)

    site_feed.refresh_from_db()
    assert (first, second) == (True, False)
    assert site_feed.revoked_at == revoked_at


# --- The management page -------------------------------------------------------------------


@pytest.mark.django_db
def test_subscriptions_page_needs_a_signed_in_user(client):
    response = client.get(reverse("bookings:feed-list"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_subscriptions_page_lists_the_users_feeds_with_their_full_url(
    client, site_feed, facilities_manager, commune_staff, site
):
    others = calendar_feed_create(user=commune_staff, scope="site", target=site)
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:feed-list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{SITE_URL}/reservations/ics/{site_feed.token}.ics"' in html
    assert others.token not in html


@pytest.mark.django_db
def test_subscriptions_page_offers_only_what_the_user_may_subscribe_to(
    client, facilities_manager, site, space, other_site
):
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:feed-list"))

    choices = dict(response.context["form"].fields["target"].choices)
    offered = {key for group in choices.values() if isinstance(group, list) for key, _ in group}
    assert offered == {f"site-{site.pk}", f"space-{space.pk}"}


@pytest.mark.django_db
def test_manager_creates_a_site_feed_from_the_page(client, facilities_manager, site):
    client.force_login(facilities_manager)

    response = client.post(reverse("bookings:feed-list"), {"target": f"site-{site.pk}"})

    feed = CalendarFeed.objects.get()
    assert response.status_code == 302
    assert (feed.scope, feed.site, feed.created_by) == ("site", site, facilities_manager)


@pytest.mark.django_db
def test_member_creates_an_organisation_feed_from_the_page(client, asso_member):
    organisation = asso_member.memberships.get().organisation
    client.force_login(asso_member)

    client.post(reverse("bookings:feed-list"), {"target": f"organisation-{organisation.pk}"})

    feed = CalendarFeed.objects.get()
    assert (feed.scope, feed.organisation) == ("organisation", organisation)


@pytest.mark.django_db
def test_outsider_cannot_create_a_site_feed_from_the_page(client, outsider, site):
    client.force_login(outsider)

    response = client.post(reverse("bookings:feed-list"), {"target": f"site-{site.pk}"})

    assert response.status_code == 400
    assert response.context["form"].errors["target"]
    assert not CalendarFeed.objects.exists()


@pytest.mark.django_db
def test_revoke_button_revokes_and_the_page_no_longer_lists_the_feed(
    client, site_feed, facilities_manager
):
    client.force_login(facilities_manager)

    response = client.post(reverse("bookings:feed-revoke", args=[site_feed.pk]), follow=True)

    site_feed.refresh_from_db()
    assert site_feed.revoked_at is not None
    assert site_feed.token not in response.content.decode()
    assert client.get(_ics_url(site_feed)).status_code == 404


@pytest.mark.django_db
def test_revoking_someone_elses_feed_is_404(client, site_feed, commune_staff):
    client.force_login(commune_staff)

    response = client.post(reverse("bookings:feed-revoke", args=[site_feed.pk]))

    site_feed.refresh_from_db()
    assert response.status_code == 404
    assert site_feed.revoked_at is None


@pytest.mark.django_db
def test_revoke_needs_a_post(client, site_feed, facilities_manager):
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:feed-revoke", args=[site_feed.pk]))

    assert response.status_code == 405


@pytest.mark.django_db
def test_dashboard_links_to_the_subscriptions_page(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("portal:dashboard"))

    assert reverse("bookings:feed-list") in response.content.decode()
