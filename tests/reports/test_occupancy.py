"""The observatory (issue 15): occupancy rates computed by hand on a small fixture, the
dashboards' permissions, bad periods, and a query count that does not grow with the spaces.

The fixture's period is the fortnight of Monday 22 March to Sunday 4 April 2027, across the
clock change of Sunday 28 March (02:00 → 03:00 in Paris). The clock is frozen on 4 January
2027, so every booking goes through the real services (they refuse past dates)."""

from datetime import date, time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import EssFamily, MembershipRole, SiaeKind
from bookings.rules import Period
from bookings.services import booking_cancel, closure_create
from reports.selectors.occupancy import observatory
from spaces.models import Site, SpaceKind, Weekday
from tests.factories import (
    MembershipFactory,
    OpeningHoursFactory,
    SiteFactory,
    SpaceFactory,
    UserFactory,
    VerifiedStructureFactory,
    agreement_signed,
    booking_request_for,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

FIRST, AFTER = date(2027, 3, 22), date(2027, 4, 5)
QUERY = {"debut": "2027-03-22", "fin": "2027-04-04"}


@pytest.fixture
def requester(db):
    structure = VerifiedStructureFactory(
        name="Atelier Chantier", ess_family=EssFamily.ASSOCIATION, siae_kind=SiaeKind.ACI
    )
    return MembershipFactory(organisation=structure, user=UserFactory()).user


@pytest.fixture
def room(site):
    """Open Monday–Friday 08:00–18:00 and Sunday 00:00–06:00 (across the clock change)."""
    room = SpaceFactory(site=site, name="Salle A")
    for day in range(5):
        OpeningHoursFactory(space=room, weekday=day, opens=time(8), closes=time(18))
    OpeningHoursFactory(space=room, weekday=Weekday.SUNDAY, opens=time(0), closes=time(6))
    return room


@pytest.fixture
def hall(site):
    """No opening hours: open all the time."""
    return SpaceFactory(site=site, name="Salle B")


@pytest.fixture
def fortnight(territory_admin, room, hall, requester, site):
    """Two hours booked in the room, a cancelled date, a closure of four open hours, and two
    bookings of the hall across the period's edges; an office let from the second week."""
    booking_request_for(
        space=room, requested_by=requester, start=paris(2027, 3, 23, 10), end=paris(2027, 3, 23, 12)
    )
    cancelled = booking_request_for(
        space=room, requested_by=requester, start=paris(2027, 3, 25, 10), end=paris(2027, 3, 25, 13)
    )
    booking_cancel(booking=cancelled, actor=requester, reason="Plus besoin")
    closure_create(
        actor=territory_admin,
        space=room,
        period=Period(paris(2027, 3, 24, 14), paris(2027, 3, 24, 18)),
        reason="Travaux",
    )
    booking_request_for(
        space=hall, requested_by=requester, start=paris(2027, 3, 21, 22), end=paris(2027, 3, 22, 2)
    )
    booking_request_for(
        space=hall, requested_by=requester, start=paris(2027, 4, 4, 23), end=paris(2027, 4, 5, 1)
    )
    office = SpaceFactory(
        site=site,
        name="Bureau 3",
        kind=SpaceKind.OFFICE,
        surface_m2=Decimal("20"),
        bookable=False,
        allocatable=True,
    )
    agreement_signed(
        actor=territory_admin,
        structure=requester.memberships.get().organisation,
        spaces=[office],
        start=date(2027, 3, 29),
        end=date(2027, 6, 1),
        signed_on=date(2027, 1, 4),
    )
    SpaceFactory(
        site=site,
        name="Bureau vide",
        bookable=False,
        allocatable=True,
        vacant_since=date(2026, 6, 1),
    )


def _line(data, name):
    return next(line for line in data.spaces if line.name == name)


def test_hours_open_follow_the_opening_hours_the_clock_change_and_the_closure(fortnight, site):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    # 10 weekdays × 10 h + Sunday 28 March (6 h on the clock, 5 h elapsed) + Sunday 4 April (6 h)
    # − the closure of Wednesday 24 March 14:00–18:00 (4 h).
    assert _line(data, "Salle A").current.open == (100 + 5 + 6 - 4) * 3600


def test_a_space_without_opening_hours_is_open_every_elapsed_hour(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    assert _line(data, "Salle B").current.open == (14 * 24 - 1) * 3600


def test_hours_booked_count_active_dates_clipped_to_the_period(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    # The room: 2 h (the cancelled date does not count). The hall: 2 h of 21 March 22:00–02:00
    # and 1 h of 4 April 23:00–01:00 fall inside the period.
    assert (_line(data, "Salle A").current.booked, _line(data, "Salle B").current.booked) == (
        2 * 3600,
        3 * 3600,
    )


def test_hours_per_month_count_each_date_in_the_local_month_it_starts_in(
    fortnight, hall, requester
):
    # 1 April 00:30 in Paris is still 31 March in UTC: April's.
    booking_request_for(
        space=hall, requested_by=requester, start=paris(2027, 4, 1, 0, 30), end=paris(2027, 4, 1, 1)
    )

    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    # March: the room's 2 h and the 2 h of the hall's date that starts on 21 March (inside the
    # period's first month, before the period); April: 30 min on the 1st, 1 h on the 4th.
    assert data.months == [(date(2027, 3, 1), Decimal("4.0")), (date(2027, 4, 1), Decimal("1.5"))]


def test_rates_per_space_site_and_territory(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    assert (
        _line(data, "Salle A").current.rate,
        _line(data, "Salle B").current.rate,
        data.sites[0].current.rate,
        data.total.current.rate,
    ) == (
        Decimal("0.0187"),
        Decimal("0.0090"),
        Decimal("0.0113"),
        Decimal("0.0113"),
    )  # 2/107, 3/335, 5/442


def test_previous_period_has_the_same_length_just_before(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    hall = _line(data, "Salle B")
    # 8–21 March: no clock change; the hall's 21 March booking has 2 h before midnight.
    assert (data.previous_period.start, hall.previous.open, hall.previous.booked) == (
        paris(2027, 3, 8),
        14 * 24 * 3600,
        2 * 3600,
    )


def test_surface_rate_is_m2_allocated_over_m2_available_in_time(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    # Two offices of 20 m² and 40 m² (the empty one: SpaceFactory's default); the let office
    # from 29 March 00:00 to the end: 168 elapsed hours of 335.
    assert data.total.current.surface_rate == Decimal(20 * 168 / (60 * 335)).quantize(
        Decimal("0.0001")
    )


def test_vacancy_lists_declared_vacant_spaces_and_their_m2(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    assert [(v.name, v.since) for v in data.vacant] == [("Bureau vide", date(2026, 6, 1))]


def test_structures_are_counted_by_ess_family_and_siae_kind(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    families = {count.key: count.structures for count in data.by_family}
    assert (families["association"], [(c.key, c.structures) for c in data.by_siae_kind]) == (
        1,
        [("aci", 1)],
    )


def test_hours_used_per_structure(fortnight):
    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    assert [(use.name, use.hours, use.allocated_m2) for use in data.structures] == [
        ("Atelier Chantier", Decimal("5.0"), Decimal("20"))
    ]


def test_never_used_and_always_full_spaces(fortnight, site, requester):
    idle = SpaceFactory(site=site, name="Salle C")
    full = SpaceFactory(site=site, name="Salle D")
    OpeningHoursFactory(space=full, weekday=Weekday.TUESDAY, opens=time(18), closes=time(20))
    for day in (23, 30):
        booking_request_for(
            space=full,
            requested_by=requester,
            start=paris(2027, 3, day, 18),
            end=paris(2027, 3, day, 20),
        )

    data = observatory(sites=Site.objects.all(), first_day=FIRST, after_day=AFTER)

    assert ([line.name for line in data.never_used], [line.name for line in data.always_full]) == (
        [idle.name],
        [full.name],
    )


def _spaces_with_bookings(site, requester, count):
    for index in range(count):
        space = SpaceFactory(site=site, name=f"Salle {index:02}")
        OpeningHoursFactory(space=space, weekday=Weekday.TUESDAY)
        booking_request_for(
            space=space,
            requested_by=requester,
            start=paris(2027, 3, 23, 10),
            end=paris(2027, 3, 23, 11),
        )


@pytest.mark.parametrize("count", [2, 20])
def test_dashboard_query_count_does_not_grow_with_the_spaces(
    client, territory_admin, site, requester, count
):
    _spaces_with_bookings(site, requester, count)
    client.force_login(territory_admin)
    client.get(reverse("reports:observatory"), QUERY)  # the session and memo warmed

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:observatory"), QUERY)

    assert (response.status_code, response.context["data"].total.current.booked, len(queries)) == (
        200,
        count * 3600,
        QUERY_COUNT,
    )


QUERY_COUNT = 12  # session, user, territory check, the menu (2), the communes and observatory() (6)


@pytest.mark.parametrize(
    ("period", "count"),
    [
        # Whole months, and so is the year before: the summary instead of the rows.
        ({"debut": "2027-01-01", "fin": "2027-12-31"}, QUERY_COUNT),
        # Whole months, the period before starts with two days: the summary, and the rows of
        # those two days.
        ({"debut": "2027-03-01", "fin": "2027-04-30"}, QUERY_COUNT + 1),
    ],
)
@pytest.mark.parametrize("spaces", [2, 20])
def test_dashboard_over_whole_months_reads_the_monthly_summary(
    client, territory_admin, site, requester, period, count, spaces
):
    _spaces_with_bookings(site, requester, spaces)
    client.force_login(territory_admin)
    client.get(reverse("reports:observatory"), period)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:observatory"), period)

    assert (response.status_code, response.context["data"].total.current.booked, len(queries)) == (
        200,
        spaces * 3600,
        count,
    )
    assert sum("bookings_occupancymonth" in query["sql"] for query in queries) == 1


def test_territory_dashboard_shows_each_chart_with_its_table(client, territory_admin, fortnight):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:observatory"), QUERY)

    html = response.content.decode()
    assert (
        html.count('<canvas data-chart="'),
        html.count('type="application/json"'),
        html.count("<caption"),
    ) == (3, 3, 8)


def test_commune_staff_sees_only_its_own_premises(client, commune_staff, commune, other_site):
    client.force_login(commune_staff)

    response = client.get(reverse("reports:observatory-commune", args=[commune.insee_code]), QUERY)

    assert [site.name for site in response.context["data"].sites] == []  # no space in `site`


def test_commune_dashboard_lists_the_communes_sites(
    client, commune_staff, commune, room, other_site
):
    SpaceFactory(site=other_site, name="Ailleurs")
    client.force_login(commune_staff)

    response = client.get(reverse("reports:observatory-commune", args=[commune.insee_code]), QUERY)

    assert [line.name for line in response.context["data"].spaces] == ["Salle A"]


def test_another_communes_staff_gets_404(client, other_commune_staff, commune):
    client.force_login(other_commune_staff)

    response = client.get(reverse("reports:observatory-commune", args=[commune.insee_code]))

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["member", "commune_staff", "outsider"])
def test_territory_dashboard_is_404_for_anyone_but_the_intercommunality(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("reports:observatory")).status_code == 404


def test_anonymous_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("reports:observatory"))

    assert (response.status_code, response.url.startswith(reverse("accounts:login"))) == (
        302,
        True,
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"debut": "2010-01-01", "fin": "2029-12-31"}, "cinq ans au plus"),
        ({"debut": "2027-03-22", "fin": "2027-03-01"}, "le premier jour ou un jour après"),
        ({"debut": "hier", "fin": "2027-03-01"}, "date valide"),
        ({"debut": "99999-01-01", "fin": "2027-03-01"}, "date valide"),
    ],
)
def test_bad_periods_get_a_french_message_not_a_500(client, territory_admin, params, message):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:observatory"), params)

    assert (response.status_code, message in response.content.decode()) == (400, True)


def test_rows_list_adds_up_to_the_dashboard_number(client, territory_admin, fortnight, hall):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:occupancy-rows"), {**QUERY, "espace": hall.pk})

    assert (len(response.context["page"].object_list), response.context["hours"]) == (
        2,
        Decimal("3.0"),
    )


def test_rows_list_shows_commune_staff_nothing_of_another_communes_sites(
    client, other_commune_staff, fortnight, hall
):
    client.force_login(other_commune_staff)

    response = client.get(reverse("reports:occupancy-rows"), {**QUERY, "espace": hall.pk})

    assert response.context["page"].paginator.count == 0


@pytest.mark.parametrize("space", ["1 OR 1=1", "9" * 21, "9" * 19])
def test_rows_list_refuses_a_space_that_is_no_id(client, territory_admin, space):
    client.force_login(territory_admin)

    response = client.get(reverse("reports:occupancy-rows"), {**QUERY, "espace": space})

    assert response.status_code == 404


def test_rows_list_is_a_404_for_who_observes_nothing(client, booker, facilities_manager):
    for user in (booker, facilities_manager):
        client.force_login(user)

        response = client.get(reverse("reports:occupancy-rows"), QUERY)

        assert response.status_code == 404, user


def test_commune_premises_are_the_sites_the_commune_owns(commune, epci):
    owned = SiteFactory(commune=commune, name="Salle des fêtes")
    SiteFactory(commune=commune, owner=epci, name="Les Grands Bureaux")

    from reports.selectors.occupancy import commune_premises

    assert list(commune_premises(commune)) == [owned]


def test_staff_role_does_not_matter_for_the_commune_dashboard(client, commune):
    user = MembershipFactory(organisation=commune.organisation, role=MembershipRole.ADMIN).user
    client.force_login(user)

    response = client.get(reverse("reports:observatory-commune", args=[commune.insee_code]))

    assert response.status_code == 200
