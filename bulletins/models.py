"""A produced 通报 (progress bulletin), kept as issued."""

from django.conf import settings
from django.db import models

from core.fields import PortalTimeField
from core.models import OrgUnit
from core.scoping import ScopedQuerySet


class Bulletin(models.Model):
    """A 通报: its data, its Excel file and its printable page, kept as issued — an old
    bulletin stays what it said that day after the registry changes. The table keeps the
    name it had when bulletins belonged to reports (moved without copying data)."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    as_of = models.DateField("统计日期")
    title = models.CharField("标题", max_length=200)
    xlsx = models.FileField("Excel 文件", upload_to="bulletins/%Y/", max_length=300)
    html = models.TextField("打印版")
    data = models.JSONField("数据", default=dict)
    scheduled = models.BooleanField("定期生成", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = PortalTimeField("生成时间", auto_now_add=True)

    # Scoped by the issuing unit: its staff and leaders (and those above) see it; a town,
    # below it, sees none — a bulletin holds every town's row.
    objects = ScopedQuerySet.as_manager()

    class Meta:
        db_table = "reports_bulletin"
        verbose_name = "通报"
        verbose_name_plural = "通报"
        ordering = ["-created_at"]

    def __str__(self):
        return self.title
