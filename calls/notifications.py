"""E-mails about calls for applications, in French, sent once the transaction that caused them
commits."""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from calls.models import Application
from core.mail import mail_send

SUBJECTS = {
    "decided": "Décision",
}


def on_commit(application: Application, event: str) -> None:
    """Send the e-mail for `event` after commit; nothing leaves if the transaction rolls back."""
    application_id = application.pk
    # robust: whatever fails after commit is logged; the decision is saved and the request
    # must say so (delivery errors are logged by core.mail with what the mail was about).
    transaction.on_commit(lambda: send(application_id, event), robust=True)


def send(application_id: int, event: str) -> None:
    """E-mail the applicant who submitted the application."""
    application = Application.objects.select_related("call", "structure", "submitted_by").get(
        pk=application_id
    )
    # E-mails are in French, whatever language the person who triggered them was using.
    with translation.override("fr"):
        body = render_to_string(f"emails/application_{event}.txt", {"application": application})
    mail_send(
        subject=f"[Locaux Communs] {SUBJECTS[event]} — {application.call.title}",
        body=body,
        recipients=[application.submitted_by.email],
        about=f"application {application.pk}, {event}",
    )
