"""Exports of the filtered enterprise list: one column definition, two formats (xlsx, CSV).

Rows stream from the database in chunks and the workbook is written in openpyxl's
write-only mode, so 10k+ rows stay fast and small in memory.
"""

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from core.dates import today
from core.selectors import OFFICIAL_DATA
from core.sheets import (
    Alignment,
    Border,
    Font,
    Look,
    PatternFill,
    Side,
    column_letter,
    csv_lines,
    new_workbook,
    stream_row,
    to_bytes,
)

from ..models import EnterpriseYear
from ..selectors import LadderCells, ladder_cells

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    value: Callable[[Any, "Extra"], Any]  # (enterprise, what was looked up for it) -> value
    number_format: str = "General"


@dataclass(frozen=True)
class Extra:
    """What a chunk's bulk lookups found for one enterprise."""

    year: EnterpriseYear | None  # the chosen year's indicators
    ladder: LadderCells


NO_LADDER = LadderCells(rung="", certificate="")


def _year_value(field):
    return lambda e, x: getattr(x.year, field) if x.year is not None else None


BASE_COLUMNS = [
    Column("企业名称", 38, lambda e, y: e.name),
    Column("统一社会信用代码", 22, lambda e, y: e.uscc),
    Column("代码校验", 11, lambda e, y: "通过" if e.uscc_checksum_ok else "校验位不符"),
    Column("所属镇（园区）", 16, lambda e, y: e.town.label),
    # the same cells as the list's columns (selectors.ladder_cells), as of the portal's today
    Column("当前梯次", 14, lambda e, x: x.ladder.rung),
    Column("证书有效期", 25, lambda e, x: x.ladder.certificate),
    Column("技术领域", 16, lambda e, y: e.get_tech_field_display()),
    Column("技术子领域", 16, lambda e, y: e.tech_subfield),
    Column("所属行业", 16, lambda e, y: e.industry),
    Column("规上企业", 9, lambda e, y: "是" if e.above_scale else "否"),
    Column("注册日期", 12, lambda e, y: e.registered_on, "yyyy-mm-dd"),
    Column("法定代表人", 11, lambda e, y: e.legal_rep),
    Column("联系人", 10, lambda e, y: e.contact),
    Column("联系电话", 15, lambda e, y: e.phone),
    Column("地址", 36, lambda e, y: e.address),
    Column("状态", 8, lambda e, y: "有效" if e.is_active else "已停用"),
]

# (field, header, number format) of the indicators exported for the chosen year.
YEAR_FIELDS = [
    ("staff_total", "职工总数", "#,##0"),
    ("st_staff", "科技人员数", "#,##0"),
    ("sales_revenue", "销售收入（万元）", "#,##0.00"),
    ("rd_expense", "研发费用（万元）", "#,##0.00"),
    ("hightech_revenue", "高新技术产品（服务）收入（万元）", "#,##0.00"),
    ("ip_class1", "Ⅰ类知识产权数", "#,##0"),
    ("ip_class2", "Ⅱ类知识产权数", "#,##0"),
]


def columns_for(year: int | None) -> list[Column]:
    if year is None:
        return BASE_COLUMNS
    return BASE_COLUMNS + [
        Column(f"{year}年{header}", max(12, len(header) * 2 + 6), _year_value(field), fmt)
        for field, header, fmt in YEAR_FIELDS
    ]


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def rows(queryset, columns: list[Column], year: int | None) -> Iterator[list]:
    """Cell values, one list per enterprise; the year's indicators and the ladder's cells
    fetched per chunk (no N+1), the ladder as of one date for the whole file."""
    on = today()
    enterprises = queryset.select_related("town").iterator(chunk_size=CHUNK)
    for chunk in _chunks(enterprises, CHUNK):
        by_enterprise = {}
        if year is not None:
            ids = [e.pk for e in chunk]  # unscoped: the enterprises of the scoped queryset ↓
            year_rows = EnterpriseYear.objects.filter(enterprise__in=ids, year=year)  # unscoped: ↑
            by_enterprise = {row.enterprise_id: row for row in year_rows}
        cells = ladder_cells(chunk, on)
        for enterprise in chunk:
            extra = Extra(by_enterprise.get(enterprise.pk), cells.get(enterprise.pk, NO_LADDER))
            yield [column.value(enterprise, extra) for column in columns]


HEADER = Look(
    font=Font(bold=True, color="FFFFFF"),
    fill=PatternFill("solid", fgColor="1F4E8C"),
    border=Border(bottom=Side(style="thin", color="163A69")),
    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
)


def write_xlsx(queryset, year: int | None) -> bytes:
    columns = columns_for(year)
    workbook = new_workbook(write_only=True)
    sheet = workbook.create_sheet("企业名录")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns):
        sheet.column_dimensions[column_letter(index)].width = column.width
    sheet.append(stream_row(sheet, [c.header for c in columns], [HEADER] * len(columns)))
    looks = [
        None if c.number_format == "General" else Look(number_format=c.number_format)
        for c in columns
    ]
    for values in rows(queryset, columns, year):
        sheet.append(stream_row(sheet, values, looks))
    note = workbook.create_sheet("说明")
    note.append(stream_row(note, [OFFICIAL_DATA]))
    note.append(stream_row(note, [f"导出日期：{today():%Y-%m-%d}"]))
    return to_bytes(workbook)


def stream_csv(queryset, year: int | None) -> Iterator[str]:
    """UTF-8 with BOM, so Excel and WPS open the Chinese text correctly; formula-safe."""
    columns = columns_for(year)
    return csv_lines(itertools.chain([[c.header for c in columns]], rows(queryset, columns, year)))


def filename(extension: str) -> str:
    return f"企业名录_{today():%Y%m%d}.{extension}"
