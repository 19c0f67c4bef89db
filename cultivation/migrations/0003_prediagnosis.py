"""Stored pre-diagnosis results per enterprise and apply year (what the rankings read)."""

import core.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cultivation", "0002_portal_clock"),
        ("enterprises", "0007_portal_clock"),
    ]

    operations = [
        migrations.CreateModel(
            name="Prediagnosis",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("apply_year", models.PositiveSmallIntegerField(verbose_name="申报年度")),
                ("as_of", models.DateField(verbose_name="判断日期")),
                ("rules", models.PositiveSmallIntegerField(verbose_name="规则版本")),
                ("stale", models.BooleanField(default=False, verbose_name="待刷新")),
                ("hte_verdict", models.CharField(max_length=10, verbose_name="高企结论")),
                ("failing_count", models.PositiveSmallIntegerField(verbose_name="不符合项数")),
                ("unknown_count", models.PositiveSmallIntegerField(verbose_name="无法判断项数")),
                (
                    "gap",
                    models.DecimalField(
                        decimal_places=30, max_digits=40, verbose_name="相对差距合计"
                    ),
                ),
                ("score_estimate", models.SmallIntegerField(verbose_name="估算得分")),
                ("summary", models.CharField(max_length=200, verbose_name="结论")),
                ("failing", models.JSONField(default=list, verbose_name="不符合的条件")),
                ("unknown", models.JSONField(default=list, verbose_name="无法判断的条件")),
                ("sme_verdict", models.CharField(max_length=10, verbose_name="科小结论")),
                ("computed_at", core.fields.PortalTimeField(verbose_name="计算时间")),
                (
                    "enterprise",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="prediagnoses",
                        to="enterprises.enterprise",
                        verbose_name="企业",
                    ),
                ),
            ],
            options={
                "verbose_name": "预诊断结果",
                "verbose_name_plural": "预诊断结果",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("enterprise", "apply_year"), name="one_prediagnosis_per_year"
                    )
                ],
            },
        ),
    ]
