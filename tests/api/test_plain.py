"""The hot lists' plain representations (api/plain.py) give what their output serializers, the
schema's declaration, give for the same rows: the two cannot drift apart.

The clock is frozen on Monday 4 January 2027, 09:00 in Paris.
"""

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from api.bookings import (
    _AVAILABILITY_PAGES,
    _BOOKING_PAGES,
    BookingListItemSerializer,
    BookingOutputSerializer,
    booking_represented,
    booking_rows,
    bookings_represented,
)
from api.plain import converter
from api.spaces import (
    CommuneOutputSerializer,
    SiteOutputSerializer,
    SpaceOutputSerializer,
    communes_represented,
    site_rows,
    sites_represented,
    space_rows,
    spaces_represented,
)
from bookings.models import Frequency
from bookings.rules import Period
from bookings.selectors import booking_detail, bookings_visible_to, spaces_available
from bookings.services import booking_cancel
from spaces.selectors import catalogue_sites, catalogue_spaces, communes_in_territory
from tests.factories import (
    AmenityFactory,
    CommuneFactory,
    MembershipFactory,
    OpeningHoursFactory,
    PhotoFactory,
    PostalCodeFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    booking_request_for,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

START, END = paris(2027, 1, 12, 18), paris(2027, 1, 12, 20)


@pytest.fixture
def furnished(site, space) -> list:
    """Spaces with what varies: equipment out of alphabetical order, photos out of position
    order, a vacancy, a rent, a decimal surface, nothing at all."""
    space.amenities.add(AmenityFactory(name="Vidéoprojecteur"), AmenityFactory(name="Cuisine"))
    PhotoFactory(site=site, space=space, position=2, alt_text="La salle vide")
    PhotoFactory(site=site, space=space, position=1, alt_text="La salle en réunion")
    vacant = SpaceFactory(
        site=SiteFactory(commune=site.commune),
        vacant_since=date(2026, 11, 2),
        reference_rent=Decimal("420.50"),
        surface_m2=Decimal("33.25"),
        allocatable=True,
    )
    return [space, vacant]


def test_space_list_items_equal_the_output_serializer_of_the_same_spaces(furnished):
    spaces = catalogue_spaces(AnonymousUser())

    plain = spaces_represented(list(space_rows(spaces)))

    assert plain == SpaceOutputSerializer(spaces, many=True).data
    assert {item["id"] for item in plain} == {space.pk for space in furnished}


def test_space_list_api_answers_the_output_serializer_of_the_page(client, furnished):
    response = client.get(reverse("api:space-list"))

    expected = SpaceOutputSerializer(catalogue_spaces(AnonymousUser()), many=True).data
    assert response.json()["results"] == _json(expected)


def test_a_list_page_and_its_count_come_from_one_query(client, furnished):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api:space-list"), {"page_size": 1})

    assert response.json()["count"] == len(furnished)
    assert response.json()["next"] is not None
    [page] = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert "OVER ()" in page  # the size of the whole list on each row of the page
    assert "LIMIT 1" in page


def test_a_page_past_the_end_is_a_404_and_an_empty_list_a_page_of_nothing(client, furnished):
    assert client.get(reverse("api:space-list"), {"page": 3, "page_size": 1}).status_code == 404
    assert client.get(reverse("api:space-list"), {"page": 0}).status_code == 404
    assert client.get(reverse("api:space-list"), {"page": "x"}).status_code == 404
    assert client.get(reverse("api:space-list"), {"page": 10**20}).status_code == 404
    last = client.get(reverse("api:space-list"), {"page": "last", "page_size": 1})
    assert last.json()["next"] is None
    assert len(last.json()["results"]) == 1

    empty = client.get(reverse("api:space-list"), {"capacity_min": 10**6})
    assert empty.status_code == 200
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_distinct_list_is_counted_apart(client, furnished):
    # The communes of the territory are a DISTINCT query: a window would count the rows
    # before DISTINCT.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api:commune-list"))

    assert response.json()["count"] == len(response.json()["results"])
    assert not any("OVER ()" in q["sql"] for q in queries.captured_queries)


def test_site_list_items_equal_the_output_serializer_of_the_same_sites(site, furnished):
    SiteFactory(
        commune=site.commune,
        erp_types=["L", "R"],
        erp_category=3,
        step_free_entrance=True,
        street_number=None,
        latitude=None,
    )
    sites = catalogue_sites(AnonymousUser())

    plain = sites_represented(list(site_rows(sites)))

    assert plain == SiteOutputSerializer(sites, many=True).data
    assert len(plain) == 3


def test_commune_list_items_equal_the_output_serializer_of_the_same_communes(epci):
    CommuneFactory(
        epci=epci, postcodes=[PostalCodeFactory(code="59300"), PostalCodeFactory(code="59125")]
    )
    CommuneFactory(epci=epci, population=None).postcodes.clear()
    communes = communes_in_territory().order_by("name")

    plain = communes_represented(list(communes.values("insee_code", "name", "population")))

    assert plain == CommuneOutputSerializer(communes.prefetch_related("postcodes"), many=True).data
    assert [len(item["postcodes"]) for item in plain if item["population"] is None] == [0]


def test_availability_items_equal_the_output_serializer_of_the_same_spaces(furnished):
    spaces = spaces_available(user=AnonymousUser(), period=Period(START, END))

    plain = spaces_represented(list(space_rows(spaces)))

    assert plain == SpaceOutputSerializer(spaces, many=True).data
    assert len(plain) == 2


def test_booking_list_items_equal_the_list_serializer_over_the_detail(space):
    requester = _requester()
    series = _series_with_its_second_date_cancelled(space, requester, repeat_count=3)
    booking_request_for(
        space=space, requested_by=requester, start=END, end=END + timedelta(hours=1)
    )
    bookings = bookings_visible_to(requester).order_by("-start", "pk")

    with time_machine.travel(START + timedelta(days=1), tick=False):  # the first date is over
        plain = bookings_represented(list(booking_rows(bookings)))

    assert plain == BookingListItemSerializer(_summarised(requester), many=True).data
    summary = {item["id"]: (item["occurrence_count"], item["next_occurrence"]) for item in plain}
    assert summary[series.pk][0] == 2
    assert summary[series.pk][1]["start"] == (START + timedelta(weeks=2)).isoformat()


def test_booking_list_items_carry_the_details_fields_but_the_dates_and_log(space):
    requester = _requester()
    booking = booking_request_for(space=space, requested_by=requester, start=START, end=END)

    [item] = bookings_represented(list(booking_rows(bookings_visible_to(requester))))

    detail = BookingOutputSerializer(booking_detail(user=requester).get(pk=booking.pk)).data
    # The equipment held, the answers, the files and when the house rules were accepted (issue
    # 16) are the detail's too: a list reads none of them; so is the group of rooms requested
    # together (issue 16).
    detail_only = {"answers", "files", "house_rules_accepted_at", "equipment", "group"}
    shared = set(detail) - {"occurrences", "log", *detail_only}
    assert {key: item[key] for key in shared} == {key: detail[key] for key in shared}
    assert item["occurrence_count"] == 1
    first = detail["occurrences"][0]
    assert item["next_occurrence"] == {"start": first["start"], "end": first["end"]}


def test_a_booking_represented_equals_the_output_serializer_of_the_same_booking(space):
    requester = _requester()
    series = _series_with_its_second_date_cancelled(
        space, requester, repeat_until=(START + timedelta(weeks=2)).date()
    )
    booking = (
        booking_detail(user=requester)
        .prefetch_related("occupancies", "log__actor")
        .get(pk=series.pk)
    )
    occupancies = sorted(booking.occupancies.all(), key=lambda row: row.start)
    log = sorted(booking.log.all(), key=lambda entry: entry.pk)

    plain = booking_represented(booking, occupancies, log)

    booking._prefetched_objects_cache = {"occupancies": occupancies, "log": log}
    assert plain == BookingOutputSerializer(booking).data
    assert [row["active"] for row in plain["occurrences"]] == [True, False, True]
    assert plain["log"][-1]["occurrence_start"] == (START + timedelta(weeks=1)).isoformat()
    assert plain["repeat_until"] == str((START + timedelta(weeks=2)).date())


def test_the_201_of_a_creation_is_the_detail_of_the_booking(client, space):
    requester = _requester()
    client.force_login(requester)
    organisation = requester.memberships.get().organisation
    body = {
        "space": space.pk,
        "organisation": organisation.pk,
        "purpose": "Assemblée générale",
        "attendees": 12,
        "start": START.isoformat(),
        "end": END.isoformat(),
        "frequency": "weekly",
        "repeat_count": 2,
    }

    created = client.post("/api/v1/bookings/", body, content_type="application/json")

    assert created.status_code == 201, created.content
    detail = client.get(f"/api/v1/bookings/{created.json()['id']}/")
    assert created.json() == detail.json()
    assert len(created.json()["occurrences"]) == 2


# --- Helpers ---


def _series_with_its_second_date_cancelled(space, requester, **repeat):
    """A weekly series from START (`repeat_count` or `repeat_until`), its second date cancelled."""
    series = booking_request_for(
        space=space,
        requested_by=requester,
        start=START,
        end=END,
        frequency=Frequency.WEEKLY,
        **repeat,
    )
    booking_cancel(
        booking=series,
        actor=requester,
        reason="Vacances",
        occurrence_start=START + timedelta(weeks=1),
        and_following=False,
    )
    return series


def _requester():
    organisation = VerifiedStructureFactory()
    return MembershipFactory(organisation=organisation, user=UserFactory()).user


def _summarised(user) -> list:
    """The bookings with the summary computed the naive way, from each date, for the serializer."""
    bookings = list(
        booking_detail(user=user).order_by("-start", "pk").prefetch_related("occupancies")
    )
    now = START + timedelta(days=1)
    for booking in bookings:
        active = sorted((o for o in booking.occupancies.all() if o.active), key=lambda o: o.start)
        booking.occurrence_count = len(active)
        following = [o for o in active if o.end > now]
        booking.next_occurrence = (
            {"start": following[0].start, "end": following[0].end} if following else None
        )
    return bookings


def _outcome(represent, value):
    """The text, or the error's detail (a time zone shifting past the calendar's ends)."""
    try:
        return represent(value)
    except ValidationError as error:
        return ("error", error.detail)


def _json(data) -> list:
    return json.loads(JSONRenderer().render(data))


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC", "America/Noronha"])
def test_a_date_and_time_converter_gives_what_its_field_gives(zone):
    """The converter's shortcut for date and time fields (api.plain._moment): the same text as
    the field's `to_representation` in the request's time zone, the field's own error beyond."""
    values = [
        paris(2027, 1, 12, 18),  # winter
        paris(2027, 7, 12, 18, 30),  # summer
        datetime(2027, 3, 28, 1, 30, 15, 123456, tzinfo=UTC),  # the spring change, microseconds
        datetime(2027, 3, 28, 3, 0, tzinfo=ZoneInfo("Asia/Kolkata")),  # another offset
    ]
    with timezone.override(zone):
        moment = converter(BookingListItemSerializer, "start")
        field = BookingListItemSerializer().fields["start"]
        assert [moment(value) for value in values] == [
            field.to_representation(value) for value in values
        ]
        assert moment(None) is None
        naive = datetime(2027, 1, 12, 18)  # noqa: DTZ001 (through the field itself)
        assert moment(naive) == field.to_representation(naive)
        for edge in (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)):
            assert _outcome(moment, edge) == _outcome(field.to_representation, edge)
    assert converter(BookingListItemSerializer, "start")(values[0]).endswith("+01:00")


def test_the_compiled_bookings_list_answers_as_the_built_one(client, space, monkeypatch):
    """The bookings list reads its pages from SQL compiled once per process (a member's and the
    territory's): every page, the last, past the end and an empty list answer as the queryset
    built for the request answers them."""
    requester = _requester()
    for day in range(5):
        booking_request_for(
            space=space,
            requested_by=requester,
            start=START + timedelta(days=day),
            end=END + timedelta(days=day),
        )
    newcomer = UserFactory()
    queries = [{}, {"page_size": 2}, {"page_size": 2, "page": 3}, {"page": "last", "page_size": 2}]
    queries += [{"page_size": 2, "page": 4}, {"page": "x"}]
    answers = {}
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr("api.bookings._compiled_booking_page", lambda user: None)
        for user in (requester, newcomer):
            client.force_login(user)
            for params in queries:
                response = client.get(reverse("api:booking-list"), params)
                answers.setdefault((user.pk, str(params)), []).append(
                    (response.status_code, response.content)
                )
        if compiled:
            assert (False, 0, 2) in _BOOKING_PAGES  # a member's second page, compiled
    for (user, params), (compiled, built) in answers.items():
        assert compiled == built, (user, params)
    assert json.loads(answers[(requester.pk, "{}")][0][1])["count"] == 5
    assert answers[(requester.pk, str({"page_size": 2, "page": 4}))][0][0] == 404
    assert json.loads(answers[(newcomer.pk, "{}")][0][1])["count"] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compiled on PostgreSQL only")
def test_the_compiled_availability_search_answers_as_the_built_one(client, furnished, monkeypatch):
    """A visitor's availability search reads its pages from SQL compiled once per process (for
    a slot within one day, and for one across midnight): every page, past the end, and the
    catalogue's filters (not compiled) answer as the queryset built for the request answers."""
    slots = [
        {"start": "2027-01-12T18:00:00+01:00", "end": "2027-01-12T20:00:00+01:00"},
        {"start": "2027-01-12T22:00:00+01:00", "end": "2027-01-13T01:00:00+01:00"},
        {"start": "2027-01-12T07:30:00.250000+01:00", "end": "2027-01-12T08:45:00+01:00"},
    ]
    OpeningHoursFactory(space=furnished[0], opens=time(7, 30, 0, 250000), closes=time(20))
    pages = [{}, {"page_size": 1}, {"page_size": 1, "page": 2}, {"page_size": 1, "page": 3}]
    pages += [{"capacity_min": 1}, {"page": "last", "page_size": 1}]
    answers = {}
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr("api.bookings._compiled_availability_page", lambda *args: None)
        for slot in slots:
            for params in pages:
                response = client.get(reverse("api:availability"), {**slot, **params})
                answers.setdefault(str({**slot, **params}), []).append(
                    (response.status_code, response.content)
                )
        if compiled:
            assert all(key in _AVAILABILITY_PAGES for key in [(True, 0, 1), (False, 0, 1)])
    for params, (compiled, built) in answers.items():
        assert compiled == built, params
    counts = [json.loads(answers[str(slot)][0][1])["count"] for slot in slots]
    assert counts == [2, 1, 2]  # open 7:30:00.25 to 20:00: not across midnight
