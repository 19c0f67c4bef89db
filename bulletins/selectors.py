"""通报 (progress bulletins), the data: a district's target completion by town as of a date,
ranked and coloured, with the sentences both renderings (Excel, print page) say.

Every number comes from targets.selectors.completion, so a bulletin says what the 目标任务
page said that day. The data are stored with the bulletin; the Excel file and the page are
written from them (bulletins/io), so they always agree, and an old bulletin stays as issued
after the registry changes.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from core.choices import UnitKind
from core.notifications import chinese_date
from core.scoping import CHANGE
from cultivation import selectors as ladder
from targets.choices import Status
from targets.models import TargetPlan
from targets.selectors import completion

KEY_FIGURES = [("valid_hte", "有效高企"), ("new_hte", "新增高企"), ("applications", "高企申报")]
LAGGING = (Status.BEHIND.value, Status.SEVERE.value)
TOTAL_LABEL: dict[str, str] = {
    UnitKind.DISTRICT: "全区",
    UnitKind.COUNTY: "全县",
    UnitKind.CITY: "全市",
}
SOURCE = "数据来源：高企培育管理平台（企业库正式数据、梯次培育记录、已审核通过的季度报送；不含待审核的报送）。"
SUB_HEADERS = ["任务数", "完成数", "完成率", "排名", "状态"]


NOT_ISSUER = "只有区科技局工作人员可以生成通报；领导可查阅已生成的通报。"


def issuable_plans(user: Any) -> Any:
    """Plans the user may issue a bulletin for: in their write scope, with units below."""
    return (
        TargetPlan.objects.for_user(user, CHANGE)
        .filter(unit__children__isnull=False)
        .distinct()
        .select_related("unit")
        .order_by("-year", "unit__path")
    )


def _num(value):
    """JSON-friendly: integral values as int (家), others as float (万元, %)."""
    if value is None or isinstance(value, int):
        return value
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


# --- data -------------------------------------------------------------------------------------


def _status(status) -> dict:
    status = Status(status) if status else None
    return {
        "status": status.value if status else None,
        "status_label": status.label if status else "",
    }


def _cell(cell) -> dict:
    numbers = {"target": _num(cell.target), "actual": _num(cell.actual), "rank": cell.rank}
    return numbers | {"completion": cell.completion} | _status(cell.status)


def _rank_index(columns: list[dict]) -> int | None:
    """Rows are ordered by one metric's rank: BULLETIN_RANK_METRIC if the plan has it (the
    notice's 小计, i.e. all applications), else its last scored column."""
    scored = [i for i, c in enumerate(columns) if not c["baseline"]]
    wanted = getattr(settings, "BULLETIN_RANK_METRIC", "applications")
    chosen = [i for i in scored if columns[i]["code"] == wanted]
    found = chosen or scored
    return found[-1] if found else None


def _key_figures(plan: TargetPlan, result) -> list[dict]:
    """Headline numbers for the district: from the plan's own goals where it sets them,
    else counted from the ladder (no target then)."""
    figures = []
    for code, label in KEY_FIGURES:
        column = next(
            (c for c in result.columns if c.metric.ladder_metric == code and not c.metric.baseline),
            None,
        )
        if column is not None:
            figures.append({"label": label, **_cell(result.total.cells[column.metric_id])})
            continue
        counts = ladder.metric_counts(code, plan.year, plan.unit, result.on)
        no_target = {"target": None, "completion": None, "rank": None} | _status(None)
        figures.append({"label": label, "actual": counts.get(plan.unit.pk)} | no_target)
    return figures


def _lagging(rows: list[dict], columns: list[dict]) -> list[dict]:
    """Towns behind 序时进度 on any metric: 严重滞后 first, then 落后序时, each in rank order."""
    lagging = []
    for row in rows:
        items = [
            {"metric": col["name"], **cell}
            for col, cell in zip(columns, row["cells"], strict=True)
            if cell["status"] in LAGGING
        ]
        if items:
            severe = any(i["status"] == Status.SEVERE for i in items)
            worst = Status.SEVERE if severe else Status.BEHIND
            lagging.append({"label": row["label"], "items": items} | _status(worst))
    return sorted(lagging, key=lambda t: t["status"] != Status.SEVERE)


def build_data(plan: TargetPlan, on: datetime.date | None = None) -> dict:
    result = completion(plan, on)
    unit = plan.unit
    plan_columns = [c for c in result.columns if c.breakdown]
    columns = [
        {
            "code": c.metric.code,
            "name": c.metric.header_for(plan.year) if c.metric.baseline else c.metric.name,
            "header": c.header,
            "unit": c.metric.unit,
            "baseline": c.metric.baseline,
        }
        for c in plan_columns
    ]
    rows: list[dict[str, Any]] = [
        {
            "unit_id": row.unit.pk,
            "label": row.unit.notice_name,
            "cells": [_cell(row.cells[c.metric_id]) for c in plan_columns],
        }
        for row in result.rows
    ]
    rank_at = _rank_index(columns)
    if rank_at is not None:  # stable sort: unranked towns and ties keep the plan's order
        rows.sort(key=lambda r: (r["cells"][rank_at]["rank"] is None, r["cells"][rank_at]["rank"]))
    total = {
        "unit_id": unit.pk,
        "label": TOTAL_LABEL.get(str(unit.kind), "合计"),
        "cells": [_cell(result.total.cells[c.metric_id]) for c in plan_columns],
    }
    units = list(dict.fromkeys(str(c["unit"]) for c in columns))
    return {
        "title": f"{unit.name}{plan.year}年高新技术企业培育工作进展通报",
        "unit": {"id": unit.pk, "name": unit.name, "label": unit.label},
        "year": plan.year,
        "as_of": result.on.isoformat(),
        "as_of_text": chinese_date(result.on),
        "expected": result.expected,
        "progress_mode": plan.get_progress_mode_display().split("（")[0],  # 按季度 / 按日
        "lag_threshold": plan.lag_threshold,
        "plan": {"id": plan.pk, "title": str(plan), "doc_number": plan.doc_number},
        "units_text": "、".join(units),
        "columns": columns,
        "rank_index": rank_at,
        "rank_metric": columns[rank_at]["name"] if rank_at is not None else "",
        "rows": rows,
        "total": total,
        "key": _key_figures(plan, result),
        "lagging": _lagging(rows, columns),
    }


# --- what the bulletin says --------------------------------------------------------------------


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def key_sentence(data: dict) -> str:
    parts = []
    for f in data["key"]:
        text = f"{f['label']} {f['actual'] if f['actual'] is not None else '—'} 家"
        if f["target"]:
            text += f"（目标 {f['target']} 家，完成 {pct(f['completion'])}）"
        parts.append(text)
    return "；".join(parts) + f"；序时进度 {pct(data['expected'])}。"


def lagging_line(town: dict) -> str:
    items = "，".join(f"{i['metric']}完成 {pct(i['completion'])}" for i in town["items"])
    return f"{town['label']}（{town['status_label']}）：{items}"


def explanation(data: dict) -> str:
    return (
        f"说明：按“{data['rank_metric']}”完成率排名。已完成＝完成数≥任务数；超序时＝完成率≥序时进度"
        f"（{pct(data['expected'])}，{data['progress_mode']}）；落后序时＝低于序时进度；严重滞后＝低于"
        f"序时进度超过 {data['lag_threshold']} 个百分点。"
    )
