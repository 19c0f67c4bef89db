"""/api/v1/dashboard/<block>/: the 驾驶舱's blocks, as the page's charts read them.

Each block answers exactly what the page's fetch (dashboard:<block>) answers, from the same
cache entry: the unit in scope (another unit is a 404), the year, the rows filtered by the
units the reader may see. The serializers below document those payloads (they are built by
dashboard.selectors); tests/dashboard/test_api.py holds every block to them.
"""

import re
from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api.registry import paths
from core.dates import today
from core.models import OrgUnit
from core.params import unit_param
from core.scoping import get_for_user_or_404, visible_unit_ids
from cultivation.diagnosis.common import Status as Verdict
from cultivation.selectors import FUNNEL_STEPS, RENEWAL_STEPS
from targets.choices import Status

from . import selectors

BIG = 2**63 - 1  # the largest id the database holds


# --- the query ---------------------------------------------------------------------------------


class DashboardQuerySerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=BIG,
        help_text="单位编号（/api/v1/units/）；默认本单位。不在您权限范围内的单位返回 404。",
    )
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text="年度；默认今年"
    )


# --- shared pieces -----------------------------------------------------------------------------
# Fields are named as the payload's keys; where one is also an attribute of DRF's Field
# ("label", "required"), mypy sees the class body override it. DRF's metaclass takes declared
# fields out of the class, so the attribute is intact at run time: hence the ignores.


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A number as computed: 家 are integers, 万元 and rates may have decimals."""

    def to_representation(self, value: Any) -> Any:
        return value


def enum_field(choices: list[tuple[str, str]], help_text: str, **kwargs: Any) -> Any:
    """Text with fixed values, each explained in the description. The schema holds it to
    them by a pattern, not an `enum`: drf-spectacular names every enum after its field and
    "status" means other things in other apps (a collision --fail-on-warn refuses)."""
    values = [value for value, _label in choices]
    meaning = "；".join(f"{value or '空'}：{label}" for value, label in choices)
    pattern = "^(" + "|".join(re.escape(value) for value in values) + ")$"
    field = extend_schema_field({"type": "string", "pattern": pattern})(
        type("EnumField", (serializers.CharField,), {})
    )
    return field(help_text=f"{help_text}（{meaning}）", **kwargs)


STATUSES = [("", "无目标或无完成率"), *Status.choices]
TONES = [("", "无"), ("ok", "达标"), ("warn", "落后"), ("bad", "严重滞后")]


class DashboardUnitSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(help_text="单位编号")
    name = serializers.CharField(help_text="单位名称")
    label = serializers.CharField(help_text="简称（表格、图表里显示的名字）")  # type: ignore[assignment]


class DashboardPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="目标任务编号（/api/v1/target-plans/）")
    title = serializers.CharField(help_text="目标任务标题")
    unit_name = serializers.CharField(help_text="下达目标任务的单位")
    url = serializers.CharField(help_text="目标任务页面的地址")
    source = enum_field(
        [("own", "本单位的目标任务"), ("parent", "上级目标任务中本单位那一行")], "目标任务的来源"
    )
    progress_mode = serializers.CharField(help_text="序时进度的算法（按季度 / 按日）")


class DashboardCellSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="指标代码")
    name = serializers.CharField(help_text="指标名称")
    header = serializers.CharField(help_text="表头（目标任务里的列名）")
    measure = serializers.CharField(help_text="计量单位（家、个、%、万元）")
    baseline = serializers.BooleanField(help_text="是否基数（基数只有数，没有完成率）")
    target = NumberField(allow_null=True, help_text="目标数；未下达为 null")
    actual = NumberField(allow_null=True, help_text="完成数（由梯次培育记录或已审核报送计算）")
    completion = NumberField(allow_null=True, help_text="完成率，0–1 以上；无目标为 null")
    status = enum_field(STATUSES, "状态代码")
    status_label = serializers.CharField(allow_blank=True, help_text="状态（已完成、超序时…）")
    tone = enum_field(TONES, "状态的颜色")
    gap_points = serializers.FloatField(
        allow_null=True, help_text="领先（+）或落后（−）序时进度的百分点"
    )
    rank = serializers.IntegerField(allow_null=True, help_text="在同级单位中的名次")
    forecast = NumberField(allow_null=True, help_text="年底预计完成数")
    forecast_inputs = serializers.DictField(
        child=NumberField(allow_null=True), help_text="预计数的依据（名称 → 数）"
    )
    drill_url = serializers.CharField(
        allow_null=True, help_text="该数背后的企业名单页面；报送类指标为 null"
    )


# --- summary and ranking -----------------------------------------------------------------------


class DashboardCardSerializer(DashboardCellSerializer):
    rank_of = serializers.IntegerField(
        required=False, help_text="参与排名的同级单位数（仅上级下达的目标任务，如镇看本镇）"
    )


class DashboardSummarySerializer(serializers.Serializer):
    unit = DashboardUnitSerializer(help_text="所看的单位")
    year = serializers.IntegerField(help_text="年度")
    on = serializers.DateField(help_text="统计日期（今天，限定在该年度内）")
    plan = DashboardPlanSerializer(allow_null=True, help_text="适用的目标任务；没有为 null")
    expected = serializers.FloatField(allow_null=True, help_text="序时进度，0–1")
    cards = DashboardCardSerializer(many=True, help_text="每个目标指标一张卡片")
    mismatches = serializers.ListField(
        child=serializers.CharField(), help_text="下级之和与本级合计不一致之处（文字说明）"
    )


class DashboardRankingRowSerializer(DashboardCellSerializer):
    # "name" is the unit's here (the metric's is on the metric): the payload's own choice.
    unit_id = serializers.IntegerField(help_text="单位编号")
    label = serializers.CharField(help_text="单位简称")  # type: ignore[assignment]
    url = serializers.CharField(help_text="该单位驾驶舱的地址")


class DashboardRankingMetricSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="指标代码")
    name = serializers.CharField(help_text="指标名称")
    header = serializers.CharField(help_text="表头")
    ranked_of = serializers.IntegerField(help_text="有完成率、参与排名的单位数")
    rows = DashboardRankingRowSerializer(
        many=True, help_text="各单位按名次排列（name 为单位名称）；只含您可见的单位"
    )


class DashboardRankingSerializer(serializers.Serializer):
    plan = DashboardPlanSerializer(allow_null=True, help_text="适用的目标任务；没有为 null")
    expected = serializers.FloatField(allow_null=True, help_text="序时进度，0–1")
    self_only = serializers.BooleanField(
        required=False, help_text="只有本单位一行（镇看上级下达的目标）；无目标任务时不出现"
    )
    metrics = DashboardRankingMetricSerializer(many=True, help_text="每个分解到下级的指标")


# --- trend ---------------------------------------------------------------------------------------


class DashboardTrendMetricSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="梯次指标代码")
    label = serializers.CharField(help_text="指标名称")  # type: ignore[assignment]
    series = serializers.DictField(
        child=serializers.ListField(child=NumberField(allow_null=True)),
        help_text="年度 → 四个季度末的数；没有快照的季度为 null",
    )


class DashboardTrendSerializer(serializers.Serializer):
    unit = DashboardUnitSerializer(help_text="所看的单位")
    years = serializers.ListField(child=serializers.IntegerField(), help_text="上一年和本年")
    labels = serializers.ListField(child=serializers.CharField(), help_text="季度名称")
    dates = serializers.DictField(
        child=serializers.ListField(child=serializers.DateField()),
        help_text="年度 → 四个季度末的日期",
    )
    metrics = DashboardTrendMetricSerializer(many=True, help_text="每个梯次指标的序列")
    missing = serializers.ListField(
        child=serializers.DateField(), help_text="已过去、但没有快照的季度末"
    )
    latest = serializers.DateField(allow_null=True, help_text="最近一次快照的日期")


# --- the ladder ----------------------------------------------------------------------------------


class DashboardFunnelStepSerializer(serializers.Serializer):
    code = enum_field([(code, label) for code, label in FUNNEL_STEPS + RENEWAL_STEPS], "环节代码")
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="环节（科技型中小企业 → 培育库在库 → 高企首次申报 → 首次申报通过；"
        "另列到期重新认定申报 → 重新认定通过）"
    )
    kind = enum_field([("funnel", "培育漏斗"), ("renewal", "重新认定（不计入漏斗转化率）")], "类别")
    count = serializers.IntegerField(help_text="企业数")
    rate = NumberField(allow_null=True, help_text="相对同类上一环节的转化率；每类第一环节为 null")
    url = serializers.CharField(help_text="该环节企业名单页面的地址")


class DashboardFunnelSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="年度")
    steps = DashboardFunnelStepSerializer(many=True, help_text="各环节")
    empty = serializers.BooleanField(help_text="各环节都为 0")
    url = serializers.CharField(help_text="培育漏斗页面的地址")


class DashboardExpiringRowSerializer(DashboardUnitSerializer):
    counts = serializers.ListField(
        child=serializers.IntegerField(), help_text="本年、下一年到期的高企证书数"
    )
    urls = serializers.ListField(child=serializers.CharField(), help_text="对应的到期名单页面")
    dashboard_url = serializers.CharField(help_text="该单位驾驶舱的地址")


class DashboardExpiringSerializer(serializers.Serializer):
    years = serializers.ListField(child=serializers.IntegerField(), help_text="本年和下一年")
    rows = DashboardExpiringRowSerializer(many=True, help_text="各下级单位（只含您可见的）")
    total = DashboardExpiringRowSerializer(help_text="本单位合计")


# --- reporting -----------------------------------------------------------------------------------


class DashboardPeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="报送期编号")
    label = serializers.CharField(help_text="报送期名称")  # type: ignore[assignment]
    deadline = serializers.DateField(help_text="截止日期")
    open = serializers.BooleanField(help_text="今天在报送窗口内")
    overdue = serializers.BooleanField(help_text="已过截止日期")
    url = serializers.CharField(help_text="报送期页面的地址")


class DashboardMissingUnitSerializer(DashboardUnitSerializer):
    url = serializers.CharField(help_text="该单位驾驶舱的地址")


class DashboardMissingSerializer(serializers.Serializer):
    period = DashboardPeriodSerializer(
        allow_null=True, help_text="当前（或最近开始的）报送期；没有为 null"
    )
    required = serializers.IntegerField(help_text="本单位范围内应报送的单位数")  # type: ignore[assignment]
    only_self = serializers.BooleanField(help_text="应报送的只有本单位（镇看本镇）")
    units = DashboardMissingUnitSerializer(many=True, help_text="尚未报送的单位（只含您可见的）")


# --- pre-diagnosis -------------------------------------------------------------------------------


class DashboardClosestRowSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(help_text="企业所在镇（园区）的编号")
    id = serializers.IntegerField(help_text="企业编号（/api/v1/enterprises/）")
    name = serializers.CharField(help_text="企业名称")
    town = serializers.CharField(help_text="所在镇（园区）简称")
    verdict = enum_field([(v.value, v.label) for v in Verdict], "高企预诊断结论")
    undecided = serializers.BooleanField(
        help_text="无法判断：没有不符合的条件，但缺少数据；排在可判断的企业之后"
    )
    summary = serializers.CharField(help_text="结论说明")
    failing = serializers.ListField(child=serializers.CharField(), help_text="不符合的条件")
    unknown = serializers.ListField(child=serializers.CharField(), help_text="无法判断的条件")
    score = serializers.IntegerField(help_text="创新能力估算得分")
    url = serializers.CharField(help_text="该企业预诊断页面的地址")


class DashboardClosestSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="申报年度")
    candidates = serializers.IntegerField(help_text="在库、尚未认定的企业数")
    all_url = serializers.CharField(help_text="完整预诊断名单页面的地址")
    rows = DashboardClosestRowSerializer(many=True, help_text="最接近通过的前 10 家")


# --- the endpoints -------------------------------------------------------------------------------

BLOCKS: dict[str, tuple[type[serializers.Serializer], str, str]] = {
    "summary": (
        DashboardSummarySerializer,
        "目标完成情况卡片",
        "适用于该单位的目标任务（本单位下达的，或上级下达给本单位的那一行）每个指标的目标、完成、完成率、状态和名次。",
    ),
    "ranking": (
        DashboardRankingSerializer,
        "下级单位完成率排名",
        "每个分解到下级的指标，各下级单位按名次排列；镇只看到本镇一行。",
    ),
    "trend": (
        DashboardTrendSerializer,
        "梯次指标季度走势",
        "上一年和本年各季度末的梯次指标（来自快照）。",
    ),
    "funnel": (
        DashboardFunnelSerializer,
        "培育漏斗",
        "科技型中小企业 → 培育库在库 → 高企申报 → 认定通过，各环节企业数和转化率。",
    ),
    "expiring": (
        DashboardExpiringSerializer,
        "即将到期的高企证书",
        "本年和下一年到期的高企证书数，按下级单位。",
    ),
    "missing": (
        DashboardMissingSerializer,
        "尚未报送的单位",
        "当前（或最近开始的）季度报送期中，尚未报送的单位。",
    ),
    "closest": (
        DashboardClosestSerializer,
        "最接近通过高企预诊断的企业",
        "培育库在库、尚未认定的企业中，离高企认定条件最近的前 10 家。",
    ),
}
assert set(BLOCKS) == set(selectors.ENDPOINTS)  # a new block must be documented here


class DashboardBlockView(APIView):
    """One block of the 驾驶舱 for a unit in your scope and a year: the page's own JSON."""

    endpoint = ""

    def answer(self, request: Request) -> HttpResponse:
        # A plain dict, not the QueryDict: an empty ?year= is then a 400 like any value that
        # is not a year, as the API's filters treat it, rather than quietly "this year".
        query = DashboardQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        pk = query.validated_data.get("unit")
        if pk is None:
            unit = unit_param(request)  # the user's own unit, as on the page
        else:  # the page's unit_param, on the validated id: outside the scope, a 404
            unit = get_for_user_or_404(OrgUnit.objects, request.user, pk=pk)
        year = query.validated_data.get("year") or today().year
        visible = visible_unit_ids(request.user, within=unit)
        body = selectors.block_json(self.endpoint, unit, year, visible)
        return HttpResponse(body, content_type="application/json")


def _block_view(endpoint: str) -> type[DashboardBlockView]:
    serializer, summary, description = BLOCKS[endpoint]

    class View(DashboardBlockView):
        @extend_schema(
            summary=summary,
            description=description,
            parameters=[DashboardQuerySerializer],
            responses={200: serializer},
        )
        def get(self, request: Request) -> HttpResponse:
            return self.answer(request)

    View.endpoint = endpoint
    View.__name__ = View.__qualname__ = f"Dashboard{endpoint.title()}View"
    View.__doc__ = f"{summary}：{description}"
    return View


for _endpoint in BLOCKS:
    paths.append(
        path(
            f"dashboard/{_endpoint}/",
            _block_view(_endpoint).as_view(),
            name=f"dashboard-{_endpoint}",
        )
    )
