"""The lists a bureau sends upward, as Excel: the 预诊断 ranking and the expiring
certificates — the page's rows in the page's order, a title and date, print-ready, and only
what the user may see."""

import io
from datetime import date

import openpyxl
import pytest

from core.demo import wujin_unit
from cultivation.prediagnosis import closest_to_passing
from cultivation.selectors import expiring_certificates
from enterprises.models import Enterprise

TODAY = date(2019, 7, 15)


@pytest.fixture
def demo(demo_data, db, settings, personas):
    settings.PORTAL_TODAY = TODAY


def sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def body(ws) -> list[tuple]:
    """The table under the title, note and header lines."""
    return [row for row in ws.iter_rows(min_row=4, values_only=True)]


def test_the_expiring_list_exports_what_the_page_lists(demo, client_for, district):
    response = client_for(district).get("/cultivation/expiring/export/", {"year": 2019})
    assert "20190715" in response["Content-Disposition"]  # dated by the portal's clock
    ws = sheet(response)
    assert ws["A1"].value == "武进区2019年到期高新技术企业证书名单"
    expected = list(expiring_certificates(Enterprise.objects.all(), 2019))
    assert f"共 {len(expected)} 家" in ws["A2"].value
    rows = body(ws)
    assert [r[1] for r in rows] == [c.enterprise.name for c in expected]
    assert [r[7] for r in rows] == ["已登记申报" if c.renewing else "未申报" for c in expected]
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape"


def test_a_town_exports_only_its_own_certificates(demo, client_for, hutang):
    rows = body(sheet(client_for(hutang).get("/cultivation/expiring/export/", {"year": 2019})))
    own = expiring_certificates(Enterprise.objects.in_unit(wujin_unit("湖塘镇")), 2019)
    assert rows and len(rows) == own.count()
    assert {r[3] for r in rows} == {"湖塘"}


def test_a_quarter_narrows_the_expiring_list(demo, client_for, district):
    client = client_for(district)
    whole = body(sheet(client.get("/cultivation/expiring/export/", {"year": 2019})))
    q4 = body(sheet(client.get("/cultivation/expiring/export/", {"year": 2019, "quarter": 4})))
    assert q4 and all(r[6].month >= 10 for r in q4)
    assert len(q4) == sum(1 for r in whole if r[6].month >= 10)


def test_the_diagnosis_list_exports_the_ranking_in_order(demo, client_for, district):
    client = client_for(district)
    ws = sheet(client.get("/cultivation/diagnosis/export/", {"year": 2020}))
    assert "预诊断名单（按2020年申报）" in ws["A1"].value
    rows = body(ws)
    fresh = closest_to_passing(Enterprise.objects.all(), apply_year=2020)
    group = "无法判断（缺少数据，补齐后才能排名）"
    first_undecided = next(i for i, r in enumerate(fresh) if r.hte.undecided)
    assert rows[first_undecided][0] == group  # the group line before the undecided
    names = [r[1] for r in rows if r[0] != group]
    assert names == [r.enterprise.name for r in fresh]
    assert [r[4] for r in rows if r[0] != group] == [r.hte.summary() for r in fresh]
