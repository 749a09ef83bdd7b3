"""Helpers shared by the tests (fixtures that use them are in tests/conftest.py)."""

from datetime import datetime

from tests.factories import PARIS

# The tests' "now": Monday 4 January 2027, 09:00 in Paris, before the dates the tests book.
FROZEN_NOW = datetime(2027, 1, 4, 9, tzinfo=PARIS)
