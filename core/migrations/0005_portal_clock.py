"""Timestamps on the portal's clock (core.fields.PortalTimeField): a Python-side change."""

import core.fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_changelog_without_fk_checks"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The columns stay as they are: only the Python side (the portal's clock, choices).
            state_operations=[
                migrations.AlterField(
                    model_name="changelog",
                    name="created_at",
                    field=core.fields.PortalTimeField(
                        auto_now_add=True, db_index=True, verbose_name="时间"
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="created_at",
                    field=core.fields.PortalTimeField(
                        auto_now_add=True, db_index=True, verbose_name="时间"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
