"""The one way the platform tells people (accounts/messaging.py), through a real SMTP server:
a text and an HTML part, the recipient's language, who to answer, the platform's contact, the
notifications list, and reminders that can be switched off (List-Unsubscribe, RFC 8058)."""

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.messaging import (
    Notice,
    notify_addresses,
    notify_all,
    notify_users,
    unsubscribe_token,
)
from accounts.models import Notification
from accounts.services import invitation_create
from core.models import OutboxMail
from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory
from tests.stack.smtp import html_of, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def structure_admin():
    structure = VerifiedStructureFactory(name="L'Atelier d'équipe & Cie")
    return MembershipFactory(organisation=structure, role="admin").user


def test_an_invitation_reaches_the_address_in_french_with_both_parts(
    smtp_inbox, structure_admin, settings
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    settings.CONTACT_EMAIL = "locaux@agglo.example"
    organisation = structure_admin.memberships.get().organisation
    invitation = invitation_create(
        organisation=organisation,
        email="Nouveau@Example.test",
        role="member",
        invited_by=structure_admin,
    )

    [message] = smtp_inbox.deliver().to("nouveau@example.test")

    assert (
        message["Subject"].strip()
        == "[Locaux Communs] Invitation à rejoindre L'Atelier d'équipe & Cie"
    )
    text = text_of(message)
    assert "vous invite à rejoindre L'Atelier d'équipe & Cie" in text
    assert "&#x27;" not in text
    assert "&amp;" not in text
    link = "http://127.0.0.1:8123" + reverse("accounts:invitation-accept", args=[invitation.token])
    assert link in text
    assert "locaux@agglo.example" in text  # the platform's contact, in every message
    html = html_of(message)
    assert f'href="{link}"' in html
    assert "L&#x27;Atelier d&#x27;équipe &amp; Cie" in html  # escaped in HTML, and only there
    assert message["Reply-To"] == structure_admin.email
    assert message["List-Unsubscribe"] is None  # an invitation is not a reminder


def test_each_person_gets_the_message_in_their_language_and_in_their_list(smtp_inbox):
    french = UserFactory(email="fr@example.test", language="fr")
    english = UserFactory(email="en@example.test", language="en")
    invitation = _invitation()

    with transaction.atomic():
        queued = notify_users(
            [french, english, french],
            message="invitation",
            context={"invitation": invitation},
            link="/espaces/",
            about="test",
        )

    assert queued == 2  # once each
    inbox = smtp_inbox.deliver()
    [to_french] = inbox.to("fr@example.test")
    [to_english] = inbox.to("en@example.test")
    assert "vous invite" in text_of(to_french)
    assert "invites you to join" in text_of(to_english)
    assert "A question? Write to" in text_of(to_english)
    # The list shows the subject without the e-mail's "[Locaux Communs]" prefix.
    assert ["[Locaux Communs] " + n.subject for n in Notification.objects.filter(user=english)] == [
        to_english["Subject"]
    ]
    assert Notification.objects.get(user=french).link == "/espaces/"


def test_several_messages_are_written_in_one_insert_each_and_keep_what_they_are_about(
    django_assert_num_queries, smtp_inbox
):
    """`notify_all`: a person in two notices is told both (once per notice); one INSERT of
    notifications and one of e-mails for all of them, each e-mail with its own `about`."""
    first = UserFactory(email="un@example.test", language="fr")
    second = UserFactory(email="deux@example.test", language="en")
    context = {"invitation": _invitation()}

    with transaction.atomic(), django_assert_num_queries(2):
        queued = notify_all(
            [
                Notice([first, first], "invitation", context, about="first notice"),
                Notice([first, second], "invitation", context, about="second notice"),
            ]
        )

    assert queued == 3
    assert Notification.objects.filter(user=first).count() == 2
    assert sorted(
        OutboxMail.objects.filter(about__endswith="notice").values_list("about", "recipients")
    ) == [
        ("first notice", ["un@example.test"]),
        ("second notice", ["deux@example.test"]),
        ("second notice", ["un@example.test"]),
    ]
    assert len(smtp_inbox.deliver().to("un@example.test")) == 2


def test_erased_and_deactivated_accounts_are_told_nothing(smtp_inbox):
    gone = UserFactory(is_active=False)
    invitation = _invitation()

    assert (
        notify_users([gone], message="invitation", context={"invitation": invitation}, about="t")
        == 0
    )
    assert not Notification.objects.exists()


def test_a_reminder_carries_a_one_click_unsubscribe_that_switches_it_off(client, smtp_inbox):
    user = UserFactory(email="rappel@example.test")
    invitation = _invitation()

    notify_users(
        [user],
        message="invitation",
        context={"invitation": invitation},
        topic="booking_reminder",
        about="reminder",
    )
    [message] = smtp_inbox.deliver().to("rappel@example.test")

    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert "Ne plus recevoir ce rappel" in text_of(message)
    # A mail client POSTs the link, without a session or a CSRF token (RFC 8058).
    response = client.post(url.split("127.0.0.1:8000", 1)[-1], HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.muted_topics == ["booking_reminder"]

    smtp_inbox.clear()
    notify_users(
        [user],
        message="invitation",
        context={"invitation": invitation},
        topic="booking_reminder",
        about="reminder",
    )
    assert smtp_inbox.deliver().to("rappel@example.test") == []
    assert Notification.objects.filter(user=user).count() == 2  # still listed


def test_an_unsubscribe_link_tampered_with_is_refused(client):
    user = UserFactory()
    token = unsubscribe_token(user, "booking_reminder")

    response = client.post(reverse("accounts:unsubscribe", args=[token[:-2] + "xx"]))

    assert response.status_code == 404
    user.refresh_from_db()
    assert user.muted_topics == []


def test_decisions_cannot_be_switched_off_by_a_forged_topic(client):
    user = UserFactory()
    token = unsubscribe_token(user, "booking_approved")  # not an optional topic

    assert client.post(reverse("accounts:unsubscribe", args=[token])).status_code == 404


def test_a_message_to_an_address_without_account_is_not_listed(smtp_inbox):
    invitation = _invitation()

    notify_addresses(
        ["x@example.test"], message="invitation", context={"invitation": invitation}, about="t"
    )

    assert len(smtp_inbox.deliver().to("x@example.test")) == 1
    assert not Notification.objects.exists()


def test_a_message_is_not_queued_if_its_change_rolls_back():
    invitation = _invitation()
    before = OutboxMail.objects.count()

    def change_that_fails():
        with transaction.atomic():
            notify_addresses(
                ["x@example.test"],
                message="invitation",
                context={"invitation": invitation},
                about="t",
            )
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert OutboxMail.objects.count() == before


def test_the_profile_saves_language_and_reminders_and_only_for_oneself(client):
    user = UserFactory(email="moi@example.test")
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"),
        {
            "first_name": "Inès",
            "last_name": "Durand",
            "phone": "03 27 00 00 00",
            "language": "en",
            "emails": ["lapse_reminder"],
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.language) == ("Inès", "en")
    assert user.muted_topics == ["booking_reminder", "document_expiry"]


def test_a_refused_profile_change_keeps_the_saved_profile(client):
    user = UserFactory(first_name="Inès")
    client.force_login(user)

    response = client.post(reverse("accounts:profile"), {"first_name": "A\x00B", "language": "xx"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Inès"


def test_the_notifications_list_shows_ones_own_and_marks_them_read(client):
    mine = UserFactory()
    other = UserFactory()
    Notification.objects.create(
        user=mine, topic="t", subject="Pour moi", body="Corps", link="/espaces/"
    )
    theirs = Notification.objects.create(user=other, topic="t", subject="Pas pour moi", body="x")
    client.force_login(mine)

    page = client.get(reverse("accounts:notifications")).content.decode()
    assert "Pour moi" in page
    assert "Pas pour moi" not in page
    assert client.post(reverse("accounts:notification-open", args=[theirs.pk])).status_code == 404

    mine_one = Notification.objects.get(user=mine)
    response = client.post(reverse("accounts:notification-open", args=[mine_one.pk]))
    assert response.url == "/espaces/"
    mine_one.refresh_from_db()
    theirs.refresh_from_db()
    assert mine_one.read_at is not None
    assert theirs.read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for name in ("accounts:profile", "accounts:notifications"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "login" in response.url


def _invitation():
    admin = MembershipFactory(
        organisation=VerifiedStructureFactory(name="Repair Café"), role="admin"
    ).user
    return invitation_create(
        organisation=admin.memberships.get().organisation,
        email="someone@example.test",
        role="member",
        invited_by=admin,
    )


def test_every_french_message_has_its_english_twin():
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR) / "templates" / "emails"
    french = {path.name for path in (root / "fr").iterdir()}
    english = {path.name for path in (root / "en").iterdir()}

    assert french - english == set()
    assert english - french == set()
    assert not list(root.glob("*.txt")), "old single-language templates: move them to fr/ and en/"
