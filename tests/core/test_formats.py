"""Times, days, durations and amounts as the pages write them (core.formats)."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from core.formats import (
    day_text,
    duration_text,
    euros_text,
    slot_texts,
    time_range_text,
    time_text,
)

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


@pytest.mark.parametrize("language", ["fr", "en"])
def test_slot_texts_spell_slots_as_the_date_and_time_filters(language):
    # Around both clock changes of 2027 and on a first of the month (Paris time).
    utc = ZoneInfo("UTC")
    slots = [
        (datetime(2027, 3, 27, 17, 0, tzinfo=utc), datetime(2027, 3, 27, 19, 30, tzinfo=utc)),
        (datetime(2027, 3, 28, 16, 0, tzinfo=utc), datetime(2027, 3, 28, 18, 0, tzinfo=utc)),
        (datetime(2027, 10, 31, 0, 30, tzinfo=utc), datetime(2027, 10, 31, 1, 30, tzinfo=utc)),
        (datetime(2027, 8, 31, 22, 0, tzinfo=utc), datetime(2027, 8, 31, 23, 0, tzinfo=utc)),
    ]
    template = Template('{{ start|date:"l j F Y" }}, {{ start|time:"H:i" }}–{{ end|time:"H:i" }}')

    with translation.override(language):
        texts = slot_texts(slots)
        expected = [template.render(Context({"start": s, "end": e})) for s, e in slots]

    assert texts == expected


@pytest.mark.usefixtures("french")
def test_slot_texts_use_local_time_across_the_october_change():
    utc = ZoneInfo("UTC")
    slot = (datetime(2027, 10, 31, 17, 0, tzinfo=utc), datetime(2027, 10, 31, 19, 0, tzinfo=utc))

    assert slot_texts([slot]) == ["Dimanche 31 octobre 2027, 18:00–20:00"]
