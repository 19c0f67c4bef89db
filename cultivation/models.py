"""The cultivation ladder as dated history: every rung has dates and a source.

"How many valid 高企 on 2019-12-31" and "which certificates expire in 2019" are queries over
these tables (see selectors.py), never hand-kept numbers.
"""

from django.db import models
from django.db.models import F, Q

from core.fields import PortalTimeField
from core.models import User
from core.scoping import ScopedQuerySet
from enterprises.models import Enterprise

from .choices import (
    AnnualReportSource,
    ApplicationKind,
    ApplicationStatus,
    HonourLevel,
    HonourType,
    PoolExit,
    PoolLevel,
)


class LadderQuerySet(ScopedQuerySet):
    scope_field = "enterprise__town"


class LadderRecord(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="%(class)ss"
    )
    source = models.CharField("来源", max_length=200, blank=True)
    notes = models.CharField("备注", max_length=500, blank=True)
    created_at = PortalTimeField("录入时间", auto_now_add=True)

    objects = LadderQuerySet.as_manager()

    class Meta:
        abstract = True


class TechSMEEvaluation(LadderRecord):
    """科技型中小企业评价入库: valid for its calendar year."""

    year = models.PositiveSmallIntegerField("评价年度", db_index=True)
    reg_number = models.CharField("入库登记编号", max_length=40, blank=True)
    evaluated_on = models.DateField("入库日期", null=True, blank=True)

    class Meta:
        verbose_name = "科技型中小企业评价"
        verbose_name_plural = "科技型中小企业评价"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="one_evaluation_per_year"),
        ]

    def __str__(self):
        return f"{self.year}年科技型中小企业 {self.reg_number}".strip()


class PoolMembership(LadderRecord):
    """高企培育库入库 ("小升高"): level, batch, year, and the span it lasted."""

    level = models.CharField("入库级别", max_length=10, choices=PoolLevel.choices)
    year = models.PositiveSmallIntegerField("入库年度", db_index=True)
    batch = models.CharField("批次", max_length=20, blank=True)
    start = models.DateField("入库日期")
    end = models.DateField("出库日期", null=True, blank=True)
    exit_reason = models.CharField("出库原因", max_length=20, choices=PoolExit.choices, blank=True)

    class Meta:
        verbose_name = "培育库入库"
        verbose_name_plural = "培育库入库"
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="pool_end_after_start",
                violation_error_message="出库日期不能早于入库日期。",
            ),
        ]

    def __str__(self):
        return f"{self.year}年{self.get_level_display()}培育库{self.batch and f'第{self.batch}批'}"


class Application(LadderRecord):
    """A 高企 application: 拟申报 → 已申报 → 通过 / 未通过 / 撤回, with the dates of each step."""

    year = models.PositiveSmallIntegerField("申报年度", db_index=True)
    batch = models.CharField("批次", max_length=20, blank=True)
    kind = models.CharField("申报类型", max_length=10, choices=ApplicationKind.choices)
    status = models.CharField(
        "状态", max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PLANNED
    )
    planned_on = models.DateField("拟申报日期", null=True, blank=True)
    submitted_on = models.DateField("申报日期", null=True, blank=True)
    decided_on = models.DateField("结果日期", null=True, blank=True)

    class Meta:
        verbose_name = "高企申报"
        verbose_name_plural = "高企申报"
        ordering = ["-year", "-submitted_on"]
        indexes = [models.Index(fields=["year", "status", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "batch"], name="one_application_per_batch"
            ),
            models.CheckConstraint(
                condition=Q(submitted_on__isnull=True)
                | Q(planned_on__isnull=True)
                | Q(submitted_on__gte=F("planned_on")),
                name="application_submitted_after_planned",
                violation_error_message="申报日期不能早于拟申报日期。",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True)
                | Q(submitted_on__isnull=True)
                | Q(decided_on__gte=F("submitted_on")),
                name="application_decided_after_submitted",
                violation_error_message="结果日期不能早于申报日期。",
            ),
        ]

    def __str__(self):
        batch = f"第{self.batch}批" if self.batch else ""
        return f"{self.year}年{batch}高企{self.get_kind_display()}（{self.get_status_display()}）"

    @property
    def is_open(self) -> bool:
        return self.status in (ApplicationStatus.PLANNED, ApplicationStatus.SUBMITTED)


class Certificate(LadderRecord):
    """A 高新技术企业 certificate: valid from issue for 3 years, then the enterprise re-applies."""

    number = models.CharField("证书编号", max_length=30, unique=True)
    issued_on = models.DateField("发证日期", db_index=True)
    expires_on = models.DateField("有效期至", db_index=True)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)
    application = models.OneToOneField(
        Application,
        verbose_name="对应申报",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificate",
    )
    historical = models.BooleanField(
        "历史补录", default=False, help_text="无对应申报记录的历史证书（补录往年名单时使用）"
    )

    class Meta:
        verbose_name = "高企证书"
        verbose_name_plural = "高企证书"
        ordering = ["-issued_on"]
        indexes = [models.Index(fields=["issued_on", "expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("issued_on")),
                name="certificate_expires_after_issue",
                violation_error_message="有效期至必须晚于发证日期。",
            ),
        ]

    def __str__(self):
        return f"高企证书 {self.number}"


class Honour(LadderRecord):
    """A tag with a type and a level (瞪羚, 专精特新 …), awarded in a year."""

    type = models.CharField("荣誉类型", max_length=20, choices=HonourType.choices)
    level = models.CharField("级别", max_length=10, choices=HonourLevel.choices)
    year = models.PositiveSmallIntegerField("认定年度")
    expires_year = models.PositiveSmallIntegerField("有效至年度", null=True, blank=True)

    class Meta:
        verbose_name = "荣誉称号"
        verbose_name_plural = "荣誉称号"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "type", "level", "year"], name="one_honour_per_year"
            ),
        ]

    def __str__(self):
        return f"{self.year}年{self.get_level_display()}{self.get_type_display()}"


class Prediagnosis(models.Model):
    """One enterprise's pre-diagnosis (预诊断) for an apply year, as of a date: what the
    rankings read instead of diagnosing a whole district per request.

    Derived data, never edited: filled lazily for what a ranking lacks (cultivation/
    prediagnosis.py), marked stale by the change hook when a change log entry touches the
    enterprise, refreshed by a task. A row counts only for its `as_of` (the diagnosis
    depends on the date) and the rules version that computed it.
    """

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="prediagnoses",
        db_index=False,  # the (enterprise, apply_year) constraint indexes it
    )
    apply_year = models.PositiveSmallIntegerField("申报年度")
    as_of = models.DateField("判断日期")
    rules = models.PositiveSmallIntegerField("规则版本")
    stale = models.BooleanField("待刷新", default=False)
    hte_verdict = models.CharField("高企结论", max_length=10)
    # closeness, smaller = closer to passing: (#failing, #unknown, Σ relative gaps)
    failing_count = models.PositiveSmallIntegerField("不符合项数")
    unknown_count = models.PositiveSmallIntegerField("无法判断项数")
    gap = models.DecimalField("相对差距合计", max_digits=40, decimal_places=30)
    score_estimate = models.SmallIntegerField("估算得分")
    summary = models.CharField("结论", max_length=200)
    failing = models.JSONField("不符合的条件", default=list)
    unknown = models.JSONField("无法判断的条件", default=list)
    sme_verdict = models.CharField("科小结论", max_length=10)
    computed_at = PortalTimeField("计算时间")

    class Meta:
        verbose_name = "预诊断结果"
        verbose_name_plural = "预诊断结果"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "apply_year"], name="one_prediagnosis_per_year"
            ),
        ]

    def __str__(self):
        return f"{self.apply_year}年预诊断（{self.as_of}）：{self.summary}"


class AnnualReport(models.Model):
    """A filed 年报 (年度发展情况报表): the enterprise filed its report on `year` — the fiscal
    year reported on, filed by 31 May of the next — on 高新技术企业认定管理工作网.

    Only filings are stored; who has NOT filed is a query (selectors.annual_report_*): those
    holding a valid certificate on 31 December of the year, minus these rows.
    """

    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="annualreports"
    )
    year = models.PositiveSmallIntegerField("报告年度", db_index=True)
    filed_on = models.DateField("填报日期")
    source = models.CharField(
        "来源",
        max_length=10,
        choices=AnnualReportSource.choices,
        default=AnnualReportSource.ENTERED,
    )
    recorded_by = models.ForeignKey(
        User,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.CharField("备注", max_length=500, blank=True)
    created_at = PortalTimeField("录入时间", auto_now_add=True)

    objects = LadderQuerySet.as_manager()

    class Meta:
        verbose_name = "高企年报"
        verbose_name_plural = "高企年报"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year"], name="one_annual_report_per_year"
            ),
            models.CheckConstraint(
                condition=Q(filed_on__year__gt=F("year")),
                name="annual_report_filed_after_year",
                violation_error_message="填报日期须在报告年度结束之后。",
            ),
        ]

    def __str__(self):
        return f"{self.year}年度年报（{self.filed_on:%Y-%m-%d}填报）"
