"""Bulk maintenance of the registry through django-import-export, scoped like the portal.

A file is all-or-nothing: one bad row and no row is written. Towns and existing records are
loaded once per import (never per row), rows are written in bulk, history goes to ChangeLog in
bulk afterwards. Rows are numbered as the spreadsheet shows them: the header is line 1.
"""

from django.core.exceptions import ValidationError
from django.db import models
from import_export import fields, resources, results, widgets

from core.changelog import entry, log_changes, snapshot
from core.choices import Action
from core.dates import now
from core.models import ChangeLog, OrgUnit
from core.scoping import CHANGE, VIEW
from core.sheets import parse_text
from core.sheets.import_export import (
    DateWidget,
    LabelWidget,
    NumberWidget,
    TextWidget,
    match_headers,
)

from ..models import INDICATOR_FIELDS, Enterprise, EnterpriseYear, TownSpan
from ..uscc import USCCError, check, normalise

BATCH = 1000
NON_NEGATIVE = {  # the money fields the model's CHECK constraints keep at or above zero
    c.name.removesuffix("_not_negative")
    for c in EnterpriseYear._meta.constraints
    if c.name.endswith("_not_negative")
}


def _row_message(line: int, label: str, text: str) -> str:
    # "所属镇（园区）“X”不存在…" reads on; anything else is "label：text".
    return f"第{line}行 {label}{'' if text[:1] in '“（' else '：'}{text}"


def _uscc_problem(exc: USCCError) -> str:
    return str(exc).removeprefix("统一社会信用代码")  # the column label already says it


class SheetLineResult(results.Result):
    """Rows numbered as spreadsheet lines (import-export counts data rows from 1), like the
    messages, so the page's 行 column and the text agree."""

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(number + 1, row, validation_error)

    def row_errors(self):
        return [(number + 1, errors) for number, errors in super().row_errors()]


class UnitWidget(widgets.ForeignKeyWidget):
    """A town by name or short name among the units the user may write, loaded once per import."""

    def __init__(self):
        super().__init__(OrgUnit, field="name")
        self.by_name = {}

    def load(self, units):
        self.by_name = {}
        for unit in units:
            for key in {unit.name, unit.short_name} - {""}:
                self.by_name.setdefault(key, []).append(unit)

    def clean(self, value, row=None, **kwargs):
        if not (name := parse_text(value)):
            raise ValueError("请填写。")
        found = self.by_name.get(name, [])
        if len(found) != 1:
            problem = "对应多个单位，请填写全称" if found else "不存在或不在您的权限范围内"
            raise ValueError(f"“{name}”{problem}。")
        return found[0]


class EnterpriseWidget(widgets.ForeignKeyWidget):
    """An enterprise by USCC among those the file names, loaded once per import."""

    def __init__(self):
        super().__init__(Enterprise, field="uscc")
        self.by_code, self.writable = {}, set()

    def clean(self, value, row=None, **kwargs):
        try:
            code = check(parse_text(value)).code
        except USCCError as exc:
            raise ValueError(_uscc_problem(exc)) from None
        enterprise = self.by_code.get(code)
        if enterprise is None or enterprise.town_id not in self.writable:
            raise ValueError(f"“{code}”未登记或不在您的权限范围内。")
        return enterprise


class ScopedResource(resources.ModelResource):
    """Shared by both resources: the user's scope, checks in Chinese, bulk writes and history."""

    related: tuple[str, ...] = ()  # select_related() for export
    cached: tuple[str, ...] = ()  # foreign keys resolved from per-import caches; not cleaned

    class Meta:
        use_bulk = True
        skip_diff = True
        batch_size = BATCH
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user, self.written = user, []

    @classmethod
    def get_result_class(cls):
        return SheetLineResult

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        """Columns headed by the model's Chinese verbose names, with widgets that speak Chinese."""
        if isinstance(django_field, models.DecimalField):
            widget = NumberWidget(integer=False, allow_negative=field_name not in NON_NEGATIVE)
        elif isinstance(django_field, models.IntegerField):
            widget = NumberWidget(integer=True)
        elif isinstance(django_field, models.DateField):
            widget = DateWidget()
        elif isinstance(django_field, models.BooleanField):
            widget = LabelWidget([(True, "是"), (False, "否")], blank=False)
        elif django_field.choices:
            widget = LabelWidget(django_field.choices, blank="")
        else:
            widget = TextWidget()
        label = str(django_field.verbose_name)
        return fields.Field(attribute=field_name, column_name=label, widget=widget)

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        # import-export's confirm step keeps the valid rows of a file with invalid ones unless
        # told otherwise; here a file is all-or-nothing, whoever calls.
        kwargs.update(use_transactions=True, rollback_on_validation_errors=True)
        self.dry_run, self.file_name = dry_run, kwargs.get("file_name") or ""
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def before_import(self, dataset, **kwargs):
        self.user, self.written = self.user or kwargs.get("user"), []
        match_headers(dataset, [f.column_name for f in self.fields.values()])
        while len(dataset) and not any(parse_text(v) for v in dataset[-1]):
            dataset.rpop()  # formatted but empty lines at the end of a sheet
        ids = [self.fields[name].column_name for name in self.get_import_id_fields()]
        if missing := [c for c in ids if c not in (dataset.headers or [])]:
            del dataset[0 : len(dataset)]
            raise ValueError(f"文件缺少“{'”“'.join(missing)}”列，请先导出一份作为模板。")
        units = list(OrgUnit.objects.for_user(self.user, CHANGE))
        self.writable_units = {unit.pk for unit in units}
        self.prepare(dataset, [unit for unit in units if unit.is_active])

    def find_repeats(self, keys: list) -> None:
        """key → the lines it is on, for keys on more than one line of the file."""
        lines: dict[object, list[int]] = {}
        for line, key in enumerate(keys, start=2):
            if key:
                lines.setdefault(key, []).append(line)
        self.repeats = {key: found for key, found in lines.items() if len(found) > 1}

    def repeated_on(self, key) -> str:
        return "、".join(str(n) for n in self.repeats.get(key, []) if n != self.line)

    def import_row(self, row, instance_loader, **kwargs):
        self.line = kwargs["row_number"] + 1
        return super().import_row(row, instance_loader, **kwargs)

    def after_init_instance(self, instance, new, row, **kwargs):
        instance.import_before = None if new else self.picture(instance)
        instance.import_values = {} if new else {n: getattr(instance, n) for n in self.updatable()}

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.message_dict
        for name, text in self.check_row(instance, row, errors).items():
            errors.setdefault(name, [text])
        try:  # constraint and foreign-key checks would query once per row: done above instead
            exclude = [*errors, *self.cached]
            instance.full_clean(exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, texts in exc.message_dict.items():
                errors.setdefault(name, texts)
        if errors:
            labels = {f.attribute: f.column_name for f in self.fields.values()}
            raise ValidationError(
                {
                    labels.get(n, n): [_row_message(self.line, labels.get(n, n), t) for t in texts]
                    for n, texts in errors.items()
                }
            )

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None:
            return False
        return instance.import_before == self.picture(instance)

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is not None:
            instance.updated_at = now()  # bulk_update() skips auto_now
        self.written.append(instance)

    def updatable(self) -> list[str]:
        names = [f.attribute for f in self.get_import_fields() if not f.readonly]
        return [n for n in names if n not in self.get_import_id_fields()]

    def get_bulk_update_fields(self):
        # Django's bulk_update() costs Python time per row *and field*: send only what changed.
        changed = {
            name
            for instance in self.update_instances
            for name, value in instance.import_values.items()
            if getattr(instance, name) != value
        }
        return [name for name in self.updatable() if name in changed] + ["updated_at"]

    def after_import(self, dataset, result, **kwargs):
        # No super(): it resets id sequences for imported ids, and no ids are imported here.
        if not (self.dry_run or result.has_errors() or result.has_validation_errors()):
            log_changes(self.write_history())

    def log(self, enterprise, before, after, note) -> ChangeLog:
        return entry(
            actor=self.user,
            instance=enterprise,
            action=Action.IMPORT,
            unit=enterprise.town,
            before=before,
            after=after,
            note=note,
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.for_user(self.user, VIEW).select_related(*self.related)

    def get_queryset(self):
        return self._meta.model.objects.for_user(self.user, VIEW)


class EnterpriseResource(ScopedResource):
    uscc = fields.Field("uscc", "统一社会信用代码", widget=TextWidget())
    town = fields.Field("town", "所属镇（园区）", widget=UnitWidget())
    related = cached = ("town",)

    class Meta:
        model = Enterprise
        name = "企业名录"
        fields = (
            *("uscc", "name", "town", "address", "legal_rep", "contact", "phone"),
            *("registered_on", "tech_field", "tech_subfield", "industry", "above_scale", "notes"),
        )
        import_id_fields = ("uscc",)

    def prepare(self, dataset, units):
        self.fields["town"].widget.load(units)
        codes = [normalise(parse_text(v)) for v in dataset[self.fields["uscc"].column_name]]
        self.find_repeats(codes)
        found = _in_batches(Enterprise.objects.select_related("town"), "uscc", codes)
        self.existing = {e.uscc: e for e in found}

    def get_instance(self, instance_loader, row):
        return self.existing.get(normalise(parse_text(row.get(self.fields["uscc"].column_name))))

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance.import_town = None if new else instance.town

    def picture(self, instance):
        return snapshot(instance)

    def check_row(self, instance, row, errors) -> dict:
        problems = {"name": "请填写。"} if not parse_text(instance.name) else {}
        if instance.town_id is None and "town" not in errors:  # the file has no town column
            problems["town"] = "请填写。"
        try:
            checked = check(parse_text(row[self.fields["uscc"].column_name]))
        except USCCError as exc:
            return {**problems, "uscc": _uscc_problem(exc)}
        instance.uscc, instance.uscc_checksum_ok = checked.code, checked.checksum_ok
        before = instance.import_town
        if others := self.repeated_on(checked.code):
            problems["uscc"] = f"“{checked.code}”与第{others}行重复。"
        elif before is not None and before.pk not in self.writable_units:
            problems["uscc"] = f"“{checked.code}”已由其他单位登记，不在您的权限范围内。"
        elif before is not None and "town" not in errors and instance.town != before:
            problems["town"] = (
                f"不能通过导入修改（当前为“{before}”，文件中为“{instance.town}”），"
                "请在企业详情页使用“迁移”功能，以保留迁移历史。"
            )
        return problems

    def updatable(self) -> list[str]:
        return [n for n in super().updatable() if n != "town"] + ["uscc_checksum_ok"]

    def write_history(self) -> list[ChangeLog]:
        if missing := [e.uscc for e in self.written if e.pk is None]:
            # Only for databases that cannot return ids from bulk_create().
            pks = dict(_in_batches(Enterprise.objects.values_list("uscc", "pk"), "uscc", missing))
            for enterprise in self.written:
                enterprise.pk = enterprise.pk or pks[enterprise.uscc]
        created = [e for e in self.written if e.import_before is None]
        TownSpan.objects.bulk_create(
            [TownSpan(enterprise=e, town=e.town, start=None, end=None) for e in created], BATCH
        )
        note = f"批量导入（{self.file_name}）" if self.file_name else "批量导入"
        return [self.log(e, e.import_before, snapshot(e), note) for e in self.written]


class EnterpriseYearResource(ScopedResource):
    enterprise = fields.Field("enterprise", "统一社会信用代码", widget=EnterpriseWidget())
    enterprise_name = fields.Field("enterprise__name", "企业名称", readonly=True)
    related, cached = ("enterprise__town",), ("enterprise",)

    class Meta:
        model = EnterpriseYear
        name = "年度指标"
        fields = ("enterprise", "enterprise_name", "year", *INDICATOR_FIELDS)
        import_order = export_order = ("enterprise", "enterprise_name", "year")
        import_id_fields = ("enterprise", "year")

    def key(self, row) -> tuple:
        code = normalise(parse_text(row.get(self.fields["enterprise"].column_name)))
        try:
            return code, self.fields["year"].clean(row)
        except (KeyError, ValueError):
            return code, None

    def prepare(self, dataset, units):
        keys = [self.key(dict(zip(dataset.headers, r, strict=False))) for r in dataset]
        self.find_repeats([key if all(key) else None for key in keys])
        widget = self.fields["enterprise"].widget
        found = _in_batches(Enterprise.objects.select_related("town"), "uscc", [k[0] for k in keys])
        widget.by_code, widget.writable = {e.uscc: e for e in found}, self.writable_units
        years = {k[1] for k in keys if k[1]}
        # unscoped: every row is checked against the user's writable units (check_row)
        rows = EnterpriseYear.objects.filter(year__in=years)  # unscoped: ↑
        rows = _in_batches(rows.select_related(*self.related), "enterprise__uscc", widget.by_code)
        self.existing = {(r.enterprise.uscc, r.year): r for r in rows}

    def get_instance(self, instance_loader, row):
        return self.existing.get(self.key(row))

    def picture(self, instance):
        return snapshot(instance, INDICATOR_FIELDS)

    def check_row(self, instance, row, errors) -> dict:
        problems, key = {}, self.key(row)
        if "year" not in errors and not 1980 <= (instance.year or 0) <= 2100:
            problems["year"] = "请填写 1980–2100 之间的年度。"
        if others := self.repeated_on(key):
            problems["enterprise"] = f"“{key[0]}”的{key[1]}年度指标与第{others}行重复。"
        for small, large in (("st_staff", "staff_total"), ("rd_expense_domestic", "rd_expense")):
            a, b = getattr(instance, small), getattr(instance, large)
            if small not in errors and large not in errors and None not in (a, b) and a > b:
                problems[small] = f"{a} 不能大于{self.fields[large].column_name} {b}。"
        return problems

    def write_history(self) -> list[ChangeLog]:
        return [
            self.log(r.enterprise, r.import_before, self.picture(r), f"{r.year}年度指标（导入）")
            for r in self.written
        ]


def _in_batches(queryset, field, values):
    """Rows whose `field` is in `values`, asked in batches (SQLite caps query parameters)."""
    values = sorted({v for v in values if v})
    for start in range(0, len(values), BATCH):
        yield from queryset.filter(**{f"{field}__in": values[start : start + BATCH]})
