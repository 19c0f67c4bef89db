"""Approval makes a version count: when it was written to the registry (applied_at), and the
status of a version a later one replaced; timestamps on the portal's clock."""

import core.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_snapshots_bulletins_moved"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="applied_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="写入企业库时间"),
        ),
        migrations.SeparateDatabaseAndState(
            # The columns stay as they are: only the Python side (the portal's clock, choices).
            state_operations=[
                migrations.AlterField(
                    model_name="reopening",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="reportingperiod",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="开启时间"),
                ),
                migrations.AlterField(
                    model_name="submission",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("submitted", "待审核"),
                            ("approved", "已审核通过"),
                            ("returned", "已退回"),
                            ("replaced", "已被新版本替换"),
                        ],
                        default="submitted",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                migrations.AlterField(
                    model_name="submission",
                    name="uploaded_at",
                    field=core.fields.PortalTimeField(auto_now_add=True, verbose_name="报送时间"),
                ),
                migrations.AlterField(
                    model_name="uploadjob",
                    name="created_at",
                    field=core.fields.PortalTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="uploadjob",
                    name="updated_at",
                    field=core.fields.PortalTimeField(auto_now=True),
                ),
            ],
            database_operations=[],
        ),
    ]
