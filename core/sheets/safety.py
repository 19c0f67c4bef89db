"""Is an uploaded file a spreadsheet we may open at all? Decided from its bytes, before parsing.

`check_file` looks at the name, the size and the content (magic bytes), never trusting the
extension: an HTML page or a CSV renamed to .xls, a PDF, a Word document, a macro workbook,
a password-protected workbook, a zip bomb or a truncated file are refused with a Chinese
message saying what to do. The zip directory's sizes are checked before anything is
decompressed. Then the worksheets are scanned (streaming) for how far their cells reach:
calamine allocates every sheet densely, so one value in cell XFD1048576 of a 5 KB file would
make it allocate ~17 billion cells and abort the process.

Every importer calls it (through reading.open_workbook) before a byte is parsed.
"""

import io
import re
import struct
import zipfile
from pathlib import PurePosixPath

from .problems import FileRejected

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, summed over the zip's members
MAX_RATIO = 100  # uncompressed ÷ compressed, per member
RATIO_FLOOR = 1024 * 1024  # members smaller than this cannot bomb anything
MAX_MEMBERS = 10_000
MAX_ROWS = 100_000  # per sheet: a town's template has a few thousand rows
MAX_CELLS = 4_000_000  # per sheet, rows × columns counted from A1, as the reader lays them out

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

SAVE_AS = "请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（.xlsx）再上传。"
ENCRYPTED = "文件设置了打开密码（已加密），系统无法读取。请在 Excel 中取消密码后另存，再上传。"
CORRUPT = "文件已损坏或不完整，无法读取。请在 Excel 中打开确认无误后重新保存，再上传。"
MACROS = "文件含有宏（VBA），出于安全考虑不予接收。" + SAVE_AS


def _mb(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def check_file(file_name: str | None, data: bytes, *, max_bytes: int) -> str:
    """Return "xlsx" or "xls" (by content, whatever the extension says), or raise
    FileRejected. `max_bytes` is the upload limit, named in MB in the message. Without a
    file name (the admin's import form names the format itself) the extension is not asked."""
    if not data:
        raise FileRejected("文件是空的（0 字节），请重新选择文件。")
    if len(data) > max_bytes:
        # No size in the message: an upload is cut off just past the limit as it arrives
        # (core.uploads), so its length here is not the file's.
        raise FileRejected(
            f"文件超过大小上限 {_mb(max_bytes)} MB。请删除多余的工作表、图片和空行后再上传。"
        )
    if file_name is not None:
        _check_extension(file_name)
    if data.startswith(ZIP_MAGIC):
        _check_zip(data)
        return "xlsx"
    if data.startswith(OLE2_MAGIC):
        _check_ole2(data)
        return "xls"
    raise FileRejected(_not_a_spreadsheet(data))


def _check_extension(file_name: str) -> None:
    suffix = PurePosixPath((file_name or "").replace("\\", "/")).suffix.lower()
    if suffix in (".xlsx", ".xls"):
        return
    if suffix in (".xlsm", ".xltm", ".xlam"):
        raise FileRejected(MACROS)
    shown = f"“{suffix}”" if suffix else "无扩展名的"
    raise FileRejected(
        f"不支持{shown}文件，只接收 Excel 文件（.xlsx 或 .xls）。"
        "请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（.xlsx）或 Excel 97-2003 工作簿（.xls）再上传。"
    )


def _not_a_spreadsheet(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").lower()
    if head.startswith(b"%pdf"):
        what = "PDF 文件"
    elif head.startswith((b"<", b"<\x00")) or b"<html" in head or b"<table" in head:
        what = "网页（HTML/XML）格式，常见于其他系统导出的“假 .xls”"
    elif b"\x00" not in head:
        what = "纯文本（如 CSV）"
    else:
        what = "无法识别的格式"
    return f"该文件不是真正的 Excel 工作簿（实际是{what}）。" + SAVE_AS


# --- .xlsx: the zip directory first, then the extent of the sheets ------------------------------


OTHER_ZIPS = [
    ("word/document.xml", "Word 文档"),
    ("ppt/presentation.xml", "PowerPoint 演示文稿"),
    ("content.xml", "OpenDocument（WPS/LibreOffice）文件"),
    ("xl/workbook.bin", "Excel 二进制工作簿（.xlsb）"),
]


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected(CORRUPT) from exc
    if len(members) > MAX_MEMBERS:
        raise FileRejected(f"压缩包内文件过多（{len(members)} 个），不是正常的 Excel 文件。")
    if any(m.flag_bits & 0x1 for m in members):
        raise FileRejected(ENCRYPTED)
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise FileRejected(
            f"文件解压后超过 {_mb(MAX_UNCOMPRESSED)} MB，可能是恶意构造的压缩文件（“压缩炸弹”），已拒绝。"
        )
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise FileRejected(
                f"文件中的“{m.filename}”压缩比异常（超过 {MAX_RATIO} 倍），"
                "可能是恶意构造的压缩文件（“压缩炸弹”），已拒绝。"
            )
    names = {m.filename.lower() for m in members}
    if any(PurePosixPath(n).name == "vbaproject.bin" for n in names):
        raise FileRejected(MACROS)
    if "xl/workbook.xml" in names:
        _check_xlsx_extent(archive, members)
        return
    what = next((what for part, what in OTHER_ZIPS if part in names), "普通压缩包")
    raise FileRejected(f"该文件不是 Excel 工作簿（实际是{what}）。" + SAVE_AS)


# --- .xls: read the OLE2 (compound file) directory --------------------------------------------

FREE, END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
ENCRYPTION_STREAMS = {"encryptioninfo", "encryptedpackage"}
FILEPASS, BOF = 0x002F, 0x0809


class _Corrupt(Exception):
    pass


class _Compound:
    """Just enough of MS-CFB (the OLE2 compound file) to list the streams and read one."""

    def __init__(self, data: bytes):
        if len(data) < 512:
            raise _Corrupt
        self.data = data
        (self.shift, mini_shift) = struct.unpack_from("<HH", data, 30)
        if self.shift not in (9, 12) or mini_shift != 6:
            raise _Corrupt
        self.size = 1 << self.shift
        first_dir, _, self.cutoff, first_minifat = struct.unpack_from("<IIII", data, 48)
        first_difat, n_difat = struct.unpack_from("<II", data, 68)
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < FREE - 1]
        sector, seen = first_difat, 0
        while sector < FREE - 1 and seen <= n_difat:
            entries = struct.unpack_from(f"<{self.size // 4}I", self._sector(sector))
            fat_sectors += [s for s in entries[:-1] if s < FREE - 1]
            sector, seen = entries[-1], seen + 1
        self.fat: list[int] = []
        for s in fat_sectors:
            self.fat += struct.unpack_from(f"<{self.size // 4}I", self._sector(s))
        directory = b"".join(self._sector(s) for s in self._chain(first_dir, self.fat))
        self.entries = []
        for offset in range(0, len(directory) - 127, 128):
            raw = directory[offset : offset + 128]
            length, kind = struct.unpack_from("<HB", raw, 64)
            if kind in (1, 2, 5) and 2 <= length <= 64:
                name = raw[: length - 2].decode("utf-16-le", "replace")
                start, size = struct.unpack_from("<IQ", raw, 116)
                self.entries.append((name, kind, start, size if self.shift == 12 else size & FREE))
        if not self.entries or self.entries[0][1] != 5:
            raise _Corrupt
        self.first_minifat = first_minifat

    def _sector(self, n: int) -> bytes:
        start = (n + 1) * self.size
        if n >= FREE - 1 or start + self.size > len(self.data):
            raise _Corrupt
        return self.data[start : start + self.size]

    def _chain(self, start: int, table: list[int]):
        for _ in range(len(table) + 1):  # longer than the table: a loop
            if start == END_OF_CHAIN:
                return
            if start >= len(table):
                raise _Corrupt
            yield start
            start = table[start]
        raise _Corrupt

    def stream(self, wanted: str, limit: int | None = None) -> bytes:
        """A stream's bytes (the first `limit` of them if given)."""
        name, _, start, size = next(e for e in self.entries if e[0].lower() == wanted)
        limit = size if limit is None else min(limit, size)
        out = bytearray()
        if size >= self.cutoff:
            for s in self._chain(start, self.fat):
                out += self._sector(s)
                if len(out) >= limit:
                    break
        else:  # a small stream lives in the mini stream, itself a chain of the root entry
            minifat: list[int] = []
            for s in self._chain(self.first_minifat, self.fat):
                minifat += struct.unpack_from(f"<{self.size // 4}I", self._sector(s))
            root = list(self._chain(self.entries[0][2], self.fat))
            per_sector = self.size // 64
            for mini in self._chain(start, minifat):
                sector, index = divmod(mini, per_sector)
                if sector >= len(root):
                    raise _Corrupt
                out += self._sector(root[sector])[index * 64 : index * 64 + 64]
                if len(out) >= limit:
                    break
        if len(out) < limit:
            raise _Corrupt
        return bytes(out[:limit])


def _check_ole2(data: bytes) -> None:
    try:
        compound = _Compound(data)
        names = {name.lower() for name, *_ in compound.entries}
        if names & ENCRYPTION_STREAMS:  # an encrypted .xlsx is an OLE2 container like this
            raise FileRejected(ENCRYPTED)
        book = "workbook" if "workbook" in names else "book" if "book" in names else None
        if book is None:
            what = "Word 文档（.doc）" if "worddocument" in names else "其他 Office 文件"
            raise FileRejected(f"该文件不是 Excel 工作簿（实际是{what}）。" + SAVE_AS)
        if _has_filepass(compound.stream(book, 512)):
            raise FileRejected(ENCRYPTED)
        _check_xls_extent(compound.stream(book))
    except (_Corrupt, struct.error, StopIteration) as exc:
        raise FileRejected(CORRUPT) from exc


def _has_filepass(stream: bytes) -> bool:
    """BIFF: FILEPASS follows the first BOF (after an optional WRITEPROTECT) when encrypted."""
    offset = 0
    for index in range(8):
        if offset + 4 > len(stream):
            return False
        record, length = struct.unpack_from("<HH", stream, offset)
        if index == 0 and record != BOF:
            raise _Corrupt
        if record == FILEPASS:
            return True
        offset += 4 + length
    return False


# --- how far the cells reach -------------------------------------------------------------------


def _too_large(rows: int, columns: int) -> None:
    if rows > MAX_ROWS or rows * columns > MAX_CELLS:
        raise FileRejected(
            f"工作表的数据区域过大：有内容的单元格远至第 {rows} 行、第 {columns} 列"
            f"（上限 {MAX_ROWS} 行、{MAX_CELLS} 个单元格）。"
            "请删除表格下方和右侧多余的内容（包括误填的远处单元格）后再上传。"
        )


# A cell holding something (not self-closing): <c r="B7" t="s"><v>3</v></c>.
_VALUE_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br=["\']([A-Z]{1,3})([0-9]{1,7})["\'][^>]*(?<!/)>')
# A cell without r="…": placed after the previous one (writers rarely do this).
_BARE_CELL = re.compile(rb"<(?:\w+:)?c(?:>|\s(?![^>]*\br=)[^>]*>)")
_ROW = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br=["\']([0-9]{1,7})["\']')
_CHUNK, _OVERLAP = 1 << 20, 256


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _largest(numbers) -> int:
    """The largest of some digit strings, without converting them all."""
    longest = max(map(len, numbers))
    return int(max(n for n in numbers if len(n) == longest))


# Every cell tag is `<c r="…"` (no prefix, none without its position), none beyond column Z
# or on a six-digit row: then the block cannot reach MAX_ROWS or MAX_CELLS (26 × 99 999 <
# MAX_CELLS), which byte counts show ten times faster than the regular expressions below.
_FAR_CELL = re.compile(rb'<c r="(?:[A-Z]{2}|[A-Z][0-9]{6})')


def _plainly_small(block: bytes) -> bool:
    # Every "<c" opens `<c r="` (so no bare, odd-spaced or other <c… tag: <col, <cfRule …
    # send their block down the thorough path), no prefixed tag, no single-quoted r: five
    # passes over the block, where one per odd spelling took thirteen.
    return (
        block.count(b"<c") == block.count(b'<c r="')
        and b":c" not in block
        and b"r='" not in block
        and not _FAR_CELL.search(block)
    )


def _check_xlsx_extent(archive: zipfile.ZipFile, members) -> None:
    """Stream every XML part (sizes already bounded) and find its farthest value cell."""
    for member in members:
        if not member.filename.lower().endswith(".xml"):
            continue
        rows = columns = bare = row_tags = last_tag = 0
        try:
            with archive.open(member) as stream:
                tail = b""
                while chunk := stream.read(_CHUNK):
                    block = tail + chunk
                    tail = block[-_OVERLAP:]
                    if _plainly_small(block):
                        continue
                    if found := _VALUE_CELL.findall(block):
                        rows = max(rows, _largest({r for _, r in found}))
                        columns = max(columns, max(map(_column_number, {c for c, _ in found})))
                    bare += len(_BARE_CELL.findall(block))
                    if tags := _ROW.findall(block):
                        row_tags += len(tags)
                        last_tag = max(last_tag, _largest(tags))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise FileRejected(CORRUPT) from exc
        if bare:  # positions implied by order: bounded by the counts
            rows, columns = max(rows, row_tags, last_tag), max(columns, bare)
        _too_large(rows, columns)


CELL_RECORDS = {0x0006, 0x00D6, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E}  # row, col first
MULRK, DIMENSIONS = 0x00BD, 0x0200


def _check_xls_extent(stream: bytes) -> None:
    """Walk the BIFF records: each sheet's farthest cell, and no DIMENSIONS record claiming
    more than BIFF8 can hold (calamine reserves memory for what it claims)."""
    rows = columns = offset = 0
    unpack, end = struct.unpack_from, len(stream) - 4
    while offset <= end:
        record, length = unpack("<HH", stream, offset)
        body, offset = offset + 4, offset + 4 + length
        if record in CELL_RECORDS and length >= 4:
            row, column = unpack("<HH", stream, body)
        elif record == MULRK and length >= 6:
            row, column = unpack("<H", stream, body)[0], unpack("<H", stream, offset - 2)[0]
        elif record == DIMENSIONS and length >= 14:
            first_row, last_row, first_col, last_col = unpack("<IIHH", stream, body)
            if last_row - first_row > 65536 or last_col - first_col > 256:
                raise FileRejected(CORRUPT)
            continue
        elif record == BOF:  # the next sheet
            _too_large(rows, columns)
            rows = columns = 0
            continue
        else:
            continue
        rows, columns = max(rows, row + 1), max(columns, column + 1)
    _too_large(rows, columns)
