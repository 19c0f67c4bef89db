"""/api/v1/bulletins/: the 通报 a user's list page shows (the issuing district's documents:
its staff and leaders, and those above, see them; a town sees none), each with its stored
data and its Excel file; and issuing one, for whom the page offers it (district staff,
administrators — who may change a plan's unit that has units below it).

A bulletin stays as issued: it is never edited or deleted, here or on the pages.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.base import ScopedRelatedField, ScopedViewSet, Serializer, actor_of, etag_of
from core.api.registry import router
from targets.choices import Status
from targets.models import TargetPlan

from . import services
from .models import Bulletin
from .selectors import NOT_ISSUER, issuable_plans
from .views import XLSX, xlsx_download

# --- the stored data, as documented --------------------------------------------------------------
# Fields are named as the data's keys; where one is also an attribute of DRF's serializers
# ("label", "data"), mypy sees the class body override it. DRF's metaclass takes declared
# fields out of the class, so the attribute is intact at run time: hence the ignores.


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A number as stored: 家 are integers, 万元 and rates may have decimals."""

    def to_representation(self, value: Any) -> Any:
        return value


def _status_field(**kwargs: Any) -> Any:
    """A status code or null. Held by a pattern rather than an enum: drf-spectacular names
    enums after their field, and "status" means other things in other apps."""
    meaning = "；".join(f"{value}：{label}" for value, label in Status.choices)
    pattern = "^(" + "|".join(re.escape(value) for value, _ in Status.choices) + ")$"
    field = extend_schema_field({"type": "string", "pattern": pattern})(
        type("BulletinStatusField", (serializers.CharField,), {})
    )
    return field(allow_null=True, help_text=f"状态代码，无目标为 null（{meaning}）", **kwargs)


class BulletinUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="单位编号")
    name = serializers.CharField(help_text="单位名称")
    label = serializers.CharField(help_text="简称")  # type: ignore[assignment]


class BulletinPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="目标任务编号（/api/v1/target-plans/）")
    title = serializers.CharField(help_text="目标任务标题")
    doc_number = serializers.CharField(allow_blank=True, help_text="文号")


class BulletinColumnSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="指标代码")
    name = serializers.CharField(help_text="指标名称（基数为“某年底……数”）")
    header = serializers.CharField(help_text="表头")
    unit = serializers.CharField(help_text="计量单位（家、个、%、万元）")
    baseline = serializers.BooleanField(help_text="是否基数（只有数，没有完成率和排名）")


class BulletinCellSerializer(serializers.Serializer):
    target = NumberField(allow_null=True, help_text="任务数；未下达为 null")
    actual = NumberField(allow_null=True, help_text="完成数")
    rank = serializers.IntegerField(allow_null=True, help_text="排名")
    completion = NumberField(allow_null=True, help_text="完成率，0–1 以上；无任务数为 null")
    status = _status_field()
    status_label = serializers.CharField(allow_blank=True, help_text="状态（已完成、超序时…）")


class BulletinRowSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(help_text="单位编号")
    label = serializers.CharField(help_text="单位（通报里的名称）；合计行为“全区”等")  # type: ignore[assignment]
    cells = BulletinCellSerializer(many=True, help_text="各列，顺序同 columns")


class BulletinKeyFigureSerializer(BulletinCellSerializer):
    label = serializers.CharField(help_text="指标（有效高企、新增高企、高企申报）")  # type: ignore[assignment]


class BulletinLagItemSerializer(BulletinCellSerializer):
    metric = serializers.CharField(help_text="落后的指标")


class BulletinLaggingSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="单位")  # type: ignore[assignment]
    items = BulletinLagItemSerializer(many=True, help_text="落后序时或严重滞后的指标")
    status = _status_field()
    status_label = serializers.CharField(help_text="最差的状态")


class BulletinDataSerializer(serializers.Serializer):
    """通报的数据，生成时保存，此后不随企业库变化（Excel 与打印版都由它写成）。"""

    title = serializers.CharField(help_text="标题")
    unit = BulletinUnitSerializer(help_text="发出通报的单位")
    year = serializers.IntegerField(help_text="年度")
    as_of = serializers.DateField(help_text="统计日期")
    as_of_text = serializers.CharField(help_text="统计日期（中文，如 2019年7月15日）")
    expected = serializers.FloatField(help_text="序时进度，0–1")
    progress_mode = serializers.CharField(help_text="序时进度算法（按季度 / 按日）")
    lag_threshold = serializers.IntegerField(help_text="低于序时进度多少个百分点算严重滞后")
    plan = BulletinPlanSerializer(help_text="所依据的目标任务")
    units_text = serializers.CharField(help_text="表中用到的计量单位")
    columns = BulletinColumnSerializer(many=True, help_text="表的各列")
    rank_index = serializers.IntegerField(allow_null=True, help_text="排名所依据的列（下标）")
    rank_metric = serializers.CharField(allow_blank=True, help_text="排名所依据的指标")
    rows = BulletinRowSerializer(many=True, help_text="各镇（园区），按排名")
    total = BulletinRowSerializer(help_text="合计行")
    key = BulletinKeyFigureSerializer(many=True, help_text="要点：有效高企、新增高企、高企申报")
    lagging = BulletinLaggingSerializer(many=True, help_text="进度滞后的单位，严重滞后在前")


# --- the bulletin ----------------------------------------------------------------------------------


class BulletinSerializer(serializers.ModelSerializer):
    """一期通报（列表中的一行：与“通报”页面相同的要点）。"""

    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="发出单位")
    created_by_name = serializers.SerializerMethodField(help_text="生成人；每月自动生成的为 null")
    expected = serializers.FloatField(source="data.expected", read_only=True, help_text="序时进度")
    key = BulletinKeyFigureSerializer(
        source="data.key", many=True, read_only=True, help_text="要点"
    )
    lagging_count = serializers.SerializerMethodField(help_text="进度滞后的单位数")
    xlsx_url = serializers.SerializerMethodField(help_text="下载 Excel 的地址（本 API）")

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "title",
            "unit",
            "unit_name",
            "year",
            "as_of",
            "expected",
            "key",
            "lagging_count",
            "scheduled",
            "created_by_name",
            "created_at",
            "xlsx_url",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "title": {"help_text": "标题"},
            "unit": {"help_text": "发出单位编号"},
            "year": {"help_text": "年度"},
            "as_of": {"help_text": "统计日期"},
            "scheduled": {"help_text": "每月自动生成的（否则为手动生成）"},
            "created_at": {"help_text": "生成时间"},
        }

    def get_created_by_name(self, bulletin: Bulletin) -> str | None:
        user = bulletin.created_by
        return (user.display_name or user.username) if user else None

    def get_lagging_count(self, bulletin: Bulletin) -> int:
        return len(bulletin.data.get("lagging", []))

    def get_xlsx_url(self, bulletin: Bulletin) -> str:
        return reverse("bulletin-xlsx", args=[bulletin.pk])


class BulletinDetailSerializer(BulletinSerializer):
    """一期通报及其全部数据。"""

    data = BulletinDataSerializer(  # type: ignore[assignment]
        read_only=True, help_text="通报的全部数据（生成时保存）"
    )

    class Meta(BulletinSerializer.Meta):
        fields = [*BulletinSerializer.Meta.fields, "data"]
        read_only_fields = fields


class IssuablePlanField(ScopedRelatedField):
    default_error_messages = {
        "does_not_exist": "编号为 {pk_value} 的目标任务不存在，或您不能为它生成通报"
        "（须是您可修改、且下面有单位的目标任务）。",
        "incorrect_type": "应为目标任务编号（整数），收到 {data_type}。",
    }

    def get_queryset(self) -> Any:
        return issuable_plans(self.context["request"].user)


class BulletinCreateSerializer(Serializer):
    """生成通报：所依据的目标任务和统计日期。"""

    plan = IssuablePlanField(
        model=TargetPlan,
        help_text="目标任务编号：您可修改、且下面有单位的目标任务（如区的任务分解表）",
    )
    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="统计日期；留空为今天。早于或晚于计划年度时，取该年度的1月1日或12月31日。",
    )


class MayIssue(permissions.BasePermission):
    """Issuing is for whom the page offers it: who has a plan to issue for."""

    message = NOT_ISSUER

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return issuable_plans(request.user).exists()


class AnyAccept(DefaultContentNegotiation):
    """The download answers its file whatever the client accepts (errors stay JSON)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> Any:
        first = next(iter(renderers))
        return first, first.media_type


@extend_schema_view(
    list=extend_schema(
        summary="通报列表",
        description="与“通报”页面相同：发出单位的工作人员、领导及上级可见，新的在前；"
        "镇（园区）账号看不到通报（列表为空）。",
    ),
    retrieve=extend_schema(summary="一期通报", description="一期通报及其全部数据（生成时保存）。"),
)
class BulletinViewSet(ScopedViewSet):
    """通报：生成时的数据、Excel 文件；区科技局工作人员可生成新的一期。"""

    queryset = Bulletin.objects.select_related("unit", "created_by").order_by("-created_at", "-pk")
    serializer_class = BulletinSerializer
    permission_classes = [permissions.IsAuthenticated, MayIssue]

    def get_serializer_class(self) -> Any:
        return BulletinSerializer if self.action == "list" else BulletinDetailSerializer

    @extend_schema(
        summary="生成通报",
        description="按所选目标任务和统计日期生成一期通报，保存其数据和 Excel 文件，并发送给发出单位的领导"
        "（与“通报”页面的“生成并发送给领导”相同）。只有可修改该目标任务的账号（区科技局工作人员、管理员）"
        "可以生成：领导和镇（园区）账号为 403。",
        request=BulletinCreateSerializer,
        responses={201: BulletinDetailSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BulletinCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            bulletin = services.issue_bulletin(
                actor=actor_of(request),
                plan=serializer.validated_data["plan"],
                on=serializer.validated_data.get("as_of"),
            )
        data = BulletinDetailSerializer(
            self.get_queryset().get(pk=bulletin.pk), context=self.get_serializer_context()
        ).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag_of(data)})

    @extend_schema(
        summary="下载通报 Excel",
        description="通报的 Excel 文件（A4 横向，可直接打印），与页面上的“下载 Excel”相同。",
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="xlsx", content_negotiation_class=AnyAccept)
    def xlsx(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return xlsx_download(self.get_object())


router.register("bulletins", BulletinViewSet, basename="bulletin")
