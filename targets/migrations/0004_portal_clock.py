"""Timestamps on the portal's clock (core.fields.PortalTimeField): a Python-side change."""

import core.fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0003_plan_metric_breakdown"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The columns stay as they are: only the Python side (the portal's clock, choices).
            state_operations=[
                migrations.AlterField(
                    model_name="targetplan",
                    name="updated_at",
                    field=core.fields.PortalTimeField(auto_now=True, verbose_name="更新时间"),
                ),
            ],
            database_operations=[],
        ),
    ]
