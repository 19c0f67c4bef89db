"""What a quarterly template can carry: the enterprise columns and the unit-level figures.

A period picks which indicator columns its template carries; 统一社会信用代码 and 企业名称
are always there. Unit-level figures the registry cannot know (seed 002's 科创项目招引 …)
go on a second sheet and feed the targets' "reported" metrics.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    code: str  # EnterpriseYear field (or "uscc" / "name")
    header: str  # the template's header text, in Chinese
    kind: str  # "text" | "int" | "money"


KEY_COLUMNS = [
    Column("uscc", "统一社会信用代码", "text"),
    Column("name", "企业名称", "text"),
]
INDICATOR_COLUMNS = [
    Column("staff_total", "职工总数", "int"),
    Column("st_staff", "科技人员数", "int"),
    Column("sales_revenue", "销售收入（万元）", "money"),
    Column("rd_expense", "研发费用（万元）", "money"),
    Column("rd_expense_domestic", "境内研发费用（万元）", "money"),
    Column("hightech_revenue", "高新技术产品（服务）收入（万元）", "money"),
    Column("net_assets", "净资产（万元）", "money"),
    Column("total_assets", "资产总额（万元）", "money"),
    Column("total_cost", "成本费用总额（万元）", "money"),
    Column("ip_class1", "Ⅰ类知识产权数", "int"),
    Column("ip_class2", "Ⅱ类知识产权数", "int"),
    Column("achievements", "科技成果转化数", "int"),
]
BY_CODE = {c.code: c for c in KEY_COLUMNS + INDICATOR_COLUMNS}
DEFAULT_COLUMNS = ["staff_total", "st_staff", "sales_revenue", "rd_expense", "hightech_revenue"]

DATA_SHEET = "企业季度数据"
# Unit-level "reported" metrics: 指标名称 | 计量单位 | 本年累计值 (templates made before
# also had 指标代码 first; they still upload).
SUMMARY_SHEET = "汇总指标"


def columns_for(codes: list[str]) -> list[Column]:
    """The template's columns for a period, in template order."""
    return KEY_COLUMNS + [c for c in INDICATOR_COLUMNS if c.code in codes]
