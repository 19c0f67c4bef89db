"""No exported file runs what a user typed: text that a spreadsheet would take for a formula
(=HYPERLINK(…), +cmd|…, @SUM(…), -2+3…) is written into every text field a user can set, then
every file the portal hands out — each route's download, the admin's exports — is opened and
searched for a live formula or a CSV cell that starts like one."""

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from bulletins.services import issue_bulletin
from core.models import User
from core.sheets.import_export import FORMATS
from enterprises.io.resources import EnterpriseResource, EnterpriseYearResource
from enterprises.models import Enterprise
from enterprises.services import EDITABLE_FIELDS, update_enterprise
from targets.models import TargetPlan
from targets.services import update_plan
from tests.core.test_route_matrix import objects_of, url_for
from tests.routes import portal_routes

pytestmark = pytest.mark.django_db

ATTACKS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3+cmd|x", "=1+1"]
# What Excel, WPS and LibreOffice start a formula with (OWASP's list), stated here rather than
# taken from the writer under test.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_FIELDS = ["name", "address", "legal_rep", "contact", "tech_subfield", "industry", "notes"]


@pytest.fixture
def poisoned(demo_data, db, settings):
    """Every text field of every 湖塘镇 enterprise, and the plan's title, set to an attack."""
    settings.PORTAL_TODAY = datetime.date(2019, 7, 15)
    district = User.objects.get(username="district")
    assert set(TEXT_FIELDS) <= set(EDITABLE_FIELDS)
    for n, enterprise in enumerate(Enterprise.objects.filter(town__name="湖塘镇")):
        attack = ATTACKS[n % len(ATTACKS)]
        update_enterprise(
            actor=district,
            enterprise=enterprise,
            **{field: f"{attack}{n}" if field == "name" else attack for field in TEXT_FIELDS},
        )
    plan = TargetPlan.objects.order_by("pk").first()
    update_plan(actor=district, plan=plan, title=ATTACKS[0], notes=ATTACKS[1])
    issue_bulletin(actor=district, plan=plan)
    return plan


def live_formulas(data: bytes) -> list[str]:
    """Cells of an .xlsx that a spreadsheet would compute; formula-like text kept as text."""
    found = []
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            found += [f"{ws.title}!{c.coordinate}: {c.value}" for c in row if c.data_type == "f"]
    return found


def risky_csv_cells(text: str) -> list[str]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]


def downloads(client, objects):
    """(url, body) of every spreadsheet a route hands this user, in both export formats."""
    for route in portal_routes():
        url = url_for(route, objects)
        for extra in ("", "&format=csv" if "?" in url else "?format=csv"):
            response = client.get(url + extra)
            if response.status_code != 200 or not response.has_header("Content-Disposition"):
                continue
            body = b"".join(response) if response.streaming else response.content
            yield url + extra, body


@pytest.mark.parametrize("persona", ["district", "hutang"])
def test_no_download_carries_a_live_formula(poisoned, client, persona):
    from core.models import OrgUnit

    town = OrgUnit.objects.get(name="湖塘镇")
    probe = Enterprise.objects.filter(town=town).first()
    client.force_login(User.objects.get(username=persona))
    problems, opened = {}, []
    for url, body in downloads(client, objects_of(town, probe)):
        opened.append(url)
        if body.startswith(b"PK"):
            found = live_formulas(body)
        else:
            found = risky_csv_cells(body.decode("utf-8-sig"))
        if found:
            problems[url] = found[:3]
    assert problems == {}
    assert "/enterprises/export/" in opened and "/enterprises/export/?format=csv" in opened
    assert any("template" in url for url in opened)  # the quarterly or ladder template
    if persona == "district":
        assert any(url.endswith("/xlsx/") for url in opened)  # the bulletin
        assert any(url.endswith("/export/") and "targets" in url for url in opened)


@pytest.mark.parametrize("sheet_format", FORMATS)
def test_the_admins_exports_keep_formulas_as_text(poisoned, sheet_format):
    admin = User.objects.get(username="admin")
    for resource in (EnterpriseResource, EnterpriseYearResource):
        data = sheet_format().export_data(resource(user=admin).export())
        if isinstance(data, bytes):
            assert live_formulas(data) == []
            values = {
                c.value
                for ws in load_workbook(io.BytesIO(data)).worksheets
                for r in ws.iter_rows()
                for c in r
            }
            assert ATTACKS[2] in values or resource is EnterpriseYearResource  # kept, as text
        else:
            assert risky_csv_cells(data) == []
