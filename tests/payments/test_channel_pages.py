"""The payment channel pages: an organisation's administrators (and the intercommunality) set
how it collects its fees; the Stripe secrets are write-only."""

import pytest
from django.urls import reverse

from accounts.models import MembershipRole
from payments.models import ChannelKind, PaymentChannel
from tests.factories import MembershipFactory, UserFactory

SECRET = "sk_test_51HiddenSecretKeyValue9876"
WEBHOOK = "whsec_HiddenWebhookSecret5432"


@pytest.fixture
def owner_admin(site):
    return MembershipFactory(
        organisation=site.owner,
        user=UserFactory(email="maire@example.test"),
        role=MembershipRole.ADMIN,
    ).user


def _post_card(client, owner, **extra):
    data = {
        "kind": ChannelKind.STRIPE,
        "stripe_publishable_key": "pk_test_public",
        "stripe_secret_key": SECRET,
        "stripe_webhook_secret": WEBHOOK,
        "finance_department": "",
        "payfip_url": "",
        "pay_within_hours": "48",
        "free_legal_basis": "",
        "vat_status": "exempt",
        **extra,
    }
    return client.post(reverse("payments:channel-edit", args=[owner.pk]), data)


def test_the_owners_admin_sets_card_payments_and_the_secrets_never_come_back(
    client, site, owner_admin
):
    client.force_login(owner_admin)

    response = _post_card(client, site.owner)

    assert response.status_code == 302
    channel = PaymentChannel.objects.get(owner=site.owner)
    assert (channel.stripe_secret_key, channel.stripe_webhook_secret) == (SECRET, WEBHOOK)
    assert channel.stripe_ready
    assert channel.stripe_secret_key_set_at is not None
    page = client.get(reverse("payments:channel-edit", args=[site.owner.pk])).content.decode()
    assert SECRET not in page
    assert WEBHOOK not in page
    assert "••••9876 saisie le" in page
    history = "".join(str(row.__dict__) for row in channel.history.all())
    assert SECRET not in history
    assert WEBHOOK not in history


def test_an_empty_secret_keeps_the_one_entered(client, site, owner_admin):
    client.force_login(owner_admin)
    _post_card(client, site.owner)

    response = _post_card(client, site.owner, stripe_secret_key="", stripe_webhook_secret="")

    assert response.status_code == 302
    assert PaymentChannel.objects.get(owner=site.owner).stripe_secret_key == SECRET


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stripe_publishable_key", "sk_oops", "pk_"),
        ("stripe_secret_key", "pk_oops", "sk_"),
        ("stripe_webhook_secret", "sk_oops", "whsec_"),
    ],
)
def test_a_key_of_the_wrong_kind_is_refused_in_french(
    client, site, owner_admin, field, value, message
):
    client.force_login(owner_admin)

    response = _post_card(client, site.owner, **{field: value})

    assert response.status_code == 400
    assert f"commence par {message}" in response.content.decode()
    assert not PaymentChannel.objects.filter(owner=site.owner).exists()


def test_free_use_without_legal_basis_is_refused(client, site, owner_admin):
    client.force_login(owner_admin)

    response = _post_card(client, site.owner, kind=ChannelKind.FREE)

    assert response.status_code == 400
    assert not PaymentChannel.objects.filter(owner=site.owner).exists()


def test_deactivating_stops_collecting(client, site, owner_admin):
    PaymentChannel.objects.create(owner=site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING)
    client.force_login(owner_admin)

    response = client.post(
        reverse("payments:channel-active", args=[site.owner.pk]), {"active": "0"}
    )

    assert response.status_code == 302
    assert not PaymentChannel.objects.get(owner=site.owner).is_active


def test_the_list_shows_the_organisations_the_user_administers(
    client, site, other_site, owner_admin, territory_admin
):
    client.force_login(owner_admin)
    page = client.get(reverse("payments:channel-list")).content.decode()
    assert site.owner.name in page
    assert other_site.owner.name not in page

    client.force_login(territory_admin)
    page = client.get(reverse("payments:channel-list")).content.decode()
    assert site.owner.name in page
    assert other_site.owner.name in page


@pytest.mark.parametrize("who", ["outsider", "commune_staff", "facilities_manager"])
def test_others_get_a_404_and_change_nothing(client, request, site, who):
    """Only administrators set the channel: a plain member of the commune does not."""
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("payments:channel-edit", args=[site.owner.pk])).status_code == 404
    assert _post_card(client, site.owner).status_code == 404
    assert not PaymentChannel.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, site):
    for url in (
        reverse("payments:channel-list"),
        reverse("payments:channel-edit", args=[site.owner.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# --- The deposit of a space, on its tariffs page ---


def test_the_manager_sets_the_deposit_in_euros(client, space, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(
        reverse("payments:space-deposit", args=[space.pk]), {"deposit": "150,50"}
    )

    assert response.status_code == 302
    space.refresh_from_db()
    assert space.deposit_cents == 15_050


def test_a_bad_deposit_is_refused(client, space, facilities_manager):
    client.force_login(facilities_manager)

    response = client.post(reverse("payments:space-deposit", args=[space.pk]), {"deposit": "-3"})

    assert response.status_code == 400
    space.refresh_from_db()
    assert space.deposit_cents == 0


def test_an_outsider_cannot_set_the_deposit(client, space, outsider):
    client.force_login(outsider)

    response = client.post(reverse("payments:space-deposit", args=[space.pk]), {"deposit": "10"})

    assert response.status_code == 404
