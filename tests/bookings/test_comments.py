"""Talking on a request: the requesting structure and the people who decide exchange messages
on a booking, kept with it, read by both sides only; each new message is e-mailed to the other
side. Hostile text is refused with a French reason and writes nothing.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris; the booking asks for Tuesday
12 January, 18:00–20:00 (pending: the space needs approval).
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.actors import PLATFORM
from accounts.models import Notification
from bookings.models import COMMENTS_PER_BOOKING, BookingComment, CommentSide
from bookings.services import booking_comment_post
from tests.factories import MembershipFactory, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

EMPTY_ERROR = "Écrivez votre message."
CONTROL_ERROR = "Ce champ ne peut pas contenir de caractère de contrôle."


@pytest.fixture
def booking(space, requester, facilities_manager):
    return booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        purpose="Assemblée générale",
    )


def _post(booking, actor, body="Pouvons-nous arriver à 17 h 30 pour installer ?"):
    return booking_comment_post(booking=booking, actor=actor, body=body)


def _errors(call) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict["body"]


def _page(client, user, booking):
    client.force_login(user)
    return client.get(reverse("bookings:booking-detail", args=[booking.pk]))


# --- Both sides write and read ---


def test_the_requester_writes_as_the_requesting_structure(booking, requester):
    comment = _post(booking, requester)

    assert (comment.side, comment.author, comment.booking) == (
        CommentSide.REQUESTER,
        requester,
        booking,
    )


def test_a_manager_of_the_site_writes_as_manager(booking, facilities_manager):
    assert _post(booking, facilities_manager).side == CommentSide.MANAGER


def test_the_owners_staff_and_the_intercommunality_write_as_managers(
    booking, commune_staff, territory_admin
):
    sides = [_post(booking, user).side for user in (commune_staff, territory_admin)]

    assert sides == [CommentSide.MANAGER, CommentSide.MANAGER]


def test_a_manager_who_is_a_member_of_the_structure_writes_as_its_member(
    booking, facilities_manager, organisation
):
    MembershipFactory(organisation=organisation, user=facilities_manager)

    assert _post(booking, facilities_manager).side == CommentSide.REQUESTER


def test_both_sides_read_the_conversation_oldest_first_on_the_booking_page(
    client, booking, requester, facilities_manager
):
    _post(booking, requester, "Pouvons-nous arriver à 17 h 30 ?")
    _post(booking, facilities_manager, "Oui, le gardien ouvre à 17 h.")

    pages = [_page(client, user, booking) for user in (requester, facilities_manager)]

    for page in pages:
        text = page.content.decode()
        assert page.status_code == 200
        assert text.index("arriver à 17 h 30") < text.index("le gardien ouvre à 17 h")
        assert "Structure demandeuse · Les Amis du Vélo" in text
        assert "Gestionnaire" in text


def test_the_booking_page_says_when_nobody_wrote_yet(client, booking, requester):
    text = _page(client, requester, booking).content.decode()

    assert "Aucun message pour l’instant." in text
    assert 'id="id_comment_body"' in text


def test_a_message_may_be_written_after_the_decision(booking, requester, facilities_manager):
    from bookings.services import booking_refuse

    booking_refuse(booking=booking, actor=facilities_manager, reason="Salle en travaux")

    assert _post(booking, requester, "Quand les travaux finissent-ils ?").pk


# --- Nobody else ---


def test_a_member_of_another_structure_may_not_write(booking, other_requester):
    with pytest.raises(PermissionDenied):
        _post(booking, other_requester)

    assert not BookingComment.objects.exists()


def test_the_staff_of_another_commune_may_not_write(booking, other_commune_staff):
    with pytest.raises(PermissionDenied):
        _post(booking, other_commune_staff)


def test_the_platform_does_not_write(booking):
    with pytest.raises(PermissionDenied):
        _post(booking, PLATFORM)


def test_another_structures_member_gets_404_on_the_page_and_the_form(
    client, booking, requester, other_requester
):
    _post(booking, requester, "Message confidentiel")
    client.force_login(other_requester)

    page = client.get(reverse("bookings:booking-detail", args=[booking.pk]))
    posted = client.post(
        reverse("bookings:booking-comment-create", args=[booking.pk]), {"body": "Bonjour"}
    )

    assert (page.status_code, posted.status_code) == (404, 404)
    assert BookingComment.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, booking):
    response = client.post(
        reverse("bookings:booking-comment-create", args=[booking.pk]), {"body": "Bonjour"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not BookingComment.objects.exists()


# --- The other side is told ---


def test_the_requesters_message_is_emailed_to_the_people_who_decide(
    booking, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(booking, requester, "Pouvons-nous arriver à 17 h 30 ?")

    assert [mail.to for mail in mailoutbox] == [[facilities_manager.email]]
    mail = mailoutbox[0]
    assert mail.subject == ("[Locaux Communs] Nouveau message — Assemblée générale (Salle Usinor)")
    assert "pour Les Amis du Vélo, a écrit un message sur la demande" in mail.body
    assert "Pouvons-nous arriver à 17 h 30 ?" in mail.body
    assert f"/reservations/{booking.pk}/#messages" in mail.body
    assert "une réponse à cet e-mail ne serait pas lue" in mail.body


def test_the_managers_message_is_emailed_to_the_requester_and_listed_in_their_notifications(
    booking, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(booking, facilities_manager, "Le gardien ouvre à 17 h.")

    assert [mail.to for mail in mailoutbox] == [[requester.email]]
    assert "gestionnaire, a écrit un message" in mailoutbox[0].body
    notification = Notification.objects.get(user=requester, topic="booking_comment")
    assert notification.link == f"/reservations/{booking.pk}/#messages"
    assert "Le gardien ouvre à 17 h." in notification.body


def test_whoever_answered_for_the_managers_hears_the_reply(
    booking,
    requester,
    facilities_manager,
    territory_admin,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    _post(booking, territory_admin, "L’intercommunalité vous répond.")

    with django_capture_on_commit_callbacks(execute=True):
        _post(booking, requester, "Merci !")

    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [facilities_manager.email, territory_admin.email]
    )


def test_the_author_is_not_told_of_their_own_message(
    booking, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    _post(booking, requester, "Première question")

    with django_capture_on_commit_callbacks(execute=True):
        _post(booking, facilities_manager, "Réponse")

    assert [mail.to for mail in mailoutbox] == [[requester.email]]


def test_a_refused_message_sends_nothing(
    booking, requester, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _errors(lambda: _post(booking, requester, "   "))

    assert mailoutbox == []
    assert not Notification.objects.filter(topic="booking_comment").exists()


# --- Hostile input ---


@pytest.mark.parametrize("body", ["", "   ", "\r\n\t\n", None])
def test_an_empty_message_is_refused(booking, requester, body):
    assert _errors(lambda: _post(booking, requester, body)) == [EMPTY_ERROR]


def test_a_message_over_5000_characters_is_refused_with_its_length(booking, requester):
    errors = _errors(lambda: _post(booking, requester, "a" * 5001))

    assert errors == [
        "Un message compte au plus 5\xa0000 caractères ; celui-ci en compte 5\xa0001. "
        "Raccourcissez-le ou envoyez-le en deux fois."
    ]
    assert not BookingComment.objects.exists()


def test_a_message_of_5000_characters_is_kept_whole(booking, requester):
    assert len(_post(booking, requester, "a" * 5000).body) == 5000


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x85", "\u2028"])
def test_a_control_character_is_refused(booking, requester, character):
    assert _errors(lambda: _post(booking, requester, f"Bon{character}jour")) == [CONTROL_ERROR]


def test_line_breaks_are_kept_as_lf(booking, requester):
    assert _post(booking, requester, "Ligne 1\r\nLigne 2\rLigne 3\n").body == (
        "Ligne 1\nLigne 2\nLigne 3"
    )


def test_html_in_a_message_is_shown_as_text(client, booking, requester, facilities_manager):
    _post(booking, requester, '<script>alert("x")</script> =HYPERLINK("http://x")')

    text = _page(client, facilities_manager, booking).content.decode()

    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text


def test_the_conversation_closes_at_its_limit(booking, requester):
    BookingComment.objects.bulk_create(
        BookingComment(booking=booking, author=requester, side=CommentSide.REQUESTER, body="x")
        for _ in range(COMMENTS_PER_BOOKING)
    )

    errors = _errors(lambda: _post(booking, requester))

    assert errors == [
        "Cet échange a atteint 500 messages : poursuivez-le par e-mail ou par téléphone."
    ]


# --- The page's form ---


def test_the_form_sends_the_message_and_returns_to_the_conversation(client, booking, requester):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-comment-create", args=[booking.pk]),
        {"body": "Bonjour,\r\nune question."},
        follow=True,
    )

    assert response.redirect_chain == [(f"/reservations/{booking.pk}/#messages", 302)]
    assert "Votre message est envoyé" in response.content.decode()
    assert BookingComment.objects.get().body == "Bonjour,\nune question."


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("  ", EMPTY_ERROR),
        ("Bonjour\x00", CONTROL_ERROR),
        ("a" * 5001, "Un message compte au plus 5\xa0000 caractères"),
    ],
)
def test_the_form_shows_the_error_on_its_field(client, booking, requester, body, error):
    client.force_login(requester)

    response = client.post(
        reverse("bookings:booking-comment-create", args=[booking.pk]), {"body": body}
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert error in " ".join(response.context["comment_form"].errors["body"])
    assert 'aria-invalid="true"' in text
    assert 'href="#id_comment_body"' in text
    assert not BookingComment.objects.exists()


def test_the_page_reads_the_conversation_in_one_query(
    client, booking, requester, facilities_manager, django_assert_num_queries
):
    _post(booking, requester, "Premier message")
    client.force_login(facilities_manager)
    url = reverse("bookings:booking-detail", args=[booking.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(30):
        _post(booking, requester if index % 2 else facilities_manager, f"Message {index}")

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)

    assert response.content.decode().count('class="comment comment-') == 31
