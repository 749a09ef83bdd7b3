"""Tariffs and payment channels keep their previous values with who changed them; the Stripe
secrets never enter any history row, nor the pages that show the history."""

import pytest
from django.urls import reverse

from payments.models import PaymentChannel, Tariff
from payments.services.tariffs import channel_set, tariff_set
from tests.spaces.test_admin import admin_url

SECRET_KEY = "sk_test_NeverInHistory123"
WEBHOOK_SECRET = "whsec_NeverInHistory456"
NEW_SECRET_KEY = "sk_test_RotatedKey789"


def test_a_tariff_changed_on_the_tariff_page_keeps_the_old_amount_and_who_changed_it(
    client, space, facilities_manager
):
    tariff = tariff_set(
        space=space,
        category="association",
        unit="hour",
        amount_cents=1000,
        actor=facilities_manager,
    )
    client.force_login(facilities_manager)

    response = client.post(
        reverse("payments:space-tariffs", args=[space.pk]), {"association__hour": "12,50"}
    )

    assert response.status_code == 302
    versions = list(
        tariff.history.order_by("history_id").values_list("amount_cents", "history_user")
    )
    assert versions == [(1000, facilities_manager.pk), (1250, facilities_manager.pk)]


def test_a_tariff_removed_on_the_tariff_page_stays_in_the_history(
    client, space, facilities_manager
):
    tariff = tariff_set(
        space=space, category="other", unit="day", amount_cents=9000, actor=facilities_manager
    )
    client.force_login(facilities_manager)

    client.post(reverse("payments:space-tariffs", args=[space.pk]), {"other__day": ""})

    assert not Tariff.objects.filter(pk=tariff.pk).exists()
    removed = Tariff.history.get(id=tariff.pk, history_type="-")
    assert (removed.amount_cents, removed.history_user) == (9000, facilities_manager)


def test_saving_an_unchanged_tariff_grid_adds_no_history(client, space, facilities_manager):
    tariff = tariff_set(
        space=space,
        category="association",
        unit="hour",
        amount_cents=1000,
        actor=facilities_manager,
    )
    client.force_login(facilities_manager)

    client.post(reverse("payments:space-tariffs", args=[space.pk]), {"association__hour": "10"})

    assert tariff.history.count() == 1


def _channel_form(owner, **changes) -> dict:
    return {
        "owner": str(owner.pk),
        "kind": "stripe",
        "stripe_secret_key": "",
        "stripe_webhook_secret": "",
        "finance_department": "Régie des Grands Bureaux",
        "payfip_url": "",
        "free_legal_basis": "",
        "vat_status": "exempt",
        "vat_rate_basis_points": "2000",
        **changes,
    }


@pytest.fixture
def channel_edited_in_the_admin(territory_admin_client, commune) -> PaymentChannel:
    """A channel created with its secrets in the admin, then edited twice (keys rotated)."""
    owner = commune.organisation
    territory_admin_client.post(
        admin_url(PaymentChannel, "add"),
        _channel_form(owner, stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET),
    )
    channel = PaymentChannel.objects.get(owner=owner)
    territory_admin_client.post(
        admin_url(PaymentChannel, "change", channel.pk),
        _channel_form(owner, finance_department="Trésorerie de Denain"),
    )
    territory_admin_client.post(
        admin_url(PaymentChannel, "change", channel.pk),
        _channel_form(owner, stripe_secret_key=NEW_SECRET_KEY),
    )
    channel.refresh_from_db()
    assert (channel.stripe_secret_key, channel.stripe_webhook_secret) == (
        NEW_SECRET_KEY,
        WEBHOOK_SECRET,
    )
    return channel


def test_a_channel_edited_in_the_admin_keeps_its_old_values_and_who_edited_it(
    channel_edited_in_the_admin, territory_admin
):
    versions = channel_edited_in_the_admin.history.order_by("history_id")

    assert [(v.finance_department, v.history_user) for v in versions] == [
        ("Régie des Grands Bureaux", territory_admin),
        ("Trésorerie de Denain", territory_admin),
        ("Régie des Grands Bureaux", territory_admin),
    ]


def test_no_history_row_holds_a_stripe_secret(channel_edited_in_the_admin):
    history_model = PaymentChannel.history.model
    columns = [field.attname for field in history_model._meta.concrete_fields]

    rows = list(history_model.objects.values_list(*columns))

    assert len(rows) == 3
    assert not {"stripe_secret_key", "stripe_webhook_secret"} & set(columns)
    for secret in (SECRET_KEY, WEBHOOK_SECRET, NEW_SECRET_KEY):
        assert not any(secret in str(value) for row in rows for value in row)


def test_the_admin_history_page_of_a_channel_shows_no_secret(
    territory_admin_client, channel_edited_in_the_admin
):
    response = territory_admin_client.get(
        admin_url(PaymentChannel, "history", channel_edited_in_the_admin.pk)
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Trésorerie de Denain" in html
    for secret in (SECRET_KEY, WEBHOOK_SECRET, NEW_SECRET_KEY):
        assert secret not in html


def test_a_channel_set_by_a_service_is_signed_by_its_actor(commune, territory_admin):
    channel = channel_set(
        owner=commune.organisation,
        kind="free",
        free_legal_basis="CG3P L2125-1-2",
        actor=territory_admin,
    )

    assert channel.history.get().history_user == territory_admin


def test_the_admin_page_of_an_old_version_of_a_channel_shows_no_secret(
    territory_admin_client, channel_edited_in_the_admin
):
    """simple-history fills an old version's excluded fields from the current row: the form's
    password inputs must still never print them."""
    channel = channel_edited_in_the_admin
    pages = [
        territory_admin_client.get(
            reverse(
                "admin:payments_paymentchannel_simple_history",
                args=[channel.pk, version.history_id],
            )
        )
        for version in channel.history.all()
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    for page in pages:
        html = page.content.decode()
        for secret in (SECRET_KEY, WEBHOOK_SECRET, NEW_SECRET_KEY):
            assert secret not in html
