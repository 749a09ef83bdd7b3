"""Times, days, durations and amounts as the pages write them (core.formats)."""

from datetime import date, time

import pytest
from django.utils import translation

from core.formats import day_text, duration_text, euros_text, time_range_text, time_text

NBSP = "\u00a0"


@pytest.fixture
def french():
    with translation.override("fr"):
        yield


@pytest.mark.usefixtures("french")
def test_time_text_writes_french_hours_without_zero_minutes():
    assert time_text(time(14)) == f"14{NBSP}h"
    assert time_text(time(14, 30)) == f"14{NBSP}h{NBSP}30"
    assert time_text(time(9, 5)) == f"9{NBSP}h{NBSP}05"


def test_time_text_keeps_the_colon_in_english():
    with translation.override("en"):
        assert time_text(time(14)) == "14:00"
        assert time_text(time(14, 30)) == "14:30"


@pytest.mark.usefixtures("french")
def test_time_range_text_joins_with_a_dash():
    assert time_range_text(time(9), time(18)) == f"9{NBSP}h–18{NBSP}h"


@pytest.mark.usefixtures("french")
def test_day_text_names_the_weekday_in_lower_case():
    assert day_text(date(2026, 12, 8)) == "mardi 8 décembre"
    assert day_text(date(2027, 1, 1), year=True) == "vendredi 1er janvier 2027"


@pytest.mark.usefixtures("french")
def test_duration_text_in_hours_and_minutes():
    assert duration_text(30) == f"30{NBSP}min"
    assert duration_text(120) == f"2{NBSP}h"
    assert duration_text(90) == f"1{NBSP}h{NBSP}30"


@pytest.mark.usefixtures("french")
def test_euros_text_uses_the_french_decimal_comma():
    assert euros_text(15000) == f"150{NBSP}€"
    assert euros_text(1250) == f"12,50{NBSP}€"
