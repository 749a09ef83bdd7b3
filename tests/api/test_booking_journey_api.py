"""The whole booking path through the API, on the demo territory."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from accounts.models import User

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.django_db
def test_search_request_approve_and_cancel_one_date_through_the_api():
    with time_machine.travel(datetime(2026, 11, 27, 10, tzinfo=PARIS), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        member, manager = Client(), Client()
        asso = User.objects.get(email="asso@demo.test")
        member.force_login(asso)
        manager.force_login(User.objects.get(email="gestionnaire@demo.test"))
        start = datetime(2027, 2, 2, 14, tzinfo=PARIS)
        slot = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}

        free = member.get("/api/v1/availability/", {**slot, "commune": "59172", "capacity_min": 20})
        space_id = next(
            row["id"] for row in free.json()["results"] if row["name"] == "Salle du Haut-Fourneau"
        )
        created = member.post(
            "/api/v1/bookings/",
            {
                **slot,
                "space": space_id,
                "organisation": asso.memberships.get().organisation_id,
                "purpose": "Formation des bénévoles",
                "attendees": 25,
                "frequency": "weekly",
                "repeat_count": 4,
            },
            content_type="application/json",
        )
        booking_id = created.json()["id"]
        approved = manager.post(f"/api/v1/bookings/{booking_id}/approve/")
        again = member.get(
            "/api/v1/availability/", {**slot, "commune": "59172", "capacity_min": 20}
        )
        cancelled = member.post(
            f"/api/v1/bookings/{booking_id}/cancel/",
            {
                "reason": "Formation reportée",
                "occurrence_start": (start + timedelta(weeks=1)).isoformat(),
            },
            content_type="application/json",
        )
        busy = Client().get(
            f"/api/v1/spaces/{space_id}/occupancy/",
            {"start": start.isoformat(), "end": (start + timedelta(weeks=4)).isoformat()},
        )

    assert created.status_code == 201
    assert approved.json()["status"] == "confirmed"
    assert space_id not in [row["id"] for row in again.json()["results"]]
    assert [row["active"] for row in cancelled.json()["occurrences"]] == [True, False, True, True]
    busy_starts = {datetime.fromisoformat(row["start"]) for row in busy.json()}
    ours = {start + timedelta(weeks=week) for week in range(4)}
    assert busy_starts & ours == ours - {start + timedelta(weeks=1)}
    assert {row["label"] for row in busy.json()} == {None}
