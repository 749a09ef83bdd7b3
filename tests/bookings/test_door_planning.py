"""A room's planning for its door (issue 17): the page and the PDF, read from Occupancy.

The clock stands on Wednesday 1 September 2027, 09:00 in Paris. The room « Salle Usinor » of
« Les Grands Bureaux » (12 rue Jean-Jaurès, 59172 Denain) is closed from Monday 1 to Sunday 7
November 2027 (« Vacances de la Toussaint »); « Les Amis du Vélo » hold it every Tuesday
18:00–20:00 from 7 September to 21 December 2027, the closed Tuesday skipped (15 dates);
« Repair Café du Denaisis » booked Sunday 31 October 18:00–20:00, the day the clocks go back.
The PDFs are read with pdftotext (poppler-utils), as a person reading the sheet would.
"""

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import Booking, BookingStatus, Frequency
from bookings.rules import Period
from bookings.services import closure_create
from tests.factories import SpaceFactory, agreement_signed, booking_request_for, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def frozen_now() -> datetime:
    return paris(2027, 9, 1, 9)


@pytest.fixture
def room(site, facilities_manager):
    room = SpaceFactory(site=site, name="Salle Usinor", instant_confirmation=True)
    closure_create(
        actor=facilities_manager,
        period=Period(paris(2027, 11, 1), paris(2027, 11, 8)),
        reason="Vacances de la Toussaint",
        space=room,
    )
    return room


@pytest.fixture
def series(room, requester):
    """Every Tuesday 18:00–20:00, the closed Tuesday (2 November) skipped."""
    return booking_request_for(
        space=room,
        requested_by=requester,
        start=paris(2027, 9, 7, 18),
        end=paris(2027, 9, 7, 20),
        purpose="Atelier de réparation",
        frequency=Frequency.WEEKLY,
        repeat_until=paris(2027, 12, 21).date(),
        skip_conflicts=True,
    )


@pytest.fixture
def one_off(room, other_requester):
    """Sunday 31 October 2027, 18:00–20:00: the clocks went back at 03:00 that morning."""
    return booking_request_for(
        space=room,
        requested_by=other_requester,
        start=paris(2027, 10, 31, 18),
        end=paris(2027, 10, 31, 20),
        purpose="Café réparation",
    )


@pytest.fixture
def booked(series, one_off):
    assert series.status == one_off.status == BookingStatus.CONFIRMED
    return series, one_off


def _page(client, room, **params):
    return client.get(reverse("bookings:space-planning", args=[room.pk]), params)


def _pdf(client, room, *, public: bool = False, **params):
    name = "bookings:space-planning-public-pdf" if public else "bookings:space-planning-pdf"
    return client.get(reverse(name, args=[room.pk]), params)


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: apt-get install poppler-utils (.ci/run does)"
    return path


def _pdf_text(content: bytes) -> str:
    """The PDF's text as pdftotext reads it, its runs of spaces and line ends made one space."""
    text = subprocess.run(  # noqa: S603 (poppler, our own PDF)
        [_poppler("pdftotext"), "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"\s+", " ", text)


def _pdf_info(content: bytes) -> str:
    return subprocess.run(  # noqa: S603
        [_poppler("pdfinfo"), "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def _pages(content: bytes) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _pdf_info(content), re.MULTILINE).group(1))


def _text(response) -> str:
    """The page's text with its tags and repeated spaces taken out."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- The week, on the page ---


def test_the_week_names_the_structures_at_their_local_times_across_the_clock_change(
    client, room, booked, facilities_manager
):
    client.force_login(facilities_manager)

    response = _page(client, room, semaine="2027-10-27", semaines="3")

    text = _text(response)
    assert response.status_code == 200
    assert "Salle Usinor" in text
    assert "Les Grands Bureaux — 12 rue Jean-Jaurès, 59172 Denain" in text
    assert "3 semaines du 25 octobre 2027 au 14 novembre 2027" in text
    # Tuesday 26 October (summer time), Sunday 31 October and Tuesday 9 November (winter time):
    # 18:00 each time, never 17:00 or 19:00.
    assert re.findall(r"(\d\d:\d\d)–(\d\d:\d\d)", text) == [("18:00", "20:00")] * 3
    assert text.index("Mardi 26 octobre") < text.index("18:00–20:00 Les Amis du Vélo")
    assert "18:00–20:00 Repair Café du Denaisis" in text
    assert text.index("Dimanche 31 octobre") < text.index("Repair Café du Denaisis")
    # The closed week: each day closed all day, the reason said; the skipped Tuesday is free.
    assert text.count("Toute la journée Fermé : Vacances de la Toussaint") == 7
    assert "Atelier de réparation" not in text  # the purpose only when asked for
    assert "Libre" in text


def test_the_purpose_is_shown_when_the_manager_asks_for_it(client, room, booked, commune_staff):
    client.force_login(commune_staff)

    response = _page(client, room, semaine="2027-09-07", objet="1")

    assert response.status_code == 200
    assert "Les Amis du Vélo — Atelier de réparation" in _text(response)


def test_a_request_awaiting_approval_says_so(client, room, facilities_manager, requester):
    room.instant_confirmation = False
    room.save(update_fields=["instant_confirmation"])
    booking_request_for(
        space=room, requested_by=requester, start=paris(2027, 9, 14, 10), end=paris(2027, 9, 14, 12)
    )
    client.force_login(facilities_manager)

    text = _text(_page(client, room, semaine="2027-09-14"))

    assert "10:00–12:00 Les Amis du Vélo (en attente de validation)" in text


def test_a_closure_of_part_of_a_day_shows_its_times(client, room, facilities_manager):
    closure_create(
        actor=facilities_manager,
        period=Period(paris(2027, 9, 15, 22), paris(2027, 9, 16, 6)),
        reason="Nettoyage des sols",
        space=room,
    )
    client.force_login(facilities_manager)

    text = _text(_page(client, room, semaine="2027-09-15"))

    assert "22:00–24:00 Fermé : Nettoyage des sols" in text  # Wednesday until midnight
    assert "00:00–06:00 Fermé : Nettoyage des sols" in text  # Thursday from midnight


def test_an_agreement_names_its_structure_for_the_managers_only(
    client, office, occupant, verified, commune_staff
):
    agreement_signed(
        actor=occupant,
        structure=verified,
        spaces=[office],
        start=date(2027, 10, 1),
        end=date(2028, 10, 1),
    )
    client.force_login(commune_staff)

    named = _text(_page(client, office, semaine="2027-10-04"))
    public = _text(
        client.get(
            reverse("bookings:space-planning-public", args=[office.pk]), {"semaine": "2027-10-04"}
        )
    )

    assert named.count("Toute la journée Convention d’occupation : Mobilité Solidaire") == 7
    assert public.count("Toute la journée Réservé") == 7
    assert "Mobilité Solidaire" not in public


def test_the_page_is_accessible_and_printable(client, room, booked, facilities_manager, settings):
    client.force_login(facilities_manager)

    html = _page(client, room, semaine="2027-10-25").content.decode()

    assert html.count("<caption>") == 7  # a table per day, its day as caption
    assert html.count('<th scope="col">') == 14
    assert '<th scope="row">18:00–20:00</th>' in html
    assert "bookings/door.css" in html
    # The public page of the room, as a QR code with its text alternative, and in words.
    public = settings.SITE_URL.rstrip("/") + room.get_absolute_url()
    assert 'src="data:image/svg+xml' in html
    assert f"QR code menant à la page de cette salle : {public}" in html
    assert f"Cette salle en ligne : {public}" in html


def test_the_print_style_sheet_prints_black_on_white_without_the_site_chrome():
    from django.contrib.staticfiles import finders

    with open(finders.find("bookings/door.css"), encoding="utf-8") as sheet:
        css = sheet.read()
    print_part = css[css.index("@media print") :]

    assert "size: A4 portrait" in print_part
    assert ".site-header" in print_part
    assert ".no-print" in print_part
    assert "break-after: page" in print_part
    assert "color: #000" in print_part
    assert "background: #fff" in print_part


# --- The typical week of the school year ---


def test_the_typical_week_lists_the_weekly_series_with_their_first_and_last_dates(
    client, room, booked, facilities_manager
):
    client.force_login(facilities_manager)

    response = _page(client, room, type="saison", annee="2027")

    text = _text(response)
    assert response.status_code == 200
    assert "Semaine type, année scolaire 2027–2028 (du 1 septembre 2027 au 31 août 2028)" in text
    assert (
        "18:00–20:00 Les Amis du Vélo du 7 septembre 2027 au 21 décembre 2027, 15 dates "
        "(1 semaine sans)"
    ) in text
    assert "Repair Café du Denaisis" not in text  # a one-off booking is no weekly series
    assert text.count("Aucune série hebdomadaire") == 6


def test_a_date_cancelled_by_a_later_closure_leaves_the_typical_week(
    client, room, booked, facilities_manager
):
    closure_create(
        actor=facilities_manager,
        period=Period(paris(2027, 12, 14), paris(2027, 12, 15)),
        reason="Élections",
        space=room,
        cancel_bookings=True,
    )
    client.force_login(facilities_manager)

    text = _text(_page(client, room, type="saison", annee="2027"))

    assert (
        "18:00–20:00 Les Amis du Vélo du 7 septembre 2027 au 21 décembre 2027, 14 dates "
        "(2 semaines sans)"
    ) in text


def test_the_typical_week_of_another_year_is_empty(client, room, booked, facilities_manager):
    client.force_login(facilities_manager)

    text = _text(_page(client, room, type="saison", annee="2028"))

    assert "Les Amis du Vélo" not in text
    assert text.count("Aucune série hebdomadaire") == 7


# --- The PDF ---


def test_the_pdf_prints_one_a4_portrait_page_per_week_with_names_and_times(
    client, room, booked, facilities_manager
):
    client.force_login(facilities_manager)

    response = _pdf(client, room, semaine="2027-10-25", semaines="3")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="planning-salle-usinor-2027-10-25.pdf"' in response["Content-Disposition"]
    content = response.content
    assert _pages(content) == 3
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", _pdf_info(content))
    text = _pdf_text(content)
    assert "Salle Usinor" in text
    assert "12 rue Jean-Jaurès, 59172 Denain" in text
    assert "Semaine du lundi 25 octobre au dimanche 31 octobre 2027" in text
    assert "18:00–20:00 Les Amis du Vélo" in text
    assert "18:00–20:00 Repair Café du Denaisis" in text
    assert len(re.findall(r"18:00–20:00", text)) == 3  # 18:00 on both sides of 31 October
    assert "17:00" not in text
    assert "19:00" not in text
    assert text.count("Fermé : Vacances de la Toussaint") == 7
    assert "Cette salle en ligne" in text


def test_the_pdf_is_french_whatever_the_language_of_the_manager(
    client, room, booked, facilities_manager, settings
):
    client.force_login(facilities_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    text = _pdf_text(_pdf(client, room, semaine="2027-11-01").content)

    assert "Toute la journée" in text
    assert "Fermé : Vacances de la Toussaint" in text
    assert "Closed" not in text


def test_the_typical_week_as_a_pdf_is_one_page(client, room, booked, facilities_manager):
    client.force_login(facilities_manager)

    response = _pdf(client, room, type="saison", annee="2027")

    assert _pages(response.content) == 1
    assert "saison-2027" in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert "Semaine type, année scolaire 2027–2028" in text
    assert "18:00–20:00 Les Amis du Vélo du 07/09/2027 au 21/12/2027, 15 dates" in text


def test_a_busy_week_still_prints_on_one_page(client, room, facilities_manager, requester):
    for day in range(13, 20):  # seven days of five bookings each: 35 lines
        for hour in (8, 10, 12, 14, 16):
            booking_request_for(
                space=room,
                requested_by=requester,
                start=paris(2027, 9, day, hour),
                end=paris(2027, 9, day, hour + 1),
            )
    client.force_login(facilities_manager)

    response = _pdf(client, room, semaine="2027-09-13")

    assert _pages(response.content) == 1
    assert _pdf_text(response.content).count("Les Amis du Vélo") == 35


def test_the_pdfs_are_rate_limited(client, room, booked, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "door_pdf": "2/minute"}

    answers = [_pdf(client, room, public=True).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


# --- Who sees which version ---


def test_the_named_version_is_not_found_for_those_who_do_not_manage_the_room(
    client, room, booked, other_commune_staff, requester
):
    for user in (other_commune_staff, requester):
        client.force_login(user)
        assert _page(client, room).status_code == 404
        assert _pdf(client, room).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in_for_the_named_version(client, room, booked):
    for response in (_page(client, room), _pdf(client, room)):
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_the_public_version_says_reserved_only(client, room, booked):
    url = reverse("bookings:space-planning-public", args=[room.pk])

    response = client.get(url, {"semaine": "2027-10-25", "objet": "1"})

    text = _text(response)
    assert response.status_code == 200
    assert "18:00–20:00 Réservé" in text
    assert "Fermé" not in text  # that week is not closed
    for name in ("Les Amis du Vélo", "Repair Café du Denaisis", "Atelier", "Café réparation"):
        assert name not in text
    pdf = _pdf(client, room, public=True, semaine="2027-11-01", semaines="2")
    pdf_text = _pdf_text(pdf.content)
    assert "18:00–20:00 Réservé" in pdf_text
    assert "Fermé : Vacances de la Toussaint" in pdf_text  # as on the public week of the space
    assert "Les Amis du Vélo" not in pdf_text
    season = _text(client.get(url, {"type": "saison", "annee": "2027"}))
    assert "18:00–20:00 Réservé du 7 septembre 2027 au 21 décembre 2027, 15 dates" in season


def test_the_public_version_of_an_unpublished_site_is_not_found(client, room, other_commune_staff):
    room.site.is_published = False
    room.site.save(update_fields=["is_published"])
    url = reverse("bookings:space-planning-public", args=[room.pk])

    assert client.get(url).status_code == 404
    client.force_login(other_commune_staff)
    assert client.get(url).status_code == 404
    assert _pdf(client, room, public=True).status_code == 404


def test_an_unpublished_site_has_no_qr_code(client, room, facilities_manager):
    room.site.is_published = False
    room.site.save(update_fields=["is_published"])
    client.force_login(facilities_manager)

    html = _page(client, room).content.decode()

    assert "data:image/svg+xml" not in html
    assert "Cette salle en ligne" not in html


def test_the_space_page_links_to_the_planning_for_its_managers_only(
    client, room, facilities_manager
):
    planning = reverse("bookings:space-planning", args=[room.pk])
    assert planning not in client.get(room.get_absolute_url()).content.decode()
    client.force_login(facilities_manager)
    assert planning in client.get(room.get_absolute_url()).content.decode()


def test_the_public_week_links_to_the_public_planning(client, room):
    html = client.get(
        reverse("bookings:space-week", args=[room.pk]), {"semaine": "2027-09-14"}
    ).content.decode()

    assert reverse("bookings:space-planning-public", args=[room.pk]) + "?semaine=2027-09-13" in html


# --- Hostile parameters: a French reason and a sensible default, never a 500 ---


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"semaine": "garbage"}, "n’est pas une date valide"),
        ({"semaine": "2027-02-30"}, "n’est pas une date valide"),
        ({"semaine": "99999-01-01"}, "n’est pas une date valide"),
        ({"semaine": "9999-12-31"}, "entre les années 1900 et 2200"),
        ({"semaine": "2027-09-13\n"}, "n’est pas une date valide"),
        ({"semaines": "1000"}, "de 1 à 13"),
        ({"semaines": "-1"}, "de 1 à 13"),
        ({"type": "saison", "annee": str(10**20)}, "« annee » doit être une année de 1900 à 2199"),
        ({"type": "saison", "annee": "10^20"}, "« annee » doit être une année"),
        ({"type": "saison", "annee": "2200"}, "« annee » doit être une année"),
        ({"type": "<script>"}, "« type » doit valoir « semaine » ou « saison »"),
    ],
)
def test_a_bad_parameter_gets_a_french_reason_and_the_default(
    client, room, booked, facilities_manager, params, reason
):
    client.force_login(facilities_manager)

    page = _page(client, room, **params)
    pdf = _pdf(client, room, **params)

    for response in (page, pdf):
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        html = response.content.decode()
        assert reason in html.replace("&nbsp;", " ")
        assert "<script>" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    if "type" not in params:
        assert "Semaine du lundi 30 août 2027 au dimanche 5 septembre 2027" in _text(page)


def test_the_first_and_last_weeks_the_pages_accept_have_no_link_beyond(
    client, room, facilities_manager
):
    client.force_login(facilities_manager)

    first = _page(client, room, semaine="1900-01-01")
    last = _page(client, room, semaine="2200-12-31", semaines="13")
    year = _page(client, room, type="saison", annee="2199")

    assert first.status_code == last.status_code == year.status_code == 200
    assert "Semaine précédente" not in first.content.decode()
    assert "Semaine suivante" not in last.content.decode()
    assert "Année scolaire suivante" not in year.content.decode()


# --- Queries: as many for one booking as for many ---


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("bookings:space-planning", {"semaine": "2027-09-13", "semaines": "2"}),
        ("bookings:space-planning", {"type": "saison", "annee": "2027"}),
        ("bookings:space-planning-pdf", {"semaine": "2027-09-13"}),
        ("bookings:space-planning-public", {"semaine": "2027-09-13"}),
        ("bookings:space-planning-public-pdf", {"type": "saison", "annee": "2027"}),
    ],
)
def test_the_query_count_does_not_grow_with_the_bookings(
    client, room, facilities_manager, requester, other_requester, name, params
):
    client.force_login(facilities_manager)
    url = reverse(name, args=[room.pk])

    def book(count: int, start_hour: int) -> None:
        for index in range(count):
            start = paris(2027, 9, 13 + index % 6, start_hour + index // 6)
            booking_request_for(
                space=room,
                requested_by=requester if index % 2 else other_requester,
                start=start,
                end=start + timedelta(minutes=45),
                frequency=Frequency.WEEKLY,
                repeat_count=4,
            )

    book(1, 8)
    client.get(url, params)  # warm-up: per-process caches are not what is measured
    one = _queries(client, url, params)
    book(30, 9)
    assert Booking.objects.count() == 31

    assert _queries(client, url, params) == one
