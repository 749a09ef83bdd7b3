"""E-mails about calls for applications, in French, written to the outbox in the transaction
that causes them (core/mail.py): they leave after commit, and only if it commits."""

from django.template.loader import render_to_string
from django.utils import translation

from calls.models import Application
from core.mail import mail_send

SUBJECTS = {
    "decided": "Décision",
}


def notify(application: Application, event: str) -> None:
    """Queue the e-mail to the applicant who submitted the application. Call it in the
    transaction of the change it reports."""
    application = Application.objects.select_related("call", "structure", "submitted_by").get(
        pk=application.pk
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
