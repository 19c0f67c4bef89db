"""提醒: values that may be right but rarely are, shown in the preview for the uploader to
confirm (and the reviewer to see) — never refusals, as DHIS2's outlier and validation-rule
checks. Hard rules (科技人员数 ≤ 职工总数 …) are validation.py's, and do refuse.

A value is compared with the enterprise's last approved one: this year's, which is the previous
quarter's 本年累计 for the flow figures (revenue, R&D …); or, in a year's first upload, last
year's. Small figures (both under MIN_SIZE) are left alone: 2 → 7 staff is no outlier.
"""

from dataclasses import dataclass
from decimal import Decimal

from ..columns import BY_CODE

# Year-to-date (本年累计) figures: they only grow through the year.
FLOW = {"sales_revenue", "rd_expense", "rd_expense_domestic", "hightech_revenue", "total_cost"}
STAFF = "staff_total"
STAFF_SHARE = 0.5  # staff changing by more than half
MIN_SIZE = 10
# (part, whole): the part above the whole is possible (a loss-making year of heavy R&D) but rare.
ABOVE_REVENUE = [("rd_expense", "sales_revenue"), ("hightech_revenue", "sales_revenue")]


@dataclass(frozen=True)
class Known:
    """The registry's approved values of one enterprise: this year's and last year's."""

    this_year: dict[str, str | None]
    last_year: dict[str, str | None]
    year: int


NUMERIC = {c.code for c in BY_CODE.values() if c.kind in ("int", "money")}


def row_alerts(values: dict[str, str | None], known: Known, factor: float) -> list[tuple[str, str]]:
    """(column code, message) for each 提醒 on one row; `values` are the file's canonical texts.
    Runs on every accepted row (20 000 in a big town's file): floats, not Decimals — canonical
    texts under 10¹² with 2 places compare exactly as floats — and a value as approved is
    skipped at once."""
    found = []
    for code, text in values.items():
        approved = known.this_year.get(code)
        if text is None or text == approved or code not in NUMERIC:
            continue
        if message := _against_approved(code, text, approved, known, factor):
            found.append((code, message))
    found += _above_revenue(values, known)
    return found


def _against_approved(
    code: str, text: str, approved: str | None, known: Known, factor: float
) -> str | None:
    same_year = approved is not None
    reference = approved if same_year else known.last_year.get(code)
    if reference is None:
        return None
    new, old = float(text), float(reference)
    # The words are made only for a 提醒 (a few rows in a file), not for every value compared.
    if code in FLOW and same_year and new < old:
        template = "{label}为 {new}，低于{when} {old}：本年累计数一般不会减少，请核对"
    elif max(new, old) < MIN_SIZE or old <= 0:
        return None
    elif code == STAFF and abs(new - old) > old * STAFF_SHARE:
        template = "{label}由{when} {old} 变为 {new}，变化超过一半，请核对"
    elif new > old * factor:
        template = f"{{label}}为 {{new}}，是{{when}} {{old}} 的 {new / old:.1f} 倍，请核对"
    # A year's first quarter is a fraction of last year's whole: only the same year's is low.
    elif new * factor < old and (same_year or code not in FLOW):
        template = f"{{label}}为 {{new}}，不到{{when}} {{old}} 的 1/{_shown(factor)}，请核对"
    else:
        return None
    when = "本年已审核值" if same_year else f"{known.year - 1}年已审核值"
    return template.format(label=_label(code), new=_shown(text), old=_shown(reference), when=when)


def _above_revenue(values: dict[str, str | None], known: Known) -> list[tuple[str, str]]:
    """R&D or 高新技术产品收入 above revenue: the file's values, or the registry's for this year
    where the template has no such column — unless both are as already approved."""
    found = []
    for part, whole in ABOVE_REVENUE:
        if part not in values and whole not in values:
            continue
        a = values[part] if part in values else known.this_year.get(part)
        b = values[whole] if whole in values else known.this_year.get(whole)
        if a is None or b is None or float(a) <= float(b):
            continue
        if (a, b) == (known.this_year.get(part), known.this_year.get(whole)):
            continue  # approved as such already: no news in this upload
        code = part if part in values else whole
        message = f"{_label(part)}（{_shown(a)}）大于{_label(whole)}（{_shown(b)}），请核对"
        found.append((code, message))
    return found


def _label(code: str) -> str:
    return BY_CODE[code].header.removesuffix("（万元）")


def _shown(number: str | float) -> str:
    """1500.00 → 1500, 45.50 → 45.5, 3.0 → 3."""
    text = number if isinstance(number, str) else format(Decimal(str(number)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
