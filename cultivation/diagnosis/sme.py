"""科技型中小企业评价自测 (《科技型中小企业评价办法》国科发政〔2017〕115号).

Judged on fiscal year ``eval_year − 1``. Pure functions only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from .common import (
    FIELD_LABELS,
    Condition,
    Diagnosis,
    FigureTable,
    Profile,
    ScorePart,
    Status,
    YearFigures,
    ceil_int,
    ceil_tenth,
    dec_str,
    dedupe,
    exact_part,
    failed,
    fmt_money,
    fmt_pct,
    missing_message,
    passed,
    ratio,
    score_totals,
    unknown,
    unknown_part,
)

STAFF_MAX = 500
SALES_MAX = Decimal(20000)
ASSETS_MAX = Decimal(20000)
SCORE_MIN = 60
ST_SHARE_FOR_POINTS = Decimal("0.10")  # the lowest share that scores (4 分)

ST_SHARE_BANDS = (("0.30", 20), ("0.25", 16), ("0.20", 12), ("0.15", 8), ("0.10", 4))
RD_SALES_BANDS = (("0.06", 50), ("0.05", 40), ("0.04", 30), ("0.03", 20), ("0.02", 10))
RD_COST_BANDS = (("0.30", 50), ("0.25", 40), ("0.20", 30), ("0.15", 20), ("0.10", 10))


def banded_points(value: Decimal, bands: Sequence[tuple[str, int]]) -> int:
    """Points of the first band whose lower bound (inclusive) ``value`` reaches, else 0."""
    for threshold, points in bands:
        if value >= Decimal(threshold):
            return points
    return 0


def ip_points(class1: int, class2: int) -> int:
    if class1 >= 1:
        return 30
    if class2 >= 4:
        return 24
    return max(class2, 0) * 6  # 3 → 18, 2 → 12, 1 → 6, 0 → 0


def score_meets(total: int, st_points: int) -> bool:
    """评价得分 ≥ 60 且科技人员指标得分不为 0."""
    return total >= SCORE_MIN and st_points > 0


# --------------------------------------------------------------------------- entry point


def diagnose_sme(profile: Profile, years: Iterable[YearFigures], *, eval_year: int) -> Diagnosis:
    """Self-check against the 科技型中小企业 conditions for evaluation year ``eval_year``."""
    if profile.is_valid_hte:
        direct = passed(
            "valid_hte",
            "有效期内高新技术企业",
            "持有有效期内的高新技术企业证书，可直接确认符合科技型中小企业条件",
        )
        return Diagnosis.build("sme", [direct], [])
    table = FigureTable(years)
    year = eval_year - 1
    parts = [st_staff_part(table, year), rd_part(table, year), ip_part(table, year)]
    conditions = [
        check_at_most(
            table, year, "staff_total", STAFF_MAX, "人", "staff_limit", "职工总数 ≤ 500 人"
        ),
        check_at_most(
            table, year, "sales_revenue", SALES_MAX, "万元", "sales_limit", "年销售收入 ≤ 2 亿元"
        ),
        check_at_most(
            table, year, "total_assets", ASSETS_MAX, "万元", "assets_limit", "资产总额 ≤ 2 亿元"
        ),
        sme_score_condition(parts),
    ]
    return Diagnosis.build("sme", conditions, parts)


# --------------------------------------------------------------------------- conditions


def check_at_most(
    table: FigureTable, year: int, name: str, limit: int | Decimal, unit: str, code: str, title: str
) -> Condition:
    values, missing = table.fetch([(year, name)])
    if missing:
        return unknown(code, title, missing)
    value = values[(year, name)]
    money = unit == "万元"
    numbers = {"year": year, name: dec_str(value) if money else value, "limit": str(limit)}

    def show(x: int | Decimal) -> str:
        return fmt_money(Decimal(x)) if money else f"{x} {unit}"

    text = f"{year}年{FIELD_LABELS[name]} {show(value)}，需 ≤ {show(limit)}"
    if value <= limit:
        return passed(code, title, text, numbers=numbers)
    excess = Decimal(value) - Decimal(limit)
    if money:
        excess = ceil_tenth(excess)  # one decimal, rounded up: "超出 0.1 万元"
    return failed(
        code,
        title,
        f"{text}，超出 {excess} {unit}",
        gap=excess,
        gap_unit=unit,
        relative_gap=excess / Decimal(limit),
        numbers=numbers,
    )


def sme_score_condition(parts: Sequence[ScorePart]) -> Condition:
    """评价得分 ≥ 60 and a non-zero 科技人员 score.

    Decided as soon as the known parts decide it: a zero S&T score, or a maximum
    below 60 (unknown parts at full marks), fails; a known minimum ≥ 60 with a non-zero
    S&T score passes; anything else with an unknown part is UNKNOWN.
    """
    code, title = "sme_score", "评价得分 ≥ 60 分且科技人员指标不为 0 分"
    low, high, total = score_totals(parts)
    st = next(p for p in parts if p.code == "st_staff")
    unknown_parts = [p for p in parts if not p.known]
    missing = dedupe(m for p in parts for m in p.missing)
    numbers = {"score": total, "score_low": low, "score_high": high, "st_points": st.estimate}
    breakdown = "、".join(f"{p.title} {p.estimate if p.known else '?'}" for p in parts)
    st_zero = st.known and st.estimate == 0

    if st_zero and not unknown_parts and total < SCORE_MIN:
        gap = SCORE_MIN - total
        text = (
            f"评价得分 {total} 分（{breakdown}），需 ≥ 60 分，还差 {gap} 分；且科技人员指标得分为 0"
        )
        return _fail(code, title, text, gap, "分", Decimal(gap) / SCORE_MIN, missing, numbers)
    if st_zero:
        share = st.numbers.get("share")
        gap_people = st.numbers.get("gap_people")
        text = "科技人员指标得分为 0（科技人员占比不足 10%），不符合评价条件"
        if share is not None:
            text = (
                f"科技人员占比 {fmt_pct(Decimal(share))}，指标得分为 0（需 ≥ 10%），不符合评价条件"
            )
        if gap_people is not None:
            text += f"，科技人员还差 {gap_people} 人"
            need = Decimal(str(st.numbers["need_people"]))
            relative = Decimal(gap_people) / need if need > 0 else Decimal(1)
            return _fail(code, title, text, int(gap_people), "人", relative, missing, numbers)
        return _fail(code, title, text, None, "", Decimal(1), missing, numbers)
    if high < SCORE_MIN:
        gap = SCORE_MIN - high
        if unknown_parts:
            text = f"评价得分最高仅 {high} 分（缺失项按满分计），需 ≥ 60 分，至少还差 {gap} 分"
        else:
            text = f"评价得分 {total} 分（{breakdown}），需 ≥ 60 分，还差 {gap} 分"
        return _fail(code, title, text, gap, "分", Decimal(gap) / SCORE_MIN, missing, numbers)
    if st.known and score_meets(low, st.estimate):
        shown = f"至少 {low}" if unknown_parts else f" {total}"
        return passed(
            code, title, f"评价得分{shown} 分（{breakdown}），需 ≥ 60 分", numbers=numbers
        )
    return Condition(
        code, title, Status.UNKNOWN, missing_message(missing), numbers=numbers, missing=missing
    )


def _fail(
    code: str,
    title: str,
    text: str,
    gap: int | None,
    unit: str,
    relative: Decimal,
    missing: list[str],
    numbers: dict,
) -> Condition:
    cond = failed(code, title, text, gap=gap, gap_unit=unit, relative_gap=relative, numbers=numbers)
    return replace(cond, missing=list(missing))


# --------------------------------------------------------------------------- score parts


def st_staff_part(table: FigureTable, year: int) -> ScorePart:
    code, title, max_points = "st_staff", "科技人员", 20
    values, missing = table.fetch([(year, "st_staff"), (year, "staff_total")])
    if missing:
        return unknown_part(code, title, max_points, missing)
    st, staff = values[(year, "st_staff")], values[(year, "staff_total")]
    if staff <= 0:
        return exact_part(
            code,
            title,
            0,
            max_points,
            f"{year}年职工总数为 {staff} 人，得 0 分",
            numbers={"st_staff": st},
        )
    share = ratio(st, staff)
    points = banded_points(share, ST_SHARE_BANDS)
    need = ST_SHARE_FOR_POINTS * staff
    numbers = {
        "st_staff": st,
        "staff_total": staff,
        "share": dec_str(share),
        "need_people": dec_str(need),
        "gap_people": ceil_int(need - st) if points == 0 else None,
    }
    note = f"{year}年科技人员占比 {fmt_pct(share)}（{st}/{staff} 人），得 {points} 分"
    return exact_part(code, title, points, max_points, note, numbers=numbers)


def rd_part(table: FigureTable, year: int) -> ScorePart:
    """研发投入: the higher of R&D ÷ sales and R&D ÷ total cost.

    A ratio with a zero denominator is skipped; one whose denominator is missing leaves
    the part undecided between the other ratio's points and full marks.
    """
    code, title, max_points = "rd", "研发投入", 50
    rd = table.get(year, "rd_expense")
    if rd is None:
        _, missing = table.fetch([(year, "rd_expense")])
        return unknown_part(code, title, max_points, missing)
    sales, cost = table.get(year, "sales_revenue"), table.get(year, "total_cost")
    numbers: dict = {
        "rd_expense": dec_str(rd),
        "sales_revenue": dec_str(sales),
        "total_cost": dec_str(cost),
    }
    options: list[tuple[int, str]] = []
    if sales is not None and sales > 0:
        share = ratio(rd, sales)
        points = banded_points(share, RD_SALES_BANDS)
        numbers["sales_ratio"], numbers["sales_points"] = dec_str(share), points
        options.append((points, f"占销售收入 {fmt_pct(share)} 得 {points} 分"))
    if cost is not None and cost > 0:
        share = ratio(rd, cost)
        points = banded_points(share, RD_COST_BANDS)
        numbers["cost_ratio"], numbers["cost_points"] = dec_str(share), points
        options.append((points, f"占成本费用总额 {fmt_pct(share)} 得 {points} 分"))
    _, missing = table.fetch([(year, "sales_revenue"), (year, "total_cost")])
    if not options:
        if missing:
            return unknown_part(code, title, max_points, missing)
        note = f"{year}年销售收入与成本费用总额均为 0，研发投入得 0 分"
        return exact_part(code, title, 0, max_points, note, numbers=numbers)
    points = max(p for p, _ in options)
    note = f"{year}年研发费用" + "、".join(text for _, text in options)
    if len(options) == 2:
        note += f"，取高者 {points} 分"
    if missing and points < max_points:
        # The other ratio is not zero but unknown: it might score higher.
        note += f"；缺少 {'、'.join(missing)}，得分可能更高"
        part = ScorePart(code, title, points, max_points, points, max_points, False, note)
        return replace(part, known=False, missing=missing, numbers=numbers)
    return exact_part(code, title, points, max_points, note, numbers=numbers)


def ip_part(table: FigureTable, year: int) -> ScorePart:
    code, title, max_points = "ip", "知识产权", 30
    class1, class2 = table.get(year, "ip_class1"), table.get(year, "ip_class2")
    if class1 is None or (class1 == 0 and class2 is None):
        _, missing = table.fetch([(year, "ip_class1"), (year, "ip_class2")])
        return unknown_part(code, title, max_points, missing)
    points = ip_points(class1, class2 or 0)
    held = f"Ⅰ类 {class1} 项" if class1 else f"Ⅱ类 {class2} 项"
    note = f"{year}年拥有{held}，得 {points} 分"
    numbers = {"ip_class1": class1, "ip_class2": class2}
    return exact_part(code, title, points, max_points, note, numbers=numbers)
