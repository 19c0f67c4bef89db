"""Bulk import of ladder history from Excel: bureaus keep years of 科小、培育库、申报、证书、荣誉 lists.

One workbook, one sheet per record type (see `build_template`). Every row goes through the
same service as the form does (validation, scope and change log are theirs), inside ONE
transaction with a savepoint per row: all rows are tried so every error is reported, and if
any row fails — or on a dry run — everything is rolled back. All or nothing.

Applications and certificates are applied year by year (a year's applications, then that
year's certificates, oldest first), so a file holding several years works: a certificate finds
its application, a later certificate follows an earlier one, a 重新认定 finds the certificate.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import TextChoices

from core import sheets
from core.scoping import CHANGE, can_write
from core.sheets import Problem
from core.sheets.templates import guide_sheet, table_sheet
from enterprises.models import Enterprise
from enterprises.uscc import USCCError, check, with_check_digit

from .. import services
from ..choices import ApplicationKind as Kind
from ..choices import ApplicationStatus as Status
from ..choices import HonourLevel, HonourType, PoolExit, PoolLevel

USCC, NAME = "统一社会信用代码", "企业名称（核对用）"
GUIDE = "填写说明"


@dataclass(frozen=True)
class Col:
    header: str
    field: str  # the service's keyword (uscc / name are the import's own)
    kind: str = "text"  # text, code, batch, date, year, choice, bool, uscc, name
    required: bool = False
    choices: type[TextChoices] | None = None
    width: int = 14
    example: object = ""
    hint: str = ""

    @property
    def labels(self) -> dict:
        if self.kind == "bool":
            return {"是": True, "否": False}
        return {label: value for value, label in self.choices.choices} if self.choices else {}


@dataclass(frozen=True)
class Sheet:
    name: str
    service: Callable
    columns: tuple[Col, ...]
    also: dict[str, str] = field(default_factory=dict)  # other error fields → column header

    @property
    def headers(self) -> list[str]:
        return [col.header for col in self.columns]

    @property
    def required(self) -> list[str]:
        return [col.header for col in self.columns if col.required]

    def column_for(self, field_name: str) -> str:
        if field_name == NON_FIELD_ERRORS:
            return ""
        by_field = {col.field: col.header for col in self.columns} | {"enterprise": USCC}
        return by_field.get(field_name) or self.also.get(field_name, "")


EXAMPLE_USCC = with_check_digit("91320412MA1P6LX4Q")


def _sheet(name, service, *columns, also=None) -> Sheet:
    ident = (
        Col(USCC, "uscc", "uscc", True, width=24, example=EXAMPLE_USCC),
        Col(NAME, "name", "name", width=30, example="常州示例科技有限公司", hint="须与系统一致"),
    )
    source = Col("来源", "source", width=26, example="武科发〔2019〕14号", hint="文件名或文号")
    return Sheet(name, service, (*ident, *columns, source), also or {})


def _date(header, field_name, required=False, example=None):
    return Col(header, field_name, "date", required, width=14, example=example or "")


SHEETS = (
    _sheet(
        "科小评价",
        services.record_evaluation,
        Col("评价年度", "year", "year", True, width=11, example=2019),
        Col("入库登记编号", "reg_number", "code", width=24, example="201932041200001234"),
        _date("入库日期", "evaluated_on", example=datetime.date(2019, 5, 20)),
    ),
    _sheet(
        "培育库",
        services.add_pool_membership,
        Col("入库级别", "level", "choice", True, PoolLevel, 11, "区级"),
        Col("入库年度", "year", "year", True, width=11, example=2019),
        Col("批次", "batch", "batch", width=8, example="1", hint="如 1（“第1批”亦可）"),
        _date("入库日期", "start", True, datetime.date(2019, 4, 1)),
        _date("出库日期", "end"),
        Col("出库原因", "exit_reason", "choice", False, PoolExit, 16, hint="填写出库日期时必填"),
    ),
    _sheet(
        "高企申报",
        services.add_application,
        Col("申报年度", "year", "year", True, width=11, example=2019),
        Col("批次", "batch", "batch", width=8, example="1", hint="如 1（“第1批”亦可）"),
        Col("申报类型", "kind", "choice", True, Kind, 12, "首次申报"),
        Col("状态", "status", "choice", True, Status, 10, "已申报"),
        _date("拟申报日期", "planned_on", example=datetime.date(2019, 3, 1)),
        _date("申报日期", "submitted_on", example=datetime.date(2019, 6, 10)),
        _date("结果日期", "decided_on", example=None),
        also={"status": "状态"},
    ),
    _sheet(
        "高企证书",
        services.record_certificate,
        Col("证书编号", "number", "code", True, width=20, example="GR201932001234"),
        _date("发证日期", "issued_on", True, datetime.date(2019, 11, 22)),
        Col(
            "历史补录",
            "historical",
            "bool",
            width=10,
            example="否",
            hint="往年证书无申报记录填“是”",
        ),
        also=dict.fromkeys(
            ("expires_on", "application", "start", "end", "exit_reason", "status", "decided_on"),
            "发证日期",
        ),
    ),
    _sheet(
        "荣誉",
        services.add_honour,
        Col("荣誉类型", "type", "choice", True, HonourType, 24, "瞪羚企业"),
        Col("级别", "level", "choice", True, HonourLevel, 10, "市级"),
        Col("认定年度", "year", "year", True, width=11, example=2019),
        Col("有效至年度", "expires_year", "year", width=12, example=2021),
    ),
)
SHEET_NAMES = tuple(sheet.name for sheet in SHEETS)


@dataclass
class ImportResult:
    dry_run: bool = False
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHEET_NAMES, 0))
    errors: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return sum(self.created.values())

    @property
    def saved(self) -> bool:
        """Whether the rows are now in the database (not a dry run, no error)."""
        return self.ok and not self.dry_run and self.total > 0

    @property
    def summary(self) -> str:
        parts = "、".join(f"{name} {n} 条" for name, n in self.created.items() if n)
        if not self.ok:
            return f"发现 {len(self.errors)} 处错误，未导入任何数据。"
        if not parts:
            return "文件中没有可导入的数据。"
        return f"{'试导入通过，将导入' if self.dry_run else '已导入'}：{parts}。"


# ---------------------------------------------------------------- template


def _hint(col: Col) -> str:
    kind = {"date": "日期，如 2019-03-05", "year": "年份，如 2019"}.get(col.kind, "")
    if col.labels:
        kind = "可选：" + "、".join(col.labels)
    return "；".join(part for part in ("必填" if col.required else "选填", kind, col.hint) if part)


def build_template() -> bytes:
    """The workbook to download: 填写说明 (with one example row per sheet), then one empty data
    sheet per record type in the order they are imported."""
    wb = sheets.new_workbook()
    _write_guide(sheets.first_sheet(wb, GUIDE))
    for sheet in SHEETS:
        table_sheet(
            wb.create_sheet(sheet.name),
            sheet.headers,
            widths=[c.width for c in sheet.columns],
            required=sheet.required,
            formats={c.header: FORMATS.get(c.kind, "@") for c in sheet.columns},
            dropdowns={c.header: list(c.labels) for c in sheet.columns if c.labels},
        )
    return sheets.to_bytes(wb)


FORMATS = {"date": "yyyy-mm-dd", "year": "0"}  # everything else is text ("@")


def _write_guide(ws) -> None:
    lines = [
        "1. 每类记录一个工作表，第 1 行为表头（红色为必填列），请勿修改表头；从第 2 行起每行一条记录，空行自动跳过。",
        f"2. 处理顺序：{' → '.join(SHEET_NAMES)}；申报与证书按年度由早到晚处理，"
        "同一文件中登记的申报可对应后面的证书。",
        "3. 全部行都通过校验才会写入；任何一行有错，整个文件都不写入。可先“试导入”检查。",
        "4. 统一社会信用代码须为您权限范围内已登记的企业；“企业名称（核对用）”选填，填写时须与系统中的名称一致。",
        "5. 日期可填 Excel 日期、2019-03-05、2019/3/5、2019.3.5 或 2019年3月5日；年份填 2019 或 2019年。",
        "6. 带下拉箭头的列请从下拉列表中选择。本页的示例行仅供参考，不会被导入。",
    ]
    examples = [
        (
            s.name,
            s.headers,
            s.required,
            [c.example for c in s.columns],
            [_hint(c) for c in s.columns],
        )
        for s in SHEETS
    ]
    guide_sheet(ws, "高企培育历史数据导入模板 — 填写说明", lines, examples)


# ---------------------------------------------------------------- import

PARSERS: dict[str, Callable[[Any], Any]] = {
    "date": sheets.parse_date,
    "year": sheets.parse_year,
    "bool": sheets.parse_bool,
    "text": sheets.parse_text,
    "code": sheets.parse_code,
    "batch": lambda value: sheets.parse_text(value).removeprefix("第").removesuffix("批").strip(),
}


@dataclass
class _Row:
    sheet: Sheet
    number: int
    enterprise: Enterprise | None
    values: dict

    @property
    def order(self) -> tuple:
        """Applications and certificates interleave by year, certificates by issue date."""
        index = SHEET_NAMES.index(self.sheet.name)
        if self.sheet.name == "高企申报":
            return (2, self.values["year"], 0, 0, index, self.number)
        if self.sheet.name == "高企证书":
            issued = self.values["issued_on"]
            return (2, issued.year, 1, issued.toordinal(), index, self.number)
        return (index, 0, 0, 0, index, self.number)


def import_ladder(file_obj, *, actor, dry_run: bool = False) -> ImportResult:
    """Read the workbook and apply it all or nothing; see the module docstring."""
    result = ImportResult(dry_run=dry_run)
    if not can_write(actor):
        result.errors.append(Problem("", None, "", "您的账户没有修改权限，不能导入数据。"))
        return result
    try:
        book = sheets.open_workbook(
            sheets.file_bytes(file_obj),
            file_name=getattr(file_obj, "name", None),
            max_bytes=settings.UPLOAD_MAX_BYTES,
        )
        with transaction.atomic():
            rows = _read_rows(book, actor, result)
            for row in sorted(rows, key=lambda r: r.order):
                _apply(row, actor, result)
            if result.errors or dry_run:
                transaction.set_rollback(True)
    except sheets.FileRejected as rejected:
        result.errors += rejected.problems
    order = {name: i for i, name in enumerate(SHEET_NAMES)}
    result.errors.sort(key=lambda e: (order.get(e.sheet, -1), e.row or 0))
    if not result.ok and not dry_run:  # rolled back: nothing was created
        result.created = dict.fromkeys(SHEET_NAMES, 0)
    return result


def _read_rows(book: sheets.Book, actor, result: ImportResult) -> list[_Row]:
    specs = {sheet.name: sheet for sheet in SHEETS}
    present = {}
    for title in book.hidden:
        result.notes.append(f"已跳过隐藏的工作表“{title}”。")
    for title in book.visible:
        name = title.strip()
        if name in specs:
            present[name] = book.sheet(title)
        elif name != GUIDE:
            result.notes.append(
                f"已忽略未知的工作表“{title}”（可导入：{'、'.join(SHEET_NAMES)}）。"
            )
    enterprises = _EnterpriseLookup(actor)
    rows = []
    for name in SHEET_NAMES:
        if name in present:
            rows += _read_sheet(specs[name], present[name], enterprises, result)
    return rows


def _read_sheet(sheet: Sheet, ws: sheets.Sheet, enterprises, result: ImportResult) -> list[_Row]:
    table = sheets.read_table(ws, sheet.headers, sheet.required)
    for header in table.ignored:
        result.notes.append(f"{sheet.name}：已忽略未知或重复的列“{header}”。")
    for header in table.missing:
        result.errors.append(
            Problem(sheet.name, table.header_row, header, "缺少该列，请使用导入模板")
        )
    if table.missing:
        return []
    by_header = {c.header: c for c in sheet.columns}
    rows = []
    for number, cells in table.rows:
        row = _parse_row(
            sheet, number, {by_header[h]: v for h, v in cells.items()}, enterprises, result
        )
        if row is not None:
            rows.append(row)
    return rows


def _parse_row(sheet: Sheet, number: int, cells: dict, enterprises, result) -> _Row | None:
    def fail(col, message):
        result.errors.append(Problem(sheet.name, number, col.header, message))

    values, enterprise, failed = {}, None, False
    for col, raw in cells.items():
        try:
            if sheets.is_blank(raw):
                if col.required:
                    raise sheets.CellError("必填")
                continue
            if col.kind == "uscc":
                enterprise = enterprises.get(raw)
            elif col.kind == "choice":
                values[col.field] = sheets.parse_choice(raw, col.labels)
            elif col.kind != "name":
                values[col.field] = PARSERS[col.kind](raw)
        except sheets.CellError as exc:
            fail(col, str(exc))
            failed = True
    name_col = next((c for c in cells if c.kind == "name"), None)
    given = sheets.parse_text(cells.get(name_col))
    if enterprise is not None and given and _same_name(given) != _same_name(enterprise.name):
        fail(name_col, f"与统一社会信用代码对应的企业“{enterprise.name}”不一致（表中为“{given}”）")
        failed = True
    return None if failed else _Row(sheet, number, enterprise, values)


def _same_name(name: str) -> str:
    return sheets.text_key(name)


class _EnterpriseLookup:
    """USCC → an enterprise the actor may change (cached for the file)."""

    def __init__(self, actor):
        self.queryset = Enterprise.objects.for_user(actor, CHANGE).select_related("town")
        self.cache = {}

    def get(self, raw) -> Enterprise:
        try:
            code = check(sheets.parse_text(raw)).code
        except USCCError as exc:
            raise sheets.CellError(str(exc).removesuffix("。")) from exc
        if code not in self.cache:
            self.cache[code] = self.queryset.filter(uscc=code).first()
        if self.cache[code] is None:
            tip = "（单元格为数字，长代码可能已被 Excel 截断，请将该列设为文本后重填）"
            numeric = isinstance(raw, int | float)
            raise sheets.CellError(
                f"“{code}”对应的企业不存在或不在您的权限范围内{tip if numeric else ''}"
            )
        return self.cache[code]


def _apply(row: _Row, actor, result: ImportResult) -> None:
    sheet = row.sheet

    def fail(column, message):
        result.errors.append(Problem(sheet.name, row.number, column, str(message)))

    try:
        with transaction.atomic():
            sheet.service(actor=actor, enterprise=row.enterprise, **row.values)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field_name, messages in exc.message_dict.items():
                for message in messages:
                    fail(sheet.column_for(field_name), message)
        else:
            for message in exc.messages:
                fail("", message)
    except PermissionDenied as exc:
        fail(USCC, str(exc) or "该企业不在您的权限范围内。")
    except DatabaseError as exc:  # a constraint the services did not foresee
        fail("", f"写入数据库失败（{exc.__class__.__name__}），请检查该行数据。")
    else:
        result.created[sheet.name] += 1
