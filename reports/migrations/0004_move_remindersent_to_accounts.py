# Expiry reminders belong to accounts (issue 10 §4): the table is renamed and the model leaves
# reports' state; accounts 0006 takes it into its own state, with no schema change.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0003_scrub_control_characters"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="remindersent", table="accounts_remindersent"),
            ],
            state_operations=[
                migrations.DeleteModel(name="ReminderSent"),
            ],
        ),
    ]
