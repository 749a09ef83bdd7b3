"""The approval queue (`bookings:pending`) and "My bookings" (`bookings:booking-list`): the
queue's table, filters and decisions row by row or in bulk; the list's upcoming and past
bookings, series, prices and calendar subscription."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from bookings.models import Booking, BookingStatus, CalendarFeed
from bookings.services import booking_cancel, booking_refuse, calendar_feed_create
from payments.rules import OrganisationCategory, TariffUnit
from payments.services.tariffs import tariff_set
from tests.factories import (
    MembershipFactory,
    SpaceFactory,
    StructureFactory,
    booking_request_for,
    paris,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _request(space, requester, day: int, *, hour: int = 18, purpose: str = "", **series):
    start = paris(2027, 1, day, hour)
    return booking_request_for(
        space=space,
        requested_by=requester,
        start=start,
        end=start + timedelta(hours=2),
        purpose=purpose or f"Réunion du {day}",
        **series,
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def other_space(other_site):
    return SpaceFactory(site=other_site, name="Salle des fêtes")


# --- The queue: what each row shows ----------------------------------------------------------


@pytest.mark.django_db
def test_pending_shows_a_row_per_request_with_its_facts(
    client, facilities_manager, space, requester, territory_admin
):
    series = _request(space, requester, 12, frequency="weekly", repeat_count=3)
    single = _request(space, requester, 13, purpose="Atelier vélo")
    # A structure whose verification was withdrawn after it requested (its row says so).
    unverified = StructureFactory(name="Jeunes Pousses")
    Booking.objects.filter(pk=single.pk).update(organisation=unverified)
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:pending"))

    assert response.status_code == 200
    rows = {booking.pk: booking for booking in response.context["pending"]}
    assert set(rows) == {series.pk, single.pk}
    assert rows[series.pk].dates == 3
    page = response.content.decode()
    assert "3 dates" in page
    assert f"{rows[series.pk].attendees} / {space.capacity}" in page
    # Verified or not is said in words, not only by a colour.
    assert "vérifiée" in page
    assert "non vérifiée" in page
    assert f'name="row" value="approve-{series.pk}"' in page
    assert f'name="row" value="refuse-{series.pk}"' in page
    assert series.lapses_at is not None


@pytest.mark.django_db
def test_pending_shows_the_price_from_the_payments_column(
    client, facilities_manager, space, requester, territory_admin
):
    _priced_12_an_hour(space, territory_admin)
    _request(space, requester, 12)  # two hours
    client.force_login(facilities_manager)

    page = client.get(reverse("bookings:pending")).content.decode()

    assert "24,00" in page


@pytest.mark.django_db
def test_pending_renders_without_the_payments_column(client, facilities_manager, space, requester):
    from core.panels import registry_replaced

    _request(space, requester, 12)
    client.force_login(facilities_manager)

    with registry_replaced({}):
        response = client.get(reverse("bookings:pending"))

    assert response.status_code == 200
    assert response.context["fees"] == {}


@pytest.mark.django_db
def test_pending_counts_only_the_dates_still_held_for_a_manager_and_the_territory(
    client, facilities_manager, territory_admin, space, requester
):
    series = _request(space, requester, 12, frequency="weekly", repeat_count=3)
    booking_cancel(
        booking=series,
        actor=requester,
        reason="Salle prise ailleurs",
        occurrence_start=paris(2027, 1, 19, 18),
    )

    # The manager's queue is read by SQL compiled once per process, the territory's is built
    # each time: both say the same.
    for user in (facilities_manager, territory_admin):
        client.force_login(user)
        rows = client.get(reverse("bookings:pending")).context["pending"]
        assert [(booking.pk, booking.dates) for booking in rows] == [(series.pk, 2)]


@pytest.mark.django_db
def test_pending_row_texts_escape_the_purpose(client, facilities_manager, space, requester):
    _request(
        space, requester, 12, purpose="Atelier <b> & “l'été”", frequency="weekly", repeat_count=2
    )
    client.force_login(facilities_manager)

    page = client.get(reverse("bookings:pending")).content.decode()

    quoted = "«\N{NO-BREAK SPACE}Atelier &lt;b&gt; &amp; “l&#x27;été”\N{NO-BREAK SPACE}»"
    assert f"Sélectionner {quoted}</span>" in page
    assert page.count(f"> {quoted}</span>") == 2  # approve and refuse
    assert "2 dates" in page
    assert "<b>" not in page


@pytest.mark.django_db
def test_pending_rows_of_a_manager_are_the_pending_table(
    facilities_manager, territory_admin, space, other_space, requester
):
    from bookings.selectors import bookings_pending_rows, bookings_pending_table

    _request(space, requester, 12, frequency="weekly", repeat_count=2)
    _request(space, requester, 13)
    _request(other_space, requester, 14)

    for user in (facilities_manager, territory_admin):
        compiled = bookings_pending_rows(user)
        built = list(bookings_pending_table(user))
        assert [
            (b.pk, b.dates, b.space.name, b.space.site.name, b.organisation.name) for b in compiled
        ] == [(b.pk, b.dates, b.space.name, b.space.site.name, b.organisation.name) for b in built]
    assert len(bookings_pending_rows(facilities_manager)) == 2


@pytest.mark.django_db
def test_pending_menus_list_the_sites_and_spaces_the_user_manages(
    facilities_manager, territory_admin, space, other_space, requester
):
    from spaces.selectors import (
        sites_manageable_by,
        sites_manageable_menu,
        spaces_manageable_by,
        spaces_manageable_menu,
    )

    for user in (facilities_manager, territory_admin, requester):
        sites = sites_manageable_by(user).order_by("name", "pk")
        spaces = spaces_manageable_by(user).order_by("site__name", "name", "pk")
        assert sites_manageable_menu(user) == [(site.pk, site.name) for site in sites]
        assert spaces_manageable_menu(user) == [
            (one.pk, one.name, one.site.name) for one in spaces.select_related("site")
        ]
    assert sites_manageable_menu(facilities_manager) == [(space.site.pk, space.site.name)]


# --- The queue: filters ----------------------------------------------------------------------


@pytest.mark.django_db
def test_pending_filters_by_site_space_and_dates(
    client, territory_admin, space, other_space, requester
):
    here = _request(space, requester, 12)
    later_here = _request(space, requester, 26)
    there = _request(other_space, requester, 12)
    client.force_login(territory_admin)
    url = reverse("bookings:pending")

    def listed(**params) -> set[int]:
        return {booking.pk for booking in client.get(url, params).context["pending"]}

    assert listed() == {here.pk, later_here.pk, there.pk}
    assert listed(site=other_space.site.pk) == {there.pk}
    assert listed(space=space.pk) == {here.pk, later_here.pk}
    assert listed(date_from="2027-01-13") == {later_here.pk}
    # The end date is included, whatever the hour of the request on that day.
    assert listed(date_from="2027-01-01", date_to="2027-01-12") == {here.pk, there.pk}


@pytest.mark.django_db
def test_pending_ignores_a_bad_filter_and_says_so(client, facilities_manager, space, requester):
    mine = _request(space, requester, 12)
    client.force_login(facilities_manager)

    response = client.get(
        reverse("bookings:pending"), {"date_from": "1800-01-01", "date_to": "2027-01-31"}
    )

    assert response.status_code == 200
    assert "ne sont pas valides" in response.content.decode()
    assert [booking.pk for booking in response.context["pending"]] == [mine.pk]


@pytest.mark.django_db
def test_pending_site_filter_offers_only_the_managers_sites(
    client, facilities_manager, space, other_space, requester
):
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:pending"), {"site": other_space.site.pk})

    # Another site is not a choice: the filter is invalid and ignored, nothing of it leaks.
    choices = list(response.context["filter"].form.fields["site"].queryset)
    assert choices == [space.site]
    assert "Salle des fêtes" not in response.content.decode()


# --- The queue: decisions --------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_approval_decides_the_others_when_one_fails(
    client, facilities_manager, space, requester
):
    first = _request(space, requester, 12)
    decided_meanwhile = _request(space, requester, 13, purpose="Assemblée générale")
    third = _request(space, requester, 14)
    booking_refuse(booking=decided_meanwhile, actor=facilities_manager, reason="Travaux")
    client.force_login(facilities_manager)

    response = client.post(
        reverse("bookings:pending"),
        {"bookings": [first.pk, decided_meanwhile.pk, third.pk], "decision": "approve"},
        follow=True,
    )

    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: BookingStatus.CONFIRMED,
        decided_meanwhile.pk: BookingStatus.REFUSED,
        third.pk: BookingStatus.CONFIRMED,
    }
    texts = _messages(response)
    assert "2 demandes acceptées." in texts
    assert any(f"n° {decided_meanwhile.pk}" in text for text in texts), texts


@pytest.mark.django_db
def test_bulk_approval_reports_a_conflict_of_interest_by_name(
    client, facilities_manager, space, requester, organisation
):
    impartial = _request(space, requester, 12)
    # The manager belongs to the organisation of this one: a colleague must decide it.
    MembershipFactory(organisation=organisation, user=facilities_manager)
    client.force_login(facilities_manager)

    response = client.post(
        reverse("bookings:pending"),
        {"bookings": [impartial.pk], "decision": "approve"},
        follow=True,
    )

    impartial.refresh_from_db()
    assert impartial.status == BookingStatus.PENDING
    assert any(
        "Réunion du 12" in text and "pas été décidée" in text for text in _messages(response)
    )


@pytest.mark.django_db
def test_refusing_needs_a_reason_and_keeps_the_selection(
    client, facilities_manager, space, requester
):
    first = _request(space, requester, 12)
    second = _request(space, requester, 13)
    client.force_login(facilities_manager)

    response = client.post(
        reverse("bookings:pending"),
        {"bookings": [second.pk], "row": f"refuse-{first.pk}", "reason": "  "},
    )

    assert response.status_code == 400
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.PENDING}
    assert "Motif" in response.content.decode()
    assert response.context["selected"] == {second.pk}
    assert f'value="{second.pk}" id="select-{second.pk}" checked' in response.content.decode()


@pytest.mark.django_db
def test_a_row_refused_with_a_reason_leaves_and_the_rest_stays_filtered_and_ticked(
    client, territory_admin, space, other_space, requester
):
    first = _request(space, requester, 12)
    second = _request(space, requester, 13)
    elsewhere = _request(other_space, requester, 13)
    client.force_login(territory_admin)
    url = reverse("bookings:pending") + f"?site={space.site.pk}"

    response = client.post(
        url,
        {"bookings": [first.pk, second.pk], "row": f"refuse-{first.pk}", "reason": "Travaux"},
    )

    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"site": [str(space.site.pk)], "choisis": [str(second.pk)]}
    first.refresh_from_db()
    assert first.status == BookingStatus.REFUSED
    assert first.log.get(to_status=BookingStatus.REFUSED).reason == "Travaux"
    page = client.get(response["Location"])
    assert [booking.pk for booking in page.context["pending"]] == [second.pk]
    assert page.context["selected"] == {second.pk}
    assert elsewhere.pk not in {booking.pk for booking in page.context["pending"]}


@pytest.mark.django_db
def test_a_forged_id_of_another_site_is_not_decided_and_is_reported(
    client, facilities_manager, space, other_space, requester
):
    mine = _request(space, requester, 12)
    not_mine = _request(other_space, requester, 12)
    client.force_login(facilities_manager)

    response = client.post(
        reverse("bookings:pending"),
        {"bookings": [mine.pk, not_mine.pk], "decision": "approve"},
        follow=True,
    )

    mine.refresh_from_db()
    not_mine.refresh_from_db()
    assert mine.status == BookingStatus.CONFIRMED
    assert not_mine.status == BookingStatus.PENDING
    texts = _messages(response)
    assert any(f"n° {not_mine.pk}" in text for text in texts), texts
    # Nothing of the other site's request is told: not its purpose, not its space.
    assert not any("Salle des fêtes" in text for text in texts)


@pytest.mark.django_db
def test_a_bulk_decision_without_a_ticked_row_decides_nothing(
    client, facilities_manager, space, requester
):
    _request(space, requester, 12)
    client.force_login(facilities_manager)

    response = client.post(reverse("bookings:pending"), {"decision": "approve"})

    assert response.status_code == 400
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.PENDING}


@pytest.mark.django_db
def test_an_outsider_sees_no_request_and_decides_none(client, space, requester, other_requester):
    booking = _request(space, requester, 12)
    client.force_login(other_requester)

    listed = client.get(reverse("bookings:pending")).context["pending"]
    client.post(reverse("bookings:pending"), {"row": f"approve-{booking.pk}"})

    assert listed == []
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


@pytest.mark.django_db
def test_pending_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("bookings:pending"))

    assert response.status_code == 302
    assert "/connexion/" in response["Location"] or "login" in response["Location"]


# --- My bookings -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_bookings_split_upcoming_and_past_around_now(client, space, requester):
    done = _request(space, requester, 12, purpose="Passée")
    running_series = _request(space, requester, 13, frequency="weekly", repeat_count=3)
    later = _request(space, requester, 20, hour=9, purpose="À venir")
    client.force_login(requester)

    with time_machine.travel(paris(2027, 1, 15, 12), tick=False):
        response = client.get(reverse("bookings:booking-list"))

    assert [booking.pk for booking in response.context["upcoming"]] == [
        running_series.pk,
        later.pk,
    ]
    assert [booking.pk for booking in response.context["past"].object_list] == [done.pk]


@pytest.mark.django_db
def test_my_bookings_show_a_series_once_with_its_dates(client, space, requester):
    series = _request(space, requester, 12, frequency="weekly", repeat_count=3)
    client.force_login(requester)

    response = client.get(reverse("bookings:booking-list"))

    page = response.content.decode()
    assert [booking.pk for booking in response.context["upcoming"]] == [series.pk]
    assert "Voir ses 3 dates" in page
    assert page.count('<details class="series-dates"') == 1
    start = page.index('<details class="series-dates"')
    details = page[start : page.index("</details>", start)]
    for day in ("12", "19", "26"):
        assert f"mardi {day} janvier 2027" in details.lower()


@pytest.mark.django_db
def test_my_bookings_mark_a_cancelled_date_of_a_series(client, space, requester):
    series = _request(space, requester, 12, frequency="weekly", repeat_count=3)
    booking_cancel(
        booking=series,
        actor=requester,
        reason="Vacances",
        occurrence_start=series.start + timedelta(days=7),
    )
    client.force_login(requester)

    page = client.get(reverse("bookings:booking-list")).content.decode()

    start = page.index('<details class="series-dates"')
    items = page[page.index("<ul>", start) + 4 : page.index("</ul>", start)].split("</li>")
    assert [item.endswith(" — <strong>annulée</strong>") for item in items[:3]] == [
        False,
        True,
        False,
    ]
    assert "mardi 19 janvier 2027" in items[1].lower()


@pytest.mark.django_db
def test_my_bookings_pages_the_past(client, space, requester):
    for day in range(6, 31):  # 25 bookings, all past a month later
        _request(space, requester, day, hour=8)
    client.force_login(requester)

    with time_machine.travel(paris(2027, 3, 1, 12), tick=False):
        first = client.get(reverse("bookings:booking-list"))
        second = client.get(reverse("bookings:booking-list"), {"passees": 2})

    assert list(first.context["upcoming"]) == []
    assert len(first.context["past"].object_list) == 20
    assert len(second.context["past"].object_list) == 5
    assert "Voir plus" in first.content.decode()


@pytest.mark.django_db
def test_my_bookings_pages_the_upcoming_ones(client, space, requester):
    for day in range(6, 31):  # 25 bookings to come, soonest first
        _request(space, requester, day, hour=8)
    client.force_login(requester)

    first = client.get(reverse("bookings:booking-list"))
    second = client.get(reverse("bookings:booking-list"), {"avenir": 2, "passees": 1})

    shown = list(first.context["upcoming"])
    assert len(shown) == 20
    assert [booking.start for booking in shown] == sorted(booking.start for booking in shown)
    page = first.content.decode()
    nav = page[page.index('<nav class="pagination" aria-label="Réservations à venir">') :]
    nav = nav[: nav.index("</nav>")]
    assert '<li aria-current="page">Page 1 sur 2</li>' in nav
    assert 'href="?avenir=2#upcoming-title">Voir plus</a>' in nav
    later = list(second.context["upcoming"])
    assert len(later) == 5
    assert min(booking.start for booking in later) > max(booking.start for booking in shown)
    assert 'href="?avenir=1#upcoming-title">Plus proches</a>' in second.content.decode()


@pytest.mark.django_db
def test_my_bookings_show_price_and_payment_state(client, space, requester, territory_admin):
    _priced_12_an_hour(space, territory_admin)
    _request(space, requester, 12)
    client.force_login(requester)

    page = client.get(reverse("bookings:booking-list")).content.decode()

    assert "24,00" in page
    assert "Pas encore payé" in page


@pytest.mark.django_db
def test_my_bookings_price_more_bookings_in_the_same_queries(
    client, space, requester, territory_admin, django_assert_num_queries
):
    """The bookings are read with only the columns the cards and the price column use
    (bookings_for_list): a field read beyond them would cost a query per card."""
    _priced_12_an_hour(space, territory_admin)
    _request(space, requester, 12)
    _request(space, requester, 12, hour=8, frequency="weekly", repeat_count=2)
    client.force_login(requester)
    client.get(reverse("bookings:booking-list"))  # the session and the menu's reads settle
    with django_assert_num_queries(12) as two:
        client.get(reverse("bookings:booking-list"))
    _request(space, requester, 13, frequency="weekly", repeat_count=3)
    _request(space, requester, 14, hour=9)

    with django_assert_num_queries(len(two.captured_queries)):
        page = client.get(reverse("bookings:booking-list")).content.decode()

    assert page.count("Pas encore payé") == 4
    assert "72,00" in page  # the new series: three dates of two hours at 12 €


@pytest.mark.django_db
def test_my_bookings_offer_a_subscription_without_creating_one_on_get(
    client, requester, organisation
):
    client.force_login(requester)

    page = client.get(reverse("bookings:booking-list")).content.decode()

    assert CalendarFeed.objects.count() == 0
    assert f'name="target" value="organisation-{organisation.pk}"' in page


@pytest.mark.django_db
def test_my_bookings_give_the_webcal_link_and_the_address_to_copy(client, requester, organisation):
    feed = calendar_feed_create(
        user=requester, scope=CalendarFeed.Scope.ORGANISATION, target=organisation
    )
    client.force_login(requester)

    page = client.get(reverse("bookings:booking-list")).content.decode()

    assert 'href="webcal://' in page
    assert f"/reservations/ics/{feed.token}.ics" in page
    assert "readonly" in page
    assert 'value="http' in page
    assert f'name="target" value="organisation-{organisation.pk}"' not in page


@pytest.mark.django_db
def test_my_bookings_list_only_the_users_organisations(client, space, requester, other_requester):
    mine = _request(space, requester, 12)
    _request(space, other_requester, 13)
    client.force_login(requester)

    response = client.get(reverse("bookings:booking-list"))

    assert [booking.pk for booking in response.context["upcoming"]] == [mine.pk]


@pytest.mark.django_db
def test_select_all_works_without_javascript(client, facilities_manager, space, requester):
    first = _request(space, requester, 12)
    second = _request(space, requester, 13)
    client.force_login(facilities_manager)

    response = client.get(reverse("bookings:pending"), {"tout": "1", "space": space.pk})

    assert response.context["selected"] == {first.pk, second.pk}
    page = response.content.decode()
    assert f'id="select-{first.pk}" checked' in page
    assert f'id="select-{second.pk}" checked' in page


def _priced_12_an_hour(space, territory_admin) -> None:
    """12 € an hour for associations on `space`."""
    tariff_set(
        space=space,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.HOUR,
        amount_cents=12_00,
        actor=territory_admin,
    )
