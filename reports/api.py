"""REST endpoints for quarterly reporting (季度报送): periods (open one, reopen it for a town,
its reporting rate), uploads (start one, poll it, read its problems or its preview, confirm
it, retry a failed one) and submissions (list the versions, download a version's file,
review it).

Every write goes through reports/services.py — the same checks, change log, notices and
all-or-nothing upload as the pages — and every read through the user's scope: another
town's job or submission is a 404. A refusal because of the record's state (the upload
window is closed, the preview is not ready, the version was already reviewed) is a 409; a
value the service refuses is a 400 naming the field.
"""

import datetime
from typing import Any

import django_filters
from django.db import transaction
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.base import (
    CONFLICT,
    ETAG_200,
    IF_MATCH,
    PRECONDITION,
    ScopedActionsViewSet,
    ScopedRelatedField,
    ScopedWriteViewSet,
    Serializer,
    error_response,
    etag_of,
    state_conflicts,
)
from core.api.registry import router
from core.authentication import PortalScopedThrottle
from core.models import OrgUnit
from core.scoping import VIEW, can_change, can_write, visible_unit_ids
from enterprises.filters import UnitFilter, scoped_units
from enterprises.models import FIRST_YEAR, LAST_YEAR

from . import selectors, services
from .choices import JobStatus, SubmissionStatus
from .columns import BY_CODE, INDICATOR_COLUMNS
from .models import ReportingPeriod, Submission, UploadJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS = "application/vnd.ms-excel"
OCTET = "application/octet-stream"

READ_ONLY = "您的账号为只读权限，不能报送或审核季度数据。"
NOT_OPENER = "只有区科技局可以开启报送期次。"
NOT_MANAGER = "只有区科技局可以重新开放报送。"
NOT_REVIEWER = "只有区科技局可以审核报送。"


# --- Errors the schema names beside the automatic ones ------------------------------------------


ETAG_ANY = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 202],
    description="返回记录的当前版本。",
)


# --- Enumerations, each one named component ----------------------------------------------------


def _choice(choices: list[tuple[Any, str]], name: str, help_text: str, **kwargs: Any) -> Any:
    """A ChoiceField whose values are one named enum component (`name`): left to itself the
    schema names an enum after its field ("status"), which other apps' fields of the same name
    and other choices collide with."""
    values = [value for value, _ in choices]
    kind = "integer" if all(isinstance(v, int) for v in values) else "string"
    labels = "；".join(f"{value}：{label}" for value, label in choices)
    schema = {"type": kind, "enum": values, "description": labels}
    if name not in _CHOICE_FIELDS:  # one class per component: the schema tells them apart by it
        _CHOICE_FIELDS[name] = extend_schema_field(schema, component_name=name)(
            type(f"{name}Field", (serializers.ChoiceField,), {})
        )
    return _CHOICE_FIELDS[name](choices=choices, help_text=help_text, **kwargs)


_CHOICE_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


COLUMN_CHOICES = [(c.code, c.header) for c in INDICATOR_COLUMNS]
QUARTERS = [(q, f"第{q}季度") for q in range(1, 5)]


# --- Small shapes ---------------------------------------------------------------------------------


class ReportProblemSerializer(Serializer):
    """上传文件中的一处问题（或提示、提醒），按 Excel 显示的位置说明。"""

    sheet = serializers.CharField(help_text="工作表名称；与具体位置无关时为空")
    row = serializers.IntegerField(allow_null=True, help_text="Excel 显示的行号；无则为 null")
    column = serializers.CharField(help_text="列标题（或“C列”）；无则为空")
    message = serializers.CharField(help_text="问题说明")
    text = serializers.CharField(
        help_text=(
            "完整的一句话：位置（企业的行带企业名称）+ 说明，"
            "如“企业季度数据 第5行（常州某某科技有限公司）【科技人员数】：…”"
        )
    )

    class Meta:
        ref_name = "ReportProblem"


class ReportColumnSerializer(Serializer):
    """一个指标列。"""

    code = serializers.CharField(help_text="指标代码")
    header = serializers.CharField(help_text="模板中的列标题")

    class Meta:
        ref_name = "ReportColumn"


def _columns(codes: list[str]) -> list[dict[str, str]]:
    return [{"code": c, "header": BY_CODE[c].header} for c in codes if c in BY_CODE]


class ReopeningSerializer(Serializer):
    """为某个单位重新开放上传，至某日。"""

    id = serializers.IntegerField(read_only=True, help_text="记录编号")
    unit = serializers.IntegerField(source="unit_id", read_only=True, help_text="单位编号")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="单位名称")
    until = serializers.DateField(read_only=True, help_text="重新开放至（含当天）")
    reason = serializers.CharField(read_only=True, help_text="原因")
    created_at = serializers.DateTimeField(read_only=True, help_text="操作时间")

    class Meta:
        ref_name = "ReportReopening"


# --- Periods --------------------------------------------------------------------------------------


def _locked_after(period: ReportingPeriod) -> datetime.date | None:
    try:
        return period.deadline + datetime.timedelta(days=period.lock_days)
    except OverflowError:
        return None


class ReportingPeriodSerializer(Serializer):
    """报送期次：报送时间、锁定、模板指标列与须报送单位。镇（园区）只看到本单位相关的
    须报送单位与重新开放记录。"""

    id = serializers.IntegerField(read_only=True, help_text="期次编号")
    unit = ScopedRelatedField(
        model=OrgUnit,
        action=VIEW,
        required=False,
        help_text="开启单位编号：默认本单位；须有下级单位（区科技局）",
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="开启单位名称")
    year = serializers.IntegerField(
        min_value=FIRST_YEAR, max_value=LAST_YEAR, help_text="年度（报送数据所属年度）"
    )
    quarter = _choice(QUARTERS, "ReportQuarter", "季度：同一单位同一年度每个季度只能开启一次")
    code = serializers.CharField(read_only=True, help_text="期次代码，如 2019Q2")
    name = serializers.CharField(source="__str__", read_only=True, help_text="期次名称")
    window_start = serializers.DateField(help_text="报送开始日期")
    deadline = serializers.DateField(help_text="报送截止日期：不能早于开始日期")
    lock_days = serializers.IntegerField(
        min_value=0, max_value=32767, default=7, help_text="截止后锁定天数（默认 7）"
    )
    locked_after = serializers.SerializerMethodField(
        help_text="锁定日期：此后不能再上传（除非重新开放）"
    )
    columns = serializers.ListField(
        child=_choice(COLUMN_CHOICES, "ReportColumnCode", "指标代码"),
        min_length=1,
        required=False,
        help_text="模板包含的指标列（代码）；省略时为默认的 5 列",
    )
    column_headers = serializers.SerializerMethodField(help_text="模板指标列（代码与列标题）")
    allow_new = serializers.BooleanField(default=True, help_text="允许在报送表中新增企业")
    required_units = ScopedRelatedField(
        model=OrgUnit,
        action=VIEW,
        many=True,
        required=False,
        allow_empty=False,
        help_text="须报送单位编号：开启单位的直属下级单位；省略时为全部（有效的）下级单位",
    )
    notes = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="说明"
    )
    reopenings = ReopeningSerializer(many=True, read_only=True, help_text="重新开放记录")
    created_at = serializers.DateTimeField(read_only=True, help_text="开启时间")

    class Meta:
        ref_name = "ReportingPeriod"

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_locked_after(self, period: ReportingPeriod) -> datetime.date | None:
        return _locked_after(period)

    @extend_schema_field(ReportColumnSerializer(many=True))
    def get_column_headers(self, period: ReportingPeriod) -> list[dict[str, str]]:
        return _columns(period.columns)

    def to_representation(self, instance: ReportingPeriod) -> Any:
        data = super().to_representation(instance)
        visible = self._visible()
        data["required_units"] = [pk for pk in data["required_units"] if pk in visible]
        data["reopenings"] = [r for r in data["reopenings"] if r["unit"] in visible]
        return data

    def _visible(self) -> set[int]:
        # A list's items share this (child) serializer: the units are read once per answer.
        if not hasattr(self, "_visible_ids"):
            self._visible_ids = visible_unit_ids(self.context["request"].user)
        return self._visible_ids

    def validate(self, attrs: dict) -> dict:
        user = self.context["request"].user
        unit = attrs.get("unit") or user.unit
        if unit is None:
            raise serializers.ValidationError({"unit": "请指定开启单位。"})
        children = list(unit.children.filter(is_active=True))
        if not children:
            raise serializers.ValidationError(
                {"unit": f"{unit}没有下级单位，不能开启报送期次（由区科技局开启）。"}
            )
        required = attrs.get("required_units")
        if required is not None:
            outside = [u for u in required if u not in children]
            if outside:
                raise serializers.ValidationError(
                    {
                        "required_units": f"须报送单位必须是{unit}的直属下级单位："
                        + "、".join(map(str, outside))
                    }
                )
        if attrs["deadline"] < attrs["window_start"]:
            raise serializers.ValidationError({"deadline": "截止日期不能早于开始日期。"})
        try:
            attrs["deadline"] + datetime.timedelta(days=attrs.get("lock_days", 7))
        except OverflowError:
            raise serializers.ValidationError({"lock_days": "锁定日期超出可登记的范围。"}) from None
        columns = attrs.get("columns")
        if columns is not None:
            attrs["columns"] = list(dict.fromkeys(columns))  # the order given, once each
        attrs["unit"] = unit
        return attrs


class ReopenSerializer(Serializer):
    """为一个单位重新开放上传（锁定或审核通过之后），至某日。"""

    unit = ScopedRelatedField(
        model=OrgUnit, action=VIEW, help_text="单位编号：须在本期须报送单位名单中"
    )
    until = serializers.DateField(help_text="重新开放至（含当天）：不能早于今天")
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="原因"
    )

    class Meta:
        ref_name = "ReportReopen"

    def validate_unit(self, unit: OrgUnit) -> OrgUnit:
        period = self.context["period"]
        if not period.required_units.filter(pk=unit.pk).exists():
            raise serializers.ValidationError(f"{unit}不在{period}的报送单位名单中。")
        return unit


class RateLatestSerializer(Serializer):
    """一个单位的最新版本。"""

    id = serializers.IntegerField(help_text="报送（版本）编号")
    version = serializers.IntegerField(help_text="版本号")
    status = _choice(SubmissionStatus.choices, "ReportSubmissionStatus", "状态")
    status_label = serializers.CharField(source="get_status_display", help_text="状态名称")
    on_time = serializers.BooleanField(help_text="该版本是否按时上传")
    uploaded_at = serializers.DateTimeField(help_text="上传时间")

    class Meta:
        ref_name = "ReportRateLatest"


class RateRowSerializer(Serializer):
    """一个须报送单位的报送情况。"""

    unit = serializers.IntegerField(source="unit.pk", help_text="单位编号")
    unit_name = serializers.CharField(source="unit.name", help_text="单位名称")
    received = serializers.BooleanField(help_text="是否已报送（至少一个版本）")
    on_time = serializers.BooleanField(help_text="第一版是否按时报送")
    approved = serializers.BooleanField(help_text="最新版本是否已审核通过")
    latest = RateLatestSerializer(allow_null=True, help_text="最新版本；未报送时为 null")

    class Meta:
        ref_name = "ReportRateRow"


class RateTotalsSerializer(Serializer):
    """合计：应报、已报、按时、审核通过的单位数及比例（0–1）。"""

    expected = serializers.IntegerField(help_text="应报单位数")
    received = serializers.IntegerField(help_text="已报单位数")
    on_time = serializers.IntegerField(help_text="按时报送单位数")
    approved = serializers.IntegerField(help_text="审核通过单位数")
    received_rate = serializers.FloatField(allow_null=True, help_text="报送率；无应报单位时为 null")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="按时率；无应报单位时为 null")
    approved_rate = serializers.FloatField(
        allow_null=True, help_text="审核通过率；无应报单位时为 null"
    )

    class Meta:
        ref_name = "ReportRateTotals"


class ReportingRateSerializer(Serializer):
    """一个期次的报送情况：您能看到的每个须报送单位是否已报、是否按时、是否审核通过。"""

    period = serializers.IntegerField(help_text="期次编号")
    period_name = serializers.CharField(help_text="期次名称")
    totals = RateTotalsSerializer(help_text="合计（只计您能看到的单位）")
    rows = RateRowSerializer(many=True, help_text="各须报送单位，按显示顺序")

    class Meta:
        ref_name = "ReportingRate"


class PeriodFilter(django_filters.rest_framework.FilterSet):
    year = django_filters.NumberFilter(label="年度")
    quarter = django_filters.ChoiceFilter(choices=QUARTERS, label="季度")

    class Meta:
        model = ReportingPeriod
        fields = ["year", "quarter"]


# --- Uploads --------------------------------------------------------------------------------------


def _job_status() -> Any:
    return _choice(
        JobStatus.choices,
        "ReportJobStatus",
        "处理状态：queued/running 时继续轮询；ready 可确认；rejected/failed 见 problems",
        read_only=True,
    )


class JobCountsSerializer(Serializer):
    """检查结果的计数。"""

    created = serializers.IntegerField(help_text="将新增的企业数")
    updated = serializers.IntegerField(help_text="数据有变化的企业数")
    unchanged = serializers.IntegerField(help_text="无变化的企业数")
    problems = serializers.IntegerField(help_text="问题（错误）数：有问题时不能确认")
    warnings = serializers.IntegerField(help_text="提示数（不影响确认）")
    alerts = serializers.IntegerField(help_text="数据提醒数：确认时须 acknowledged=true")

    class Meta:
        ref_name = "ReportJobCounts"


def _counts(job: UploadJob) -> dict | None:
    counts = (job.result or {}).get("counts")
    if not counts:
        return None
    keys = ("created", "updated", "unchanged", "problems", "warnings", "alerts")
    return {key: int(counts.get(key, 0)) for key in keys}


class UploadJobSerializer(Serializer):
    """一次上传：文件的检查进度与结果。轮询本接口直到 status 不再是 queued/running。"""

    id = serializers.UUIDField(read_only=True, help_text="上传编号")
    period = serializers.IntegerField(source="period_id", read_only=True, help_text="期次编号")
    period_name = serializers.CharField(
        source="period.__str__", read_only=True, help_text="期次名称"
    )
    unit = serializers.IntegerField(source="unit_id", read_only=True, help_text="报送单位编号")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="报送单位名称")
    file_name = serializers.CharField(read_only=True, help_text="上传的文件名")
    status = _job_status()
    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="状态名称"
    )
    progress = serializers.IntegerField(read_only=True, help_text="已处理行数（后台处理时）")
    total = serializers.IntegerField(read_only=True, help_text="总行数（后台处理时）")
    counts = serializers.SerializerMethodField(help_text="检查结果计数；尚未检查完时为 null")
    can_confirm = serializers.SerializerMethodField(
        help_text="您现在能否确认报送（POST …/confirm/）"
    )
    can_retry = serializers.SerializerMethodField(help_text="您能否重试（POST …/retry/）")
    submission = serializers.SerializerMethodField(
        help_text="确认后成为的报送（版本）编号；未确认时为 null"
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="上传时间")
    updated_at = serializers.DateTimeField(read_only=True, help_text="状态更新时间")

    class Meta:
        ref_name = "UploadJob"

    @extend_schema_field(JobCountsSerializer(allow_null=True))
    def get_counts(self, job: UploadJob) -> dict | None:
        return _counts(job)

    def _changes(self, job: UploadJob) -> bool:
        return can_change(self.context["request"].user, job)

    @extend_schema_field(serializers.BooleanField())
    def get_can_confirm(self, job: UploadJob) -> bool:
        return job.status == JobStatus.READY and self._changes(job)

    @extend_schema_field(serializers.BooleanField())
    def get_can_retry(self, job: UploadJob) -> bool:
        return job.can_retry and self._changes(job)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_submission(self, job: UploadJob) -> int | None:
        try:
            return job.submission.pk
        except Submission.DoesNotExist:
            return None


class UploadSerializer(Serializer):
    """上传填好的报送表：multipart/form-data，字段 period、file（及代报时的 unit）。"""

    period = ScopedRelatedField(
        model=ReportingPeriod, action=VIEW, help_text="期次编号：须为您能看到的期次"
    )
    unit = ScopedRelatedField(
        model=OrgUnit,
        action=VIEW,
        required=False,
        help_text="报送单位编号：默认本单位（本单位须在须报送名单中）；区科技局代报时必填",
    )
    file = serializers.FileField(help_text="填好的报送表（用本系统下载的模板填写的 .xlsx 或 .xls）")

    class Meta:
        ref_name = "ReportUpload"

    def validate(self, attrs: dict) -> dict:
        period, user = attrs["period"], self.context["request"].user
        unit = attrs.get("unit")
        if unit is None:
            if not (user.unit_id and period.required_units.filter(pk=user.unit_id).exists()):
                raise serializers.ValidationError(
                    {"unit": "您的单位不在本期须报送名单中：请用 unit 指定代为报送的单位。"}
                )
            unit = user.unit
        elif not period.required_units.filter(pk=unit.pk).exists():
            raise serializers.ValidationError({"unit": f"{unit}不在{period}的报送单位名单中。"})
        attrs["unit"] = unit
        return attrs


class PreviewCreateSerializer(Serializer):
    """确认后将新增的一家企业。"""

    row = serializers.IntegerField(help_text="Excel 行号")
    uscc = serializers.CharField(help_text="统一社会信用代码")
    name = serializers.CharField(help_text="企业名称")
    values = serializers.DictField(
        child=serializers.CharField(allow_null=True), help_text="各指标的值（指标代码 → 文本）"
    )

    class Meta:
        ref_name = "ReportPreviewCreate"


class PreviewChangeSerializer(Serializer):
    """一项指标的变化。"""

    code = serializers.CharField(help_text="指标代码")
    header = serializers.CharField(help_text="列标题")
    before = serializers.CharField(
        allow_null=True, help_text="原值（企业库中的正式数据）；空为 null"
    )
    after = serializers.CharField(allow_null=True, help_text="新值；空为 null")

    class Meta:
        ref_name = "ReportPreviewChange"


class PreviewUpdateSerializer(Serializer):
    """确认后数据有变化的一家企业。"""

    row = serializers.IntegerField(help_text="Excel 行号")
    uscc = serializers.CharField(help_text="统一社会信用代码")
    name = serializers.CharField(help_text="企业名称")
    enterprise = serializers.IntegerField(help_text="企业编号")
    changes = PreviewChangeSerializer(many=True, help_text="各项变化（原值 → 新值）")

    class Meta:
        ref_name = "ReportPreviewUpdate"


class PreviewSerializer(Serializer):
    """确认前的预览（与上传检查页相同）：将新增的企业、将修改的数据、提示与数据提醒。
    只有 ready（待确认）与 applied（已提交）的上传有预览；其他状态下各列表为空。"""

    job = serializers.UUIDField(help_text="上传编号")
    status = _job_status()
    status_label = serializers.CharField(help_text="状态名称")
    ready = serializers.BooleanField(help_text="是否可以确认（status 为 ready）")
    columns = ReportColumnSerializer(many=True, help_text="文件中的指标列")
    counts = JobCountsSerializer(allow_null=True, help_text="计数；没有预览时为 null")
    creates = PreviewCreateSerializer(many=True, help_text="将新增的企业（最多前 200 家）")
    updates = PreviewUpdateSerializer(many=True, help_text="将修改的数据（最多前 500 家）")
    warnings = ReportProblemSerializer(many=True, help_text="提示（不影响确认）")
    alerts = ReportProblemSerializer(
        many=True, help_text="数据提醒：与以往差别较大或前后矛盾，确认时须 acknowledged=true"
    )
    reported = serializers.DictField(
        child=serializers.CharField(), help_text="汇总指标（指标代码 → 本年累计值）"
    )

    class Meta:
        ref_name = "ReportPreview"


class ProblemsSerializer(Serializer):
    """上传的问题：文件被拒绝或处理失败的原因，按工作表、行、列说明；有问题的文件不会报送，
    没有任何数据被修改。"""

    job = serializers.UUIDField(help_text="上传编号")
    status = _job_status()
    status_label = serializers.CharField(help_text="状态名称")
    count = serializers.IntegerField(help_text="问题总数（可能多于列出的条数）")
    problems = ReportProblemSerializer(many=True, help_text="问题（最多前 1000 条）")

    class Meta:
        ref_name = "ReportProblems"


class ConfirmSerializer(Serializer):
    """确认报送。"""

    acknowledged = serializers.BooleanField(
        default=False, help_text="我已核对数据提醒，数据无误：有数据提醒时须为 true"
    )

    class Meta:
        ref_name = "ReportConfirm"


def _preview(job: UploadJob) -> dict:
    result = job.result or {}
    shown = job.status in (JobStatus.READY, JobStatus.APPLIED) and "digest" in result
    counts = _counts(job) if shown else None
    return {
        "job": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "ready": job.status == JobStatus.READY,
        "columns": _columns(result.get("codes") or []) if shown else [],
        "counts": counts,
        "creates": result.get("creates", []) if shown else [],
        "updates": [
            {
                "row": u["row"],
                "uscc": u["uscc"],
                "name": u["name"],
                "enterprise": u["enterprise_id"],
                "changes": [
                    {
                        "code": code,
                        "header": BY_CODE[code].header if code in BY_CODE else code,
                        "before": before,
                        "after": after,
                    }
                    for code, (before, after) in u["changes"].items()
                ],
            }
            for u in (result.get("updates", []) if shown else [])
        ],
        "warnings": result.get("warnings", []) if shown else [],
        "alerts": result.get("alerts", []) if shown else [],
        "reported": result.get("reported", {}) if shown else {},
    }


def _problems(job: UploadJob) -> dict:
    result = job.result or {}
    problems = result.get("problems", [])
    count = (result.get("counts") or {}).get("problems") or len(problems)
    return {
        "job": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "count": max(count, len(problems)),
        "problems": problems,
    }


def _scoped_periods(request: Any) -> Any:
    if request is None:
        return ReportingPeriod.objects.none()
    return selectors.periods_for(request.user)


class JobFilter(django_filters.rest_framework.FilterSet):
    period = django_filters.ModelChoiceFilter(
        queryset=_scoped_periods, label="期次编号（须为您能看到的期次）"
    )
    status = django_filters.ChoiceFilter(choices=JobStatus.choices, label="处理状态")

    class Meta:
        model = UploadJob
        fields = ["period", "status"]


# --- Submissions ----------------------------------------------------------------------------------


class SubmissionCountsSerializer(Serializer):
    """行数：报送时（与当时的企业库相比）。"""

    rows = serializers.IntegerField(help_text="数据行数")
    created = serializers.IntegerField(help_text="新增企业数")
    updated = serializers.IntegerField(help_text="数据有变化的企业数")
    unchanged = serializers.IntegerField(help_text="无变化的企业数")

    class Meta:
        ref_name = "ReportSubmissionCounts"


class SubmissionSerializer(Serializer):
    """一个报送版本：上传即报送，待审核；区科技局审核通过后数据才写入企业库。"""

    id = serializers.IntegerField(read_only=True, help_text="报送（版本）编号")
    period = serializers.IntegerField(source="period_id", read_only=True, help_text="期次编号")
    period_name = serializers.CharField(
        source="period.__str__", read_only=True, help_text="期次名称"
    )
    unit = serializers.IntegerField(source="unit_id", read_only=True, help_text="报送单位编号")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="报送单位名称")
    version = serializers.IntegerField(read_only=True, help_text="版本号（第几版）")
    status = _choice(SubmissionStatus.choices, "ReportSubmissionStatus", "状态", read_only=True)
    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="状态名称"
    )
    on_time = serializers.BooleanField(read_only=True, help_text="是否在截止日期前上传")
    file_name = serializers.CharField(read_only=True, help_text="原文件名（GET …/file/ 下载）")
    sha256 = serializers.CharField(read_only=True, help_text="文件的 SHA-256 摘要")
    job = serializers.UUIDField(
        source="job_id", read_only=True, allow_null=True, help_text="来源上传编号"
    )
    counts = serializers.SerializerMethodField(help_text="报送时的行数")
    reported = serializers.SerializerMethodField(help_text="汇总指标（指标代码 → 本年累计值）")
    alerts = serializers.SerializerMethodField(help_text="报送人已确认的数据提醒")
    applied = serializers.SerializerMethodField(
        help_text="审核通过时写入企业库的行数；未写入时为 null"
    )
    uploaded_by = serializers.SerializerMethodField(help_text="报送人；系统导入时为 null")
    uploaded_at = serializers.DateTimeField(read_only=True, help_text="报送时间")
    review_comment = serializers.CharField(read_only=True, help_text="审核意见")
    reviewed_by = serializers.SerializerMethodField(help_text="审核人；未审核时为 null")
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="审核时间")
    applied_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="写入企业库时间"
    )

    class Meta:
        ref_name = "Submission"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_uploaded_by(self, submission: Submission) -> str | None:
        return str(submission.uploaded_by) if submission.uploaded_by else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reviewed_by(self, submission: Submission) -> str | None:
        return str(submission.reviewed_by) if submission.reviewed_by else None

    @extend_schema_field(SubmissionCountsSerializer)
    def get_counts(self, submission: Submission) -> dict:
        summary = submission.summary or {}
        return {
            key: int(summary.get(key, 0)) for key in ("rows", "created", "updated", "unchanged")
        }

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_reported(self, submission: Submission) -> dict:
        return {k: str(v) for k, v in (submission.summary or {}).get("reported", {}).items()}

    @extend_schema_field(ReportProblemSerializer(many=True))
    def get_alerts(self, submission: Submission) -> list:
        return (submission.summary or {}).get("alerts", [])

    @extend_schema_field(SubmissionCountsSerializer(allow_null=True))
    def get_applied(self, submission: Submission) -> dict | None:
        applied = (submission.summary or {}).get("applied")
        if not applied:
            return None
        return {
            key: int(applied.get(key, 0)) for key in ("rows", "created", "updated", "unchanged")
        }


class ReviewSerializer(Serializer):
    """审核结果：通过（数据写入企业库，全部或全不）或退回（须填写退回意见）。"""

    decision = _choice(
        [("approve", "审核通过"), ("return", "退回修改")], "ReportDecision", "审核结果"
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="审核意见：退回时必填"
    )

    class Meta:
        ref_name = "ReportReview"


class SubmissionFilter(django_filters.rest_framework.FilterSet):
    period = django_filters.ModelChoiceFilter(
        queryset=_scoped_periods, label="期次编号（须为您能看到的期次）"
    )
    unit = UnitFilter(queryset=scoped_units, method="in_unit", label="报送单位（含下级单位）")
    status = django_filters.ChoiceFilter(choices=SubmissionStatus.choices, label="状态")

    class Meta:
        model = Submission
        fields = ["period", "unit", "status"]

    def in_unit(self, queryset: Any, name: str, unit: OrgUnit) -> Any:
        return queryset.in_unit(unit)


# --- Viewsets -------------------------------------------------------------------------------------


class ReportsViewSet(ScopedWriteViewSet):
    """Reads in scope, creating one (POST on the list) and the steps: no edits, no deletes —
    the pages offer neither."""

    http_method_names = ["get", "post", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="报送期次列表"),
    retrieve=extend_schema(summary="报送期次详情"),
)
class ReportingPeriodViewSet(ReportsViewSet):
    """报送期次：区科技局开启，镇（园区）在报送时间内上传；截止后锁定，可为单位重新开放。"""

    queryset = (
        ReportingPeriod.objects.select_related("unit")
        .prefetch_related("required_units", "reopenings__unit")
        .order_by("-year", "-quarter", "-pk")
    )
    serializer_class = ReportingPeriodSerializer
    filterset_class = PeriodFilter
    denied = NOT_MANAGER

    @extend_schema(
        summary="开启报送期次",
        description="与“开启报送期次”页相同（仅区科技局）：同一单位同一季度只能开启一次。",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not selectors.can_open_periods(request.user):
            raise exceptions.PermissionDenied(NOT_OPENER)
        return super().create(request, *args, **kwargs)

    def create_object(self, data: dict) -> ReportingPeriod:
        return services.open_period(actor=self.actor, **data)

    @extend_schema(
        summary="重新开放报送",
        description="为一个须报送单位重新开放上传至某日（锁定或审核通过之后），并通知该单位；"
        "与期次页“重新开放”相同（仅区科技局）。返回期次（含重新开放记录）。",
        request=ReopenSerializer,
        responses={200: ReportingPeriodSerializer, 412: PRECONDITION},
        parameters=[IF_MATCH, ETAG_200],
    )
    @action(detail=True, methods=["post"], url_path="reopen")
    def reopen(self, request: Request, pk: Any = None) -> Response:
        period = self.writable_object()
        return self.step(
            ReopenSerializer(data=request.data, context={"period": period, "request": request}),
            lambda period, **data: services.reopen(actor=self.actor, period=period, **data),
        )

    @extend_schema(
        summary="报送情况",
        description="期次页的“报送情况”：您能看到的每个须报送单位是否已报、按时、审核通过，及合计。",
        responses={200: ReportingRateSerializer},
    )
    @action(detail=True, methods=["get"], url_path="reporting-rate", filterset_class=None)
    def reporting_rate(self, request: Request, pk: Any = None) -> Response:
        period = self.get_object()
        rows = selectors.reporting_rate(
            period, selectors.visible_required_units(period, request.user)
        )
        data = {
            "period": period.pk,
            "period_name": str(period),
            "totals": selectors.rate_totals(rows),
            "rows": rows,
        }
        return Response(ReportingRateSerializer(data).data)


UPLOAD_DONE = "文件已检查完（小文件在请求中直接检查）：status 为 ready、rejected 或 failed"
UPLOAD_QUEUED = "文件较大，已交后台处理：轮询 GET /api/v1/upload-jobs/{id}/ 直到处理完"


@extend_schema_view(
    list=extend_schema(summary="上传列表"),
    retrieve=extend_schema(summary="上传详情（轮询处理状态）"),
)
class UploadJobViewSet(ReportsViewSet):
    """上传（季度报送表）：上传 → 检查（问题或预览）→ 确认报送。上传即报送：确认前没有任何
    数据被修改；确认后成为待审核的新版本。"""

    queryset = UploadJob.objects.select_related("period", "unit", "submission").order_by(
        "-created_at", "-pk"
    )
    serializer_class = UploadJobSerializer
    filterset_class = JobFilter
    denied = READ_ONLY
    throttle_classes = [PortalScopedThrottle]

    @property
    def throttle_scope(self) -> str | None:
        """Uploads only are throttled ("uploads" in settings): polling a job is not."""
        return "uploads" if getattr(self, "action", None) == "create" else None

    def get_parsers(self) -> list:
        request = getattr(self, "request", None)
        method = request.method.lower() if request is not None and request.method else ""
        current = getattr(self, "action", None) or getattr(self, "action_map", {}).get(method)
        if current == "create":
            return [MultiPartParser()]
        return super().get_parsers()

    @extend_schema(
        summary="上传报送表",
        description="与期次页“上传并检查”相同：先检查上传人与报送时间，再检查文件；小文件当场检查"
        "完（201），大文件交后台处理（202）。被拒绝的文件也记为一次上传（status=rejected，原因见 "
        "problems）。在报送时间外、已审核锁定时为 409。",
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: OpenApiResponse(UploadJobSerializer, description=UPLOAD_DONE),
            202: OpenApiResponse(UploadJobSerializer, description=UPLOAD_QUEUED),
            409: CONFLICT,
            415: error_response("请求体须为 multipart/form-data"),
        },
        parameters=[ETAG_ANY],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_write(request.user):
            raise exceptions.PermissionDenied(READ_ONLY)
        body = UploadSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        uploaded = body.validated_data["file"]
        with state_conflicts():
            job = services.start_upload(
                actor=self.actor,
                period=body.validated_data["period"],
                unit=body.validated_data["unit"],
                file_name=uploaded.name,
                data=uploaded.read(),
            )
        return self._job_answer(job)

    def _job_answer(self, job: UploadJob) -> Response:
        job = self._reread(job)  # a big file's dispatch ran on commit: queued, or done already
        waiting = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        code = status.HTTP_202_ACCEPTED if waiting else status.HTTP_201_CREATED
        return self.answer(job, code)

    @extend_schema(
        summary="上传的问题",
        description="文件被拒绝（rejected）或处理失败（failed）的原因，每条指明工作表、行与列；"
        "其他状态下列表为空。",
        responses={200: ProblemsSerializer},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def problems(self, request: Request, pk: Any = None) -> Response:
        return Response(ProblemsSerializer(_problems(self.get_object())).data)

    @extend_schema(
        summary="上传的预览",
        description="确认前看到的内容（与上传检查页相同）：将新增的企业、将修改的数据（原值 → "
        "新值）、提示与数据提醒。",
        responses={200: PreviewSerializer},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def preview(self, request: Request, pk: Any = None) -> Response:
        return Response(PreviewSerializer(_preview(self.get_object())).data)

    @extend_schema(
        summary="确认报送",
        description="把待确认（ready）的预览报送为本单位的新版本（待审核）；有数据提醒时须 "
        "acknowledged=true。内容与待审核的上一版相同时不生成新版本（200，返回该版本）。"
        "与上传检查页“确认报送”相同。",
        request=ConfirmSerializer,
        responses={
            201: OpenApiResponse(SubmissionSerializer, description="已报送：新的待审核版本"),
            200: OpenApiResponse(
                SubmissionSerializer, description="内容与待审核的上一版相同：未生成新版本"
            ),
            409: CONFLICT,
            412: PRECONDITION,
            415: error_response("请求体须为 JSON（application/json），或为空"),
        },
        parameters=[IF_MATCH, ETAG_ANY],
    )
    # JSON only: every field of the body is optional, so a form body the parser cannot read
    # would pass as an empty one.
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        self.writable_object()
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            job = self.changeable_object()
            with state_conflicts():
                submission, created = services.confirm_upload(
                    actor=self.actor, job=job, **body.validated_data
                )
        submission = Submission.objects.for_user(request.user).get(pk=submission.pk)
        data = SubmissionSerializer(submission, context=self.get_serializer_context()).data
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(data, status=code, headers={"ETag": etag_of(data)})

    @extend_schema(
        summary="重试处理失败的上传",
        description="处理失败（failed，如后台服务中断）且文件仍保存的上传重新检查，检查与新上传"
        "相同；与上传检查页“重试”相同。小文件当场检查完（200），大文件交后台处理（202）。",
        request=None,
        responses={
            200: OpenApiResponse(UploadJobSerializer, description="已重新检查完"),
            202: OpenApiResponse(UploadJobSerializer, description=UPLOAD_QUEUED),
            409: CONFLICT,
            412: PRECONDITION,
        },
        parameters=[IF_MATCH, ETAG_ANY],
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: Any = None) -> Response:
        with transaction.atomic():
            job = self.changeable_object()
            with state_conflicts():
                job = services.retry_upload(actor=self.actor, job=job)
        job = self._reread(job)
        waiting = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        return self.answer(job, status.HTTP_202_ACCEPTED if waiting else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="报送（版本）列表"),
    retrieve=extend_schema(summary="报送（版本）详情"),
)
class SubmissionViewSet(ScopedActionsViewSet):
    """报送版本：每次确认的上传是本单位的一个新版本（待审核）；审核通过后数据写入企业库，
    退回或被新版本替换的版本不计入。"""

    queryset = Submission.objects.select_related(
        "period", "unit", "uploaded_by", "reviewed_by"
    ).order_by("-uploaded_at", "-pk")
    serializer_class = SubmissionSerializer
    filterset_class = SubmissionFilter
    denied = NOT_REVIEWER

    @extend_schema(
        summary="审核报送",
        description="通过：该版本的数据写入企业库（全部或全不），本期该单位的数据锁定；退回：须填写"
        "意见，通知报送单位。只能审核最新的待审核版本，不能审核本单位自己的报送（403）。"
        "与报送页“审核”相同（仅区科技局）。",
        request=ReviewSerializer,
        responses={200: SubmissionSerializer, 409: CONFLICT, 412: PRECONDITION},
        parameters=[IF_MATCH, ETAG_200],
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: Any = None) -> Response:
        if not selectors.reviews(request.user, self.get_object()):
            raise exceptions.PermissionDenied(NOT_REVIEWER)
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            submission = self.changeable_object()
            with state_conflicts():
                services.review(
                    actor=self.actor,
                    submission=submission,
                    approve=body.validated_data["decision"] == "approve",
                    comment=body.validated_data["comment"],
                )
        return self.answer(submission)

    @extend_schema(
        summary="下载报送文件",
        description="该版本上传的原始文件（.xlsx 或 .xls）；文件已不在服务器上时为 404（报送的数据"
        "仍完整保存在系统中）。",
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            (200, XLS): OpenApiTypes.BINARY,
            (200, OCTET): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def file(self, request: Request, pk: Any = None) -> FileResponse:
        submission = self.get_object()
        stored = submission.file
        if not stored or not stored.storage.exists(stored.name or ""):
            raise Http404("该版本上传的原始文件已不在服务器上；报送的数据仍完整保存在系统中。")
        name = submission.file_name.lower()
        content_type = XLSX if name.endswith(".xlsx") else XLS if name.endswith(".xls") else OCTET
        return FileResponse(
            stored.open("rb"),
            as_attachment=True,
            filename=submission.file_name,
            content_type=content_type,
        )


router.register("reporting-periods", ReportingPeriodViewSet, basename="reporting-period")
router.register("upload-jobs", UploadJobViewSet, basename="upload-job")
router.register("submissions", SubmissionViewSet, basename="submission")
