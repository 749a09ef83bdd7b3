"""Periodic jobs of calls (cron)."""

import pytest
import time_machine
from django.core.management import call_command

from calls.models import CallStatus
from tests.calls.conftest import DEADLINE

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_close_calls_command_closes_the_calls_past_their_deadline(call, capsys):
    with time_machine.travel(DEADLINE, tick=False):
        call_command("close_calls")

    call.refresh_from_db()
    assert call.status == CallStatus.CLOSED
    assert "1 appel(s) clôturé(s)." in capsys.readouterr().out
