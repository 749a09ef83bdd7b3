from datetime import time

import pytest
from django.urls import reverse

from spaces.models import OpeningHours


def _formset_data(rows: list[tuple[str, str, str]], initial: int = 0) -> dict[str, str]:
    data = {
        "opening_hours-TOTAL_FORMS": str(len(rows)),
        "opening_hours-INITIAL_FORMS": str(initial),
        "opening_hours-MIN_NUM_FORMS": "0",
        "opening_hours-MAX_NUM_FORMS": "1000",
    }
    for index, (weekday, opens, closes) in enumerate(rows):
        data[f"opening_hours-{index}-weekday"] = weekday
        data[f"opening_hours-{index}-opens"] = opens
        data[f"opening_hours-{index}-closes"] = closes
    return data


@pytest.mark.django_db
def test_space_opening_hours_saves_the_windows(client, facilities_manager, space):
    client.force_login(facilities_manager)
    url = reverse("spaces:space-opening-hours", args=[space.pk])

    response = client.post(url, _formset_data([("0", "08:00", "12:00"), ("0", "14:00", "22:00")]))

    assert response.status_code == 302
    assert list(space.opening_hours.values_list("weekday", "opens", "closes")) == [
        (0, time(8), time(12)),
        (0, time(14), time(22)),
    ]


@pytest.mark.django_db
def test_space_opening_hours_refuses_closing_before_opening_and_saves_nothing(
    client, facilities_manager, space
):
    client.force_login(facilities_manager)
    url = reverse("spaces:space-opening-hours", args=[space.pk])

    response = client.post(url, _formset_data([("1", "18:00", "09:00")]))

    assert response.status_code == 400
    assert not OpeningHours.objects.filter(space=space).exists()


@pytest.mark.django_db
def test_space_opening_hours_is_404_for_a_space_the_user_does_not_manage(client, member, space):
    client.force_login(member)

    response = client.get(reverse("spaces:space-opening-hours", args=[space.pk]))

    assert response.status_code == 404
