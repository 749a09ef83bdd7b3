"""Dates in query strings and URLs: every page and API view that reads one answers 400 or a
sensible fallback to any hostile value, never a 500 (issue 9 §7)."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from core.params import BadParameter, parse_date_param, parse_datetime_param
from payments.models import ChannelKind, PaymentChannel

HOSTILE = [
    "2027-02-30",  # no such day
    "0001-01-01",  # a week before it does not exist
    "9999-12-31",  # a week after it does not exist, nor its UTC conversion
    "2027-W99",
    "1" + "0" * 20 + "-01-01",  # a year of 10**20
    "",
    "2027-01-04\x00",
    "2027-01-04\n",
    "\x1b[2J",
]
VALID_START, VALID_END = "2027-01-04T00:00:00+01:00", "2027-01-11T00:00:00+01:00"


def _anonymous_cases(space):
    week = reverse("bookings:space-week", args=[space.pk])
    return [
        lambda v: f"{week}?{urlencode({'semaine': v})}",
        lambda v: (
            reverse("bookings:availability")
            + "?"
            + urlencode({"date": v, "start_time": "14:00", "end_time": "16:00"})
        ),
        lambda v: reverse("api:availability") + "?" + urlencode({"start": v, "end": VALID_END}),
        lambda v: reverse("api:availability") + "?" + urlencode({"start": VALID_START, "end": v}),
    ]


def _manager_cases(space, site):
    events = reverse("bookings:calendar-events")
    occupancy = reverse("api:space-occupancy", args=[space.pk])
    return [
        lambda v: (
            reverse("bookings:calendar-space", args=[space.pk]) + "?" + urlencode({"date": v})
        ),
        lambda v: reverse("bookings:calendar-site", args=[site.pk]) + "?" + urlencode({"date": v}),
        lambda v: f"{events}?{urlencode({'space': space.pk, 'start': v, 'end': VALID_END})}",
        lambda v: f"{events}?{urlencode({'site': site.pk, 'start': VALID_START, 'end': v})}",
        lambda v: (
            reverse("bookings:site-timeline", args=[site.pk])
            + "?"
            + urlencode({"start": v, "months": 24})
        ),
        lambda v: f"{occupancy}?{urlencode({'start': v, 'end': VALID_END})}",
        lambda v: f"{occupancy}?{urlencode({'start': VALID_START, 'end': v})}",
    ]


def _admin_cases(site, owner):
    accounting = reverse("reports:accounting-csv", args=[owner.pk])
    return [
        lambda v: reverse("reports:index") + "?" + urlencode({"annee": v[:4]}),
        lambda v: reverse("reports:aid-list") + "?" + urlencode({"annee": v}),
        lambda v: reverse("reports:aid-csv") + "?" + urlencode({"annee": v}),
        lambda v: f"{accounting}?{urlencode({'debut': v, 'fin': '2027-01-31'})}",
        lambda v: f"{accounting}?{urlencode({'debut': '2027-01-01', 'fin': v})}",
    ]


def _assert_no_server_error(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 400), (url, response.status_code)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_dates_never_give_a_server_error_to_the_public(client, space, value):
    for build in _anonymous_cases(space):
        _assert_no_server_error(client, build(value))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_dates_never_give_a_server_error_to_a_manager(
    client, space, facilities_manager, value
):
    client.force_login(facilities_manager)
    for build in _manager_cases(space, space.site) + _anonymous_cases(space):
        _assert_no_server_error(client, build(value))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_dates_never_give_a_server_error_to_the_intercommunality(
    client, space, territory_admin, value
):
    PaymentChannel.objects.create(
        owner=space.site.owner,
        kind=ChannelKind.PUBLIC_ACCOUNTING,
        finance_department="Service finances de Denain",
    )
    client.force_login(territory_admin)
    cases = _admin_cases(space.site, space.site.owner) + _manager_cases(space, space.site)
    for build in cases:
        _assert_no_server_error(client, build(value))


@pytest.mark.parametrize("year", ["1", "9999", "1" + "0" * 20])
def test_years_in_report_urls_at_the_calendar_s_ends_are_not_found(
    client, space, territory_admin, year
):
    client.force_login(territory_admin)
    commune = space.site.commune
    for url in [
        f"/rapports/annexe/{commune.insee_code}/{year}/",
        f"/rapports/annexe/{commune.insee_code}/{year}/csv/",
        f"/rapports/attestation/{space.site.owner.pk}/{year}/",
    ]:
        assert client.get(url).status_code == 404, url


def test_an_impossible_week_is_refused_in_french_and_the_current_week_shown(client, space):
    response = client.get(
        reverse("bookings:space-week", args=[space.pk]), {"semaine": "2027-02-30"}
    )

    assert response.status_code == 400
    assert "« semaine » n’est pas une date valide" in response.text
    assert "La semaine en cours est affichée à la place." in response.text


def test_the_last_week_allowed_has_no_link_past_the_bounds(client, space):
    response = client.get(
        reverse("bookings:space-week", args=[space.pk]), {"semaine": "2200-12-31"}
    )

    assert response.status_code == 200
    assert "Semaine précédente" in response.text
    assert "Semaine suivante" not in response.text


def test_a_timeline_from_year_one_is_refused_in_french(client, site, facilities_manager):
    client.force_login(facilities_manager)

    response = client.get(
        reverse("bookings:site-timeline", args=[site.pk]), {"start": "0001-01-01"}
    )

    assert response.status_code == 400
    assert "entre les années 1900 et 2200" in response.text


def test_a_calendar_feed_out_of_bounds_is_a_400_in_french(client, space, facilities_manager):
    client.force_login(facilities_manager)

    response = client.get(
        reverse("bookings:calendar-events"),
        {"space": space.pk, "start": "9999-12-31", "end": "9999-12-31T23:59:59"},
    )

    assert response.status_code == 400
    assert "entre les années 1900 et 2200" in response.json()["error"]


@pytest.mark.parametrize(
    "value", ["2027-02-30", "2027-W05", "2027-1-4", "02/01/2027", "2027-01-04 "]
)
def test_parse_date_param_refuses_anything_but_an_existing_iso_day(value):
    with pytest.raises(BadParameter):
        parse_date_param(value, name="date")


def test_parse_datetime_param_keeps_the_offset_and_reads_a_day_as_its_midnight():
    moment = parse_datetime_param("2027-03-02T18:00:00+01:00", name="start")
    day = parse_datetime_param("2027-03-02", name="start")

    assert moment.utcoffset().total_seconds() == 3600
    assert (day.year, day.month, day.day, day.hour, day.tzinfo) == (2027, 3, 2, 0, None)
    assert parse_datetime_param("", name="start") is None
