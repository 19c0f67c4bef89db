"""Shared pieces of the quarterly-upload tests: the period fixture, workbook builders, a
large-file generator and a minimal OLE2 (compound file) writer for crafted bad files.

Test modules import the fixtures they use (`from tests.reports import period  # noqa: F401`).
"""

import datetime
import io
import re
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from core.sheets import check_file
from enterprises import services as enterprise_services
from reports.columns import DATA_SHEET, DEFAULT_COLUMNS, SUMMARY_SHEET, columns_for
from reports.io.reading import read_upload
from reports.io.validation import validate_upload
from reports.models import ReportingPeriod
from tests.enterprises.conftest import code

FILES = Path(__file__).parent / "files"
MAX_BYTES = 10 * 1024 * 1024
HEADERS = [c.header for c in columns_for(DEFAULT_COLUMNS)]
# 湖塘镇's enterprises in the `registry` fixture: code(1), code(2), code(3).
HUTANG = {1: "常州湖塘精密机械有限公司", 2: "常州湖塘新材料有限公司", 3: "常州同名科技有限公司"}
NIUTANG_CODE = code(4)
VALUES_2019 = {
    1: {"staff_total": 120, "st_staff": 20, "sales_revenue": Decimal("1500.00")},
    2: {"staff_total": 60, "st_staff": 6, "rd_expense": Decimal("45.50")},
}


@pytest.fixture
def period(units):
    return ReportingPeriod.objects.create(
        unit=units["武进区"],
        year=2019,
        quarter=1,
        window_start=datetime.date(2019, 4, 1),
        deadline=datetime.date(2019, 4, 15),
        columns=list(DEFAULT_COLUMNS),
        allow_new=True,
    )


@pytest.fixture
def year_2019(registry):
    """2019 values for two of 湖塘镇's enterprises (the third has none for 2019)."""
    for n, values in VALUES_2019.items():
        enterprise = registry[("湖塘镇", HUTANG[n])]
        enterprise_services.save_year(actor=None, enterprise=enterprise, year=2019, values=values)
    return registry


def to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


TITLE = "2019年第1季度 湖塘镇 企业季度数据报送表"


def workbook(rows, *, headers=None, title: bool | str = True, sheet=DATA_SHEET) -> Workbook:
    """A data sheet like the template's: a title line (TITLE, or the one given), the header,
    then `rows`."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([TITLE if title is True else title])
    ws.append(list(headers or HEADERS))
    for row in rows:
        ws.append(list(row))
    return wb


def xlsx(rows, **kwargs) -> bytes:
    return to_bytes(workbook(rows, **kwargs))


def row_for(n: int, *values, name=None) -> list:
    """A data row for registry enterprise n (code(n)); `values` in DEFAULT_COLUMNS order."""
    return [code(n), name if name is not None else HUTANG.get(n, f"企业{n}"), *values]


def set_cached(data: bytes, cached: dict[str, str], sheet: int = 1) -> bytes:
    """Give openpyxl's formula cells the cached values Excel would have stored: openpyxl
    writes `<c r="D5"><f>…</f><v /></c>`; this fills the <v>."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    target = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    name = f"xl/worksheets/sheet{sheet}.xml"
    for info in source.infolist():
        content = source.read(info.filename)
        if info.filename == name:
            text = content.decode()
            for ref, value in cached.items():
                text, n = re.subn(
                    rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>', rf"\g<1><v>{value}</v>", text
                )
                assert n == 1, ref
            content = text.encode()
        target.writestr(info, content)
    target.close()
    return out.getvalue()


def big_rows(n: int, *, start: int = 1000) -> list[list]:
    """n rows of new enterprises with valid, distinct codes and plausible numbers."""
    rows = []
    for i in range(start, start + n):
        staff = 20 + i % 500
        rows.append(
            [
                code(i),
                f"常州测试企业{i:05d}有限公司",
                staff,
                staff // 5,
                round(1000 + i * 1.37, 2),
                round(50 + (i % 97) * 0.5, 2),
                f"{i % 1000},{i % 1000:03d}.5" if i % 7 == 0 else round(i * 0.9, 1),
            ]
        )
    return rows


def parse(data: bytes, file_name: str = "上报.xlsx", *, period, columns=None, **kwargs):
    check_file(file_name, data, max_bytes=MAX_BYTES)
    return read_upload(data, columns=columns or columns_for(period.columns), **kwargs)


def pipeline(data: bytes, file_name: str = "上报.xlsx", *, period, unit, user, **kwargs):
    """check → read → validate, as the upload service runs them."""
    parsed = parse(data, file_name, period=period, **kwargs)
    return validate_upload(parsed, period=period, unit=unit, user=user)


def summary_sheet(wb: Workbook, rows) -> Workbook:
    """A 汇总指标 sheet as templates had it before metric codes were dropped from it (指标代码
    first): files like it are still in clerks' hands and must upload."""
    ws = wb.create_sheet(SUMMARY_SHEET)
    ws.append(["指标代码", "指标名称", "计量单位", "本年累计值"])
    for row in rows:
        ws.append(list(row))
    return wb


def reopen(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


# --- a minimal OLE2 compound file (MS-CFB v3), for crafted .xls and encrypted .xlsx ----------

END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, start: int, size: int, child=NOSTREAM, right=NOSTREAM):
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB3I", len(encoded), kind, 1, NOSTREAM, right, child)
        + b"\0" * 36
        + struct.pack("<IQ", start, size)
    )


def make_cfb(streams: dict[str, bytes]) -> bytes:
    """Up to 3 streams, each padded to ≥ 4096 bytes so they live in regular sectors."""
    assert len(streams) <= 3
    sector = 512
    fat = [FATSECT, END]  # sector 0: the FAT, sector 1: the directory
    entries, data, next_sector = [], b"", 2
    for index, (name, content) in enumerate(streams.items(), start=1):
        content = content.ljust(4096, b"\0")
        count = -(-len(content) // sector)
        fat += [next_sector + i + 1 for i in range(count - 1)] + [END]
        right = index + 1 if index < len(streams) else NOSTREAM
        entries.append(_dir_entry(name, 2, next_sector, len(content), right=right))
        data += content.ljust(count * sector, b"\0")
        next_sector += count
    assert len(fat) <= sector // 4
    root = _dir_entry("Root Entry", 5, END, 0, child=1)
    directory = (root + b"".join(entries)).ljust(sector, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<109I", 0, *([FREE] * 108))
    )
    assert len(header) == sector
    fat_sector = struct.pack(f"<{sector // 4}I", *fat, *([FREE] * (sector // 4 - len(fat))))
    return header + fat_sector + directory + data


def biff_record(record: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", record, len(payload)) + payload


BIFF8_BOF = biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
