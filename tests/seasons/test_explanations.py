"""The sentence each wish gets (seasons/explanations.py), in French."""

import pytest
from django.utils import translation

from seasons.explanations import explain
from seasons.solver import Option, Problem, Space, Wish, solve

HALL = Space(id=1, name="Salle A", kind="hall", capacity=30)
ROOM = Space(id=2, name="Salle B", kind="hall", capacity=30)
LOCAL = (("local_first", 300),)


def wish(id, structure, *options, rank=1, attendees=10):
    return Wish(id, structure, f"Club {structure}", rank, attendees, tuple(options))


def option(position=1, space=1, start=18, end=20, weekday=1, bonuses=()):
    return Option(position, weekday, start * 60, end * 60, space_id=space, bonuses=bonuses)


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


def test_explain_names_the_holder_and_the_rule_then_the_alternative_granted():
    problem = Problem(
        spaces=(HALL, ROOM),
        wishes=(
            wish(1, 1, option(bonuses=LOCAL)),
            wish(2, 2, option(), option(2, space=2, weekday=2)),
            wish(3, 3, option(start=19, end=21)),
        ),
    )

    sentences = explain(problem, solve(problem))

    assert sentences[2] == (
        "Salle A mardi 18\xa0h–20\xa0h : 3 demandes, attribuée à Club 1 par la règle « les "
        "structures de la commune d’abord » ; choix n° 2 attribué : Salle B mercredi "
        "18\xa0h–20\xa0h (1 demande)."
    )
    assert sentences[1] == (
        "Salle A mardi 18\xa0h–20\xa0h : 3 demandes, attribuée (premier choix) (règles qui ont "
        "décidé : « les structures de la commune d’abord »)."
    )


def test_explain_says_when_the_weekly_cap_was_reached():
    problem = Problem(
        spaces=(HALL,),
        wishes=(wish(1, 1, option(start=14, end=17)), wish(2, 1, option(start=18, end=21), rank=2)),
        cap_minutes=4 * 60,
    )

    sentences = explain(problem, solve(problem))

    assert sentences[2] == (
        "Salle A mardi 18\xa0h–21\xa0h : libre, mais votre structure a atteint ses 4 heures par "
        "semaine ; aucun choix n’a pu être attribué."
    )


def test_explain_says_when_no_space_seats_the_attendees():
    problem = Problem(spaces=(HALL,), wishes=(wish(1, 1, option(), attendees=40),))

    assert explain(problem, solve(problem))[1] == (
        "Salle A mardi 18\xa0h–20\xa0h : aucun local de ce choix n’accueille 40 personnes ; aucun "
        "choix n’a pu être attribué."
    )
