"""The journal of changes: the intercommunality reads who changed what and when (old → new);
anyone else gets a 404; a Stripe secret never shows; a page costs the same number of queries
whatever it lists."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings import services as bookings_services
from bookings.rules import Period
from calls.models import CallLog, CallStatus
from payments.services.tariffs import channel_set, tariff_set
from tests.factories import CallFactory, StructureFactory

PARIS = ZoneInfo("Europe/Paris")
URL = reverse("reports:journal")
SECRET_KEY = "sk_test_JournalNeverShows42"


@pytest.fixture
def admin_client(client, territory_admin):
    client.force_login(territory_admin)
    return client


def _rename_site(site, name: str, actor) -> None:
    from spaces.services import site_save

    site.name = name
    site_save(site=site, actor=actor)


def test_the_journal_shows_an_edit_with_who_made_it_and_the_old_and_new_values(
    admin_client, site, facilities_manager
):
    _rename_site(site, "Tiers-lieu des Grands Bureaux", facilities_manager)

    response = admin_client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<caption>" in html
    assert "manager@example.test" in html
    assert "<del>Les Grands Bureaux</del>" in html
    assert "<ins>Tiers-lieu des Grands Bureaux</ins>" in html


@pytest.mark.parametrize("persona", ["commune_staff", "facilities_manager", "member", "outsider"])
def test_the_journal_is_404_for_anyone_but_the_intercommunality(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_the_journal_is_404_for_the_anonymous(client):
    assert client.get(URL).status_code == 404


PLACE_AND_PERIOD = "Désinfection — Les Grands Bureaux, 01/02/2027 00:00 → 02/02/2027 00:00"


def test_the_journal_lists_a_deleted_closure_with_who_deleted_it(
    admin_client, site, space, facilities_manager, commune_staff
):
    closure = bookings_services.closure_create(
        actor=commune_staff,
        site=site,
        period=Period(datetime(2027, 2, 1, tzinfo=PARIS), datetime(2027, 2, 2, tzinfo=PARIS)),
        reason="Désinfection",
    )
    bookings_services.closure_delete(closure=closure, actor=facilities_manager)

    response = admin_client.get(URL, {"type": "closure"})

    rows = [(e.action, e.actor, e.subject) for e in response.context["page"].object_list]
    assert rows == [
        ("Suppression", facilities_manager, PLACE_AND_PERIOD),
        ("Création", commune_staff, PLACE_AND_PERIOD),
    ]


def test_the_journal_lists_the_decisions_on_calls_with_their_deliberation(
    admin_client, commune_staff
):
    call = CallFactory(title="Bureaux vacants", status=CallStatus.DECIDED)
    CallLog.objects.create(
        call=call,
        from_status=CallStatus.CLOSED,
        to_status=CallStatus.DECIDED,
        actor=commune_staff,
        reason="DEL-2027-12 (2027-02-15)",
    )

    response = admin_client.get(URL, {"type": "call"})

    html = response.content.decode()
    assert "Bureaux vacants" in html
    assert "DEL-2027-12 (2027-02-15)" in html
    assert "staff@example.test" in html


def test_the_journal_shows_a_verification_with_who_verified(admin_client, territory_admin):
    structure = StructureFactory(name="Repair Café")
    structure.verified_at = timezone.now()
    structure.verified_by = territory_admin
    structure.save()

    response = admin_client.get(URL, {"type": "organisation"})

    latest = response.context["page"].object_list[0]
    assert ("vérifiée par", "—", str(territory_admin)) in [
        (c.label, c.old, c.new) for c in latest.changes
    ]


def test_the_journal_filter_keeps_only_one_kind(admin_client, site, space, facilities_manager):
    _rename_site(site, "Tiers-lieu", facilities_manager)
    tariff_set(space=space, category="association", unit="hour", amount_cents=1500)

    response = admin_client.get(URL, {"type": "tariff"})

    kinds = {entry.kind.code for entry in response.context["page"].object_list}
    assert kinds == {"tariff"}


def test_an_unknown_filter_or_page_shows_the_whole_journal(admin_client, site):
    response = admin_client.get(URL, {"type": "<script>", "page": "9999"})

    assert response.status_code == 200
    assert response.context["page"].object_list


def test_a_stripe_secret_never_shows_in_the_journal(admin_client, commune, territory_admin):
    owner = commune.organisation
    channel_set(owner=owner, kind="stripe", stripe_secret_key=SECRET_KEY, actor=territory_admin)
    channel_set(
        owner=owner,
        kind="stripe",
        stripe_secret_key=SECRET_KEY + "rotated",
        finance_department="Régie",
        actor=territory_admin,
    )

    response = admin_client.get(URL, {"type": "channel"})

    html = response.content.decode()
    assert "Régie" in html
    assert "sk_test_" not in html


def _edit_everything(site, space, structure, territory_admin, actor, rounds: int) -> None:
    """`rounds` edits of each kind, foreign keys included (verified by, owner)."""
    for index in range(rounds):
        _rename_site(site, f"Site {index}", actor)
        space.capacity = 10 + index
        space.save()
        tariff_set(space=space, category="association", unit="hour", amount_cents=100 + index)
        structure.verified_by = territory_admin if index % 2 == 0 else None
        structure.verified_at = timezone.now() if index % 2 == 0 else None
        structure.save()
        closure = bookings_services.closure_create(
            actor=actor,
            space=space,
            period=Period(
                datetime(2027, 3, 1 + index, tzinfo=PARIS),
                datetime(2027, 3, 2 + index, tzinfo=PARIS),
            ),
            reason=f"Travaux {index}",
        )
        bookings_services.closure_delete(closure=closure, actor=actor)


def test_the_journal_costs_the_same_queries_for_1_or_30_rows_of_changes(
    admin_client, site, space, territory_admin, facilities_manager, django_assert_max_num_queries
):
    structure = StructureFactory(name="Repair Café")  # unverified: the first edit verifies it
    tariff_set(space=space, category="association", unit="hour", amount_cents=99)
    _edit_everything(site, space, structure, territory_admin, facilities_manager, rounds=1)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(URL)

    _edit_everything(site, space, structure, territory_admin, facilities_manager, rounds=6)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(URL)

    assert len(response.context["page"].object_list) == 30
