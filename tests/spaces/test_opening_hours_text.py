"""Opening hours as people read them (spaces.rules): the card's summary, the error's sentence."""

from datetime import time

import pytest
from django.utils import translation

from spaces.rules import opening_hours_of_day, opening_hours_summary

NBSP = "\u00a0"
WEEK = [(day, time(9), time(18)) for day in range(5)] + [(5, time(9), time(12))]


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


def test_summary_groups_the_days_with_the_same_hours():
    assert opening_hours_summary(WEEK) == [
        f"lun.–ven. 9{NBSP}h–18{NBSP}h",
        f"sam. 9{NBSP}h–12{NBSP}h",
    ]


def test_summary_lists_each_window_of_a_day_and_breaks_runs_at_a_closed_day():
    hours = [(0, time(14), time(18)), (0, time(9), time(12)), (2, time(9), time(12))]

    assert opening_hours_summary(hours) == [
        f"lun. 9{NBSP}h–12{NBSP}h, 14{NBSP}h–18{NBSP}h",
        f"mer. 9{NBSP}h–12{NBSP}h",
    ]


def test_summary_is_empty_without_hours():
    assert opening_hours_summary([]) == []


def test_hours_of_an_open_day_state_the_window():
    assert opening_hours_of_day(1, WEEK) == f"ouvert le mardi de 9{NBSP}h à 18{NBSP}h"


def test_hours_of_a_closed_day_say_it_is_closed():
    assert opening_hours_of_day(6, WEEK) == "fermé le dimanche"
