"""The closures page: close a site or a space, see the bookings hit, cancel them, public holidays."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.models import BookingStatus, Closure, Occupancy, OccupancyKind
from bookings.rules import Period
from bookings.services import BookingRequest, booking_request
from tests.factories import MembershipFactory, SpaceFactory, StructureFactory, UserFactory
from tests.helpers import FROZEN_NOW

PARIS = ZoneInfo("Europe/Paris")
NOW = FROZEN_NOW


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def requester(territory_admin):
    structure = StructureFactory(
        name="Vélo Solidaire", verified_at=timezone.now(), verified_by=territory_admin
    )
    return MembershipFactory(
        organisation=structure, user=UserFactory(email="asso@example.test")
    ).user


@pytest.fixture
def booking(requester, space):
    """Three Tuesday evenings: 12, 19 and 26 January 2027."""
    return booking_request(
        request=BookingRequest(
            space=space,
            organisation=requester.memberships.get().organisation,
            purpose="Atelier réparation",
            attendees=8,
            first=Period(
                datetime(2027, 1, 12, 18, tzinfo=PARIS), datetime(2027, 1, 12, 20, tzinfo=PARIS)
            ),
            frequency="weekly",
            repeat_count=3,
        ),
        requested_by=requester,
    )


def _url(site) -> str:
    return reverse("bookings:closure-list", args=[site.pk])


def _closure_data(**extra) -> dict:
    return {
        "target": "site",
        "start_date": "2027-01-19",
        "end_date": "2027-01-19",
        "reason": "Travaux de peinture",
        **extra,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["facilities_manager", "commune_staff", "territory_admin"])
def test_closure_list_renders_for_the_site_managers(client, request, persona, site, space):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(_url(site))

    assert response.status_code == 200
    assert ("site", "The whole site (all its spaces)") in response.context["form"].fields[
        "target"
    ].choices
    assert "cancel_bookings" not in response.context["form"].fields


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider", "member", "other_commune_staff"])
def test_closure_pages_are_404_for_whoever_does_not_manage_the_site(
    client, request, persona, site, commune_staff
):
    closure = services.closure_create(
        actor=commune_staff,
        site=site,
        period=Period(datetime(2027, 2, 1, tzinfo=PARIS), datetime(2027, 2, 2, tzinfo=PARIS)),
        reason="Inventaire",
    )
    client.force_login(request.getfixturevalue(persona))

    assert client.get(_url(site)).status_code == 404
    assert client.post(_url(site), _closure_data()).status_code == 404
    holidays = reverse("bookings:closure-holidays", args=[site.pk])
    assert client.post(holidays, {"year": 2027}).status_code == 404
    delete = reverse("bookings:closure-delete", args=[closure.pk])
    assert client.post(delete).status_code == 404
    assert Closure.objects.count() == 1


@pytest.mark.django_db
def test_closure_list_shows_current_and_coming_closures_only(
    client, facilities_manager, site, space
):
    for day, reason in ((1, "Passée"), (20, "À venir")):
        services.closure_create(
            actor=facilities_manager,
            space=space,
            period=Period(
                datetime(2027, 1, day, tzinfo=PARIS), datetime(2027, 1, day + 1, tzinfo=PARIS)
            ),
            reason=reason,
        )
    client.force_login(facilities_manager)

    response = client.get(_url(site))

    assert [closure.reason for closure, _when in response.context["closures"]] == ["À venir"]
    assert "Wednesday 20 January 2027, all day" in response.content.decode()


@pytest.mark.django_db
def test_closure_create_closes_every_space_of_the_site_for_whole_days(
    client, facilities_manager, site, space
):
    SpaceFactory(site=site, name="Bureau 2")
    client.force_login(facilities_manager)

    response = client.post(_url(site), _closure_data(end_date="2027-01-20"))

    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.site, closure.space) == (site, None)
    assert (closure.start, closure.end) == (
        datetime(2027, 1, 19, tzinfo=PARIS),
        datetime(2027, 1, 21, tzinfo=PARIS),
    )
    assert closure.occupancies.filter(kind=OccupancyKind.CLOSURE).count() == 2


@pytest.mark.django_db
def test_closure_create_closes_one_space_between_two_times(client, facilities_manager, site, space):
    client.force_login(facilities_manager)

    client.post(
        _url(site),
        _closure_data(target=str(space.pk), start_time="08:00", end_time="12:30"),
    )

    closure = Closure.objects.get()
    assert (closure.site, closure.space) == (None, space)
    assert (closure.start, closure.end) == (
        datetime(2027, 1, 19, 8, tzinfo=PARIS),
        datetime(2027, 1, 19, 12, 30, tzinfo=PARIS),
    )


@pytest.mark.django_db
def test_closure_create_lists_the_bookings_it_would_hit_and_saves_nothing(
    client, facilities_manager, site, space, booking
):
    client.force_login(facilities_manager)

    response = client.post(_url(site), _closure_data(end_date="2027-01-26"))

    assert response.status_code == 409
    assert not Closure.objects.exists()
    hits = response.context["hits"]
    assert [(row.space, row.booking, when) for row, when in hits] == [
        (space, booking, "Tuesday 19 January 2027, 18:00–20:00"),
        (space, booking, "Tuesday 26 January 2027, 18:00–20:00"),
    ]
    assert "Vélo Solidaire — Atelier réparation" in response.content.decode()
    assert "cancel_bookings" in response.context["form"].fields
    assert response.context["form"].non_field_errors()


@pytest.mark.django_db
def test_closure_create_cancels_the_dates_hit_when_asked(
    client, facilities_manager, site, space, booking
):
    client.force_login(facilities_manager)

    response = client.post(_url(site), _closure_data(cancel_bookings="on"))

    assert response.status_code == 302
    closure = Closure.objects.get()
    assert closure.reason == "Travaux de peinture"
    active = Occupancy.objects.filter(booking=booking, active=True).values_list("start", flat=True)
    assert sorted(active) == [
        datetime(2027, 1, 12, 18, tzinfo=PARIS),
        datetime(2027, 1, 26, 18, tzinfo=PARIS),
    ]
    log = booking.log.get(occurrence_start=datetime(2027, 1, 19, 18, tzinfo=PARIS))
    assert (log.to_status, log.reason) == (BookingStatus.CANCELLED, "Travaux de peinture")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The closure “Travaux de peinture” was added.",
        "1 booked date was cancelled.",
    ]


@pytest.mark.django_db
def test_closure_create_refuses_to_overlap_another_closure(client, facilities_manager, site, space):
    services.closure_create(
        actor=facilities_manager,
        space=space,
        period=Period(datetime(2027, 1, 19, tzinfo=PARIS), datetime(2027, 1, 20, tzinfo=PARIS)),
        reason="Déjà fermé",
    )
    client.force_login(facilities_manager)

    response = client.post(_url(site), _closure_data(cancel_bookings="on"))

    assert response.status_code == 409
    assert Closure.objects.count() == 1
    assert "cannot be cancelled here" in str(response.context["form"].non_field_errors())
    assert "cancel_bookings" not in response.context["form"].fields


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"end_date": "2027-01-18"}, "end_date"),
        ({"start_time": "14:00", "end_time": "10:00"}, "end_date"),
        ({"reason": ""}, "reason"),
        ({"target": "999999"}, "target"),
        (
            {"start_date": "2027-03-28", "end_date": "2027-03-28", "start_time": "02:30"},
            "start_time",
        ),
    ],
)
def test_closure_create_shows_bad_input_on_its_field(
    client, facilities_manager, site, space, extra, field
):
    client.force_login(facilities_manager)

    response = client.post(_url(site), _closure_data(**extra))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Closure.objects.exists()


@pytest.mark.django_db
def test_closure_create_errors_are_in_french_by_default(client, facilities_manager, site):
    client.cookies.clear()
    client.force_login(facilities_manager)

    response = client.post(
        _url(site),
        _closure_data(start_date="2027-03-28", end_date="2027-03-28", start_time="02:30"),
    )

    assert response.context["form"].errors["start_time"] == [
        "02:30 n’existe pas le 28/03/2027 en France : on avance l’heure cette nuit-là. "
        "Choisissez un autre horaire."
    ]


@pytest.mark.django_db
def test_closure_delete_reopens_the_slot(client, facilities_manager, site, space):
    closure = services.closure_create(
        actor=facilities_manager,
        site=site,
        period=Period(datetime(2027, 2, 1, tzinfo=PARIS), datetime(2027, 2, 2, tzinfo=PARIS)),
        reason="Inventaire",
    )
    client.force_login(facilities_manager)
    url = reverse("bookings:closure-delete", args=[closure.pk])

    assert client.get(url).status_code == 405
    response = client.post(url)

    assert response.status_code == 302
    assert response.url == _url(site)
    assert not Closure.objects.exists()
    assert not Occupancy.objects.exists()


@pytest.mark.django_db
def test_public_holidays_close_the_site_on_the_eleven_days(client, facilities_manager, site, space):
    client.force_login(facilities_manager)

    response = client.post(reverse("bookings:closure-holidays", args=[site.pk]), {"year": 2027})

    assert response.status_code == 302
    closures = Closure.objects.filter(site=site).order_by("start")
    assert closures.count() == 11
    assert (closures[0].reason, closures[0].start) == (
        "Jour de l'an",
        datetime(2027, 1, 1, tzinfo=PARIS),
    )


@pytest.mark.django_db
def test_public_holidays_leave_booked_days_open_and_say_which(
    client, facilities_manager, requester, site, space
):
    booking_request(
        request=BookingRequest(
            space=space,
            organisation=requester.memberships.get().organisation,
            purpose="Brocante",
            attendees=8,
            first=Period(
                datetime(2027, 5, 8, 10, tzinfo=PARIS), datetime(2027, 5, 8, 12, tzinfo=PARIS)
            ),
        ),
        requested_by=requester,
    )
    client.force_login(facilities_manager)

    response = client.post(
        reverse("bookings:closure-holidays", args=[site.pk]), {"year": 2027}, follow=True
    )

    assert Closure.objects.filter(site=site).count() == 10
    texts = [str(message) for message in response.context["messages"]]
    assert texts[0] == "10 public holidays of 2027 were added as closures."
    assert "Victoire 1945 (05/08/2027)" in texts[1]


@pytest.mark.django_db
def test_public_holidays_refuse_a_year_out_of_range(client, facilities_manager, site):
    client.force_login(facilities_manager)

    client.post(reverse("bookings:closure-holidays", args=[site.pk]), {"year": 1999})

    assert not Closure.objects.exists()
