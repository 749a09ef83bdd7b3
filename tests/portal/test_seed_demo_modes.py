"""The demo territory loader, each test loading it its own way: refused outside demo mode;
without the demo's Stripe keys (the other tests share one loaded demo: test_seed_demo.py)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import User
from payments.selectors import FeeRouteKind, accounting_owners_for, billing_lines, fee_channel_for
from portal import demo
from spaces.models import Commune, Space


def seed_demo() -> None:
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def demo_mode(db, settings):
    settings.DEMO_MODE = True


def test_seed_demo_is_refused_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError):
        seed_demo()

    assert not Commune.objects.exists()
    assert not User.objects.exists()


def test_seed_demo_bills_the_card_paid_buildings_fees_while_its_keys_are_missing(
    demo_mode, monkeypatch
):
    """Without Stripe keys the SCIC's card channel falls back to its invoices: the approved
    bookings of the Grands Bureaux are billed, not shown as free (issue 13)."""
    for name in ("PUBLISHABLE_KEY", "SECRET_KEY", "WEBHOOK_SECRET"):
        monkeypatch.delenv(f"DEMO_STRIPE_{name}", raising=False)
    seed_demo()
    space = Space.objects.get(site__name=demo.GRANDS_BUREAUX, name="Salle du Haut-Fourneau")
    route = fee_channel_for(space)
    admin = User.objects.get(email=demo.USERS[0][0])

    assert (route.collector.name, route.kind) == ("SCIC Les Forges Solidaires (démo)", "invoice")
    assert route.kind == FeeRouteKind.INVOICE
    assert route.is_fallback
    assert route.collector in accounting_owners_for(admin)
    today = timezone.localdate()
    lines = billing_lines(
        owner=route.collector, first_day=today, last_day=today + timedelta(days=120)
    )
    assert lines
    assert all(line.amount_cents > 0 for line in lines)
