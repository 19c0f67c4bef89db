"""Cross-cutting models: the org-unit tree, users with their unit and role, the change log."""

from typing import ClassVar
from urllib.parse import unquote_plus

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from .choices import Action, DownloadKind, Role, UnitKind
from .fields import PortalTimeField
from .scoping import ScopedQuerySet


class OrgUnitQuerySet(ScopedQuerySet):
    scope_field = ""  # an org unit is scoped by itself


class OrgUnit(models.Model):
    """One node of 省 → 市 → 区/县 → 镇/街道/开发区/园区, any depth.

    `path` is a materialised path of ids ("/1/5/9/"): "everything below X" is one indexed
    prefix query, whatever the depth. It is derived from `parent` on every save.
    """

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    code = models.CharField("行政区划代码", max_length=12, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    order = models.PositiveIntegerField("显示顺序", default=0)
    is_active = models.BooleanField("启用", default=True)
    path = models.CharField("路径", max_length=255, editable=False, db_index=True, default="")

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = "组织单位"
        verbose_name_plural = "组织单位"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="orgunit_unique_name"),
        ]
        indexes = [models.Index(fields=["parent", "order"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic():
            old_path = self.path
            super().save(*args, **kwargs)
            new_path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
            if new_path != old_path:
                # New unit: set its own path. Moved unit: re-root it and every descendant.
                # (The path is the tree's own machinery: re-rooted by its old prefix.)
                affected = (
                    OrgUnit.objects.filter(path__startswith=old_path)
                    if old_path
                    else OrgUnit.objects.filter(pk=self.pk)
                )
                affected.update(path=Concat(Value(new_path), Substr("path", len(old_path) + 1)))
                self.path = new_path

    @property
    def label(self) -> str:
        return self.short_name or self.name

    @property
    def notice_name(self) -> str:
        """As the notices' tables print a unit: 湖塘镇 in full, 常州经济开发区 as 常经开."""
        return self.name if len(self.name) <= 4 else self.label

    @property
    def lineage_ids(self) -> list[int]:
        """This unit's id and its ancestors', from the top down."""
        return [int(part) for part in self.path.strip("/").split("/")]

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def is_within(self, other: "OrgUnit") -> bool:
        return self.path.startswith(other.path)

    def clean(self):
        if self.parent and self.pk and self.parent.is_within(self):
            raise ValidationError({"parent": "上级单位不能是本单位或其下级单位。"})


class UserQuerySet(ScopedQuerySet):
    """Users are scoped by their unit: the district's staff see (and the history page shows)
    the accounts of their subtree, a town its own."""


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A portal user: belongs to one org unit and has one role."""

    display_name = models.CharField("姓名", max_length=50, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.TOWN_STAFF)
    phone = models.CharField("联系电话", max_length=30, blank=True)

    objects: ClassVar[PortalUserManager] = PortalUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_portal_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.LEADER and not self.is_superuser

    @property
    def sees_download_audit(self) -> bool:
        """The audit of what leaves the portal is the district staff's and the admin's tool:
        towns would see their colleagues' activity, leaders get reports rather than logs."""
        return self.is_active and (
            self.is_portal_admin or (self.role == Role.DISTRICT_STAFF and self.unit_id is not None)
        )


class ChangeLog(models.Model):
    """Who changed what, when, from what to what. Written by services, never by signals.

    `unit` is the org unit the object belonged to at the time, so the log itself is scoped
    like the data: a town user never sees another town's history.
    """

    # An append-only log that takes a row per changed enterprise of an upload (20k at once):
    # its references are not database constraints, whose per-row checks at commit would
    # cost more than the insert; Django still applies on_delete, and writers pass real ids.
    created_at = PortalTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name="对象类型",
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,  # the (content_type, object_id, -created_at) index serves it
    )
    object_id = models.CharField("对象编号", max_length=64)
    object_repr = models.CharField("对象", max_length=200)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
    )
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class DownloadRecord(models.Model):
    """One file that left the portal: an export or a download, by whom, with which filter.

    Written by core.middleware.DownloadAuditMiddleware for every successful attachment, so
    no view can forget it. `unit` is the user's unit at the time: the log is scoped like the
    data, the district seeing its subtree's users. Append-only, like the change log: its
    references are not database constraints (one row per download, never checked again).
    """

    created_at = PortalTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        User,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    user_name = models.CharField("用户姓名", max_length=150)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    kind = models.CharField("类别", max_length=20, choices=DownloadKind.choices)
    file_name = models.CharField("文件名", max_length=255)
    url_name = models.CharField("页面", max_length=100, blank=True)
    path = models.CharField("地址", max_length=500)
    query = models.TextField("筛选条件", blank=True)
    rows = models.PositiveIntegerField("行数", null=True, blank=True)
    via_api = models.BooleanField("通过 API", default=False)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "导出与下载记录"
        verbose_name_plural = "导出与下载记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.user_name} {self.file_name}"

    @property
    def query_display(self) -> str:
        """The filter as people read it: town=5&name=精密, not its percent-encoding."""
        return unquote_plus(self.query)


class ScheduledRun(models.Model):
    """Last run of each scheduled job, so /healthz/ and the admin can show the scheduler lives."""

    name = models.CharField("任务", max_length=100, unique=True)
    last_run = models.DateTimeField("最近运行时间")
    run_count = models.PositiveIntegerField("运行次数", default=0)

    class Meta:
        verbose_name = "定时任务运行记录"
        verbose_name_plural = "定时任务运行记录"

    def __str__(self):
        return self.name


class Notification(models.Model):
    """An inbox message. `dedupe_key` makes a retried or re-run job never send twice."""

    recipient = models.ForeignKey(
        User, verbose_name="收件人", on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = PortalTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    emailed = models.BooleanField("已发邮件", default=False)
    dedupe_key = models.CharField("去重键", max_length=200, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title


class ApiToken(models.Model):
    """A personal API token. Only a hash of the secret is stored: the key is shown once, when
    it is made, and a stolen database does not hand out working tokens."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=12, help_text="密钥的前几位，用于辨认令牌")
    digest = models.CharField("密钥摘要", max_length=64, unique=True, editable=False)
    created_at = PortalTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name}（{self.prefix}…）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
