"""REST endpoints for the registry: enterprises and their annual indicators, read and written
as the pages do it.

- `/api/v1/enterprises/`: the list (the page's filters, EnterpriseFilter), one enterprise,
  adding one (POST) and editing it (PUT / PATCH). The town and the active flag have their
  own actions, as on the pages, because each keeps history of its own: `POST …/{id}/move/`
  (迁移所属镇（园区）: the old town keeps the enterprise's past) and `POST …/{id}/set-active/`
  (停用 / 恢复). No DELETE: the registry keeps every enterprise.
- `/api/v1/enterprises/{enterprise}/years/`: its annual indicators, one row per year — added
  with POST (the year in the body), edited at `…/years/{year}/` — like the page's
  "新增年度指标" and "修改" links.

Every write goes through enterprises/services.py: the same validation, scope check and change
log as the forms. Another town's enterprise is a 404; a leader's write is a 403.
"""

from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.base import (
    ETAG,
    IF_MATCH,
    NOT_JSON,
    PRECONDITION,
    ModelSerializer,
    ScopedRelatedField,
    ScopedWriteViewSet,
    Serializer,
)
from core.api.registry import router
from core.models import OrgUnit
from core.scoping import CHANGE, can_change

from . import selectors, services
from .filters import EnterpriseFilter
from .models import (
    FIRST_YEAR,
    INDICATOR_FIELDS,
    LAST_YEAR,
    NON_NEGATIVE_MONEY,
    Enterprise,
    EnterpriseYear,
)

DENIED = "您的账号为只读权限，不能修改企业信息。"


def _described(model: Any, names: list[str], **texts: str) -> dict[str, dict[str, Any]]:
    """extra_kwargs giving each field a Chinese help_text: its label, unless told better."""
    return {
        name: {"help_text": texts.get(name) or str(model._meta.get_field(name).verbose_name)}
        for name in names
    }


# --- Annual indicators ----------------------------------------------------------------------


YEAR_RANGE = f"请填写 {FIRST_YEAR}–{LAST_YEAR} 之间的年度。"  # the form's words


def _year_kwargs() -> dict[str, dict[str, Any]]:
    kwargs = _described(EnterpriseYear, ["year", *INDICATOR_FIELDS], year="年度（财年）")
    for name in NON_NEGATIVE_MONEY:  # the model's constraint, named by its field here
        kwargs[name].update(min_value=Decimal(0), error_messages={"min_value": "金额不能为负数。"})
    return kwargs


class EnterpriseYearSerializer(ModelSerializer):
    """一家企业一个年度的指标。金额单位为万元；未填写的指标为 null（预诊断时视为"无法判断"）。"""

    class Meta:
        model = EnterpriseYear
        ref_name = "EnterpriseYear"
        fields = ["year", *INDICATOR_FIELDS]
        read_only_fields = ["year"]  # a row's year is its address: …/years/{year}/
        extra_kwargs = _year_kwargs()


class EnterpriseYearCreateSerializer(EnterpriseYearSerializer):
    """新增一个年度的指标：年度须在范围内，且该企业尚无该年度的指标。"""

    year = serializers.IntegerField(
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={"min_value": YEAR_RANGE, "max_value": YEAR_RANGE},
        help_text=f"年度（财年），{FIRST_YEAR}–{LAST_YEAR}",
    )

    class Meta(EnterpriseYearSerializer.Meta):
        ref_name = "EnterpriseYearCreate"
        read_only_fields: list[str] = []


# --- Enterprises ----------------------------------------------------------------------------


ENTERPRISE_TEXTS = {
    "id": "企业编号",
    "uscc": "统一社会信用代码（18 位；保存时去掉空格和连字符、转为大写）",
    "uscc_checksum_ok": "代码校验位是否正确：不正确时照样保存（2016年前的代码可能如此），请核对",
    "town": "所属镇（园区）的单位编号",
    "is_active": "是否有效：停用、恢复用 POST …/set-active/",
    "updated_at": "最后修改时间",
}
LIST_FIELDS = [
    "id",
    "uscc",
    "uscc_checksum_ok",
    "name",
    "town",
    "town_name",
    "tech_field",
    "tech_field_label",
    "tech_subfield",
    "industry",
    "above_scale",
    "registered_on",
    "is_active",
    "updated_at",
]
DETAIL_FIELDS = [*LIST_FIELDS, "address", "legal_rep", "contact", "phone", "notes"]
# What PUT / PATCH leave alone: the town and the active flag have their own actions.
OWN_ACTIONS = {"town": "move", "is_active": "set-active"}


def _enterprise_kwargs(names: list[str]) -> dict[str, dict[str, Any]]:
    kwargs = _described(Enterprise, names, **ENTERPRISE_TEXTS)
    # The service checks the code (normalised) and says which enterprise already has it.
    kwargs["uscc"]["validators"] = []
    # As typed, a code may carry spaces and hyphens ("9132 0412-…"): the service strips them
    # and then insists on 18 characters; the documented limit is on what may be sent.
    kwargs["uscc"]["max_length"] = 40
    return kwargs


class EnterpriseSerializer(ModelSerializer):
    """企业库中的一家企业（列表中的字段）。"""

    town_name = serializers.CharField(
        source="town.name", read_only=True, help_text="所属镇（园区）名称"
    )
    tech_field_label = serializers.CharField(
        source="get_tech_field_display", read_only=True, help_text="技术领域名称"
    )

    class Meta:
        model = Enterprise
        ref_name = "Enterprise"
        fields = LIST_FIELDS
        extra_kwargs = _enterprise_kwargs(
            [f for f in LIST_FIELDS if f not in ("town_name", "tech_field_label")]
        )


class EnterpriseDetailSerializer(EnterpriseSerializer):
    """一家企业的全部信息及各年度指标。修改（PUT / PATCH）可改除所属镇（园区）、是否有效外的
    基本信息：迁移所属镇（园区）用 POST …/move/，停用、恢复用 POST …/set-active/。"""

    years = EnterpriseYearSerializer(many=True, read_only=True, help_text="年度指标，新年度在前")

    class Meta(EnterpriseSerializer.Meta):
        ref_name = "EnterpriseDetail"
        fields = [*DETAIL_FIELDS, "years"]
        read_only_fields = ["uscc_checksum_ok", "town", "is_active", "updated_at"]
        extra_kwargs = _enterprise_kwargs(
            [f for f in DETAIL_FIELDS if f not in ("town_name", "tech_field_label")]
        )

    def validate(self, attrs: dict) -> dict:
        """A body read with GET and sent back holds the town and the active flag as they are:
        fine. A different value would be silently dropped — say where it is changed instead."""
        if self.instance is not None:
            pk = self.instance.pk
            errors = {
                name: [
                    f"不能在此修改：请用 POST /api/v1/enterprises/{pk}/{path}/"
                    f"（{'迁移保留原镇（园区）的历史' if name == 'town' else '停用、恢复另有记录'}）。"
                ]
                for name, path in OWN_ACTIONS.items()
                if name in self.initial_data
                and str(self.initial_data[name])
                != str(getattr(self.instance, "town_id" if name == "town" else name))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class TownField(ScopedRelatedField):
    """A unit the user may write for, still active: the towns the page's choice lists."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=OrgUnit, action=CHANGE, **kwargs)

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(is_active=True)


class EnterpriseCreateSerializer(EnterpriseDetailSerializer):
    """新增企业：统一社会信用代码、名称和所属镇（园区）必填。"""

    town = TownField(
        help_text="所属镇（园区）的单位编号：须为您可以修改的单位（/api/v1/units/），否则为“不存在”"
    )

    class Meta(EnterpriseDetailSerializer.Meta):
        ref_name = "EnterpriseCreate"
        read_only_fields = ["uscc_checksum_ok", "is_active", "updated_at"]


class MoveSerializer(Serializer):
    """迁移所属镇（园区）：自迁入日期起属于新镇（园区），此前的统计仍归原镇（园区）。"""

    town = TownField(help_text="迁入镇（园区）的单位编号：须为您可以修改的单位，且不同于当前")
    on = serializers.DateField(required=False, help_text="迁入日期，默认今天；须晚于上次迁入日期")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="说明（写入变更记录）"
    )

    class Meta:
        ref_name = "EnterpriseMove"


class SetActiveSerializer(Serializer):
    """停用（注销、迁出区外……）或恢复一家企业：不删除任何记录，历史保留。"""

    active = serializers.BooleanField(help_text="true：恢复为有效；false：停用")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="说明（写入变更记录）"
    )

    class Meta:
        ref_name = "EnterpriseSetActive"


@extend_schema_view(
    list=extend_schema(
        summary="企业列表",
        description="您权限范围内的企业，筛选条件与企业库页面相同；默认只列有效企业（status=all 看全部）。",
    ),
    retrieve=extend_schema(
        summary="企业详情",
        description="一家企业的全部信息及各年度指标；已停用的企业也可读取。响应头 ETag 供修改时放进 If-Match。",
    ),
    create=extend_schema(
        summary="新增企业",
        description="与“新增企业”页面相同的校验：代码格式、重复登记、所属镇（园区）须在您的权限范围内。",
        request=EnterpriseCreateSerializer,
        responses={201: EnterpriseDetailSerializer, 415: NOT_JSON},
    ),
    update=extend_schema(
        summary="修改企业信息",
        description="与“修改企业信息”页面相同。所属镇（园区）、是否有效不在此修改（见 move、set-active）。",
        responses={200: EnterpriseDetailSerializer, 415: NOT_JSON},
    ),
    partial_update=extend_schema(
        summary="修改企业信息（部分字段）",
        description="只改所给字段；其余同 PUT。",
        responses={200: EnterpriseDetailSerializer, 415: NOT_JSON},
    ),
)
class EnterpriseViewSet(ScopedWriteViewSet):
    """The registry: list and read in scope, add, edit, move, deactivate — no DELETE."""

    queryset = Enterprise.objects.select_related("town")
    filterset_class = EnterpriseFilter
    denied = DENIED

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        return queryset if self.action == "list" else queryset.prefetch_related("years")

    def filter_queryset(self, queryset: Any) -> Any:
        # The list's filters (and its "active only" default) choose among enterprises; one
        # enterprise — a deactivated one too — is addressed by its id, as its page is.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return EnterpriseSerializer
        if self.action == "create":
            return EnterpriseCreateSerializer
        return EnterpriseDetailSerializer  # also what move and set-active answer

    def create_object(self, data: dict) -> Enterprise:
        return services.create_enterprise(actor=self.actor, **data)

    def update_object(self, obj: Enterprise, data: dict) -> Enterprise:
        return services.update_enterprise(actor=self.actor, enterprise=obj, **data)

    @extend_schema(
        summary="迁移所属镇（园区）",
        description=(
            "与“迁移所属镇（园区）”页面相同：自迁入日期起属于新镇（园区），原镇（园区）保留此前的"
            "记录；写入变更记录。"
        ),
        request=MoveSerializer,
        responses={200: EnterpriseDetailSerializer, 412: PRECONDITION, 415: NOT_JSON},
        parameters=[IF_MATCH, ETAG],
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        return self.step(
            MoveSerializer(data=request.data, context=self.get_serializer_context()),
            lambda enterprise, **data: services.move_enterprise(
                actor=self.actor, enterprise=enterprise, **data
            ),
        )

    @extend_schema(
        summary="停用或恢复企业",
        description="与企业页面上的“停用”“恢复”相同：不删除任何记录；状态不变时不做任何修改。",
        request=SetActiveSerializer,
        responses={200: EnterpriseDetailSerializer, 412: PRECONDITION, 415: NOT_JSON},
        parameters=[IF_MATCH, ETAG],
    )
    @action(detail=True, methods=["post"], url_path="set-active")
    def set_active(self, request: Request, pk: str | None = None) -> Response:
        return self.step(
            SetActiveSerializer(data=request.data, context=self.get_serializer_context()),
            lambda enterprise, **data: services.set_active(
                actor=self.actor, enterprise=enterprise, **data
            ),
        )


ENTERPRISE_PARAMETER = OpenApiParameter(
    "enterprise",
    int,
    OpenApiParameter.PATH,
    description="企业编号；须为您权限范围内的企业，否则 404",
)

YEAR_PARAMETER = OpenApiParameter(
    "year", int, OpenApiParameter.PATH, description="年度（财年）；该年度没有指标时 404"
)


@extend_schema_view(
    list=extend_schema(summary="企业的年度指标", description="新年度在前。"),
    retrieve=extend_schema(
        summary="一个年度的指标",
        description="响应头 ETag 供修改时放进 If-Match。",
        parameters=[YEAR_PARAMETER],
    ),
    create=extend_schema(
        summary="新增年度指标",
        description=(
            "与“新增年度指标”页面相同；该年度已有指标时为 400（请用 PUT …/years/{year}/ 修改）。"
        ),
        request=EnterpriseYearCreateSerializer,
        responses={201: EnterpriseYearSerializer, 415: NOT_JSON},
    ),
    update=extend_schema(
        summary="修改年度指标",
        description="与指标表中的“修改”相同；未给出的指标保持不变。",
        parameters=[YEAR_PARAMETER],
        responses={200: EnterpriseYearSerializer, 415: NOT_JSON},
    ),
    partial_update=extend_schema(
        summary="修改年度指标（部分指标）",
        description="只改所给指标。",
        parameters=[YEAR_PARAMETER],
        responses={200: EnterpriseYearSerializer, 415: NOT_JSON},
    ),
)
@extend_schema(parameters=[ENTERPRISE_PARAMETER])
class EnterpriseYearViewSet(ScopedWriteViewSet):
    """One enterprise's annual indicators, addressed by year; no DELETE (the page has none)."""

    queryset = EnterpriseYear.objects.all()
    lookup_field = "year"
    denied = DENIED
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @cached_property
    def enterprise(self) -> Enterprise:
        """The enterprise the URL names: in the user's scope, or a 404 for everything below."""
        enterprises = selectors.enterprises_for(self.request.user)
        return get_object_or_404(enterprises, pk=self.kwargs["enterprise"])

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return queryset.filter(enterprise=self.enterprise)

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return EnterpriseYearCreateSerializer
        return EnterpriseYearSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_change(self.actor, self.enterprise):  # a year is a change of the enterprise
            raise exceptions.PermissionDenied(self.denied)
        return super().create(request, *args, **kwargs)

    def create_object(self, data: dict) -> EnterpriseYear:
        enterprise, year = self.enterprise, data.pop("year")
        # One writer of the enterprise's years at a time (two POSTs of the same new year).
        locked = Enterprise.objects.for_user(self.request.user, CHANGE).select_for_update(
            of=("self",)
        )
        locked.filter(pk=enterprise.pk).exists()
        if enterprise.years.filter(year=year).exists():
            raise ValidationError(
                {
                    "year": f"{year}年度指标已存在：请用 PUT /api/v1/enterprises/"
                    f"{enterprise.pk}/years/{year}/ 修改。"
                }
            )
        return services.save_year(actor=self.actor, enterprise=enterprise, year=year, values=data)

    def update_object(self, obj: EnterpriseYear, data: dict) -> EnterpriseYear:
        return services.save_year(
            actor=self.actor, enterprise=self.enterprise, year=obj.year, values=data
        )


router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register(
    r"enterprises/(?P<enterprise>[^/.]+)/years", EnterpriseYearViewSet, basename="enterprise-year"
)
