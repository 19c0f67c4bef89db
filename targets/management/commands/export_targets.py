from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from core.models import OrgUnit
from targets.io import write_attachment
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


class Command(BaseCommand):
    help = "把某单位某年度的目标任务导出为任务分解表（.xlsx，与通知附件同样式）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，如 2019")
        parser.add_argument("--unit", required=True, help="下达单位的名称或简称，如 武进区")
        parser.add_argument("--output", required=True, help="输出文件，如 2019年任务分解表.xlsx")

    def handle(self, *args, year, unit, output, **options):
        org = find_unit(unit)
        plan = TargetPlan.objects.filter(unit=org, year=year).first()
        if plan is None:
            raise CommandError(f"{org.name}没有{year}年的目标任务。")
        path = Path(output)
        try:
            path.write_bytes(write_attachment(plan))
        except OSError as exc:
            raise CommandError(f"无法写入文件“{path}”：{exc}") from exc
        units = plan.values.values("unit").distinct().count()
        self.stdout.write(
            f"已导出 {year}年{org.name}的任务分解表（{plan.plan_metrics.count()} 个指标，"
            f"{units} 个单位含本级）到 {path}"
        )
