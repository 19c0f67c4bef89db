"""The enterprise registry: enterprises, their town over time, and annual indicators."""

from django.db import models
from django.db.models import F, Q

from core.fields import PortalTimeField
from core.models import OrgUnit
from core.scoping import ScopedQuerySet

from .choices import TechField


class EnterpriseQuerySet(ScopedQuerySet):
    scope_field = "town"


class Enterprise(models.Model):
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    uscc_checksum_ok = models.BooleanField("代码校验通过", default=True, db_index=True)
    name = models.CharField("企业名称", max_length=200)
    town = models.ForeignKey(
        OrgUnit,
        verbose_name="所属镇（园区）",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (town, name) serves it
    )
    address = models.CharField("地址", max_length=300, blank=True)
    legal_rep = models.CharField("法定代表人", max_length=50, blank=True)
    contact = models.CharField("联系人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    registered_on = models.DateField("注册日期", null=True, blank=True)
    tech_field = models.CharField("技术领域", max_length=20, choices=TechField.choices, blank=True)
    tech_subfield = models.CharField("技术子领域", max_length=100, blank=True)
    industry = models.CharField("所属行业", max_length=100, blank=True)
    above_scale = models.BooleanField("规上企业", default=False, db_index=True)
    notes = models.TextField("备注", blank=True)
    is_active = models.BooleanField("有效", default=True, db_index=True)
    created_at = PortalTimeField("创建时间", auto_now_add=True)
    updated_at = PortalTimeField("更新时间", auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name", "id"]  # a unique tie-breaker: stable pages, and a cheap top-N sort
        # Each index costs every insert (a 20k-row upload creates thousands of enterprises):
        # plain B-trees, without the LIKE-pattern twins db_index adds on PostgreSQL (name and
        # code searches use the trigram and bigram indexes of migrations 0003 and 0005).
        indexes = [
            models.Index(fields=["town", "name"]),
            models.Index(fields=["name"], name="enterprise_name"),
            models.Index(fields=["tech_field"], name="enterprise_tech_field"),
        ]

    def __str__(self):
        return self.name


class TownSpanQuerySet(ScopedQuerySet):
    scope_field = "town"


class TownSpan(models.Model):
    """Which town an enterprise belonged to, when. Moving closes one span and opens another,
    so counts for a past date use the town of that date (the old town's past stays put)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="town_spans"
    )
    town = models.ForeignKey(
        OrgUnit, verbose_name="所属镇（园区）", on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateField("起始日期", null=True, blank=True)  # null: since registration
    end = models.DateField("截止日期", null=True, blank=True)  # null: still there

    objects = TownSpanQuerySet.as_manager()

    class Meta:
        verbose_name = "所属镇（园区）变更"
        verbose_name_plural = "所属镇（园区）变更"
        ordering = ["enterprise", F("start").asc(nulls_first=True)]  # "since registration" first
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(end__isnull=True), name="one_open_town_span"
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} @ {self.town}"


class EnterpriseYearQuerySet(ScopedQuerySet):
    scope_field = "enterprise__town"


MONEY_FIELDS = [
    "sales_revenue",
    "rd_expense",
    "rd_expense_domestic",
    "hightech_revenue",
    "net_assets",
    "total_assets",
    "total_cost",
]
COUNT_FIELDS = ["staff_total", "st_staff", "ip_class1", "ip_class2", "achievements"]
INDICATOR_FIELDS = COUNT_FIELDS[:2] + MONEY_FIELDS + COUNT_FIELDS[2:]
# Amounts that cannot be negative: an insolvent enterprise really has negative net assets.
NON_NEGATIVE_MONEY = [name for name in MONEY_FIELDS if name != "net_assets"]
# The fiscal years one may enter indicators for (the form and the API check it).
FIRST_YEAR, LAST_YEAR = 1980, 2100


def _money(label):
    return models.DecimalField(label, max_digits=14, decimal_places=2, null=True, blank=True)


def _count(label):
    return models.PositiveIntegerField(label, null=True, blank=True)


class EnterpriseYear(models.Model):
    """One fiscal year's indicators (年度指标). Money in 万元, exact decimals.

    Every indicator may be unknown (null): pre-diagnosis then says "cannot judge", never
    reads a silent zero.
    """

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="years",
        db_index=False,  # one_row_per_year (enterprise, year) serves it
    )
    year = models.PositiveSmallIntegerField("年度")
    staff_total = _count("职工总数")
    st_staff = _count("科技人员数")
    sales_revenue = _money("销售收入（万元）")
    rd_expense = _money("研发费用（万元）")
    rd_expense_domestic = _money("境内研发费用（万元）")
    hightech_revenue = _money("高新技术产品（服务）收入（万元）")
    net_assets = _money("净资产（万元）")
    total_assets = _money("资产总额（万元）")
    total_cost = _money("成本费用总额（万元）")
    ip_class1 = _count("Ⅰ类知识产权数")
    ip_class2 = _count("Ⅱ类知识产权数")
    achievements = _count("科技成果转化数")
    updated_at = PortalTimeField("更新时间", auto_now=True)

    objects = EnterpriseYearQuerySet.as_manager()

    class Meta:
        verbose_name = "年度指标"
        verbose_name_plural = "年度指标"
        ordering = ["enterprise", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="one_row_per_year"),
            models.CheckConstraint(
                condition=Q(st_staff__isnull=True)
                | Q(staff_total__isnull=True)
                | Q(st_staff__lte=F("staff_total")),
                name="st_staff_within_staff",
                violation_error_message="科技人员数不能大于职工总数。",
            ),
            models.CheckConstraint(
                condition=Q(rd_expense_domestic__isnull=True)
                | Q(rd_expense__isnull=True)
                | Q(rd_expense_domestic__lte=F("rd_expense")),
                name="domestic_rd_within_rd",
                violation_error_message="境内研发费用不能大于研发费用总额。",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                    name=f"{name}_not_negative",
                    violation_error_message="金额不能为负数。",
                )
                for name in NON_NEGATIVE_MONEY
            ],
        ]

    def __str__(self):
        return f"{self.enterprise} {self.year}年"
