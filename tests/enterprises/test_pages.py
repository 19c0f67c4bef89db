"""The registry as each persona sees it: list, filters, detail, forms, exports and API."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from enterprises.models import Enterprise

from .conftest import code

HUTANG_NAMES = {"常州湖塘精密机械有限公司", "常州湖塘新材料有限公司", "常州同名科技有限公司"}


def listed(client, **params) -> list[str]:
    page = client.get(reverse("enterprises:index"), params)
    assert page.status_code == 200
    return [e.name for e in page.context["page"].object_list]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("district", 6), ("leader", 6), ("admin", 6), ("hutang", 3), ("niutang", 2), ("outsider", 0)],
)
def test_list_shows_only_the_personas_scope(client_for, personas, registry, persona, expected):
    names = listed(client_for(personas[persona]))
    assert len(names) == expected
    if persona == "hutang":
        assert set(names) == HUTANG_NAMES


def test_filters_and_search(client_for, district, registry, units):
    client = client_for(district)
    assert set(listed(client, town=units["湖塘镇"].pk)) == HUTANG_NAMES
    assert set(listed(client, town=units["武进区"].pk)) == {e.name for e in registry.values()}
    assert listed(client, tech_field="biomedicine") == ["常州高新生物医药有限公司"]
    assert len(listed(client, above_scale="true")) == 3
    assert listed(client, q="精密") == ["常州湖塘精密机械有限公司"]
    assert listed(client, q=code(4)[-8:].lower()) == ["常州牛塘电子有限公司"]  # partial code
    assert listed(client, uscc_warning="true") == []


def test_town_filter_cannot_reach_outside_scope(client_for, hutang, registry, units):
    page = client_for(hutang).get(reverse("enterprises:index"), {"town": units["牛塘镇"].pk})
    assert page.context["page"].object_list == [] or not page.context["filter"].form.is_valid()
    assert "常州牛塘电子有限公司" not in page.content.decode()


def test_deactivated_enterprises_leave_the_default_list(client_for, district, registry):
    from enterprises import services

    services.set_active(
        actor=district, enterprise=registry[("高新区", "常州高新生物医药有限公司")], active=False
    )
    client = client_for(district)
    assert "常州高新生物医药有限公司" not in listed(client)
    assert listed(client, status="inactive") == ["常州高新生物医药有限公司"]
    assert len(listed(client, status="all")) == 6


def test_query_count_does_not_grow_with_page_size(client_for, district, units):
    from enterprises import services

    for n in range(120):
        services.create_enterprise(
            actor=None, uscc=code(1000 + n), name=f"批量企业{n:03d}", town=units["洛阳镇"]
        )
    client = client_for(district)
    listed(client, page_size=50)  # the total ("共 N 条") is cached from here on
    counts = []
    for size in (20, 100):
        with CaptureQueriesContext(connection) as queries:
            assert len(listed(client, page_size=size)) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("persona", "town", "status"),
    [
        ("hutang", "湖塘镇", 200),
        ("hutang", "牛塘镇", 404),
        ("niutang", "湖塘镇", 404),
        ("leader", "湖塘镇", 200),
    ],
)
def test_detail_page_is_scoped(client_for, personas, registry, persona, town, status):
    enterprise = next(e for (t, _), e in registry.items() if t == town)
    response = client_for(personas[persona]).get(
        reverse("enterprises:detail", args=[enterprise.pk])
    )
    assert response.status_code == status
    if status == 404:
        assert enterprise.name not in response.content.decode()


def test_detail_shows_indicators_with_separators_and_history(client_for, hutang, registry):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    page = (
        client_for(hutang).get(reverse("enterprises:detail", args=[enterprise.pk])).content.decode()
    )
    assert "2,469.00" in page  # sales 1234.5 × 2, thousands separator, 2 decimals
    assert "变更历史" in page and "新建" in page


def test_leader_cannot_open_write_pages(client_for, leader, registry):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    client = client_for(leader)
    for url in [reverse("enterprises:edit", args=[enterprise.pk]), reverse("enterprises:create")]:
        response = client.get(url)
        assert response.status_code == 403
        assert "只读" in response.content.decode()
    assert "新增企业" not in client.get(reverse("enterprises:index")).content.decode()


def test_other_towns_edit_page_is_404(client_for, niutang, registry):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    assert (
        client_for(niutang).get(reverse("enterprises:edit", args=[enterprise.pk])).status_code
        == 404
    )


def test_create_form_shows_chinese_errors_and_keeps_the_input(client_for, hutang, registry, units):
    client = client_for(hutang)
    response = client.post(
        reverse("enterprises:create"),
        {"town": units["湖塘镇"].pk, "name": "常州新申请企业有限公司", "uscc": "91320412ABC"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "应为 18 位，当前为 11 位" in page and "常州新申请企业有限公司" in page
    assert not Enterprise.objects.filter(name="常州新申请企业有限公司").exists()


def test_create_form_offers_only_writable_towns_and_creates(client_for, hutang, units):
    client = client_for(hutang)
    form = client.get(reverse("enterprises:create")).context["form"]
    assert list(form.fields["town"].queryset) == [units["湖塘镇"]]
    response = client.post(
        reverse("enterprises:create"),
        {"town": units["湖塘镇"].pk, "name": "常州新申请企业有限公司", "uscc": code(77).lower()},
    )
    enterprise = Enterprise.objects.get(uscc=code(77))
    assert response.status_code == 302 and response.url == reverse(
        "enterprises:detail", args=[enterprise.pk]
    )


def test_move_form_moves_and_the_history_shows_it(client_for, district, registry, units):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    client = client_for(district)
    response = client.post(
        reverse("enterprises:move", args=[enterprise.pk]),
        {"town": units["洛阳镇"].pk, "on": "2019-03-01", "note": "搬迁"},
    )
    assert response.status_code == 302
    page = client.get(reverse("enterprises:detail", args=[enterprise.pk])).content.decode()
    assert "迁移" in page and "洛阳镇" in page and "2019-02-28" in page


def test_year_form_rejects_inconsistent_staff_in_chinese(client_for, hutang, registry):
    enterprise = registry[("湖塘镇", "常州湖塘新材料有限公司")]
    response = client_for(hutang).post(
        reverse("enterprises:year_create", args=[enterprise.pk]),
        {"year": 2017, "staff_total": 10, "st_staff": 20},
    )
    assert "科技人员数不能大于职工总数" in response.content.decode()
    assert not enterprise.years.filter(year=2017).exists()
    duplicate = client_for(hutang).post(
        reverse("enterprises:year_create", args=[enterprise.pk]), {"year": 2018}
    )
    assert "2018年度指标已存在" in duplicate.content.decode()


def test_xlsx_export_is_scoped_filtered_and_typed(client_for, hutang, registry):
    response = client_for(hutang).get(
        reverse("enterprises:export"), {"format": "xlsx", "q": "湖塘"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["企业名称", "统一社会信用代码", "代码校验", "所属镇（园区）"]
    assert "2018年销售收入（万元）" in header
    assert sheet.freeze_panes == "A2"
    assert sheet[1][0].font.bold
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert {r[0] for r in rows} == {"常州湖塘精密机械有限公司", "常州湖塘新材料有限公司"}
    sales = rows[0][header.index("2018年销售收入（万元）")]
    assert isinstance(sales, int | float) and sales in (1234.5, 2469.0)
    assert sheet.column_dimensions["A"].width >= 30


def test_csv_export_opens_in_excel_and_matches_scope(client_for, niutang, registry):
    response = client_for(niutang).get(reverse("enterprises:export"), {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff企业名称,")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r[0] for r in rows[1:]} == {"常州牛塘电子有限公司", "常州同名科技有限公司"}


def test_api_uses_the_same_filters_and_scope(client_for, hutang, district, registry, units):
    data = client_for(hutang).get("/api/v1/enterprises/").json()
    assert {r["name"] for r in data["results"]} == HUTANG_NAMES
    other = registry[("牛塘镇", "常州牛塘电子有限公司")]
    assert client_for(hutang).get(f"/api/v1/enterprises/{other.pk}/").status_code == 404
    data = (
        client_for(district)
        .get("/api/v1/enterprises/", {"town": units["牛塘镇"].pk, "q": "电子"})
        .json()
    )
    assert [r["name"] for r in data["results"]] == ["常州牛塘电子有限公司"]
    detail = client_for(district).get(f"/api/v1/enterprises/{other.pk}/").json()
    assert detail["years"][0]["year"] == 2018 and detail["town_name"] == "牛塘镇"


def test_api_needs_login(client, registry):
    response = client.get("/api/v1/enterprises/")
    assert response.status_code == 401 and response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_same_name_in_two_towns_is_flagged(client_for, district, hutang, registry):
    page = client_for(district).get(reverse("enterprises:duplicates")).content.decode()
    assert page.count("常州同名科技有限公司") == 1 and "湖塘" in page and "牛塘" in page
    own_only = client_for(hutang).get(reverse("enterprises:duplicates")).content.decode()
    assert "没有需要核查的同名企业" in own_only  # a town sees no other town's records


def test_the_edit_form_shows_the_registration_date_a_browser_can_read(client_for, hutang, registry):
    # <input type="date"> only reads yyyy-mm-dd: a value shown as 2018/03/01 would be blank,
    # and saving the form would erase it.
    enterprise = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    enterprise.registered_on = datetime.date(2018, 3, 1)
    enterprise.save()
    page = client_for(hutang).get(reverse("enterprises:edit", args=[enterprise.pk]))
    assert 'type="date" name="registered_on" value="2018-03-01"' in page.content.decode()


def test_the_total_follows_a_change_in_the_users_subtree(
    client_for, district, units, django_capture_on_commit_callbacks
):
    """The list's total is cached; a new enterprise in a town below shows in it at once."""
    from enterprises import services

    client = client_for(district)

    def total() -> int:
        return client.get(reverse("enterprises:index")).context["page"].paginator.count

    before = total()
    assert total() == before  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        services.create_enterprise(
            actor=None, uscc=code(2001), name="新登记企业", town=units["洛阳镇"]
        )
    assert total() == before + 1
