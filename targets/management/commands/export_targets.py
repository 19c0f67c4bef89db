import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from core.dates import today
from core.models import OrgUnit
from core.notifications import chinese_date
from targets import selectors
from targets.io import write_attachment, write_completion
from targets.models import TargetPlan


def find_unit(name: str) -> OrgUnit:
    """A unit by name or short name; CommandError (in Chinese) if none or several match."""
    name = name.strip()
    found = list(OrgUnit.objects.filter(Q(name=name) | Q(short_name=name)))
    if not found:
        raise CommandError(f"没有名称或简称为“{name}”的单位。")
    if len(found) > 1:
        listed = "、".join(f"{u.name}（上级：{u.parent or '无'}）" for u in found)
        raise CommandError(f"名称或简称为“{name}”的单位不止一个：{listed}，请写全称。")
    return found[0]


def as_of_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"统计日期“{text}”不是有效日期，请写成 2019-06-30 的格式。") from exc


class Command(BaseCommand):
    help = (
        "把某单位某年度的目标任务导出为任务分解表（.xlsx，与通知附件同样式）；"
        "加 --completion 导出截至某日的完成情况表（序时进度、状态、排名，与目标任务页相同）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，如 2019")
        parser.add_argument("--unit", required=True, help="下达单位的名称或简称，如 武进区")
        parser.add_argument("--output", required=True, help="输出文件，如 2019年任务分解表.xlsx")
        parser.add_argument(
            "--completion", action="store_true", help="导出完成情况表，而不是任务分解表"
        )
        parser.add_argument(
            "--as-of", help="完成情况表的统计日期，如 2019-06-30（默认今天；限于该年度内）"
        )
        parser.add_argument(
            "--metric",
            action="append",
            default=[],
            help="完成情况表只列该指标（指标代码，可重复；默认全部）",
        )

    def handle(self, *args, year, unit, output, completion, as_of, metric, **options):
        if not completion and (as_of or metric):
            raise CommandError("--as-of 和 --metric 只用于完成情况表，请同时加 --completion。")
        org = find_unit(unit)
        plan = TargetPlan.objects.filter(unit=org, year=year).first()
        if plan is None:
            raise CommandError(f"{org.name}没有{year}年的目标任务。")
        if completion:
            # The shell sees every row: the same table the district's page shows that day.
            on = as_of_date(as_of) if as_of else today()
            table = selectors.completion_table(plan, on, visible=None, show=metric)
            unknown = sorted(set(metric) - {c.metric.code for c in table.columns})
            if unknown:
                known = "、".join(c.metric.code for c in table.columns)
                raise CommandError(f"该目标任务没有指标“{'、'.join(unknown)}”；可用：{known}。")
            data = write_completion(table)
        else:
            data = write_attachment(plan)
        path = Path(output)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"无法写入文件“{path}”：{exc}") from exc
        if completion:
            self.stdout.write(
                f"已导出 {year}年{org.name}截至{chinese_date(table.result.on)}的完成情况表"
                f"（{len(table.shown)} 个指标，{len(table.rows)} 个单位及合计，"
                f"序时进度 {table.result.expected:.0%}）到 {path}"
            )
            return
        units = plan.values.values("unit").distinct().count()
        self.stdout.write(
            f"已导出 {year}年{org.name}的任务分解表（{plan.plan_metrics.count()} 个指标，"
            f"{units} 个单位含本级）到 {path}"
        )
