"""Reading a 任务分解表 (the 附件 of a notice) from .xlsx or .xls into a `PlanTable`.

The shape, as bureaus issue it: an optional title line, an optional “单位：家” line, a one- or
two-row header whose first column names the units (镇（开发区）/单位/…), one row per direct
child unit, and a required total row (全  区/合计/…) whose values are the issuing unit's own.
Every problem is collected and raised together as `TableErrors`; nothing is written here.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from core.models import OrgUnit
from core.sheets import (
    CellError,
    FileRejected,
    column_letter,
    file_bytes,
    header_key,
    is_blank,
    open_workbook,
    parse_number,
    row_kind,
    shown,
    text_key,
)

from ..models import Metric
from ..services import PlanTable

TOTAL_LABELS = {"全区", "合计", "总计", "全市", "全县"}
SUBTOTAL_HEADERS = {"小计", "合计"}
IGNORED_HEADERS = {"序号", "备注"}
_UNIT_COLUMN = re.compile(
    r"^(镇|乡镇|街道|镇街|镇区|单位|地区|区域|板块|辖市区|区县|县区|市区|区|县|市)"
    r"(\([^()]*\))?(名称)?$"
)
_UNIT_LINE = re.compile(r"^单位[:：](.+)$")
_ATTACHMENT_MARK = re.compile(r"^附件\d*[:：]?$")  # the “附件1” line above a title
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_YEAR_SPAN = 3  # an unknown header that matches year ± this many gets a "wrong year?" hint


class TableErrors(Exception):
    """The table cannot be imported; `errors` lists every problem, in Chinese, for the user."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass
class AttachmentTable(PlanTable):
    """A parsed 附件: the `PlanTable` to write, plus what the file said around it."""

    title: str = ""
    unit_text: str = ""  # the “单位：X” line's X, if any
    sheet: str = ""
    warnings: list[str] = field(default_factory=list)


def key(text: Any) -> str:
    """How unit labels and header texts are compared: core.sheets.text_key (NFKC, no
    whitespace)."""
    return text_key(text)


def squeeze(text) -> str:
    """A header as shown back to the user and stored as a group: whitespace removed."""
    return re.sub(r"\s+", "", str(text)) if text is not None else ""


def fmt(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


_is_blank = is_blank


def _number(value: Any) -> Decimal:
    """A cell as a target value (core.sheets.parse_number: 1,234 / １２３４ / trailing
    spaces); CellError with the message for the user."""
    number = parse_number(value, negative=False)
    if number is None:
        raise CellError(f"“{shown(value)}”不是有效的数字")
    number = Decimal(number)
    if number != number.quantize(Decimal("0.01")) or number >= Decimal("1e12"):
        raise CellError(f"“{shown(value)}”超出范围：最多两位小数、不超过 12 位整数")
    return number


def _looks_numeric(value: Any) -> bool:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(_NUMBER.match(key(value).replace(",", "")))


def _find_header(grid) -> tuple[int, int] | None:
    """(row, unit column) of the first row whose first non-empty cell names the unit column."""
    for r, row in enumerate(grid):
        filled = [c for c, v in enumerate(row) if not _is_blank(v)]
        if not filled:
            continue
        first = filled[0]
        if key(row[first]) == "序号" and len(filled) > 1:
            first = filled[1]
        if _UNIT_COLUMN.match(key(row[first])):
            return r, first
    return None


def _metric_names(year: int) -> dict[str, Metric]:
    """Header text → metric, for active metrics; headers win over names, names over aliases."""
    metrics = list(Metric.objects.filter(is_active=True))
    names: dict[str, Metric] = {}
    for metric in metrics:
        names.setdefault(header_key(metric.header_for(year)), metric)
    for metric in metrics:
        for text in metric.names_for(year):
            names.setdefault(header_key(text), metric)
    return names


def _wrong_year_hint(text: str, year: int) -> str:
    for other in range(year - _YEAR_SPAN, year + _YEAR_SPAN + 1):
        if other != year and header_key(text) in _metric_names(other):
            return f"（这是{other}年度的表头，与导入年度{year}年不符，请核对年度）"
    return ""


def _children(unit: OrgUnit) -> dict[str, OrgUnit]:
    names: dict[str, OrgUnit] = {}
    for child in unit.children.filter(is_active=True).order_by("order", "name"):
        for text in (child.name, child.short_name):
            if text:
                names.setdefault(key(text), child)
    return names


def _is_total(label: str, unit: OrgUnit) -> bool:
    own = {key(unit.name), key(unit.short_name)} - {""}
    if label.endswith(("合计", "总计")) and len(label) > 2:
        label = label[:-2]  # 全区合计, 武进区合计
    return label in TOTAL_LABELS or label in own


def parse_attachment(file_obj: Any, *, unit: OrgUnit, year: int) -> AttachmentTable:
    """Read a 任务分解表 (.xlsx or .xls) for `unit`'s plan of `year` (file object or bytes)."""
    name = getattr(file_obj, "name", None)
    try:
        data = file_bytes(file_obj)
        book = open_workbook(data, file_name=name, max_bytes=settings.UPLOAD_MAX_BYTES)
        found = None
        for title in book.visible:
            grid = book.sheet(title).filled()
            header = _find_header(grid)
            if header:
                found = title, grid, header
                break
    except FileRejected as rejected:
        raise TableErrors([str(p) for p in rejected.problems]) from rejected
    if not found:
        raise TableErrors(
            [
                "未找到表头行：表头的第一列应为“镇（开发区）”“镇（街道）”“单位”“地区”等，"
                "其后各列为指标名称（如“2019年高企新申报数”）。"
            ]
        )
    title, grid, (header_row, label_col) = found
    return _Reader(title, grid, header_row, label_col, unit, year).read()


class _Reader:
    def __init__(self, sheet, grid, header_row, label_col, unit, year):
        self.sheet, self.grid, self.unit, self.year = sheet, grid, unit, year
        self.header_row, self.label_col = header_row, label_col
        self.errors: list[str] = []
        self.bad_cells: set[tuple[int, int]] = set()  # cells that failed to parse
        self.columns: list[tuple[int, Metric, str]] = []  # (sheet column, metric, header)
        self.skipped: set[int] = set(range(label_col))  # 序号, 备注, unreadable headers
        self.groups: dict[str, list[tuple[int, str]]] = {}  # group → [(sheet column, header)]
        self.broken_groups: set[str] = set()  # groups with an unreadable column
        self.names = _metric_names(year)
        self.table = AttachmentTable(columns=[], sheet=sheet)

    def at(self, row: int, col: int | None = None) -> str:
        """Where a problem is: 工作表“Sheet1”第5行C列 (1-based, as Excel shows it)."""
        where = f"工作表“{self.sheet}”第{row + 1}行"
        return where + (column_letter(col) + "列" if col is not None else "")

    def read(self) -> AttachmentTable:
        self._read_preamble()
        first_data = self._read_header()
        self._read_rows(first_data)
        if self.errors:
            raise TableErrors(self.errors)
        return self.table

    # -- above the header: title and “单位：家” ------------------------------------------
    def _read_preamble(self):
        for row in self.grid[: self.header_row]:
            texts = [squeeze(v) for v in row if not _is_blank(v)]
            for text in texts:
                match = _UNIT_LINE.match(key(text))
                if match and not self.table.unit_text:
                    self.table.unit_text = match.group(1)
            titles = [t for t in texts if not _UNIT_LINE.match(key(t))]
            if titles and not self.table.title and not _ATTACHMENT_MARK.match(key(titles[0])):
                self.table.title = titles[0]

    # -- the header: one or two rows ---------------------------------------------------
    def _read_header(self) -> int:
        top = self.grid[self.header_row]
        below = self.grid[self.header_row + 1] if self.header_row + 1 < len(self.grid) else None
        label = key(top[self.label_col])
        sub, sub_row = top, self.header_row
        first_data = self.header_row + 1
        if (
            below is not None
            and key(below[self.label_col]) in ("", label)
            and not any(_looks_numeric(v) for v in below[self.label_col + 1 :])
        ):
            # The unit column is merged down (or left blank): the row below is header too.
            sub, sub_row, first_data = below, self.header_row + 1, self.header_row + 2
        last = max(c for c in range(len(top)) if not _is_blank(top[c]) or not _is_blank(sub[c]))
        seen: dict[int, int] = {}
        for c in range(self.label_col + 1, last + 1):
            upper, lower = squeeze(top[c]), squeeze(sub[c])
            if not upper and not lower:
                continue
            if lower and upper and key(lower) != key(upper):
                header, group, where = lower, upper, self.at(sub_row, c)
            else:
                header, group = lower or upper, ""
                where = self.at(sub_row if lower else self.header_row, c)
            self.skipped.add(c)
            if header_key(header) in IGNORED_HEADERS:
                continue
            metric = self.names.get(header_key(header))
            if metric is None or metric.pk in seen:
                self.broken_groups.add(group)  # its 小计 check would only add noise
            if metric is None:
                hint = _wrong_year_hint(header, self.year)
                self.errors.append(
                    f"{where}：表头“{header}”不是已启用的指标，无法识别"
                    f"{hint or '（可在“目标指标”中为指标添加导入别名）'}"
                )
                continue
            if metric.pk in seen:
                self.errors.append(
                    f"{where}：表头“{header}”与"
                    f"{column_letter(seen[metric.pk])}列是同一指标【{metric.name}】"
                )
                continue
            seen[metric.pk] = c
            self.skipped.discard(c)
            self.columns.append((c, metric, header))
            self.table.columns.append((metric, group))
            if group:
                self.groups.setdefault(group, []).append((c, header))
        self._check_unit_text()
        return first_data

    def _check_unit_text(self):
        text = self.table.unit_text
        if not text or not self.table.columns:
            return
        allowed = {key(t) for t in re.split(r"[、,，/;；]", text) if key(t)}
        for metric, _ in self.table.columns:
            if key(metric.unit) not in allowed:
                self.table.warnings.append(
                    f"工作表“{self.sheet}”的单位行为“单位：{text}”，"
                    f"但指标【{metric.name}】的计量单位是“{metric.unit}”，请核对"
                )

    # -- data rows and the total row ---------------------------------------------------
    def _values(self, r: int) -> dict[int, Decimal]:
        """Metric id → value for the cells of row r that are filled; bad cells are errors."""
        values = {}
        for c, metric, _ in self.columns:
            raw = self.grid[r][c]
            if _is_blank(raw):
                continue
            try:
                values[metric.pk] = _number(raw)
            except CellError as exc:
                self.bad_cells.add((r, c))
                self.errors.append(f"{self.at(r, c)}：{exc}")
        known = self.skipped | {c for c, _, _ in self.columns} | {self.label_col}
        for c in range(len(self.grid[r])):
            if c not in known and not _is_blank(self.grid[r][c]):
                self.errors.append(
                    f"{self.at(r, c)}：该列没有表头，无法识别“{shown(self.grid[r][c])}”"
                )
        return values

    def _read_rows(self, start: int):
        children = _children(self.unit)
        rows: dict[int, tuple[int, dict[int, Decimal]]] = {}  # unit id → (row, values)
        summed: list[dict[int, Decimal]] = []  # every data row as typed, for the total check
        total: tuple[int, dict[int, Decimal]] | None = None
        for r in range(start, len(self.grid)):
            row = self.grid[r]
            if all(_is_blank(v) for v in row[self.label_col :]):
                continue
            label_raw = row[self.label_col]
            label = key(label_raw)
            kind = row_kind(row[self.label_col :])
            if kind == "footer" or (kind == "total" and "小计" in label):
                continue  # 填表人 / 注：… lines, and a 小计 the 合计 row's check covers
            if total is not None:
                if label in children:
                    self.errors.append(
                        f"{self.at(r, self.label_col)}：“{squeeze(label_raw)}”在合计行"
                        f"（第{total[0] + 1}行）之后，单位行应排在合计行之前"
                    )
                continue
            if label and _is_total(label, self.unit):
                total = (r, self._values(r))
                continue
            values = self._values(r)
            summed.append(values)
            self._place_row(r, label_raw, children.get(label), rows, values)
        self._store(rows, total, summed)

    def _place_row(self, r: int, label_raw, child, rows: dict, values: dict[int, Decimal]):
        """A unit's row: its unit must be a child of the plan's, and appear once."""
        where = self.at(r, self.label_col)
        if not key(label_raw):
            self.errors.append(f"{where}：填写了数值但缺少单位名称")
            return
        if child is None:
            self.errors.append(f"{where}：“{squeeze(label_raw)}”不是{self.unit.name}的下级单位")
        elif child.pk in rows:
            self.errors.append(
                f"{where}：“{squeeze(label_raw)}”与第{rows[child.pk][0] + 1}行重复（{child.name}）"
            )
        else:
            rows[child.pk] = (r, values)
        self._check_subtotals(r, values)

    def _store(self, rows: dict, total, summed: list[dict[int, Decimal]]):
        """Check the table as a whole, then keep its cells (the total row's are the plan unit's)."""
        if not rows:
            self.errors.append(f"工作表“{self.sheet}”：表头下没有任何单位的数据行")
        if total is None:
            self.errors.append(
                f"工作表“{self.sheet}”：缺少合计行（首列为“全  区”“合计”或“{self.unit.name}”），"
                f"合计行的数值即{self.unit.name}本级的目标"
            )
        else:
            self._check_subtotals(*total)
            self._check_totals(total, summed)
        for unit_id, (_, values) in rows.items():
            for metric_id, value in values.items():
                self.table.cells[(metric_id, unit_id)] = value
        if total is not None:
            for metric_id, value in total[1].items():
                self.table.cells[(metric_id, self.unit.pk)] = value

    def _check_totals(self, total, rows: list[dict[int, Decimal]]):
        r, values = total
        bad_cols = {c for _, c in self.bad_cells}
        for c, metric, header in self.columns:
            parts = [v[metric.pk] for v in rows if metric.pk in v]
            stated = values.get(metric.pk)
            if (stated is None and not parts) or c in bad_cols:
                continue
            summed = sum(parts, Decimal(0))
            if stated is None:
                self.errors.append(
                    f"{self.at(r, c)}：【{header}】合计行为空，各单位之和为 {fmt(summed)}"
                )
            elif stated != summed:
                self.errors.append(
                    f"{self.at(r, c)}：【{header}】合计行为 {fmt(stated)}，"
                    f"各单位之和为 {fmt(summed)}"
                )

    def _check_subtotals(self, r: int, values: dict[int, Decimal]):
        by_col = {c: metric for c, metric, _ in self.columns}
        for group, members in self.groups.items():
            if group in self.broken_groups:
                continue
            for c, header in members:
                others = [m for m in members if m[0] != c]
                if header_key(header) not in SUBTOTAL_HEADERS or not others:
                    continue
                cols = [c] + [o[0] for o in others]
                if any((r, col) in self.bad_cells for col in cols):
                    continue
                parts = [values.get(by_col[o].pk) for o, _ in others]
                stated = values.get(by_col[c].pk)
                if stated is None and all(p is None for p in parts):
                    continue
                summed = sum((p for p in parts if p is not None), Decimal(0))
                if stated != summed:
                    names = "+".join(f"【{h}】" for _, h in others)
                    self.errors.append(
                        f"{self.at(r, c)}：【{header}】为 "
                        f"{'空' if stated is None else fmt(stated)}，"
                        f"{names}之和为 {fmt(summed)}"
                    )
