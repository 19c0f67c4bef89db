"""The ladder's lists as Excel, the way a bureau sends them upward: the 预诊断 ranking and
the certificates running out. A title line, the date they were made, ruled columns, and the
print setup of the notices' 附件 (A4 landscape, one page wide, header repeated).

The rows are the pages' own querysets (cultivation.views), so a file says what the page
said on the same day.
"""

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from core.notifications import chinese_date
from core.sheets import (
    LEFT,
    TITLE_FONT,
    document_look,
    first_sheet,
    merged_line,
    new_workbook,
    print_setup,
    put,
    set_widths,
    text_width,
    to_bytes,
)

TITLE = document_look(size=16, bold=True, ruled=False, font=TITLE_FONT)
NOTE = document_look(size=10, ruled=False, align=LEFT)
HEAD = document_look(bold=True, fill="D9E1F2")
CELL = document_look()
TEXT = document_look(align=LEFT)
GROUP = document_look(bold=True, fill="F2F2F2", align=LEFT)


def table_workbook(
    *,
    title: str,
    note: str,
    columns: Sequence[tuple[str, int]],
    rows: Iterable[Sequence[Any] | str],
    text_columns: frozenset[int] = frozenset(),
) -> bytes:
    """One sheet: title, note, header, rows. A row given as a string is a group line across
    the table ("无法判断（缺少数据）")."""
    book = new_workbook()
    ws = first_sheet(book, "名单")
    width = len(columns)
    merged_line(ws, 1, title, width, TITLE, height=30)
    merged_line(ws, 2, note, width, NOTE)
    for c, (header, _w) in enumerate(columns, start=1):
        put(ws, 3, c, header, HEAD)
    r = 3
    for row in rows:
        r += 1
        if isinstance(row, str):
            merged_line(ws, r, row, width, GROUP)
            continue
        lines = 1
        for c, value in enumerate(row, start=1):
            put(ws, r, c, value, TEXT if c in text_columns else CELL)
            if isinstance(value, datetime.date):
                ws.cell(row=r, column=c).number_format = "yyyy-mm-dd"
            if isinstance(value, str):
                lines = max(lines, -(-text_width(value) // columns[c - 1][1]))
        if lines > 1:  # office suites do not grow a row for wrapped text written by openpyxl
            ws.row_dimensions[r].height = 14 * lines
    set_widths(ws, [w for _h, w in columns])
    ws.freeze_panes = "A4"
    print_setup(ws, title_rows="3:3", page_numbers=True)
    return to_bytes(book)


def expiring_workbook(certificates, *, unit_name: str, year: int, on: datetime.date) -> bytes:
    rows = [
        (
            n,
            c.enterprise.name,
            c.enterprise.uscc,
            c.enterprise.town.label,
            c.number,
            c.issued_on,
            c.expires_on,
            "已登记申报" if c.renewing else "未申报",
        )
        for n, c in enumerate(certificates, start=1)
    ]
    return table_workbook(
        title=f"{unit_name}{year}年到期高新技术企业证书名单",
        note=f"统计日期：{chinese_date(on)}　共 {len(rows)} 家。证书有效期三年，到期当年须重新认定。",
        columns=[
            ("序号", 6),
            ("企业名称", 38),
            ("统一社会信用代码", 22),
            ("镇（园区）", 14),
            ("证书编号", 20),
            ("发证日期", 12),
            ("有效期至", 12),
            ("重新认定", 12),
        ],
        rows=rows,
        text_columns=frozenset({2, 3, 5}),
    )


def diagnosis_workbook(stored, *, unit_name: str, year: int, on: datetime.date) -> bytes:
    """The stored pre-diagnoses in ranking order (cultivation.prediagnosis.ranked)."""

    def lines() -> Iterable[Sequence[Any] | str]:
        grouped = False
        for n, row in enumerate(stored, start=1):
            if row.undecided and not grouped:
                grouped = True
                yield "无法判断（缺少数据，补齐后才能排名）"
            yield (
                n,
                row.enterprise.name,
                row.enterprise.uscc,
                row.enterprise.town.label,
                row.summary,
                row.score_estimate,
                "、".join(row.failing),
                "、".join(row.unknown),
            )

    return table_workbook(
        title=f"{unit_name}高新技术企业预诊断名单（按{year}年申报）",
        note=(
            f"判断日期：{chinese_date(on)}　依据 {year - 3}–{year - 1} 年度指标；"
            "可判断的企业中不符合的条件越少、差距越小越靠前，无法判断的另列其后。"
            "创新能力得分中专家评判部分为估算。"
        ),
        columns=[
            ("排名", 6),
            ("企业名称", 38),
            ("统一社会信用代码", 22),
            ("镇（园区）", 14),
            ("结论", 26),
            ("估算得分", 10),
            ("不符合的条件", 30),
            ("无法判断的条件", 30),
        ],
        rows=lines(),
        text_columns=frozenset({2, 3, 5, 7, 8}),
    )
