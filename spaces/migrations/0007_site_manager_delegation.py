# The automatic many-to-many Site.managers becomes the model SiteManager on the same table
# (state only: no row moves), then gains the owner's delegation flag.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("spaces", "0006_refuse_control_characters_and_bound_numbers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SiteManager",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "site",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to="spaces.site"
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="facilities manager",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "facilities manager assignment",
                        "verbose_name_plural": "facilities managers",
                        "db_table": "spaces_site_managers",
                        # The automatic table's unique index on (site_id, user_id) already exists.
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("site", "user"), name="site_manager_unique_user"
                            )
                        ],
                    },
                ),
                migrations.AlterField(
                    model_name="site",
                    name="managers",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="managed_sites",
                        through="spaces.SiteManager",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="facilities managers",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="sitemanager",
            name="may_commit_owner",
            field=models.BooleanField(
                default=False,
                help_text="Delegation by the owner: offer, sign, renew and end occupancy agreements, and grant free use or a fee, on the owner's behalf.",
                verbose_name="may commit the owner to agreements",
            ),
        ),
    ]
