"""Timestamps on the portal's clock (core.fields.PortalTimeField): a Python-side change."""

import core.fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("bulletins", "0002_schedule_task_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The columns stay as they are: only the Python side (the portal's clock, choices).
            state_operations=[
                migrations.AlterField(
                    model_name="bulletin",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="生成时间"),
                ),
            ],
            database_operations=[],
        ),
    ]
