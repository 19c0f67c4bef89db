"""Which period and unit a file is for — so last quarter's file, or a neighbour's, picked from
the clerk's folder by mistake, is refused instead of overwriting this quarter's numbers.

The template says it twice: in its title row ("2019年第1季度 湖塘镇 企业季度数据报送表") and in a
hidden sheet 报送标识 (period code, unit id and name), which Excel, WPS and LibreOffice keep when
the file is saved again, also as .xls. A clerk's own form has no such sheet: then its title
lines (and a 填报单位 line) above the header are read for a quarter and a unit.
"""

import re
from dataclasses import dataclass

from core.models import OrgUnit
from core.sheets import FileRejected, Workbook, Worksheet, nfkc, parse_text, put, text_key
from core.sheets.reading import Book

from ..models import ReportingPeriod

IDENTITY_SHEET = "报送标识"
MARK = "htportal-quarterly-template"  # A1 of the sheet: it is ours
FIELDS = ("period", "unit_id", "unit_name")

_PERIOD_CODE = re.compile(r"(\d{4})Q([1-4])")
_QUARTER_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4}
_QUARTER = re.compile(r"(?:(\d{4})\s*年?\s*)?第?\s*([1-4一二三四])\s*季度|(\d{4})\s*[Qq]\s*([1-4])")


def write_identity(book: Workbook, period: ReportingPeriod, unit: OrgUnit) -> None:
    """The hidden sheet that says what the template is for."""
    ws: Worksheet = book.create_sheet(IDENTITY_SHEET)
    rows = [
        (MARK, "本表供系统识别报送期次和单位，请勿修改"),
        ("period", period.code),
        ("unit_id", str(unit.pk)),
        ("unit_name", unit.name),
    ]
    for r, (key, value) in enumerate(rows, start=1):
        put(ws, r, 1, key)
        put(ws, r, 2, value)
    ws.sheet_state = "hidden"


def read_identity(book: Book) -> dict[str, str]:
    """What a template's 报送标识 sheet says ({} for a file without one)."""
    names = [n for n in book.hidden + book.visible if n == IDENTITY_SHEET]
    if not names:
        return {}
    rows = book.sheet(names[0]).rows
    if not rows or parse_text(rows[0][0] if rows[0] else "") != MARK:
        return {}
    found = {parse_text(r[0]): parse_text(r[1]) for r in rows[1:] if len(r) > 1}
    return {key: found[key] for key in FIELDS if found.get(key)}


@dataclass(frozen=True)
class Claim:
    """What a file says it is for; None where it does not say."""

    year: int | None = None
    quarter: int | None = None
    unit: OrgUnit | None = None

    def label(self, period: ReportingPeriod) -> str:
        year = self.year or period.year
        when = f"{year}年第{self.quarter}季度" if self.quarter else ""
        return " ".join(part for part in (self.unit.name if self.unit else "", when) if part)


def claim_of(identity: dict[str, str], title: str, period: ReportingPeriod, unit: OrgUnit) -> Claim:
    # A sheet someone edited into nonsense says nothing: the title decides then.
    if found := _PERIOD_CODE.fullmatch(identity.get("period", "").upper()):
        unit_id = identity.get("unit_id", "")
        unit_id = unit_id if unit_id.isdigit() else "0"
        named = OrgUnit.objects.filter(pk=int(unit_id)).first()  # unscoped: in a refusal only
        return Claim(int(found.group(1)), int(found.group(2)), named)
    return _from_title(title, period, unit)


def _from_title(title: str, period: ReportingPeriod, unit: OrgUnit) -> Claim:
    text = nfkc(title)
    year = quarter = None
    if found := _QUARTER.search(text):
        year_text = found.group(1) or found.group(3)
        quarter_text = found.group(2) or found.group(4)
        year = int(year_text) if year_text else None
        quarter = _QUARTER_WORDS.get(quarter_text) or int(quarter_text)
    return Claim(year, quarter, _unit_named(text, period, unit) if text else None)


def _unit_named(text: str, period: ReportingPeriod, unit: OrgUnit) -> OrgUnit | None:
    """The unit below the period's that the title names (by name or short name): the
    uploading unit if it is among those named (a title may name its district too), else the
    only one named; None when none or several are."""
    key = text_key(text)
    below = OrgUnit.objects.in_unit(period.unit).exclude(pk=period.unit_id)
    named = [
        u
        for u in below.only("name", "short_name")
        if any(n and text_key(n) in key for n in (u.name, u.short_name))
    ]
    if any(u.pk == unit.pk for u in named):
        return unit
    return named[0] if len(named) == 1 else None


def check_identity(
    identity: dict[str, str], title: str, period: ReportingPeriod, unit: OrgUnit
) -> None:
    """Refuse a file that says it is for another period or another unit."""
    claim = claim_of(identity, title, period, unit)
    wrong_time = (claim.year is not None and claim.year != period.year) or (
        claim.quarter is not None and claim.quarter != period.quarter
    )
    wrong_unit = claim.unit is not None and claim.unit.pk != unit.pk
    if not (wrong_time or wrong_unit):
        return
    expected = (f"{unit.name} " if wrong_unit else "") + str(period)
    raise FileRejected(
        f"该文件是 {claim.label(period)} 的报表，本次报送的是 {expected}。"
        f"请确认选对了文件；如需重新填写，请下载本期模板。"
    )
