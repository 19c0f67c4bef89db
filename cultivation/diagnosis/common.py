"""Inputs, result types and formatting shared by the pre-diagnosis (预诊断) checks.

Everything here is pure: plain dataclasses and ``decimal.Decimal``, no Django, no database.
Money is in 万元 throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

JSONScalar = str | int | float | None

#: The 8 国家重点支持的高新技术领域 (国科发火〔2016〕32号 附件): code → label.
TECH_FIELDS: dict[str, str] = {
    "electronics": "电子信息",
    "biomedicine": "生物与新医药",
    "aerospace": "航空航天",
    "materials": "新材料",
    "services": "高技术服务",
    "energy": "新能源与节能",
    "environment": "资源与环境",
    "manufacturing": "先进制造与自动化",
}

#: YearFigures field → the Chinese name used in messages ("缺少 2018年销售收入").
FIELD_LABELS: dict[str, str] = {
    "staff_total": "职工总数",
    "st_staff": "科技人员数",
    "sales_revenue": "销售收入",
    "rd_expense": "研发费用",
    "rd_expense_domestic": "境内研发费用",
    "hightech_revenue": "高新技术产品（服务）收入",
    "net_assets": "净资产",
    "total_assets": "资产总额",
    "total_cost": "成本费用总额",
    "ip_class1": "Ⅰ类知识产权数",
    "ip_class2": "Ⅱ类知识产权数",
    "achievements": "科技成果转化数",
}

MONEY_FIELDS = frozenset(FIELD_LABELS) - {
    "staff_total", "st_staff", "ip_class1", "ip_class2", "achievements"
}  # fmt: skip

KIND_LABELS = {"hte": "高新技术企业认定条件", "sme": "科技型中小企业评价条件"}


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {Status.PASS: "符合", Status.FAIL: "不符合", Status.UNKNOWN: "无法判断"}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class YearFigures:
    """One fiscal year's indicators; every field may be None (= unknown, never zero)."""

    year: int
    staff_total: int | None = None
    st_staff: int | None = None
    sales_revenue: Decimal | None = None
    rd_expense: Decimal | None = None
    rd_expense_domestic: Decimal | None = None
    hightech_revenue: Decimal | None = None
    net_assets: Decimal | None = None
    total_assets: Decimal | None = None
    total_cost: Decimal | None = None
    ip_class1: int | None = None
    ip_class2: int | None = None
    achievements: int | None = None


@dataclass(frozen=True)
class Profile:
    registered_on: date | None
    tech_field: str  # a TECH_FIELDS code, or "" if unknown
    is_valid_hte: bool = False


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Condition:
    """One certification condition and how the enterprise stands against it."""

    code: str
    title: str
    status: Status
    message: str
    gap: Decimal | None = None  # how far from passing, in gap_unit; None unless failing
    gap_unit: str = ""
    numbers: Mapping[str, JSONScalar] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    relative_gap: Decimal | None = None  # gap ÷ requirement, used to rank closeness

    def as_dict(self) -> dict[str, Any]:
        data = jsonable(vars(self))
        del data["relative_gap"]
        data["status_label"] = self.status.label
        return data


@dataclass(frozen=True)
class ScorePart:
    """One scored item. An unknown part (known=False) spans 0…max_points, estimate 0."""

    code: str
    title: str
    low: int
    high: int
    estimate: int
    max_points: int
    estimated: bool  # True when expert-judged points had to be guessed
    note: str
    known: bool = True
    missing: list[str] = field(default_factory=list)
    numbers: Mapping[str, JSONScalar] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return jsonable(vars(self))


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # "hte" or "sme"
    verdict: Status
    conditions: list[Condition]
    score_parts: list[ScorePart]
    score_estimate: int
    score_low: int
    score_high: int
    missing: list[str]

    @classmethod
    def build(cls, kind: str, conditions: list[Condition], parts: list[ScorePart]) -> Diagnosis:
        statuses = {c.status for c in conditions}
        if Status.FAIL in statuses:
            verdict = Status.FAIL
        elif Status.UNKNOWN in statuses or not conditions:
            verdict = Status.UNKNOWN
        else:
            verdict = Status.PASS
        low, high, estimate = score_totals(parts)
        missing = dedupe(
            [m for c in conditions for m in c.missing] + [m for p in parts for m in p.missing]
        )
        return cls(kind, verdict, conditions, parts, estimate, low, high, missing)

    @property
    def failing(self) -> list[Condition]:
        return [c for c in self.conditions if c.status is Status.FAIL]

    @property
    def unknown(self) -> list[Condition]:
        return [c for c in self.conditions if c.status is Status.UNKNOWN]

    @property
    def undecided(self) -> bool:
        """Nothing fails but something cannot be judged (data missing): not "closest to
        passing" — it may be far from it — so rankings list it in a group of its own."""
        return self.verdict is Status.UNKNOWN

    @property
    def gaps(self) -> Decimal:
        """Σ relative gaps of the failing conditions (a gap that cannot be measured counts 1)."""
        return sum((c.relative_gap or Decimal(1) for c in self.failing), Decimal(0))

    @property
    def closeness(self) -> tuple[bool, int, int, Decimal]:
        """Sort key, smaller = closer to passing: judged first, then (#failing, #unknown,
        Σ relative gaps)."""
        return (self.undecided, len(self.failing), len(self.unknown), self.gaps)

    def condition(self, code: str) -> Condition:
        for c in self.conditions:
            if c.code == code:
                return c
        raise KeyError(code)

    def part(self, code: str) -> ScorePart:
        for p in self.score_parts:
            if p.code == code:
                return p
        raise KeyError(code)

    def summary(self) -> str:
        """One line, e.g. "不符合：2 项不符合，1 项无法判断"."""
        if self.verdict is Status.PASS:
            return f"{self.verdict.label}：全部 {len(self.conditions)} 项条件符合"
        bits = []
        if self.failing:
            bits.append(f"{len(self.failing)} 项不符合")
        if self.unknown:
            bits.append(f"{len(self.unknown)} 项无法判断")
        return f"{self.verdict.label}：" + "，".join(bits)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; Decimals are strings, statuses are codes plus labels."""
        data = jsonable(vars(self))  # conditions and parts: see their own as_dict
        data.update(
            kind_label=KIND_LABELS.get(self.kind, self.kind),
            verdict_label=self.verdict.label,
            summary=self.summary(),
            closeness=jsonable(list(self.closeness)),
        )
        return data


# --------------------------------------------------------------------------- data access


class FigureTable:
    """The enterprise's years, indexed by year; lookups report what is missing.

    Hot: every check reads through it, tens of times per enterprise, for whole districts.
    Each year is kept as its dataclass's field dict, so a lookup is two dict reads.
    """

    __slots__ = ("_by_year",)

    def __init__(self, years: Iterable[YearFigures]):
        self._by_year: dict[int, dict[str, Any]] = {}
        for figures in years:
            if figures.year in self._by_year:
                raise ValueError(f"重复的年度数据：{figures.year}年")
            self._by_year[figures.year] = vars(figures)

    def get(self, year: int, name: str) -> Any:
        figures = self._by_year.get(year)
        value = None if figures is None else figures[name]
        if value is None or isinstance(value, Decimal) or name not in MONEY_FIELDS:
            return value
        return Decimal(str(value) if isinstance(value, float) else value)

    def fetch(
        self, wanted: Iterable[tuple[int, str]]
    ) -> tuple[dict[tuple[int, str], Any], list[str]]:
        """Values for each (year, field) found, and the labels of those missing."""
        values: dict[tuple[int, str], Any] = {}
        missing: list[str] = []
        get = self.get
        for key in wanted:
            value = get(*key)
            if value is None:
                missing.append(f"{key[0]}年{FIELD_LABELS[key[1]]}")
            else:
                values[key] = value
        return values, missing


# --------------------------------------------------------------------------- constructors


def passed(
    code: str, title: str, message: str, numbers: Mapping[str, JSONScalar] | None = None
) -> Condition:
    return Condition(code, title, Status.PASS, message, numbers=dict(numbers or {}))


def failed(
    code: str,
    title: str,
    message: str,
    *,
    gap: Decimal | int | None = None,
    gap_unit: str = "",
    relative_gap: Decimal | None = None,
    numbers: Mapping[str, JSONScalar] | None = None,
) -> Condition:
    return Condition(
        code,
        title,
        Status.FAIL,
        message,
        None if gap is None else Decimal(gap),
        gap_unit,
        dict(numbers or {}),
        [],
        Decimal(1) if relative_gap is None else relative_gap,
    )


def unknown(
    code: str,
    title: str,
    missing: Sequence[str],
    numbers: Mapping[str, JSONScalar] | None = None,
) -> Condition:
    message = missing_message(missing)
    return Condition(
        code, title, Status.UNKNOWN, message, numbers=dict(numbers or {}), missing=list(missing)
    )


def missing_message(missing: Sequence[str]) -> str:
    return "无法判断：缺少 " + "、".join(missing) if missing else "无法判断：缺少数据"


def unknown_part(
    code: str, title: str, max_points: int, missing: Sequence[str], note: str = ""
) -> ScorePart:
    note = note or missing_message(missing)
    return ScorePart(code, title, 0, max_points, 0, max_points, False, note, False, list(missing))


def share_condition(
    code: str,
    title: str,
    label: str,
    part: Decimal | int,
    whole: Decimal | int,
    minimum: Decimal,
    *,
    unit: str = "万元",
    detail: str = "",
    basis: str = "",
    numbers: Mapping[str, JSONScalar] | None = None,
) -> Condition:
    """PASS when part ÷ whole ≥ minimum (whole > 0); else FAIL, short of minimum·whole − part.

    Message: "{label} {pct}{detail}，需 ≥ {minimum}[，还差 {gap}]{basis}"; the gap is rounded
    up (to 0.1 万元, or to a whole 人) so closing it really is enough.
    """
    share = ratio(part, whole)
    numbers = {**(numbers or {}), "ratio": dec_str(share)}
    text = f"{label} {fmt_pct(share)}{detail}，需 ≥ {fmt_threshold(minimum)}"
    if share >= minimum:
        return passed(code, title, text + basis, numbers)
    need = minimum * whole
    if unit == "人":
        gap = Decimal(ceil_int(need - part))
        short = f"科技人员还差 {gap} 人"
    else:
        gap = ceil_tenth(need - part)
        short = f"还差 {gap} {unit}"
    message = f"{text}，{short}{basis}"
    return failed(
        code, title, message, gap=gap, gap_unit=unit, relative_gap=gap / need, numbers=numbers
    )


def score_totals(parts: Iterable[ScorePart]) -> tuple[int, int, int]:
    """(low, high, estimate) summed over the parts."""
    parts = list(parts)
    return sum(p.low for p in parts), sum(p.high for p in parts), sum(p.estimate for p in parts)


# --------------------------------------------------------------------------- numbers

TENTH = Decimal("0.1")


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """part ÷ whole; the caller guarantees whole > 0."""
    return Decimal(part) / Decimal(whole)


def ceil_tenth(value: Decimal) -> Decimal:
    """Round a shortfall up to 0.1, so closing the stated gap really is enough."""
    return value.quantize(TENTH, rounding=ROUND_CEILING)


def ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def fmt_pct(value: Decimal) -> str:
    """A ratio as a percentage with one decimal, rounded down ("3.2%").

    Rounding down means a value just under a threshold never displays as the threshold
    (4.99 % shows as 4.9 %, not 5.0 %).
    """
    return f"{(value * 100).quantize(TENTH, rounding=ROUND_FLOOR)}%"


def fmt_threshold(value: Decimal) -> str:
    """A threshold ratio as a short percentage ("5%", "60%", "10%")."""
    return f"{plain(value * 100)}%"


def plain(value: Decimal | int) -> str:
    """A number as entered, without exponent or trailing zeros ("20000.01", "5000")."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def fmt_money(value: Decimal) -> str:
    return f"{plain(value)} 万元"


def dec_str(value: Decimal | None, places: int = 6) -> str | None:
    """JSON form of a Decimal: "676.0", "0.05" — no exponent, at most ``places`` decimals."""
    if value is None:
        return None
    text = format(value, "f")  # a finite Decimal shows exactly -exponent decimals here
    point = text.find(".")
    if point >= 0 and len(text) - point - 1 > places:
        value = value.quantize(_STEPS.get(places) or Decimal(1).scaleb(-places), ROUND_FLOOR)
        text = format(value, "f")
    return text


_STEPS = {6: Decimal("0.000001")}


def jsonable(value: Any) -> Any:
    """Decimals → plain strings, statuses → codes, containers recursively."""
    if isinstance(value, Status):
        return value.value
    if isinstance(value, Decimal):
        return dec_str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Condition | ScorePart):
        return value.as_dict()
    return value


def dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def band_part(
    code: str,
    title: str,
    band: tuple[int, int],
    max_points: int,
    note: str,
    numbers: Mapping[str, JSONScalar] | None = None,
) -> ScorePart:
    """A part whose band is objective but whose place in the band is expert-judged.

    The estimate is the band's midpoint rounded down (9–10 → 9, 25–30 → 27).
    """
    (low, high), estimated = band, band[1] > band[0]
    return ScorePart(
        code,
        title,
        low,
        high,
        (low + high) // 2,
        max_points,
        estimated,
        note,
        numbers=dict(numbers or {}),
    )


def exact_part(
    code: str,
    title: str,
    points: int,
    max_points: int,
    note: str,
    numbers: Mapping[str, JSONScalar] | None = None,
) -> ScorePart:
    return ScorePart(
        code, title, points, points, points, max_points, False, note, numbers=dict(numbers or {})
    )
