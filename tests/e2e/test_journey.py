"""The quarter's journey in a real browser, on the demo (武进区, mid-2019):

1. 湖塘镇's clerk logs in, opens the open quarter, downloads the pre-filled template, fills it
   in (openpyxl), uploads a bad copy and reads the errors (sheet, row, column), uploads the
   good one, reads the preview and confirms: a pending (待审核) version, nothing written yet;
2. the district's staff open that version, approve it: the registry now holds its values;
3. the leader's dashboard: the charts are drawn (an ECharts canvas with pixels on it, fed with
   data), the cards show the completion figures, and a click leads into a town and from one
   of its numbers to the enterprises behind it.

A screenshot at 1366×768 of every step goes to a temporary folder (its path is printed).
One test: the steps build on each other, and a transactional test (the live server's thread
must see the test's data) flushes the database once at the end.
"""

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.demo import wujin_unit
from cultivation import selectors as ladder
from enterprises.models import Enterprise, EnterpriseYear
from reports.choices import SubmissionStatus
from reports.columns import DATA_SHEET
from reports.models import ReportingPeriod, Submission
from targets.models import TargetPlan
from targets.selectors import completion

from .browser import Journey

pytestmark = [pytest.mark.e2e]

TODAY = date(2019, 7, 15)  # the demo's "today": 2019年第2季度 is open (1–15 July)
USCC, STAFF, SALES = "统一社会信用代码", "职工总数", "销售收入（万元）"
CHARTS = ["#ranking-chart", "#trend-chart", "#funnel-chart"]

# How many pixels of a chart's canvas are drawn (not transparent, not near-white).
INKED_PIXELS = """node => {
  const canvas = node.querySelector("canvas");
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) inked++;
  }
  return inked / (canvas.width * canvas.height);
}"""
# The data points the chart was given (0: no chart instance on the node).
CHART_POINTS = """node => {
  const chart = window.echarts && window.echarts.getInstanceByDom(node);
  if (!chart) return 0;
  return chart.getOption().series.reduce((n, s) => n + (s.data || []).length, 0);
}"""
# Where a unit's bar of the ranking chart is drawn, in CSS pixels inside the chart's box.
BAR_CENTRE = """([node, label]) => {
  const chart = window.echarts.getInstanceByDom(node);
  const data = chart.getOption().series[0].data;
  const index = data.findIndex(d => d.row.label === label);
  const [x, y] = chart.convertToPixel({seriesIndex: 0}, [data[index].value / 2, String(index)]);
  return {x, y};
}"""
ANIMATION_DONE = """node => window.echarts.getInstanceByDom(node).getZr().animation.isFinished()"""


def workbook_cells(data: bytes):
    """The data sheet, its header row number and {header: column number}."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[DATA_SHEET]
    header = next(r for r in sheet.iter_rows() if any(c.value == USCC for c in r))
    return book, sheet, header[0].row, {c.value: c.column for c in header if c.value}


def to_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fill_template(template: bytes) -> tuple[bytes, bytes, dict[str, dict], int]:
    """(good file, bad file, {uscc: new values}, the bad cell's row): the clerk raises the staff
    and sales of the first three enterprises; the bad copy has words in a number column."""
    book, sheet, header_row, columns = workbook_cells(template)
    changes: dict[str, dict] = {}
    for row in range(header_row + 1, header_row + 4):
        uscc = sheet.cell(row, columns[USCC]).value
        staff = sheet.cell(row, columns[STAFF]).value
        sales = sheet.cell(row, columns[SALES]).value
        assert uscc and staff is not None and sales is not None, (row, uscc, staff, sales)
        new = {
            "staff_total": int(staff) + 7,
            "sales_revenue": (Decimal(str(sales)) * Decimal("1.1")).quantize(Decimal("0.01")),
            "old_staff_total": int(staff),
        }
        sheet.cell(row, columns[STAFF], new["staff_total"])
        sheet.cell(row, columns[SALES], float(new["sales_revenue"]))
        changes[uscc] = new
    good = to_bytes(book)
    bad_row = header_row + 2
    sheet.cell(bad_row, columns[STAFF], "一百二十人")
    return good, to_bytes(book), changes, bad_row


def upload(journey, name, data):
    page = journey.page
    page.set_input_files(
        "input[type=file][name=file]",
        {"name": name, "mimeType": "application/octet-stream", "buffer": data},
    )
    journey.follow(page.locator("button:has-text('上传并检查')"))


# --- 1. the town's clerk --------------------------------------------------------------------------


def town_uploads(journey, period) -> tuple[Submission, dict[str, dict]]:
    page = journey.page
    hutang = wujin_unit("湖塘")
    journey.login("hutang")

    journey.go("/reports/")
    journey.follow(page.locator(f"a[href='/reports/periods/{period.pk}/']"))
    assert page.inner_text("h1").startswith("2019年第2季度报送")
    assert "湖塘镇 的报送" in page.inner_text("main")
    journey.shot("town-period")

    with page.expect_download() as download_info:
        page.click("a:has-text('下载预填模板')")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "湖塘" in download.suggested_filename
    template = Path(download.path()).read_bytes()
    good, bad, changes, bad_row = fill_template(template)
    before = set(Submission.objects.filter(period=period, unit=hutang).values_list("pk", flat=True))

    upload(journey, "湖塘镇2019年二季度_有错.xlsx", bad)
    errors = page.locator(".error-box[role=alert]")
    errors.wait_for()
    text = errors.inner_text()
    assert "文件未报送" in text
    # the row, the enterprise on it (a clerk finds it by name) and the column
    where = re.search(rf"{DATA_SHEET} 第{bad_row}行（([^）]+)）【{STAFF}】", text)
    assert where and Enterprise.objects.filter(name=where[1], town=hutang).exists(), text
    journey.shot("town-upload-errors")
    assert (
        set(Submission.objects.filter(period=period, unit=hutang).values_list("pk", flat=True))
        == before
    )

    journey.follow(page.locator("a:has-text('返回重新上传')"))
    upload(journey, "湖塘镇2019年二季度.xlsx", good)
    main = page.inner_text("main")
    assert "确认报送" in main and "将修改的数据（原值 → 新值）" in main, main
    assert re.search(r"数据有变化\s*3\s*家", main), main
    names = dict(Enterprise.objects.filter(uscc__in=changes).values_list("uscc", "name"))
    for uscc, new in changes.items():
        cells = page.locator("table tr", has_text=names[uscc]).inner_text()
        assert f"{STAFF}：{new['old_staff_total']} → {new['staff_total']}" in cells, cells
        assert f"→ {new['sales_revenue']}" in cells, cells
    journey.shot("town-preview")
    alerts = page.locator("input[name=acknowledged]")
    if alerts.count():  # plausibility alerts: the clerk has checked them
        alerts.check()
    journey.follow(page.locator("button:has-text('确认报送')"))
    assert "已报送（第" in page.inner_text(".messages"), page.inner_text("main")
    assert "待审核" in page.inner_text("main")
    journey.shot("town-submitted")

    submission = Submission.objects.filter(period=period, unit=hutang).latest("version")
    assert submission.pk not in before
    assert submission.status == SubmissionStatus.SUBMITTED and submission.applied_at is None
    assert submission.uploaded_by.username == "hutang" and submission.on_time
    assert submission.file_name == "湖塘镇2019年二季度.xlsx"
    assert page.url.endswith(f"/reports/submissions/{submission.pk}/")
    # nothing in the registry yet: the official figures are not the uploaded ones
    for uscc, new in changes.items():
        official = EnterpriseYear.objects.filter(enterprise__uscc=uscc, year=2019).first()
        assert official is None or official.staff_total != new["staff_total"]
    journey.logout()
    return submission, changes


# --- 2. the district reviews -------------------------------------------------------------------------


def district_approves(journey, period, submission, changes):
    page = journey.page
    journey.login("district")
    journey.go(f"/reports/periods/{period.pk}/")
    row = page.locator("table tr", has_text="湖塘")
    journey.follow(row.locator(f"a[href='/reports/submissions/{submission.pk}/']"))
    assert f"第{submission.version}版" in page.inner_text("h1")
    assert "待审核数据与企业库（正式数据）对比" in page.inner_text("main")
    journey.shot("district-submission")

    page.select_option("select[name=decision]", "approve")
    page.fill("textarea[name=comment]", "数据已核对，同意。")
    journey.follow(page.locator("button:has-text('提交审核结果')"))
    assert "审核通过，数据已写入企业库" in page.inner_text(".messages")
    journey.shot("district-approved")

    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.APPROVED and submission.applied_at is not None
    assert submission.reviewed_by.username == "district"
    for uscc, new in changes.items():
        official = EnterpriseYear.objects.get(enterprise__uscc=uscc, year=2019)
        assert official.staff_total == new["staff_total"], uscc
        assert official.sales_revenue == new["sales_revenue"], uscc
    journey.go(f"/reports/periods/{period.pk}/")  # the reporting rate counts it approved
    assert "已通过" in page.locator("table tr", has_text="湖塘").inner_text()
    journey.logout()


# --- 3. the leader's dashboard -----------------------------------------------------------------------


def shown(value) -> str:
    """A card's figure as the page writes it (the `num` filter), or its placeholder."""
    if value is None:
        return "待季度报送"
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def assert_charts_drawn(journey, selectors):
    page = journey.page
    for selector in selectors:
        node = page.locator(selector)
        node.locator("canvas").wait_for()
        handle = node.element_handle()
        page.wait_for_function(f"node => ({CHART_POINTS})(node) > 0", arg=handle)
        page.wait_for_function(ANIMATION_DONE, arg=handle)  # the entry animation is over
        inked = page.evaluate(INKED_PIXELS, handle)
        assert inked > 0.01, f"{selector} is blank ({inked:.2%} of its canvas drawn)"


def leader_dashboard(journey):
    page = journey.page
    district = wujin_unit("武进区")
    hutang = wujin_unit("湖塘")
    journey.login("leader")
    journey.go("/dashboard/")
    assert page.inner_text("h1") == "驾驶舱 · 武进区 · 2019年"
    assert_charts_drawn(journey, CHARTS)
    page.locator("#closest-body tr a").first.wait_for()

    plan = TargetPlan.objects.get(unit=district, year=2019)
    result = completion(plan, TODAY)
    cards = page.locator(".dash-card")
    assert cards.count() == len(result.columns) > 0
    for card, column in zip(cards.all(), result.columns, strict=True):
        actual = result.total.cells[column.metric_id].actual
        assert card.locator(".dash-card-name").inner_text() == column.metric.name
        figure = card.locator(".dash-card-value").inner_text().split("/")[0].strip()
        assert figure == shown(actual), (column.metric.name, figure, actual)
    journey.shot("leader-dashboard")
    page.locator("#table-title").scroll_into_view_if_needed()
    journey.shot("leader-dashboard-table")

    # drill down: a click on 湖塘's bar in the ranking chart → the town's dashboard
    chart = page.locator("#ranking-chart")
    chart.scroll_into_view_if_needed()
    bar = page.evaluate(BAR_CENTRE, [chart.element_handle(), "湖塘"])
    journey.follow(chart, position=bar)
    assert page.url.endswith(f"/dashboard/?unit={hutang.pk}&year=2019"), page.url
    assert page.inner_text("h1") == "驾驶舱 · 湖塘镇 · 2019年"
    assert_charts_drawn(journey, CHARTS)
    town = next(r for r in result.rows if r.unit.pk == hutang.pk)
    journey.shot("leader-town-dashboard")

    # … and from its 高企申报数 card to the enterprises behind the number
    applications = next(c for c in result.columns if c.metric.code == "applications")
    count = town.cells[applications.metric_id].actual
    assert count
    card = page.locator(".dash-card", has_text=applications.metric.name)
    link = card.locator(".dash-card-value a")
    assert link.inner_text() == shown(count)
    journey.follow(link)
    assert page.inner_text("h1") == f"湖塘 · {applications.metric.name}：{count} 家"
    ids, on = ladder.metric_ids("applications", 2019, TODAY)
    expected = set(ladder.enterprises_in(ids, hutang, on).values_list("name", flat=True))
    assert len(expected) == count
    listed = page.locator("table tbody tr td:nth-child(1)").all_inner_texts()
    assert set(listed) == expected
    assert set(page.locator("table tbody tr td:nth-child(3)").all_inner_texts()) == {"湖塘"}
    journey.shot("leader-drill-down")


@pytest.mark.django_db(transaction=True)
def test_quarterly_journey_in_a_real_browser(demo, live_server, browser_context, screenshots):
    period = ReportingPeriod.objects.get(unit=wujin_unit("武进区"), year=2019, quarter=2)
    assert period.window_start <= TODAY <= period.deadline
    journey = Journey(browser_context, live_server.url, screenshots)

    submission, changes = town_uploads(journey, period)
    district_approves(journey, period, submission, changes)
    leader_dashboard(journey)

    journey.assert_no_errors()
    assert len(list(screenshots.glob("*.png"))) == journey.step
