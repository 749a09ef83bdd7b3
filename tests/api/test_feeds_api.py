"""Calendar subscriptions through the API: list, create (the secret address once), revoke.

The same service as the Calendar subscriptions page (bookings.services.feeds): a space or a
site one manages, or one's own organisation; revoking stops the address at once. A feed is its
creator's alone: another's is a 404.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiTokenScope
from accounts.services.tokens import api_token_create
from bookings.models import CalendarFeed
from bookings.services import calendar_feed_create

pytestmark = pytest.mark.usefixtures("frozen_clock")

FEEDS = reverse("api:calendar-feed-list")


def feed_url(feed) -> str:
    return reverse("api:calendar-feed-detail", args=[feed.pk])


def test_a_manager_subscribes_to_a_space_and_gets_its_address_once(
    client, facilities_manager, space
):
    client.force_login(facilities_manager)

    response = client.post(FEEDS, {"scope": "space", "target": space.pk}, "application/json")

    assert response.status_code == 201, response.json()
    body = response.json()
    feed = CalendarFeed.objects.get(created_by=facilities_manager)
    assert body["id"] == feed.pk
    assert body["scope"] == "space"
    assert body["target"] == space.pk
    assert body["target_name"] == f"{space.name} ({space.site.name})"
    assert body["url"].endswith(f"/{feed.token}.ics")
    # The address works, without a session.
    client.logout()
    ics = client.get(reverse("bookings:feed-ics", args=[feed.token]))
    assert ics.status_code == 200
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    # The list names it, without its address.
    client.force_login(facilities_manager)
    listed = client.get(FEEDS).json()
    assert listed["count"] == 1
    assert listed["results"][0] == {key: body[key] for key in body if key != "url"}


def test_a_member_subscribes_to_their_organisation(client, member, structure):
    client.force_login(member)

    response = client.post(
        FEEDS, {"scope": "organisation", "target": structure.pk}, "application/json"
    )

    assert response.status_code == 201
    assert response.json()["target_name"] == structure.name


def test_a_space_one_does_not_manage_is_a_400_on_target(client, member, space):
    client.force_login(member)

    response = client.post(FEEDS, {"scope": "space", "target": space.pk}, "application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["target"]
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "planet", "target": 1},
        {"scope": "space", "target": 10**20},
        {"scope": "space", "target": "abc"},
        {"scope": "space\x00", "target": 1},
        {"scope": ["space"], "target": {"a": 1}},
        {"target": 1},
        [],
    ],
)
def test_hostile_input_is_a_400(client, facilities_manager, body):
    client.force_login(facilities_manager)

    response = client.post(FEEDS, body, "application/json")

    assert response.status_code == 400
    assert not CalendarFeed.objects.exists()


def test_the_list_leaves_out_revoked_feeds_and_others_feeds(
    client, facilities_manager, member, structure, site, space
):
    mine = calendar_feed_create(user=facilities_manager, scope="site", target=site)
    revoked = calendar_feed_create(user=facilities_manager, scope="space", target=space)
    CalendarFeed.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    calendar_feed_create(user=member, scope="organisation", target=structure)
    client.force_login(facilities_manager)

    results = client.get(FEEDS).json()["results"]

    assert [feed["id"] for feed in results] == [mine.pk]


def test_revoking_stops_the_address_at_once_and_again_changes_nothing(
    client, facilities_manager, site
):
    feed = calendar_feed_create(user=facilities_manager, scope="site", target=site)
    client.force_login(facilities_manager)

    assert client.delete(feed_url(feed)).status_code == 204

    feed.refresh_from_db()
    assert feed.revoked_at is not None
    first = feed.revoked_at
    assert client.get(reverse("bookings:feed-ics", args=[feed.token])).status_code == 404
    assert client.delete(feed_url(feed)).status_code == 204
    feed.refresh_from_db()
    assert feed.revoked_at == first


def test_anothers_feed_is_a_404_and_stays(client, facilities_manager, territory_admin, site):
    feed = calendar_feed_create(user=facilities_manager, scope="site", target=site)
    client.force_login(territory_admin)

    response = client.delete(feed_url(feed))

    assert response.status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_anonymous_is_a_403(client, facilities_manager, site):
    feed = calendar_feed_create(user=facilities_manager, scope="site", target=site)

    assert client.get(FEEDS).status_code == 403
    assert (
        client.post(FEEDS, {"scope": "site", "target": site.pk}, "application/json").status_code
        == 403
    )
    assert client.delete(feed_url(feed)).status_code == 403


def test_a_read_token_lists_but_may_not_subscribe(client, facilities_manager, site):
    calendar_feed_create(user=facilities_manager, scope="site", target=site)
    _token, secret = api_token_create(
        actor=facilities_manager,
        name="Agenda",
        scope=ApiTokenScope.READ,
        expires_at=timezone.now() + timedelta(days=30),
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    assert client.get(FEEDS, **auth).json()["count"] == 1
    response = client.post(FEEDS, {"scope": "site", "target": site.pk}, "application/json", **auth)
    assert response.status_code == 403
    assert CalendarFeed.objects.count() == 1
