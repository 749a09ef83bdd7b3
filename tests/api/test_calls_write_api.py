"""Calls API for those who run them (issue 14): draft a call, change its terms, lots and
criteria while it is a draft, publish, close, decide; the grid frozen once published; hostile
input answered 400."""

# The fixtures of tests/calls are imported below; pytest passes them by name as arguments, which
# pyflakes reads as redefinitions.
# ruff: noqa: F811

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import ApiTokenScope
from accounts.services.tokens import api_token_create
from calls import rules, services
from calls.models import Call, CallLog, CallStatus, Criterion
from spaces.models import SpaceKind
from tests.calls.conftest import (  # the calls fixtures, shared with tests/calls
    GRID,
    applicant,  # noqa: F401
    application,  # noqa: F401
    association,  # noqa: F401
    call,  # noqa: F401
    draft,  # noqa: F401
    manager,  # noqa: F401
    office,  # noqa: F401
    workshop,  # noqa: F401
)
from tests.factories import SpaceFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")

CALLS = reverse("api:call-list")


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Error messages are compared in English, the language of the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def storeroom(site):
    """A third vacant space of the commune's site, not yet a lot."""
    return SpaceFactory(
        site=site, name="Réserve 2", kind=SpaceKind.STORAGE, allocatable=True, bookable=False
    )


def url(name: str, pk: int) -> str:
    return reverse(f"api:{name}", args=[pk])


def send(client, method: str, path: str, body) -> object:
    return client.generic(method, path, json.dumps(body), "application/json")


def call_body(commune, lots, **extra) -> dict:
    return {
        "owner": commune.organisation.pk,
        "title": "Locaux vacants rue Jean-Jaurès",
        "presentation": "Deux bureaux au rez-de-chaussée.\nConvention de trois ans.",
        "eligibility": "Structures de l'ESS du territoire.",
        "spaces": [space.pk for space in lots],
        "required_documents": ["statutes"],
        "deadline": "2027-03-01T12:00:00+01:00",
        **extra,
    }


FROZEN = "The criteria were published: they can no longer change."
CALL_FROZEN = "The call was published: it can no longer change."


# --- Creating a draft ------------------------------------------------------------------------


def test_the_commune_staff_drafts_a_call_with_the_default_grid(
    client, manager, commune, office, workshop
):
    client.force_login(manager)

    response = send(client, "POST", CALLS, call_body(commune, [workshop, office]))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert [lot["space"] for lot in body["lots"]] == [workshop.pk, office.pk]
    assert [c["name"] for c in body["criteria"]] == [name for name, _, _ in rules.DEFAULT_CRITERIA]
    call = Call.objects.get(pk=body["id"])
    assert call.created_by == manager
    assert call.deadline.isoformat() == "2027-03-01T11:00:00+00:00"


def test_a_draft_may_come_with_its_grid(client, manager, commune, office):
    client.force_login(manager)
    grid = [{"name": "Ancrage local", "weight": 70}, {"name": "Budget", "weight": 30}]

    response = send(client, "POST", CALLS, call_body(commune, [office], criteria=grid))

    assert response.status_code == 201, response.json()
    criteria = Criterion.objects.filter(call=response.json()["id"])
    assert [(c.name, c.weight, c.position) for c in criteria] == [
        ("Ancrage local", 70, 1),
        ("Budget", 30, 2),
    ]


def test_who_belongs_to_no_public_body_may_not_draft_a_call(
    client, member, facilities_manager, commune, office
):
    assert send(client, "POST", CALLS, call_body(commune, [office])).status_code == 403
    for user in (member, facilities_manager):
        client.force_login(user)
        response = send(client, "POST", CALLS, call_body(commune, [office]))
        assert response.status_code == 403
        assert response.json() == {
            "detail": "Only the staff of a public body may publish calls for applications."
        }
    assert not Call.objects.exists()


def test_the_spaces_and_the_owner_must_be_the_users(
    client, manager, commune, office, other_commune, other_site, space
):
    client.force_login(manager)
    others = SpaceFactory(site=other_site, allocatable=True, bookable=False)
    cases = [
        ({"owner": other_commune.organisation.pk}, "owner"),
        ({"spaces": [others.pk]}, "spaces"),
        ({"spaces": [office.pk, office.pk]}, "spaces"),
        ({"spaces": []}, "spaces"),
        ({"spaces": [space.pk]}, "spaces"),  # not offered for long-term occupancy
        ({"deadline": "2026-12-01T12:00:00+01:00"}, "deadline"),  # past
        ({"deadline": "2027-03-01T12:00:00"}, "deadline"),  # no offset
    ]
    for change, field in cases:
        response = send(client, "POST", CALLS, call_body(commune, [office], **change))
        assert response.status_code == 400, (change, response.json())
        assert field in response.json(), (change, response.json())
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "Appel\x00"}, "title"),
        ({"title": "Appel\nà candidatures"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"presentation": "Texte\x07"}, "presentation"),
        ({"eligibility": "x" * 20001}, "eligibility"),
        ({"title": ["Appel"]}, "title"),
        ({"owner": 10**20}, "owner"),
        ({"owner": "abc"}, "owner"),
        ({"spaces": "abc"}, "spaces"),
        ({"spaces": [10**20]}, "spaces"),
        ({"spaces": list(range(1, 102))}, "spaces"),
        ({"required_documents": ["passport"]}, "required_documents"),
        ({"deadline": "99999-01-01T00:00:00+01:00"}, "deadline"),
        ({"criteria": [{"name": "Utilité", "weight": 10**20}]}, "criteria"),
        ({"criteria": [{"name": "Utilité", "weight": 0}]}, "criteria"),
        ({"criteria": [{"name": "Utilité\x1b", "weight": 10}]}, "criteria"),
        ({"criteria": {"name": "Utilité", "weight": 10}}, "criteria"),
        ({"criteria": [{"name": "Utilité", "weight": 10}] * 51}, "criteria"),
    ],
)
def test_hostile_input_is_a_400(client, manager, commune, office, change, field):
    client.force_login(manager)

    response = send(client, "POST", CALLS, call_body(commune, [office], **change))

    assert response.status_code == 400
    assert field in response.json()
    assert not Call.objects.exists()


# --- Changing a draft -------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(client, manager, draft, office, workshop):
    client.force_login(manager)

    response = send(client, "PATCH", url("call-detail", draft.pk), {"title": "Nouveau titre"})

    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.title == "Nouveau titre"
    assert [lot.space for lot in draft.lots.all()] == [office, workshop]
    assert draft.presentation == "Deux locaux au premier étage, pour trois ans."

    response = send(
        client, "PATCH", url("call-detail", draft.pk), {"spaces": [workshop.pk], "deadline": None}
    )
    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert [lot.space for lot in draft.lots.all()] == [workshop]
    assert draft.deadline is None


def test_a_published_call_can_no_longer_change(client, manager, call):
    client.force_login(manager)

    response = send(client, "PATCH", url("call-detail", call.pk), {"title": "Autre"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [CALL_FROZEN]}
    call.refresh_from_db()
    assert call.title == "Bureaux vacants aux Grands Bureaux"


def test_others_do_not_see_a_draft_to_change(
    client, draft, other_commune_staff, member, facilities_manager
):
    assert send(client, "PATCH", url("call-detail", draft.pk), {"title": "X"}).status_code == 403
    for user in (other_commune_staff, member, facilities_manager):
        client.force_login(user)
        for method, path, body in [
            ("PATCH", url("call-detail", draft.pk), {"title": "X"}),
            ("GET", url("call-criteria", draft.pk), None),
            ("POST", url("call-criteria", draft.pk), {"name": "X", "weight": 5}),
            ("PUT", url("call-criteria", draft.pk), {"criteria": []}),
            ("PATCH", url("criterion-detail", draft.criteria.first().pk), {"weight": 5}),
            ("DELETE", url("criterion-detail", draft.criteria.first().pk), {}),
            ("GET", url("call-lots", draft.pk), None),
            ("DELETE", url("lot-detail", draft.lots.first().pk), {}),
            ("POST", url("call-publish", draft.pk), {}),
        ]:
            response = send(client, method, path, body)
            assert response.status_code == 404, (user, method, path)
    draft.refresh_from_db()
    assert draft.title == "Bureaux vacants aux Grands Bureaux"
    assert draft.status == CallStatus.DRAFT
    assert draft.criteria.count() == 2


def test_a_published_call_is_still_not_theirs_to_change(client, call, member, other_commune_staff):
    for user in (member, other_commune_staff):
        client.force_login(user)
        assert send(client, "PATCH", url("call-detail", call.pk), {"title": "X"}).status_code == 404
        assert send(client, "POST", url("call-close", call.pk), {}).status_code == 404


# --- Criteria ---------------------------------------------------------------------------------


def test_the_grid_is_read_with_its_ids(client, call):
    response = client.get(url("call-criteria", call.pk))  # published: anyone
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["name"], row["weight"]) for row in rows] == [(n, w) for n, w, _ in GRID]
    assert rows[0]["id"] == call.criteria.first().pk


def test_criteria_are_added_changed_and_removed_on_a_draft(client, manager, draft):
    client.force_login(manager)
    first, second = draft.criteria.all()

    added = send(
        client,
        "POST",
        url("call-criteria", draft.pk),
        {"name": "Coopération", "weight": 15, "description": "Partenariats.\r\nRéseaux."},
    )
    assert added.status_code == 201, added.json()
    assert added.json()["position"] == 3
    assert added.json()["description"] == "Partenariats.\nRéseaux."

    changed = send(client, "PATCH", url("criterion-detail", first.pk), {"weight": 45})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["name"] == "Utilité sociale"

    assert send(client, "DELETE", url("criterion-detail", second.pk), {}).status_code == 204
    assert [(c.name, c.weight) for c in draft.criteria.all()] == [
        ("Utilité sociale", 45),
        ("Coopération", 15),
    ]
    # The field history signs each change with the actor.
    assert first.history.latest().history_user == manager


def test_the_last_criterion_stays(client, manager, draft):
    client.force_login(manager)
    first, second = draft.criteria.all()
    assert send(client, "DELETE", url("criterion-detail", first.pk), {}).status_code == 204

    response = send(client, "DELETE", url("criterion-detail", second.pk), {})

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A call needs at least one lot and one criterion."]
    }
    assert draft.criteria.count() == 1


def test_put_replaces_the_grid(client, manager, draft):
    client.force_login(manager)
    grid = [{"name": "Impact", "weight": 80}, {"name": "Gouvernance", "weight": 20}]

    response = send(client, "PUT", url("call-criteria", draft.pk), {"criteria": grid})

    assert response.status_code == 200, response.json()
    assert [(row["name"], row["weight"], row["position"]) for row in response.json()] == [
        ("Impact", 80, 1),
        ("Gouvernance", 20, 2),
    ]
    empty = send(client, "PUT", url("call-criteria", draft.pk), {"criteria": []})
    assert empty.status_code == 400
    assert "criteria" in empty.json()
    assert draft.criteria.count() == 2


def test_the_published_grid_is_frozen(client, manager, call):
    """Once published the grid binds the authority: every change is a 400 naming `criteria`,
    and nothing changes (nor the snapshot)."""
    client.force_login(manager)
    criterion = call.criteria.first()
    before = list(call.criteria.values_list("pk", "name", "weight", "description"))

    for method, path, body in [
        ("POST", url("call-criteria", call.pk), {"name": "Nouveau", "weight": 10}),
        ("PUT", url("call-criteria", call.pk), {"criteria": [{"name": "Tout", "weight": 1}]}),
        ("PATCH", url("criterion-detail", criterion.pk), {"weight": 99}),
        ("DELETE", url("criterion-detail", criterion.pk), {}),
    ]:
        response = send(client, method, path, body)
        assert response.status_code == 400, (method, path, response.json())
        assert response.json() == {"criteria": [FROZEN]}, (method, path)

    assert list(call.criteria.values_list("pk", "name", "weight", "description")) == before
    call.refresh_from_db()
    assert [c["weight"] for c in call.published_criteria] == [60, 40]


def test_the_frozen_grid_is_said_in_french(client, manager, call, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    client.force_login(manager)

    response = send(
        client, "PATCH", url("criterion-detail", call.criteria.first().pk), {"weight": 1}
    )

    assert response.status_code == 400
    assert response.json() == {
        "criteria": ["Les critères ont été publiés : ils ne peuvent plus changer."]
    }


def test_the_grid_freezes_when_published_by_the_api(client, manager, draft):
    client.force_login(manager)
    criterion = draft.criteria.first()
    assert (
        send(client, "PATCH", url("criterion-detail", criterion.pk), {"weight": 50}).status_code
        == 200
    )

    assert send(client, "POST", url("call-publish", draft.pk), {}).status_code == 200

    response = send(client, "PATCH", url("criterion-detail", criterion.pk), {"weight": 10})
    assert response.status_code == 400
    criterion.refresh_from_db()
    assert criterion.weight == 50


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weight": 10**20}, "weight"),
        ({"weight": -1}, "weight"),
        ({"weight": 0}, "weight"),
        ({"weight": 1001}, "weight"),
        ({"weight": "lourd"}, "weight"),
        ({"weight": 1.5}, "weight"),
        ({"weight": None}, "weight"),
        ({"name": ""}, "name"),
        ({"name": "Critère\x00"}, "name"),
        ({"name": "Ligne\nsuivante"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": {"deep": ["x"]}}, "name"),
        ({"description": "Texte\x08"}, "description"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_hostile_criteria_are_a_400(client, manager, draft, body, field):
    client.force_login(manager)
    criterion = draft.criteria.first()

    for method, path, sent in [
        ("POST", url("call-criteria", draft.pk), {"name": "Critère", "weight": 10, **body}),
        ("PATCH", url("criterion-detail", criterion.pk), body),
    ]:
        response = send(client, method, path, sent)
        assert response.status_code == 400, (method, response.status_code)
        assert field in response.json(), (method, response.json())
    assert [(c.name, c.weight) for c in draft.criteria.all()] == [(n, w) for n, w, _ in GRID]


def test_a_body_that_is_no_object_is_a_400(client, manager, draft):
    client.force_login(manager)
    for body in ([], "texte", 12, None):
        response = send(client, "POST", url("call-criteria", draft.pk), body)
        assert response.status_code == 400, body


# --- Lots -------------------------------------------------------------------------------------


def test_lots_are_added_and_withdrawn_on_a_draft(client, manager, draft, storeroom, office):
    client.force_login(manager)

    added = send(client, "POST", url("call-lots", draft.pk), {"space": storeroom.pk})

    assert added.status_code == 201, added.json()
    assert added.json()["position"] == 3
    assert added.json()["space"] == storeroom.pk
    again = send(client, "POST", url("call-lots", draft.pk), {"space": storeroom.pk})
    assert again.status_code == 400
    assert again.json() == {"space": ["This space is already a lot of the call."]}

    lot = draft.lots.get(space=office)
    assert send(client, "DELETE", url("lot-detail", lot.pk), {}).status_code == 204
    listed = client.get(url("call-lots", draft.pk)).json()["results"]
    assert [row["space_name"] for row in listed] == ["Atelier 3", "Réserve 2"]


def test_a_lot_is_a_vacant_space_of_the_user(client, manager, draft, space, other_site):
    client.force_login(manager)
    others = SpaceFactory(site=other_site, allocatable=True, bookable=False)

    for space_id, message in [
        (space.pk, "This space is not offered for long-term occupancy."),
        (others.pk, "Choose vacant spaces you manage."),
        (10**20, None),
        ("abc", None),
    ]:
        response = send(client, "POST", url("call-lots", draft.pk), {"space": space_id})
        assert response.status_code == 400
        if message:
            assert response.json() == {"space": [message]}
    assert draft.lots.count() == 2


def test_the_last_lot_stays_and_a_published_calls_lots_are_fixed(client, manager, draft, storeroom):
    client.force_login(manager)
    first, second = draft.lots.all()
    assert send(client, "DELETE", url("lot-detail", first.pk), {}).status_code == 204
    assert send(client, "DELETE", url("lot-detail", second.pk), {}).status_code == 400

    services.call_publish(call=draft, actor=manager)
    assert send(client, "DELETE", url("lot-detail", second.pk), {}).json() == {
        "non_field_errors": [CALL_FROZEN]
    }
    response = send(client, "POST", url("call-lots", draft.pk), {"space": storeroom.pk})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [CALL_FROZEN]}
    assert draft.lots.count() == 1


# --- Publish, close, decide -------------------------------------------------------------------


def test_publish_then_close_then_decide(client, manager, draft, association, applicant):
    client.force_login(manager)

    published = send(client, "POST", url("call-publish", draft.pk), {})
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"
    assert published.json()["criteria"] == [
        {"name": n, "weight": w, "description": d} for n, w, d in GRID
    ]
    assert send(client, "POST", url("call-publish", draft.pk), {}).status_code == 200  # again

    draft.refresh_from_db()
    from tests.calls.conftest import submitted

    sent = submitted(call=draft, structure=association, actor=applicant)
    closed = send(client, "POST", url("call-close", draft.pk), {})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"

    decision = {"deliberation_reference": "DEL-2027-014", "deliberation_date": "2027-02-15"}
    early = send(client, "POST", url("call-decide", draft.pk), decision)
    assert early.status_code == 400
    assert early.json() == {"non_field_errors": ["Decide on every application first."]}

    services.application_refuse(application=sent, actor=manager, reason="Hors critères.")
    decided = send(client, "POST", url("call-decide", draft.pk), decision)
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "decided"
    assert decided.json()["deliberation_reference"] == "DEL-2027-014"
    assert decided.json()["deliberation_date"] == "2027-02-15"
    assert list(CallLog.objects.filter(call=draft).values_list("to_status", "actor")) == [
        ("published", manager.pk),
        ("closed", manager.pk),
        ("decided", manager.pk),
    ]


def test_closing_a_draft_is_a_409(client, manager, draft):
    client.force_login(manager)

    closing_a_draft = send(client, "POST", url("call-close", draft.pk), {})
    assert closing_a_draft.status_code == 409
    assert closing_a_draft.json()["status"] == "draft"
    assert closing_a_draft.json()["detail"] == "This call is “Draft”: that change is not possible."


def test_deciding_an_open_call_is_a_409(client, manager, call):
    client.force_login(manager)
    decision = {"deliberation_reference": "DEL-1", "deliberation_date": "2027-02-15"}
    deciding_an_open_call = send(client, "POST", url("call-decide", call.pk), decision)
    assert deciding_an_open_call.status_code == 409
    assert deciding_an_open_call.json()["status"] == "published"


def test_publishing_needs_a_future_deadline(client, manager, draft):
    client.force_login(manager)
    Call.objects.filter(pk=draft.pk).update(deadline=timezone.now() - timedelta(hours=1))

    response = send(client, "POST", url("call-publish", draft.pk), {})

    assert response.status_code == 400
    assert response.json() == {"deadline": ["The deadline must be in the future."]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"deliberation_reference": "", "deliberation_date": "2027-02-15"},
        {"deliberation_reference": "DEL\x00", "deliberation_date": "2027-02-15"},
        {"deliberation_reference": "x" * 101, "deliberation_date": "2027-02-15"},
        {"deliberation_reference": "DEL-1", "deliberation_date": "15/02/2027"},
        {"deliberation_reference": "DEL-1", "deliberation_date": "99999-02-15"},
        {"deliberation_reference": 10**20, "deliberation_date": 10**20},
    ],
)
def test_a_hostile_deliberation_is_a_400(client, manager, call, body):
    services.call_close(call=call, actor=manager)
    client.force_login(manager)

    response = send(client, "POST", url("call-decide", call.pk), body)

    assert response.status_code == 400
    call.refresh_from_db()
    assert call.status == CallStatus.CLOSED


# --- API tokens -------------------------------------------------------------------------------


def test_a_write_token_drafts_a_call_and_a_read_token_may_not(client, manager, commune, office):
    tokens = {
        scope: api_token_create(
            actor=manager,
            name=f"Logiciel {scope}",
            scope=scope,
            expires_at=timezone.now() + timedelta(days=30),
        )[1]
        for scope in (ApiTokenScope.READ, ApiTokenScope.WRITE)
    }

    def post(scope: str):
        return client.post(
            CALLS,
            json.dumps(call_body(commune, [office])),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[scope]}",
        )

    assert post(ApiTokenScope.READ).status_code == 403
    response = post(ApiTokenScope.WRITE)
    assert response.status_code == 201
    assert Call.objects.get().created_by == manager
