from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .changelog import log_change, snapshot
from .choices import Action
from .http import AuthedRequest
from .models import ApiToken, ChangeLog, DownloadRecord, Notification, OrgUnit, ScheduledRun, User

# What the change log keeps of a user: never the password hash, nor the login timestamps
# (the change log is about who changed an account, not about its use).
USER_LOGGED_FIELDS = [
    "username",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "unit",
    "role",
    "is_active",
    "is_staff",
    "is_superuser",
]


def user_snapshot(user: User) -> dict[str, Any]:
    data = snapshot(user, USER_LOGGED_FIELDS)
    if user.pk:
        data["权限组"] = "、".join(sorted(g.name for g in user.groups.all())) or None
    return data


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["indented_name", "short_name", "kind", "code", "order", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    @admin.display(description="名称", ordering="path")
    def indented_name(self, obj):
        return "　" * (obj.depth - 1) + obj.name

    def save_model(self, request, obj, form, change):
        # Through the services, so the change log records admin edits too.
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            unchanged = OrgUnit.objects.get(pk=obj.pk)
            services.update_unit(actor=request.user, unit=unchanged, **fields)
        else:
            created = services.create_unit(
                actor=request.user,
                name=obj.name,
                kind=obj.kind,
                parent=obj.parent,
                short_name=obj.short_name,
                code=obj.code,
                order=obj.order,
            )
            obj.pk, obj.path = created.pk, created.path

    def has_delete_permission(self, request, obj=None):
        return False  # units are deactivated, never deleted: history must survive 区划调整


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "unit", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "unit"]
    search_fields = ["username", "display_name", "phone"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["display_name", "phone", "email"]}),
        ("单位与角色", {"fields": ["unit", "role"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("重要日期", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]}),
        ("单位与角色", {"fields": ["display_name", "unit", "role"]}),
    ]
    readonly_fields = ["history_link"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, ("变更记录", {"fields": ["history_link"]})]

    @admin.display(description="变更历史")
    def history_link(self, obj: User) -> str:
        url = reverse("history", args=["core", "user", obj.pk])
        return format_html('<a href="{}">查看该用户的变更历史（单位、角色、权限）</a>', url)

    # Admin edits of accounts go into the portal's change log, like every other write: the
    # state before is read before the form saves, the state after once its groups are saved.
    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        obj._logged_before = user_snapshot(User.objects.get(pk=obj.pk)) if change else None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        before, after = getattr(user, "_logged_before", None), user_snapshot(user)
        if before != after:
            log_change(
                actor=request.user,
                instance=user,
                action=Action.UPDATE if change else Action.CREATE,
                unit=user.unit,
                before=before,
                after=after,
                note="系统管理中修改" if change else "系统管理中新建",
            )

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # the form was saved
            user = User.objects.get(pk=unquote(id))
            log_change(
                actor=request.user,
                instance=user,
                action=Action.UPDATE,
                unit=user.unit,
                note="系统管理员重设了密码",  # that it changed; the hash never enters the log
            )
        return response

    def delete_model(self, request: Any, obj: User) -> None:
        self._log_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for user in queryset:
            self._log_deletion(request, user)
        super().delete_queryset(request, queryset)

    def _log_deletion(self, request: Any, user: User) -> None:
        log_change(
            actor=request.user,
            instance=user,
            action=Action.DELETE,
            unit=user.unit,
            before=user_snapshot(user),
            note="系统管理中删除",
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedReadOnlyAdmin(ReadOnlyAdmin):
    """Records viewed in the admin as in the portal: within the user's scope."""

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset: Any = super().get_queryset(request)
        return queryset.for_user(request.user)


@admin.register(ChangeLog)
class ChangeLogAdmin(ScopedReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "action", "content_type", "object_repr", "unit"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor_name", "note"]
    date_hierarchy = "created_at"


@admin.register(DownloadRecord)
class DownloadRecordAdmin(ScopedReadOnlyAdmin):
    list_display = [
        "created_at",
        "user_name",
        "unit",
        "kind",
        "file_name",
        "query",
        "rows",
        "via_api",
        "ip",
    ]
    list_filter = ["kind", "via_api"]
    search_fields = ["user_name", "file_name", "query", "url_name"]
    date_hierarchy = "created_at"
    list_select_related = ["unit"]


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_run", "run_count"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "title", "read_at", "emailed"]
    list_filter = ["emailed"]
    search_fields = ["title", "recipient__username", "recipient__display_name"]
    list_select_related = ["recipient"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are made by their owners (their page, or `manage.py api_token`); the admin
    sees them all and revokes — the key itself is nowhere to be seen, only its prefix."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__display_name"]
    list_select_related = ["user"]
    actions = ["revoke"]

    @admin.action(description="撤销所选令牌")
    def revoke(self, request: AuthedRequest, queryset: Any) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            services.revoke_api_token(actor=request.user, token=token)
        self.message_user(request, f"已撤销 {len(tokens)} 个令牌。")
