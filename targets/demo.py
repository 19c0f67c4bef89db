"""The 2019 plan of 武进区, exactly as 武科发〔2019〕14号 and its 附件 set it."""

from decimal import Decimal

from core.demo import wujin_unit
from core.seeds import (
    WUJIN_2019_DOC_NUMBER,
    WUJIN_2019_NEW_HTE,
    WUJIN_2019_ROWS,
    WUJIN_2019_TITLE,
    WUJIN_2019_TOTAL,
    WUJIN_2019_VALID_HTE,
)

from . import services
from .models import Metric, TargetPlan

GROUP = "2019年争取上报任务数"
# metric code → (merged header, the TargetRow attribute holding its value)
COLUMNS = [
    ("baseline_valid_hte", "", "valid_2018"),
    ("renewal_applications", GROUP, "expiring"),
    ("first_applications", GROUP, "new_applications"),
    ("applications", GROUP, "subtotal"),
]


def load(stdout) -> None:
    district = wujin_unit("武进区")
    if TargetPlan.objects.filter(unit=district, year=2019).exists():
        stdout.write("目标任务：2019年武进区任务分解表已存在，跳过")
        return
    metrics = {m.code: m for m in Metric.objects.all()}
    plan = services.create_plan(
        actor=None,
        unit=district,
        year=2019,
        title=WUJIN_2019_TITLE,
        doc_number=WUJIN_2019_DOC_NUMBER,
        notes="区科技局关于进一步做好2019年高新技术企业培育工作的通知（演示数据）",
        columns=[(metrics[code], group) for code, group, _ in COLUMNS],
        own_goals=[metrics["new_hte"], metrics["valid_hte"]],
    )
    cells = {}
    for row in [*WUJIN_2019_ROWS, WUJIN_2019_TOTAL]:
        unit = district if row is WUJIN_2019_TOTAL else wujin_unit(row.unit)
        for code, _, attribute in COLUMNS:
            cells[(metrics[code].pk, unit.pk)] = Decimal(getattr(row, attribute))
    cells[(metrics["new_hte"].pk, district.pk)] = Decimal(WUJIN_2019_NEW_HTE)
    cells[(metrics["valid_hte"].pk, district.pk)] = Decimal(WUJIN_2019_VALID_HTE)
    services.set_values(actor=None, plan=plan, cells=cells, note="演示数据")
    stdout.write("目标任务：新建 2019年武进区任务分解表（武科发〔2019〕14号）")
