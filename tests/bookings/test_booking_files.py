"""Documents on a booking (issue 16): the other side is told when one is attached, and the
requesting structure may remove a wrong one while its request awaits the decision. Attaching
itself (what is accepted, who may) is in tests/bookings/test_conditions.py."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.exceptions import DecisionNotAllowed
from bookings.models import BookingFile, BookingStatus
from bookings.services import (
    booking_approve,
    booking_file_attach,
    booking_file_remove,
    space_conditions_set,
)
from tests.factories import PDF_BYTES, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def booking(space, requester, facilities_manager, commune_staff):
    space_conditions_set(space=space, actor=commune_staff, house_rules="", insurance_required=True)
    return booking_request_for(
        space=space,
        requested_by=requester,
        start=paris(2027, 1, 12, 18),
        end=paris(2027, 1, 12, 20),
    )


def _pdf(name: str = "attestation.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def test_the_certificate_attached_tells_the_people_who_decide_that_nothing_is_missing(
    booking, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_file_attach(booking=booking, actor=requester, upload=_pdf())

    assert [mail.to for mail in mailoutbox] == [[facilities_manager.email]]
    mail = mailoutbox[0]
    assert mail.subject.startswith("[Locaux Communs] Document joint — ")
    assert "a joint l'attestation d'assurance de l'événement à la demande" in mail.body
    assert "Rien ne manque plus : la demande peut être acceptée ou refusée." in mail.body
    assert f"/reservations/{booking.pk}/" in mail.body


def test_a_document_a_manager_attaches_is_told_to_the_requester(
    booking, requester, facilities_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_file_attach(booking=booking, actor=facilities_manager, upload=_pdf())

    assert [mail.to for mail in mailoutbox] == [[requester.email]]


def test_the_requester_removes_a_wrong_document_and_the_deciders_are_told(
    booking,
    requester,
    facilities_manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf("mauvais.pdf"))
    stored, storage = row.file.name, row.file.storage
    assert storage.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        booking_file_remove(booking_file=row, actor=requester)

    assert not BookingFile.objects.exists()
    assert not storage.exists(stored)
    entry = booking.log.order_by("pk").last()
    assert (entry.from_status, entry.to_status, entry.actor) == ("pending", "pending", requester)
    assert entry.reason == "Document retiré : attestation d'assurance de l'événement."
    assert [mail.to for mail in mailoutbox] == [[facilities_manager.email]]
    assert "a retiré l'attestation d'assurance de l'événement" in mailoutbox[0].body
    assert "l'attestation d'assurance pour l'événement manque" in mailoutbox[0].body


def test_a_manager_does_not_remove_the_requesters_documents(booking, requester, facilities_manager):
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf())

    with pytest.raises(DecisionNotAllowed):
        booking_file_remove(booking_file=row, actor=facilities_manager)

    assert BookingFile.objects.filter(pk=row.pk).exists()


def test_once_decided_the_documents_are_kept(booking, requester, facilities_manager):
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf())
    booking_approve(booking=booking, actor=facilities_manager)

    with pytest.raises(ValidationError) as refused:
        booking_file_remove(booking_file=row, actor=requester)

    assert "documents sont conservés" in " ".join(refused.value.messages)
    assert BookingFile.objects.filter(pk=row.pk).exists()


def test_an_outsider_cannot_remove_a_document(booking, requester, outsider):
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf())

    with pytest.raises(PermissionDenied):
        booking_file_remove(booking_file=row, actor=outsider)


# --- The page and the API ---


def test_the_page_offers_removal_to_the_requester_only_while_pending(
    client, booking, requester, facilities_manager
):
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf())
    remove = reverse("bookings:booking-file-remove", args=[row.pk])

    client.force_login(facilities_manager)
    assert remove not in client.get(booking.get_absolute_url()).content.decode()
    client.force_login(requester)
    assert remove in client.get(booking.get_absolute_url()).content.decode()

    response = client.post(remove, follow=True)

    assert response.redirect_chain[-1][0] == booking.get_absolute_url()
    assert "Le document est retiré de la demande." in response.content.decode()
    assert not BookingFile.objects.exists()


def test_the_page_explains_why_a_manager_cannot_remove(
    client, booking, requester, facilities_manager
):
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf())
    client.force_login(facilities_manager)

    response = client.post(reverse("bookings:booking-file-remove", args=[row.pk]), follow=True)

    assert "Seule la structure demandeuse retire les documents" in response.content.decode()
    assert BookingFile.objects.exists()


def test_the_api_removes_a_document_and_answers_404_to_others(
    client, booking, requester, facilities_manager, outsider
):
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf())
    url = reverse("api:booking-file-detail", args=[row.pk])

    client.force_login(outsider)
    assert client.delete(url).status_code == 404
    client.force_login(facilities_manager)
    assert client.delete(url).status_code == 403
    client.force_login(requester)
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404
    assert booking.status == BookingStatus.PENDING
