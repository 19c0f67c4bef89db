"""A corpus of bad uploads, each refused with its Chinese message at the right place, and none
of them writing anything (the pipeline never writes; the guard stays for when services call it).
"""

import datetime
import functools
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from openpyxl import Workbook

from core.models import ChangeLog
from core.sheets import FileRejected
from enterprises import services as enterprise_services
from enterprises.models import Enterprise, EnterpriseYear
from reports.columns import DATA_SHEET, DEFAULT_COLUMNS, SUMMARY_SHEET, columns_for
from tests.enterprises.conftest import code
from tests.reports import (
    BIFF8_BOF,
    FILES,
    HEADERS,
    HUTANG,
    MAX_BYTES,
    NIUTANG_CODE,
    biff_record,
    make_cfb,
    period,  # noqa: F401
    pipeline,
    row_for,
    summary_sheet,
    to_bytes,
    workbook,
    xlsx,
    year_2019,  # noqa: F401
)

pytestmark = pytest.mark.django_db

USCC, NAME = "统一社会信用代码", "企业名称"
WITH_DOMESTIC = [*DEFAULT_COLUMNS, "rd_expense_domestic"]
WITH_DOMESTIC_HEADERS = [c.header for c in columns_for(WITH_DOMESTIC)]


@dataclass
class Case:
    id: str
    build: Callable[[], tuple[str, bytes]]  # → (file name, bytes)
    message: str  # a part of the expected message
    sheet: str = ""
    row: int | None = None
    column: str = ""
    columns: list[str] = field(default_factory=lambda: list(DEFAULT_COLUMNS))
    allow_new: bool = True
    setup: Callable | None = None  # (registry) → None, before the snapshot


def named(file_name: str, data: bytes | Callable[[], bytes]):
    return lambda: (file_name, data() if callable(data) else data)


def good() -> bytes:
    return xlsx([row_for(1, 121, 20, 1500)])


def zip_of(members: dict[str, bytes], base: bytes | None = None) -> bytes:
    """A zip with `members`, after the members of the xlsx `base` if given."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if base:
            source = zipfile.ZipFile(io.BytesIO(base))
            for info in source.infolist():
                archive.writestr(info, source.read(info.filename))
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@functools.cache
def zip_bomb() -> bytes:
    """A sheet of 300 MB of zeros, about 300 KB zipped; built streaming, never held whole."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        source = zipfile.ZipFile(io.BytesIO(good()))
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, source.read(info.filename))
        chunk = b"\0" * (1024 * 1024)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(chunk)
    return out.getvalue()


def docx() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def encrypted_xlsx() -> bytes:
    """How Excel stores a password-protected .xlsx: an OLE2 container of two streams."""
    return make_cfb(
        {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": b"x"}
    )


def encrypted_xls() -> bytes:
    workbook_stream = BIFF8_BOF + biff_record(0x002F, b"\x01\x00" + b"\0" * 52) + biff_record(0x0A)
    return make_cfb({"Workbook": workbook_stream})


def far_cell() -> bytes:
    """One stray value in the last cell: calamine would allocate 17 billion cells."""
    wb = workbook([row_for(1, 121, 20, 1500)])
    wb.active["XFD1048576"] = 1
    return to_bytes(wb)


def far_bare_cells() -> bytes:
    """Cells without r="…" sit after each other, here in the last row."""
    row = b'<row r="1048576">' + b"<c><v>1</v></c>" * 300 + b"</row>"
    source = zipfile.ZipFile(io.BytesIO(good()))
    sheet = source.read("xl/worksheets/sheet1.xml").replace(b"</sheetData>", row + b"</sheetData>")
    return zip_of({"xl/worksheets/sheet1.xml": sheet}, base=good_without_sheet())


def far_cell_written(tag: bytes):
    """A far value cell as other XML writers may spell it (quotes, whitespace)."""

    def make() -> bytes:
        row = b'<row r="1048576">' + tag + b"<v>1</v></c></row>"
        source = zipfile.ZipFile(io.BytesIO(good()))
        sheet = source.read("xl/worksheets/sheet1.xml")
        sheet = sheet.replace(b"</sheetData>", row + b"</sheetData>")
        return zip_of({"xl/worksheets/sheet1.xml": sheet}, base=good_without_sheet())

    return make


def good_without_sheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(good()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, source.read(info.filename))
    return out.getvalue()


def far_cell_xls() -> bytes:
    number = biff_record(0x0203, struct.pack("<HHHd", 65535, 255, 0, 1.0))
    return make_cfb({"Workbook": BIFF8_BOF + number + biff_record(0x000A)})


def lying_dimensions_xls() -> bytes:
    dimensions = biff_record(0x0200, struct.pack("<IIHHH", 0, 4_000_000_000, 0, 256, 0))
    return make_cfb({"Workbook": BIFF8_BOF + dimensions + biff_record(0x000A)})


def word_doc() -> bytes:
    return make_cfb({"WordDocument": b"\xec\xa5", "1Table": b""})


def rows_with(*rows, headers=None, **kwargs) -> Callable[[], bytes]:
    return lambda: xlsx(rows, headers=headers, **kwargs)


def hidden_only() -> bytes:
    wb = workbook([row_for(1, 121, 20, 1500)])
    wb.active.sheet_state = "hidden"
    wb.create_sheet("Sheet2")["A1"] = "备用"
    return to_bytes(wb)


def merged_header_breaks() -> bytes:
    wb = workbook([row_for(1, 121, 20, 1500)])
    wb.active.merge_cells("C2:D2")  # 职工总数 spread over 科技人员数's cell
    return to_bytes(wb)


def no_data_sheet() -> bytes:
    wb = Workbook()
    wb.active.append(["单位", "数量"])
    wb.active.append(["湖塘镇", 3])
    return to_bytes(wb)


def with_summary(rows) -> Callable[[], bytes]:
    return lambda: to_bytes(summary_sheet(workbook([row_for(1, 120, 20, 1500)]), rows))


def domestic_40(registry):
    enterprise = registry[("湖塘镇", HUTANG[2])]
    enterprise_services.save_year(
        actor=None, enterprise=enterprise, year=2019, values={"rd_expense_domestic": 40}
    )


ROW = {"sheet": DATA_SHEET, "row": 3}  # the first data row under workbook()'s title and header
HEADER = {"sheet": DATA_SHEET, "row": 2}

CASES = [
    # -- the file as a whole, before any parsing --
    Case("csv", named("企业.csv", b"a,b\n1,2\n"), "不支持“.csv”文件"),
    Case("txt", named("企业.txt", b"hello"), "不支持“.txt”文件"),
    Case("pdf", named("企业.pdf", b"%PDF-1.4\n%\xe2\xe3\n"), "不支持“.pdf”文件"),
    Case("no_extension", named("企业", good), "不支持无扩展名的文件"),
    Case("empty", named("上报.xlsx", b""), "文件是空的（0 字节）"),
    Case("too_big", named("上报.xlsx", b"PK\x03\x04" + b"\0" * MAX_BYTES), "超过大小上限 10 MB"),
    Case("html_as_xls", named("上报.xls", b"<html><body><table><tr><td>1</td></tr></table>"), "网页（HTML"),
    Case("csv_as_xlsx", named("上报.xlsx", "统一社会信用代码,企业名称\n".encode()), "纯文本（如 CSV）"),
    Case("docx_as_xlsx", named("上报.xlsx", docx), "实际是Word 文档"),
    Case("doc_as_xls", named("上报.xls", word_doc), "Word 文档（.doc）"),
    Case("xlsm", named("上报.xlsm", good), "含有宏（VBA）"),
    Case("vba_in_xlsx", named("上报.xlsx", lambda: zip_of({"xl/vbaProject.bin": b"\0" * 64}, good())), "含有宏（VBA）"),
    Case("encrypted_xlsx", named("上报.xlsx", encrypted_xlsx), "设置了打开密码"),
    Case("encrypted_xls", named("上报.xls", encrypted_xls), "设置了打开密码"),
    Case("encrypted_xls_by_libreoffice", named("上报.xls", (FILES / "encrypted.xls").read_bytes), "设置了打开密码"),
    Case("zip_bomb", named("上报.xlsx", zip_bomb), "解压后超过 200 MB"),
    Case("ratio", named("上报.xlsx", lambda: zip_of({"xl/media/a.bin": b"\0" * 5_000_000}, good())), "压缩比异常"),
    Case("far_cell", named("上报.xlsx", far_cell), "远至第 1048576 行、第 16384 列"),
    Case("far_bare_cells", named("上报.xlsx", far_bare_cells), "远至第 1048576 行"),
    Case(
        "far_cell_single_quotes",
        named("上报.xlsx", far_cell_written(b"<c r='XFD1048576'>")),
        "远至第 1048576 行、第 16384 列",
    ),
    Case(
        "far_cell_tab",
        named("上报.xlsx", far_cell_written(b'<c\tr="XFD1048576"\n>')),
        "远至第 1048576 行、第 16384 列",
    ),
    Case("far_cell_xls", named("上报.xls", far_cell_xls), "远至第 65536 行、第 256 列"),
    Case("lying_dimensions_xls", named("上报.xls", lying_dimensions_xls), "已损坏或不完整"),
    Case("truncated_xlsx", named("上报.xlsx", lambda: good()[: len(good()) // 2]), "已损坏或不完整"),
    Case("truncated_ole2", named("上报.xls", lambda: (FILES / "quarterly.xls").read_bytes()[:700]), "已损坏或不完整"),
    # -- the workbook's layout --
    Case("header_only", named("上报.xlsx", rows_with()), "没有数据行", **HEADER),
    Case("header_only_xls", named("上报.xls", (FILES / "header_only.xls").read_bytes), "没有数据行", DATA_SHEET, 3),
    Case("no_data_sheet", named("上报.xlsx", no_data_sheet), "未找到数据表"),
    Case("hidden_only", named("上报.xlsx", hidden_only), "数据在隐藏的工作表“企业季度数据”中"),
    Case("missing_column", named("上报.xlsx", rows_with([code(1), "甲", 1, 1, 1], headers=HEADERS[:3] + HEADERS[4:])), "缺少“科技人员数”列", column="科技人员数", **HEADER),
    Case("unknown_column", named("上报.xlsx", rows_with(row_for(1, 121, 20, 1500, None, None, 88), headers=[*HEADERS, "利润总额"])), "H列“利润总额”不是本期模板中的列，但第3行等填有数据", column="利润总额", **HEADER),
    Case("not_this_period", named("上报.xlsx", rows_with(row_for(1, 121, 20, 1500, None, None, 88), headers=[*HEADERS, "净资产（万元）"])), "H列“净资产（万元）”本期模板不含该列，但第3行等填有数据", column="净资产（万元）", **HEADER),
    Case("merged_header_breaks", named("上报.xlsx", merged_header_breaks), "D列“职工总数”与C列重复", column="职工总数", **HEADER),
    # -- cells --
    Case("text_in_number", named("上报.xlsx", rows_with(row_for(1, "一百", 20))), "“一百”不是有效的数字", column="职工总数", **ROW),
    Case("date_in_number", named("上报.xlsx", rows_with(row_for(1, 120, 20, datetime.date(2019, 3, 5)))), "是日期，应填写数字", column="销售收入（万元）", **ROW),
    Case("negative", named("上报.xlsx", rows_with(row_for(1, 120, 20, -5))), "不能为负数（-5）", column="销售收入（万元）", **ROW),
    Case("not_whole", named("上报.xlsx", rows_with(row_for(1, 12.5, 2))), "“12.5”不是整数", column="职工总数", **ROW),
    Case("too_large", named("上报.xlsx", rows_with(row_for(1, 120, 20, 1e13))), "数值过大", column="销售收入（万元）", **ROW),
    Case("st_staff", named("上报.xlsx", rows_with(row_for(1, 100, 120))), "科技人员数（120）不能大于职工总数（100）", column="科技人员数", **ROW),
    Case("domestic_rd", named("上报.xlsx", rows_with(row_for(1, 1, 1, 1, 50, 60, 1), headers=WITH_DOMESTIC_HEADERS)), "境内研发费用（60.00）不能大于研发费用（50.00）", column="境内研发费用（万元）", columns=WITH_DOMESTIC, **ROW),
    Case("domestic_rd_registry", named("上报.xlsx", rows_with(row_for(2, 60, 6, None, 30))), "境内研发费用（40.00，企业库中2019年的数值）不能大于研发费用（30.00）", column="研发费用（万元）", setup=domestic_40, **ROW),
    Case("uscc_missing", named("上报.xlsx", rows_with([None, "无代码企业", 1])), "请填写统一社会信用代码", column=USCC, **ROW),
    Case("uscc_malformed", named("上报.xlsx", rows_with(["91320412MA000001", "甲", 1])), "应为 18 位，当前为 16 位", column=USCC, **ROW),
    Case("uscc_characters", named("上报.xlsx", rows_with(["91320412MA000001IO", "甲", 1])), "含有无效字符", column=USCC, **ROW),
    Case("uscc_as_number", named("上报.xlsx", rows_with([913204121234567890, "甲", 1])), "被 Excel 存成了数字", column=USCC, **ROW),
    Case("duplicate_uscc", named("上报.xlsx", rows_with(row_for(1, 1), row_for(2, 1), row_for(1, 2))), "在第3行和第5行重复出现", DATA_SHEET, 5, USCC),
    Case("other_town", named("上报.xlsx", rows_with([NIUTANG_CODE, "常州牛塘电子有限公司", 1])), "该企业不属于湖塘镇，不能报送", column=USCC, **ROW),
    Case("no_new_allowed", named("上报.xlsx", rows_with(row_for(77, 1))), "本期不允许新增企业", column=USCC, allow_new=False, **ROW),
    Case("new_without_name", named("上报.xlsx", rows_with(row_for(77, 1, name=""))), "新增企业须填写企业名称", column=NAME, **ROW),
    # -- the summary sheet --
    Case("summary_unknown_code", named("上报.xlsx", with_summary([["foo_bar", "某指标", "个", 3]])), "未知的指标代码“foo_bar”", SUMMARY_SHEET, 2, "指标代码"),
    Case("summary_bad_number", named("上报.xlsx", with_summary([["projects_attracted", "科创项目招引数", "个", "很多"]])), "“很多”不是有效的数字", SUMMARY_SHEET, 2, "本年累计值"),
    Case("summary_negative", named("上报.xlsx", with_summary([["projects_attracted", "科创项目招引数", "个", -1]])), "不能为负数", SUMMARY_SHEET, 2, "本年累计值"),
]  # fmt: skip


def snapshot(registry) -> tuple:
    enterprise = registry[("湖塘镇", HUTANG[1])]
    year = EnterpriseYear.objects.get(enterprise=enterprise, year=2019)
    enterprise.refresh_from_db()
    return (
        Enterprise.objects.count(),
        EnterpriseYear.objects.count(),
        ChangeLog.objects.count(),
        enterprise.name,
        year.staff_total,
        year.sales_revenue,
    )


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_file(case, period, year_2019, units, hutang):  # noqa: F811
    if case.setup:
        case.setup(year_2019)
    period.columns, period.allow_new = case.columns, case.allow_new
    period.save()
    before = snapshot(year_2019)
    file_name, data = case.build()

    try:
        preview = pipeline(data, file_name, period=period, unit=units["湖塘镇"], user=hutang)
        problems = preview.problems
    except FileRejected as exc:
        problems = exc.problems

    found = [p for p in problems if case.message in p.message]
    assert found, [str(p) for p in problems]
    assert (found[0].sheet, found[0].row, found[0].column) == (case.sheet, case.row, case.column)
    assert snapshot(year_2019) == before


def test_good_file_passes_the_same_runner(period, year_2019, units, hutang):  # noqa: F811
    """The corpus' baseline: the file its cases spoil is itself fine."""
    preview = pipeline(good(), period=period, unit=units["湖塘镇"], user=hutang)
    assert preview.problems == [] and preview.updates[0]["changes"] == {
        "staff_total": ["120", "121"]
    }
