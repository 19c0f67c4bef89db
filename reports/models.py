"""Quarterly reporting (季度报送): periods with windows and locks, reopenings, versioned
submissions, and the upload jobs (with their staged rows) that turn a spreadsheet into one."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.fields import PortalTimeField
from core.models import OrgUnit
from core.scoping import ScopedQuerySet, scope_q_with_ancestors
from enterprises.models import INDICATOR_FIELDS, EnterpriseYear

from .choices import JobStatus, SubmissionStatus
from .columns import DEFAULT_COLUMNS


class PeriodQuerySet(ScopedQuerySet):
    scope_field = "unit"

    def for_user(self, user, action: str = "view"):
        # Towns see the periods their district opened for them.
        return self.filter(scope_q_with_ancestors(user, action, self.scope_field))


class ReportingPeriod(models.Model):
    unit = models.ForeignKey(
        OrgUnit, verbose_name="开启单位", on_delete=models.PROTECT, related_name="reporting_periods"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField(
        "季度", choices=[(q, f"第{q}季度") for q in range(1, 5)]
    )
    window_start = models.DateField("报送开始日期")
    deadline = models.DateField("报送截止日期")
    lock_days = models.PositiveSmallIntegerField("截止后锁定天数", default=7)
    columns = models.JSONField("模板指标列", default=list, blank=True)
    allow_new = models.BooleanField("允许新增企业", default=True)
    required_units = models.ManyToManyField(
        OrgUnit, verbose_name="须报送单位", related_name="required_periods", blank=True
    )
    notes = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="开启人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = PortalTimeField("开启时间", auto_now_add=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = "报送期次"
        verbose_name_plural = "报送期次"
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "quarter"], name="one_period_per_quarter"
            ),
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("window_start")),
                name="deadline_after_window_start",
                violation_error_message="截止日期不能早于开始日期。",
            ),
        ]

    def __str__(self):
        return f"{self.year}年第{self.quarter}季度"

    def save(self, *args, **kwargs):
        if not self.columns:
            self.columns = list(DEFAULT_COLUMNS)
        super().save(*args, **kwargs)

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.quarter}"


class Reopening(models.Model):
    """The district reopens a locked period for one town until a date."""

    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="reopenings")
    unit = models.ForeignKey(
        OrgUnit, verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    until = models.DateField("重新开放至")
    reason = models.CharField("原因", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = PortalTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "重新开放"
        verbose_name_plural = "重新开放"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.period} {self.unit} 至 {self.until}"


def submission_path(instance, filename):
    return f"submissions/{instance.period.code}/{instance.unit_id}/v{instance.version}_{filename}"


class Submission(models.Model):
    """One version of a town's upload for a period. The upload is the submission.

    Its values are pending (待审核) until the district approves it: approval writes them to
    the registry (`applied_at`); a returned or replaced version's values stay in its staged
    rows, its own record, and never count."""

    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.PROTECT, related_name="submissions"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name="报送单位", on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField("版本")
    status = models.CharField(
        "状态", max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.SUBMITTED
    )
    file = models.FileField("文件", upload_to=submission_path, max_length=300)
    file_name = models.CharField("原文件名", max_length=255)
    sha256 = models.CharField("文件摘要", max_length=64)
    on_time = models.BooleanField("按时报送")
    # The upload that became this version: its staged rows are the version's data.
    job = models.OneToOneField(
        "UploadJob", null=True, on_delete=models.PROTECT, related_name="submission"
    )
    summary = models.JSONField("摘要", default=dict)  # counts and the unit-level figures
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = PortalTimeField("报送时间", auto_now_add=True)
    review_comment = models.TextField("审核意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    applied_at = models.DateTimeField("写入企业库时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "季度报送"
        verbose_name_plural = "季度报送"
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit", "version"], name="one_version_number"
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.period} 第{self.version}版"

    # Who, as pages, exports and notices name them: a version made by import_quarterly or the
    # demo has no user, and "None" must never stand where a person's name goes.
    @property
    def uploader_name(self) -> str:
        return str(self.uploaded_by) if self.uploaded_by_id else SYSTEM_IMPORT

    @property
    def reviewer_name(self) -> str:
        return str(self.reviewed_by) if self.reviewed_by_id else SYSTEM


SYSTEM_IMPORT = "系统导入"  # made by a command (import_quarterly), not uploaded by a user
SYSTEM = "系统"


class UploadJob(models.Model):
    """An uploaded file on its way to becoming a submission: checked, parsed, previewed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="jobs")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Stored under a generated name (upload_name): the uploader's own name can be any length
    # and any script, and the disk's limit is 255 bytes. file_name keeps it, for the page and
    # for downloads.
    file = models.FileField(upload_to="uploads/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveIntegerField(default=0)  # rows done
    total = models.PositiveIntegerField(default=0)  # rows to do
    result = models.JSONField(default=dict)  # preview or errors
    # Runs of process_job so far (re-deliveries after a dead worker count): every write of a
    # run names its number, so a run another one took over (or the reaper failed) stops.
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a run last showed life (queued, claimed, rows read, staging). The reaper fails jobs
    # silent for UPLOAD_STALL_MINUTES. The real clock, like the heartbeat: it is about
    # liveness, never shown as a record's date.
    progress_at = models.DateTimeField(default=timezone.now)
    created_at = PortalTimeField(auto_now_add=True)
    updated_at = PortalTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "上传任务"
        verbose_name_plural = "上传任务"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name}（{self.get_status_display()}）"

    @property
    def can_retry(self) -> bool:
        """A failed job whose file was kept (a refused file never is) can be processed again."""
        return self.status == JobStatus.FAILED and bool(self.file)


class UploadRow(models.Model):
    """A checked row of an upload, staged in the database: the preview's data, applied on
    confirm by set-based SQL (reports/io/staging.py); kept as the submission's rows after."""

    # Indexed by the (job, uscc) constraint. No per-row database check of the job, which
    # stage() has just saved: deletes go through Django's cascade or staging's own.
    job = models.ForeignKey(
        UploadJob,
        on_delete=models.CASCADE,
        related_name="rows",
        db_index=False,
        db_constraint=False,
    )
    row = models.PositiveIntegerField("行号")  # as Excel shows it
    uscc = models.CharField("统一社会信用代码", max_length=18)
    name = models.CharField("企业名称", max_length=200, blank=True)
    checksum_ok = models.BooleanField("代码校验通过", default=True)

    class Meta:
        verbose_name = "上传数据行"
        verbose_name_plural = "上传数据行"
        constraints = [
            models.UniqueConstraint(fields=["job", "uscc"], name="one_staged_row_per_code"),
        ]
        indexes = [models.Index(fields=["uscc"])]  # an enterprise's history across uploads

    def __str__(self):
        return f"{self.uscc} {self.name}"


# Each indicator column exactly as EnterpriseYear has it, so confirming is one UPDATE … FROM
# this table, and beside it `was_<code>`: the registry's value when the row was checked
# (refreshed on confirm), so a confirmed upload's rows are also its before/after record.
# A column the period does not carry stays null and unused.
for _code in INDICATOR_FIELDS:
    _field = EnterpriseYear._meta.get_field(_code)
    assert isinstance(_field, models.Field)  # a concrete column, not a relation
    _field.clone().contribute_to_class(UploadRow, _code)
    *_, _args, _kwargs = _field.deconstruct()
    _kwargs["verbose_name"] = f"原{_field.verbose_name}"
    type(_field)(*_args, **_kwargs).contribute_to_class(UploadRow, f"was_{_code}")
