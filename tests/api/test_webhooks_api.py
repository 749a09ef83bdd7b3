"""The outgoing webhooks' API (api/hooks.py): register (the secret shown once), read, change,
pause and resume, delete, rotate the secret, the delivery log and the replay; the SSRF guard as
on the pages, hostile input answered with a 400, and who may do what (the authorisation matrix
has the grid; these are the reproductions). Nothing is sent: deliveries are recorded through
the service, and the test's transaction never commits (no job leaves)."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import ApiTokenScope, MembershipRole
from accounts.services.tokens import api_token_create
from integrations import services
from integrations.events import Event, Route
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import MembershipFactory, StructureFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

LIST = reverse("api:webhook-endpoint-list")
PUBLIC_URL = "https://93.184.216.34/hooks/locaux"  # a literal public address: no DNS lookup
EVENTS = ["booking.requested", "booking.cancelled"]


def _fr(message: str) -> str:
    with translation.override("fr"):
        return gettext(message)


def _detail(endpoint) -> str:
    return reverse("api:webhook-endpoint-detail", args=[endpoint.pk])


def _deliveries(endpoint) -> str:
    return reverse("api:webhook-delivery-list", args=[endpoint.pk])


def _rotate(endpoint) -> str:
    return reverse("api:webhook-endpoint-rotate-secret", args=[endpoint.pk])


def _replay(delivery) -> str:
    return reverse("api:webhook-delivery-replay", args=[delivery.pk])


@pytest.fixture
def organisation(booker):
    return booker.memberships.get().organisation


@pytest.fixture
def endpoint(booker, organisation):
    return services.endpoint_create(
        actor=booker, organisation=organisation, url=PUBLIC_URL, events=EVENTS
    )


@pytest.fixture
def other_admin(db):
    """The administrator of another structure."""
    return MembershipFactory(
        organisation=StructureFactory(name="Vélo Club"), user=UserFactory(email="velo@example.test")
    ).user


def _record(endpoint, count: int = 1) -> list[WebhookDelivery]:
    """`count` events recorded for `endpoint` by the service (pending; never sent here)."""
    ids = []
    for n in range(count):
        ids += services.events_record(
            event=Event(
                type="booking.requested",
                created=timezone.now(),
                audience=frozenset({endpoint.organisation_id}),
                public=False,
                data={"object": "booking", "id": n + 1},
            ),
            routes=[Route(endpoint.pk, endpoint.organisation_id, False, frozenset(EVENTS))],
        )
    return list(WebhookDelivery.objects.filter(pk__in=ids).order_by("pk"))


def _post(client, url, body, **extra):
    return client.post(url, body, content_type="application/json", **extra)


def _patch(client, url, body, **extra):
    return client.patch(url, body, content_type="application/json", **extra)


def _bearer(user, scope) -> dict:
    _token, secret = api_token_create(
        actor=user,
        name="ERP",
        scope=scope,
        expires_at=timezone.now() + timedelta(days=30),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- Register: the secret once --------------------------------------------------------------


def test_registering_a_webhook_answers_its_secret_once(client, booker, organisation):
    client.force_login(booker)

    created = _post(
        client,
        LIST,
        {
            "organisation": organisation.pk,
            "url": PUBLIC_URL,
            "events": ["booking.cancelled", "booking.requested", "booking.requested"],
            "description": "  ERP  ",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    listing = client.get(LIST)
    detail = client.get(_detail(endpoint))
    changed = _patch(client, _detail(endpoint), {"description": "Logiciel"})

    assert created.status_code == 201, created.json()
    body = created.json()
    assert "no-store" in created["Cache-Control"]
    assert body["secret"] == endpoint.secret
    assert body["secret"].startswith("whsec_")
    assert body["id"] == endpoint.pk
    assert body["organisation"] == organisation.pk
    assert body["url"] == PUBLIC_URL
    assert body["events"] == ["booking.requested", "booking.cancelled"]  # the service's order
    assert body["description"] == "ERP"
    assert body["paused"] is False
    assert body["page_url"] == endpoint.get_absolute_url()
    assert endpoint.created_by == booker
    for answer in (listing, detail, changed):
        assert answer.status_code == 200
        assert endpoint.secret not in answer.content.decode()
        assert "secret" not in answer.content.decode()
    assert [row["id"] for row in listing.json()["results"]] == [endpoint.pk]


def test_the_list_holds_the_organisations_i_administer_only(
    client, booker, endpoint, other_admin, territory_admin
):
    theirs = services.endpoint_create(
        actor=other_admin,
        organisation=other_admin.memberships.get().organisation,
        url=PUBLIC_URL,
        events=EVENTS,
    )
    plain = MembershipFactory(
        organisation=endpoint.organisation,
        role=MembershipRole.MEMBER,
        user=UserFactory(email="plain@example.test"),
    ).user

    def ids(user):
        client.force_login(user)
        answer = client.get(LIST)
        assert answer.status_code == 200
        return [row["id"] for row in answer.json()["results"]]

    assert ids(booker) == [endpoint.pk]
    assert ids(other_admin) == [theirs.pk]
    assert ids(plain) == []
    assert sorted(ids(territory_admin)) == sorted([endpoint.pk, theirs.pk])


def test_the_intercommunality_registers_a_webhook_for_a_structure(
    client, territory_admin, organisation
):
    client.force_login(territory_admin)

    created = _post(
        client, LIST, {"organisation": organisation.pk, "url": PUBLIC_URL, "events": EVENTS}
    )

    assert created.status_code == 201
    assert WebhookEndpoint.objects.get().organisation == organisation


def test_registering_for_an_organisation_one_does_not_administer_is_a_400(
    client, booker, other_admin
):
    plain = MembershipFactory(
        organisation=booker.memberships.get().organisation,
        role=MembershipRole.MEMBER,
        user=UserFactory(email="plain@example.test"),
    ).user
    client.force_login(plain)
    own = _post(
        client,
        LIST,
        {
            "organisation": plain.memberships.get().organisation_id,
            "url": PUBLIC_URL,
            "events": EVENTS,
        },
    )
    client.force_login(booker)
    other = _post(
        client,
        LIST,
        {
            "organisation": other_admin.memberships.get().organisation_id,
            "url": PUBLIC_URL,
            "events": EVENTS,
        },
    )

    assert (own.status_code, other.status_code) == (400, 400)
    assert list(own.json()) == list(other.json()) == ["organisation"]
    assert not WebhookEndpoint.objects.exists()


def test_an_organisation_has_at_most_ten_webhooks(client, booker, organisation):
    for n in range(services.endpoints.MAX_ENDPOINTS_PER_ORGANISATION):
        services.endpoint_create(
            actor=booker, organisation=organisation, url=f"{PUBLIC_URL}/{n}", events=EVENTS
        )
    client.force_login(booker)

    answer = _post(
        client, LIST, {"organisation": organisation.pk, "url": PUBLIC_URL, "events": EVENTS}
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "non_field_errors": [_fr("An organisation has at most %(count)s webhooks.") % {"count": 10}]
    }
    assert "Une organisation a au plus 10 webhooks." in answer.json()["non_field_errors"]


# --- The SSRF guard, as on the pages ---------------------------------------------------------


def test_the_guard_is_on_by_default():
    assert django_settings.WEBHOOK_ALLOW_HTTP is False
    assert django_settings.WEBHOOK_ALLOW_PRIVATE_HOSTS is False


HTTPS_ONLY = "L’adresse doit commencer par https://."
PRIVATE = (
    "Cette adresse mène à un réseau privé ou réservé : seules les adresses publiques sont "
    "acceptées."
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/", HTTPS_ONLY),
        ("http://169.254.169.254/", HTTPS_ONLY),
        ("http://93.184.216.34/hooks", HTTPS_ONLY),  # public, but not https
        ("ftp://93.184.216.34/hooks", HTTPS_ONLY),
        ("https://127.0.0.1/", PRIVATE),
        ("https://169.254.169.254/latest/meta-data/", PRIVATE),  # a cloud's metadata service
        ("https://10.0.0.5/hooks", PRIVATE),
        ("https://192.168.1.20:8443/hooks", PRIVATE),
        ("https://172.16.0.1/", PRIVATE),
        ("https://[::1]/", PRIVATE),
        ("https://[::ffff:127.0.0.1]/", PRIVATE),
        ("https://0.0.0.0/", PRIVATE),
        ("https://localhost/", PRIVATE),
    ],
)
def test_refused_addresses_are_a_french_400_on_url(client, booker, organisation, url, message):
    client.force_login(booker)

    answer = _post(client, LIST, {"organisation": organisation.pk, "url": url, "events": EVENTS})

    assert answer.status_code == 400
    assert answer["Content-Language"] == "fr"
    assert answer.json() == {"url": [message]}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "https://169.254.169.254/", "https://10.1.2.3/", "http://example.org/"],
)
def test_changing_to_a_refused_address_is_a_400_and_changes_nothing(client, booker, endpoint, url):
    client.force_login(booker)

    answer = _patch(client, _detail(endpoint), {"url": url, "events": ["booking.confirmed"]})

    assert answer.status_code == 400
    assert list(answer.json()) == ["url"]
    assert answer.json()["url"][0] in (HTTPS_ONLY, PRIVATE)
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == (PUBLIC_URL, EVENTS)


def test_the_relaxing_settings_let_a_local_receiver_in(client, booker, organisation, settings):
    """The development switches the tests' local receiver uses: the same ones the pages obey."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    client.force_login(booker)

    answer = _post(
        client,
        LIST,
        {"organisation": organisation.pk, "url": "http://127.0.0.1:9/hooks", "events": EVENTS},
    )

    assert answer.status_code == 201


# --- Hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "https://93.184.216.34/\nx"}, "url"),
        ({"url": "https://93.184.216.34/\x00"}, "url"),
        ({"url": "https://93.184.216.34/" + "a" * 100_000}, "url"),
        ({"url": "=cmd|' /C calc'!A0"}, "url"),
        ({"url": "https://user:pass@93.184.216.34/"}, "url"),
        ({"url": "https://93.184.216.34:99999/"}, "url"),
        ({"url": 12}, "url"),
        ({"url": None}, "url"),
        ({"url": ["https://93.184.216.34/"]}, "url"),
        ({"events": []}, "events"),
        ({"events": "booking.requested"}, "events"),
        ({"events": {"booking.requested": True}}, "events"),
        ({"events": ["nope"]}, "events"),
        ({"events": [["booking.requested"]]}, "events"),
        ({"events": [None]}, "events"),
        ({"events": ["booking.requested"] * 1000}, "events"),
        ({"events": 10**20}, "events"),
        ({"organisation": 10**20}, "organisation"),
        ({"organisation": -1}, "organisation"),
        ({"organisation": "abc"}, "organisation"),
        ({"organisation": None}, "organisation"),
        ({"organisation": 1.5}, "organisation"),
        ({"description": "ERP\x00"}, "description"),
        ({"description": "ERP\x1b[31m"}, "description"),
        ({"description": "x" * 201}, "description"),
        ({"description": {"a": [1]}}, "description"),
    ],
)
def test_hostile_registrations_are_a_400_naming_the_field(
    client, booker, organisation, change, field
):
    client.force_login(booker)
    body = {"organisation": organisation.pk, "url": PUBLIC_URL, "events": EVENTS, **change}

    answer = _post(client, LIST, body)

    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '"x"',
        "null",
        "{",
        '{"url": ' * 5000 + "1" + "}" * 5000,
        '{"events": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
)
def test_unreadable_bodies_are_a_400(client, booker, endpoint, body):
    client.force_login(booker)

    created = client.post(LIST, body, content_type="application/json")
    changed = client.patch(_detail(endpoint), body, content_type="application/json")

    assert (created.status_code, changed.status_code) == (400, 400)
    assert WebhookEndpoint.objects.get() == endpoint


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"paused": "maybe"}, "paused"),
        ({"paused": [True]}, "paused"),
        ({"events": []}, "events"),
        ({"events": ["booking.requested", "nope"]}, "events"),
        ({"url": "https://93.184.216.34/\tx"}, "url"),
        ({"description": "a\nb"}, "description"),
    ],
)
def test_hostile_changes_are_a_400_and_change_nothing(client, booker, endpoint, change, field):
    client.force_login(booker)

    answer = _patch(client, _detail(endpoint), change)

    assert answer.status_code == 400
    assert field in answer.json()
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.paused_at) == (PUBLIC_URL, EVENTS, None)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99", str(10**20), "1e3"])
def test_a_delivery_page_out_of_range_is_a_404_not_a_500(client, booker, endpoint, page):
    _record(endpoint)
    client.force_login(booker)

    answer = client.get(_deliveries(endpoint), {"page": page})

    assert answer.status_code == 404
    assert answer.json().keys() == {"detail"}


@pytest.mark.parametrize("pk", [10**20, 2**63])
def test_an_id_too_large_is_a_404(client, booker, pk):
    client.force_login(booker)

    answers = [
        client.get(f"/api/v1/webhooks/endpoints/{pk}/"),
        client.get(f"/api/v1/webhooks/endpoints/{pk}/deliveries/"),
        client.post(f"/api/v1/webhooks/deliveries/{pk}/replay/"),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]


# --- Change, pause and resume, rotate, delete -------------------------------------------------


def test_changing_the_events_and_the_description_keeps_the_rest(client, booker, endpoint):
    secret = endpoint.secret
    client.force_login(booker)

    answer = _patch(
        client, _detail(endpoint), {"events": ["payment.captured"], "description": "Compta"}
    )

    assert answer.status_code == 200
    assert answer.json()["events"] == ["payment.captured"]
    assert answer.json()["description"] == "Compta"
    assert answer.json()["url"] == PUBLIC_URL
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.description, endpoint.secret) == (
        ["payment.captured"],
        "Compta",
        secret,
    )


def test_pausing_keeps_the_events_and_resuming_sends_them(client, booker, endpoint):
    client.force_login(booker)

    paused = _patch(client, _detail(endpoint), {"paused": True})
    again = _patch(client, _detail(endpoint), {"paused": True})
    (waiting,) = _record(endpoint)
    resumed = _patch(client, _detail(endpoint), {"paused": False})
    waiting_after = WebhookDelivery.objects.get(pk=waiting.pk)

    assert (paused.status_code, again.status_code, resumed.status_code) == (200, 200, 200)
    assert paused.json()["paused"] is True
    assert paused.json()["paused_at"] is not None
    assert again.json()["paused_at"] == paused.json()["paused_at"]  # already paused: unchanged
    assert waiting.next_attempt_at is None  # recorded while paused: no attempt time
    assert resumed.json()["paused"] is False
    assert resumed.json()["paused_at"] is None
    assert waiting_after.next_attempt_at is not None  # leaves on resumption
    assert waiting_after.status == DeliveryStatus.PENDING


def test_resuming_restarts_the_failure_count(client, booker, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        paused_at=timezone.now(), consecutive_failures=10
    )
    client.force_login(booker)

    shown = client.get(_detail(endpoint)).json()
    resumed = _patch(client, _detail(endpoint), {"paused": False}).json()

    assert (shown["paused"], shown["consecutive_failures"]) == (True, 10)
    assert (resumed["paused"], resumed["consecutive_failures"]) == (False, 0)


def test_rotating_the_secret_answers_the_new_one_once(client, booker, endpoint):
    old = endpoint.secret
    client.force_login(booker)

    rotated = client.post(_rotate(endpoint))
    endpoint.refresh_from_db()
    detail = client.get(_detail(endpoint))

    assert rotated.status_code == 200
    assert "no-store" in rotated["Cache-Control"]
    assert rotated.json()["secret"] == endpoint.secret != old
    assert endpoint.secret not in detail.content.decode()


def test_deleting_a_webhook_deletes_its_log(client, booker, endpoint):
    _record(endpoint, 2)
    client.force_login(booker)

    deleted = client.delete(_detail(endpoint))
    again = client.get(_detail(endpoint))

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


# --- The delivery log and the replay ---------------------------------------------------------


def test_the_delivery_log_is_a_page_newest_first(client, booker, endpoint):
    first, second, third = _record(endpoint, 3)
    WebhookDelivery.objects.filter(pk=first.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=6,
        response_status=500,
        response_ms=87,
        last_error="HTTP 500: boom",
        next_attempt_at=None,
    )
    client.force_login(booker)

    page = client.get(_deliveries(endpoint), {"page_size": 2})
    rest = client.get(_deliveries(endpoint), {"page_size": 2, "page": 2})

    assert page.status_code == 200
    body = page.json()
    assert (body["count"], body["previous"]) == (3, None)
    assert body["next"]
    assert [row["id"] for row in body["results"]] == [third.pk, second.pk]
    (failed,) = rest.json()["results"]
    assert failed == {
        "id": first.pk,
        "endpoint": endpoint.pk,
        "event_id": str(first.event_id),
        "event_type": "booking.requested",
        "status": "failed",
        "attempts": 6,
        "response_status": 500,
        "response_ms": 87,
        "last_error": "HTTP 500: boom",
        "next_attempt_at": None,
        "last_attempt_at": None,
        "delivered_at": None,
        "created_at": failed["created_at"],
    }
    assert body["results"][0]["status"] == "pending"
    assert body["results"][0]["next_attempt_at"] is not None
    assert "payload" not in page.content.decode()


def test_a_replay_is_a_new_delivery_of_the_same_event(client, booker, endpoint):
    (delivery,) = _record(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DELIVERED, attempts=1, response_status=200
    )
    client.force_login(booker)

    answer = client.post(_replay(delivery))

    assert answer.status_code == 201
    replay = WebhookDelivery.objects.get(pk=answer.json()["id"])
    assert replay.pk != delivery.pk
    assert (replay.event_id, replay.payload, replay.endpoint) == (
        delivery.event_id,
        delivery.payload,
        endpoint,
    )
    assert (answer.json()["status"], answer.json()["attempts"]) == ("pending", 0)
    assert answer.json()["event_id"] == str(delivery.event_id)


def test_a_replay_of_a_paused_webhook_waits_for_its_resumption(client, booker, endpoint):
    (delivery,) = _record(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    services.endpoint_pause(actor=booker, endpoint=endpoint)
    client.force_login(booker)

    answer = client.post(_replay(delivery))

    assert answer.status_code == 201
    assert answer.json()["next_attempt_at"] is None


@pytest.mark.parametrize("state", [DeliveryStatus.PENDING, DeliveryStatus.SENDING])
def test_replaying_a_delivery_under_way_is_a_french_400(client, booker, endpoint, state):
    (delivery,) = _record(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=state)
    client.force_login(booker)

    answer = client.post(_replay(delivery))

    assert answer.status_code == 400
    assert answer.json() == {"non_field_errors": ["Cet envoi est déjà en attente ou en cours."]}
    assert WebhookDelivery.objects.count() == 1


# --- Who may ---------------------------------------------------------------------------------


def _every_route(endpoint, delivery) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", _detail(endpoint), None),
        ("patch", _detail(endpoint), {"events": ["booking.confirmed"]}),
        ("delete", _detail(endpoint), None),
        ("post", _rotate(endpoint), None),
        ("get", _deliveries(endpoint), None),
        ("post", _replay(delivery), None),
    ]


def _call(client, method, url, body, **extra):
    if body is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def test_others_get_404_and_learn_nothing(client, endpoint, other_admin, commune_staff, member):
    (delivery,) = _record(endpoint)
    plain = MembershipFactory(
        organisation=endpoint.organisation,
        role=MembershipRole.MEMBER,
        user=UserFactory(email="plain@example.test"),
    ).user

    for user in (other_admin, plain, commune_staff, member):
        client.force_login(user)
        for method, url, body in _every_route(endpoint, delivery):
            answer = _call(client, method, url, body)
            assert answer.status_code == 404, (user, method, url)
            assert answer.json() == {"detail": "Non trouvé."}, answer.json()
    assert WebhookEndpoint.objects.get().secret == endpoint.secret


def test_anonymous_gets_403_everywhere(client, endpoint):
    (delivery,) = _record(endpoint)

    answers = [_call(client, m, u, b) for m, u, b in _every_route(endpoint, delivery)]
    answers += [client.get(LIST), _post(client, LIST, {})]

    assert {answer.status_code for answer in answers} == {403}


def test_a_read_scope_token_reads_but_writes_nothing(client, booker, endpoint, organisation):
    (delivery,) = _record(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DELIVERED)
    headers = _bearer(booker, ApiTokenScope.READ)

    reads = [client.get(LIST, **headers), client.get(_detail(endpoint), **headers)]
    reads.append(client.get(_deliveries(endpoint), **headers))
    writes = [
        _post(
            client,
            LIST,
            {"organisation": organisation.pk, "url": PUBLIC_URL, "events": EVENTS},
            **headers,
        ),
        _patch(client, _detail(endpoint), {"paused": True}, **headers),
        client.delete(_detail(endpoint), **headers),
        client.post(_rotate(endpoint), **headers),
        client.post(_replay(delivery), **headers),
    ]

    assert [answer.status_code for answer in reads] == [200, 200, 200]
    assert [answer.status_code for answer in writes] == [403] * 5
    assert "secret" not in "".join(answer.content.decode() for answer in reads)
    endpoint.refresh_from_db()
    assert endpoint.paused_at is None
    assert WebhookDelivery.objects.count() == 1
    assert WebhookEndpoint.objects.count() == 1


def test_a_write_token_manages_webhooks_without_a_session(client, booker, organisation):
    headers = _bearer(booker, ApiTokenScope.WRITE)

    created = _post(
        client,
        LIST,
        {"organisation": organisation.pk, "url": PUBLIC_URL, "events": EVENTS},
        **headers,
    )
    endpoint = WebhookEndpoint.objects.get()
    paused = _patch(client, _detail(endpoint), {"paused": True}, **headers)

    assert (created.status_code, paused.status_code) == (201, 200)
    assert created.json()["secret"] == endpoint.secret
