"""REST endpoints for the ladder: the dated records an enterprise's page lists and adds
(科小评价, 培育库入库, 高企申报, 高企证书, 荣誉称号), the two steps the page offers on a record
(an application's next status, a pool membership's end), and counts per unit for any
registered metric.

Records are added, never edited or deleted, as on the pages: every write goes through
cultivation/services.py (the same validation, scope check and change log as the forms).
"""

from typing import Any

import django_filters
from django import forms
from django.urls import path
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import (
    ETAG_200,
    IF_MATCH,
    PRECONDITION,
    ModelSerializer,
    ScopedRelatedField,
    ScopedWriteViewSet,
    Serializer,
)
from core.api.registry import paths, router
from core.dates import today
from core.params import unit_param
from core.scoping import VIEW
from enterprises.filters import UnitFilter, scoped_units
from enterprises.models import Enterprise

from . import selectors, services
from .choices import (
    NEXT_STATUS,
    ApplicationKind,
    ApplicationStatus,
    HonourLevel,
    HonourType,
    PoolExit,
    PoolLevel,
)
from .models import Application, Certificate, Honour, PoolMembership, TechSMEEvaluation

DENIED = "您的账号为只读权限，不能修改梯次培育记录。"

# --- Ladder counts ------------------------------------------------------------------------


class LadderCountsQuerySerializer(serializers.Serializer):
    """The query string, held to its documented types: read from a plain dict, so an empty
    `?year=` is a 400 like any other value that is not a year (DRF would take a form's
    empty box for "not given")."""

    metric = serializers.ChoiceField(
        choices=[(code, m.label) for code, m in selectors.LADDER_METRICS.items()],
        required=False,
        default="valid_hte",
        help_text="指标代码，默认 valid_hte（有效高企数）",
    )
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="统计年度，默认今年；统计日为今天（限在该年内）",
    )
    unit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="单位编号，默认本单位；须在您的权限范围内，否则 404",
    )

    class Meta:
        ref_name = "LadderCountsQuery"


class LadderCountUnitSerializer(Serializer):
    """一个单位的数量。"""

    id = serializers.IntegerField(help_text="单位编号")
    name = serializers.CharField(help_text="单位名称")
    count = serializers.IntegerField(help_text="该单位（含下级）的数量")

    class Meta:
        ref_name = "LadderCountUnit"


class LadderCountsSerializer(Serializer):
    """一项梯次指标在所选单位及其直属下级单位的数量。"""

    metric = serializers.CharField(help_text="指标代码")
    label = serializers.CharField(help_text="指标名称")  # type: ignore[assignment]  # the key
    year = serializers.IntegerField(help_text="统计年度")
    as_of = serializers.DateField(help_text="统计日")
    unit = LadderCountUnitSerializer(help_text="所选单位及其合计")
    children = LadderCountUnitSerializer(many=True, help_text="各直属下级单位（按显示顺序）")

    class Meta:
        ref_name = "LadderCounts"


class LadderCountsView(APIView):
    """梯次指标按单位计数：所选单位的合计及各直属下级单位的数量。"""

    @extend_schema(
        summary="梯次指标按单位计数",
        parameters=[LadderCountsQuerySerializer],
        responses={200: LadderCountsSerializer},
    )
    def get(self, request: Request) -> Response:
        query = LadderCountsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        code = query.validated_data["metric"]
        year = query.validated_data.get("year") or today().year
        unit = unit_param(request)  # an id outside the user's scope is a 404
        ids, on = selectors.metric_ids(code, year, today())
        counts = selectors.count_by_child(ids, unit, on)
        children = unit.children.filter(is_active=True).order_by("order")
        return Response(
            {
                "metric": code,
                "label": selectors.LADDER_METRICS[code].label,
                "year": year,
                "as_of": on,
                "unit": {"id": unit.pk, "name": unit.name, "count": counts[unit.pk]},
                "children": [{"id": c.pk, "name": c.name, "count": counts[c.pk]} for c in children],
            }
        )


# --- Serializers --------------------------------------------------------------------------


def _described(model: Any, names: list[str], **texts: str) -> dict[str, dict[str, str]]:
    """extra_kwargs giving each field a Chinese help_text: its label, unless told better."""
    return {
        name: {"help_text": texts.get(name) or str(model._meta.get_field(name).verbose_name)}
        for name in names
    }


RECORD_FIELDS = ["id", "enterprise", "enterprise_name"]
RECORD_TAIL = ["source", "notes", "created_at"]
RECORD_TEXTS = {
    "id": "记录编号",
    "source": "来源（如文件名、文号）",
    "notes": "备注（只读：网页上也不录入）",
    "created_at": "录入时间",
}


class LadderRecordSerializer(ModelSerializer):
    # What every ladder record has: its enterprise (one you may change, when adding), where
    # it came from, when it was entered. Each kind's docstring is its schema description.

    enterprise = ScopedRelatedField(
        model=Enterprise, help_text="企业编号：须为您权限范围内的企业，否则为“不存在”"
    )
    enterprise_name = serializers.CharField(
        source="enterprise.name", read_only=True, help_text="企业名称"
    )

    class Meta:
        read_only_fields = ["notes", "created_at"]
        # The services check uniqueness themselves, with a message naming the field.
        validators: list = []


class EvaluationSerializer(LadderRecordSerializer):
    """科技型中小企业评价入库：每家企业每年一条。"""

    class Meta(LadderRecordSerializer.Meta):
        model = TechSMEEvaluation
        ref_name = "Evaluation"
        fields = [*RECORD_FIELDS, "year", "reg_number", "evaluated_on", *RECORD_TAIL]
        extra_kwargs = _described(
            model,
            ["id", "year", "reg_number", "evaluated_on", *RECORD_TAIL],
            evaluated_on="入库日期：须在评价年度内",
            **RECORD_TEXTS,
        )


class PoolMembershipSerializer(LadderRecordSerializer):
    """高企培育库入库：级别、年度、批次及在库时间段。"""

    is_open = serializers.SerializerMethodField(help_text="是否仍在库（尚未出库）")

    class Meta(LadderRecordSerializer.Meta):
        model = PoolMembership
        ref_name = "PoolMembership"
        fields = [
            *RECORD_FIELDS,
            "level",
            "year",
            "batch",
            "start",
            "end",
            "exit_reason",
            "is_open",
            *RECORD_TAIL,
        ]
        extra_kwargs = _described(
            model,
            ["id", "level", "year", "batch", "start", "end", "exit_reason", *RECORD_TAIL],
            start="入库日期：同一级别的入库时间段不能重叠",
            end="出库日期：填写时须同时选择出库原因",
            **RECORD_TEXTS,
        )

    def get_is_open(self, obj: PoolMembership) -> bool:
        return obj.end is None


class ApplicationSerializer(LadderRecordSerializer):
    """高企申报：拟申报 → 已申报 → 通过/未通过（结果之前可撤回），及各步日期。"""

    next_statuses = serializers.SerializerMethodField(
        help_text="可推进到的状态（POST …/advance/）；已有结果或已撤回时为空"
    )

    class Meta(LadderRecordSerializer.Meta):
        model = Application
        ref_name = "Application"
        fields = [
            *RECORD_FIELDS,
            "year",
            "batch",
            "kind",
            "status",
            "planned_on",
            "submitted_on",
            "decided_on",
            "next_statuses",
            *RECORD_TAIL,
        ]
        extra_kwargs = _described(
            model,
            [
                "id",
                "year",
                "batch",
                "kind",
                "status",
                "planned_on",
                "submitted_on",
                "decided_on",
                *RECORD_TAIL,
            ],
            kind="申报类型：“重新认定”须已有高企证书记录",
            status="状态：已申报须填申报日期，通过/未通过还须填结果日期",
            **RECORD_TEXTS,
        )

    # Plain strings: the status enum once more would be a second name for the same choices.
    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_next_statuses(self, obj: Application) -> list[str]:
        allowed = NEXT_STATUS.get(obj.status, set())
        return [s.value for s in ApplicationStatus if s in allowed]


class CertificateSerializer(LadderRecordSerializer):
    """高新技术企业证书：自发证日期起有效 3 年。"""

    class Meta(LadderRecordSerializer.Meta):
        model = Certificate
        ref_name = "Certificate"
        fields = [
            *RECORD_FIELDS,
            "number",
            "issued_on",
            "expires_on",
            "revoked_on",
            "application",
            "historical",
            *RECORD_TAIL,
        ]
        read_only_fields = [
            *LadderRecordSerializer.Meta.read_only_fields,
            "expires_on",
            "revoked_on",
            "application",
        ]
        extra_kwargs = _described(
            model,
            [
                "id",
                "number",
                "issued_on",
                "expires_on",
                "revoked_on",
                "application",
                "historical",
                *RECORD_TAIL,
            ],
            number="证书编号（保存为大写）",
            issued_on="发证日期：须晚于该企业上一张证书；非历史补录时须有当年已申报的申报记录",
            expires_on="有效期至：发证日期起 3 年（自动计算）",
            application="对应申报的记录编号（自动关联并标记为“通过”）",
            historical="历史补录：无对应申报记录的往年证书",
            **RECORD_TEXTS,
        )


class HonourSerializer(LadderRecordSerializer):
    """荣誉称号（瞪羚、专精特新等）：类型、级别、认定年度。"""

    class Meta(LadderRecordSerializer.Meta):
        model = Honour
        ref_name = "Honour"
        fields = [*RECORD_FIELDS, "type", "level", "year", "expires_year", *RECORD_TAIL]
        extra_kwargs = _described(
            model,
            ["id", "type", "level", "year", "expires_year", *RECORD_TAIL],
            expires_year="有效至年度：不能早于认定年度",
            **RECORD_TEXTS,
        )


STATUS_TEXT = "；".join(f"{s.value}：{s.label}" for s in ApplicationStatus)


@extend_schema_field(
    {
        "type": "string",
        "description": f"新状态（{STATUS_TEXT}）：拟申报 → 已申报 → 通过/未通过，结果之前可撤回；"
        "可选的见申报的 next_statuses",
    }
)
class NewStatusField(serializers.ChoiceField):
    """The statuses without an enum of their own in the schema: the application's `status`
    names that enum, and a second component using it would leave the enum's name to a hash."""


class AdvanceSerializer(Serializer):
    """申报的下一步：新状态及其日期。"""

    status = NewStatusField(choices=ApplicationStatus.choices)
    on = serializers.DateField(
        help_text="日期：改为已申报时记为申报日期，通过/未通过时记为结果日期"
    )

    class Meta:
        ref_name = "ApplicationAdvance"


class PoolEndSerializer(Serializer):
    """出库：日期与原因。"""

    end = serializers.DateField(help_text="出库日期：不能早于入库日期")
    exit_reason = serializers.ChoiceField(choices=PoolExit.choices, help_text="出库原因")

    class Meta:
        ref_name = "PoolMembershipEnd"


# --- Filters (the ladder pages' names: unit, year; the records' own kinds) -------------------


def scoped_enterprises(request: Any) -> Any:
    if request is None:
        return Enterprise.objects.none()
    return Enterprise.objects.for_user(request.user, VIEW)


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: "2019.5" is a 400, not quietly 2019."""

    field_class = forms.IntegerField


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 1,
        "maximum": 9999,
        "description": "到期年度（同“即将到期”页的年度）",
    }
)
class ExpiresYearFilter(IntegerFilter):
    """A date's year (1–9999: a date has no other): certificates expiring in that year."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(lookup_expr="year", min_value=1, max_value=9999, **kwargs)


@extend_schema_field({"type": "integer", "description": "单位编号（含下级单位）"})
class LadderUnitFilter(UnitFilter):
    """A unit's id (the records' unit is their enterprise's town)."""


class LadderRecordFilter(django_filters.rest_framework.FilterSet):
    enterprise = django_filters.ModelChoiceFilter(
        queryset=scoped_enterprises, label="企业编号（须在您的权限范围内）"
    )
    unit = LadderUnitFilter(queryset=scoped_units, method="in_unit", label="单位（含下级单位）")

    def in_unit(self, queryset: Any, name: str, unit: Any) -> Any:
        return queryset.in_unit(unit)


class EvaluationFilter(LadderRecordFilter):
    year = IntegerFilter(label="评价年度")

    class Meta:
        model = TechSMEEvaluation
        fields = ["enterprise", "unit", "year"]


class PoolMembershipFilter(LadderRecordFilter):
    year = IntegerFilter(label="入库年度")
    level = django_filters.ChoiceFilter(choices=PoolLevel.choices, label="入库级别")

    class Meta:
        model = PoolMembership
        fields = ["enterprise", "unit", "year", "level"]


class ApplicationFilter(LadderRecordFilter):
    year = IntegerFilter(label="申报年度")
    kind = django_filters.ChoiceFilter(choices=ApplicationKind.choices, label="申报类型")
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices, label="状态")

    class Meta:
        model = Application
        fields = ["enterprise", "unit", "year", "kind", "status"]


class CertificateFilter(LadderRecordFilter):
    issued_on = django_filters.DateFilter(label="发证日期")
    expires_on = django_filters.DateFilter(label="有效期至")
    expires_year = ExpiresYearFilter(field_name="expires_on", label="到期年度")

    class Meta:
        model = Certificate
        fields = ["enterprise", "unit", "issued_on", "expires_on", "expires_year"]


class HonourFilter(LadderRecordFilter):
    year = IntegerFilter(label="认定年度")
    type = django_filters.ChoiceFilter(choices=HonourType.choices, label="荣誉类型")
    level = django_filters.ChoiceFilter(choices=HonourLevel.choices, label="级别")

    class Meta:
        model = Honour
        fields = ["enterprise", "unit", "year", "type", "level"]


# --- Viewsets -----------------------------------------------------------------------------


class LadderRecordViewSet(ScopedWriteViewSet):
    """Records in scope; adding one goes through the kind's service. No edits, no deletes:
    the pages offer neither."""

    http_method_names = ["get", "post", "head", "options"]
    denied = DENIED


def _documented(noun: str, add: str) -> Any:
    return extend_schema_view(
        list=extend_schema(summary=f"{noun}列表"),
        retrieve=extend_schema(summary=f"{noun}详情"),
        create=extend_schema(summary=add),
    )


@_documented("科技型中小企业评价", "登记科技型中小企业评价")
class EvaluationViewSet(LadderRecordViewSet):
    """科技型中小企业评价入库记录（每家企业每年一条）。登记与企业页“+ 科小评价”相同。"""

    queryset = TechSMEEvaluation.objects.select_related("enterprise").order_by("-year", "-pk")
    serializer_class = EvaluationSerializer
    filterset_class = EvaluationFilter

    def create_object(self, data: dict) -> TechSMEEvaluation:
        return services.record_evaluation(actor=self.actor, **data)


@_documented("培育库入库", "登记培育库入库")
class PoolMembershipViewSet(LadderRecordViewSet):
    """高企培育库入库记录。登记与企业页“+ 培育库入库”相同；出库用 POST …/{id}/end/。"""

    queryset = PoolMembership.objects.select_related("enterprise").order_by("-start", "-pk")
    serializer_class = PoolMembershipSerializer
    filterset_class = PoolMembershipFilter

    def create_object(self, data: dict) -> PoolMembership:
        return services.add_pool_membership(actor=self.actor, **data)

    @extend_schema(
        summary="出库",
        description="登记在库记录的出库日期与原因（与企业页“出库”相同）；已出库的记录不能再出库。",
        request=PoolEndSerializer,
        responses={200: PoolMembershipSerializer, 412: PRECONDITION},
        parameters=[IF_MATCH, ETAG_200],
    )
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request: Request, pk: Any = None) -> Response:
        return self.step(
            PoolEndSerializer(data=request.data),
            lambda membership, **data: services.end_pool_membership(
                actor=self.actor, membership=membership, **data
            ),
        )


@_documented("高企申报", "登记高企申报")
class ApplicationViewSet(LadderRecordViewSet):
    """高企申报记录：拟申报 → 已申报 → 通过/未通过（结果之前可撤回）。登记与企业页“+ 高企申报”
    相同；推进状态用 POST …/{id}/advance/。"""

    queryset = Application.objects.select_related("enterprise").order_by(
        "-year", "-submitted_on", "-pk"
    )
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter

    def create_object(self, data: dict) -> Application:
        return services.add_application(actor=self.actor, **data)

    @extend_schema(
        summary="更新申报状态",
        description="把申报推进一步（与企业页“更新状态”相同）：可选的新状态见 next_statuses。",
        request=AdvanceSerializer,
        responses={200: ApplicationSerializer, 412: PRECONDITION},
        parameters=[IF_MATCH, ETAG_200],
    )
    @action(detail=True, methods=["post"], url_path="advance")
    def advance(self, request: Request, pk: Any = None) -> Response:
        return self.step(
            AdvanceSerializer(data=request.data),
            lambda application, **data: services.advance_application(
                actor=self.actor, application=application, **data
            ),
        )


@_documented("高企证书", "登记高企证书")
class CertificateViewSet(LadderRecordViewSet):
    """高新技术企业证书（有效期 3 年）。登记与企业页“+ 高企证书”相同：当年的申报记为通过，
    在库的培育库记录随之出库（原因：认定为高企）。"""

    queryset = Certificate.objects.select_related("enterprise").order_by("-issued_on", "-pk")
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter

    def create_object(self, data: dict) -> Certificate:
        return services.record_certificate(actor=self.actor, **data)


@_documented("荣誉称号", "登记荣誉称号")
class HonourViewSet(LadderRecordViewSet):
    """荣誉称号（瞪羚、专精特新等）。登记与企业页“+ 荣誉称号”相同。"""

    queryset = Honour.objects.select_related("enterprise").order_by("-year", "-pk")
    serializer_class = HonourSerializer
    filterset_class = HonourFilter

    def create_object(self, data: dict) -> Honour:
        return services.add_honour(actor=self.actor, **data)


router.register("evaluations", EvaluationViewSet, basename="evaluation")
router.register("pool-memberships", PoolMembershipViewSet, basename="pool-membership")
router.register("applications", ApplicationViewSet, basename="application")
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("honours", HonourViewSet, basename="honour")

paths.append(path("ladder-counts/", LadderCountsView.as_view(), name="ladder-counts"))
