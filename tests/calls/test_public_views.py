"""The public pages: the list of calls, a call's page, and the space page linking to its calls."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls import services
from tests.calls.conftest import draft_call
from tests.factories import SpaceFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def closed(manager, commune, workshop):
    call = draft_call(
        actor=manager, owner=commune.organisation, spaces=[workshop], title="Appel clos"
    )
    services.call_publish(call=call, actor=manager)
    services.call_close(call=call, actor=manager)
    return call


@pytest.fixture
def other_draft(manager, commune, workshop):
    return draft_call(
        actor=manager, owner=commune.organisation, spaces=[workshop], title="Brouillon"
    )


def test_call_list_shows_open_calls_first_then_closed_ones_and_no_draft(
    client, closed, call, other_draft
):
    response = client.get(reverse("calls:call-list"))

    assert response.status_code == 200
    assert list(response.context["calls"]) == [call, closed]
    assert "Brouillon" not in response.content.decode()


def test_call_page_shows_lots_documents_and_the_published_grid(client, call, office):
    response = client.get(call.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["grid"] == call.published_criteria
    assert response.context["grid_total"] == 100
    assert office.get_absolute_url() in html
    assert "Utilité sociale" in html
    assert len(response.context["required_documents"]) == 2


def test_call_page_shows_the_snapshot_even_if_the_rows_changed(client, call):
    call.criteria.filter(position=1).update(weight=99)  # a writer bypassing the services

    response = client.get(call.get_absolute_url())

    assert response.context["grid"][0]["weight"] == 60


def test_draft_call_page_is_404_for_the_public(client, draft):
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_draft_call_page_is_404_for_outsiders(client, draft, outsider):
    client.force_login(outsider)

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_draft_call_page_is_shown_to_its_managers(client, draft, manager):
    client.force_login(manager)

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    assert response.context["can_manage"] is True


def test_call_page_offers_to_apply_to_members_of_an_ess_structure(client, call, applicant):
    client.force_login(applicant)

    response = client.get(call.get_absolute_url())

    assert response.context["can_apply"] is True
    assert reverse("calls:application-start", args=[call.pk]) in response.content.decode()


def test_call_page_asks_the_public_to_sign_in_to_apply(client, call):
    response = client.get(call.get_absolute_url())

    html = response.content.decode()
    assert reverse("accounts:login") in html
    assert reverse("calls:application-start", args=[call.pk]) not in html


def test_call_page_of_a_closed_call_offers_no_application(client, closed, applicant):
    client.force_login(applicant)

    response = client.get(closed.get_absolute_url())

    assert response.context["accepting"] is False
    assert reverse("calls:application-start", args=[closed.pk]) not in response.content.decode()


def test_space_page_links_to_the_open_calls_offering_it(client, call, office):
    response = client.get(office.get_absolute_url())

    assert call.get_absolute_url() in response.content.decode()


def test_space_page_does_not_link_to_drafts(client, draft, office):
    response = client.get(office.get_absolute_url())

    assert draft.get_absolute_url() not in response.content.decode()


def test_pages_send_no_inline_script_or_style(client, call):
    html = client.get(call.get_absolute_url()).content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # scripts are files only
    assert "style=" not in html


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_call_list_reads_a_fixed_number_of_queries(client, call, manager, commune, site):
    one = _queries(client, reverse("calls:call-list"))
    for index in range(3):
        space = SpaceFactory(site=site, allocatable=True)
        other = draft_call(
            actor=manager, owner=commune.organisation, spaces=[space], title=f"Appel {index}"
        )
        services.call_publish(call=other, actor=manager)

    assert _queries(client, reverse("calls:call-list")) == one
