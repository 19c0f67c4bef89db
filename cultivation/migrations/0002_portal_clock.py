"""Timestamps on the portal's clock (core.fields.PortalTimeField): a Python-side change."""

import core.fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cultivation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The columns stay as they are: only the Python side (the portal's clock, choices).
            state_operations=[
                migrations.AlterField(
                    model_name="application",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="录入时间"),
                ),
                migrations.AlterField(
                    model_name="certificate",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="录入时间"),
                ),
                migrations.AlterField(
                    model_name="honour",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="录入时间"),
                ),
                migrations.AlterField(
                    model_name="poolmembership",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="录入时间"),
                ),
                migrations.AlterField(
                    model_name="techsmeevaluation",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="录入时间"),
                ),
            ],
            database_operations=[],
        ),
    ]
