from pathlib import Path

from django.core.management.base import BaseCommand

from ...io.template import build_template
from ..lookup import period_for, unit_named


class Command(BaseCommand):
    help = "导出某单位某期次的预填报送模板（与网页“下载预填模板”相同）。"

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="报送单位（名称或简称），如 洛阳镇")
        parser.add_argument("--period", required=True, help="期次，如 2019Q2")
        parser.add_argument("--output", required=True, help="写入的 .xlsx 文件")

    def handle(self, *args, unit, period, output, **options):
        reporting_unit = unit_named(unit)
        reporting_period = period_for(period, reporting_unit)
        path = Path(output)
        path.write_bytes(build_template(period=reporting_period, unit=reporting_unit))
        self.stdout.write(f"已导出 {reporting_unit} {reporting_period} 的模板：{path}")
