"""What the period and submission pages say: towns reopened for, who uploaded (a person's name,
or 系统导入 — never "None"), status labels said once (never 已已退回), and Chinese empty
choices instead of Django's "---------"."""

import io
import re
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from core.sheets import to_bytes
from reports import services
from reports.columns import DATA_SHEET
from reports.io.template import build_template
from reports.models import Submission
from tests.enterprises.conftest import code


@pytest.fixture
def period(registry, units, settings):
    settings.PORTAL_TODAY = date(2019, 4, 10)
    return services.open_period(
        actor=None,
        unit=units["武进区"],
        year=2019,
        quarter=1,
        window_start=date(2019, 4, 1),
        deadline=date(2019, 4, 15),
    )


def town_file(period, unit, staff: int = 150) -> bytes:
    book = load_workbook(io.BytesIO(build_template(period=period, unit=unit)))
    row = next(r for r in book[DATA_SHEET].iter_rows() if r[0].value == code(1))
    row[2].value = staff  # 职工总数
    return to_bytes(book)


def upload(period, unit, user, staff: int = 150) -> Submission:
    job = services.start_upload(
        actor=user,
        period=period,
        unit=unit,
        file_name="湖塘.xlsx",
        data=town_file(period, unit, staff),
    )
    submission, _ = services.confirm_upload(actor=user, job=job, acknowledged=True)
    return submission


def page(client, name, pk) -> str:
    return client.get(reverse(f"reports:{name}", args=[pk])).content.decode()


def row_of(html: str, label: str) -> str:
    """The reporting-rate table's row of a unit (by its short label)."""
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", html, flags=re.S)
    [row] = [r for r in rows if r.startswith(label)]
    return row


# --- (a) towns reopened for --------------------------------------------------------------------


def test_a_town_reopened_for_is_marked_beside_it_until_its_reopening_runs_out(
    period, units, client_for, district, settings
):
    settings.PORTAL_TODAY = date(2019, 4, 25)  # locked since 4/22
    services.reopen(actor=district, period=period, unit=units["湖塘镇"], until=date(2019, 4, 30))
    html = page(client_for(district), "period", period.pk)
    assert "重新开放至 2019-04-30" in row_of(html, "湖塘")
    assert "重新开放至" not in row_of(html, "牛塘")
    settings.PORTAL_TODAY = date(2019, 5, 1)  # it ran out: the town is locked again
    assert "重新开放至" not in row_of(page(client_for(district), "period", period.pk), "湖塘")


def test_the_reopened_town_sees_its_mark_too(period, units, client_for, district, hutang, settings):
    settings.PORTAL_TODAY = date(2019, 4, 25)
    services.reopen(actor=district, period=period, unit=units["湖塘镇"], until=date(2019, 4, 28))
    assert "重新开放至 2019-04-28" in row_of(page(client_for(hutang), "period", period.pk), "湖塘")


# --- (b) who uploaded -------------------------------------------------------------------------


def test_a_version_made_by_the_import_command_says_系统导入_never_none(
    period, units, client_for, hutang, district, tmp_path
):
    path = tmp_path / "湖塘镇2019Q1.xlsx"
    path.write_bytes(town_file(period, units["湖塘镇"]))
    call_command("import_quarterly", str(path), unit="湖塘镇", period="2019Q1", stdout=StringIO())
    submission = Submission.objects.get()
    assert submission.uploaded_by is None
    services.review(actor=None, submission=submission, approve=False, comment="请补充研发费用")

    history = page(client_for(hutang), "period", period.pk)  # the town's own versions
    detail = page(client_for(district), "submission", submission.pk)
    assert "<td>系统导入</td>" in history
    assert "由 系统导入 上传" in detail and "审核意见（系统，" in detail
    assert "None" not in history and "None" not in detail


def test_a_version_uploaded_by_a_person_names_them(period, units, client_for, hutang, district):
    submission = upload(period, units["湖塘镇"], hutang)
    services.review(actor=district, submission=submission, approve=False, comment="请核对")
    assert f"<td>{hutang}</td>" in page(client_for(hutang), "period", period.pk)
    detail = page(client_for(district), "submission", submission.pk)
    assert f"由 {hutang} 上传" in detail and f"审核意见（{district}，" in detail


# --- (c) a status said once --------------------------------------------------------------------


@pytest.mark.parametrize("approve", [False, True])
def test_reviewing_a_reviewed_version_again_says_its_status_once(
    period, units, hutang, district, client_for, approve
):
    submission = upload(period, units["湖塘镇"], hutang)
    services.review(actor=district, submission=submission, approve=approve, comment="请核对")
    label = "已审核通过" if approve else "已退回"
    with pytest.raises(ValidationError) as refused:
        services.review(actor=district, submission=submission, approve=False, comment="再退回")
    assert refused.value.messages == [f"该版本{label}，不能重复审核。"]
    # The page posting the same (a second tab left open) says it the same way.
    response = client_for(district).post(
        reverse("reports:submission", args=[submission.pk]),
        {"decision": "return", "comment": "再退回"},
    )
    html = response.content.decode()
    assert f"该版本{label}，不能重复审核" in html and "已已" not in html


def test_no_reporting_page_doubles_已(period, units, hutang, district, client_for):
    returned = upload(period, units["湖塘镇"], hutang, staff=140)
    services.review(actor=district, submission=returned, approve=False, comment="请核对")
    pending = upload(period, units["湖塘镇"], hutang, staff=150)
    upload(period, units["湖塘镇"], hutang, staff=160)  # replaces the pending one
    for user in (hutang, district):
        client = client_for(user)
        pages = [page(client, "period", period.pk)]
        pages += [page(client, "submission", s.pk) for s in (returned, pending)]
        assert not [p for p in pages if "已已" in p]


# --- (d) empty choices ---------------------------------------------------------------------------


def test_the_reopen_form_asks_for_a_unit_in_chinese(period, client_for, district):
    html = page(client_for(district), "period", period.pk)
    select = re.search(r'<select name="unit".*?</select>', html, flags=re.S).group()
    assert re.search(r'<option value=""[^>]*>请选择单位</option>', select)
    assert "---------" not in html


def test_the_period_form_asks_for_a_quarter_in_chinese(units, client_for, district):
    html = client_for(district).get(reverse("reports:period_create")).content.decode()
    select = re.search(r'<select name="quarter".*?</select>', html, flags=re.S).group()
    assert re.search(r'<option value=""[^>]*>请选择季度</option>', select)
    assert "第4季度" in select and "---------" not in html


# --- every figure of the reporting rate clicks through to its towns ---------------------------


def test_each_reporting_figure_lists_the_towns_behind_it(
    period, units, client_for, hutang, district
):
    upload(period, units["湖塘镇"], hutang)
    client = client_for(district)
    listing = client.get(reverse("reports:index")).content.decode()
    detail = reverse("reports:period", args=[period.pk])
    expected = period.required_units.count()
    assert f'href="{detail}?show=received#rate">1 / {expected}</a>' in listing
    assert f'href="{detail}?show=missing#rate">{expected - 1}</a>' in listing

    def labels(show: str) -> set[str]:
        html = client.get(detail, {"show": show}).content.decode()
        table = html[html.index("<tbody>") : html.index("</tbody>")]
        return set(re.findall(r"<tr>\s*<td>([^<\s]+)", table))

    assert labels("received") == {"湖塘"}
    missing = labels("missing")
    assert len(missing) == expected - 1 and "湖塘" not in missing
    assert labels("approved") == set()
    assert labels("nonsense") == missing | {"湖塘"}  # an unknown filter shows every town
