"""Questions per space and booking conditions (issue 16): the space's managers set the questions,
the house rules and the insurance requirement; a request's answers are checked and kept (with
the question's text as asked); approval waits for the insurance certificate; files are private.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.exceptions import ConditionsUnmet
from bookings.models import (
    Booking,
    BookingAnswer,
    BookingFile,
    BookingStatus,
    QuestionKind,
    RequestQuestion,
)
from bookings.rules import Period
from bookings.services import (
    BookingRequest,
    booking_approve,
    booking_file_attach,
    booking_request,
    request_question_delete,
    request_question_move,
    request_question_save,
    space_conditions_set,
)
from tests.factories import PDF_BYTES, MembershipFactory, StructureFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")
SLOT = Period(datetime(2027, 1, 12, 18, tzinfo=PARIS), datetime(2027, 1, 12, 20, tzinfo=PARIS))

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def requester(territory_admin):
    structure = StructureFactory(
        name="Les Amis du Vélo", verified_at=timezone.now(), verified_by=territory_admin
    )
    return MembershipFactory(organisation=structure, user=UserFactory(email="asso@x.test")).user


def _question(space, actor, **fields) -> RequestQuestion:
    values = {"text": "Alcool servi ?", "kind": QuestionKind.YES_NO, **fields}
    return request_question_save(question=RequestQuestion(space=space, **values), actor=actor)


def _request(space, requester, **extra) -> Booking:
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=requester.memberships.get().organisation,
            purpose="Fête de quartier",
            attendees=20,
            first=SLOT,
            **extra,
        ),
        requested_by=requester,
    )


def _pdf(name: str = "attestation.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


# --- The space's questions -----------------------------------------------------------------------


def test_request_question_save_appends_questions_in_order(space, commune_staff):
    first = _question(space, commune_staff)
    second = _question(space, commune_staff, text="Nombre de mineurs", kind=QuestionKind.NUMBER)

    assert [first.position, second.position] == [0, 1]


def test_request_question_move_swaps_two_questions(space, commune_staff):
    first = _question(space, commune_staff)
    second = _question(space, commune_staff, text="Public ou privé ?")

    assert request_question_move(question=second, actor=commune_staff, up=True) is True

    assert list(RequestQuestion.objects.filter(space=space)) == [second, first]


def test_request_question_save_refuses_another_communes_staff(space, other_commune_staff):
    with pytest.raises(PermissionDenied):
        _question(space, other_commune_staff)

    assert not RequestQuestion.objects.exists()


def test_request_question_save_needs_two_options_for_a_choice(space, commune_staff):
    with pytest.raises(ValidationError) as refused:
        _question(space, commune_staff, kind=QuestionKind.CHOICE, options="Seule")

    assert "options" in refused.value.message_dict


def test_request_question_save_refuses_control_characters(space, commune_staff):
    with pytest.raises(ValidationError) as refused:
        _question(space, commune_staff, text="Alcool\x00 ?")

    assert "text" in refused.value.message_dict


def test_request_question_save_refuses_a_huge_bound(space, commune_staff):
    with pytest.raises(ValidationError) as refused:
        _question(space, commune_staff, kind=QuestionKind.NUMBER, max_value=10**20)

    assert "max_value" in refused.value.message_dict


# --- A request's answers ---------------------------------------------------------------------


def test_booking_request_keeps_answers_with_the_question_as_asked(space, commune_staff, requester):
    alcohol = _question(space, commune_staff, required=True)
    minors = _question(
        space, commune_staff, text="Mineurs", kind=QuestionKind.NUMBER, min_value=0, max_value=50
    )
    kind = _question(
        space, commune_staff, text="Événement", kind=QuestionKind.CHOICE, options="Public\nPrivé"
    )

    booking = _request(
        space, requester, answers={alcohol.pk: False, minors.pk: "12", kind.pk: "Privé"}
    )
    alcohol.text = "Servez-vous de l'alcool ?"
    request_question_save(question=alcohol, actor=commune_staff)

    assert list(booking.answers.values_list("question_text", "value")) == [
        ("Alcool servi ?", "no"),
        ("Mineurs", "12"),
        ("Événement", "Privé"),
    ]


def test_booking_request_refuses_a_required_question_unanswered(space, commune_staff, requester):
    question = _question(space, commune_staff, required=True)

    with pytest.raises(ValidationError) as refused:
        _request(space, requester)

    assert refused.value.message_dict == {
        f"question_{question.pk}": ["Cette question demande une réponse."]
    }
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**20, "Ce nombre est beaucoup trop grand."),
        ("1e5", "Indiquez un nombre entier."),
        (51, "Indiquez un nombre entre 0 et 50."),
        (True, "Indiquez un nombre entier."),
    ],
)
def test_booking_request_refuses_a_bad_number(space, commune_staff, requester, value, message):
    question = _question(
        space, commune_staff, text="Mineurs", kind=QuestionKind.NUMBER, min_value=0, max_value=50
    )

    with pytest.raises(ValidationError) as refused:
        _request(space, requester, answers={question.pk: value})

    assert refused.value.message_dict == {f"question_{question.pk}": [message]}


def test_booking_request_refuses_control_characters_in_a_text(space, commune_staff, requester):
    question = _question(space, commune_staff, text="Traiteur", kind=QuestionKind.TEXT)

    with pytest.raises(ValidationError) as refused:
        _request(space, requester, answers={question.pk: "Chez\x07 Paul"})

    assert f"question_{question.pk}" in refused.value.message_dict
    assert not BookingAnswer.objects.exists()


def test_booking_request_refuses_a_question_of_another_space(space, commune_staff, requester):
    with pytest.raises(ValidationError) as refused:
        _request(space, requester, answers={999: "oui"})

    assert "answers" in refused.value.message_dict


def test_booking_request_needs_the_house_rules_accepted(space, commune_staff, requester):
    space_conditions_set(
        space=space,
        actor=commune_staff,
        house_rules="Rendre la salle propre.",
        insurance_required=False,
    )

    with pytest.raises(ValidationError) as refused:
        _request(space, requester)

    assert "house_rules_accepted" in refused.value.message_dict
    assert not Booking.objects.exists()


def test_booking_request_records_when_the_house_rules_were_accepted(
    space, commune_staff, requester, frozen_clock
):
    space_conditions_set(
        space=space,
        actor=commune_staff,
        house_rules="Rendre la salle propre.",
        insurance_required=False,
    )

    booking = _request(space, requester, house_rules_accepted=True)

    booking.refresh_from_db()
    assert booking.house_rules_accepted_at == frozen_clock


def test_space_conditions_set_refuses_another_communes_staff(space, other_commune_staff):
    with pytest.raises(PermissionDenied):
        space_conditions_set(
            space=space, actor=other_commune_staff, house_rules="Non", insurance_required=True
        )


# --- Files and approval --------------------------------------------------------------------


@pytest.fixture
def insured_space(space, commune_staff):
    return space_conditions_set(
        space=space, actor=commune_staff, house_rules="", insurance_required=True
    )


def test_booking_approve_waits_for_the_insurance_certificate(
    insured_space, commune_staff, requester
):
    booking = _request(insured_space, requester)

    with pytest.raises(ConditionsUnmet) as refused:
        booking_approve(booking=booking, actor=commune_staff)

    assert "attestation d'assurance" in refused.value.message()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_booking_approve_once_the_requester_attached_the_certificate(
    insured_space, commune_staff, requester
):
    booking = _request(insured_space, requester)
    booking_file_attach(booking=booking, actor=requester, upload=_pdf())

    assert booking_approve(booking=booking, actor=commune_staff) is True


def test_an_instant_space_still_waits_for_the_insurance_certificate(insured_space, requester):
    insured_space.instant_confirmation = True
    insured_space.save(update_fields=["instant_confirmation"])

    booking = _request(insured_space, requester)

    assert booking.status == BookingStatus.PENDING


def test_an_agent_booking_on_behalf_cannot_approve_before_the_certificate(
    insured_space, commune_staff, requester
):
    booking = booking_request(
        request=BookingRequest(
            space=insured_space,
            organisation=requester.memberships.get().organisation,
            purpose="Fête de quartier",
            attendees=20,
            first=SLOT,
            approve=True,
        ),
        requested_by=commune_staff,
    )

    assert booking.on_behalf
    assert booking.status == BookingStatus.PENDING


def test_an_instant_space_confirms_when_nothing_is_awaited(space, requester):
    space.instant_confirmation = True
    space.save(update_fields=["instant_confirmation"])

    assert _request(space, requester).status == BookingStatus.CONFIRMED


def test_booking_approve_waits_for_a_required_file_question(space, commune_staff, requester):
    _question(space, commune_staff, text="Plan de sécurité", kind=QuestionKind.FILE, required=True)
    booking = _request(space, requester)

    with pytest.raises(ConditionsUnmet) as refused:
        booking_approve(booking=booking, actor=commune_staff)

    assert "Plan de sécurité" in refused.value.message()


def test_booking_file_attach_refuses_a_file_that_is_not_a_pdf_or_image(insured_space, requester):
    booking = _request(insured_space, requester)
    fake = SimpleUploadedFile("attestation.pdf", b"MZ\x90\x00 not a pdf")

    with pytest.raises(ValidationError) as refused:
        booking_file_attach(booking=booking, actor=requester, upload=fake)

    assert refused.value.message_dict == {
        "file": ["Seuls les fichiers PDF, JPEG ou PNG sont acceptés."]
    }
    assert not BookingFile.objects.exists()


def test_booking_file_attach_refuses_a_huge_file(insured_space, requester):
    booking = _request(insured_space, requester)
    huge = SimpleUploadedFile("attestation.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024))

    with pytest.raises(ValidationError) as refused:
        booking_file_attach(booking=booking, actor=requester, upload=huge)

    assert refused.value.message_dict == {"file": [str(_("The file is larger than 10 MB."))]}


def test_booking_file_attach_refuses_an_outsider(insured_space, requester, outsider):
    booking = _request(insured_space, requester)

    with pytest.raises(PermissionDenied):
        booking_file_attach(booking=booking, actor=outsider, upload=_pdf())


def test_request_question_delete_keeps_past_answers(space, commune_staff, requester):
    question = _question(space, commune_staff)
    booking = _request(space, requester, answers={question.pk: "oui"})

    request_question_delete(question=question, actor=commune_staff)

    assert list(booking.answers.values_list("question_text", "value")) == [
        ("Alcool servi ?", "yes")
    ]


# --- Pages ---------------------------------------------------------------------------------


def test_request_form_page_is_a_404_for_another_commune(client, space, other_commune_staff):
    client.force_login(other_commune_staff)

    response = client.get(reverse("bookings:space-request-form", args=[space.pk]))

    assert response.status_code == 404


def test_request_form_page_adds_a_question(client, space, commune_staff):
    client.force_login(commune_staff)

    response = client.post(
        reverse("bookings:space-request-form", args=[space.pk]),
        {
            "question-text": "Nombre de mineurs",
            "question-kind": "number",
            "question-required": "on",
            "question-min_value": "0",
            "question-max_value": "200",
        },
    )

    assert response.status_code == 302
    assert RequestQuestion.objects.get().text == "Nombre de mineurs"


def test_booking_page_shows_the_questions_and_refuses_a_missing_answer(
    client, space, commune_staff, requester
):
    question = _question(space, commune_staff, required=True)
    client.force_login(requester)
    url = reverse("bookings:booking-create", args=[space.pk])

    page = client.get(url)
    response = client.post(
        url,
        {
            "organisation": requester.memberships.get().organisation_id,
            "purpose": "Fête",
            "attendees": 12,
            "frequency": "once",
            "date": "2027-01-12",
            "start_time": "18:00",
            "end_time": "20:00",
        },
    )

    assert "Alcool servi ?" in page.text
    assert response.status_code == 400
    assert f'id="id_question_{question.pk}_errors"' in response.text
    assert not Booking.objects.exists()


def test_booking_page_shows_answers_and_serves_the_certificate_to_the_manager(
    client, insured_space, commune_staff, requester
):
    booking = _request(insured_space, requester)
    client.force_login(requester)
    attached = client.post(
        reverse("bookings:booking-file-add", args=[booking.pk]), {"attach-file": _pdf()}
    )
    client.force_login(commune_staff)

    page = client.get(booking.get_absolute_url())
    download = client.get(reverse("bookings:booking-file", args=[BookingFile.objects.get().pk]))
    content = b"".join(download.streaming_content)
    download.close()

    assert attached.status_code == 302
    assert "Attestation d&#x27;assurance pour l&#x27;événement" in page.text
    assert download.status_code == 200
    assert content == PDF_BYTES


def test_booking_file_is_a_404_for_an_outsider(client, insured_space, requester, outsider):
    booking = _request(insured_space, requester)
    row = booking_file_attach(booking=booking, actor=requester, upload=_pdf())
    client.force_login(outsider)

    response = client.get(reverse("bookings:booking-file", args=[row.pk]))

    assert response.status_code == 404


# --- API -----------------------------------------------------------------------------------


def test_api_lists_the_questions_and_takes_the_answers(client, space, commune_staff, requester):
    question = _question(space, commune_staff, required=True)
    client.force_login(requester)

    form = client.get(reverse("api:space-request-form", args=[space.pk])).json()
    created = client.post(
        reverse("api:booking-list"),
        {
            "space": space.pk,
            "organisation": requester.memberships.get().organisation_id,
            "purpose": "Fête",
            "attendees": 12,
            "start": "2027-01-12T18:00:00+01:00",
            "end": "2027-01-12T20:00:00+01:00",
            "answers": [{"question": question.pk, "value": True}],
        },
        "application/json",
    )
    detail = client.get(reverse("api:booking-detail", args=[created.json()["id"]])).json()

    assert [q["text"] for q in form["questions"]] == ["Alcool servi ?"]
    assert created.status_code == 201
    assert created.json()["answers"] == detail["answers"]
    assert detail["answers"] == [
        {
            "question": question.pk,
            "question_text": "Alcool servi ?",
            "kind": "yes_no",
            "value": "yes",
        }
    ]


def test_api_refuses_a_missing_required_answer(client, space, commune_staff, requester):
    question = _question(space, commune_staff, required=True)
    client.force_login(requester)

    response = client.post(
        reverse("api:booking-list"),
        {
            "space": space.pk,
            "organisation": requester.memberships.get().organisation_id,
            "purpose": "Fête",
            "attendees": 12,
            "start": "2027-01-12T18:00:00+01:00",
            "end": "2027-01-12T20:00:00+01:00",
        },
        "application/json",
    )

    assert response.status_code == 400
    assert response.json() == {f"question_{question.pk}": ["Cette question demande une réponse."]}
    assert not Booking.objects.exists()


def test_api_approval_without_the_certificate_is_a_409(
    client, insured_space, commune_staff, requester
):
    booking = _request(insured_space, requester)
    client.force_login(commune_staff)

    response = client.post(
        reverse("api:booking-approve", args=[booking.pk]), {}, "application/json"
    )

    assert response.status_code == 409
    assert "attestation d'assurance" in response.json()["detail"]


def test_api_attaches_the_certificate(client, insured_space, requester):
    booking = _request(insured_space, requester)
    client.force_login(requester)

    response = client.post(reverse("api:booking-file-create", args=[booking.pk]), {"file": _pdf()})

    assert response.status_code == 201
    assert response.json()["kind"] == "insurance"
