"""Import of the 年报 filed list as 高新技术企业认定管理工作网 exports it.

The national system's export is not our template: its headers vary between years and
regions (填报日期 or 提交日期, a 序号 and 所在地区 we do not need), so columns are found by
any of their usual names and the rest are ignored. The report year is chosen on the form
(the export does not always say it); a 年度 column, when there is one, must agree.

All or nothing, like the ladder import: every row goes through the service inside ONE
transaction with a savepoint per row, every error is reported (sheet, row, column, and the
enterprise's name beside the row), and any error — or a dry run — rolls everything back.
Re-importing the same list changes nothing: a filing already recorded with the same date is
left alone, and logged nowhere.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from core import sheets
from core.models import User
from core.scoping import CHANGE, can_write
from core.sheets import Problem
from enterprises.models import Enterprise
from enterprises.uscc import USCCError, check

from .. import services
from ..annual_reports import annual_report_due_ids, filed_dates
from ..choices import AnnualReportSource

# field → the headers it goes by, preferred first
COLUMNS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "统一社会信用代码/组织机构代码"),
    "name": ("企业名称", "单位名称", "企业(单位)名称", "纳税人名称"),
    "filed_on": ("填报日期", "提交日期", "报送日期", "上报日期", "填报时间", "提交时间"),
    "year": ("年度", "报告年度", "填报年度", "报表年度"),
}
REQUIRED = ("uscc", "filed_on")
ALL_HEADERS = [header for headers in COLUMNS.values() for header in headers]
# "2019-05-20 14:33:12" / "2019/5/20 9:05": the system exports a time the date parser refuses
_TIME_SUFFIX = re.compile(r"^(.+?)[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


@dataclass
class ImportResult:
    year: int
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def summary(self) -> str:
        if not self.ok:
            return f"发现 {len(self.errors)} 处错误，未导入任何数据。"
        if not self.total:
            return "文件中没有可导入的数据行。"
        verb = "检查通过，将" if self.dry_run else "已"
        return (
            f"{self.year}年度年报名单{verb}新增 {self.created} 条、更新填报日期 {self.updated} 条，"
            f"{self.unchanged} 条与已有记录相同（未改动）。"
        )


@dataclass
class _Row:
    sheet: str
    number: int
    enterprise: Enterprise
    filed_on: Any
    subject: str
    date_header: str


def import_annual_reports(
    file_obj: Any, *, actor: User, year: int, dry_run: bool = False
) -> ImportResult:
    """Read the filed list for report `year` and record it all or nothing (module docstring)."""
    result = ImportResult(year=year, dry_run=dry_run)
    if not can_write(actor):
        result.errors.append(Problem(message="您的账户没有修改权限，不能导入年报名单。"))
        return result
    try:
        book = sheets.open_workbook(
            sheets.file_bytes(file_obj),
            file_name=getattr(file_obj, "name", None),
            max_bytes=settings.UPLOAD_MAX_BYTES,
        )
        rows = _read(book, actor, year, result)
        with transaction.atomic():
            _note_not_due(rows, year, result)
            existing = filed_dates(year, [row.enterprise.pk for row in rows])
            for row in rows:
                _apply(row, actor, year, existing.get(row.enterprise.pk), result)
            if result.errors or dry_run:
                transaction.set_rollback(True)
    except sheets.FileRejected as rejected:
        result.errors += rejected.problems
    result.errors.sort(key=lambda e: (e.sheet, e.row or 0))
    if not result.ok:  # rolled back: nothing was written
        result.created = result.updated = result.unchanged = 0
    return result


def _read(book: sheets.Book, actor: User, year: int, result: ImportResult) -> list[_Row]:
    for title in book.hidden:
        result.notes.append(f"已跳过隐藏的工作表“{title}”。")
    lookup = _EnterpriseLookup(actor)
    rows: dict[int, _Row] = {}  # by enterprise: one filing per enterprise and year
    read_any = False
    for title in book.visible:
        ws = book.sheet(title)
        columns = _columns(ws)
        if columns:
            read_any = True
            _read_sheet(title, ws, columns, lookup, year, rows, result)
        elif any(not all(map(sheets.is_blank, line)) for line in ws.rows):
            result.notes.append(f"已忽略工作表“{title}”（未找到统一社会信用代码、填报日期列）。")
    if not read_any:
        raise sheets.FileRejected(
            "文件中没有找到年报名单：须有“统一社会信用代码”和“填报日期”（或“提交日期”）两列。"
        )
    return list(rows.values())


def _read_sheet(
    title: str,
    ws: sheets.Sheet,
    columns: dict[str, str],
    lookup: "_EnterpriseLookup",
    year: int,
    rows: dict[int, _Row],
    result: ImportResult,
) -> None:
    table = sheets.read_table(ws, list(columns.values()))
    missing = [field_name for field_name in REQUIRED if field_name not in columns]
    for field_name in missing:
        names = "、".join(COLUMNS[field_name])
        result.errors.append(
            Problem(
                title, table.header_row, COLUMNS[field_name][0], f"缺少该列（表头可为：{names}）"
            )
        )
    if missing:
        return
    for number, cells in table.rows:
        values = {f: cells.get(h) for f, h in columns.items()}
        row = _parse(title, number, values, columns, lookup, year, result)
        if row is None:
            continue
        first = rows.setdefault(row.enterprise.pk, row)
        if first.filed_on != row.filed_on:  # the same filing twice is harmless; two dates are not
            result.errors.append(
                Problem(
                    title,
                    number,
                    columns["filed_on"],
                    f"该企业已在{first.sheet}第{first.number}行出现，"
                    f"填报日期不同（{first.filed_on:%Y-%m-%d}）",
                    row.subject,
                )
            )


def _columns(ws: sheets.Sheet) -> dict[str, str]:
    """field → the header text the sheet uses for it (the first of its names present), read
    from the first row naming a USCC or date column (title rows above it are skipped)."""
    keys = {sheets.header_key(h): (f, h) for f, headers in COLUMNS.items() for h in headers}
    anchors = {k for k, (f, _) in keys.items() if f in REQUIRED}
    top = ws.find_row(lambda cells: any(sheets.header_key(v) in anchors for v in cells))
    if top is None:
        return {}
    _, texts = ws.header(top)
    found: dict[str, tuple[int, str]] = {}
    for text in texts:
        if (hit := keys.get(sheets.header_key(text))) is None:
            continue
        field_name, alias = hit
        rank = COLUMNS[field_name].index(alias)
        if field_name not in found or rank < found[field_name][0]:
            found[field_name] = (rank, text)
    return {field_name: text for field_name, (_, text) in found.items()}


def _parse(
    sheet: str,
    number: int,
    cells: dict,
    header: dict[str, str],
    lookup: "_EnterpriseLookup",
    year: int,
    result: ImportResult,
) -> _Row | None:
    given_name = sheets.parse_text(cells.get("name"))
    failed = False

    def fail(field_name: str, message: str) -> None:
        nonlocal failed
        failed = True
        result.errors.append(Problem(sheet, number, header[field_name], message, given_name))

    enterprise = None
    try:
        enterprise = lookup.get(cells.get("uscc"))
    except sheets.CellError as exc:
        fail("uscc", str(exc))
    filed_on = None
    try:
        filed_on = _date(cells.get("filed_on"))
        if filed_on is None:
            raise sheets.CellError("必填")
    except sheets.CellError as exc:
        fail("filed_on", str(exc))
    if (problem := _year_problem(cells.get("year"), year)) is not None:
        fail("year", problem)
    if failed or enterprise is None:
        return None
    if given_name and sheets.text_key(given_name) != sheets.text_key(enterprise.name):
        result.notes.append(
            f"{sheet} 第{number}行：表中企业名称“{given_name}”与系统中的“{enterprise.name}”"
            "不一致，已按统一社会信用代码登记。"
        )
    return _Row(
        sheet, number, enterprise, filed_on, given_name or enterprise.name, header["filed_on"]
    )


def _year_problem(value: Any, year: int) -> str | None:
    """What is wrong with a 年度 cell, if the file has one: it must be the chosen year."""
    try:
        given = sheets.parse_year(value)
    except sheets.CellError as exc:
        return str(exc)
    if given is not None and given != year:
        return f"为{given}年度，与所选的报告年度{year}不一致"
    return None


def _date(value: Any):
    if isinstance(value, str) and (found := _TIME_SUFFIX.match(sheets.nfkc(value))):
        value = found.group(1)
    return sheets.parse_date(value)


class _EnterpriseLookup:
    """USCC → an enterprise the actor may change: one query for the file's first use of each
    code (a district list has a few hundred rows)."""

    def __init__(self, actor: User):
        self.queryset = Enterprise.objects.for_user(actor, CHANGE).select_related("town")
        self.cache: dict[str, Enterprise | None] = {}

    def get(self, raw: Any) -> Enterprise:
        if sheets.is_blank(raw):
            raise sheets.CellError("必填")
        try:
            code = check(sheets.parse_text(raw)).code
        except USCCError as exc:
            raise sheets.CellError(str(exc).removesuffix("。")) from exc
        if code not in self.cache:
            self.cache[code] = self.queryset.filter(uscc=code).first()
        found = self.cache[code]
        if found is None:
            raise sheets.CellError(f"“{code}”对应的企业不在企业库中，或不在您的权限范围内")
        return found


def _note_not_due(rows: list[_Row], year: int, result: ImportResult) -> None:
    due = set(
        annual_report_due_ids(year)
        .filter(enterprise_id__in=[row.enterprise.pk for row in rows])
        .values_list("enterprise_id", flat=True)
    )
    others = [row.subject for row in rows if row.enterprise.pk not in due]
    if others:
        shown = "、".join(others[:5]) + ("等" if len(others) > 5 else "")
        result.notes.append(
            f"{len(others)} 家企业在系统中没有{year}年底有效的高企证书（{shown}），"
            "已照常登记，请核对其证书记录。"
        )


def _apply(row: _Row, actor: User, year: int, before, result: ImportResult) -> None:
    def fail(column: str, message: str) -> None:
        result.errors.append(Problem(row.sheet, row.number, column, message, row.subject))

    try:
        with transaction.atomic():
            services.record_annual_report(
                actor=actor,
                enterprise=row.enterprise,
                year=year,
                filed_on=row.filed_on,
                source=AnnualReportSource.IMPORTED,
                replace=True,
            )
    except ValidationError as exc:
        pairs = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
        for field_name, messages in pairs:
            for message in messages:
                fail(row.date_header if field_name == "filed_on" else "", message)
    except PermissionDenied as exc:
        fail("统一社会信用代码", str(exc) or "该企业不在您的权限范围内。")
    except DatabaseError as exc:
        fail("", f"写入数据库失败（{exc.__class__.__name__}），请检查该行数据。")
    else:
        if before is None:
            result.created += 1
        elif before == row.filed_on:
            result.unchanged += 1
        else:
            result.updated += 1
