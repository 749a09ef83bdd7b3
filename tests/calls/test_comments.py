"""Talking on an application: the applicant structure and the people who decide on the call's
applications exchange messages on it, read by both sides only (not the reviewers who do not
decide: scoring stays on the published criteria and the application's file); each new message
is e-mailed to the other side. A draft has no conversation. Hostile text is refused with a
French reason and writes nothing.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris (tests/calls/conftest.py).
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.actors import PLATFORM
from accounts.models import Notification
from bookings.models import CommentSide
from calls import services
from calls.models import COMMENTS_PER_APPLICATION, ApplicationComment
from tests.calls.conftest import complete_draft, member_of_new_structure
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

EMPTY_ERROR = "Écrivez votre message."
CONTROL_ERROR = "Ce champ ne peut pas contenir de caractère de contrôle."


def _post(application, actor, body="Le local peut-il accueillir un atelier bruyant ?"):
    return services.application_comment_post(application=application, actor=actor, body=body)


def _errors(call) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict["body"]


def _page(client, user, application):
    client.force_login(user)
    return client.get(reverse("calls:application-detail", args=[application.pk]))


def _form_url(application) -> str:
    return reverse("calls:application-comment-create", args=[application.pk])


# --- Both sides write and read ---


def test_the_applicant_writes_as_the_requesting_structure(application, applicant):
    comment = _post(application, applicant)

    assert (comment.side, comment.author, comment.application) == (
        CommentSide.REQUESTER,
        applicant,
        application,
    )


def test_the_calls_manager_and_the_intercommunality_write_as_managers(
    application, manager, territory_admin
):
    assert [_post(application, user).side for user in (manager, territory_admin)] == [
        CommentSide.MANAGER,
        CommentSide.MANAGER,
    ]


def test_a_manager_who_is_a_member_of_the_applicant_writes_as_its_member(
    application, manager, association
):
    MembershipFactory(organisation=association, user=manager)

    assert _post(application, manager).side == CommentSide.REQUESTER


def test_both_sides_read_the_conversation_oldest_first_on_the_application_page(
    client, application, applicant, manager
):
    _post(application, applicant, "Le local peut-il accueillir un atelier ?")
    _post(application, manager, "Oui, le bureau 12 est isolé.")

    for user in (applicant, manager):
        page = _page(client, user, application)
        text = page.content.decode()
        assert page.status_code == 200
        assert text.index("accueillir un atelier") < text.index("le bureau 12 est isolé")
        assert "Structure demandeuse · Ressourcerie du Hainaut" in text
        assert 'id="id_comment_body"' in text


def test_the_page_says_when_nobody_wrote_yet(client, application, applicant):
    text = _page(client, applicant, application).content.decode()

    assert "Aucun message pour l’instant." in text
    assert "pas les évaluateurs" in text


def test_a_message_may_be_written_after_the_decision(application, applicant, manager):
    services.application_refuse(
        application=application, actor=manager, reason="Projet hors du périmètre de l'appel."
    )
    application.refresh_from_db()

    assert _post(application, applicant, "Pouvons-nous en parler ?").pk


def test_a_message_may_be_written_on_an_application_withdrawn_after_it_was_sent(
    application, applicant, manager
):
    services.application_withdraw(application=application, actor=applicant, reason="Autre local")
    application.refresh_from_db()

    assert _post(application, manager, "Bonne continuation.").side == CommentSide.MANAGER


# --- Nobody else, and no draft ---


def test_a_draft_has_no_conversation(client, call, association, applicant, manager):
    draft = complete_draft(call=call, structure=association, actor=applicant)

    for user in (applicant, manager):
        with pytest.raises(PermissionDenied):
            _post(draft, user)
    page = _page(client, applicant, draft)
    posted = client.post(_form_url(draft), {"body": "Bonjour"})

    assert page.status_code == 200
    assert 'id="messages"' not in page.content.decode()
    assert posted.status_code == 404
    assert not ApplicationComment.objects.exists()


def test_a_draft_withdrawn_unsent_has_no_conversation(call, association, applicant):
    draft = complete_draft(call=call, structure=association, actor=applicant)
    services.application_withdraw(application=draft, actor=applicant, reason="Erreur")
    draft.refresh_from_db()

    with pytest.raises(PermissionDenied):
        _post(draft, applicant)


def test_a_member_of_another_structure_may_not_write(application):
    _structure, other = member_of_new_structure("Repair Café", "repair@example.test")

    with pytest.raises(PermissionDenied):
        _post(application, other)
    assert not ApplicationComment.objects.exists()


def test_a_reviewer_who_does_not_decide_neither_reads_nor_writes(client, application, reviewer):
    _post(application, application.submitted_by, "Message entre les deux parties")

    with pytest.raises(PermissionDenied):
        _post(application, reviewer)
    page = _page(client, reviewer, application)
    posted = client.post(_form_url(application), {"body": "Bonjour"})

    assert page.status_code == 200  # the reviewer reads the file to score it
    assert 'id="messages"' not in page.content.decode()
    assert "Message entre les deux parties" not in page.content.decode()
    assert posted.status_code == 404
    assert ApplicationComment.objects.count() == 1


def test_the_platform_does_not_write(application):
    with pytest.raises(PermissionDenied):
        _post(application, PLATFORM)


def test_another_structures_member_gets_404_on_the_page_and_the_form(client, application):
    _structure, other = member_of_new_structure("Repair Café", "repair@example.test")

    page = _page(client, other, application)
    posted = client.post(_form_url(application), {"body": "Bonjour"})

    assert (page.status_code, posted.status_code) == (404, 404)
    assert not ApplicationComment.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, application):
    response = client.post(_form_url(application), {"body": "Bonjour"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not ApplicationComment.objects.exists()


# --- The other side is told ---


def test_the_applicants_message_is_emailed_to_the_calls_managers(
    application, applicant, manager, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(application, applicant, "Le local peut-il accueillir un atelier ?")

    assert [mail.to for mail in mailoutbox] == [[manager.email]]
    mail = mailoutbox[0]
    assert mail.subject == (
        "[Locaux Communs] Nouveau message — candidature Ressourcerie du Hainaut "
        "(Bureaux vacants aux Grands Bureaux)"
    )
    assert "pour Ressourcerie du Hainaut, a écrit un message sur la candidature" in mail.body
    assert "Le local peut-il accueillir un atelier ?" in mail.body
    assert f"/candidatures/{application.pk}/#messages" in mail.body
    assert "une réponse à cet e-mail ne serait pas lue" in mail.body


def test_the_managers_message_is_emailed_to_the_applicant_and_listed_in_their_notifications(
    application, applicant, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(application, manager, "Pouvez-vous préciser vos horaires ?")

    assert [mail.to for mail in mailoutbox] == [[applicant.email]]
    notification = Notification.objects.get(user=applicant, topic="application_comment")
    assert notification.link.endswith(f"/candidatures/{application.pk}/#messages")
    assert "Pouvez-vous préciser vos horaires ?" in notification.body


def test_whoever_answered_for_the_managers_hears_the_reply(
    application, applicant, manager, territory_admin, mailoutbox, django_capture_on_commit_callbacks
):
    _post(application, territory_admin, "L’intercommunalité vous répond.")

    with django_capture_on_commit_callbacks(execute=True):
        _post(application, applicant, "Merci !")

    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [manager.email, territory_admin.email]
    )


def test_the_author_is_not_told_of_their_own_message(
    application, applicant, manager, mailoutbox, django_capture_on_commit_callbacks
):
    _post(application, applicant, "Première question")

    with django_capture_on_commit_callbacks(execute=True):
        _post(application, manager, "Réponse")

    assert [mail.to for mail in mailoutbox] == [[applicant.email]]


def test_a_refused_message_sends_nothing(
    application, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _errors(lambda: _post(application, applicant, "   "))

    assert mailoutbox == []
    assert not Notification.objects.filter(topic="application_comment").exists()


# --- Hostile input: the booking conversation's rule (comment_body_checked, tested in full in
# tests/bookings/test_comments.py) holds here too ---


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (None, EMPTY_ERROR),
        ("\r\n\t\n", EMPTY_ERROR),
        ("Bon\x1bjour", CONTROL_ERROR),
        (
            "a" * 5001,
            "Un message compte au plus 5\xa0000 caractères ; celui-ci en compte 5\xa0001. "
            "Raccourcissez-le ou envoyez-le en deux fois.",
        ),
    ],
)
def test_a_bad_message_is_refused_and_nothing_is_kept(application, applicant, body, error):
    assert _errors(lambda: _post(application, applicant, body)) == [error]
    assert not ApplicationComment.objects.exists()


def test_html_in_a_message_is_shown_as_text(client, application, applicant, manager):
    _post(application, applicant, '<script>alert("x")</script>')

    text = _page(client, manager, application).content.decode()

    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text


def test_the_conversation_closes_at_its_limit(application, applicant):
    ApplicationComment.objects.bulk_create(
        ApplicationComment(
            application=application, author=applicant, side=CommentSide.REQUESTER, body="x"
        )
        for _ in range(COMMENTS_PER_APPLICATION)
    )

    assert _errors(lambda: _post(application, applicant)) == [
        "Cet échange a atteint 500 messages : poursuivez-le par e-mail ou par téléphone."
    ]


# --- The page's form ---


def test_the_form_sends_the_message_and_returns_to_the_conversation(client, application, applicant):
    client.force_login(applicant)

    response = client.post(
        _form_url(application), {"body": "Bonjour,\r\nune question."}, follow=True
    )

    assert response.redirect_chain == [(f"{application.get_absolute_url()}#messages", 302)]
    assert "Votre message est envoyé" in response.content.decode()
    assert ApplicationComment.objects.get().body == "Bonjour,\nune question."


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("  ", EMPTY_ERROR),
        ("Bonjour\x00", CONTROL_ERROR),
        ("a" * 5001, "Un message compte au plus 5\xa0000 caractères"),
    ],
)
def test_the_form_shows_the_error_on_its_field(client, application, applicant, body, error):
    client.force_login(applicant)

    response = client.post(_form_url(application), {"body": body})

    assert response.status_code == 400
    text = response.content.decode()
    assert error in " ".join(response.context["comment_form"].errors["body"])
    assert 'aria-invalid="true"' in text
    assert 'href="#id_comment_body"' in text
    assert not ApplicationComment.objects.exists()


def test_the_page_reads_the_conversation_in_one_query(
    client, application, applicant, manager, django_assert_num_queries
):
    _post(application, applicant, "Premier message")
    client.force_login(manager)
    url = application.get_absolute_url()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(30):
        _post(application, applicant if index % 2 else manager, f"Message {index}")

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)

    assert response.content.decode().count('class="comment comment-') == 31
