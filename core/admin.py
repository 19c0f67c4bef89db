from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from . import services
from .http import AuthedRequest
from .models import ApiToken, ChangeLog, Notification, OrgUnit, ScheduledRun, User


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
