"""Nightly snapshots: a metric's value for a unit on a date, so trends read history."""

from django.db import models

from core.models import OrgUnit
from core.scoping import ScopedQuerySet


class Snapshot(models.Model):
    """A metric's value for a unit on a date, stored nightly: trends and fast history.

    Re-running a day replaces that day's rows (unique per unit × metric × date). The table
    keeps the name it had when snapshots belonged to reports (moved without copying data).
    """

    unit = models.ForeignKey(
        OrgUnit, verbose_name="单位", on_delete=models.CASCADE, related_name="+"
    )
    metric = models.CharField("指标", max_length=40)  # a cultivation LADDER_METRICS code
    date = models.DateField("日期", db_index=True)
    year = models.PositiveSmallIntegerField("统计年度")
    value = models.DecimalField("数值", max_digits=14, decimal_places=2)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        db_table = "reports_snapshot"
        verbose_name = "指标快照"
        verbose_name_plural = "指标快照"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "metric", "date"], name="one_snapshot_per_day"),
        ]
        indexes = [
            models.Index(fields=["metric", "unit", "date"], name="reports_sna_metric_c57724_idx")
        ]

    def __str__(self):
        return f"{self.unit} {self.metric} {self.date} = {self.value}"
