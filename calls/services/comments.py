"""Talking on an application: a message from the applicant structure or from the people who
decide on the call's applications, kept with the application, the other side told by e-mail
and in their notifications. The sibling of bookings.services.comments, with its rules."""

from django.db import transaction

from accounts.actors import Actor
from bookings.services.comments import comment_body_checked
from calls import notifications
from calls.models import COMMENTS_PER_APPLICATION, Application, ApplicationComment
from calls.permissions import application_comment_side


@transaction.atomic
def application_comment_post(
    *, application: Application, actor: Actor, body: str
) -> ApplicationComment:
    """Write `actor`'s message `body` in the conversation of `application` and tell the other
    side (calls.notifications.application_comment_notify; the e-mails leave after the commit).

    Only the applicant structure's members and those who decide on the call's applications
    write there, once the application was sent (`permissions.application_comment_side`):
    anyone else, a reviewer who does not decide included, gets PermissionDenied (404). Any
    status after the draft allows a message: a refused applicant may ask why.
    Raises ValidationError on `body` (empty, over COMMENT_MAX_LENGTH characters, a control
    character) and when the conversation holds COMMENTS_PER_APPLICATION messages already."""
    side = application_comment_side(actor=actor, application=application)
    text = comment_body_checked(
        body,
        thread_size=ApplicationComment.objects.filter(application=application).count(),
        limit=COMMENTS_PER_APPLICATION,
    )
    comment = ApplicationComment.objects.create(
        application=application, author=actor, side=side, body=text
    )
    notifications.application_comment_notify(comment)
    return comment
