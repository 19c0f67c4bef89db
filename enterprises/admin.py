"""The registry in the Django admin: scoped lists, edits through the services, bulk import/export."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from import_export.admin import ImportExportModelAdmin

from core.dates import today
from core.scoping import CHANGE, can_change, can_write
from core.sheets import FileRejected
from core.sheets.import_export import FORMATS

from . import services
from .filters import DisplayOrderChoices
from .forms import writable_towns
from .io.resources import EnterpriseResource, EnterpriseYearResource
from .models import INDICATOR_FIELDS, Enterprise, EnterpriseYear

OTHER_FIELDS = [name for name in services.EDITABLE_FIELDS if name not in ("uscc", "name")]


class RegistryAdmin(ImportExportModelAdmin):
    """Scoped to the user like the portal; writes through enterprises.services; never deletes.
    Files are read and written by the portal's spreadsheet toolkit (core.sheets)."""

    formats = FORMATS
    to_encoding = "utf-8-sig"  # the BOM makes Excel read an exported CSV as UTF-8

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, FileRejected):  # say why in Chinese, as every other import does
            form.add_error("import_file", "；".join(str(p) for p in e.problems))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_export_filename(self, request, queryset, file_format):
        # import-export dates the file by the real clock: by the portal's instead, like the
        # list's own exports. (ASCII: import-export writes the name into the header raw.)
        return f"{self.model.__name__}-{today():%Y-%m-%d}.{file_format.get_extension()}"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.for_user(request.user)

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def has_add_permission(self, request):
        return super().has_add_permission(request) and can_write(request.user)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj) and can_write(request.user)
        if obj is None or not allowed:
            return allowed
        return can_change(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the history of a deleted enterprise would be lost

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def process_result(self, result, request):
        # The resource rolled the whole file back; import-export would still say "导入成功".
        if result.has_errors() or result.has_validation_errors():
            problems = [str(e.error) for e in result.base_errors]
            problems += [
                m for row in result.invalid_rows for ms in row.error_dict.values() for m in ms
            ]
            problems += [str(e.error) for _, errors in result.row_errors() for e in errors]
            messages.error(
                request, f"导入已取消，未写入任何数据：{'；'.join(problems[:10])}", "import-failed"
            )
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            f"导入完成：新增 {totals['new']} 条，更新 {totals['update']} 条，"
            f"未变化 {totals['skip']} 条（{self.opts.verbose_name}）。",
        )
        flagged = [r for r in result.rows if getattr(r.instance, "uscc_checksum_ok", True) is False]
        if flagged:
            messages.warning(
                request,
                f"其中 {len(flagged)} 家的统一社会信用代码校验位不符，已照录并标记，请核对。",
            )


class EnterpriseAdminForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "town", *OTHER_FIELDS, "is_active"]

    def clean_uscc(self):
        try:
            code, _ = services.checked_uscc(self.cleaned_data["uscc"], exclude_pk=self.instance.pk)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["uscc"]) from exc
        return code


@admin.register(Enterprise)
class EnterpriseAdmin(RegistryAdmin):
    resource_classes = [EnterpriseResource]
    form = EnterpriseAdminForm
    list_display = [
        "name",
        "uscc",
        "town",
        "tech_field",
        "above_scale",
        "uscc_checksum_ok",
        "is_active",
    ]
    search_fields = ["name", "uscc"]
    list_filter = ["tech_field", "above_scale", "is_active", "uscc_checksum_ok"]
    list_select_related = ["town"]

    def get_readonly_fields(self, request, obj=None):
        # Moves go through the portal's 迁移, which keeps the town history.
        return ["uscc_checksum_ok", "town"] if obj else ["uscc_checksum_ok"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name != "town":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["queryset"] = writable_towns(request.user)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        field.iterator = DisplayOrderChoices
        field.queryset = field.queryset  # re-reads the widget's choices through that iterator
        return field

    def save_model(self, request, obj, form, change):
        data, actor = form.cleaned_data, request.user
        if change:
            current = Enterprise.objects.select_related("town").get(pk=obj.pk)
            edits = {n: data[n] for n in form.changed_data if n in services.EDITABLE_FIELDS}
            if edits:
                current = services.update_enterprise(actor=actor, enterprise=current, **edits)
        else:
            extra = {name: data[name] for name in OTHER_FIELDS}
            current = services.create_enterprise(
                actor=actor, uscc=data["uscc"], name=data["name"], town=data["town"], **extra
            )
        if current.is_active != data["is_active"]:
            services.set_active(actor=actor, enterprise=current, active=data["is_active"])
        obj.pk, obj.uscc_checksum_ok = current.pk, current.uscc_checksum_ok


@admin.register(EnterpriseYear)
class EnterpriseYearAdmin(RegistryAdmin):
    resource_classes = [EnterpriseYearResource]
    list_display = ["enterprise", "year", "staff_total", "st_staff", "sales_revenue", "rd_expense"]
    search_fields = ["enterprise__name", "enterprise__uscc"]
    list_filter = ["year"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]
    fields = ["enterprise", "year", *INDICATOR_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["enterprise", "year"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "enterprise":
            kwargs["queryset"] = Enterprise.objects.for_user(request.user, CHANGE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        values = {name: getattr(obj, name) for name in INDICATOR_FIELDS}
        row = services.save_year(
            actor=request.user, enterprise=obj.enterprise, year=obj.year, values=values
        )
        obj.pk = row.pk
