"""高新技术企业认定条件预诊断.

Rules: 《高新技术企业认定管理办法》(国科发火〔2016〕32号) art. 11 and
《高新技术企业认定管理工作指引》(国科发火〔2016〕195号). Pure functions only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from .common import (
    TECH_FIELDS,
    TENTH,
    Condition,
    Diagnosis,
    FigureTable,
    Profile,
    ScorePart,
    Status,
    YearFigures,
    band_part,
    dec_str,
    dedupe,
    exact_part,
    failed,
    fmt_money,
    fmt_pct,
    fmt_threshold,
    missing_message,
    passed,
    score_totals,
    share_condition,
    unknown,
    unknown_part,
)

ST_STAFF_MIN = Decimal("0.10")
DOMESTIC_RD_MIN = Decimal("0.60")
HIGHTECH_REVENUE_MIN = Decimal("0.60")
ZERO = Decimal(0)
SCORE_PASS_ABOVE = 70  # 创新能力评价得分须 > 70（即 ≥ 71）
NO_YEARS = "无法判断：申报年度前尚无会计年度"

#: Expert-judged IP items (技术先进程度 8 + 核心支持作用 8 + 获得方式 6 + 参与标准 2).
IP_EXPERT_MAX = 24
IP_EXPERT_ESTIMATE = IP_EXPERT_MAX // 2

#: (inclusive lower bound, band). Growth's last band (> 0 → 1–2) is checked separately.
GROWTH_BANDS = (("0.35", (9, 10)), ("0.25", (7, 8)), ("0.15", (5, 6)), ("0.05", (3, 4)))
ACHIEVEMENT_BANDS = ((5, (25, 30)), (4, (19, 24)), (3, (13, 18)), (2, (7, 12)), (1, (1, 6)))
IP_CLASS2_BANDS = ((5, (5, 6)), (3, (3, 4)), (1, (1, 2)))


def score_passes(total: int) -> bool:
    """创新能力评价须高于 70 分: 71 passes, 70 does not."""
    return total > SCORE_PASS_ABOVE


def rd_threshold(latest_sales: Decimal) -> Decimal:
    """研发费用占比标准 by the latest year's sales (万元): ≤5000 → 5%, ≤20000 → 4%, else 3%."""
    if latest_sales <= 5000:
        return Decimal("0.05")
    if latest_sales <= 20000:
        return Decimal("0.04")
    return Decimal("0.03")


def required_years(profile: Profile, apply_year: int) -> list[int]:
    """近三个会计年度 (Y-3…Y-1), without the years wholly before registration."""
    reg = profile.registered_on
    return [y for y in range(apply_year - 3, apply_year) if reg is None or reg.year <= y]


def one_year_after(day: date) -> date:
    """The same day a year later; 29 Feb → 28 Feb (期间无对应日的，以月末日为最后一日)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def growth_rate(x1: Decimal, x2: Decimal, x3: Decimal) -> Decimal | None:
    """½·(x₂/x₁ + x₃/x₂) − 1; None when a denominator is ≤ 0 (scores 0)."""
    if x1 <= 0 or x2 <= 0:
        return None
    return (x2 / x1 + x3 / x2) / 2 - 1


def growth_band(rate: Decimal) -> tuple[int, int]:
    for threshold, band in GROWTH_BANDS:
        if rate >= Decimal(threshold):
            return band
    return (1, 2) if rate > 0 else (0, 0)


def achievement_band(average: Decimal) -> tuple[int, int]:
    return next((band for least, band in ACHIEVEMENT_BANDS if average >= least), (0, 0))


def ip_quantity_band(class1: int, class2: int) -> tuple[int, int]:
    if class1 >= 1:
        return (7, 8)
    return next((band for least, band in IP_CLASS2_BANDS if class2 >= least), (0, 0))


# --------------------------------------------------------------------------- entry point


def diagnose_hte(
    profile: Profile, years: Iterable[YearFigures], *, apply_year: int, as_of: date
) -> Diagnosis:
    """Check an enterprise against the 高企 conditions for applying in ``apply_year``."""
    table = FigureTable(years)
    req = required_years(profile, apply_year)
    parts = innovation_parts(table, req)
    conditions = [
        check_registered(profile, as_of),
        check_core_ip(table, req),
        check_tech_field(profile),
        check_st_staff(table, req),
        check_rd_ratio(table, req),
        check_rd_domestic(table, req),
        check_hightech_revenue(table, req),
        innovation_score_condition(parts),
    ]
    return Diagnosis.build("hte", conditions, parts)


def _no_data(code: str, title: str) -> Condition:
    """Registered after the last required year: there is no fiscal year to judge."""
    return Condition(code, title, Status.UNKNOWN, NO_YEARS)


# --------------------------------------------------------------------------- conditions


def check_registered(profile: Profile, as_of: date) -> Condition:
    code, title = "registered", "注册成立一年以上"
    reg = profile.registered_on
    if reg is None:
        return unknown(code, title, ["注册日期"])
    anniversary = one_year_after(reg)
    numbers = {"registered_on": reg.isoformat(), "as_of": as_of.isoformat()}
    if anniversary <= as_of:
        return passed(code, title, f"注册于 {reg}，至 {as_of} 已满一年", numbers=numbers)
    days = (anniversary - as_of).days
    text = f"注册于 {reg}，至 {as_of} 未满一年，还差 {days} 天"
    return failed(
        code,
        title,
        text,
        gap=days,
        gap_unit="天",
        relative_gap=Decimal(days) / 365,
        numbers=numbers,
    )


def check_core_ip(table: FigureTable, req: Sequence[int]) -> Condition:
    code, title = "core_ip", "拥有核心自主知识产权"
    if not req:
        return _no_data(code, title)
    year = req[-1]
    class1, class2 = table.get(year, "ip_class1"), table.get(year, "ip_class2")
    numbers = {"year": year, "ip_class1": class1, "ip_class2": class2}
    total = (class1 or 0) + (class2 or 0)

    def count(n: int | None) -> str:
        return "未填" if n is None else f"{n} 项"

    detail = f"Ⅰ类 {count(class1)}、Ⅱ类 {count(class2)}"
    if total >= 1:
        return passed(code, title, f"{year}年拥有知识产权（{detail}）", numbers=numbers)
    if class1 is None or class2 is None:
        _, missing = table.fetch([(year, "ip_class1"), (year, "ip_class2")])
        return unknown(code, title, missing, numbers=numbers)
    text = f"{year}年无自主知识产权（{detail}），至少还需 1 项"
    return failed(code, title, text, gap=1, gap_unit="项", numbers=numbers)


def check_tech_field(profile: Profile) -> Condition:
    code, title = "tech_field", "属于国家重点支持的高新技术领域"
    tech = profile.tech_field
    if not tech:
        return unknown(code, title, ["技术领域"])
    if tech in TECH_FIELDS:
        return passed(code, title, f"技术领域：{TECH_FIELDS[tech]}", numbers={"tech_field": tech})
    return failed(
        code, title, f"技术领域“{tech}”不在八大高新技术领域内", numbers={"tech_field": tech}
    )


def _sums(
    table: FigureTable, years: Sequence[int], names: Sequence[str]
) -> tuple[dict[str, Decimal], list[str]]:
    """Each field summed over ``years``, or the labels of what is missing."""
    values, missing = table.fetch([(y, n) for y in years for n in names])
    if missing:
        return {}, missing
    totals = {}
    for n in names:  # a plain loop: this runs four times per enterprise diagnosed
        total = ZERO
        for y in years:
            total += values[(y, n)]
        totals[n] = total
    return totals, []


def check_st_staff(table: FigureTable, req: Sequence[int]) -> Condition:
    code, title = "st_staff", "科技人员占职工总数 ≥ 10%"
    if not req:
        return _no_data(code, title)
    year = req[-1]
    got, missing = _sums(table, [year], ["st_staff", "staff_total"])
    if missing:
        return unknown(code, title, missing)
    st, staff = int(got["st_staff"]), int(got["staff_total"])
    numbers = {"year": year, "st_staff": st, "staff_total": staff}
    if staff <= 0:
        text = f"{year}年职工总数为 {staff} 人，无法满足科技人员占比要求"
        return failed(code, title, text, numbers=numbers)
    label = f"{year}年科技人员占比"
    detail = f"（{st}/{staff} 人）"
    return share_condition(
        code, title, label, st, staff, ST_STAFF_MIN, unit="人", detail=detail, numbers=numbers
    )


def check_rd_ratio(table: FigureTable, req: Sequence[int]) -> Condition:
    code, title = "rd_ratio", "研发费用占销售收入比例"
    if not req:
        return _no_data(code, title)
    got, missing = _sums(table, req, ["rd_expense", "sales_revenue"])
    if missing:
        return unknown(code, title, missing)
    rd_sum, sales_sum = got["rd_expense"], got["sales_revenue"]
    latest_sales = table.get(req[-1], "sales_revenue")
    threshold = rd_threshold(latest_sales)
    numbers = {
        "first_year": req[0],
        "last_year": req[-1],
        "rd_sum": dec_str(rd_sum),
        "sales_sum": dec_str(sales_sum),
        "latest_sales": dec_str(latest_sales),
        "threshold": dec_str(threshold),
    }
    period = period_label(len(req))
    if sales_sum <= 0:
        text = f"{period}销售收入合计为 0，无法满足研发费用占比要求"
        return failed(code, title, text, numbers=numbers)
    basis = (
        f"（{req[-1]}年销售收入 {fmt_money(latest_sales)}，适用 {fmt_threshold(threshold)} 标准）"
    )
    label = f"{period}研发费用占比"
    return share_condition(
        code, title, label, rd_sum, sales_sum, threshold, basis=basis, numbers=numbers
    )


def check_rd_domestic(table: FigureTable, req: Sequence[int]) -> Condition:
    code, title = "rd_domestic", "境内研发费用占研发费用总额 ≥ 60%"
    if not req:
        return _no_data(code, title)
    got, missing = _sums(table, req, ["rd_expense", "rd_expense_domestic"])
    if missing:
        return unknown(code, title, missing)
    rd_sum, domestic_sum = got["rd_expense"], got["rd_expense_domestic"]
    numbers = {"rd_sum": dec_str(rd_sum), "domestic_sum": dec_str(domestic_sum)}
    period = period_label(len(req))
    if rd_sum <= 0:
        return failed(code, title, f"{period}研发费用合计为 0", numbers=numbers)
    label = f"{period}境内研发费用占比"
    return share_condition(
        code, title, label, domestic_sum, rd_sum, DOMESTIC_RD_MIN, numbers=numbers
    )


def check_hightech_revenue(table: FigureTable, req: Sequence[int]) -> Condition:
    code, title = "hightech_revenue", "高新技术产品（服务）收入占比 ≥ 60%"
    if not req:
        return _no_data(code, title)
    year = req[-1]
    got, missing = _sums(table, [year], ["hightech_revenue", "sales_revenue"])
    if missing:
        return unknown(code, title, missing)
    hightech, sales = got["hightech_revenue"], got["sales_revenue"]
    numbers = {"year": year, "hightech_revenue": dec_str(hightech), "sales_revenue": dec_str(sales)}
    if sales <= 0:
        text = f"{year}年销售收入为 0，无法满足高新技术产品（服务）收入占比要求"
        return failed(code, title, text, numbers=numbers)
    label = f"{year}年高新技术产品（服务）收入占比"
    return share_condition(
        code, title, label, hightech, sales, HIGHTECH_REVENUE_MIN, numbers=numbers
    )


def innovation_score_condition(parts: Sequence[ScorePart]) -> Condition:
    """创新能力评价 > 70 分, judged on the parts' range and, inside it, on the estimate.

    A certain FAIL (even scoring every unknown part at its maximum the total stays ≤ 70)
    is reported as FAIL; otherwise any unknown part makes the condition UNKNOWN.
    """
    code, title = "innovation_score", "企业创新能力评价 > 70 分"
    low, high, estimate = score_totals(parts)
    unknown_parts = [p for p in parts if not p.known]
    missing = dedupe(m for p in parts for m in p.missing)
    numbers = {"score_estimate": estimate, "score_low": low, "score_high": high}
    if unknown_parts and not score_passes(high):
        gap = SCORE_PASS_ABOVE + 1 - high
        text = f"创新能力得分最高仅 {high} 分（缺失项按满分计），需 > 70 分，至少还差 {gap} 分"
        return _score_fail(code, title, text, gap, missing, numbers)
    if score_passes(low):
        return passed(code, title, _score_text(parts, low, high, estimate), numbers=numbers)
    if unknown_parts:
        return Condition(
            code, title, Status.UNKNOWN, missing_message(missing), numbers=numbers, missing=missing
        )
    text = _score_text(parts, low, high, estimate)
    if score_passes(estimate):
        return passed(code, title, text, numbers=numbers)
    gap = SCORE_PASS_ABOVE + 1 - estimate
    return _score_fail(code, title, f"{text}，还差 {gap} 分", gap, [], numbers)


def _score_text(parts: Sequence[ScorePart], low: int, high: int, estimate: int) -> str:
    if any(p.estimated for p in parts) and low != high:
        return f"估算创新能力得分 {estimate} 分（其中专家评判部分为估算，可能范围 {low}–{high} 分），需 > 70 分"
    return f"创新能力得分 {estimate} 分，需 > 70 分"


def _score_fail(
    code: str, title: str, text: str, gap: int, missing: list[str], numbers: dict
) -> Condition:
    relative = Decimal(gap) / (SCORE_PASS_ABOVE + 1)
    cond = failed(code, title, text, gap=gap, gap_unit="分", relative_gap=relative, numbers=numbers)
    return replace(cond, missing=list(missing))


# --------------------------------------------------------------------------- score parts


def innovation_parts(table: FigureTable, req: Sequence[int]) -> list[ScorePart]:
    return [
        ip_part(table, req),
        achievements_part(table, req),
        rd_org_part(table, req),
        growth_part(table, req, "net_assets", "growth_net_assets", "企业成长性·净资产增长率"),
        growth_part(table, req, "sales_revenue", "growth_sales", "企业成长性·销售收入增长率"),
    ]


def ip_part(table: FigureTable, req: Sequence[int]) -> ScorePart:
    code, title, max_points = "ip", "知识产权", 30
    if not req:
        return unknown_part(code, title, max_points, [], NO_YEARS)
    year = req[-1]
    class1, class2 = table.get(year, "ip_class1"), table.get(year, "ip_class2")
    if class1 is None or (class1 == 0 and class2 is None):
        _, missing = table.fetch([(year, "ip_class1"), (year, "ip_class2")])
        return unknown_part(code, title, max_points, missing)
    numbers = {"year": year, "ip_class1": class1, "ip_class2": class2}
    class2 = class2 or 0  # only unknown when Class I already decides the band
    low, high = ip_quantity_band(class1, class2)
    if high == 0:
        return exact_part(code, title, 0, max_points, "无知识产权，得 0 分", numbers=numbers)
    held = f"Ⅰ类 {class1} 项" if class1 else f"Ⅱ类 {class2} 项"
    note = (
        f"数量 {low}–{high} 分（{held}）；技术先进程度、核心支持作用、获得方式、参与标准制定"
        f"为专家评判项（满分 {IP_EXPERT_MAX} 分），保守按一半估 {IP_EXPERT_ESTIMATE} 分"
    )
    # 参与标准 is a bonus item: the IP total never exceeds 30.
    estimate = min((low + high) // 2 + IP_EXPERT_ESTIMATE, max_points)
    top = min(high + IP_EXPERT_MAX, max_points)
    return ScorePart(code, title, low, top, estimate, max_points, True, note, numbers=numbers)


def achievements_part(table: FigureTable, req: Sequence[int]) -> ScorePart:
    code, title, max_points = "achievements", "科技成果转化能力", 30
    if not req:
        return unknown_part(code, title, max_points, [], NO_YEARS)
    values, missing = table.fetch([(y, "achievements") for y in req])
    if missing:
        return unknown_part(code, title, max_points, missing)
    total = sum(values.values())
    average = Decimal(total) / len(req)
    low, high = achievement_band(average)
    numbers = {"total": total, "years": len(req), "average": dec_str(average)}
    head = f"{period_label(len(req))}科技成果转化 {total} 项，年均 {average.quantize(TENTH)} 项"
    if high == 0:
        return exact_part(
            code, title, 0, max_points, f"{head}，不足 1 项，得 0 分", numbers=numbers
        )
    note = f"{head}，属 {low}–{high} 分档，档内由专家评判，按中值估 {(low + high) // 2} 分"
    return band_part(code, title, (low, high), max_points, note, numbers=numbers)


def rd_org_part(table: FigureTable, req: Sequence[int]) -> ScorePart:
    """研究开发组织管理水平 is wholly expert-judged: a rough guess from R&D inputs.

    10 when the latest year has R&D expense and S&T staff, 4 when it has neither or
    only one; unknown when either figure is missing (a gap is not a "no").
    """
    code, title, max_points = "rd_org", "研究开发组织管理水平", 20
    if not req:
        return unknown_part(code, title, max_points, [], NO_YEARS)
    got, missing = table.fetch([(req[-1], "rd_expense"), (req[-1], "st_staff")])
    if missing:
        return unknown_part(code, title, max_points, missing)
    active = all(value > 0 for value in got.values())
    guess = 10 if active else 4
    basis = "有研发投入和科技人员" if active else "缺少研发投入或科技人员"
    note = f"全部由专家评判，此处为估算：{basis}，估 {guess} 分（范围 0–{max_points} 分）"
    return ScorePart(code, title, 0, max_points, guess, max_points, True, note)


def growth_part(
    table: FigureTable, req: Sequence[int], name: str, code: str, title: str
) -> ScorePart:
    max_points = 10
    label = "净资产" if name == "net_assets" else "销售收入"
    if len(req) < 3:
        return exact_part(code, title, 0, max_points, f"经营不满三年，{label}增长率按 0 分计")
    values, missing = table.fetch([(y, name) for y in req])
    if missing:
        return unknown_part(code, title, max_points, missing)
    x1, x2, x3 = (values[(y, name)] for y in req)
    numbers = {"x1": dec_str(x1), "x2": dec_str(x2), "x3": dec_str(x3)}
    rate = growth_rate(x1, x2, x3)
    if rate is None:
        year = req[0] if x1 <= 0 else req[1]
        return exact_part(
            code, title, 0, max_points, f"{year}年{label} ≤ 0，增长率按 0 分计", numbers=numbers
        )
    numbers["rate"] = dec_str(rate)
    low, high = growth_band(rate)
    head = f"{label}增长率 {fmt_pct(rate)}"
    if high == 0:
        return exact_part(code, title, 0, max_points, f"{head}，未增长，得 0 分", numbers=numbers)
    note = f"{head}，属 {low}–{high} 分档，档内由专家评判，按中值向下取整估 {(low + high) // 2} 分"
    return band_part(code, title, (low, high), max_points, note, numbers=numbers)


def period_label(n_years: int) -> str:
    return {1: "近一年", 2: "近两年", 3: "近三年"}.get(n_years, f"近{n_years}年")
