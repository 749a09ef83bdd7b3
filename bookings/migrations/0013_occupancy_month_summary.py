# The observatory's monthly summary (docs/decisions.md, "Issue 15 — Occupancy, third pass"),
# filled from the active booking rows already written; from now on the Occupancy writer keeps
# it. `manage.py occupancy_summary_rebuild` does the same as fill() on a live database.

from collections import defaultdict
from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from bookings.rules import month_pieces


def fill(apps, schema_editor):
    from zoneinfo import ZoneInfo

    Occupancy = apps.get_model("bookings", "Occupancy")
    OccupancyMonth = apps.get_model("bookings", "OccupancyMonth")
    zone = ZoneInfo(settings.TIME_ZONE)
    booked = defaultdict(timedelta)
    dates = (
        Occupancy.objects.filter(kind="booking", active=True)
        .order_by()
        .values_list("space_id", "booking__organisation_id", "start", "end")
        .iterator(chunk_size=10_000)
    )
    for space_id, organisation_id, start, end in dates:
        pieces = month_pieces(start, end, zone)
        for month, elapsed in pieces:
            booked[space_id, organisation_id, pieces[0][0], month] += elapsed
    OccupancyMonth.objects.bulk_create(
        (
            OccupancyMonth(
                space_id=space_id,
                organisation_id=organisation_id,
                start_month=start_month,
                month=month,
                booked=elapsed,
            )
            for (space_id, organisation_id, start_month, month), elapsed in booked.items()
        ),
        batch_size=5_000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_api_token'),
        ('bookings', '0012_request_questions_and_answers'),
        ('spaces', '0011_space_inventory_id'),
    ]

    operations = [
        migrations.CreateModel(
            name='OccupancyMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='First day of the local month the time falls in.')),
                ('start_month', models.DateField(help_text='First day of the local month the dates start in.')),
                ('booked', models.DurationField()),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                ('space', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='spaces.space')),
            ],
            options={
                'verbose_name': 'booked time of a month',
                'verbose_name_plural': 'booked time per month',
                'constraints': [models.UniqueConstraint(fields=('month', 'space', 'organisation', 'start_month'), name='occupancy_month_unique')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
