"""Tariffs, deposits and payment channels through the API (issue 14), as the management pages
set them: through the same services, with the same permission rules.

Tariffs and deposits: who manages the space (its facilities managers, its owner's staff, the
intercommunality); others get 404, an anonymous client 403. Payment channels: the
administrators of the organisation and the intercommunality; others get 404.

The Stripe secret key and the webhook secret are write-only: no answer (list, detail, create,
update, errors) and no log line holds them.
"""

import json
import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiTokenScope
from accounts.services.tokens import api_token_create
from payments.models import ChannelKind, PaymentChannel, Tariff
from payments.services.tariffs import tariff_set
from tests.factories import (
    CommuneFactory,
    MembershipFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

SECRET_KEY = "sk_test_51Hx9TopSecretKeyValue0042XYZ"
WEBHOOK_SECRET = "whsec_VerySecretWebhookSigning9876QRS"
CHANNELS = reverse("api:payment-channel-list")


def send(client, method: str, url: str, body: object):
    return client.generic(method.upper(), url, json.dumps(body), "application/json")


def tariffs_url(space) -> str:
    return reverse("api:space-tariffs", args=[space.pk])


def deposit_url(space) -> str:
    return reverse("api:space-deposit", args=[space.pk])


def channel_url(organisation) -> str:
    return reverse("api:organisation-payment-channel", args=[organisation.pk])


def activation_url(organisation) -> str:
    return reverse("api:organisation-payment-channel-activation", args=[organisation.pk])


def grid(space) -> dict:
    return {(t.category, t.unit): t.amount_cents for t in Tariff.objects.filter(space=space)}


@pytest.fixture
def commune_admin(commune):
    """An administrator of the commune that owns `site`: may set up its payment channel."""
    return MembershipFactory(
        organisation=commune.organisation, user=UserFactory(email="finances@example.test")
    ).user


@pytest.fixture
def owner(site):
    return site.owner


def stripe_body(**changes) -> dict:
    return {
        "kind": "stripe",
        "stripe_publishable_key": "pk_test_publishable",
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "finance_department": "Service des finances",
        "vat_status": "outside_scope",
        **changes,
    }


def assert_no_secret(response) -> None:
    text = response.content.decode()
    for secret in (SECRET_KEY, WEBHOOK_SECRET):
        assert secret not in text
        assert secret[:-4] not in text  # not even the part before the end the page shows


# --- Tariffs ----------------------------------------------------------------------------------


def test_manager_reads_the_tariff_grid(client, facilities_manager, space, territory_admin):
    tariff_set(space=space, category="other", unit="day", amount_cents=9000, actor=territory_admin)
    tariff_set(
        space=space, category="association", unit="hour", amount_cents=1250, actor=territory_admin
    )
    client.force_login(facilities_manager)
    response = client.get(tariffs_url(space))
    assert response.status_code == 200
    assert response.json() == {
        "space": space.pk,
        "tariffs": [
            {"category": "association", "unit": "hour", "amount_cents": 1250, "currency": "EUR"},
            {"category": "other", "unit": "day", "amount_cents": 9000, "currency": "EUR"},
        ],
    }


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member", "other_manager"])
def test_tariffs_of_a_space_one_does_not_manage(client, who, space, other_site, request):
    if who == "other_manager":
        user = UserFactory(email="other@example.test")
        other_site.managers.add(user)
    else:
        user = None if who == "anonymous" else request.getfixturevalue(who)
    if user is not None:
        client.force_login(user)
    expected = 403 if user is None else 404
    body = {"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 1}]}
    for method in ("get", "put", "patch", "delete"):
        response = send(client, method, tariffs_url(space), body)
        assert response.status_code == expected, method
        assert response["Content-Language"] == "fr"
        assert set(response.json()) == {"detail"}
    response = send(client, "put", deposit_url(space), {"deposit_cents": 100})
    assert response.status_code == expected
    assert Tariff.objects.count() == 0


def test_put_replaces_the_whole_grid(client, facilities_manager, space, territory_admin):
    tariff_set(space=space, category="other", unit="day", amount_cents=9000, actor=territory_admin)
    client.force_login(facilities_manager)
    response = send(
        client,
        "put",
        tariffs_url(space),
        {
            "tariffs": [
                {"category": "association", "unit": "hour", "amount_cents": 0},
                {"category": "association", "unit": "day", "amount_cents": 4000},
            ]
        },
    )
    assert response.status_code == 200, response.json()
    assert grid(space) == {("association", "hour"): 0, ("association", "day"): 4000}
    assert [t["amount_cents"] for t in response.json()["tariffs"]] == [4000, 0]
    # The history is signed by the caller, the removed tariff included.
    tariff = Tariff.objects.get(space=space, unit="day")
    assert tariff.history.latest().history_user == facilities_manager
    assert Tariff.history.filter(category="other", history_type="-").get().history_user == (
        facilities_manager
    )


def test_patch_changes_only_the_cells_sent(client, commune_staff, space, territory_admin):
    tariff_set(space=space, category="other", unit="day", amount_cents=9000, actor=territory_admin)
    tariff_set(space=space, category="other", unit="hour", amount_cents=1500, actor=territory_admin)
    client.force_login(commune_staff)
    response = send(
        client,
        "patch",
        tariffs_url(space),
        {
            "tariffs": [
                {"category": "other", "unit": "hour", "amount_cents": None},
                {"category": "insertion", "unit": "month", "amount_cents": 20000},
            ]
        },
    )
    assert response.status_code == 200, response.json()
    assert grid(space) == {("other", "day"): 9000, ("insertion", "month"): 20000}


def test_delete_removes_every_tariff(client, territory_admin, space, other_site):
    other_space = other_site.spaces.create(name="Autre salle", capacity=10, surface_m2=20)
    for target in (space, other_space):
        tariff_set(
            space=target, category="other", unit="day", amount_cents=9000, actor=territory_admin
        )
    client.force_login(territory_admin)
    response = client.delete(tariffs_url(space))
    assert response.status_code == 204
    assert grid(space) == {}
    assert grid(other_space) == {("other", "day"): 9000}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": -1}]}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 10**20}]}, "tariffs"),
        (
            {"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 10_000_001}]},
            "tariffs",
        ),
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 12.5}]}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": "12,50"}]}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": True}]}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": None}]}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "week", "amount_cents": 1}]}, "tariffs"),
        ({"tariffs": [{"category": "x\u0000y", "unit": "hour", "amount_cents": 1}]}, "tariffs"),
        ({"tariffs": [{"category": ["other"], "unit": "hour", "amount_cents": 1}]}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "hour"}]}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 1}] * 2}, "tariffs"),
        ({"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 1}] * 21}, "tariffs"),
        ({"tariffs": "other"}, "tariffs"),
        ({"tariffs": {"other": 1}}, "tariffs"),
        ({}, "tariffs"),
        ([], "non_field_errors"),
    ],
)
def test_hostile_tariffs_are_a_400_and_change_nothing(
    client, facilities_manager, space, territory_admin, body, field
):
    tariff_set(space=space, category="other", unit="day", amount_cents=9000, actor=territory_admin)
    client.force_login(facilities_manager)
    response = send(client, "put", tariffs_url(space), body)
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    assert field in response.json()
    assert grid(space) == {("other", "day"): 9000}


def test_tariff_errors_are_in_french(client, facilities_manager, space):
    client.force_login(facilities_manager)
    body = {"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 10**20}]}
    response = send(client, "put", tariffs_url(space), body)
    assert response.status_code == 400
    assert response.json()["tariffs"]["0"]["amount_cents"] == [
        "Assurez-vous que cette valeur est inférieure ou égale à 10000000."
    ]


def test_deep_json_is_a_400(client, facilities_manager, space):
    client.force_login(facilities_manager)
    body = '{"tariffs": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.put(tariffs_url(space), body, content_type="application/json")
    assert response.status_code == 400


def test_the_grid_reads_in_the_same_queries_whatever_its_size(
    client, facilities_manager, space, territory_admin
):
    client.force_login(facilities_manager)
    tariff_set(space=space, category="other", unit="day", amount_cents=1, actor=territory_admin)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(tariffs_url(space)).json()["tariffs"]) == 1
    for category in ("association", "ess_company", "insertion", "commune_service", "other"):
        for unit in ("hour", "half_day", "day", "month"):
            tariff_set(
                space=space, category=category, unit=unit, amount_cents=1, actor=territory_admin
            )
    with CaptureQueriesContext(connection) as full:
        assert len(client.get(tariffs_url(space)).json()["tariffs"]) == 20
    assert len(full) == len(one)


def test_deposit_read_and_set(client, facilities_manager, space):
    client.force_login(facilities_manager)
    assert client.get(deposit_url(space)).json() == {"deposit_cents": 0, "currency": "EUR"}
    response = send(client, "put", deposit_url(space), {"deposit_cents": 15000})
    assert response.status_code == 200
    assert response.json() == {"deposit_cents": 15000, "currency": "EUR"}
    space.refresh_from_db()
    assert space.deposit_cents == 15000
    for hostile in (10**20, -1, "cent", None, [], 1.5):
        response = send(client, "put", deposit_url(space), {"deposit_cents": hostile})
        assert response.status_code == 400, hostile
        assert "deposit_cents" in response.json()
    space.refresh_from_db()
    assert space.deposit_cents == 15000


def test_tokens_write_tariffs_only_with_the_write_scope(client, commune_admin, space):
    tokens = {
        scope: api_token_create(
            actor=commune_admin,
            name=f"Site {scope}",
            scope=scope,
            expires_at=timezone.now() + timedelta(days=30),
        )[1]
        for scope in (ApiTokenScope.READ, ApiTokenScope.WRITE)
    }
    body = {"tariffs": [{"category": "other", "unit": "hour", "amount_cents": 700}]}
    for scope, expected in ((ApiTokenScope.READ, 403), (ApiTokenScope.WRITE, 200)):
        response = client.put(
            tariffs_url(space),
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {tokens[scope]}"},
        )
        assert response.status_code == expected, scope
    assert grid(space) == {("other", "hour"): 700}


# --- Payment channels -------------------------------------------------------------------------


def test_list_shows_the_organisations_one_may_set_up(client, commune_admin, owner, other_site):
    client.force_login(commune_admin)
    response = client.get(CHANNELS)
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "owner": owner.pk,
                "owner_name": owner.name,
                "fee_route": "none",
                "channel": None,
            }
        ],
    }


@pytest.mark.parametrize("who", ["commune_staff", "facilities_manager", "member", "outsider"])
def test_list_is_empty_for_those_who_set_up_nothing(client, who, owner, request):
    PaymentChannel.objects.create(owner=owner, kind=ChannelKind.PUBLIC_ACCOUNTING)
    client.force_login(request.getfixturevalue(who))
    assert client.get(CHANNELS).json()["count"] == 0


def test_anonymous_gets_403_everywhere(client, owner):
    PaymentChannel.objects.create(owner=owner, kind=ChannelKind.PUBLIC_ACCOUNTING)
    for method, url in (
        ("get", CHANNELS),
        ("get", channel_url(owner)),
        ("put", channel_url(owner)),
        ("patch", channel_url(owner)),
        ("post", activation_url(owner)),
    ):
        response = send(client, method, url, stripe_body())
        assert response.status_code == 403, (method, url)
        assert response["Content-Language"] == "fr"
    assert_no_secret(response)


@pytest.mark.parametrize("who", ["commune_staff", "facilities_manager", "member", "outsider"])
def test_others_get_404(client, who, owner, request):
    PaymentChannel.objects.create(owner=owner, kind=ChannelKind.PUBLIC_ACCOUNTING)
    client.force_login(request.getfixturevalue(who))
    for method, url in (
        ("get", channel_url(owner)),
        ("put", channel_url(owner)),
        ("patch", channel_url(owner)),
        ("post", activation_url(owner)),
    ):
        response = send(client, method, url, stripe_body())
        assert response.status_code == 404, (method, url)
        assert response.json() == {"detail": "Non trouvé."}
        assert_no_secret(response)
    assert PaymentChannel.objects.get(owner=owner).kind == ChannelKind.PUBLIC_ACCOUNTING


def test_put_creates_the_channel_and_never_answers_the_secrets(client, commune_admin, owner):
    client.force_login(commune_admin)
    response = send(client, "put", channel_url(owner), stripe_body())
    assert response.status_code == 201, response.json()
    assert_no_secret(response)
    row = response.json()
    assert row["owner"] == owner.pk
    assert row["fee_route"] == "card"
    channel = row["channel"]
    assert channel["kind"] == "stripe"
    assert channel["stripe_ready"] is True
    assert channel["has_stripe_secret_key"] is True
    assert channel["stripe_secret_key_end"] == "2XYZ"
    assert channel["stripe_secret_key_set_at"] is not None
    assert channel["has_stripe_webhook_secret"] is True
    assert channel["stripe_webhook_secret_end"] == "6QRS"
    assert "stripe_secret_key" not in channel
    assert "stripe_webhook_secret" not in channel
    stored = PaymentChannel.objects.get(owner=owner)
    assert (stored.stripe_secret_key, stored.stripe_webhook_secret) == (SECRET_KEY, WEBHOOK_SECRET)
    # Neither the detail nor the list gives them back.
    for url in (channel_url(owner), CHANNELS):
        response = client.get(url)
        assert response.status_code == 200
        assert_no_secret(response)
    assert client.get(CHANNELS).json()["results"][0]["channel"]["stripe_secret_key_end"] == "2XYZ"
    # The history never holds them.
    assert stored.history.count() == 1
    assert not hasattr(stored.history.get(), "stripe_secret_key")


def test_put_without_secrets_keeps_them_and_patch_changes_only_what_is_sent(
    client, territory_admin, owner
):
    client.force_login(territory_admin)
    assert send(client, "put", channel_url(owner), stripe_body()).status_code == 201
    body = stripe_body(stripe_secret_key="", pay_within_hours=24)
    del body["stripe_webhook_secret"]
    response = send(client, "put", channel_url(owner), body)
    assert response.status_code == 200, response.json()
    assert_no_secret(response)
    stored = PaymentChannel.objects.get(owner=owner)
    assert (stored.stripe_secret_key, stored.stripe_webhook_secret) == (SECRET_KEY, WEBHOOK_SECRET)
    assert stored.pay_within_hours == 24

    new_key = "rk_live_RotatedRestrictedKey7777"
    response = send(client, "patch", channel_url(owner), {"stripe_secret_key": new_key})
    assert response.status_code == 200, response.json()
    assert new_key not in response.content.decode()
    assert response.json()["channel"]["stripe_secret_key_end"] == "7777"
    stored.refresh_from_db()
    assert stored.stripe_secret_key == new_key
    assert stored.stripe_webhook_secret == WEBHOOK_SECRET
    assert (stored.kind, stored.pay_within_hours, stored.vat_status) == (
        "stripe",
        24,
        "outside_scope",
    )
    assert stored.history.latest().history_user == territory_admin


def test_put_without_every_field_starts_from_the_pages_defaults(client, commune_admin, owner):
    client.force_login(commune_admin)
    response = send(
        client, "put", channel_url(owner), {"kind": "public_accounting", "vat_status": "exempt"}
    )
    assert response.status_code == 201, response.json()
    channel = response.json()["channel"]
    assert channel["pay_within_hours"] == 48
    assert channel["has_stripe_secret_key"] is False
    assert channel["stripe_secret_key_end"] == ""
    assert response.json()["fee_route"] == "invoice"
    response = send(client, "put", channel_url(owner), {"vat_status": "exempt"})
    assert response.status_code == 400
    assert response.json() == {"kind": ["Ce champ est obligatoire."]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stripe_secret_key": "pk_" + SECRET_KEY[3:]}, "stripe_secret_key"),
        ({"stripe_secret_key": SECRET_KEY + " x"}, "stripe_secret_key"),
        ({"stripe_secret_key": SECRET_KEY + "\nx"}, "stripe_secret_key"),
        ({"stripe_secret_key": SECRET_KEY + "\u0000"}, "stripe_secret_key"),
        ({"stripe_secret_key": SECRET_KEY * 20}, "stripe_secret_key"),
        ({"stripe_secret_key": [SECRET_KEY]}, "stripe_secret_key"),
        ({"stripe_secret_key": {"key": SECRET_KEY}}, "stripe_secret_key"),
        ({"stripe_webhook_secret": "sk_" + WEBHOOK_SECRET}, "stripe_webhook_secret"),
        ({"stripe_webhook_secret": WEBHOOK_SECRET * 20}, "stripe_webhook_secret"),
        ({"stripe_publishable_key": "sk_publishable"}, "stripe_publishable_key"),
        ({"kind": "bitcoin"}, "kind"),
        ({"kind": 10**20}, "kind"),
        ({"vat_status": ["exempt"]}, "vat_status"),
        ({"pay_within_hours": 10**20}, "pay_within_hours"),
        ({"pay_within_hours": 0}, "pay_within_hours"),
        ({"pay_within_hours": "deux jours"}, "pay_within_hours"),
        ({"payfip_url": "javascript:alert(1)"}, "payfip_url"),
        ({"payfip_url": "https://payfip.gouv.fr/\nx"}, "payfip_url"),
        ({"finance_department": "Finances\u0007"}, "finance_department"),
        ({"finance_department": "F" * 100_000}, "finance_department"),
        ({"kind": "free", "free_legal_basis": ""}, "free_legal_basis"),
        ({"kind": "free", "free_legal_basis": "L2125-1\u0000"}, "free_legal_basis"),
    ],
)
def test_bad_channels_are_a_400_without_the_secret(client, commune_admin, owner, changes, field):
    client.force_login(commune_admin)
    response = send(client, "put", channel_url(owner), stripe_body(**changes))
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    assert field in response.json(), response.json()
    assert_no_secret(response)
    assert not PaymentChannel.objects.exists()


def test_channel_errors_are_in_french(client, commune_admin, owner):
    client.force_login(commune_admin)
    response = send(client, "put", channel_url(owner), stripe_body(stripe_secret_key="sk-x"))
    assert response.json() == {
        "stripe_secret_key": ["Une clé secrète Stripe commence par sk_ ou rk_."]
    }
    response = send(client, "put", channel_url(owner), {"kind": "free", "vat_status": "exempt"})
    assert response.json() == {
        "free_legal_basis": ["Indiquez le fondement juridique de la gratuité."]
    }


def test_a_body_that_is_not_an_object_is_a_400(client, commune_admin, owner):
    client.force_login(commune_admin)
    for body in ([], "stripe", 42, None):
        response = send(client, "put", channel_url(owner), body)
        assert response.status_code == 400, body
    response = client.put(
        channel_url(owner), '{"kind": ' + "[" * 5000 + "]" * 5000 + "}", "application/json"
    )
    assert response.status_code == 400


def test_deactivate_and_reactivate(client, commune_admin, owner):
    client.force_login(commune_admin)
    send(client, "put", channel_url(owner), stripe_body(finance_department=""))
    response = send(client, "post", activation_url(owner), {"active": False})
    assert response.status_code == 200, response.json()
    assert response.json()["channel"]["is_active"] is False
    assert response.json()["fee_route"] == "none"
    assert_no_secret(response)
    assert PaymentChannel.objects.get(owner=owner).is_active is False
    response = send(client, "post", activation_url(owner), {"active": True})
    assert response.json()["fee_route"] == "card"
    for hostile in ({}, {"active": "peut-être"}, {"active": [True]}):
        assert send(client, "post", activation_url(owner), hostile).status_code == 400


def test_activation_without_a_channel_is_a_404(client, commune_admin, owner):
    client.force_login(commune_admin)
    response = send(client, "post", activation_url(owner), {"active": False})
    assert response.status_code == 404


def test_there_is_no_delete(client, commune_admin, owner):
    client.force_login(commune_admin)
    send(client, "put", channel_url(owner), stripe_body())
    assert client.delete(channel_url(owner)).status_code == 405
    assert PaymentChannel.objects.filter(owner=owner).exists()


def test_the_secrets_are_never_logged(client, commune_admin, owner, caplog):
    client.force_login(commune_admin)
    with caplog.at_level(logging.DEBUG):
        send(client, "put", channel_url(owner), stripe_body())
        send(client, "patch", channel_url(owner), {"stripe_secret_key": SECRET_KEY})
        send(client, "put", channel_url(owner), stripe_body(kind="bitcoin"))
        send(client, "put", channel_url(owner), stripe_body(stripe_secret_key=SECRET_KEY * 20))
        send(client, "put", channel_url(owner), stripe_body(pay_within_hours=10**20))
        client.get(channel_url(owner))
        client.get(CHANNELS)
        client.logout()
        send(client, "put", channel_url(owner), stripe_body())
    assert caplog.records  # the requests were logged (the 4xx at least)
    for secret in (SECRET_KEY, WEBHOOK_SECRET):
        assert secret not in caplog.text
        assert all(secret not in repr(record.__dict__) for record in caplog.records)


def test_the_channel_list_reads_in_the_same_queries_whatever_its_length(
    client, territory_admin, epci
):
    client.force_login(territory_admin)

    def organisations(count: int) -> None:
        for _ in range(count):
            site = SiteFactory(commune=CommuneFactory(epci=epci))
            PaymentChannel.objects.create(
                owner=site.owner,
                kind=ChannelKind.STRIPE,
                stripe_secret_key=SECRET_KEY,
                stripe_webhook_secret=WEBHOOK_SECRET,
            )

    organisations(1)
    with CaptureQueriesContext(connection) as one:
        response = client.get(CHANNELS)
    assert response.json()["count"] >= 1
    organisations(30)
    with CaptureQueriesContext(connection) as many:
        response = client.get(CHANNELS)
    assert len(response.json()["results"]) >= 31
    assert_no_secret(response)
    assert len(many) == len(one)
