"""A weekly series moved to another room from a date (issue 16) keeps its earlier dates in the
old room: each date is priced at the tariff of the room it is held in — the booking's price,
the public accountant's billing lines and the supplement its change adds.

The clock stands on Monday 4 January 2027. Four Tuesdays 18:00–20:00 from 2 March 2027, moved
from 16 March from Salle Usinor (15 €/h for associations) to Salle Jaurès (25 €/h): 2 dates ×
2 h × 15 € + 2 dates × 2 h × 25 € = 160 €, where they cost 120 € before the move.
"""

from datetime import date

import pytest

from bookings.models import Booking, BookingStatus, Frequency
from bookings.services import SeriesChange, booking_approve, booking_series_reschedule
from payments.models import BillingSupplement, ChannelKind, PaymentChannel, Tariff
from payments.rules import OrganisationCategory, TariffUnit
from payments.selectors import billing_lines, booking_quote
from tests.factories import SpaceFactory, booking_request_for, paris

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def moved(
    priced_space, site, requester, facilities_manager, django_capture_on_commit_callbacks
) -> Booking:
    """The series, confirmed, whose fee the public accountant collects, moved on 16 March."""
    PaymentChannel.objects.create(
        owner=site.owner, kind=ChannelKind.PUBLIC_ACCOUNTING, finance_department="Finances"
    )
    jaures = SpaceFactory(site=site, name="Salle Jaurès")
    Tariff.objects.create(
        space=jaures,
        category=OrganisationCategory.ASSOCIATION,
        unit=TariffUnit.HOUR,
        amount_cents=2500,
    )
    series = booking_request_for(
        space=priced_space,
        requested_by=requester,
        start=paris(2027, 3, 2, 18),
        end=paris(2027, 3, 2, 20),
        frequency=Frequency.WEEKLY,
        repeat_count=4,
    )
    booking_approve(booking=series, actor=facilities_manager)
    assert booking_quote(booking=series).amount_cents == 12_000
    with django_capture_on_commit_callbacks(execute=True):
        booking_series_reschedule(
            booking=series,
            change=SeriesChange(from_date=date(2027, 3, 16), space=jaures.pk),
            actor=facilities_manager,
        )
    series.refresh_from_db()
    assert (series.space, series.status) == (jaures, BookingStatus.CONFIRMED)
    return series


@pytest.mark.django_db
def test_each_date_is_priced_at_its_rooms_tariff(moved, django_assert_num_queries):
    # Its structure, its dates, their rooms, their tariffs: four queries, not one per date.
    with django_assert_num_queries(4):
        price = booking_quote(booking=moved)

    assert price.amount_cents == 2 * 2 * 1500 + 2 * 2 * 2500
    assert price.rule == (
        "Salle Usinor : 2 heures × 15,00 €, pour 2 dates (tarif : Association ou fondation). "
        "Salle Jaurès : 2 heures × 25,00 €, pour 2 dates (tarif : Association ou fondation)."
    )


@pytest.mark.django_db
def test_the_accountant_bills_the_whole_difference_as_a_supplement(moved):
    supplement = BillingSupplement.objects.get(booking=moved)
    lines = billing_lines(
        owner=moved.space.site.owner, first_day=date(2027, 3, 1), last_day=date(2027, 3, 31)
    )

    # The four dates cost 40 € more, not the first moved date's 20 €.
    assert supplement.amount_cents == 16_000 - 12_000
    assert [(line.reference, line.amount_cents) for line in lines] == [
        (f"RES-{moved.pk}", 12_000),
        (f"RES-{moved.pk}-C{supplement.pk}", 4_000),
    ]
