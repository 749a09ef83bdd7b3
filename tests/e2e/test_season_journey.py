"""The season from end to end in a real browser (issue 17): wishes → plan → arbitration →
decision → publication → the structure's ICS feed, through the pages only.

The starting world is built with the services (a commune with two rooms, an open campaign,
two other structures' wishes); then everything happens on the pages, as people would do it:

1. a member of the judo club sends two wishes with the form (the first with an alternative)
   and sees how many other wishes compete for its slot;
2. the commune's manager closes the campaign, computes the plan, reads the explanations,
   tries a move the board refuses (in French), makes one it accepts, records the committee's
   decision and publishes;
3. the member sees "Mes créneaux", takes the feed's address from it, downloads the feed and
   khal (Debian's calendar application) imports it.

Each page on the way is checked at 390 px (no page-level horizontal scroll, axe finds no serious
or critical violation, touch targets: tests/e2e/test_phone_widths.py `check_page`); the board
also at a desk's width. The live server runs in another thread where a frozen clock does not
hold: the campaign's deadline is a month from the real now.
"""

import re
import shutil
import subprocess
from datetime import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from playwright.sync_api import Page, expect

from bookings.models import Booking
from seasons.models import CampaignStatus, PlanAssignment, Wish
from tests.bookings.test_ics_khal import KHAL_CONFIG, SHOWN
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401 (Debian's chromium)
from tests.e2e.test_phone_widths import DESK, PHONE, check_page
from tests.factories import MembershipFactory, OpeningHoursFactory, SpaceFactory
from tests.factories import VerifiedStructureFactory as Structure
from tests.seasons.conftest import campaign_opened_now, submit, tuesday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KHAL = shutil.which("khal")


def fits(page: Page, viewport: dict = PHONE) -> None:
    assert check_page(page, page.url, viewport) == []


def log_in(page: Page, live_server, user) -> None:
    """A fresh session for `user` (the login page itself is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


@pytest.fixture
def world(commune, site, commune_staff):
    """Denain's campaign over two rooms open on Tuesday afternoons and evenings; the choir
    and the dance school have already sent their wishes."""
    hall = SpaceFactory(site=site, name="Salle A", capacity=30)
    room = SpaceFactory(site=site, name="Salle B", capacity=12)
    for space in (hall, room):
        OpeningHoursFactory(space=space, weekday=1, opens=time(14), closes=time(22))
    campaign = campaign_opened_now(commune, commune_staff, [hall, room])
    choir = Structure(name="Chorale du Nord")
    submit(
        campaign,
        MembershipFactory(organisation=choir).user,
        choir,
        tuesday(hall, 18, 20),
        tuesday(room, 18, 20),
        tuesday(hall, 20, 22),
        purpose="Répétition",
        activity="culture",
    )
    dance = Structure(name="École de danse")
    submit(
        campaign,
        MembershipFactory(organisation=dance).user,
        dance,
        tuesday(hall, 14, 16),
        purpose="Danse classique",
        activity="culture",
    )
    judo = Structure(name="Club de judo")
    member = MembershipFactory(organisation=judo).user
    campaign.refresh_from_db()
    return {"campaign": campaign, "hall": hall, "room": room, "judo": judo, "member": member}


def send_wish(page: Page, *, purpose: str, rank: int, choices: list[tuple]) -> None:
    page.get_by_role("link", name="Ajouter un vœu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau vœu")
    page.get_by_label("Objet").fill(purpose)
    page.get_by_label("Type d’activité").select_option("sport")
    page.get_by_label("Participants").fill("10")
    page.locator("#id_rank").fill(str(rank))
    for position, (start, end, space) in enumerate(choices, start=1):
        page.locator(f"#id_option-{position}-weekday").select_option("1")
        page.locator(f"#id_option-{position}-start").fill(start)
        page.locator(f"#id_option-{position}-end").fill(end)
        page.locator(f"#id_option-{position}-place").select_option(f"space:{space.pk}")


def test_wishes_plan_arbitration_publication_and_the_ics_feed(
    page: Page, live_server, browser_log, world, commune_staff, tmp_path
):
    page.set_default_timeout(60_000)  # computing the plan takes a few seconds on a busy machine
    page.set_viewport_size(PHONE)
    campaign, hall, room, judo = world["campaign"], world["hall"], world["room"], world["judo"]

    # 1. The judo club's member sends two wishes through the form.
    log_in(page, live_server, world["member"])
    page.goto(f"{live_server.url}/saisons/demandes/")
    fits(page)
    page.get_by_role("link", name="Mes vœux dans cette campagne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saison 2027–2028")
    fits(page)

    send_wish(
        page,
        purpose="Judo enfants",
        rank=1,
        choices=[("18:00", "20:00", hall), ("20:00", "22:00", hall)],
    )
    expect(page.locator("#option-1-competition")).to_have_text("1 autre demande sur ce créneau")
    fits(page)
    page.get_by_role("button", name="Envoyer le vœu").click()
    expect(page.get_by_text("Votre vœu est envoyé.")).to_be_visible()

    send_wish(page, purpose="Judo adultes", rank=2, choices=[("16:00", "18:00", room)])
    expect(page.locator("#option-1-competition")).to_have_text(
        re.compile("aucune autre", re.IGNORECASE)
    )
    page.get_by_role("button", name="Envoyer le vœu").click()
    expect(page.get_by_text("Votre vœu est envoyé.")).to_be_visible()

    wishes = page.get_by_role("list", name="Vœux de votre structure")
    expect(wishes.get_by_text("Vœu n° 1 : Judo enfants")).to_be_visible()
    expect(wishes.get_by_text("Vœu n° 2 : Judo adultes")).to_be_visible()
    # Both choices of the first wish compete with one of the choir's.
    expect(wishes.get_by_text("1 autre demande sur ce créneau")).to_have_count(2)
    fits(page)
    assert Wish.objects.filter(structure=judo).count() == 2

    # 2. The manager closes the campaign on its page and computes the plan.
    log_in(page, live_server, commune_staff)
    page.goto(f"{live_server.url}/saisons/{campaign.pk}/")
    fits(page)
    page.get_by_role("button", name="Clôturer la campagne").click()
    expect(page.get_by_text("La campagne est close")).to_be_visible()
    page.get_by_role("button", name="Calculer le plan").click()
    expect(page.get_by_text("Le plan est fait : 4 vœux sur 4 sont satisfaits.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan")
    fits(page)
    run = campaign.plan_runs.latest("pk")
    assignments = {a.wish.purpose: a for a in run.assignments.select_related("wish", "space")}
    # The judo club is new, the choir too: who gets Salle A at 18:00 is the optimiser's call;
    # whoever does, the other one is placed on another of its choices.
    for assignment in assignments.values():
        expect(page.get_by_text(assignment.explanation, exact=True).first).to_be_visible()

    page.get_by_role("link", name="Ouvrir le tableau d’arbitrage").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arbitrage")
    fits(page)
    fits(page, DESK)
    page.set_viewport_size(PHONE)

    # The choir's wish: first a move the board refuses, onto a slot another wish holds.
    choir = assignments["Répétition"]
    judo_kids = assignments["Judo enfants"]
    at_six = {
        a.wish.purpose
        for a in (choir, judo_kids)
        if a.space_id == hall.pk and a.option.start == time(18)
    }
    assert len(at_six) == 1  # one of them holds Salle A at 18:00, the other is elsewhere
    taken, mover = (choir, judo_kids) if "Répétition" in at_six else (judo_kids, choir)
    page.get_by_role("link", name=re.compile(f"^Déplacer {mover.wish.structure.name}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déplacer un vœu")
    fits(page)
    clash_option = mover.wish.options.get(space=hall, start=taken.option.start)
    page.get_by_label("Le placer sur").select_option(f"{clash_option.pk}-{hall.pk}")
    page.get_by_role("button", name="Appliquer le changement").click()
    error = page.locator(".error-summary")
    expect(error).to_contain_text(f"chevauche le créneau de {taken.wish.structure.name}")
    expect(page.get_by_text("Placement actuel")).to_be_visible()
    fits(page)
    mover.refresh_from_db()
    assert (mover.option_id, mover.space_id) != (clash_option.pk, hall.pk)

    # Then a move it accepts: the choir to Salle B at 18:00 when free, else Salle A at 20:00.
    free = [
        (option, space)
        for option in mover.wish.options.all()
        for space in (hall, room)
        if (option.space_id == space.pk)
        and (option.pk, space.pk) != (mover.option_id, mover.space_id)
        and not run.assignments.filter(
            space=space, option__start__lt=option.end, option__end__gt=option.start
        ).exists()
    ]
    assert free, "the world is built so that one of the mover's choices is free"
    option, space = free[0]
    page.get_by_label("Le placer sur").select_option(f"{option.pk}-{space.pk}")
    page.get_by_role("button", name="Appliquer le changement").click()
    expect(page.get_by_text("Le vœu est déplacé.")).to_be_visible()
    expect(page.get_by_text("déplacé à la main").first).to_be_visible()
    mover.refresh_from_db()
    assert (mover.option_id, mover.space_id, mover.moved_by) == (option.pk, space.pk, commune_staff)
    fits(page)

    # The committee's decision, then the publication.
    page.get_by_label("Date de la décision").fill(timezone.localdate().isoformat())
    page.get_by_label("Numéro de la décision").fill("DEL-2027-042")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("La décision est enregistrée")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="Publier le plan").click()
    expect(page.get_by_text("Le plan est publié : 4 séries hebdomadaires")).to_be_visible()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.deliberation_reference == "DEL-2027-042"
    fits(page)

    # 3. The judo club's member sees its slots and downloads its calendar.
    log_in(page, live_server, world["member"])
    page.goto(f"{live_server.url}/saisons/demandes/")
    fits(page)
    page.get_by_role("link", name="Saison 2027–2028").click()
    expect(page.get_by_text("Satisfait", exact=True)).to_have_count(2)
    fits(page)
    page.get_by_role("link", name="Mes créneaux, leurs dates et leur calendrier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes créneaux")
    expect(page.get_by_role("heading", name="2 créneaux")).to_be_visible()
    fits(page)
    address = page.locator(".break-anywhere").first.inner_text()
    feed_path = urlsplit(address).path
    assert resolve(feed_path).view_name == "bookings:feed-ics"
    response = page.request.get(f"{live_server.url}{feed_path}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.body()

    mine = PlanAssignment.objects.filter(run=run, wish__structure=judo).select_related("option")
    bookings = Booking.objects.filter(season_assignments__in=mine)
    assert bookings.count() == 2
    text = body.decode().replace("\r\n ", "")
    for booking in bookings:
        assert f"booking-{booking.pk}@" in text
    assert text.count("BEGIN:VEVENT") >= 2
    assert "RRULE:FREQ=WEEKLY" in text or text.count("BEGIN:VEVENT") > 25

    assert browser_log["page_errors"] == []
    # The one refused move answers 400 with its form (chromium logs it); nothing else.
    assert [e for e in browser_log["console_errors"] if "deplacer" not in e] == []
    assert len(browser_log["console_errors"]) == 1
    assert browser_log["foreign_requests"] == []

    if KHAL is None:
        pytest.skip("khal is not installed (Debian: apt-get install khal); the rest passed")
    listed = khal_list(tmp_path, body)
    for booking in bookings:
        held = booking.occupancies.filter(active=True)
        assert held.count() > 25
        assert sum(f"booking-{booking.pk}@" in line for line in listed) == held.count()


def khal_list(tmp_path, body: bytes) -> list[str]:
    """Import the feed into an empty khal calendar and list the school year's events."""
    root = tmp_path / "khal"
    (root / "calendar").mkdir(parents=True)
    config = root / "khal.conf"
    config.write_text(KHAL_CONFIG.format(root=root, shown=SHOWN))
    (root / "feed.ics").write_bytes(body)
    command = [KHAL, "-c", str(config), "--no-color"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8", "TZ": "UTC"}
    imported = subprocess.run(  # noqa: S603 (khal, our own file)
        [*command, "import", "--batch", "-a", "feed", str(root / "feed.ics")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listed = subprocess.run(  # noqa: S603
        [
            *command,
            "list",
            "--format",
            "{uid} {start}",
            "--day-format",
            "",
            "2027-08-01",
            "2028-08-01",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return [line for line in listed.stdout.splitlines() if line.strip()]
