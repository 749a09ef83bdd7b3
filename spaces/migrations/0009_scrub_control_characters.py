# Rows written before the control-character rule are brought into line with it (a data
# migration, after the schema one that added the rule).

from django.db import migrations

from core.text_cleanup import scrub_text_columns


class Migration(migrations.Migration):
    dependencies = [
        ('spaces', '0008_sitemanager_history'),
    ]

    operations = [scrub_text_columns("spaces")]
