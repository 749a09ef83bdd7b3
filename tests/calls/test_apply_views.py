"""The applicants' pages: start, fill in, see what is missing, send, withdraw, list."""

from datetime import date

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import DocumentKind
from calls import services
from calls.models import Application, ApplicationStatus
from tests.calls.conftest import DEADLINE, complete_draft, documents_of, member_of_new_structure
from tests.factories import MembershipFactory, OrganisationDocumentFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def applicant_client(client, applicant):
    client.force_login(applicant)
    return client


@pytest.fixture
def draft_application(call, association, applicant):
    return services.application_start(call=call, structure=association, actor=applicant)


def form_data(application, documents, **extra) -> dict:
    office, workshop = application.call.lots.all()
    return {
        "project": "Ressourcerie et atelier de réparation.",
        "needed_surface_m2": "40",
        "needed_kind": "office",
        "wanted_start": "2027-04-01",
        "duration_months": "36",
        "rank_1": str(workshop.pk),
        "rank_2": str(office.pk),
        "documents": [str(document.pk) for document in documents],
        "republican_commitment": "on",
        "republican_commitment_signatory": "Camille Martin, présidente",
        **extra,
    }


def test_start_opens_a_draft_for_the_applicants_structure(applicant_client, call, association):
    response = applicant_client.post(
        reverse("calls:application-start", args=[call.pk]), {"structure": association.pk}
    )

    application = Application.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("calls:application-edit", args=[application.pk])
    assert (application.structure, application.status) == (association, ApplicationStatus.DRAFT)


def test_start_lets_a_member_of_several_structures_choose(applicant_client, call, applicant):
    other, _user = member_of_new_structure("Atelier vélo", "velo@example.test")
    MembershipFactory(organisation=other, user=applicant)

    response = applicant_client.get(reverse("calls:application-start", args=[call.pk]))

    choices = list(response.context["form"].fields["structure"].queryset)
    assert [structure.name for structure in choices] == ["Atelier vélo", "Ressourcerie du Hainaut"]


def test_start_refuses_a_structure_of_someone_else(applicant_client, call):
    other, _user = member_of_new_structure("Atelier vélo", "velo@example.test")

    response = applicant_client.post(
        reverse("calls:application-start", args=[call.pk]), {"structure": other.pk}
    )

    assert response.status_code == 400
    assert not Application.objects.exists()


def test_start_leads_back_to_the_existing_application(
    applicant_client, call, association, draft_application
):
    response = applicant_client.post(
        reverse("calls:application-start", args=[call.pk]), {"structure": association.pk}
    )

    assert response.url == draft_application.get_absolute_url()
    assert Application.objects.count() == 1


def test_start_explains_to_users_without_a_structure_how_to_apply(client, call, outsider):
    client.force_login(outsider)

    response = client.get(reverse("calls:application-start", args=[call.pk]))

    assert response.status_code == 403
    assert reverse("accounts:structure-register") in response.content.decode()


def test_start_is_refused_after_the_deadline(applicant_client, call, association, applicant):
    with time_machine.travel(DEADLINE, tick=False):
        applicant_client.force_login(applicant)  # the first session expired meanwhile
        response = applicant_client.post(
            reverse("calls:application-start", args=[call.pk]), {"structure": association.pk}
        )

    assert response.url == call.get_absolute_url()
    assert not Application.objects.exists()


def test_start_of_a_draft_call_is_404(applicant_client, draft):
    assert (
        applicant_client.get(reverse("calls:application-start", args=[draft.pk])).status_code == 404
    )


def test_edit_saves_the_draft_with_ranked_lots_documents_and_commitment(
    applicant_client, draft_application, association
):
    documents = documents_of(association)

    response = applicant_client.post(
        reverse("calls:application-edit", args=[draft_application.pk]),
        form_data(draft_application, documents),
    )

    draft_application.refresh_from_db()
    assert response.status_code == 302
    assert [p.lot.space.name for p in draft_application.preferences.all()] == [
        "Atelier 3",
        "Bureau 12",
    ]
    assert set(draft_application.documents.all()) == set(documents)
    assert draft_application.republican_commitment_signatory == "Camille Martin, présidente"
    assert draft_application.republican_commitment_at is not None


def test_edit_refuses_a_lot_ranked_twice(applicant_client, draft_application, association):
    data = form_data(draft_application, [])
    data["rank_2"] = data["rank_1"]

    response = applicant_client.post(
        reverse("calls:application-edit", args=[draft_application.pk]), data
    )

    assert response.status_code == 400
    assert "rank_2" in response.context["form"].errors


def test_edit_needs_the_signatory_with_the_commitment(applicant_client, draft_application):
    data = form_data(draft_application, [], republican_commitment_signatory="")

    response = applicant_client.post(
        reverse("calls:application-edit", args=[draft_application.pk]), data
    )

    assert response.status_code == 400
    assert "republican_commitment_signatory" in response.context["form"].errors


def test_edit_offers_only_the_structures_documents(
    applicant_client, draft_application, association
):
    mine = documents_of(association)
    OrganisationDocumentFactory(kind=DocumentKind.STATUTES)  # another structure's

    response = applicant_client.get(reverse("calls:application-edit", args=[draft_application.pk]))

    assert set(response.context["form"].fields["documents"].queryset) == set(mine)
    assert reverse("accounts:structure-detail", args=[association.pk]) in response.content.decode()


def test_edit_asks_no_republican_commitment_from_a_cooperative(client, call):
    scop, user = member_of_new_structure("Scop du Hainaut", "scop@example.test", ess_family="scop")
    application = services.application_start(call=call, structure=scop, actor=user)
    client.force_login(user)

    response = client.get(reverse("calls:application-edit", args=[application.pk]))

    assert "republican_commitment" not in response.context["form"].fields


def test_edit_of_another_structures_application_is_404(client, draft_application):
    _other, user = member_of_new_structure("Atelier vélo", "velo@example.test")
    client.force_login(user)

    response = client.get(reverse("calls:application-edit", args=[draft_application.pk]))

    assert response.status_code == 404


def test_edit_of_a_sent_application_is_refused(applicant_client, application):
    response = applicant_client.get(reverse("calls:application-edit", args=[application.pk]))

    assert response.url == application.get_absolute_url()


def test_detail_lists_what_is_missing_before_sending(applicant_client, draft_application):
    response = applicant_client.get(draft_application.get_absolute_url())

    assert response.status_code == 200
    missing = response.context["missing"]
    assert "Décrivez votre projet." in missing
    assert "Classez au moins un lot." in missing
    assert reverse("calls:application-submit", args=[draft_application.pk]) not in (
        response.content.decode()
    )


def test_detail_of_a_complete_draft_offers_to_send_it(
    applicant_client, call, association, applicant
):
    draft = complete_draft(call=call, structure=association, actor=applicant)

    response = applicant_client.get(draft.get_absolute_url())

    assert response.context["missing"] == []
    assert reverse("calls:application-submit", args=[draft.pk]) in response.content.decode()


def test_submit_sends_a_complete_draft(applicant_client, call, association, applicant):
    draft = complete_draft(call=call, structure=association, actor=applicant)

    response = applicant_client.post(
        reverse("calls:application-submit", args=[draft.pk]), {"confirm": "yes"}
    )

    draft.refresh_from_db()
    assert response.url == draft.get_absolute_url()
    assert draft.status == ApplicationStatus.SUBMITTED


def test_submit_without_confirm_shows_the_summary_and_does_not_send(
    applicant_client, call, association, applicant
):
    draft = complete_draft(call=call, structure=association, actor=applicant)

    response = applicant_client.post(reverse("calls:application-submit", args=[draft.pk]))

    draft.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200
    assert draft.status == ApplicationStatus.DRAFT
    assert "vous ne pourrez plus modifier votre candidature" in page
    assert draft.project.splitlines()[0] in page
    assert 'name="confirm" value="yes"' in page


def test_submit_of_an_incomplete_draft_says_what_is_missing(applicant_client, draft_application):
    response = applicant_client.post(
        reverse("calls:application-submit", args=[draft_application.pk]), {"confirm": "yes"}
    )

    draft_application.refresh_from_db()
    assert draft_application.status == ApplicationStatus.DRAFT
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Décrivez votre projet." in message


def test_withdraw_withdraws_the_application(applicant_client, application):
    applicant_client.post(
        reverse("calls:application-withdraw", args=[application.pk]), {"reason": "Autre local"}
    )

    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.log.last().reason == "Autre local"


def test_withdraw_after_acceptance_is_refused(applicant_client, application, manager):
    services.application_accept(
        application=application, actor=manager, lot=application.call.lots.first()
    )

    applicant_client.post(reverse("calls:application-withdraw", args=[application.pk]))

    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED


def test_withdraw_of_another_structures_application_is_404(client, application):
    _other, user = member_of_new_structure("Atelier vélo", "velo@example.test")
    client.force_login(user)

    response = client.post(reverse("calls:application-withdraw", args=[application.pk]))

    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_my_applications_lists_only_the_users_structures(applicant_client, application, call):
    other, user = member_of_new_structure("Atelier vélo", "velo@example.test")
    services.application_start(call=call, structure=other, actor=user)

    response = applicant_client.get(reverse("calls:application-list"))

    assert list(response.context["applications"]) == [application]


def test_detail_of_another_structures_application_is_404(client, application, outsider):
    client.force_login(outsider)

    assert client.get(application.get_absolute_url()).status_code == 404


def test_detail_of_a_refused_application_shows_the_reasons(applicant_client, application, manager):
    services.application_refuse(
        application=application, actor=manager, reason="Le lot demandé est déjà attribué."
    )

    response = applicant_client.get(application.get_absolute_url())

    assert "Le lot demandé est déjà attribué." in response.content.decode()


def test_detail_shows_the_manager_the_decision_forms(client, application, manager):
    client.force_login(manager)

    response = client.get(application.get_absolute_url())

    assert response.context["accept_form"] is not None
    assert response.context["is_applicant"] is False
    assert response.context["missing"] is None


def test_detail_of_a_draft_is_404_for_the_manager(client, draft_application, manager):
    client.force_login(manager)

    assert client.get(draft_application.get_absolute_url()).status_code == 404


def test_application_pages_are_for_signed_in_users(client, application):
    response = client.get(application.get_absolute_url())

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_wanted_start_reaches_the_expiry_check(applicant_client, call, association, applicant):
    draft = complete_draft(
        call=call,
        structure=association,
        actor=applicant,
        documents=documents_of(association, insurance_until=date(2027, 3, 1)),
        wanted_start=date(2027, 4, 1),
    )

    response = applicant_client.get(draft.get_absolute_url())

    assert response.context["missing"] == ["Ce document a expiré : Attestation d’assurance."]
