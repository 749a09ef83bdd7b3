"""The managers' pages: draft, grid, publish, close, reviewers, ranking, decisions, agreement."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import translation

from bookings.models import Allocation
from calls import services
from calls.models import ApplicationStatus, Call, CallStatus, ReviewerAssignment
from tests.calls.conftest import DEADLINE, member_of_new_structure, submitted
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def call_data(commune, *spaces, **extra) -> dict:
    return {
        "owner": commune.organisation.pk,
        "title": "Locaux pour l'ESS à Denain",
        "presentation": "Deux bureaux au premier étage.",
        "eligibility": "Structures de l'ESS.",
        "spaces": [space.pk for space in spaces],
        "required_documents": ["statutes", "insurance"],
        "deadline": "2027-03-01T12:00",
        **extra,
    }


def criteria_data(*rows: tuple[str, int, str], delete: tuple[int, ...] = ()) -> dict:
    data = {
        "criteria-TOTAL_FORMS": str(len(rows)),
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for index, (name, weight, description) in enumerate(rows):
        data[f"criteria-{index}-name"] = name
        data[f"criteria-{index}-weight"] = str(weight)
        data[f"criteria-{index}-description"] = description
        if index in delete:
            data[f"criteria-{index}-DELETE"] = "on"
    return data


def test_call_create_drafts_a_call_with_the_default_grid(manager_client, commune, office):
    response = manager_client.post(reverse("calls:call-create"), call_data(commune, office))

    call = Call.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("calls:call-criteria", args=[call.pk])
    assert call.status == CallStatus.DRAFT
    assert call.criteria.count() == 6
    assert call.deadline == DEADLINE.replace(month=3)


def test_call_create_offers_only_allocatable_spaces_the_manager_manages(
    manager_client, office, other_site, site
):
    from tests.factories import SpaceFactory

    SpaceFactory(site=other_site, allocatable=True)
    SpaceFactory(site=site, allocatable=False)

    response = manager_client.get(reverse("calls:call-create"))

    assert list(response.context["form"].fields["spaces"].queryset) == [office]


def test_call_create_without_deadline_is_a_rolling_call(manager_client, commune, office):
    manager_client.post(reverse("calls:call-create"), call_data(commune, office, deadline=""))

    assert Call.objects.get().deadline is None


def test_call_create_shows_the_errors_of_the_form(manager_client, commune):
    response = manager_client.post(reverse("calls:call-create"), call_data(commune))

    assert response.status_code == 400
    assert "spaces" in response.context["form"].errors
    assert not Call.objects.exists()


def test_call_create_is_404_for_those_who_act_for_no_public_body(client, member):
    client.force_login(member)

    assert client.get(reverse("calls:call-create")).status_code == 404


def test_call_edit_changes_a_draft(manager_client, draft, commune, office):
    response = manager_client.post(
        reverse("calls:call-edit", args=[draft.pk]),
        call_data(commune, office, title="Nouveau titre"),
    )

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.title == "Nouveau titre"
    assert [lot.space for lot in draft.lots.all()] == [office]


def test_call_edit_of_a_published_call_is_refused_with_a_french_message(
    manager_client, call, commune, office
):
    response = manager_client.post(
        reverse("calls:call-edit", args=[call.pk]), call_data(commune, office, title="Changé")
    )

    call.refresh_from_db()
    assert response.status_code == 302
    assert call.title != "Changé"
    assert messages_of(response) == ["L’appel a été publié : il ne peut plus changer."]


def test_call_edit_is_404_for_staff_of_another_commune(client, draft, other_commune_staff):
    client.force_login(other_commune_staff)

    assert client.get(reverse("calls:call-edit", args=[draft.pk])).status_code == 404


def test_criteria_page_is_prefilled_with_the_grid(manager_client, draft):
    response = manager_client.get(reverse("calls:call-criteria", args=[draft.pk]))

    initial = [form.initial for form in response.context["formset"].initial_forms]
    assert [(row["name"], row["weight"]) for row in initial] == [
        ("Utilité sociale", 60),
        ("Viabilité économique", 40),
    ]


def test_criteria_page_saves_the_grid_in_order_without_deleted_rows(manager_client, draft):
    data = criteria_data(
        ("Emploi", 50, "ETP"), ("À supprimer", 5, ""), ("Ancrage", 50, ""), ("", 1, "")
    )
    data["criteria-3-weight"] = ""  # the empty extra form

    response = manager_client.post(
        reverse("calls:call-criteria", args=[draft.pk]), {**data, "criteria-1-DELETE": "on"}
    )

    assert response.status_code == 302
    assert [(c.name, c.weight) for c in draft.criteria.all()] == [("Emploi", 50), ("Ancrage", 50)]


def test_criteria_page_refuses_an_empty_grid(manager_client, draft):
    response = manager_client.post(
        reverse("calls:call-criteria", args=[draft.pk]),
        criteria_data(("Emploi", 50, ""), delete=(0,)),
    )

    assert response.status_code == 400
    assert draft.criteria.count() == 2


def test_criteria_page_of_a_published_call_refuses_any_change(manager_client, call):
    response = manager_client.post(
        reverse("calls:call-criteria", args=[call.pk]), criteria_data(("Autre", 100, ""))
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Les critères ont été publiés : ils ne peuvent plus changer."]
    assert [c.weight for c in call.criteria.all()] == [60, 40]


def test_manage_list_shows_the_managers_calls_with_drafts(manager_client, draft, call):
    response = manager_client.get(reverse("calls:call-manage-list"))

    assert set(response.context["calls"]) == {draft}  # `call` is `draft` published


def test_manage_page_is_404_for_outsiders(client, draft, outsider):
    client.force_login(outsider)

    assert client.get(reverse("calls:call-manage", args=[draft.pk])).status_code == 404


def test_publish_opens_the_call(manager_client, draft):
    response = manager_client.post(reverse("calls:call-publish", args=[draft.pk]))

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.status == CallStatus.PUBLISHED
    assert draft.published_criteria[0]["name"] == "Utilité sociale"


def test_publish_is_404_for_outsiders(client, draft, outsider):
    client.force_login(outsider)

    assert client.post(reverse("calls:call-publish", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == CallStatus.DRAFT


def test_close_closes_the_call(manager_client, call):
    manager_client.post(reverse("calls:call-close", args=[call.pk]), {"confirm": "yes"})

    call.refresh_from_db()
    assert call.status == CallStatus.CLOSED


def test_close_without_confirm_does_not_close_the_call(manager_client, call):
    response = manager_client.post(reverse("calls:call-close", args=[call.pk]))

    call.refresh_from_db()
    assert response.status_code == 200
    assert call.status == CallStatus.PUBLISHED


def test_close_page_states_deadline_applications_and_warns_before_the_deadline(
    manager_client, call, application
):
    response = manager_client.get(reverse("calls:call-close", args=[call.pk]))

    page = response.content.decode()
    call.refresh_from_db()
    assert call.status == CallStatus.PUBLISHED
    assert "1 février 2027, 12:00" in page  # the frozen clock stands four weeks before
    assert "<dd>1</dd>" in page
    assert "<strong>La date limite n’est pas passée" in page
    assert "jusqu’au 1 février 2027, 12:00" in page
    assert "est prévenue par e-mail" in page
    assert 'name="confirm" value="yes"' in page


def test_close_of_a_draft_says_why_it_is_refused(manager_client, draft):
    response = manager_client.post(reverse("calls:call-close", args=[draft.pk]), {"confirm": "yes"})

    assert messages_of(response) == [
        "Cet appel est au statut « Brouillon » : ce changement est impossible."
    ]


def test_reviewers_page_assigns_an_existing_user_by_email(manager_client, call):
    jury = UserFactory(email="jury@example.test")

    response = manager_client.post(
        reverse("calls:call-reviewers", args=[call.pk]), {"email": "JURY@example.test"}
    )

    assert response.status_code == 302
    assert ReviewerAssignment.objects.filter(call=call, reviewer=jury).exists()


def test_reviewers_page_refuses_an_unknown_email(manager_client, call):
    response = manager_client.post(
        reverse("calls:call-reviewers", args=[call.pk]), {"email": "nobody@example.test"}
    )

    assert response.status_code == 400
    assert not ReviewerAssignment.objects.exists()


def test_ranking_page_shows_totals_and_flags_ties(manager_client, call, application, reviewer):
    structure, user = member_of_new_structure("Repair Café", "repair@example.test")
    other = submitted(call=call, structure=structure, actor=user)
    for candidate in (application, other):
        for criterion in call.criteria.all():
            services.score_record(
                application=candidate, reviewer=reviewer, criterion=criterion, mark=7
            )

    response = manager_client.get(reverse("calls:call-ranking", args=[call.pk]))

    rows = response.context["lots"][0]["rows"]
    assert [(row["rank"], row["tied"], row["total"]) for row in rows] == [
        (1, True, 70),
        (1, True, 70),
    ]
    assert "ex æquo" in response.content.decode()


def test_ranking_page_is_404_for_reviewers(client, call, reviewer):
    client.force_login(reviewer)

    assert client.get(reverse("calls:call-ranking", args=[call.pk])).status_code == 404


def test_accept_gives_the_lot_and_emails_the_applicant(
    manager_client, application, django_capture_on_commit_callbacks
):
    lot = application.call.lots.first()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("calls:application-accept", args=[application.pk]), {"lot": lot.pk}
        )

    application.refresh_from_db()
    assert response.status_code == 302
    assert (application.status, application.allocated_lot) == (ApplicationStatus.ACCEPTED, lot)
    assert len(mail.outbox) == 1


def test_refuse_needs_reasons(manager_client, application):
    manager_client.post(reverse("calls:application-refuse", args=[application.pk]), {"reason": ""})

    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_refuse_emails_the_reasons(manager_client, application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            reverse("calls:application-refuse", args=[application.pk]),
            {"reason": "Le projet ne concerne pas le territoire."},
        )

    application.refresh_from_db()
    assert application.status == ApplicationStatus.REFUSED
    assert "Le projet ne concerne pas le territoire." in mail.outbox[0].body


def test_decisions_are_404_for_the_applicant(client, application, applicant):
    client.force_login(applicant)
    lot = application.call.lots.first()

    response = client.post(
        reverse("calls:application-accept", args=[application.pk]), {"lot": lot.pk}
    )

    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_decide_records_the_deliberation_and_marks_the_call_decided(
    manager_client, call, application, manager
):
    services.call_close(call=call, actor=manager)
    services.application_refuse(application=application, actor=manager, reason="Hors critères")

    manager_client.post(
        reverse("calls:call-decide", args=[call.pk]),
        {"deliberation_reference": "DEL-2027-12", "deliberation_date": "2027-02-15"},
    )

    call.refresh_from_db()
    assert (call.status, call.deliberation_reference, call.deliberation_date) == (
        CallStatus.DECIDED,
        "DEL-2027-12",
        date(2027, 2, 15),
    )


def test_decide_is_refused_while_applications_await_a_decision(
    manager_client, call, application, manager
):
    services.call_close(call=call, actor=manager)

    response = manager_client.post(
        reverse("calls:call-decide", args=[call.pk]),
        {"deliberation_reference": "DEL-2027-12", "deliberation_date": "2027-02-15"},
    )

    call.refresh_from_db()
    assert call.status == CallStatus.CLOSED
    assert messages_of(response) == ["Statuez d’abord sur chaque candidature."]


def test_agreement_page_offers_the_agreement_and_redirects_to_it(
    manager_client, application, manager
):
    services.application_accept(
        application=application, actor=manager, lot=application.call.lots.first()
    )

    response = manager_client.post(
        reverse("calls:application-agreement", args=[application.pk]),
        {
            "start": "2027-04-01",
            "last_day": "2030-03-31",
            "legal_regime": "public_domain",
            "annual_fee": "1200.50",
            "free_use_basis": "",
            "free_use_reference": "",
            "deposit": "300",
        },
    )

    allocation = Allocation.objects.get()
    assert response.status_code == 302
    assert response.url == allocation.get_absolute_url()
    assert (allocation.annual_fee_cents, allocation.deposit_cents) == (120_050, 30_000)
    assert allocation.end == date(2030, 4, 1)  # the last day given, stored exclusive
    application.refresh_from_db()
    assert application.allocation == allocation


def test_agreement_page_shows_the_services_errors_on_the_fields(
    manager_client, application, manager
):
    services.application_accept(
        application=application, actor=manager, lot=application.call.lots.first()
    )

    response = manager_client.post(
        reverse("calls:application-agreement", args=[application.pk]),
        {
            "start": "2027-04-01",
            "last_day": "2030-03-31",
            "legal_regime": "public_domain",
            "annual_fee": "100",
            "free_use_basis": "L2125-1",
        },
    )

    assert response.status_code == 400
    assert "annual_fee" in response.context["form"].errors
    assert not Allocation.objects.exists()


def test_agreement_page_redirects_before_acceptance(manager_client, application):
    response = manager_client.get(reverse("calls:application-agreement", args=[application.pk]))

    assert response.status_code == 302
    assert response.url == application.get_absolute_url()


def test_manage_page_renders_at_every_status(manager_client, call, application, manager):
    url = reverse("calls:call-manage", args=[call.pk])
    assert manager_client.get(url).status_code == 200
    services.call_close(call=call, actor=manager)
    assert manager_client.get(url).status_code == 200
    services.application_refuse(application=application, actor=manager, reason="Non")
    services.call_decide(call=call, actor=manager, reference="12", decided_on=date(2027, 2, 15))

    response = manager_client.get(url)

    assert response.status_code == 200
    with translation.override("fr"):
        assert "n° 12" in response.content.decode()
