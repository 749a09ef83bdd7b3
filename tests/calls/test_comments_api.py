"""An application's conversation through the API (`/api/v1/applications/<id>/messages/`):
both sides read and write, a draft, a reviewer who does not decide and anyone else get 404
(403 without a session), the other side is e-mailed, hostile bodies get a French 400 naming
the field, the list's queries do not grow with it.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.models import ApplicationComment
from calls.services import application_comment_post
from tests.calls.conftest import complete_draft, member_of_new_structure

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def _url(application) -> str:
    return reverse("api:application-comment-list", args=[application.pk])


def _post(client, user, application, body):
    client.force_login(user)
    return client.post(_url(application), body, content_type="application/json")


def test_the_applicant_posts_and_gets_the_message_back(client, application, applicant):
    response = _post(client, applicant, application, {"body": "Le local est-il accessible ?"})

    assert response.status_code == 201
    comment = ApplicationComment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "author": str(applicant),
        "side": "requester",
        "body": "Le local est-il accessible ?",
        "created_at": "2027-01-04T09:00:00+01:00",
    }


def test_both_sides_read_the_conversation_oldest_first(client, application, applicant, manager):
    application_comment_post(application=application, actor=applicant, body="Question")
    application_comment_post(application=application, actor=manager, body="Réponse")

    for user in (applicant, manager):
        client.force_login(user)
        page = client.get(_url(application)).json()
        assert [(row["side"], row["body"]) for row in page["results"]] == [
            ("requester", "Question"),
            ("manager", "Réponse"),
        ]


def test_the_managers_post_is_emailed_to_the_applicant(
    client, application, applicant, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, manager, application, {"body": "Quels horaires ?"})

    assert response.json()["side"] == "manager"
    assert [mail.to for mail in mailoutbox] == [[applicant.email]]
    assert "Quels horaires ?" in mailoutbox[0].body


def test_another_structure_and_a_reviewer_get_404_on_read_and_write(
    client, application, applicant, reviewer
):
    application_comment_post(application=application, actor=applicant, body="Confidentiel")
    _structure, other = member_of_new_structure("Repair Café", "repair@example.test")

    for user in (other, reviewer):
        client.force_login(user)
        read = client.get(_url(application))
        written = client.post(
            _url(application), {"body": "Bonjour"}, content_type="application/json"
        )
        assert (read.status_code, written.status_code) == (404, 404)
        assert "Confidentiel" not in read.content.decode()
    assert ApplicationComment.objects.count() == 1


def test_a_draft_has_no_conversation_in_the_api(client, call, association, applicant, manager):
    draft = complete_draft(call=call, structure=association, actor=applicant)

    for user in (applicant, manager):
        client.force_login(user)
        assert client.get(_url(draft)).status_code == 404
        assert _post(client, user, draft, {"body": "Bonjour"}).status_code == 404
    assert not ApplicationComment.objects.exists()


def test_without_a_session_the_api_answers_403(client, application):
    read = client.get(_url(application))
    written = client.post(_url(application), {"body": "Bonjour"}, content_type="application/json")

    assert (read.status_code, written.status_code) == (403, 403)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"body": " \n "}, "Écrivez votre message."),
        ({"body": "Bon\x00jour"}, "Ce champ ne peut pas contenir de caractère de contrôle."),
        (
            {"body": "a" * 5001},
            "Un message compte au plus 5\xa0000 caractères ; celui-ci en compte 5\xa0001. "
            "Raccourcissez-le ou envoyez-le en deux fois.",
        ),
        ({}, "Ce champ est obligatoire."),
    ],
)
def test_a_hostile_body_is_a_400_naming_the_field(client, application, applicant, body, error):
    response = _post(client, applicant, application, body)

    assert response.status_code == 400
    assert list(response.json()) == ["body"]
    assert error in response.json()["body"]
    assert not ApplicationComment.objects.exists()


def test_the_list_answers_in_the_same_queries_for_1_and_50_messages(
    client, application, applicant, manager
):
    application_comment_post(application=application, actor=applicant, body="Message 0")
    client.force_login(manager)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(_url(application)).json()["results"]) == 1
    ApplicationComment.objects.bulk_create(
        ApplicationComment(
            application=application, author=applicant, side="requester", body=f"M {n}"
        )
        for n in range(49)
    )

    with CaptureQueriesContext(connection) as fifty:
        assert len(client.get(_url(application)).json()["results"]) == 50

    assert len(fifty.captured_queries) == len(one.captured_queries)
