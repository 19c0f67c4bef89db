"""REST endpoints of the target plans (任务分解表), as the pages offer them:

- /target-plans/: the plans in scope (a town also sees the plans issued above it); create as
  the 新建 page (a town may plan for its parks), edit the header and the columns as the 修改
  page (the issuing unit's writers only — a town on the district's plan is a 403);
- /target-plans/{id}/values/: the plan's value grid (unit × metric → number) as the 填写目标值
  page shows it, replaced with PUT through the same service, guarded by its own ETag;
- /target-plans/{id}/completion/: the completion table of the plan's page;
- /metrics/: the catalogue whose codes the values and the completion table use.

Every write goes through targets/services.py: the same validation, scope and change log.
"""

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.base import (
    ETAG,
    ModelSerializer,
    ScopedRelatedField,
    ScopedWriteViewSet,
    Serializer,
    etag_of,
)
from core.api.registry import router
from core.dates import today
from core.models import OrgUnit
from core.scoping import CHANGE, visible_unit_ids

from . import selectors, services
from .choices import MetricSource, MetricUnit, Status
from .forms import PlanForm, overlap_error, plan_columns
from .models import Metric, PlanMetric, TargetPlan

DENIED = "您只能查看该目标任务，不能修改（只读账号或上级单位下达的任务）。"


def _choices(choices: Any) -> str:
    return "；".join(f"{value}：{label}" for value, label in choices)


# --- The metric catalogue -------------------------------------------------------------------


class MetricSerializer(ModelSerializer):
    """目录中的一项目标指标：目标值、完成情况表中以其代码（code）标识。"""

    # Plain text, not enums: "unit" and "source" are other things elsewhere in the API.
    unit = serializers.CharField(
        read_only=True, help_text=f"计量单位：{'、'.join(MetricUnit.values)}"
    )
    source = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.source
        read_only=True, help_text=f"实际值来源：{_choices(MetricSource.choices)}"
    )
    source_label = serializers.CharField(
        source="get_source_display", read_only=True, help_text="实际值来源（中文）"
    )
    aliases = serializers.SerializerMethodField(
        help_text="Excel 导入时可识别的其他列名，可含 {year}、{prev}"
    )

    class Meta:
        model = Metric
        ref_name = "TargetMetric"
        fields = [
            "id",
            "code",
            "name",
            "header",
            "unit",
            "source",
            "source_label",
            "ladder_metric",
            "baseline",
            "aliases",
            "order",
            "is_active",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "指标编号"},
            "code": {"help_text": "指标代码：目标值、完成情况表中以它标识指标"},
            "name": {"help_text": "指标名称"},
            "header": {"help_text": "任务分解表中的列名模板，{year}＝年度、{prev}＝上一年度"},
            "ladder_metric": {"help_text": "梯次统计口径（来源为梯次培育记录时），否则为空"},
            "baseline": {
                "help_text": "基数指标：上年末数（如“2018年底高新技术企业数”），不是当年任务"
            },
            "order": {"help_text": "显示顺序"},
            "is_active": {"help_text": "是否启用：停用的指标不能再选入目标任务"},
        }

    def get_aliases(self, metric: Metric) -> list[str]:
        return [line.strip() for line in metric.aliases.splitlines() if line.strip()]


@extend_schema_view(
    list=extend_schema(summary="目标指标目录"),
    retrieve=extend_schema(summary="一项目标指标"),
)
class MetricViewSet(viewsets.ReadOnlyModelViewSet):
    """目标指标目录（区科技局在系统管理中维护），含已停用的指标：旧计划可能仍在使用。"""

    queryset = Metric.objects.order_by("order", "code")
    serializer_class = MetricSerializer
    filterset_fields = ["code", "source", "is_active", "baseline"]


# --- Plans ----------------------------------------------------------------------------------


class PlanMetricsField(serializers.ManyRelatedField):
    """Catalogue metrics by code: the plan's table columns (breakdown) or its own goals."""

    def __init__(self, *, breakdown: bool, queryset: Any, **kwargs: Any) -> None:
        self.breakdown = breakdown
        child = serializers.SlugRelatedField(slug_field="code", queryset=queryset)
        child.error_messages["does_not_exist"] = (
            "没有代码为“{value}”的启用指标（见 /api/v1/metrics/）。"
        )
        super().__init__(child_relation=child, **kwargs)

    def get_attribute(self, instance: TargetPlan) -> list[Metric]:
        return [pm.metric for pm in instance.plan_metrics.all() if pm.breakdown is self.breakdown]


class PlanGroupField(serializers.CharField):
    """The merged header above the table's columns, as the 修改 page shows it."""

    def get_attribute(self, instance: TargetPlan) -> str:
        return next((pm.group for pm in instance.plan_metrics.all() if pm.group), "")


def _no_repeats(metrics: list[Metric]) -> list[Metric]:
    codes = [m.code for m in metrics]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise serializers.ValidationError(f"指标“{'、'.join(repeated)}”重复。")
    return metrics


class PlanSerializer(ModelSerializer):
    """一份目标任务（任务分解表）：表头信息及其指标。年度与下达单位建立后不能修改。"""

    unit: serializers.Field = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="下达单位编号"
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="下达单位名称")
    progress_mode_label = serializers.CharField(
        source="get_progress_mode_display", read_only=True, help_text="序时进度口径（中文）"
    )
    breakdown_metrics = PlanMetricsField(
        breakdown=True,
        queryset=PlanForm.base_fields["breakdown_metrics"].queryset,  # type: ignore[attr-defined]
        required=False,
        help_text="分解到下级的指标代码（任务分解表的列，按列出顺序）；须为启用的指标",
    )
    own_metrics = PlanMetricsField(
        breakdown=False,
        queryset=PlanForm.base_fields["own_metrics"].queryset,  # type: ignore[attr-defined]
        required=False,
        help_text="只设本级目标的指标代码（如全区新增高企数）；须为启用的非基数指标",
    )
    group = PlanGroupField(
        required=False,
        allow_blank=True,
        max_length=PlanMetric._meta.get_field("group").max_length,
        help_text="合并表头（可选），如“2019年争取上报任务数”，放在非基数指标列的上方",
    )

    class Meta:
        model = TargetPlan
        ref_name = "TargetPlan"
        fields = [
            "id",
            "year",
            "unit",
            "unit_name",
            "title",
            "doc_number",
            "issued_on",
            "notes",
            "progress_mode",
            "progress_mode_label",
            "lag_threshold",
            "breakdown_metrics",
            "own_metrics",
            "group",
            "updated_at",
        ]
        read_only_fields = ["id", "year", "updated_at"]
        extra_kwargs = {
            "id": {"help_text": "目标任务编号"},
            "year": {"help_text": "年度"},
            "title": {"help_text": "标题"},
            "doc_number": {"help_text": "文号，如“武科发〔2019〕14号”"},
            "issued_on": {"help_text": "印发日期"},
            "notes": {"help_text": "备注"},
            "progress_mode": {
                "help_text": f"序时进度口径：{_choices(TargetPlan._meta.get_field('progress_mode').choices)}"
            },
            "lag_threshold": {
                "max_value": 32767,  # the column's range (a small integer)
                "help_text": "严重滞后阈值（百分点）：完成率低于序时进度超过该值即为“严重滞后”",
            },
            "updated_at": {"help_text": "最后修改时间"},
        }
        validators: list = []  # one plan per unit and year: the service says so, naming the year

    def validate_breakdown_metrics(self, value: list[Metric]) -> list[Metric]:
        return _no_repeats(value)

    def validate_own_metrics(self, value: list[Metric]) -> list[Metric]:
        return _no_repeats(value)


class PlanCreateSerializer(PlanSerializer):
    """新建目标任务：下达单位默认为本单位；同一单位同一年度只能有一份。"""

    unit = ScopedRelatedField(
        model=OrgUnit,
        action=CHANGE,
        required=False,
        help_text="下达单位编号，默认为本单位；须为您可修改的单位（本单位或下级单位）",
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度")

    class Meta(PlanSerializer.Meta):
        ref_name = "TargetPlanCreate"
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {
            **PlanSerializer.Meta.extra_kwargs,
            "title": {
                "required": False,
                "allow_blank": True,
                "help_text": "标题；留空则为“{年度}年{单位}高新技术企业任务分解表”",
            },
        }


# --- The value grid -------------------------------------------------------------------------


class PlanColumnSerializer(Serializer):
    """目标任务的一列：一项指标，及其在本计划中的表头。"""

    code = serializers.CharField(source="metric.code", help_text="指标代码")
    name = serializers.CharField(source="metric.name", help_text="指标名称")
    header = serializers.CharField(help_text="本计划年度的列名，如“2018年底高新技术企业数”")
    group = serializers.CharField(help_text="合并表头，没有则为空")
    breakdown = serializers.BooleanField(help_text="是否分解到下级；否：只设本级目标（只有合计格）")
    unit = serializers.CharField(source="metric.unit", help_text="计量单位")
    baseline = serializers.BooleanField(
        source="metric.baseline", help_text="基数指标（上年末数），不计完成率"
    )

    class Meta:
        ref_name = "TargetPlanColumn"


class GridUnitSerializer(Serializer):
    """填报表的一行：一个单位。"""

    id = serializers.IntegerField(help_text="单位编号")
    name = serializers.CharField(help_text="单位名称")
    is_total = serializers.BooleanField(help_text="是否为合计行（下达单位本身）")

    class Meta:
        ref_name = "TargetPlanGridUnit"


class CellValueSerializer(Serializer):
    """一格目标值：某单位某指标的目标数。"""

    unit = serializers.IntegerField(help_text="单位编号（见 units）")
    metric = serializers.CharField(max_length=40, help_text="指标代码（见 metrics）")
    value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        allow_null=True,
        help_text="目标值，不小于 0，最多两位小数；null 表示不设目标",
    )

    class Meta:
        ref_name = "TargetPlanCellValue"


class PlanValuesSerializer(Serializer):
    """目标任务的目标值填报表，与“填写目标值”页相同：各启用的直属下级单位及合计行（下达单位
    本身）× 本计划的指标；只设本级目标的指标只有合计格。镇（园区）查看上级下达的计划时，只看到
    本单位的行及合计行。

    PUT 提交整张表：values 中未列出的格视为留空（清除该格的目标值），与网页上留空一致。"""

    plan = serializers.IntegerField(read_only=True, help_text="目标任务编号")
    metrics = PlanColumnSerializer(many=True, read_only=True, help_text="表的列（按列序）")
    units = GridUnitSerializer(
        many=True, read_only=True, help_text="表的行（按显示顺序，合计行在最后）"
    )
    values = CellValueSerializer(
        many=True, help_text="每个可填写的格一项（按行、再按列）；未设目标的格 value 为 null"
    )

    class Meta:
        ref_name = "TargetPlanValues"

    def to_representation(self, instance: TargetPlan) -> dict:
        grid = selectors.value_grid(instance)
        visible = visible_unit_ids(self.context["request"].user)
        units = [u for u in grid.units if u.pk in visible or u.pk == instance.unit_id]
        document = {
            "plan": instance.pk,
            "metrics": grid.columns,
            "units": [
                {"id": u.pk, "name": u.name, "is_total": u.pk == instance.unit_id} for u in units
            ],
            "values": [
                {
                    "unit": unit.pk,
                    "metric": column.metric.code,
                    "value": grid.current.get((column.metric_id, unit.pk)),
                }
                for unit in units
                for column in grid.columns
                if grid.enabled(column, unit)
            ],
        }
        return super().to_representation(document)

    def validate_values(self, items: list[dict]) -> dict[tuple[int, int], Any]:
        """The whole grid's cells for set_values: those listed, every other one cleared."""
        plan = self.instance
        assert isinstance(plan, TargetPlan)
        grid = selectors.value_grid(plan)
        units = {u.pk: u for u in grid.units}
        columns = {c.metric.code: c for c in grid.columns}
        cells: dict[tuple[int, int], Any] = {
            (c.metric_id, u.pk): None
            for u in grid.units
            for c in grid.columns
            if grid.enabled(c, u)
        }
        errors: dict[str, Any] = {}
        seen: dict[tuple[int, int], int] = {}
        for index, item in enumerate(items):
            unit, column = units.get(item["unit"]), columns.get(item["metric"])
            problem: Any = _cell_problem(grid, item, unit, column)
            if problem is None and unit is not None and column is not None:
                key = (column.metric_id, unit.pk)
                if key in seen:
                    problem = [f"与第 {seen[key] + 1} 项重复（同一单位、同一指标）。"]
                else:
                    seen[key] = index
                    cells[key] = item["value"]
            if problem is not None:
                errors[str(index)] = problem
        if errors:
            raise serializers.ValidationError(errors)
        return cells


def _cell_problem(
    grid: selectors.ValueGrid, item: dict, unit: OrgUnit | None, column: PlanMetric | None
) -> dict[str, list[str]] | None:
    """Why the grid has no such cell (by the field to blame), or None if it has."""
    plan = grid.plan
    if unit is None:
        return {
            "unit": [
                f"单位 {item['unit']} 不在本计划的填报表中：只能填写{plan.unit.name}"
                "及其启用的直属下级单位（见 units）。"
            ]
        }
    if column is None:
        return {"metric": [f"“{item['metric']}”不是本计划的指标（见 metrics）。"]}
    if not grid.enabled(column, unit):
        return {"unit": [f"【{column.metric.name}】只设本级目标，只能填写{plan.unit.name}的合计。"]}
    return None


# --- The completion table -------------------------------------------------------------------


class GridUnitRefSerializer(Serializer):
    id = serializers.IntegerField(source="pk", help_text="单位编号")
    name = serializers.CharField(help_text="单位名称")

    class Meta:
        ref_name = "TargetCompletionUnit"


class CompletionCellSerializer(Serializer):
    """一个单位一项指标的完成情况。"""

    target = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="目标值；未设目标为 null"
    )
    actual = serializers.FloatField(
        allow_null=True,
        help_text="实际值：梯次培育记录统计，或已审核的季度报送（年累计）；无数据为 null",
    )
    completion = serializers.FloatField(
        allow_null=True, help_text="完成率＝实际÷目标（1＝100%）；无目标、基数指标为 null"
    )
    status = serializers.CharField(
        allow_null=True, help_text=f"状态：{_choices(Status.choices)}；无完成率为 null"
    )
    status_label = serializers.SerializerMethodField(help_text="状态（中文）")
    rank = serializers.IntegerField(
        allow_null=True,
        help_text="在同级单位中按完成率的排名（并列同名次）；合计行、无完成率为 null",
    )
    forecast = serializers.FloatField(
        allow_null=True, help_text="预计年底数；基数指标、无实际值为 null"
    )
    forecast_inputs = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="预计年底数的依据，如 已申报待结果、近三年通过率（0–1，无数据为 null）、拟申报",
    )

    class Meta:
        ref_name = "TargetCompletionCell"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_status_label(self, cell: selectors.Cell) -> str | None:
        return Status(cell.status).label if cell.status else None


class CompletionRowSerializer(Serializer):
    """完成情况表的一行。"""

    unit = GridUnitRefSerializer(help_text="单位")
    is_total = serializers.BooleanField(help_text="是否为合计行（下达单位本身）")
    cells = serializers.DictField(
        child=CompletionCellSerializer(), help_text="按指标代码（见 metrics）的完成情况"
    )

    class Meta:
        ref_name = "TargetCompletionRow"


class CompletionSerializer(Serializer):
    """目标任务的完成情况，与目标任务页相同：镇（园区）只看到本单位的行及合计行。"""

    plan = PlanSerializer(help_text="目标任务")
    as_of = serializers.DateField(help_text="统计日期")
    expected_progress = serializers.FloatField(help_text="序时进度（0–1）")
    metrics = PlanColumnSerializer(many=True, help_text="本计划的指标（按列序）")
    rows = CompletionRowSerializer(many=True, help_text="各直属下级单位（您可见的）")
    total = CompletionRowSerializer(help_text="合计行：下达单位本身")
    mismatches = serializers.ListField(
        child=serializers.CharField(),
        help_text="数字对不上的提示：下级之和≠合计，或本级合计≠上级下达",
    )

    class Meta:
        ref_name = "TargetCompletion"


def _completion_row(row: selectors.Row, columns: list[PlanMetric]) -> dict:
    return {
        "unit": row.unit,
        "is_total": row.is_total,
        "cells": {c.metric.code: row.cells[c.metric_id] for c in columns},
    }


# --- The viewset ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="目标任务列表"),
    retrieve=extend_schema(summary="一份目标任务"),
    create=extend_schema(
        summary="新建目标任务",
        request=PlanCreateSerializer,
        responses={201: PlanSerializer},
    ),
    update=extend_schema(summary="修改目标任务（表头与指标）"),
    partial_update=extend_schema(summary="修改目标任务的部分字段"),
)
class PlanViewSet(ScopedWriteViewSet):
    """目标任务（任务分解表）：您可见的计划（镇、园区也看到上级下达给它的计划）。新建同网页：
    可为本单位或下级单位新建；修改只限下达单位的工作人员，领导只读。"""

    queryset = TargetPlan.objects.select_related("unit").prefetch_related(
        Prefetch("plan_metrics", PlanMetric.objects.select_related("metric"))
    )
    serializer_class = PlanSerializer
    filterset_fields = ["year", "unit"]
    denied = DENIED

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-year", "unit__path")

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return PlanCreateSerializer
        if self.action == "values":
            return PlanValuesSerializer
        if self.action == "completion":
            return CompletionSerializer
        return PlanSerializer

    def create_object(self, data: dict) -> TargetPlan:
        unit = data.pop("unit", None) or self.actor.unit
        if unit is None:
            raise serializers.ValidationError({"unit": ["您的账号没有所属单位：请指定下达单位。"]})
        breakdown = data.pop("breakdown_metrics", [])
        own = data.pop("own_metrics", [])
        group = data.pop("group", "")
        _check_overlap(breakdown, own)
        return services.create_plan(
            actor=self.actor,
            unit=unit,
            columns=plan_columns(breakdown, group),
            own_goals=own,
            **data,
        )

    def update_object(self, obj: TargetPlan, data: dict) -> TargetPlan:
        columns = list(obj.plan_metrics.all())
        breakdown = data.pop("breakdown_metrics", None)
        own = data.pop("own_metrics", None)
        group = data.pop("group", None)
        if breakdown is None and group is not None:  # a new merged header over the same columns
            breakdown = [c.metric for c in columns if c.breakdown]
        if group is None:
            group = next((c.group for c in columns if c.group), "")
        _check_overlap(
            breakdown if breakdown is not None else [c.metric for c in columns if c.breakdown],
            own if own is not None else [c.metric for c in columns if not c.breakdown],
        )
        return services.update_plan(
            actor=self.actor,
            plan=obj,
            columns=None if breakdown is None else plan_columns(breakdown, group),
            own_goals=own,
            **data,
        )

    @extend_schema(
        methods=["GET"],
        summary="目标任务的目标值填报表",
        responses={200: PlanValuesSerializer},
        parameters=[ETAG],
    )
    @extend_schema(
        methods=["PUT"],
        summary="填写目标值（提交整张表）",
        description=(
            "与“填写目标值”页相同：只限下达单位的工作人员；values 中未列出的格视为留空。"
            "带上 GET 时的 ETag 作 If-Match：表已被他人修改则 412，不做任何修改。"
            "修改写入修改记录（一条，列出每个变化的格）。"
        ),
        request=PlanValuesSerializer,
        responses={200: PlanValuesSerializer},
        parameters=[ETAG],
    )
    @action(detail=True, methods=["get", "put"], url_path="values")
    def values(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "PUT":
            return self.step(
                self.get_serializer(self.writable_object(), data=request.data),
                lambda plan, values: services.set_values(actor=self.actor, plan=plan, cells=values),
            )
        data = self.get_serializer(self.get_object()).data
        return Response(data, headers={"ETag": etag_of(data)})

    @extend_schema(summary="目标任务的完成情况", responses={200: CompletionSerializer})
    @action(detail=True)
    def completion(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        result = selectors.cached_completion(plan, today())
        visible = visible_unit_ids(request.user)
        document = {
            "plan": plan,
            "as_of": result.on,
            "expected_progress": result.expected,
            "metrics": result.columns,
            "rows": [
                _completion_row(r, result.columns) for r in result.rows if r.unit.pk in visible
            ],
            "total": _completion_row(result.total, result.columns),
            "mismatches": result.mismatches,
        }
        return Response(self.get_serializer(document).data)


def _check_overlap(breakdown: list[Metric], own: list[Metric]) -> None:
    problem = overlap_error(breakdown, own)
    if problem:
        raise serializers.ValidationError({"own_metrics": [problem]})


router.register("target-plans", PlanViewSet, basename="target-plan")
router.register("metrics", MetricViewSet, basename="metric")
