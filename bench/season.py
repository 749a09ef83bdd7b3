"""The season's optimiser on generated campaigns (issue 17): seconds for a commune, under a
minute for the intercommunality.

    python -m bench.season [--no-doc] [--seed 17]
    python -m bench.season --publication 1000   # the publication, with a database

Generates, with a fixed seed, a commune-sized campaign (100 structures × 5 wishes, 40 spaces)
and an intercommunality-sized one (1,000 structures × 5 wishes, 400 spaces): each wish a first
choice and two alternatives, mostly in the contested evening hours, a named space or a kind of
space, attendees and equipment; the rules give points to the commune's structures, favoured ESS
families and activities and last year's holders, and cap each structure at 6 h a week. Each
campaign is solved by `seasons.solver.solve` (HiGHS) and, as the run's baseline, by a greedy pass
(wishes by their points, each taking its first free option). Pure Python and the solver: no
database. Writes the `## Season` block of docs/benchmarks.md unless `--no-doc`.

`--publication N` instead times `seasons.services.campaign_publish` on a decided plan of N
structures × 2 slots (`publication_campaign`), in a throwaway database (a SQLite file, or
PostgreSQL with DATABASE_URL); its figures are copied into docs/benchmarks.md by hand.
"""

import argparse
import os
import platform
import random
import re
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seasons import solver  # noqa: E402 (after the path)

KINDS = ["hall", "meeting_room", "workshop", "office"]
AMENITIES = ["projector", "kitchen", "piano", "mirrors", "sound"]
CAP_MINUTES = 6 * 60


def generate(*, structures: int, spaces: int, seed: int) -> solver.Problem:
    """A campaign: `structures` × 5 wishes over `spaces` spaces, fixed by `seed`."""
    rng = random.Random(seed)  # noqa: S311 (generated data, reproducible)
    rooms = []
    for n in range(1, spaces + 1):
        closes = rng.choice([20, 22, 22, 23]) * 60
        days = range(7) if rng.random() < 0.3 else range(6)
        rooms.append(
            solver.Space(
                id=n,
                name=f"Salle {n}",
                kind=KINDS[n % len(KINDS)],
                site_id=(n - 1) // 8 + 1,  # sites of 8 rooms
                capacity=rng.choice([12, 20, 30, 50, 80, 150]),
                amenities=frozenset(a for a in AMENITIES if rng.random() < 0.35),
                hours=tuple((day, 8 * 60, closes) for day in days),
            )
        )
    wishes = []
    wish_id = 0
    for s in range(1, structures + 1):
        local = rng.random() < 0.6
        family_points = rng.choice([0, 0, 0, 30, 60])
        activity_points = rng.choice([0, 0, 50, 100])
        # A structure asks around a few "home" rooms, as real ones do.
        home = rng.sample(rooms, 3)
        for rank in range(1, 6):
            wish_id += 1
            attendees = rng.choice([8, 12, 15, 20, 25, 40])
            needs = frozenset(a for a in AMENITIES if rng.random() < 0.08)
            options = []
            weekday = rng.randrange(6)
            start = rng.choice([9, 10, 14, 16, 17, 17, 18, 18, 18, 19, 19, 20]) * 60
            length = rng.choice([60, 90, 120, 120, 180])
            room = rng.choice(home)
            holder = rng.random() < 0.3
            for position in range(1, 4):
                bonuses = []
                if local:
                    bonuses.append(("local_first", 300))
                if family_points:
                    bonuses.append(("family", family_points))
                if activity_points:
                    bonuses.append(("activity", activity_points))
                if holder and position == 1:
                    bonuses.append(("holders_keep", 200))
                named = rng.random() < 0.7
                options.append(
                    solver.Option(
                        position=position,
                        weekday=weekday,
                        start=start,
                        end=min(start + length, 23 * 60),
                        space_id=room.id if named else None,
                        space_kind="" if named else room.kind,
                        site_id=None if named else room.site_id,
                        bonuses=tuple(bonuses),
                    )
                )
                # The alternatives: another day, another hour or another room.
                move = rng.randrange(3)
                if move == 0:
                    weekday = (weekday + rng.randrange(1, 6)) % 6
                elif move == 1:
                    start = rng.choice([17, 18, 19, 20]) * 60
                else:
                    room = rng.choice(rooms)
            wishes.append(
                solver.Wish(
                    id=wish_id,
                    structure_id=s,
                    structure_name=f"Structure {s}",
                    rank=rank,
                    attendees=attendees,
                    options=tuple(options),
                    amenities=needs,
                    terms=frozenset(solver.TERMS)
                    if rng.random() < 0.85
                    else frozenset({rng.choice(solver.TERMS)}),
                )
            )
    return solver.Problem(
        spaces=tuple(rooms),
        wishes=tuple(wishes),
        cap_minutes=CAP_MINUTES,
        seed=seed,
        time_limit=60.0,
    )


def greedy(problem: solver.Problem) -> dict[int, solver.Candidate]:
    """The baseline: wishes by their first option's value, each takes its first free option."""
    spaces = {space.id: space for space in problem.spaces}
    taken: dict[int, list[tuple[solver.Option, frozenset[int]]]] = defaultdict(list)
    minutes: dict[int, int] = defaultdict(int)
    placed = {}
    order = sorted(
        problem.wishes,
        key=lambda w: (-solver.candidate_value(w, w.options[0]), w.id),
    )
    for wish in order:
        for option in sorted(wish.options, key=lambda o: o.position):
            if (
                problem.cap_minutes is not None
                and minutes[wish.structure_id] + option.minutes > problem.cap_minutes
            ):
                continue
            free = next(
                (
                    space
                    for space in solver.option_spaces(option, spaces.values())
                    if solver.unfit_reason(wish, option, space) is None
                    and not any(
                        solver.overlaps(option, wish.terms, o, t) for o, t in taken[space.id]
                    )
                ),
                None,
            )
            if free is not None:
                taken[free.id].append((option, wish.terms))
                minutes[wish.structure_id] += option.minutes
                placed[wish.id] = solver.Candidate(wish.id, option.position, free.id)
                break
    return placed


def figures(problem: solver.Problem, placed: dict[int, solver.Candidate]) -> dict[str, float]:
    by_structure: dict[int, int] = defaultdict(int)
    for candidate in placed.values():
        by_structure[problem_structure(problem, candidate.wish_id)] += 1
    structures = {wish.structure_id for wish in problem.wishes}
    first = sum(1 for c in placed.values() if c.position == 1)
    askable = {problem_structure(problem, c.wish_id) for c in solver.candidates(problem)}
    return {
        "wishes": len(problem.wishes),
        "met": len(placed),
        "first": first,
        "structures": len(structures),
        "with_nothing": sum(1 for s in structures if by_structure[s] == 0),
        "unplaceable": len(structures - askable),
    }


_STRUCTURES: dict[int, dict[int, int]] = {}


def problem_structure(problem: solver.Problem, wish_id: int) -> int:
    table = _STRUCTURES.setdefault(id(problem), {w.id: w.structure_id for w in problem.wishes})
    return table[wish_id]


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


# --- Publication (issue 17): a decided plan written as bookings, with the database ---

PUBLICATION_SPACES = 400
PUBLICATION_WEEKDAYS = 5  # Monday to Friday, 18:00–20:00: 2,000 slots fit 400 rooms


def publication_campaign(*, site, owner, staff, structures: int = 1000, slots: int = 2):
    """A decided campaign whose latest plan places `structures` × `slots` wishes, each a
    yearly weekly slot 18:00–20:00 on a weekday in one of 400 rooms of `site` (no two in one
    room at once), as `seasons.services.campaign_publish` takes it. Written in bulk (a few
    statements per table): the optimiser's side is measured above. `staff` runs the campaign
    and verified the structures; each structure has one member, who submitted its wishes.
    Needs Django set up, and a database."""
    from datetime import date, time

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Membership, MembershipRole, Organisation, User
    from seasons.models import (
        Campaign,
        CampaignSpace,
        CampaignStatus,
        PlanAssignment,
        PlanRun,
        Wish,
        WishOption,
    )
    from spaces.models import Space

    now = timezone.now()
    spaces = Space.objects.bulk_create(
        Space(
            site=site,
            name=f"Salle saison {n}",
            kind="hall",
            floor=0,
            surface_m2=60,
            capacity=40,
            bookable=True,
        )
        for n in range(1, PUBLICATION_SPACES + 1)
    )
    organisations = Organisation.objects.bulk_create(
        Organisation(
            kind="ess",
            name=f"Structure saison {n}",
            ess_family="association",
            verified_at=now,
            verified_by=staff,
        )
        for n in range(1, structures + 1)
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"saison-bench-{n}@bench.test", password=password, email_confirmed_at=now)
        for n in range(1, structures + 1)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN)
        for user, organisation in zip(users, organisations, strict=True)
    )
    campaign = Campaign.objects.create(
        owner=owner,
        title=f"Saison de banc d'essai ({structures} structures)",
        school_year=2027,
        opens_on=date(2027, 1, 4),
        deadline=now,
        status=CampaignStatus.DECIDED,
        decided_on=date(2027, 5, 31),
        deliberation_reference="BANC-1",
        created_by=staff,
    )
    CampaignSpace.objects.bulk_create(CampaignSpace(campaign=campaign, space=s) for s in spaces)
    wishes = Wish.objects.bulk_create(
        Wish(
            campaign=campaign,
            structure=organisation,
            submitted_by=user,
            rank=rank,
            attendees=12,
            purpose=f"Activité {rank}",
            activity="sport",
            period="year",
        )
        for user, organisation in zip(users, organisations, strict=True)
        for rank in range(1, slots + 1)
    )
    options = WishOption.objects.bulk_create(
        WishOption(
            wish=wish,
            position=1,
            weekday=(k // PUBLICATION_SPACES) % PUBLICATION_WEEKDAYS,
            start=time(18) if k < PUBLICATION_SPACES * PUBLICATION_WEEKDAYS else time(20, 30),
            end=time(20) if k < PUBLICATION_SPACES * PUBLICATION_WEEKDAYS else time(22),
            space=spaces[k % PUBLICATION_SPACES],
        )
        for k, wish in enumerate(wishes)
    )
    run = PlanRun.objects.create(
        campaign=campaign,
        inputs_hash="bench",
        status="optimal",
        seconds=0,
        objective=0,
        wishes_count=len(wishes),
        met_count=len(wishes),
        run_by=staff,
    )
    PlanAssignment.objects.bulk_create(
        PlanAssignment(
            run=run, wish=wish, option=option, space_id=option.space_id, explanation="Banc."
        )
        for wish, option in zip(wishes, options, strict=True)
    )
    return campaign


def publication_timing(structures: int) -> dict[str, float]:
    """Publish a generated decided plan of `structures` structures in a throwaway database
    (SQLite file, or PostgreSQL with DATABASE_URL) and time it."""
    import tempfile
    from datetime import date

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "DATABASE_URL" not in os.environ:
        os.environ["TEST_DATABASE_NAME"] = str(Path(tempfile.gettempdir()) / "bench_season.db")
    else:
        os.environ.setdefault("TEST_DATABASE_NAME", "test_bench_season")
    django.setup()
    import time_machine
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment

    from accounts.models import Membership, MembershipRole, Organisation, User
    from bookings.models import Occupancy
    from seasons.services import campaign_publish
    from spaces.models import Commune, EpciMembership, PostalCode, Site

    setup_test_environment()  # the outbox's e-mail to memory, not to a server
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        epci = Organisation.objects.create(name="CAPH", kind="epci", siren="200042190")
        denain = Organisation.objects.create(name="Denain", kind="commune")
        commune = Commune.objects.create(insee_code="59172", name="Denain", organisation=denain)
        commune.postcodes.add(PostalCode.objects.create(code="59220"))
        EpciMembership.objects.create(epci=epci, commune=commune, start=date(2001, 1, 1))
        staff = User.objects.create_user(email="staff@bench.test", password="x" * 20)
        Membership.objects.create(user=staff, organisation=denain, role=MembershipRole.MEMBER)
        site = Site.objects.create(
            name="Complexe de banc d'essai",
            commune=commune,
            owner=denain,
            street_number=1,
            street_name="rue Jean-Jaurès",
            postcode="59220",
            latitude=50.3289,
            longitude=3.3956,
        )
        with time_machine.travel(datetime(2027, 6, 1, 7, tzinfo=UTC), tick=True):
            campaign = publication_campaign(
                site=site, owner=denain, staff=staff, structures=structures
            )
            started = time.perf_counter()
            # The transaction apart from the after-commit jobs (the e-mails' delivery, a
            # worker's job in production, run in-process here): timed separately.
            with transaction.atomic():
                if os.environ.get("BENCH_PROFILE"):
                    import cProfile

                    with cProfile.Profile() as profile:
                        report = campaign_publish(campaign=campaign, actor=staff)
                    profile.dump_stats(os.environ["BENCH_PROFILE"])
                else:
                    report = campaign_publish(campaign=campaign, actor=staff)
                written = time.perf_counter()
            seconds = written - started
            mail_seconds = time.perf_counter() - written
        return {
            "vendor": connection.vendor,
            "seconds": seconds,
            "mail_seconds": mail_seconds,
            "series": report.series,
            "dates": Occupancy.objects.count(),
            "structures": report.structures,
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument(
        "--publication",
        type=int,
        metavar="STRUCTURES",
        help="only time the publication of a decided plan of that many structures × 2 slots",
    )
    args = parser.parse_args()
    if args.publication:
        figures_ = publication_timing(args.publication)
        sys.stdout.write(
            f"publication on {figures_['vendor']}: {figures_['series']} series, "
            f"{figures_['dates']} dates, {figures_['structures']} structures told, "
            f"{figures_['seconds']:.1f} s, then the e-mails' job: "
            f"{figures_['mail_seconds']:.1f} s\n"
        )
        return
    loads = [os.getloadavg()[0]]
    rows = []
    for label, structures, spaces in [
        ("commune: 100 structures × 5 wishes, 40 spaces", 100, 40),
        ("intercommunality: 1,000 structures × 5 wishes, 400 spaces", 1000, 400),
    ]:
        problem = generate(structures=structures, spaces=spaces, seed=args.seed)
        started = time.perf_counter()
        baseline = greedy(problem)
        greedy_seconds = time.perf_counter() - started
        sys.stdout.write(f"  candidates: {len(solver.candidates(problem))}\n")
        plan = solver.solve(problem)
        again = solver.solve(problem)
        same = again.placements == plan.placements
        for name, placed, seconds, status in [
            ("greedy (baseline)", baseline, greedy_seconds, "–"),
            ("HiGHS MILP", plan.placements, plan.seconds, plan.status),
        ]:
            f = figures(problem, placed)
            rows.append(
                f"| {label} | {name} | {seconds:.2f} | {status} | "
                f"{f['met']} / {f['wishes']} ({_pct(f['met'], f['wishes'])}) | "
                f"{_pct(f['first'], f['wishes'])} | {f['with_nothing']} ({f['unplaceable']}) |"
            )
            sys.stdout.write(rows[-1] + "\n")
        sys.stdout.write(f"  same plan on a second run: {same}\n")
        if not same:
            raise SystemExit("the solver gave two plans for the same inputs")
    loads.append(os.getloadavg()[0])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join(
        [
            "<!-- bench-season:start (written by bench.season) -->",
            f"Run of {when} on {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()} (`python -m bench.season --seed {args.seed}`); load "
            f"average (1 min) at the start and end: {loads[0]:.2f}, {loads[1]:.2f}. Each plan "
            "was solved twice and gave the same placements both times.",
            "",
            "| campaign | method | seconds | status | wishes met | first choices | "
            "structures with nothing (of which no option fits at all) |",
            "|---|---|---:|---|---:|---:|---:|",
            *rows,
            "<!-- bench-season:end -->",
        ]
    )
    if args.no_doc:
        return
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    pattern = re.compile(r"<!-- bench-season:start.*?<!-- bench-season:end -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = (
            text.rstrip("\n") + "\n\n## Season (issue 17)\n\n" + SEASON_INTRO + "\n" + block + "\n"
        )
    path.write_text(text)
    sys.stdout.write(f"Written to {path.relative_to(ROOT)}\n")


SEASON_INTRO = """`make bench-season` (or `python -m bench.season [--seed 17] [--no-doc]`) generates two
campaigns with a fixed seed — a commune's (100 structures × 5 wishes, 40 spaces) and the
intercommunality's (1,000 structures × 5 wishes, 400 spaces); each wish a first choice and two
alternatives, mostly in the contested evening hours, on a named room or a kind of room, with
attendees and equipment; rule points for the commune's structures, favoured families and
activities and last year's holders; 6 h a week per structure at most — and solves each with the
HiGHS program of `seasons/solver.py` and, as the run's baseline, with a greedy pass (wishes by
their points, each taking its first free option). No database: the solver's inputs are the
dataclasses `seasons.selectors.plan_problem` builds. Targets: seconds for the commune, under a
minute for the intercommunality; the same plan on a second run.
"""


if __name__ == "__main__":
    main()
