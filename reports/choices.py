from django.db import models


class SubmissionStatus(models.TextChoices):
    """A version's values count (are written to the registry) only once it is approved."""

    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已审核通过"
    RETURNED = "returned", "已退回"
    REPLACED = "replaced", "已被新版本替换"  # a later version came before review


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "解析中"
    READY = "ready", "待确认"
    REJECTED = "rejected", "有错误"
    APPLIED = "applied", "已提交"
    FAILED = "failed", "处理失败"
    EXPIRED = "expired", "预览已过期，请重新上传"
