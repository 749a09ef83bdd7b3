# Expiry reminders belong to accounts (issue 10 §4): the model comes from reports, whose
# migration 0004 renamed its table to accounts_remindersent; only Django's state changes here.

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import core.fields


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_scrub_control_characters"),
        ("reports", "0004_move_remindersent_to_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReminderSent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", core.fields.SingleLineCharField(choices=[("insurance", "Insurance certificate"), ("esus", "ESUS approval")], max_length=10, verbose_name="kind")),
                        ("object_key", core.fields.SingleLineCharField(max_length=60)),
                        ("expires_on", models.DateField(verbose_name="expires on")),
                        ("threshold_days", models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(32767)], verbose_name="days before expiry")),
                        ("claimed_at", models.DateTimeField()),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent on")),
                        ("recipient_count", models.PositiveIntegerField(default=0, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(2147483647)])),
                        ("organisation", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organisation", verbose_name="organisation")),
                    ],
                    options={
                        "verbose_name": "expiry reminder",
                        "verbose_name_plural": "expiry reminders",
                        "ordering": ["-claimed_at"],
                        "constraints": [models.UniqueConstraint(fields=("kind", "object_key", "expires_on", "threshold_days"), name="remindersent_once_per_threshold")],
                    },
                ),
            ],
        ),
    ]
