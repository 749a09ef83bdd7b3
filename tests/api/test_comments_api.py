"""A booking's conversation through the API (`/api/v1/bookings/<id>/messages/`): both sides
read and write, anyone else gets 404 (403 without a session), the other side is e-mailed,
hostile bodies get a French 400 naming the field, the list's queries do not grow with it.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import BookingComment
from bookings.services import booking_comment_post
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def other_requester(db):
    return MembershipFactory(
        organisation=VerifiedStructureFactory(name="Repair Café du Denaisis"),
        user=UserFactory(email="repair@example.test"),
    ).user


@pytest.fixture
def booking(space, requester, facilities_manager):
    return booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
        purpose="Assemblée générale",
    )


def _url(booking) -> str:
    return reverse("api:booking-comment-list", args=[booking.pk])


def _post(client, user, booking, body):
    client.force_login(user)
    return client.post(_url(booking), body, content_type="application/json")


def test_the_requester_posts_and_gets_the_message_back(client, booking, requester):
    response = _post(client, requester, booking, {"body": "Pouvons-nous arriver à 17 h 30 ?"})

    assert response.status_code == 201
    comment = BookingComment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "author": str(requester),
        "side": "requester",
        "body": "Pouvons-nous arriver à 17 h 30 ?",
        "created_at": "2027-01-04T09:00:00+01:00",
    }


def test_both_sides_read_the_conversation_oldest_first(
    client, booking, requester, facilities_manager
):
    booking_comment_post(booking=booking, actor=requester, body="Question")
    booking_comment_post(booking=booking, actor=facilities_manager, body="Réponse")

    for user in (requester, facilities_manager):
        client.force_login(user)
        page = client.get(_url(booking)).json()
        assert [(row["side"], row["body"]) for row in page["results"]] == [
            ("requester", "Question"),
            ("manager", "Réponse"),
        ]


def test_the_managers_post_is_emailed_to_the_requester(
    client,
    booking,
    requester,
    facilities_manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, facilities_manager, booking, {"body": "Le gardien ouvre à 17 h."})

    assert response.json()["side"] == "manager"
    assert [mail.to for mail in mailoutbox] == [[requester.email]]
    assert "Le gardien ouvre à 17 h." in mailoutbox[0].body


def test_another_structures_member_gets_404_on_read_and_write(
    client, booking, requester, other_requester
):
    booking_comment_post(booking=booking, actor=requester, body="Confidentiel")
    client.force_login(other_requester)

    read = client.get(_url(booking))
    written = client.post(_url(booking), {"body": "Bonjour"}, content_type="application/json")

    assert (read.status_code, written.status_code) == (404, 404)
    assert "Confidentiel" not in read.content.decode()
    assert BookingComment.objects.count() == 1


def test_without_a_session_the_api_answers_403(client, booking):
    read = client.get(_url(booking))
    written = client.post(_url(booking), {"body": "Bonjour"}, content_type="application/json")

    assert (read.status_code, written.status_code) == (403, 403)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"body": ""}, "Écrivez votre message."),
        ({"body": " \n "}, "Écrivez votre message."),
        ({"body": "Bon\x00jour"}, "Ce champ ne peut pas contenir de caractère de contrôle."),
        (
            {"body": "a" * 5001},
            "Un message compte au plus 5\xa0000 caractères ; celui-ci en compte 5\xa0001. "
            "Raccourcissez-le ou envoyez-le en deux fois.",
        ),
        ({}, "Ce champ est obligatoire."),
        ({"body": ["a"]}, "Chaîne de caractère invalide."),
    ],
)
def test_a_hostile_body_is_a_400_naming_the_field(client, booking, requester, body, error):
    response = _post(client, requester, booking, body)

    assert response.status_code == 400
    assert list(response.json()) == ["body"]
    assert error in response.json()["body"]
    assert not BookingComment.objects.exists()


def test_the_list_answers_in_the_same_queries_for_1_and_50_messages(
    client, booking, requester, facilities_manager
):
    booking_comment_post(booking=booking, actor=requester, body="Message 0")
    client.force_login(facilities_manager)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(_url(booking)).json()["results"]) == 1
    BookingComment.objects.bulk_create(
        BookingComment(booking=booking, author=requester, side="requester", body=f"M {n}")
        for n in range(49)
    )

    with CaptureQueriesContext(connection) as fifty:
        assert len(client.get(_url(booking)).json()["results"]) == 50

    assert len(fifty.captured_queries) == len(one.captured_queries)
