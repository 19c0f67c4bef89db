"""Target plans (任务分解表): a year, an issuing unit, a document, metrics, one value per unit."""

from django.conf import settings
from django.db import models

from core.fields import PortalTimeField
from core.models import OrgUnit
from core.scoping import ScopedQuerySet, scope_q_with_ancestors

from .choices import MetricSource, MetricUnit, ProgressMode


class Metric(models.Model):
    """The catalogue staff can extend. `header` may use {year} and {prev} (= year − 1)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("指标名称", max_length=100)
    header = models.CharField(
        "表头",
        max_length=100,
        help_text="任务分解表中的列名，可用 {year}、{prev} 代表年度、上一年度",
    )
    unit = models.CharField(
        "计量单位", max_length=10, choices=MetricUnit.choices, default=MetricUnit.COUNT
    )
    source = models.CharField("实际值来源", max_length=10, choices=MetricSource.choices)
    ladder_metric = models.CharField(
        "梯次统计口径", max_length=40, blank=True, help_text="来源为“梯次培育记录”时必填"
    )
    baseline = models.BooleanField(
        "基数指标", default=False, help_text="上年末数（如“2018年底高新技术企业数”），不是当年任务"
    )
    aliases = models.TextField(
        "导入别名",
        blank=True,
        help_text="Excel 导入时可识别的其他列名，每行一个，可用 {year}、{prev}",
    )
    order = models.PositiveIntegerField("显示顺序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "目标指标"
        verbose_name_plural = "目标指标"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def header_for(self, year: int) -> str:
        return self.header.format(year=year, prev=year - 1)

    def names_for(self, year: int) -> list[str]:
        """Every header text that means this metric in a plan for `year`."""
        texts = [self.header, self.name, *self.aliases.splitlines()]
        return [t.strip().format(year=year, prev=year - 1) for t in texts if t.strip()]


class TargetPlanQuerySet(ScopedQuerySet):
    scope_field = "unit"

    def for_user(self, user, action: str = "view"):
        # A town sees the plans that set its targets (issued above it), not only its own.
        return self.filter(scope_q_with_ancestors(user, action, self.scope_field))


class TargetPlan(models.Model):
    year = models.PositiveSmallIntegerField("年度")
    unit = models.ForeignKey(
        OrgUnit, verbose_name="下达单位", on_delete=models.PROTECT, related_name="target_plans"
    )
    title = models.CharField("标题", max_length=200)
    doc_number = models.CharField("文号", max_length=60, blank=True)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    notes = models.TextField("备注", blank=True)
    progress_mode = models.CharField(
        "序时进度口径", max_length=10, choices=ProgressMode.choices, default=ProgressMode.QUARTER
    )
    lag_threshold = models.PositiveSmallIntegerField(
        "严重滞后阈值（百分点）",
        default=20,
        help_text="完成率低于序时进度超过该百分点即为“严重滞后”",
    )
    metrics = models.ManyToManyField(Metric, through="PlanMetric", verbose_name="指标")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    updated_at = PortalTimeField("更新时间", auto_now=True)

    objects = TargetPlanQuerySet.as_manager()

    class Meta:
        verbose_name = "目标任务"
        verbose_name_plural = "目标任务"
        ordering = ["-year", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="one_plan_per_unit_year")
        ]

    def __str__(self):
        return self.title or f"{self.year}年{self.unit}目标任务"


class PlanMetric(models.Model):
    """A metric a plan sets, its column order, and the merged header it sits under, if any."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="plan_metrics")
    metric = models.ForeignKey(Metric, verbose_name="指标", on_delete=models.PROTECT)
    order = models.PositiveIntegerField("列序", default=0)
    group = models.CharField(
        "合并表头", max_length=100, blank=True, help_text="如“2019年争取上报任务数”"
    )
    breakdown = models.BooleanField(
        "分解到下级", default=True, help_text="否：只设本级目标（如全区新增高企数），不进任务分解表"
    )

    class Meta:
        verbose_name = "计划指标"
        verbose_name_plural = "计划指标"
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "metric"], name="metric_once_per_plan")
        ]

    def __str__(self):
        return f"{self.plan} · {self.metric}"

    @property
    def header(self) -> str:
        """The column's header as the plan's notice prints it, e.g. 2018年底高新技术企业数."""
        return self.metric.header_for(self.plan.year)


class TargetValueQuerySet(ScopedQuerySet):
    scope_field = "unit"


class TargetValue(models.Model):
    """One number of the table: for a child unit, or (unit = plan.unit) the plan's own total."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="values")
    metric = models.ForeignKey(Metric, verbose_name="指标", on_delete=models.PROTECT)
    unit = models.ForeignKey(
        OrgUnit, verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField("目标值", max_digits=14, decimal_places=2)

    objects = TargetValueQuerySet.as_manager()

    class Meta:
        verbose_name = "目标值"
        verbose_name_plural = "目标值"
        constraints = [
            models.UniqueConstraint(fields=["plan", "metric", "unit"], name="one_value_per_cell"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="target_not_negative"),
        ]

    def __str__(self):
        return f"{self.unit} {self.metric} {self.value}"
