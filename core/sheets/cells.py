"""Cell parsers: what town clerks type into Excel or WPS, read into Python values.

Every parser takes a raw cell as the reader gives it (str, int, float, bool, date, datetime
or None) and returns the value, or None for a blank cell. A value that cannot be read raises
`CellError`, whose message is for the user, in Chinese, and quotes what was typed; callers
add where it is (sheet, row, column: see problems.Problem).

One set of rules for every importer — the quarterly upload, the target table, the ladder
history and the admin's bulk import all read through these — so "１，２３４．５", "30万元",
"2019年3月5日" or a full-width code mean the same everywhere.
"""

import datetime
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl.utils.datetime import from_excel

MIN_YEAR, MAX_YEAR = 1900, 2100
# Excel serial numbers accepted as dates: 1950-01-01 … 2099-12-31 (a bare 2019 is no date).
MIN_SERIAL, MAX_SERIAL = 18264, 73050

MONEY_LIMIT = Decimal(10) ** 12  # numeric(14, 2): 12 integer digits
INT_LIMIT = 2_147_483_647
CENT = Decimal("0.01")
# Unit words clerks type after a number; only stripped where the column is in that unit
# (never "元": 30元 in a 万元 column is a different number, not a typing habit).
MONEY_UNITS = ("万元",)
COUNT_UNITS = ("人", "个", "项", "件", "家", "户", "名")
BLANK_MARKS = {"-", "--", "—", "——", "–", "/"}  # typed for "nothing" in a number column

TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "有"}
FALSE_WORDS = {"否", "N", "NO", "FALSE", "0", "×", "✗", "无"}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[ T]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR = re.compile(r"(\d{4})\s*(?:年度?)?(?:\.0+)?")
_CLEAN_CODE = re.compile(r"[0-9A-Z]{18}")
FAST_LIMIT = 1e11  # below it a float's cents are exact enough to round without Decimal


class CellError(ValueError):
    """A value that cannot be read; the message is for the user."""


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation → half-width; trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: Any) -> str:
    """How a raw value is quoted back in a message: as the user would see it in Excel."""
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d}" if value.time() == datetime.time() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text if len(text) <= 40 else text[:40] + "…"


# --- text ------------------------------------------------------------------------------------


def parse_text(value: Any) -> str:
    """Any cell as text: numbers without a spurious “.0”, dates as 2019-03-05, trimmed."""
    if is_blank(value):
        return ""
    if isinstance(value, str):
        return value.strip()
    return shown(value)


def text_key(value: Any) -> str:
    """How names are compared (units, enterprises): NFKC, no whitespace at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", parse_text(value)))


def normalise_code(raw: str) -> str:
    """A 统一社会信用代码 as typed → its normal form: NFKC, no spaces or dashes, upper-case."""
    if raw and _CLEAN_CODE.fullmatch(raw):
        return raw  # the usual case, 20k codes an upload
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").upper()


def _lost_digits(value: Any) -> bool:
    """Excel keeps 15 significant digits of a number: a longer code typed into a number cell
    has lost its last digits before the file was even saved."""
    return isinstance(value, float | int) and not isinstance(value, bool) and abs(value) >= 1e15


def parse_code(value: Any) -> str:
    """A code or number-like identifier (登记编号, 证书编号) as text."""
    if _lost_digits(value):
        raise CellError(
            f"编号被 Excel 存成了数字（{value:.6G}），后几位已丢失。"
            "请把该列设为“文本”格式后重新填写"
        )
    return parse_text(value)


def parse_uscc(value: Any) -> str:
    """The code in a cell, normalised (validity is enterprises.uscc's to judge)."""
    if _lost_digits(value):
        raise CellError(
            f"统一社会信用代码被 Excel 存成了数字（{value:.6G}），后几位已丢失。"
            "请把该列设为“文本”格式后重新填写"
        )
    return normalise_code(parse_text(value))


# --- numbers ---------------------------------------------------------------------------------


def parse_number(
    value: Any,
    *,
    integer: bool = False,
    places: int | None = None,
    units: tuple[str, ...] = (),
    negative: bool = True,
    limit: Decimal | int | None = None,
) -> Decimal | int | None:
    """1234.5, "1,234.5", "１２３", "  12 ", "30万元" (with units=("万元",)); "—", "-" and ""
    are blank. `integer`: must be whole, returns int. `places`: rounded half-up to that many
    decimals (computed amounts in Excel carry binary noise); None keeps the number exact."""
    if is_blank(value):
        return None
    number = _decimal(value, units)
    if number is None:
        return None
    if not negative and number < 0:
        raise CellError(f"不能为负数（{shown(value)}）")
    if integer:
        if number != number.to_integral_value():
            raise CellError(f"“{shown(value)}”不是整数，应填写整数")
        if abs(number) > (limit if limit is not None else INT_LIMIT):
            raise CellError(f"“{shown(value)}”数值过大")
        return int(number)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if limit is not None and abs(number) >= limit:
        hint = "（单位为万元，请核对）" if "万元" in units else ""
        raise CellError(f"“{shown(value)}”数值过大{hint}")
    return number


def _decimal(value: Any, units: tuple[str, ...]) -> Decimal | None:
    if type(value) is float and math.isfinite(value):
        return Decimal(repr(round(value, 6)))  # what calamine mostly gives; drop formula noise
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        what = "日期" if isinstance(value, datetime.date | datetime.time) else "非数字内容"
        raise CellError(f"“{shown(value)}”是{what}，应填写数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise CellError(f"“{shown(value)}”不是有效的数字")
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    if text in BLANK_MARKS:
        return None
    for unit in units:
        text = text.removesuffix(unit)
    if "," in text and _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise CellError(f"“{shown(value)}”不是有效的数字")
    return Decimal(text)


def parse_money(value: Any, *, negative: bool = True) -> Decimal | None:
    """An amount in 万元: two places, at most 12 integer digits."""
    number = parse_number(value, places=2, units=MONEY_UNITS, negative=negative, limit=MONEY_LIMIT)
    return number if number is None else Decimal(number)


def parse_count(value: Any, *, negative: bool = True) -> int | None:
    """A whole number of people, items, enterprises ("12人", "3项" are fine)."""
    number = parse_number(value, integer=True, units=COUNT_UNITS, negative=negative)
    return number if number is None else int(number)


def number_text(value: Decimal | int | None) -> str | None:
    """How a number is staged, shown and compared: "12", "1234.50", never "-0.00"."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value.quantize(CENT) or Decimal('0.00'):f}"
    return str(value)


def canonical_number(value: Any, *, integer: bool, negative: bool = True) -> str | None:
    """number_text(parse_count | parse_money) — with a fast path for the usual cell, a plain
    float, that builds no Decimal (100 000 cells in a 20k-row upload)."""
    text = _float_text(value, integer) if type(value) is float else None
    if text is None:
        number = parse_count(value) if integer else parse_money(value)
        text = number_text(number)
    if not negative and text is not None and text.startswith("-"):
        raise CellError(f"不能为负数（{shown(value)}）")
    return text


_MISS = object()  # a cell the column-wise fast path leaves to the per-cell parser


def canonical_column(
    values: Sequence[Any], *, integer: bool, negative: bool = True
) -> tuple[list[str | None], dict[int, CellError]]:
    """canonical_number over a whole column at once: (texts, errors by index), a failed cell's
    text None. Exactly canonical_number's results and messages; the usual cells — plain floats
    in range and empty cells — are done in one comprehension without a call per cell beyond
    the formatting (a 20k-row upload has 100 000 of them), the rest cell by cell."""
    limit = FAST_LIMIT
    low = -limit if negative else 0.0  # -0.0 is fine either way: it reads "0" / "0.00"
    if integer:
        texts = [
            (str(int(v)) if v.is_integer() else _MISS)
            if type(v) is float and low <= v < limit
            else (None if v == "" else _MISS)
            for v in values
        ]
    else:
        texts = [
            _float_text(v, False)
            if type(v) is float and low <= v < limit
            else (None if v == "" else _MISS)
            for v in values
        ]
    errors: dict[int, CellError] = {}
    if _MISS in texts:
        for i, text in enumerate(texts):
            if text is _MISS:
                try:
                    texts[i] = canonical_number(values[i], integer=integer, negative=negative)
                except CellError as exc:
                    texts[i], errors[i] = None, exc
    return texts, errors  # type: ignore[return-value]  # no _MISS is left


def code_column(values: Sequence[Any]) -> tuple[list[str], dict[int, CellError]]:
    """parse_uscc over a whole column: (codes, errors by index), a failed cell's code ""."""
    clean = _CLEAN_CODE.fullmatch
    codes: list[Any] = [v if type(v) is str and clean(v) else _MISS for v in values]
    errors: dict[int, CellError] = {}
    if _MISS in codes:
        for i, code in enumerate(codes):
            if code is _MISS:
                try:
                    codes[i] = parse_uscc(values[i])
                except CellError as exc:
                    codes[i], errors[i] = "", exc
    return codes, errors


def text_column(values: Sequence[Any]) -> list[str]:
    """parse_text over a whole column."""
    return [v.strip() if type(v) is str else parse_text(v) for v in values]


def _float_text(value: float, integer: bool) -> str | None:
    """None leaves the value to the full parser (big, odd or non-finite floats)."""
    if not abs(value) < FAST_LIMIT:  # also NaN and infinities
        return None
    if integer:
        return str(int(value)) if value.is_integer() else None
    if not value:
        return "0.00"  # and never "-0.00"
    typed = repr(value)  # what was typed, usually: "15080.79", "225.0"
    places = len(typed) - typed.find(".") - 1
    if places <= 2 and "e" not in typed:
        return typed + "0" * (2 - places)
    cents = math.floor(abs(round(value * 100, 4)) + 0.5)  # ROUND_HALF_UP of the decimal shown
    sign = "-" if value < 0 and cents else ""
    return f"{sign}{cents // 100}.{cents % 100:02d}"


# --- dates, years, yes/no, choices --------------------------------------------------------------


def parse_date(value: Any) -> datetime.date | None:
    """A real Excel date, 2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日, 20190305, or a serial."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    found = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if MIN_SERIAL <= value <= MAX_SERIAL:
            serial = from_excel(value)
            return serial.date() if isinstance(serial, datetime.datetime) else None
        found = _COMPACT_DATE.fullmatch(shown(value))
    elif isinstance(value, str):
        text = nfkc(value)
        found = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if found:
        try:
            day: datetime.date | None = datetime.date(*(int(part) for part in found.groups()))
        except ValueError:
            day = None
        if day and MIN_YEAR <= day.year <= MAX_YEAR:
            return day
    raise CellError(f"“{shown(value)}”不是有效的日期（可填 2019-03-05、2019/3/5 或 2019年3月5日）")


def parse_year(value: Any) -> int | None:
    """2019, "2019", "2019年", "2019年度"."""
    if is_blank(value):
        return None
    year = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        year = int(value) if float(value).is_integer() else None
    elif isinstance(value, str) and (found := _YEAR.fullmatch(nfkc(value))):
        year = int(found.group(1))
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(f"“{shown(value)}”不是有效的年份")
    return year


def parse_bool(value: Any) -> bool | None:
    """是/否 (also Y/N, TRUE/FALSE, 1/0, √/×); blank → None, so the caller's default applies."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    word = nfkc(shown(value)).upper()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"“{shown(value)}”无效，请填写“是”或“否”")


def _choice_key(text: str) -> str:
    """Tolerate spaces, full-width forms and the kind of quotes around 小巨人."""
    return re.sub(r"[\s\"'“”‘’「」]", "", nfkc(text))


def parse_choice(value: Any, labels: Mapping[str, Any]) -> Any:
    """One of the labels shown in the dropdown (label → stored value)."""
    if is_blank(value):
        return None
    wanted = _choice_key(shown(value))
    for label, stored in labels.items():
        if _choice_key(label) == wanted:
            return stored
    raise CellError(f"“{shown(value)}”不是有效的选项，可选：{'、'.join(labels)}")
