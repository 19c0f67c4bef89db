"""Pre-diagnosis (预诊断): the 高企 and 科小 checks, at every band edge.

Pure functions: no database, no Django.
"""

import json
from datetime import date
from decimal import Decimal as D

import pytest

from cultivation.diagnosis import (
    TECH_FIELDS,
    Diagnosis,
    Profile,
    ScorePart,
    Status,
    YearFigures,
    diagnose_hte,
    diagnose_sme,
    growth_rate,
    innovation_score_condition,
    rd_threshold,
    required_years,
    score_meets,
    score_passes,
    sme_score_condition,
)

APPLY = 2019
AS_OF = date(2019, 6, 1)
OLD = Profile(registered_on=date(2010, 1, 1), tech_field="electronics")

# A healthy applicant: sales and net assets grow 40 % a year, R&D is 6 % of sales.
BASE = {
    2016: {"sales_revenue": D(1000), "rd_expense": D(60), "net_assets": D(1000)},
    2017: {"sales_revenue": D(1400), "rd_expense": D(84), "net_assets": D(1400)},
    2018: {"sales_revenue": D(1960), "rd_expense": D("117.6"), "net_assets": D(1960)},
}
COMMON = {
    "staff_total": 100,
    "st_staff": 20,
    "total_assets": D(5000),
    "total_cost": D(800),
    "ip_class1": 1,
    "ip_class2": 0,
    "achievements": 5,
}


def make_years(changes=None, *, each=None, drop=(), years=(2016, 2017, 2018)):
    """The healthy years; ``each`` overrides every year, ``changes`` one year's fields."""
    result = []
    for y in years:
        if y in drop:
            continue
        fields = {**COMMON, **BASE[y], **(each or {}), **(changes or {}).get(y, {})}
        # Unless given: all R&D in China, 80 % of sales from high-tech products.
        fields.setdefault("rd_expense_domestic", fields["rd_expense"])
        if "hightech_revenue" not in fields and fields["sales_revenue"] is not None:
            fields["hightech_revenue"] = fields["sales_revenue"] * D("0.8")
        result.append(YearFigures(y, **fields))
    return result


def flat(**fields):
    """The healthy years with the given fields set alike in all three."""
    return make_years(each=fields)


def hte(years=None, profile=OLD, *, apply_year=APPLY, as_of=AS_OF) -> Diagnosis:
    years = make_years() if years is None else years
    return diagnose_hte(profile, years, apply_year=apply_year, as_of=as_of)


def part(low, high=None, estimate=None, *, code="x", known=True, estimated=None) -> ScorePart:
    high = low if high is None else high
    estimate = low if estimate is None else estimate
    estimated = high > low if estimated is None else estimated
    return ScorePart(code, code, low, high, estimate, 100, estimated, "", known=known)


# ============================================================================ helpers


@pytest.mark.parametrize(("total", "passes"), [(0, False), (70, False), (71, True), (100, True)])
def test_score_passes_only_above_70(total, passes):
    assert score_passes(total) is passes


@pytest.mark.parametrize(
    ("latest_sales", "threshold"),
    [
        ("4999.99", "0.05"),
        ("5000", "0.05"),
        ("5000.01", "0.04"),
        ("20000", "0.04"),
        ("20000.01", "0.03"),
        ("300000", "0.03"),
    ],
)
def test_rd_threshold_bands(latest_sales, threshold):
    assert rd_threshold(D(latest_sales)) == D(threshold)


@pytest.mark.parametrize(
    ("registered_on", "years"),
    [
        (None, [2016, 2017, 2018]),
        (date(2010, 5, 1), [2016, 2017, 2018]),
        (date(2016, 12, 31), [2016, 2017, 2018]),
        (date(2017, 1, 1), [2017, 2018]),
        (date(2018, 6, 30), [2018]),
        (date(2019, 1, 2), []),
    ],
)
def test_required_years_skip_years_wholly_before_registration(registered_on, years):
    assert required_years(Profile(registered_on, "electronics"), 2019) == years


def test_growth_rate_is_exact_decimal():
    assert growth_rate(D(100), D(135), D("182.25")) == D("0.35")
    assert growth_rate(D(0), D(100), D(200)) is None
    assert growth_rate(D(100), D(-1), D(200)) is None


def test_duplicate_years_are_rejected():
    with pytest.raises(ValueError, match="2018"):
        hte(make_years() + [YearFigures(2018)])


# ============================================================================ 高企: whole


def test_healthy_applicant_passes_every_condition():
    d = hte()
    assert d.verdict is Status.PASS
    assert [c.status for c in d.conditions] == [Status.PASS] * 8
    assert d.missing == []
    assert d.closeness == (False, 0, 0, 0)
    assert d.summary() == "符合：全部 8 项条件符合"


# ============================================================================ 1 registered


@pytest.mark.parametrize(
    ("registered_on", "as_of", "status", "gap"),
    [
        (date(2018, 6, 1), date(2019, 6, 1), Status.PASS, None),
        (date(2018, 6, 2), date(2019, 6, 1), Status.FAIL, 1),
        (date(2018, 9, 1), date(2019, 6, 1), Status.FAIL, 92),
        (date(2016, 2, 29), date(2017, 2, 28), Status.PASS, None),
        (date(2016, 2, 29), date(2017, 2, 27), Status.FAIL, 1),
    ],
)
def test_registered_at_least_one_full_year(registered_on, as_of, status, gap):
    profile = Profile(registered_on, "electronics")
    cond = hte(profile=profile, apply_year=as_of.year, as_of=as_of).condition("registered")
    assert cond.status is status
    assert cond.gap == (None if gap is None else D(gap))
    if status is Status.FAIL:
        assert f"未满一年，还差 {gap} 天" in cond.message
        assert cond.gap_unit == "天"


def test_registered_less_than_a_year_fails_the_whole_diagnosis():
    d = hte(profile=Profile(date(2018, 9, 1), "electronics"))
    assert d.verdict is Status.FAIL
    assert (
        d.condition("registered").message == "注册于 2018-09-01，至 2019-06-01 未满一年，还差 92 天"
    )


def test_unknown_registration_date_is_unknown():
    cond = hte(profile=Profile(None, "electronics")).condition("registered")
    assert cond.status is Status.UNKNOWN
    assert cond.message == "无法判断：缺少 注册日期"


# ============================================================================ 2 core IP


@pytest.mark.parametrize(
    ("class1", "class2", "status"),
    [
        (1, 0, Status.PASS),
        (0, 1, Status.PASS),
        (None, 3, Status.PASS),
        (2, None, Status.PASS),
        (0, 0, Status.FAIL),
        (None, 0, Status.UNKNOWN),
        (0, None, Status.UNKNOWN),
        (None, None, Status.UNKNOWN),
    ],
)
def test_core_ip_needs_at_least_one_item(class1, class2, status):
    years = make_years({2018: {"ip_class1": class1, "ip_class2": class2}})
    cond = hte(years).condition("core_ip")
    assert cond.status is status
    if status is Status.FAIL:
        assert (cond.gap, cond.gap_unit) == (D(1), "项")
    if status is Status.UNKNOWN:
        assert cond.message.startswith("无法判断：缺少 2018年")


def test_core_ip_reads_the_latest_year_only():
    years = make_years({2016: {"ip_class1": 3}, 2018: {"ip_class1": 0, "ip_class2": 0}})
    assert hte(years).condition("core_ip").status is Status.FAIL


# ============================================================================ 3 tech field


@pytest.mark.parametrize("code", sorted(TECH_FIELDS))
def test_each_of_the_eight_fields_passes(code):
    cond = hte(profile=Profile(date(2010, 1, 1), code)).condition("tech_field")
    assert cond.status is Status.PASS
    assert TECH_FIELDS[code] in cond.message


def test_field_outside_the_eight_fails():
    cond = hte(profile=Profile(date(2010, 1, 1), "textiles")).condition("tech_field")
    assert cond.status is Status.FAIL


def test_blank_field_is_unknown_not_fail():
    d = hte(profile=Profile(date(2010, 1, 1), ""))
    assert d.condition("tech_field").status is Status.UNKNOWN
    assert d.verdict is Status.UNKNOWN
    assert "技术领域" in d.missing


# ============================================================================ 4 S&T staff


@pytest.mark.parametrize(
    ("staff", "st", "status", "gap", "shown"),
    [
        (100, 10, Status.PASS, None, "10.0%"),
        (1000, 100, Status.PASS, None, "10.0%"),
        (1000, 99, Status.FAIL, 1, "9.9%"),
        (100, 8, Status.FAIL, 2, "8.0%"),
        (105, 10, Status.FAIL, 1, "9.5%"),
        (110, 8, Status.FAIL, 3, "7.2%"),
    ],
)
def test_st_staff_at_least_ten_percent(staff, st, status, gap, shown):
    cond = hte(flat(staff_total=staff, st_staff=st)).condition("st_staff")
    assert cond.status is status
    assert f"科技人员占比 {shown}" in cond.message
    assert "需 ≥ 10%" in cond.message
    if gap is not None:
        assert (cond.gap, cond.gap_unit) == (D(gap), "人")
        assert f"科技人员还差 {gap} 人" in cond.message


def test_st_staff_with_no_staff_fails():
    assert hte(flat(staff_total=0, st_staff=0)).condition("st_staff").status is Status.FAIL


# ============================================================================ 5 R&D ratio


@pytest.mark.parametrize(
    ("rd_each", "status", "gap", "shown"),
    [
        ("50", Status.PASS, None, "5.0%"),
        ("49.99", Status.FAIL, "0.1", "4.9%"),
        ("49.9", Status.FAIL, "0.3", "4.9%"),
        ("40", Status.FAIL, "30.0", "4.0%"),
    ],
)
def test_rd_ratio_5_percent_band(rd_each, status, gap, shown):
    years = flat(sales_revenue=D(1000), rd_expense=D(rd_each), rd_expense_domestic=D(rd_each))
    cond = hte(years).condition("rd_ratio")
    assert cond.status is status
    assert f"近三年研发费用占比 {shown}，需 ≥ 5%" in cond.message
    if gap is not None:
        assert (cond.gap, cond.gap_unit) == (D(gap), "万元")
        assert f"还差 {gap} 万元" in cond.message


@pytest.mark.parametrize(
    ("sales", "threshold"),
    [("5000", "5%"), ("5000.01", "4%"), ("20000", "4%"), ("20000.01", "3%")],
)
@pytest.mark.parametrize("at_threshold", [True, False])
def test_rd_ratio_band_edges_by_latest_sales(sales, threshold, at_threshold):
    sales = D(sales)
    rd = sales * D(threshold.rstrip("%")) / 100
    if not at_threshold:
        rd -= D("0.01")
    years = flat(sales_revenue=sales, rd_expense=rd, rd_expense_domestic=rd)
    cond = hte(years).condition("rd_ratio")
    assert f"需 ≥ {threshold}" in cond.message
    assert f"适用 {threshold} 标准" in cond.message
    assert cond.status is (Status.PASS if at_threshold else Status.FAIL)
    if not at_threshold:
        assert cond.gap == D("0.1")  # 0.03 万元 short, rounded up to 0.1


def test_rd_band_follows_the_latest_year_not_the_average():
    # 4.5 % over three years: fails the 5 % band, passes once 2018 sales exceed 5,000 万.
    def years(latest):
        return make_years(
            each={"sales_revenue": D(1000), "rd_expense": D(45)},
            changes={2018: {"sales_revenue": latest, "rd_expense": latest * D("0.045")}},
        )

    assert hte(years(D(5000))).condition("rd_ratio").status is Status.FAIL
    assert hte(years(D("5000.01"))).condition("rd_ratio").status is Status.PASS


def test_rd_ratio_message_names_percent_threshold_and_gap():
    years = make_years(
        each={"sales_revenue": D(6000), "rd_expense": D(227)},
        changes={2018: {"rd_expense": D("227.5")}},
    )
    cond = hte(years).condition("rd_ratio")
    assert cond.message == (
        "近三年研发费用占比 3.7%，需 ≥ 4%，还差 38.5 万元（2018年销售收入 6000 万元，适用 4% 标准）"
    )
    assert cond.numbers["rd_sum"] == "681.5"
    assert cond.numbers["sales_sum"] == "18000"


def test_rd_ratio_with_no_sales_fails():
    years = flat(sales_revenue=D(0), rd_expense=D(10))
    assert hte(years).condition("rd_ratio").status is Status.FAIL


# ============================================================================ 6 in-China R&D


@pytest.mark.parametrize(
    ("domestic_2018", "status", "gap", "shown"),
    [
        ("400", Status.PASS, None, "60.0%"),
        ("399", Status.FAIL, "1.0", "59.9%"),
        ("399.99", Status.FAIL, "0.1", "59.9%"),
        ("300", Status.FAIL, "100.0", "50.0%"),
    ],
)
def test_domestic_rd_at_least_sixty_percent(domestic_2018, status, gap, shown):
    # R&D 300 + 300 + 400 = 1,000 万; domestic 100 + 100 + x.
    years = make_years(
        each={"sales_revenue": D(10000), "rd_expense": D(300), "rd_expense_domestic": D(100)},
        changes={2018: {"rd_expense": D(400), "rd_expense_domestic": D(domestic_2018)}},
    )
    cond = hte(years).condition("rd_domestic")
    assert cond.status is status
    assert f"境内研发费用占比 {shown}，需 ≥ 60%" in cond.message
    if gap is not None:
        assert (cond.gap, cond.gap_unit) == (D(gap), "万元")
        assert f"还差 {gap} 万元" in cond.message


# ============================================================================ 7 high-tech revenue


@pytest.mark.parametrize(
    ("hightech", "status", "gap", "shown"),
    [
        ("600", Status.PASS, None, "60.0%"),
        ("1000", Status.PASS, None, "100.0%"),
        ("599.9", Status.FAIL, "0.1", "59.9%"),
        ("500", Status.FAIL, "100.0", "50.0%"),
    ],
)
def test_hightech_revenue_at_least_sixty_percent_of_latest_sales(hightech, status, gap, shown):
    years = make_years(
        each={"sales_revenue": D(1000), "hightech_revenue": D(0)},
        changes={2018: {"hightech_revenue": D(hightech)}},
    )
    cond = hte(years).condition("hightech_revenue")
    assert cond.status is status  # earlier years' 0 does not matter
    assert f"2018年高新技术产品（服务）收入占比 {shown}，需 ≥ 60%" in cond.message
    if gap is not None:
        assert (cond.gap, cond.gap_unit) == (D(gap), "万元")
        assert cond.message.endswith(f"还差 {gap} 万元")


def test_hightech_revenue_with_no_sales_fails():
    years = make_years({2018: {"sales_revenue": D(0), "hightech_revenue": D(0)}})
    assert hte(years).condition("hightech_revenue").status is Status.FAIL


# ============================================================================ missing data


@pytest.mark.parametrize(
    ("year", "field", "label", "codes"),
    [
        (2017, "sales_revenue", "2017年销售收入", ["rd_ratio", "innovation_score"]),
        (2018, "sales_revenue", "2018年销售收入", ["rd_ratio", "hightech_revenue"]),
        (2016, "rd_expense", "2016年研发费用", ["rd_ratio", "rd_domestic"]),
        (2017, "rd_expense_domestic", "2017年境内研发费用", ["rd_domestic"]),
        (2018, "st_staff", "2018年科技人员数", ["st_staff"]),
        (2018, "staff_total", "2018年职工总数", ["st_staff"]),
        (2018, "hightech_revenue", "2018年高新技术产品（服务）收入", ["hightech_revenue"]),
        (2016, "net_assets", "2016年净资产", ["innovation_score"]),
        (2017, "achievements", "2017年科技成果转化数", ["innovation_score"]),
    ],
)
def test_missing_field_is_unknown_naming_year_and_field(year, field, label, codes):
    d = hte(make_years({year: {field: None}}))
    for code in codes:
        cond = d.condition(code)
        assert cond.status is Status.UNKNOWN
        assert label in cond.message
        assert cond.message.startswith("无法判断：缺少 ")
    assert d.verdict is Status.UNKNOWN  # everything else passes
    assert label in d.missing


def test_missing_whole_year_is_unknown_never_pass_or_fail():
    d = hte(make_years(drop=(2017,)))
    cond = d.condition("rd_ratio")
    assert cond.status is Status.UNKNOWN
    assert cond.message == "无法判断：缺少 2017年研发费用、2017年销售收入"
    assert d.verdict is Status.UNKNOWN
    assert {"2017年研发费用", "2017年销售收入", "2017年境内研发费用"} <= set(d.missing)


def test_missing_is_never_treated_as_zero():
    # Zero would fail the R&D ratio (0 %); unknown must stay unknown.
    d = hte(make_years({2018: {"rd_expense": None}}))
    assert d.condition("rd_ratio").status is Status.UNKNOWN
    assert d.verdict is Status.UNKNOWN
    assert "2018年研发费用" in d.missing


# ============================================================================ young enterprise


def test_enterprise_registered_two_years_ago_uses_only_two_years():
    profile = Profile(date(2017, 3, 1), "electronics")
    bad_2016 = {2016: {"rd_expense": D(0), "achievements": 0}}  # wholly before registration
    d = hte(make_years(bad_2016), profile)
    cond = d.condition("rd_ratio")
    assert cond.status is Status.PASS
    assert cond.message.startswith("近两年研发费用占比 6.0%")
    assert (cond.numbers["first_year"], cond.numbers["last_year"]) == (2017, 2018)
    assert d.part("achievements").numbers["years"] == 2


def test_enterprise_registered_in_the_application_year_has_no_fiscal_year():
    d = hte([], Profile(date(2019, 1, 2), "electronics"), as_of=date(2020, 3, 1))
    assert d.condition("registered").status is Status.PASS
    for code in ("core_ip", "st_staff", "rd_ratio", "rd_domestic", "hightech_revenue"):
        cond = d.condition(code)
        assert (cond.status, cond.message) == (Status.UNKNOWN, "无法判断：申报年度前尚无会计年度")
    assert d.verdict is Status.UNKNOWN


def test_two_year_enterprise_needs_no_third_year_and_scores_no_growth():
    d = hte(make_years(drop=(2016,)), Profile(date(2017, 3, 1), "electronics"))
    assert d.condition("rd_ratio").status is Status.PASS
    assert d.missing == []
    for code in ("growth_net_assets", "growth_sales"):
        p = d.part(code)
        assert (p.low, p.high, p.estimate) == (0, 0, 0)
        assert "不满三年" in p.note


# ============================================================================ 8 innovation score


@pytest.mark.parametrize(
    ("x1", "x2", "x3", "low", "high"),
    [
        ("100", "135", "182.25", 9, 10),  # exactly 35 %
        ("100", "135", "182.24", 7, 8),
        ("100", "125", "156.25", 7, 8),  # exactly 25 %
        ("100", "125", "156.24", 5, 6),
        ("100", "115", "132.25", 5, 6),  # exactly 15 %
        ("100", "115", "132.24", 3, 4),
        ("100", "105", "110.25", 3, 4),  # exactly 5 %
        ("100", "105", "110.24", 1, 2),
        ("100", "100", "101", 1, 2),
        ("100", "100", "100", 0, 0),  # exactly 0
        ("100", "90", "80", 0, 0),  # shrinking
        ("-50", "100", "200", 0, 0),  # negative first-year denominator
        ("0", "100", "200", 0, 0),
        ("100", "0", "200", 0, 0),
    ],
)
def test_net_asset_growth_bands(x1, x2, x3, low, high):
    values = dict(zip((2016, 2017, 2018), (x1, x2, x3), strict=True))
    years = make_years({y: {"net_assets": D(v)} for y, v in values.items()})
    p = hte(years).part("growth_net_assets")
    assert (p.low, p.high) == (low, high)
    assert p.estimate == (low + high) // 2
    assert p.estimated is (high > low)
    if D(x1) <= 0 or D(x2) <= 0:
        assert "≤ 0" in p.note


@pytest.mark.parametrize(
    ("sales", "low", "high"),
    [
        (("1000", "1350", "1822.5"), 9, 10),
        (("1000", "1000", "1000"), 0, 0),
        (("0", "10", "20"), 0, 0),
    ],
)
def test_sales_growth_bands(sales, low, high):
    years = make_years(
        {y: {"sales_revenue": D(v)} for y, v in zip((2016, 2017, 2018), sales, strict=True)}
    )
    p = hte(years).part("growth_sales")
    assert (p.low, p.high) == (low, high)


@pytest.mark.parametrize(
    ("counts", "low", "high", "estimate"),
    [
        ((5, 5, 5), 25, 30, 27),
        ((5, 5, 4), 19, 24, 21),  # 4.67 → ≥4 band
        ((4, 4, 4), 19, 24, 21),
        ((3, 3, 3), 13, 18, 15),
        ((3, 3, 2), 7, 12, 9),  # 2.67 → ≥2 band
        ((2, 2, 2), 7, 12, 9),
        ((1, 1, 1), 1, 6, 3),
        ((1, 1, 0), 0, 0, 0),  # 0.67 → 0
        ((0, 0, 0), 0, 0, 0),
    ],
)
def test_achievement_bands(counts, low, high, estimate):
    years = make_years(
        {y: {"achievements": n} for y, n in zip((2016, 2017, 2018), counts, strict=True)}
    )
    p = hte(years).part("achievements")
    assert (p.low, p.high, p.estimate) == (low, high, estimate)
    assert p.estimated is (high > low)


@pytest.mark.parametrize(
    ("class1", "class2", "low", "high", "estimate"),
    [
        (1, 0, 7, 30, 19),
        (3, 10, 7, 30, 19),
        (0, 5, 5, 30, 17),
        (0, 4, 3, 28, 15),
        (0, 3, 3, 28, 15),
        (0, 2, 1, 26, 13),
        (0, 1, 1, 26, 13),
        (0, 0, 0, 0, 0),
    ],
)
def test_ip_quantity_bands_and_estimated_expert_items(class1, class2, low, high, estimate):
    years = make_years({2018: {"ip_class1": class1, "ip_class2": class2}})
    p = hte(years).part("ip")
    assert (p.low, p.high, p.estimate) == (low, high, estimate)
    assert p.high <= p.max_points == 30
    assert p.estimated is (high > 0)
    if high:
        assert "专家评判" in p.note


def test_rd_org_is_always_an_estimate():
    p = hte().part("rd_org")
    assert (p.low, p.high, p.estimate, p.estimated) == (0, 20, 10, True)
    assert "估算" in p.note
    idle = hte(make_years({2018: {"rd_expense": D(0)}})).part("rd_org")
    assert idle.estimate == 4


@pytest.mark.parametrize(
    ("total", "status", "gap"), [(70, Status.FAIL, 1), (71, Status.PASS, None)]
)
def test_score_condition_with_exact_parts_70_vs_71(total, status, gap):
    cond = innovation_score_condition([part(30), part(30), part(total - 60)])
    assert cond.status is status
    assert cond.gap == (None if gap is None else D(gap))
    assert f"创新能力得分 {total} 分，需 > 70 分" in cond.message
    assert "估算" not in cond.message
    if gap:
        assert cond.message.endswith("还差 1 分")
        assert cond.gap_unit == "分"


@pytest.mark.parametrize(("estimate", "status"), [(70, Status.FAIL), (71, Status.PASS)])
def test_score_condition_judges_on_the_estimate_inside_the_range(estimate, status):
    cond = innovation_score_condition([part(50, 90, estimate, estimated=True)])
    assert cond.status is status
    assert f"估算创新能力得分 {estimate} 分（其中专家评判部分为估算" in cond.message


def test_score_condition_certain_outcomes_ignore_the_estimate():
    assert innovation_score_condition([part(71, 90, 0, estimated=True)]).status is Status.PASS
    assert innovation_score_condition([part(50, 70, 70, estimated=True)]).status is Status.FAIL


def test_score_condition_with_an_unknown_part():
    undecided = innovation_score_condition([part(40), part(0, 40, 0, known=False)])
    assert undecided.status is Status.UNKNOWN
    hopeless = innovation_score_condition([part(20), part(0, 40, 0, known=False)])
    assert hopeless.status is Status.FAIL  # even full marks on the unknown part give only 60
    assert hopeless.gap == D(11)
    assert "最高仅 60 分" in hopeless.message


def _score_years(class1):
    # Class II ≥ 5 → 17 or Class I → 19; achievements 5/yr → 27; R&D org 10;
    # net assets +35 % → 9; sales +25 % → 7.
    sales = {2016: D(1000), 2017: D(1250), 2018: D("1562.5")}
    nets = {2016: D(100), 2017: D(135), 2018: D("182.25")}
    return make_years(
        {
            y: {
                "sales_revenue": sales[y],
                "rd_expense": sales[y] * D("0.06"),
                "rd_expense_domestic": sales[y] * D("0.06"),
                "hightech_revenue": sales[y],
                "net_assets": nets[y],
            }
            for y in sales
        },
        each={"ip_class1": class1, "ip_class2": 5},
    )


def test_full_diagnosis_landing_on_70_fails_by_one_point():
    d = hte(_score_years(class1=0))
    assert d.score_estimate == 70
    cond = d.condition("innovation_score")
    assert cond.status is Status.FAIL
    assert (cond.gap, cond.gap_unit) == (D(1), "分")
    assert cond.message.startswith("估算创新能力得分 70 分（其中专家评判部分为估算")
    assert cond.message.endswith("需 > 70 分，还差 1 分")
    assert d.verdict is Status.FAIL
    assert [c.code for c in d.failing] == ["innovation_score"]


def test_full_diagnosis_above_70_passes():
    d = hte(_score_years(class1=1))
    assert d.score_estimate == 72
    assert d.condition("innovation_score").status is Status.PASS
    assert d.verdict is Status.PASS


# ============================================================================ closeness


def _short_of_rd(rd_2018, **more):
    """The healthy applicant with less 2018 R&D (74 万 is exactly 5 % over three years)."""
    return hte(make_years({2018: {"rd_expense": D(rd_2018), **more}}))


def test_closeness_ranks_one_small_failure_ahead_of_two():
    near = _short_of_rd("73.9")
    two = _short_of_rd("73.9", hightech_revenue=D(1000))
    assert [c.code for c in near.failing] == ["rd_ratio"]
    assert near.condition("rd_ratio").gap == D("0.1")
    assert [c.code for c in two.failing] == ["rd_ratio", "hightech_revenue"]
    passing = hte()
    ranked = sorted([two, near, passing], key=lambda d: d.closeness)
    assert ranked == [passing, near, two]


def test_closeness_ranks_the_smaller_gap_first():
    small, large = _short_of_rd("73.9"), _short_of_rd("20")
    assert small.closeness[:3] == large.closeness[:3] == (False, 1, 0)
    assert small.closeness < large.closeness


def test_closeness_puts_unknown_after_the_same_number_of_failures():
    near = _short_of_rd("73.9")
    undecided = hte(make_years({2018: {"rd_expense": D("73.9"), "st_staff": None}}))
    assert len(undecided.failing) == len(near.failing) == 1
    assert undecided.unknown
    assert near.closeness < undecided.closeness


def test_closeness_lists_the_undecided_after_every_judged_enterprise():
    """Missing data is not "close to passing": an enterprise that fails nothing only because
    its staff figure is missing ranks after one that fails two conditions."""
    two = _short_of_rd("73.9", hightech_revenue=D(1000))
    undecided = hte(make_years({2018: {"st_staff": None}}))
    assert not undecided.failing and undecided.unknown
    assert undecided.undecided and not two.undecided
    assert sorted([undecided, two], key=lambda d: d.closeness) == [two, undecided]


# ============================================================================ as_dict


def test_as_dict_is_json_serialisable_and_complete():
    d = hte(make_years({2018: {"hightech_revenue": D(500), "st_staff": None}}))
    data = json.loads(json.dumps(d.as_dict(), ensure_ascii=False))
    assert data["kind"] == "hte"
    assert (data["verdict"], data["verdict_label"]) == ("fail", "不符合")
    assert [c["code"] for c in data["conditions"]] == [c.code for c in d.conditions]
    by_code = {c["code"]: c for c in data["conditions"]}
    assert by_code["hightech_revenue"]["status"] == "fail"
    assert by_code["hightech_revenue"]["status_label"] == "不符合"
    assert by_code["hightech_revenue"]["gap"] == "676.0"
    assert by_code["st_staff"]["status"] == "unknown"
    assert "2018年科技人员数" in data["missing"]
    assert {"score_estimate", "score_low", "score_high", "score_parts"} <= set(data)


def test_sme_as_dict_is_json_serialisable():
    d = diagnose_sme(OLD, make_years(), eval_year=2019)
    data = json.loads(json.dumps(d.as_dict()))
    assert data["kind"] == "sme"
    assert data["verdict"] == "pass"
    assert [c["code"] for c in data["conditions"]] == [
        "staff_limit",
        "sales_limit",
        "assets_limit",
        "sme_score",
    ]


# ============================================================================ 科小


def sme(profile=OLD, *, eval_year=2019, **fields) -> Diagnosis:
    base = {
        "staff_total": 100,
        "st_staff": 20,
        "sales_revenue": D(1000),
        "rd_expense": D(50),
        "total_assets": D(5000),
        "total_cost": D(800),
        "ip_class1": 1,
        "ip_class2": 0,
    }
    base.update(fields)
    return diagnose_sme(profile, [YearFigures(2018, **base)], eval_year=eval_year)


def test_sme_healthy_passes():
    d = sme()
    assert d.verdict is Status.PASS
    assert d.score_estimate == 12 + 40 + 30


@pytest.mark.parametrize(
    ("field", "value", "status", "gap", "code"),
    [
        ("staff_total", 500, Status.PASS, None, "staff_limit"),
        ("staff_total", 501, Status.FAIL, "1", "staff_limit"),
        ("sales_revenue", D(20000), Status.PASS, None, "sales_limit"),
        ("sales_revenue", D("20000.01"), Status.FAIL, "0.1", "sales_limit"),
        ("total_assets", D(20000), Status.PASS, None, "assets_limit"),
        ("total_assets", D("20000.01"), Status.FAIL, "0.1", "assets_limit"),
    ],
)
def test_sme_size_limits(field, value, status, gap, code):
    cond = sme(**{field: value}).condition(code)
    assert cond.status is status
    if gap is not None:
        assert cond.gap == D(gap)
        assert cond.message.endswith(f"超出 {gap} {cond.gap_unit}")


def test_sme_staff_limit_message():
    cond = sme(staff_total=501, st_staff=200).condition("staff_limit")
    assert cond.message == "2018年职工总数 501 人，需 ≤ 500 人，超出 1 人"


@pytest.mark.parametrize(
    ("st", "points"), [(30, 20), (29, 16), (25, 16), (24, 12), (20, 12), (15, 8), (10, 4), (9, 0)]
)
def test_sme_st_staff_share_bands(st, points):
    assert sme(st_staff=st).part("st_staff").estimate == points


@pytest.mark.parametrize(
    ("rd", "points"),
    [("60", 50), ("59.99", 40), ("50", 40), ("40", 30), ("30", 20), ("20", 10), ("19.99", 0)],
)
def test_sme_rd_to_sales_bands(rd, points):
    p = sme(rd_expense=D(rd), total_cost=D(100000)).part("rd")  # cost ratio scores 0
    assert (p.estimate, p.known, p.estimated) == (points, True, False)


@pytest.mark.parametrize(
    ("rd", "points"),
    [("300", 50), ("299.99", 40), ("250", 40), ("200", 30), ("150", 20), ("100", 10), ("99.99", 0)],
)
def test_sme_rd_to_cost_bands(rd, points):
    p = sme(rd_expense=D(rd), sales_revenue=D(100000), total_cost=D(1000)).part("rd")
    assert (p.estimate, p.known, p.estimated) == (points, True, False)


@pytest.mark.parametrize(
    ("sales", "cost", "points", "known"),
    [
        (D(10000), D(1000), 50, True),  # R&D 300: 3 % of sales (20) vs 30 % of cost (50)
        (D(5000), D(10000), 50, True),  # 6 % of sales (50) vs 3 % of cost (0)
        (D(10000), D(0), 20, True),  # no cost at all: only the sales ratio counts
        (None, D(1000), 50, True),  # sales unknown, but the cost ratio already scores 50
        (D(10000), None, 20, False),  # cost unknown: 20 so far, could be up to 50
    ],
)
def test_sme_rd_uses_the_higher_ratio(sales, cost, points, known):
    p = sme(rd_expense=D(300), sales_revenue=sales, total_cost=cost).part("rd")
    assert (p.estimate, p.low, p.known) == (points, points, known)
    assert p.high == (points if known else 50)
    if sales and cost:
        assert f"取高者 {points} 分" in p.note


def test_sme_rd_with_neither_ratio_is_unknown():
    d = sme(sales_revenue=None, total_cost=None, ip_class1=0, ip_class2=0)
    assert d.part("rd").known is False
    assert d.condition("sme_score").status is Status.UNKNOWN
    assert "2018年销售收入" in d.condition("sme_score").message


@pytest.mark.parametrize(
    ("class1", "class2", "points"),
    [(1, 0, 30), (0, 9, 24), (0, 4, 24), (0, 3, 18), (0, 2, 12), (0, 1, 6), (0, 0, 0)],
)
def test_sme_ip_bands(class1, class2, points):
    assert sme(ip_class1=class1, ip_class2=class2).part("ip").estimate == points


def test_sme_score_exactly_60_passes():
    # 30 % S&T staff (20) + R&D 5 % of sales (40) + no IP (0).
    d = sme(st_staff=30, rd_expense=D(50), total_cost=D(10000), ip_class1=0, ip_class2=0)
    assert d.score_estimate == 60
    assert d.condition("sme_score").status is Status.PASS
    assert d.verdict is Status.PASS


def test_sme_score_58_fails_with_gap_in_points():
    # 10 % S&T staff (4) + R&D 4 % (30) + four Class II (24).
    d = sme(st_staff=10, rd_expense=D(40), total_cost=D(10000), ip_class1=0, ip_class2=4)
    cond = d.condition("sme_score")
    assert cond.status is Status.FAIL
    assert (cond.gap, cond.gap_unit) == (D(2), "分")
    assert "评价得分 58 分" in cond.message
    assert cond.message.endswith("需 ≥ 60 分，还差 2 分")


@pytest.mark.parametrize(
    ("total", "status", "gap"), [(59, Status.FAIL, 1), (60, Status.PASS, None)]
)
def test_sme_score_condition_59_vs_60(total, status, gap):
    cond = sme_score_condition([part(4, code="st_staff"), part(total - 4, code="rd")])
    assert cond.status is status
    assert cond.gap == (None if gap is None else D(gap))
    if gap:
        assert "还差 1 分" in cond.message


@pytest.mark.parametrize(
    ("total", "st_points", "meets"),
    [(60, 4, True), (59, 4, False), (80, 0, False), (100, 20, True)],
)
def test_sme_score_meets_needs_60_and_a_non_zero_st_score(total, st_points, meets):
    assert score_meets(total, st_points) is meets


def test_sme_zero_st_score_fails_even_with_80_points():
    d = sme(st_staff=9, rd_expense=D(60))  # 0 + 50 + 30
    assert d.score_estimate == 80
    cond = d.condition("sme_score")
    assert cond.status is Status.FAIL
    assert "科技人员占比 9.0%" in cond.message
    assert (cond.gap, cond.gap_unit) == (D(1), "人")
    assert d.verdict is Status.FAIL


def test_sme_unknown_part_only_blocks_an_undecided_score():
    undecided = sme(ip_class1=None, st_staff=10, rd_expense=D(40), total_cost=None)  # 4 + 30 + ?
    assert undecided.condition("sme_score").status is Status.UNKNOWN
    decided = sme(ip_class1=None, st_staff=30, rd_expense=D(60))  # 20 + 50 already ≥ 60
    assert decided.condition("sme_score").status is Status.PASS
    assert "2018年Ⅰ类知识产权数" in decided.missing
    hopeless = sme(ip_class1=None, st_staff=10, rd_expense=D(0))  # 4 + 0 + at most 30
    assert hopeless.condition("sme_score").status is Status.FAIL


@pytest.mark.parametrize("field", ["staff_total", "sales_revenue", "total_assets"])
def test_sme_missing_limit_field_is_unknown(field):
    d = sme(**{field: None})
    assert d.verdict is Status.UNKNOWN
    label = {"staff_total": "职工总数", "sales_revenue": "销售收入", "total_assets": "资产总额"}
    assert f"2018年{label[field]}" in d.unknown[0].message


def test_sme_uses_the_year_before_the_evaluation_year():
    d = diagnose_sme(OLD, [YearFigures(2019, staff_total=100)], eval_year=2019)
    assert d.verdict is Status.UNKNOWN
    assert "2018年职工总数" in d.missing


def test_sme_valid_hte_qualifies_directly():
    d = diagnose_sme(
        Profile(date(2010, 1, 1), "electronics", is_valid_hte=True), [], eval_year=2019
    )
    assert d.verdict is Status.PASS
    assert [c.code for c in d.conditions] == ["valid_hte"]
    assert "高新技术企业" in d.conditions[0].message
    assert d.missing == []
