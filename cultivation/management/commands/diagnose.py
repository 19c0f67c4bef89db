import json

from django.core.management.base import BaseCommand, CommandError

from enterprises.models import Enterprise
from enterprises.uscc import normalise

from ...prediagnosis import default_apply_year, diagnose_one


class Command(BaseCommand):
    help = "对一家企业做高企预诊断（按统一社会信用代码），可输出 JSON。"

    def add_arguments(self, parser):
        parser.add_argument("uscc", help="统一社会信用代码")
        parser.add_argument("--year", type=int, help="申报年度（默认：最新年度指标的下一年）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, uscc, year=None, json=False, **options):
        code = normalise(uscc)
        enterprise = Enterprise.objects.filter(uscc=code).first()
        if enterprise is None:
            raise CommandError(f"未找到统一社会信用代码为 {code} 的企业。")
        year = year or default_apply_year()
        result = diagnose_one(enterprise, apply_year=year)
        if json:
            payload = {
                "enterprise": {
                    "name": enterprise.name,
                    "uscc": enterprise.uscc,
                    "town": str(enterprise.town),
                },
                "apply_year": year,
                "hte": result.hte.as_dict(),
                "sme": result.sme.as_dict(),
            }
            self.stdout.write(_json_dumps(payload))
            return
        self.stdout.write(
            f"{enterprise.name}（{enterprise.uscc}，{enterprise.town}）按{year}年申报"
        )
        for title, diagnosis in (("高企认定条件", result.hte), ("科技型中小企业评价", result.sme)):
            self.stdout.write(f"\n{title}：{diagnosis.summary()}")
            for condition in diagnosis.conditions:
                self.stdout.write(
                    f"  [{condition.status.label}] {condition.title}：{condition.message}"
                )
            for part in diagnosis.score_parts:
                mark = "（估算）" if part.estimated else ""
                value = (
                    f"{part.estimate} 分（{part.low}–{part.high}）" if part.known else "无法判断"
                )
                self.stdout.write(f"    · {part.title}{mark}：{value} / {part.max_points}")


def _json_dumps(payload) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2)
