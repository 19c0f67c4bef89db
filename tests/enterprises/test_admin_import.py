"""Bulk maintenance of the registry in the admin (django-import-export): scoped, all-or-nothing,
logged. Files go through the real preview → confirm views, the upload kept in MEDIA_ROOT."""

import csv
import io

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.choices import Action
from core.models import ChangeLog
from enterprises import services
from enterprises.io.resources import EnterpriseResource
from enterprises.models import Enterprise, EnterpriseYear, TownSpan
from enterprises.uscc import with_check_digit

HEADERS = ["统一社会信用代码", "企业名称", "所属镇（园区）", "技术领域", "规上企业", "注册日期"]
YEAR_HEADERS = ["统一社会信用代码", "年度", "职工总数", "科技人员数", "研发费用（万元）"]
XLSX, CSV = "0", "1"


def code(n: int) -> str:
    return with_check_digit(f"91320412MA{n:07d}")


HUTANG, NIUTANG = code(1), code(2)  # the `existing` enterprises


def xlsx(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    for row in [headers, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(headers, rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *rows])
    return buffer.getvalue().encode(encoding)


def preview(client, content, name="企业.xlsx", model="enterprise"):
    upload = SimpleUploadedFile(name, content)
    fmt = CSV if name.endswith(".csv") else XLSX
    url = reverse(f"admin:enterprises_{model}_import")
    return client.post(url, {"import_file": upload, "format": fmt, "resource": "0"})


def confirm(client, page, model="enterprise"):
    assert page.context.get("confirm_form"), page.content.decode()
    url = reverse(f"admin:enterprises_{model}_process_import")
    return client.post(url, page.context["confirm_form"].initial, follow=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def hutang_staff(hutang):
    """A 湖塘镇 user let into the admin with the registry's model permissions."""
    hutang.is_staff = True
    hutang.save()
    models = ("enterprise", "enterpriseyear")
    codenames = [f"{action}_{m}" for action in ("add", "change", "view") for m in models]
    hutang.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return hutang


@pytest.fixture
def existing(units):
    return [
        services.create_enterprise(
            actor=None, uscc=HUTANG, name="湖塘老公司", town=units["湖塘镇"]
        ),
        services.create_enterprise(
            actor=None, uscc=NIUTANG, name="牛塘老公司", town=units["牛塘镇"]
        ),
    ]


def test_import_creates_enterprises_with_town_span_and_history(client_for, admin_user, media):
    rows = [
        [code(3), "常州甲科技有限公司", "湖塘镇", "先进制造与自动化", "是", "2019-06-30"],
        [code(4), "常州乙科技有限公司", "牛塘", "电子信息", "否", None],
    ]
    client = client_for(admin_user)
    page = preview(client, xlsx(HEADERS, rows))
    assert len(list((media / "django-import-export").iterdir())) == 1  # waits for the confirm
    assert "导入完成：新增 2 条" in confirm(client, page).content.decode()
    assert not list((media / "django-import-export").iterdir())
    first = Enterprise.objects.get(uscc=code(3))
    assert (first.town.name, first.tech_field, first.above_scale) == (
        "湖塘镇",
        "manufacturing",
        True,
    )
    assert str(first.registered_on) == "2019-06-30"
    assert Enterprise.objects.get(uscc=code(4)).town.name == "牛塘镇"
    for enterprise in Enterprise.objects.all():
        span = TownSpan.objects.get(enterprise=enterprise)
        assert (span.town, span.start, span.end) == (enterprise.town, None, None)
        log = ChangeLog.objects.get(object_id=str(enterprise.pk), action=Action.IMPORT)
        assert (log.actor, log.unit, log.before) == (admin_user, enterprise.town, None)
        assert log.after["企业名称"] == enterprise.name


def test_existing_code_in_full_width_lower_case_updates_it(client_for, admin_user, existing):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in HUTANG.lower())
    content = csv_file(HEADERS, [[f" {full_width} ", "湖塘新名称", "湖塘", "", "否", ""]])
    client = client_for(admin_user)
    confirm(client, preview(client, content, "企业.csv"))
    assert Enterprise.objects.count() == 2
    enterprise = Enterprise.objects.get(uscc=HUTANG)
    assert enterprise.name == "湖塘新名称" and enterprise.town_spans.count() == 1
    log = ChangeLog.objects.get(object_id=str(enterprise.pk), action=Action.IMPORT)
    assert (log.before["企业名称"], log.after["企业名称"]) == ("湖塘老公司", "湖塘新名称")


def test_gb18030_csv_from_chinese_excel_is_read(client_for, admin_user, units):
    content = csv_file(HEADERS, [[code(5), "常州丙有限公司", "湖塘镇"]], "gb18030")
    client = client_for(admin_user)
    confirm(client, preview(client, content, "企业.csv"))
    assert Enterprise.objects.get(uscc=code(5)).name == "常州丙有限公司"


def test_checksum_failure_is_accepted_and_flagged(client_for, admin_user, units):
    bad = code(6)[:17] + ("1" if code(6)[17] != "1" else "2")
    client = client_for(admin_user)
    done = confirm(client, preview(client, xlsx(HEADERS, [[bad, "常州丁有限公司", "湖塘镇"]])))
    assert "其中 1 家的统一社会信用代码校验位不符" in done.content.decode()
    assert Enterprise.objects.get(uscc=bad).uscc_checksum_ok is False


GOOD = [code(7), "常州新公司", "湖塘镇"]
UPDATE = [HUTANG, "湖塘改名", "湖塘镇"]


@pytest.mark.parametrize(
    ("model", "headers", "rows", "message"),
    [
        ("enterprise", HEADERS, [GOOD, ["12345", "坏代码", "湖塘镇"], UPDATE],
         "第3行 统一社会信用代码：应为 18 位，当前为 5 位。"),
        ("enterprise", HEADERS, [GOOD, [code(8), "火星公司", "火星镇"]],
         "第3行 所属镇（园区）“火星镇”不存在或不在您的权限范围内"),
        ("enterprise", HEADERS, [GOOD, [HUTANG, "湖塘老公司", "牛塘镇"]],
         "第3行 所属镇（园区）：不能通过导入修改（当前为“湖塘镇”，文件中为“牛塘镇”），请在企业详情页使用“迁移”功能"),
        ("enterprise", HEADERS, [GOOD, [code(9), "乙", "湖塘镇"], [code(7).lower(), "丙", "湖塘"]],
         f"第4行 统一社会信用代码“{code(7)}”与第2行重复"),
        ("enterprise", HEADERS[:2], [[code(9), "没有镇的公司"]], "第2行 所属镇（园区）：请填写。"),
        ("enterprise", HEADERS[1:], [["没有代码的公司", "湖塘镇"]], "文件缺少“统一社会信用代码”列"),
        ("enterpriseyear", YEAR_HEADERS, [[HUTANG, 2018, 10, 8, 5], [HUTANG, 2019, 10, 12, None]],
         "第3行 科技人员数：12 不能大于职工总数 10。"),
        ("enterpriseyear", YEAR_HEADERS, [[HUTANG, 2018, 10, 8, 5], [code(99), 2019, 1, 1, 1]],
         f"第3行 统一社会信用代码“{code(99)}”未登记或不在您的权限范围内。"),
    ],
)  # fmt: skip
def test_a_file_with_one_bad_row_is_refused_whole(
    client_for, admin_user, existing, model, headers, rows, message
):
    page = preview(client_for(admin_user), xlsx(headers, rows), model=model)
    assert page.status_code == 200 and not page.context.get("confirm_form")
    assert message in page.content.decode()
    assert Enterprise.objects.count() == 2 and not EnterpriseYear.objects.exists()
    assert Enterprise.objects.get(uscc=HUTANG).name == "湖塘老公司"
    assert not ChangeLog.objects.filter(action=Action.IMPORT).exists()


@pytest.mark.parametrize(
    ("model", "rows", "message"),
    [
        ("enterprise", [[code(10), "湖塘新公司", "湖塘镇"], [code(11), "牛塘新公司", "牛塘镇"]],
         "第3行 所属镇（园区）“牛塘镇”不存在或不在您的权限范围内"),
        ("enterprise", [[code(10), "湖塘新公司", "湖塘镇"], [NIUTANG, "抢过来", "湖塘镇"]],
         f"第3行 统一社会信用代码“{NIUTANG}”已由其他单位登记，不在您的权限范围内。"),
        ("enterpriseyear", [[HUTANG, 2018, 10, 8, 5], [NIUTANG, 2018, 10, 8, 5]],
         f"第3行 统一社会信用代码“{NIUTANG}”未登记或不在您的权限范围内。"),
    ],
)  # fmt: skip
def test_town_staff_cannot_touch_another_town(
    client_for, hutang_staff, existing, model, rows, message
):
    headers = YEAR_HEADERS if model == "enterpriseyear" else HEADERS
    page = preview(client_for(hutang_staff), xlsx(headers, rows), model=model)
    assert not page.context.get("confirm_form") and message in page.content.decode()
    assert Enterprise.objects.count() == 2 and not EnterpriseYear.objects.exists()
    assert Enterprise.objects.get(uscc=NIUTANG).name == "牛塘老公司"


def test_confirm_step_is_all_or_nothing_even_if_the_file_changed(
    client_for, admin_user, existing, media
):
    """A file that fails only at the confirm step (the preview bypassed) still writes nothing."""
    (media / "django-import-export").mkdir()
    rows = [GOOD, UPDATE, [code(12), "火星公司", "火星镇"]]
    (media / "django-import-export" / "tampered").write_bytes(xlsx(HEADERS, rows))
    data = {"import_file_name": "tampered", "original_file_name": "a.xlsx", "format": XLSX}
    response = client_for(admin_user).post(
        reverse("admin:enterprises_enterprise_process_import"), data, follow=True
    )
    page = response.content.decode()
    assert "导入已取消，未写入任何数据" in page and "第4行 所属镇（园区）“火星镇”不存在" in page
    assert (
        Enterprise.objects.count() == 2 and Enterprise.objects.get(uscc=HUTANG).name == "湖塘老公司"
    )
    assert not ChangeLog.objects.filter(action=Action.IMPORT).exists()


def test_resource_rolls_back_valid_rows_whatever_the_caller_asks(admin_user, existing):
    data = tablib.Dataset(GOOD, UPDATE, ["", "无代码公司", "湖塘镇"], headers=HEADERS[:3])
    result = EnterpriseResource(user=admin_user).import_data(
        data, rollback_on_validation_errors=False
    )
    assert result.has_validation_errors()
    assert (
        Enterprise.objects.count() == 2 and Enterprise.objects.get(uscc=HUTANG).name == "湖塘老公司"
    )


def test_year_import_creates_rows_and_logs_on_the_enterprise(client_for, admin_user, existing):
    client = client_for(admin_user)
    content = xlsx(YEAR_HEADERS, [[HUTANG, 2018, 120, 30, 456.785]])
    confirm(client, preview(client, content, model="enterpriseyear"), model="enterpriseyear")
    row = EnterpriseYear.objects.get(enterprise=existing[0], year=2018)
    assert (row.staff_total, row.st_staff, str(row.rd_expense)) == (120, 30, "456.79")
    log = ChangeLog.objects.get(object_id=str(existing[0].pk), action=Action.IMPORT)
    assert log.note == "2018年度指标（导入）" and log.after["科技人员数"] == 30


def test_export_gives_town_staff_only_their_town_with_chinese_headers(
    client_for, hutang_staff, existing
):
    columns = {
        f"enterpriseresource_{name}": "on" for name in EnterpriseResource().get_export_order()
    }
    response = client_for(hutang_staff).post(
        reverse("admin:enterprises_enterprise_export"), {"format": CSV, "resource": "0", **columns}
    )
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["统一社会信用代码", "企业名称", "所属镇（园区）"]
    assert [line[:3] for line in lines[1:]] == [[HUTANG, "湖塘老公司", "湖塘镇"]]


def test_import_needs_no_query_per_row(admin_user, units):
    def run(count, start, name):
        rows = [[code(start + i), f"{name}{i}", "湖塘镇", "", "否", ""] for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            result = EnterpriseResource(user=admin_user).import_data(
                tablib.Dataset(*rows, headers=HEADERS)
            )
        assert not result.has_errors() and not result.has_validation_errors()
        return len(queries)

    assert run(5, 100, "新") == run(40, 200, "新")  # creates
    assert run(5, 100, "改") == run(40, 200, "改")  # updates


def test_admin_add_and_edit_go_through_the_services(client_for, admin_user, units):
    client = client_for(admin_user)
    data = {"uscc": code(13).lower(), "name": "后台新建公司", "is_active": "on"}
    response = client.post(
        reverse("admin:enterprises_enterprise_add"), {**data, "town": units["湖塘镇"].pk}
    )
    assert response.status_code == 302, response.content.decode()
    enterprise = Enterprise.objects.get(uscc=code(13))
    assert enterprise.town_spans.exists()
    url = reverse("admin:enterprises_enterprise_change", args=[enterprise.pk])
    assert client.post(url, {**data, "name": "后台改名"}).status_code == 302
    actions = ChangeLog.objects.filter(
        object_id=str(enterprise.pk), content_type__model="enterprise"
    )
    assert sorted(actions.values_list("action", flat=True)) == [Action.CREATE, Action.UPDATE]
    assert actions.get(action=Action.UPDATE).after["企业名称"] == "后台改名"


@pytest.mark.parametrize("persona", ["admin_user", "hutang_staff"])
def test_admin_pages_open_and_list_only_the_scope(client_for, request, existing, persona):
    client = client_for(request.getfixturevalue(persona))
    for model in ("enterprise", "enterpriseyear"):
        for page in ("changelist", "import", "export", "add"):
            assert client.get(reverse(f"admin:enterprises_{model}_{page}")).status_code == 200
    listed = client.get(reverse("admin:enterprises_enterprise_changelist")).content.decode()
    assert "湖塘老公司" in listed and ("牛塘老公司" in listed) == (persona == "admin_user")
    change = client.get(reverse("admin:enterprises_enterprise_change", args=[existing[0].pk]))
    assert 'name="town"' not in change.content.decode()  # moves go through 迁移
