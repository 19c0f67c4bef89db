"""The starting metric catalogue (staff extend it in the admin). Headers follow 武科发〔2019〕14号."""

from django.db import migrations

# code, name, header, unit, source, ladder metric, baseline, aliases
CATALOGUE = [
    ("baseline_valid_hte", "上年末高企数", "{prev}年底高新技术企业数", "家", "ladder", "valid_hte", True,
     "{prev}年底高企数\n{prev}年末高新技术企业数"),
    ("renewal_applications", "到期重新认定申报数", "{prev}年底高企到期数", "家", "ladder", "renewal_applications", False,
     "{prev}年底到期数\n高企到期数\n到期数\n{year}年到期重新认定数"),
    ("first_applications", "高企新申报数", "{year}年高企新申报数", "家", "ladder", "first_applications", False,
     "{year}年新申报数\n新申报数\n高企新申报数"),
    ("applications", "高企申报数", "小计", "家", "ladder", "applications", False,
     "申报数\n{year}年高企申报数\n合计"),
    ("new_hte", "新增高企数", "{year}年新增高新技术企业数", "家", "ladder", "new_hte", False,
     "新增高企\n新增高新技术企业"),
    ("valid_hte", "有效高企总量", "{year}年底有效高新技术企业数", "家", "ladder", "valid_hte", False,
     "有效高企数\n累计有效高新技术企业总量\n有效高新技术企业总量"),
    ("pool_entries", "培育入库数", "{year}年高企培育入库数", "家", "ladder", "pool_entries", False,
     "培育入库\n培育入库企业数\n省高新技术培育入库企业数"),
    ("sme_evaluated", "科小评价入库数", "{year}年科技型中小企业评价入库数", "家", "ladder", "sme_evaluated", False,
     "科技型中小企业评价入库数\n科小入库数"),
    ("projects_attracted", "科创项目招引数", "{year}年科创项目招引数", "个", "reported", "", False,
     "科创项目招引\n新招引科创项目数"),
]


def add(apps, schema_editor):
    Metric = apps.get_model("targets", "Metric")
    for order, (code, name, header, unit, source, ladder, baseline, aliases) in enumerate(CATALOGUE):
        Metric.objects.get_or_create(
            code=code,
            defaults=dict(name=name, header=header, unit=unit, source=source, ladder_metric=ladder,
                          baseline=baseline, aliases=aliases, order=order * 10),
        )


def remove(apps, schema_editor):
    apps.get_model("targets", "Metric").objects.filter(code__in=[c[0] for c in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("targets", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
