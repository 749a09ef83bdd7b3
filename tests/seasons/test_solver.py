"""The season's optimiser on small hand-made campaigns (seasons/solver.py): pure, no database."""

from dataclasses import replace

from seasons.solver import OPTIMAL, Option, Problem, Space, Wish, solve

HALL = Space(id=1, name="Salle A", kind="hall", capacity=30, amenities=frozenset({"piano"}))
ROOM = Space(id=2, name="Salle B", kind="meeting_room", capacity=12)


def wish(id, structure, *options, rank=1, attendees=10, amenities=frozenset()):
    return Wish(
        id=id,
        structure_id=structure,
        structure_name=f"Structure {structure}",
        rank=rank,
        attendees=attendees,
        options=tuple(options),
        amenities=amenities,
    )


def tuesday(start=18, end=20, space=1, position=1, bonuses=()):
    return Option(position, 1, start * 60, end * 60, space_id=space, bonuses=bonuses)


def placed(plan):
    return {wish_id: (c.position, c.space_id) for wish_id, c in plan.placements.items()}


def test_solve_gives_a_contested_slot_by_priority():
    local = (("local_first", 300),)
    problem = Problem(
        spaces=(HALL,),
        wishes=(wish(1, 1, tuesday()), wish(2, 2, tuesday(bonuses=local)), wish(3, 3, tuesday())),
    )

    plan = solve(problem)

    assert (plan.status, placed(plan)) == (OPTIMAL, {2: (1, 1)})


def test_solve_takes_an_alternative_when_the_first_choice_is_taken():
    local = (("local_first", 300),)
    problem = Problem(
        spaces=(HALL, ROOM),
        wishes=(
            wish(1, 1, tuesday(bonuses=local)),
            wish(2, 2, tuesday(), tuesday(space=2, position=2)),
        ),
    )

    assert placed(solve(problem)) == {1: (1, 1), 2: (2, 2)}


def test_solve_leaves_nobody_with_nothing_to_give_another_all_its_wishes():
    """Structure 1 is favoured on every slot, yet structure 2's only wish gets 20–22 h: a
    structure's first satisfied wish outweighs any rule's points."""
    favoured = (("local_first", 300), ("activity", 100))
    problem = Problem(
        spaces=(HALL,),
        wishes=(
            wish(1, 1, tuesday(18, 20, bonuses=favoured)),
            wish(2, 1, tuesday(20, 22, bonuses=favoured), rank=2),
            wish(3, 2, tuesday(20, 22)),
        ),
    )

    assert placed(solve(problem)) == {1: (1, 1), 3: (1, 1)}


def test_solve_keeps_each_structure_under_its_weekly_cap():
    problem = Problem(
        spaces=(HALL,),
        wishes=(wish(1, 1, tuesday(14, 17)), wish(2, 1, tuesday(18, 21), rank=2)),
        cap_minutes=4 * 60,
    )

    assert placed(solve(problem)) == {1: (1, 1)}


def test_solve_places_a_wish_only_where_it_fits():
    too_many = wish(1, 1, tuesday(space=2), attendees=20)
    needs_a_piano = wish(
        2,
        2,
        Option(1, 3, 18 * 60, 20 * 60, space_kind="meeting_room"),
        amenities=frozenset({"piano"}),
    )
    closed = replace(HALL, hours=((1, 8 * 60, 19 * 60),))
    problem = Problem(
        spaces=(closed, ROOM), wishes=(too_many, needs_a_piano, wish(3, 3, tuesday()))
    )

    assert solve(problem).placements == {}


def test_solve_gives_the_same_plan_for_the_same_inputs():
    wishes = tuple(
        wish(
            n,
            n % 7,
            tuesday(space=1 + n % 2, start=17 + n % 4, end=19 + n % 4),
            tuesday(space=2 - n % 2, start=18, end=20, position=2),
        )
        for n in range(1, 40)
    )
    problem = Problem(spaces=(HALL, replace(ROOM, capacity=30)), wishes=wishes, seed=3)

    plans = [solve(problem) for _ in range(3)]

    assert plans[0].placements == plans[1].placements == plans[2].placements
    assert plans[0].status == OPTIMAL
