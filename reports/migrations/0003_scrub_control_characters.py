# Rows written before the control-character rule are brought into line with it (a data
# migration, after the schema one that added the rule).

from django.db import migrations

from core.text_cleanup import scrub_text_columns


class Migration(migrations.Migration):
    dependencies = [
        ('reports', '0002_refuse_control_characters_and_bound_numbers'),
    ]

    operations = [scrub_text_columns("reports")]
