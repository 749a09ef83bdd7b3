"""Getting into an account and back into it (issue 12): sign-up confirmed by a link before the
account may act, password reset and change, change of e-mail address. Every message is read
from a real SMTP server (`smtp_inbox`); no page tells whether an address has an account."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from tests.factories import InvitationFactory, UserFactory
from tests.stack.smtp import html_of, text_of

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-42"
NEW_PASSWORD = "une-autre-phrase-77"
SITE = "http://testserver"


@pytest.fixture(autouse=True)
def _links_to_the_test_client(settings):
    """Links in the messages are absolute (SITE_URL): make them the test client's host."""
    settings.SITE_URL = SITE


def _signup_data(**fields) -> dict:
    return {
        "first_name": "Camille",
        "last_name": "Dupont",
        "email": "camille@example.test",
        "password1": PASSWORD,
        "password2": PASSWORD,
    } | fields


def _link(message, path_prefix: str) -> str:
    """The path of the first link of `message` (its text part) under `path_prefix`."""
    text = text_of(message)
    match = re.search(rf"{re.escape(SITE)}({re.escape(path_prefix)}\S+)", text)
    assert match, f"no link to {path_prefix} in:\n{text}"
    return match.group(1)


def _only(inbox, address: str):
    [message] = inbox.to(address)
    return message


def _subject(message) -> str:
    return " ".join(str(message["Subject"]).split())


def _page(response) -> str:
    return response.content.decode()


def _same(response) -> str:
    """The page without its CSRF tokens (they differ per visitor), to compare two answers."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", _page(response))


def _signed_in(client: Client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


CONFIRM = "/accounts/inscription/confirmer/"
RESET = "/accounts/mot-de-passe/nouveau/"
CHANGE = "/accounts/adresse/confirmer/"


# --- Sign-up ---------------------------------------------------------------------------------


def test_signup_creates_an_unconfirmed_account_sends_a_link_and_does_not_sign_in(
    client, smtp_inbox
):
    response = client.post(reverse("accounts:signup"), _signup_data())

    assert response.status_code == 302
    assert response.url == reverse("accounts:signup-sent")
    user = User.objects.get(email="camille@example.test")
    assert user.email_confirmed_at is None
    assert _signed_in(client) is None
    page = client.get(response.url)
    assert "Consultez votre messagerie" in _page(page)
    inbox = smtp_inbox.deliver()
    message = _only(inbox, "camille@example.test")
    assert _subject(message) == "[Locaux Communs] Confirmez votre adresse électronique"
    text = text_of(message)
    assert "Bonjour Camille," in text
    assert "ouvrant ce lien dans les 3 jours" in text
    assert "Mot de passe oublié ?" in text  # what to do if it was not them
    assert f'href="{SITE}{_link(message, CONFIRM)}"' in html_of(message)
    assert len(inbox.messages) == 1  # nobody else is told


def test_opening_the_link_in_the_same_browser_confirms_and_signs_in(client, smtp_inbox):
    client.post(reverse("accounts:signup"), _signup_data())
    link = _link(_only(smtp_inbox.deliver(), "camille@example.test"), CONFIRM)

    response = client.get(link)

    user = User.objects.get(email="camille@example.test")
    assert user.email_confirmed_at is not None
    assert _signed_in(client) == user.pk
    assert response.status_code == 302
    assert response.url == reverse("accounts:structure-register")
    page = client.get(response.url)
    assert "Votre adresse est confirmée et vous êtes connecté(e)." in _page(page)


def test_opening_the_link_elsewhere_asks_for_the_password(client, smtp_inbox):
    client.post(reverse("accounts:signup"), _signup_data())
    link = _link(_only(smtp_inbox.deliver(), "camille@example.test"), CONFIRM)
    phone = Client()

    page = phone.get(link)
    assert page.status_code == 200
    assert "saisissez le mot de passe choisi à la création du compte" in _page(page)
    assert (
        User.objects.get().email_confirmed_at is None
    )  # opening it (a mail scanner) is not enough

    wrong = phone.post(link, {"password": "pas-le-bon-mot-de-passe"})
    assert wrong.status_code == 400
    assert "Ce n’est pas le mot de passe choisi à l’inscription" in _page(wrong)
    assert User.objects.get().email_confirmed_at is None

    right = phone.post(link, {"password": PASSWORD})
    assert right.status_code == 302
    assert _signed_in(phone) == User.objects.get().pk
    assert User.objects.get().email_confirmed_at is not None


def test_the_confirmation_leads_to_a_local_next_and_ignores_another_site(client, smtp_inbox):
    client.post(reverse("accounts:signup") + "?next=/accounts/invitations/abc/", _signup_data())
    client.post(
        reverse("accounts:signup") + "?next=//evil.example/",
        _signup_data(email="autre@example.test"),
    )
    inbox = smtp_inbox.deliver()

    local = Client().post(
        _link(_only(inbox, "camille@example.test"), CONFIRM), {"password": PASSWORD}
    )
    evil = Client().post(_link(_only(inbox, "autre@example.test"), CONFIRM), {"password": PASSWORD})

    assert local.url == "/accounts/invitations/abc/"
    assert evil.url == reverse("accounts:structure-register")


def test_an_invited_person_confirms_and_lands_back_on_the_invitation(client, smtp_inbox):
    invitation = InvitationFactory(email="nouvelle@example.test")
    invitation_url = reverse("accounts:invitation-accept", args=[invitation.token])
    page = client.get(invitation_url)
    signup_url = re.search(r'href="(/accounts/inscription/[^"]+)"', _page(page)).group(1)
    signup_url = signup_url.replace("&amp;", "&")

    client.post(signup_url, _signup_data(email="nouvelle@example.test"))
    assert not Membership.objects.filter(user__email="nouvelle@example.test").exists()
    link = _link(_only(smtp_inbox.deliver(), "nouvelle@example.test"), CONFIRM)
    response = client.get(link)

    assert response.url == invitation_url
    accepted = client.post(invitation_url)
    assert accepted.status_code == 302
    assert Membership.objects.filter(
        user__email="nouvelle@example.test", organisation=invitation.organisation
    ).exists()


def test_signup_with_a_registered_address_answers_the_same_and_tells_the_owner(smtp_inbox):
    owner = UserFactory(email="camille@example.test", first_name="Camille")
    new, taken = Client(), Client()

    for_new = new.post(reverse("accounts:signup"), _signup_data(email="personne@example.test"))
    for_taken = taken.post(
        reverse("accounts:signup"), _signup_data(email="Camille@Example.test", first_name="X")
    )

    assert (for_new.status_code, for_new.url) == (for_taken.status_code, for_taken.url)
    assert sorted(for_new.cookies) == sorted(for_taken.cookies)
    assert _same(new.get(for_new.url)) == _same(taken.get(for_taken.url))
    assert User.objects.filter(email="camille@example.test").count() == 1
    owner.refresh_from_db()
    assert owner.first_name == "Camille"  # nothing changed in the account
    message = _only(smtp_inbox.deliver(), "camille@example.test")
    assert _subject(message) == "[Locaux Communs] Tentative d'inscription avec votre adresse"
    text = text_of(message)
    assert "Vous avez déjà un compte avec cette adresse" in text
    assert f"{SITE}{reverse('accounts:login')}" in text
    assert f"{SITE}{reverse('accounts:password-reset')}" in text
    assert CONFIRM not in text  # no link that confirms or signs in
    assert owner.notifications.count() == 1


def test_a_repeated_signup_of_an_unconfirmed_account_gets_a_fresh_link(client, smtp_inbox):
    client.post(reverse("accounts:signup"), _signup_data())
    first = _link(_only(smtp_inbox.deliver(), "camille@example.test"), CONFIRM)
    smtp_inbox.clear()

    again = Client().post(
        reverse("accounts:signup"), _signup_data(password1=NEW_PASSWORD, password2=NEW_PASSWORD)
    )

    assert again.url == reverse("accounts:signup-sent")
    fresh = _link(_only(smtp_inbox.deliver(), "camille@example.test"), CONFIRM)
    assert fresh.startswith(CONFIRM)
    assert first.startswith(CONFIRM)
    user = User.objects.get()
    assert user.check_password(PASSWORD)  # the second sign-up changed nothing
    assert user.email_confirmed_at is None


@pytest.mark.parametrize("password", [PASSWORD, "pas-le-bon-mot-de-passe"])
def test_an_unconfirmed_account_cannot_sign_in(client, password):
    UserFactory(email="camille@example.test", password=PASSWORD, email_confirmed_at=None)

    response = client.post(
        reverse("accounts:login"), {"username": "camille@example.test", "password": password}
    )

    assert response.status_code == 200
    assert _signed_in(client) is None
    page = _page(response)
    if password == PASSWORD:  # only who knows the password learns why
        assert "Votre adresse électronique n’est pas encore confirmée" in page
        assert reverse("accounts:confirmation-resend") in page
    else:
        assert "n’est pas encore confirmée" not in page


def test_signing_in_sets_the_language_of_the_account(client):
    UserFactory(email="anglais@example.test", password=PASSWORD, language="en")

    response = client.post(
        reverse("accounts:login"), {"username": "anglais@example.test", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("accounts:profile"))
    assert '<html lang="en">' in _page(page)
    assert "Change my password" in _page(page)


def test_the_resend_form_answers_the_same_and_sends_only_to_an_unconfirmed_account(smtp_inbox):
    UserFactory(email="waiting@example.test", email_confirmed_at=None)
    UserFactory(email="confirmed@example.test")
    answers = []
    for address in ("waiting@example.test", "confirmed@example.test", "nobody@example.test"):
        client = Client()
        response = client.post(reverse("accounts:confirmation-resend"), {"email": address})
        answers.append((response.status_code, response.url, _same(client.get(response.url))))

    assert answers[0] == answers[1] == answers[2]
    inbox = smtp_inbox.deliver()
    assert _subject(_only(inbox, "waiting@example.test")) == (
        "[Locaux Communs] Confirmez votre adresse électronique"
    )
    assert inbox.to("confirmed@example.test") == []
    assert len(inbox.messages) == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("accounts:confirmation-resend", {"email": "x@example.test"}),
        ("accounts:password-reset", {"email": "x@example.test"}),
    ],
)
def test_the_forms_that_send_a_link_are_throttled(client, settings, name, data):
    for _ in range(5):
        assert client.post(reverse(name), data).status_code == 302

    response = client.post(reverse(name), data)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_used_tampered_or_expired_confirmation_link_is_refused_in_french(client, smtp_inbox):
    client.post(reverse("accounts:signup"), _signup_data())
    link = _link(_only(smtp_inbox.deliver(), "camille@example.test"), CONFIRM)

    tampered = Client().get(link[:-3] + "AAA/")
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        expired = Client().get(link)
    client.get(link)  # used
    client.post(reverse("accounts:logout"))
    used = client.get(link)

    assert tampered.status_code == 400
    assert "Ce lien n’est pas valide" in _page(tampered)
    assert expired.status_code == 400
    assert "Ce lien a expiré" in _page(expired)
    assert used.status_code == 400
    assert "Ce lien a déjà servi" in _page(used)
    assert _signed_in(client) is None  # a used link never signs in again


# --- Password reset --------------------------------------------------------------------------


def test_password_reset_by_the_link_of_the_message(client, smtp_inbox):
    user = UserFactory(email="camille@example.test", password=PASSWORD)

    response = client.post(reverse("accounts:password-reset"), {"email": "Camille@Example.test"})

    assert response.url == reverse("accounts:password-reset-done")
    message = _only(smtp_inbox.deliver(), "camille@example.test")
    assert _subject(message) == "[Locaux Communs] Choisir un nouveau mot de passe"
    text = text_of(message)
    assert "Ouvrez ce lien dans les 24 heures" in text
    assert "votre mot de passe reste le même" in text
    link = _link(message, RESET)
    form = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in _page(form)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Votre mot de passe est modifié" in _page(done)
    assert "Toutes les sessions ouvertes sur votre compte ont été fermées" in _page(done)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    notice = smtp_inbox.deliver().to("camille@example.test")[-1]
    assert _subject(notice) == "[Locaux Communs] Votre mot de passe a été modifié"
    assert "Si ce n'est pas vous, choisissez tout de suite un nouveau mot de passe" in text_of(
        notice
    )


def test_password_reset_answers_the_same_for_an_unknown_address(smtp_inbox):
    UserFactory(email="camille@example.test")
    answers = []
    for address in ("camille@example.test", "personne@example.test"):
        client = Client()
        response = client.post(reverse("accounts:password-reset"), {"email": address})
        answers.append((response.status_code, response.url, _same(client.get(response.url))))

    assert answers[0] == answers[1]
    assert "Si un compte utilise cette adresse" in answers[0][2]
    inbox = smtp_inbox.deliver()
    assert inbox.to("personne@example.test") == []
    assert len(inbox.messages) == 1


def test_a_reset_ends_the_other_sessions(smtp_inbox):
    user = UserFactory(email="camille@example.test", password=PASSWORD)
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get(reverse("accounts:profile")).status_code == 200
    client = Client()
    client.post(reverse("accounts:password-reset"), {"email": user.email})
    link = _link(_only(smtp_inbox.deliver(), user.email), RESET)
    form = client.get(link, follow=True)

    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert elsewhere.get(reverse("accounts:profile")).status_code == 302


def test_a_used_tampered_or_expired_reset_link_is_refused_in_french(smtp_inbox):
    user = UserFactory(email="camille@example.test", password=PASSWORD)
    Client().post(reverse("accounts:password-reset"), {"email": user.email})
    link = _link(_only(smtp_inbox.deliver(), user.email), RESET)
    first = Client()
    form = first.get(link, follow=True)
    first.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    used = Client().get(link, follow=True)
    tampered = Client().get(link[:-4] + "zzz/", follow=True)
    Client().post(reverse("accounts:password-reset"), {"email": user.email})
    fresh = _link(smtp_inbox.deliver().to(user.email)[-1], RESET)
    # Django's reset token counts naive local time: a margin past the day, whatever the offset.
    with time_machine.travel(timezone.now() + timedelta(hours=26)):
        expired = Client().get(fresh, follow=True)

    for response in (used, tampered, expired):
        assert response.status_code == 200
        assert "Ce lien ne peut pas être utilisé" in _page(response)
        assert "Ce lien de changement de mot de passe n’est pas valable" in _page(response)


def test_the_squatter_cannot_keep_the_address_of_its_owner(smtp_inbox):
    """The squatter signs up with the owner's address and cannot sign in; the owner resets the
    password through the address, which confirms it: the account is theirs."""
    squatter = Client()
    squatter.post(reverse("accounts:signup"), _signup_data(email="maire@example.test"))
    refused = squatter.post(
        reverse("accounts:login"), {"username": "maire@example.test", "password": PASSWORD}
    )
    assert _signed_in(squatter) is None
    assert "n’est pas encore confirmée" in _page(refused)
    smtp_inbox.deliver()
    smtp_inbox.clear()

    owner = Client()
    owner.post(reverse("accounts:password-reset"), {"email": "maire@example.test"})
    link = _link(_only(smtp_inbox.deliver(), "maire@example.test"), RESET)
    form = owner.get(link, follow=True)
    owner.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    account = User.objects.get(email="maire@example.test")
    assert account.email_confirmed_at is not None
    assert (
        owner.post(
            reverse("accounts:login"), {"username": "maire@example.test", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )
    assert _signed_in(owner) == account.pk
    Client().post(reverse("accounts:logout"))
    retry = Client()
    retry.post(reverse("accounts:login"), {"username": "maire@example.test", "password": PASSWORD})
    assert _signed_in(retry) is None


# --- Password change -------------------------------------------------------------------------


def test_password_change_keeps_this_session_and_tells_the_account(client, smtp_inbox):
    user = UserFactory(email="camille@example.test", password=PASSWORD)
    client.force_login(user)
    elsewhere = Client()
    elsewhere.force_login(user)

    wrong = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "pas-le-bon",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 200
    assert smtp_inbox.deliver().messages == []

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "Votre mot de passe est modifié" in _page(response)
    assert _signed_in(client) == user.pk
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    message = _only(smtp_inbox.deliver(), "camille@example.test")
    assert _subject(message) == "[Locaux Communs] Votre mot de passe a été modifié"
    assert "Si c'est vous, vous n'avez rien à faire." in text_of(message)


def test_the_profile_links_to_the_password_and_address_changes(client, outsider):
    client.force_login(outsider)

    page = _page(client.get(reverse("accounts:profile")))

    assert f'href="{reverse("accounts:password-change")}"' in page
    assert f'href="{reverse("accounts:email-change")}"' in page
    assert "Changer mon mot de passe" in page


# --- Change of e-mail address ----------------------------------------------------------------


def _ask_change(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("accounts:email-change"), {"email": email, "password": password})


def test_email_change_is_confirmed_on_the_new_address_and_told_to_the_old(client, smtp_inbox):
    user = UserFactory(email="ancienne@example.test", password=PASSWORD)
    client.force_login(user)

    response = _ask_change(client, "Nouvelle@Example.test")

    assert response.url == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.email == "ancienne@example.test"  # nothing changes before the link is opened
    inbox = smtp_inbox.deliver()
    message = _only(inbox, "nouvelle@example.test")
    assert _subject(message) == "[Locaux Communs] Confirmez votre nouvelle adresse électronique"
    assert "ouvrez ce lien dans les 3 jours" in text_of(message)
    assert inbox.to("ancienne@example.test") == []
    link = _link(message, CHANGE)

    phone = Client()  # opened anywhere: the link is the credential
    page = phone.get(link)
    assert "Votre compte utilisera nouvelle@example.test au lieu de ancienne@example.test" in (
        _page(page)
    )
    user.refresh_from_db()
    assert user.email == "ancienne@example.test"  # a GET (a mail scanner) changes nothing
    done = phone.post(link)

    assert done.status_code == 200
    assert "Votre compte utilise désormais nouvelle@example.test" in _page(done)
    user.refresh_from_db()
    assert (user.email, user.email_confirmed_at is not None) == ("nouvelle@example.test", True)
    notice = _only(smtp_inbox.deliver(), "ancienne@example.test")
    assert _subject(notice) == "[Locaux Communs] L'adresse de votre compte a été modifiée"
    assert "n•••••@example.test" in text_of(notice)
    replay = phone.post(link)
    assert replay.status_code == 400
    assert "Ce lien a déjà servi" in _page(replay)


def test_email_change_asks_for_the_current_password(client, smtp_inbox):
    user = UserFactory(email="ancienne@example.test", password=PASSWORD)
    client.force_login(user)

    response = _ask_change(client, "nouvelle@example.test", password="pas-le-bon")

    assert response.status_code == 200
    assert "Le mot de passe n’est pas correct." in _page(response)
    assert smtp_inbox.deliver().messages == []


def test_email_change_never_tells_that_the_address_has_an_account(smtp_inbox):
    owner = UserFactory(email="prise@example.test")
    asking = []
    for address in ("prise@example.test", "libre@example.test"):
        client = Client()
        client.force_login(UserFactory(password=PASSWORD))
        response = _ask_change(client, address)
        asking.append((response.status_code, response.url, client.get(response.url)))

    assert asking[0][:2] == asking[1][:2]
    assert "Un lien a été envoyé à prise@example.test." in _page(asking[0][2])
    assert "Un lien a été envoyé à libre@example.test." in _page(asking[1][2])
    inbox = smtp_inbox.deliver()
    message = _only(inbox, "prise@example.test")
    assert _subject(message) == (
        "[Locaux Communs] Votre adresse a été proposée pour un autre compte"
    )
    assert "rien n'a changé" in text_of(message)
    assert SITE + CHANGE not in text_of(message)  # nothing to act on
    assert owner.notifications.count() == 1
    owner.refresh_from_db()
    assert owner.email == "prise@example.test"


def test_an_address_taken_before_the_link_is_opened_gets_a_clear_message(client, smtp_inbox):
    user = UserFactory(email="ancienne@example.test", password=PASSWORD)
    client.force_login(user)
    _ask_change(client, "nouvelle@example.test")
    link = _link(_only(smtp_inbox.deliver(), "nouvelle@example.test"), CHANGE)
    UserFactory(email="nouvelle@example.test")

    response = client.post(link)

    assert response.status_code == 409
    assert "Un autre compte utilise désormais nouvelle@example.test" in _page(response)
    user.refresh_from_db()
    assert user.email == "ancienne@example.test"


def test_a_tampered_or_expired_change_link_is_refused_in_french(client, smtp_inbox):
    user = UserFactory(email="ancienne@example.test", password=PASSWORD)
    client.force_login(user)
    _ask_change(client, "nouvelle@example.test")
    link = _link(_only(smtp_inbox.deliver(), "nouvelle@example.test"), CHANGE)

    tampered = client.post(link[:-3] + "AAA/")
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        expired = client.post(link)

    assert tampered.status_code == expired.status_code == 400
    assert "Ce lien n’est pas valide" in _page(tampered)
    assert "Ce lien a expiré" in _page(expired)
    user.refresh_from_db()
    assert user.email == "ancienne@example.test"


def test_password_and_address_changes_are_throttled_per_account(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "account_change": "2/hour"}
    client.force_login(UserFactory(password=PASSWORD))
    for _ in range(2):
        assert _ask_change(client, "x@example.test", password="faux").status_code == 200

    assert _ask_change(client, "x@example.test").status_code == 429
    response = client.post(reverse("accounts:password-change"), {"old_password": "faux"})
    assert response.status_code == 429


def test_the_new_pages_are_french(client):
    for name in (
        "accounts:signup-sent",
        "accounts:confirmation-resend",
        "accounts:password-reset",
        "accounts:password-reset-done",
        "accounts:password-reset-complete",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert '<html lang="fr">' in _page(response)
    assert "Mot de passe oublié ?" in _page(client.get(reverse("accounts:login")))
    assert urlsplit(reverse("accounts:password-reset")).path.startswith("/accounts/")


def test_a_reset_link_of_an_account_deactivated_since_is_refused(smtp_inbox):
    user = UserFactory(email="camille@example.test", password=PASSWORD)
    client = Client()
    client.post(reverse("accounts:password-reset"), {"email": user.email})
    link = _link(_only(smtp_inbox.deliver(), user.email), RESET)
    form = client.get(link, follow=True)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert "Ce lien n’est plus valable : demandez-en un nouveau." in _page(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
